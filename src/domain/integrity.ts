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

/** What a change from `before` to `after` (both committed versions of one model) breaks. */
export function changeProblems(before: ModelMetadata, after: ModelMetadata): IntegrityProblem[] {
  const problems: IntegrityProblem[] = [];
  for (const field of IMMUTABLE) {
    // Migration from version 1 adds created_at; that is the one allowed change to it.
    if (field === 'created_at' && before.created_at === undefined && schemaVersionOf(before) === 1) continue;
    // Version 1 files may lack `training` entirely; null and absent mean the same.
    const a = before[field] ?? null;
    const b = after[field] ?? null;
    if (!isDeepStrictEqual(a, b)) {
      problems.push({ pointer: `/${field}`, rule: 'immutable', message: `"${field}" is immutable once committed (was ${JSON.stringify(a)}); register a new model instead` });
    }
  }
  const old = before.testing ?? [];
  const now = after.testing ?? [];
  if (now.length < old.length) {
    problems.push({ pointer: '/testing', rule: 'append-only', message: `"testing" is append-only: ${old.length - now.length} recorded result(s) were removed` });
  } else {
    for (let i = 0; i < old.length; i++) {
      if (!isDeepStrictEqual(old[i], now[i])) {
        problems.push({ pointer: `/testing/${i}`, rule: 'append-only', message: `"testing" is append-only: the recorded result #${i} (${old[i]?.dataset}) was changed` });
      }
    }
  }
  return problems;
}

/** id = file name and algorithm = directory. */
export function pathProblems(meta: Pick<ModelMetadata, 'model_id' | 'algorithm'>, where: { algorithm: string; id: string }): IntegrityProblem[] {
  const problems: IntegrityProblem[] = [];
  if (meta.model_id !== where.id) {
    problems.push({ pointer: '/model_id', rule: 'id-matches-file', message: `model_id "${meta.model_id}" must equal the file name "${where.id}"` });
  }
  if (meta.algorithm !== where.algorithm) {
    problems.push({ pointer: '/algorithm', rule: 'algorithm-matches-directory', message: `algorithm "${meta.algorithm}" must equal the directory "${where.algorithm}"` });
  }
  return problems;
}
