// Rules that span two versions of a model file or the whole tree: recorded results are
// append-only, identity and training are immutable, ids are unique, names match the path.
import { isDeepStrictEqual } from 'node:util';
import { schemaVersionOf } from './metadata.js';
import type { ModelMetadata } from './types.js';

export interface IntegrityProblem {
  pointer: string;
  rule: string;
  message: string;
}

const IMMUTABLE = ['model_id', 'algorithm', 'created_at', 'training'] as const;

function escapeSegment(s: string): string {
  return s.replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * The JSON pointer of the first place `b` differs from `a` (below `pointer`), with both values there,
 * so an error can point at the edited number rather than the whole record.
 */
export function firstDifference(a: unknown, b: unknown, pointer = ''): { pointer: string; was: unknown; now: unknown } | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  const bothObjects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b);
  if (!bothObjects) return { pointer, was: a, now: b };
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = Array.isArray(a) ? [...Array(Math.max(a.length, (b as unknown[]).length)).keys()].map(String) : [...new Set([...Object.keys(ao), ...Object.keys(bo)])];
  for (const k of keys) {
    // A removed key's pointer is absent from the new text; locating it falls back to its parent.
    const d = firstDifference(ao[k], bo[k], `${pointer}/${escapeSegment(k)}`);
    if (d) return d;
  }
  return { pointer, was: a, now: b };
}

function shown(v: unknown): string {
  if (v === undefined) return 'absent';
  const text = JSON.stringify(v);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** What a change from `before` to `after` (both committed versions of one model) breaks. */
export function changeProblems(before: ModelMetadata, after: ModelMetadata): IntegrityProblem[] {
  const problems: IntegrityProblem[] = [];
  for (const field of IMMUTABLE) {
    // Migration from version 1 adds created_at; that is the one allowed change to it.
    if (field === 'created_at' && before.created_at === undefined && schemaVersionOf(before) === 1) continue;
    // Version 1 files may lack `training` entirely; null and absent mean the same.
    const a = before[field] ?? null;
    const b = after[field] ?? null;
    const d = firstDifference(a, b, `/${field}`);
    if (d) {
      problems.push({ pointer: d.pointer, rule: 'immutable', message: `"${field}" is immutable once committed (changed from ${shown(d.was)} to ${shown(d.now)}); register a new model instead` });
    }
  }
  const old = before.testing ?? [];
  const now = after.testing ?? [];
  if (now.length < old.length) {
    problems.push({ pointer: '/testing', rule: 'append-only', message: `"testing" is append-only: ${old.length - now.length} recorded result(s) were removed` });
  } else {
    for (let i = 0; i < old.length; i++) {
      const d = firstDifference(old[i], now[i], `/testing/${i}`);
      if (d) {
        problems.push({ pointer: d.pointer, rule: 'append-only', message: `"testing" is append-only: the recorded result #${i} (${old[i]?.dataset}) was changed from ${shown(d.was)} to ${shown(d.now)}` });
      }
    }
  }
  return problems;
}

/** id = file name and algorithm = directory. */
export function pathProblems(meta: Pick<ModelMetadata, 'model_id' | 'algorithm'>, where: { algorithm: string; id: string }): IntegrityProblem[] {
  const problems: IntegrityProblem[] = [];
  // A missing or non-string field is the schema's to report; comparing it here only repeats that.
  if (typeof meta.model_id === 'string' && meta.model_id !== where.id) {
    problems.push({ pointer: '/model_id', rule: 'id-matches-file', message: `model_id "${meta.model_id}" must equal the file name "${where.id}"` });
  }
  if (typeof meta.algorithm === 'string' && meta.algorithm !== where.algorithm) {
    problems.push({ pointer: '/algorithm', rule: 'algorithm-matches-directory', message: `algorithm "${meta.algorithm}" must equal the directory "${where.algorithm}"` });
  }
  return problems;
}
