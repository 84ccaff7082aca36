// The part of a model's metadata that listing, ranking and retention read: id, algorithm, dates,
// training dataset, tags and the test results' dataset/tested_at/performance. The snapshot cache
// stores it per model so those queries don't parse whole metadata files; everything else reads
// `model.metadata`. Pure.
import type { Model, ModelMetadata } from './types.js';

export interface SummaryResult {
  dataset: string;
  tested_at?: string;
  performance: Record<string, unknown>;
}

export interface ModelSummary {
  model_id: string;
  algorithm: string;
  created_at?: string;
  training?: { trained_at?: string; dataset?: string } | null;
  tags: string[];
  testing: SummaryResult[];
  /**
   * `testing`'s results on one dataset with their places in it, when the summary can give them
   * without reading the others (a stored summary reads one dataset's results from its section).
   */
  testingOn?(dataset: string): [number, SummaryResult][];
}

/** Set on a model whose summary is known without parsing its metadata (see store/lazy-model.ts). */
export const SUMMARY: unique symbol = Symbol.for('modelgit.summary');

/** What the summary fields of a model read: its stored summary, else its metadata (a superset). */
export function summaryOf(model: Model): ModelSummary {
  return (model as Model & { [SUMMARY]?: ModelSummary })[SUMMARY] ?? (model.metadata as ModelSummary);
}

/**
 * The summary of parsed metadata: every field the readers of `summaryOf` use, with the value they
 * would read from the metadata itself (odd shapes included: a null result stays null, a training
 * that isn't an object reads no fields), and nothing else.
 */
export function summarize(meta: ModelMetadata): ModelSummary {
  const s: ModelSummary = { model_id: meta.model_id, algorithm: meta.algorithm, tags: meta.tags, testing: [] };
  if (meta.created_at !== undefined) s.created_at = meta.created_at;
  const t = meta.training as unknown;
  if (t === null) s.training = null;
  else if (typeof t === 'object' || typeof t === 'string' || typeof t === 'number' || typeof t === 'boolean') {
    // Reads of training?.x on a primitive give undefined, as on an empty object.
    const tr = t as { trained_at?: string; dataset?: string };
    const out: { trained_at?: string; dataset?: string } = {};
    if (tr.trained_at !== undefined) out.trained_at = tr.trained_at;
    if (tr.dataset !== undefined) out.dataset = tr.dataset;
    s.training = out;
  }
  s.testing = meta.testing.map((r) => {
    if (r === null || typeof r !== 'object') return r;
    const out = { dataset: r.dataset } as SummaryResult;
    if (r.tested_at !== undefined) out.tested_at = r.tested_at;
    if (r.performance !== undefined) out.performance = r.performance;
    return out;
  });
  return s;
}
