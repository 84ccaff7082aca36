// The registry's own YAML files, schema-checked: modelgit.yaml (loadConfig, what every command
// opens with) and stages.yaml. Both go through the parse cache under .git/modelgit/ (cache/
// yaml-cache.ts), so a text checked once needs no YAML parser again; this file is the door to that
// cache for code outside store/ (validate, which may not reach into store/cache/).
import { ValidationError } from '../errors.js';
import { withDefaults } from '../domain/config.js';
import type { RegistryConfig } from '../domain/types.js';
import type { ParsedJson } from '../schema/validator.js';
import { validatedYaml } from './cache/yaml-cache.js';
import { modelgitDir } from './cache/policy.js';

/** The config, schema-checked, from the parse cache when this exact text was checked before. */
export async function loadConfig(gitDir: string, file: string, text: string): Promise<RegistryConfig> {
  const parsed = await checkedYaml<Partial<RegistryConfig>>(gitDir, file, text, 'config');
  if (parsed.errors.length) {
    throw new ValidationError(`${file} is invalid`, parsed.errors, { hint: 'fix the config; modelgit validate --all lists every problem' });
  }
  return withDefaults(parsed.value);
}

/** `text` of `file` parsed and checked against its schema, through the parse cache of the repository at `gitDir`. */
export function checkedYaml<T>(gitDir: string, file: string, text: string, schema: 'config' | 'stages'): Promise<ParsedJson<T>> {
  return validatedYaml<T>(modelgitDir(gitDir), file, text, schema);
}
