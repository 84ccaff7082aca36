// modelgit.yaml and stages.yaml, parsed and schema-checked, remembered by content under
// `<git dir>/modelgit/yaml/`: every command reads the config, and parsing YAML means loading the
// yaml package (~50 ms). The key is the file's text plus the schema's text, so an edit to either
// misses. Only files that passed their schema are remembered; a damaged entry is rebuilt with a
// warning, and MODELGIT_NO_CACHE=1 skips it.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { ParsedJson, SchemaName } from '../schema/validator.js';
import { cacheDisabled } from './cache.js';

const SCHEMA_DIR = new URL('../../schemas/', import.meta.url);

const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

export async function validatedYaml<T>(cacheDir: string | undefined, file: string, text: string, schema: SchemaName, warn: (m: string) => void = (m) => process.stderr.write(m)): Promise<ParsedJson<T>> {
  let path: string | undefined;
  if (cacheDir && !cacheDisabled()) {
    const schemaText = readFileSync(new URL(`${schema}.schema.json`, SCHEMA_DIR), 'utf8');
    path = join(cacheDir, 'yaml', `${sha1(`${schema}\0${schemaText}\0${file}\0${text}`)}.json`);
    let raw: string | undefined;
    try {
      raw = readFileSync(path, 'utf8');
    } catch {
      /* not cached yet */
    }
    if (raw !== undefined) {
      try {
        const stored = JSON.parse(raw) as { sha1: string; value: string };
        if (sha1(stored.value) !== stored.sha1) throw new Error('checksum mismatch');
        return { value: JSON.parse(stored.value) as T, errors: [] };
      } catch (e) {
        warn(`modelgit: warning: the cached ${file} (${path}) is unreadable (${(e as Error).message}); reading ${file} again\n`);
      }
    }
  }
  // The validator (and the JSON parser it loads) is needed only when the text is new.
  const { validateYamlText, validatorFor } = await import('../schema/validator.js');
  const parsed = validateYamlText<T>(file, text, validatorFor(schema));
  if (path && parsed.errors.length === 0) {
    const value = JSON.stringify(parsed.value ?? null);
    // Only what JSON carries exactly (YAML's .inf or .nan would come back as null).
    if (isDeepStrictEqual(JSON.parse(value), parsed.value ?? null)) {
      try {
        mkdirSync(join(cacheDir!, 'yaml'), { recursive: true });
        const tmp = `${path}.tmp-${process.pid}`;
        writeFileSync(tmp, JSON.stringify({ sha1: sha1(value), value }));
        renameSync(tmp, path);
      } catch {
        /* read-only repository: parse each time */
      }
    }
  }
  return parsed;
}
