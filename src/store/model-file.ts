// One metadata file: its text parsed just enough to index it (a model, or a problem located at its
// line and column), the rules that make a set of such files a snapshot (which files are model
// files, which file holds an id), and whether parsed metadata survives being stored minified. The
// reference reader (snapshot.ts), the cached readers (models.ts, lazy-model.ts), the lookup by
// path and the cache builders (cache/snapshot-fill.ts, cache/report-history.ts) all apply these
// same rules; they live apart from every reader so that store/cache/ can use them without
// depending on a reader.
import type { ErrorLocation } from '../errors.js';
import { encodingProblem } from '../schema/encoding.js';
import { parseModelPath } from '../domain/config.js';
import type { Model, ModelMetadata, RegistryConfig } from '../domain/types.js';
import { jsonLimitError, MAX_MODEL_FILE_BYTES, overSize, valueTooDeep } from '../domain/limits.js';

/** Parses one metadata blob just enough to index it; full schema checks belong to `validate`. */
export function parseModelBlob(path: string, text: string, config: Pick<RegistryConfig, 'models_dir'>): { model?: Model; problem?: ErrorLocation } {
  const where = parseModelPath(config, path);
  // Size and depth before anything recursive sees the value (limits.ts). JSON.parse itself is
  // iterative, so it goes first: a parsed value's nesting is its text's, found by a walk over the
  // value instead of a pass over the text in JavaScript (~0.4 s per 100,000 files); the text is
  // scanned only to locate a refusal. A text that does not parse is checked as before, limits first.
  let meta: ModelMetadata | undefined;
  let syntax: string | undefined;
  if (!overSize(text, MAX_MODEL_FILE_BYTES)) {
    try {
      meta = JSON.parse(text) as ModelMetadata;
    } catch (e) {
      syntax = (e as Error).message;
    }
  }
  if (meta === undefined || valueTooDeep(meta)) {
    const limit = jsonLimitError(path, text);
    if (limit) return { problem: limit };
  }
  const encoding = encodingProblem(path, text); // not UTF-8, or a BOM: named, never read as mojibake
  if (encoding) return { problem: encoding };
  if (meta === undefined) {
    const message = syntax ?? 'unreadable';
    return { problem: { file: path, ...positionAt(text, jsonErrorOffset(text, message)), pointer: '', rule: 'json-syntax', message: `not valid JSON: ${message}` } };
  }
  if (!meta || typeof meta !== 'object' || typeof meta.model_id !== 'string' || typeof meta.algorithm !== 'string') {
    return { problem: { file: path, line: 1, column: 1, pointer: '', rule: 'required', message: 'not model metadata (no model_id/algorithm)' } };
  }
  if (where && (where.id !== meta.model_id || where.algorithm !== meta.algorithm)) {
    const key = where.id !== meta.model_id ? 'model_id' : 'algorithm';
    return { problem: { file: path, ...positionAt(text, Math.max(0, text.indexOf(`"${key}"`))), pointer: `/${key}`, rule: 'id-matches-path', message: `model_id/algorithm (${meta.algorithm}/${meta.model_id}) do not match the path` } };
  }
  if (!Array.isArray(meta.testing)) meta.testing = [];
  if (!Array.isArray(meta.tags)) meta.tags = [];
  return { model: { path, metadata: meta } };
}

/** Where JSON.parse stopped, from its message ("… at position 42"; the end for "end of JSON input"). */
export function jsonErrorOffset(text: string, message: string): number {
  const m = /at position (\d+)/.exec(message);
  if (m) return Math.min(Number(m[1]), text.length);
  return /end of JSON input/.test(message) ? text.length : 0;
}

/** 1-based line and column of a character offset (the one rule validate uses). */
function positionAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/**
 * A regular file's mode. A symbolic link (120000) is no model file: its blob is the link's target,
 * and reading what it points at could leave the repository; `validate` refuses it.
 */
export function isFileMode(mode: string): boolean {
  return mode.startsWith('100');
}

/** A metadata file's model id: its name (parseModelBlob checks the two agree). */
export function idOfPath(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1, -'.json'.length);
}

/**
 * Which entries are models, which parsed but lose their id to an earlier file, and the problems a
 * snapshot reports, all in file order (buildSnapshot's rules, from recorded parse outcomes).
 */
export function sortOut(entries: readonly { path: string; problem?: ErrorLocation }[]): { models: number[]; excluded: number[]; problems: ErrorLocation[] } {
  const models: number[] = [];
  const excluded: number[] = [];
  const problems: ErrorLocation[] = [];
  const ids = new Map<string, string>();
  entries.forEach((e, i) => {
    if (e.problem) {
      problems.push(e.problem);
      return;
    }
    const id = idOfPath(e.path);
    const dup = ids.get(id);
    if (dup !== undefined) {
      problems.push({ file: e.path, line: 1, column: 1, pointer: '/model_id', rule: 'unique-id', message: `model id ${id} is also used by ${dup}` });
      excluded.push(i);
      return;
    }
    ids.set(id, e.path);
    models.push(i);
  });
  return { models, excluded, problems };
}

/**
 * Whether JSON.stringify of a parsed value parses back to the same value: always, except where a
 * number parsed to -0 or overflowed to ±Infinity (strings, keys and every other number survive).
 */
export function roundTrips(v: unknown): boolean {
  // Iterative: a value is bounded by the parse limits, but a reader must not depend on that.
  const stack: unknown[] = [v];
  while (stack.length) {
    const x = stack.pop();
    if (typeof x === 'number') {
      if (!Number.isFinite(x) || Object.is(x, -0)) return false;
    } else if (x !== null && typeof x === 'object') {
      if (Array.isArray(x)) for (const c of x) stack.push(c);
      else for (const k in x) stack.push((x as Record<string, unknown>)[k]);
    }
  }
  return true;
}

const ALGORITHM_KEY = Buffer.from('"algorithm"');
const BACKSLASH_U = Buffer.from('\\u');

/**
 * Whether parseModelBlob certainly does not find a file of the `algorithm` directory naming another
 * algorithm (the one problem of another directory's file that concerns every algorithm's answer:
 * invalid-files.ts), from its bytes without parsing: `"algorithm"` occurs once, right before the
 * value `"<algorithm>"`, and no `\u` escape could spell the key another way. Then either that is
 * the top-level key with the directory's value, or there is no top-level key (another problem) or
 * no JSON at all. False means "parse it to know", not that the problem is there.
 */
export function namesItsDirectory(content: Buffer, algorithm: string): boolean {
  // A name JSON would have to escape is not the same bytes in the file.
  if (/["\\\u0000-\u001f]/.test(algorithm) || content.includes(BACKSLASH_U)) return false;
  const at = content.indexOf(ALGORITHM_KEY);
  if (at < 0 || content.indexOf(ALGORITHM_KEY, at + 1) >= 0) return false;
  let i = at + ALGORITHM_KEY.length;
  const space = (b: number | undefined) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
  while (space(content[i])) i++;
  if (content[i] !== 0x3a) return false; // ':'
  i++;
  while (space(content[i])) i++;
  const value = Buffer.from(`"${algorithm}"`);
  return content.length >= i + value.length && content.compare(value, 0, value.length, i, i + value.length) === 0;
}
