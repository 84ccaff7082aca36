// Checks one metadata file's text: schema (base + the algorithm's own schema from the config),
// then id/path agreement, each error located in the text.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ErrorLocation } from '../errors.js';
import { parseModelPath } from '../domain/config.js';
import { pathProblems } from '../domain/integrity.js';
import type { ModelMetadata, RegistryConfig } from '../domain/types.js';
import { locateJsonPointer, validateJsonText, validatorFor, validatorForSchemaText } from './validator.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';

export interface CheckContext {
  root: string;
  config: RegistryConfig;
  /**
   * The text of a per-algorithm schema file, or undefined when it is absent. Defaults to the
   * working tree; `validate --staged` passes the index version, so what is checked is what is committed.
   */
  schemaText?: (rel: string) => string | undefined;
}

/** This module's file name (hashed by its code in the bundled CLI; see VALIDATOR_CODE). */
export const MODEL_CHECKS_CODE = basename(fileURLToPath(import.meta.url));

function workingTreeSchema(root: string, rel: string): string | undefined {
  const abs = join(root, rel);
  return existsSync(abs) ? readFileSync(abs, 'utf8') : undefined;
}

function algorithmValidators(ctx: CheckContext, algorithm: string | undefined): { fns: ValidateFunction[]; errors: ErrorLocation[] } {
  // hasOwn: an algorithm called "constructor" must not find Object's.
  const rel = algorithm && Object.hasOwn(ctx.config.schemas, algorithm) ? ctx.config.schemas[algorithm] : undefined;
  if (!rel) return { fns: [], errors: [] };
  const text = ctx.schemaText ? ctx.schemaText(rel) : workingTreeSchema(ctx.root, rel);
  if (text === undefined) {
    return { fns: [], errors: [{ file: 'modelgit.yaml', line: 1, column: 1, pointer: `/schemas/${algorithm}`, rule: 'schema-file-exists', message: `the schema for ${algorithm} (${rel}) does not exist` }] };
  }
  try {
    return { fns: [validatorForSchemaText(rel, text)], errors: [] };
  } catch (e) {
    return { fns: [], errors: [{ file: rel, line: 1, column: 1, pointer: '', rule: 'schema-compiles', message: `the schema for ${algorithm} does not compile: ${(e as Error).message}` }] };
  }
}

export function checkModelTextSync(ctx: CheckContext, path: string, text: string): { meta?: ModelMetadata; errors: ErrorLocation[] } {
  const where = parseModelPath(ctx.config, path);
  const extra = algorithmValidators(ctx, where?.algorithm);
  const parsed = validateJsonText<ModelMetadata>(path, text, validatorFor('model'), extra.fns);
  const errors = [...extra.errors, ...parsed.errors];
  if (parsed.value && where && typeof parsed.value === 'object') {
    for (const p of pathProblems(parsed.value, where)) {
      errors.push({ file: path, ...locateJsonPointer(text, p.pointer), ...p });
    }
  }
  return { meta: parsed.value, errors };
}

export async function checkModelText(ctx: CheckContext, path: string, text: string): Promise<ErrorLocation[]> {
  return checkModelTextSync(ctx, path, text).errors;
}
