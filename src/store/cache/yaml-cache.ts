// modelgit.yaml and stages.yaml, parsed and schema-checked, remembered by content under
// `<git dir>/modelgit/yaml/`: every command reads the config, and parsing YAML means loading the
// yaml package (~50 ms). An entry holds the file's text and the schema's text it was checked
// against, and is used only when both are equal to today's, so an edit to either misses; it is
// found by a CRC-32 of the two (no crypto: loading node:crypto costs every command ~4 ms). Only
// files that passed their schema are remembered; a damaged entry is rebuilt with a warning, and
// MODELGIT_NO_CACHE=1 skips it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { ParsedJson, SchemaName } from '../../schema/validator.js';
import { cacheDisabled } from './policy.js';
import { prototypeFree, tooDeepAt } from '../../domain/limits.js';
import { writeWhole } from './files.js';
import { isMissing, readCacheFile } from '../../loading/safe-files.js';
import { lazyRequire } from '../../lazy.js';
import { packageUrl } from '../../package-root.js';
import type * as Util from 'node:util';

const SCHEMA_DIR = packageUrl('schemas/');

const FORMAT = 2;
const crcOf = (text: string) => (crc32(text) >>> 0).toString(16).padStart(8, '0');

interface Entry {
  format: number;
  schema: string;
  file: string;
  text: string;
  crc: string;
  value: string;
}

/** A stamp of the schema a file is checked against: what remembers a checked value must change with it. */
export function schemaStamp(schema: SchemaName): string {
  return crcOf(readFileSync(new URL(`${schema}.schema.json`, SCHEMA_DIR), 'utf8'));
}

export async function validatedYaml<T>(cacheDir: string | undefined, file: string, text: string, schema: SchemaName, warn: (m: string) => void = (m) => process.stderr.write(m)): Promise<ParsedJson<T>> {
  let path: string | undefined;
  let schemaText = '';
  if (cacheDir && !cacheDisabled()) {
    schemaText = readFileSync(new URL(`${schema}.schema.json`, SCHEMA_DIR), 'utf8');
    path = join(cacheDir, 'yaml', `${crcOf(`${schema}\0${schemaText}\0${file}\0${text}`)}-${text.length}.json`);
    let raw: string | undefined;
    let odd: Error | undefined;
    try {
      // Not followed if a link, never blocking, a regular file of a sane size (safe-files.ts).
      raw = readCacheFile(path, 64 << 20).toString('utf8');
    } catch (e) {
      if (!isMissing(e)) [raw, odd] = ['', e as Error]; // a FIFO, a link: warned about and replaced
    }
    if (raw !== undefined) {
      try {
        if (odd) throw odd;
        const stored = JSON.parse(raw) as Entry;
        if (stored.format !== FORMAT || crcOf(stored.value) !== stored.crc) throw new Error('checksum mismatch');
        if (tooDeepAt(stored.value) !== undefined) throw new Error('nested too deep');
        if (stored.schema === schemaText && stored.file === file && stored.text === text) return { value: prototypeFree(JSON.parse(stored.value) as T), errors: [] };
        // Another text with the same CRC: parsed below, and this entry replaced.
      } catch (e) {
        warn(`modelgit: warning: the cached ${file} (${path}) is unreadable (${(e as Error).message}); reading ${file} again\n`);
      }
    }
  }
  // The validator (and the JSON parser it loads) is needed only when the text is new.
  const { validateYamlText, validatorFor } = await import('../../schema/validator.js');
  const parsed = validateYamlText<T>(file, text, validatorFor(schema));
  if (path && parsed.errors.length === 0) {
    const value = JSON.stringify(parsed.value ?? null);
    // Only what JSON carries exactly (YAML's .inf or .nan would come back as null).
    if (lazyRequire<typeof Util>('node:util').isDeepStrictEqual(prototypeFree(JSON.parse(value) as unknown), parsed.value ?? null)) {
      const entry: Entry = { format: FORMAT, schema: schemaText, file, text, crc: crcOf(value), value };
      writeWhole(path, JSON.stringify(entry)); // (read-only repository: parsed each time)
    }
  }
  return parsed;
}
