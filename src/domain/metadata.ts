// Building and serialising model metadata. Key order is fixed so diffs in pull requests stay small.
import type { Model, ModelMetadata } from './types.js';

const KEY_ORDER = [
  'schema_version', 'model_id', 'algorithm', 'created_at', 'model_path', 'artifact', 'parent', 'training',
  'testing', 'tags', 'notes', 'role', 'base_architecture', 'training_algorithm', 'loading_strategy',
  'algorithm_compatibility', 'extra',
];

export function orderKeys(meta: ModelMetadata): ModelMetadata {
  const out: Record<string, unknown> = {};
  for (const k of KEY_ORDER) if (k in meta && meta[k] !== undefined) out[k] = meta[k];
  for (const k of Object.keys(meta)) if (!(k in out) && meta[k] !== undefined) out[k] = meta[k];
  return out as ModelMetadata;
}

export function serializeMetadata(meta: ModelMetadata): string {
  return JSON.stringify(orderKeys(meta), null, 2) + '\n';
}

/** The schema version a metadata object is in: 1 when it has no schema_version. */
export function schemaVersionOf(meta: { schema_version?: unknown }): number {
  return typeof meta.schema_version === 'number' ? meta.schema_version : 1;
}

/** When the model was trained or created, for sorting by date (ISO strings sort as dates). */
export function trainedAt(meta: ModelMetadata): string {
  return meta.training?.trained_at ?? meta.created_at ?? '';
}

/** A value at a dotted path (`training.hyperparams.num_epoch`, `testing.0.dataset`). */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

/**
 * Set on a model whose algorithm is known without parsing its metadata: the snapshot cache parses
 * a model's JSON on first use, and its directory already names the algorithm (a file whose
 * `algorithm` disagrees with its directory is reported as a problem, never as a model).
 */
export const KNOWN_ALGORITHM: unique symbol = Symbol.for('modelgit.known-algorithm');

/** A model's algorithm, without parsing its metadata when the snapshot already knows it. */
export function algorithmOf(model: Model): string {
  return (model as Model & { [KNOWN_ALGORITHM]?: string })[KNOWN_ALGORITHM] ?? model.metadata.algorithm;
}
