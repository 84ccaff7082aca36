// What changed in the registry between two revisions — the pull-request summary. Pure: two
// snapshots and two stage maps in, one plain object out (DESIGN §5b `diff`).
import { isDeepStrictEqual } from 'node:util';
import { isBetter, metricDirection } from './metrics.js';
import { scoreOf } from './selection.js';
import { stageChanges, type StageChange } from './stages.js';
import type { Direction, Model, Performance, RegistryConfig, StageAssignments } from './types.js';
import { resultsIn } from './types.js';

export interface ModelRef {
  model_id: string;
  algorithm: string;
  path: string;
}

export interface RegisteredModel extends ModelRef {
  training_dataset: string | null;
  tags: string[];
}

export interface ResultComparison {
  /** the stage whose holder is the yardstick (the last configured stage, e.g. production) */
  stage: string;
  holder: string;
  holder_value: number;
  delta: number;
  /** delta as a percentage of the holder's value; null when that value is 0 */
  delta_pct: number | null;
  direction: Direction;
  better: boolean;
}

export interface ResultChange {
  model_id: string;
  algorithm: string;
  dataset: string;
  tested_at: string | null;
  num_queries: number | null;
  performance: Performance;
  /** the metric the summary compares on (the stage's must_beat_current, else default_metric) */
  metric: string;
  value: number | null;
  comparison: ResultComparison | null;
}

export interface OtherChange {
  path: string;
  model_id?: string;
  /** top-level metadata fields that differ (for a model file) */
  fields?: string[];
  /** A added, M modified, D deleted (for a file outside models/) */
  status?: string;
}

export interface RegistryDiff {
  registered: RegisteredModel[];
  removed: ModelRef[];
  results: ResultChange[];
  promotions: StageChange[];
  changed: OtherChange[];
}

export interface DiffInput {
  before: Model[];
  after: Model[];
  stagesBefore: StageAssignments;
  stagesAfter: StageAssignments;
  config: Pick<RegistryConfig, 'metrics' | 'stages' | 'promotion' | 'default_metric'>;
}

/** The metric and stage a result is judged by: the top stage's must_beat_current, else the default metric. */
export function yardstick(config: DiffInput['config']): { stage: string | undefined; metric: string } {
  const stage = config.stages[config.stages.length - 1];
  return { stage, metric: (stage && config.promotion?.[stage]?.must_beat_current) || config.default_metric };
}

function ref(m: Model): ModelRef {
  return { model_id: m.metadata.model_id, algorithm: m.metadata.algorithm, path: m.path };
}

export function diffRegistry(input: DiffInput): RegistryDiff {
  const before = new Map(input.before.map((m) => [m.metadata.model_id, m]));
  const after = new Map(input.after.map((m) => [m.metadata.model_id, m]));
  const { stage, metric } = yardstick(input.config);
  const direction = metricDirection(input.config, metric);
  const out: RegistryDiff = { registered: [], removed: [], results: [], promotions: stageChanges(input.stagesBefore, input.stagesAfter), changed: [] };

  const compare = (m: Model, dataset: string, value: number | null): ResultComparison | null => {
    if (value === null || !stage || !direction) return null;
    const holderId = input.stagesBefore?.[m.metadata.algorithm]?.[stage];
    const holder = holderId ? before.get(holderId) : undefined;
    if (!holder) return null;
    const score = scoreOf(holder.metadata, { dataset, metric, direction });
    if (!score) return null;
    const delta = value - score.value;
    return {
      stage,
      holder: holderId!,
      holder_value: score.value,
      delta,
      delta_pct: score.value === 0 ? null : (delta / Math.abs(score.value)) * 100,
      direction,
      better: isBetter(value, score.value, direction),
    };
  };

  const addResults = (m: Model, from: number) => {
    for (const [r] of resultsIn(m.metadata.testing).filter(([, i]) => i >= from)) {
      const v = r.performance?.[metric];
      const value = typeof v === 'number' && Number.isFinite(v) ? v : null;
      out.results.push({
        model_id: m.metadata.model_id,
        algorithm: m.metadata.algorithm,
        dataset: r.dataset,
        tested_at: r.tested_at ?? null,
        num_queries: r.num_queries ?? null,
        performance: r.performance ?? {},
        metric,
        value,
        comparison: compare(m, r.dataset, value),
      });
    }
  };

  for (const [id, m] of after) {
    const old = before.get(id);
    if (!old) {
      out.registered.push({ ...ref(m), training_dataset: m.metadata.training?.dataset ?? null, tags: m.metadata.tags ?? [] });
      addResults(m, 0);
      continue;
    }
    const oldTesting = old.metadata.testing ?? [];
    const newTesting = m.metadata.testing ?? [];
    const appended = newTesting.length >= oldTesting.length && oldTesting.every((r, i) => isDeepStrictEqual(r, newTesting[i]));
    if (appended) addResults(m, oldTesting.length);
    const keys = new Set([...Object.keys(old.metadata), ...Object.keys(m.metadata)]);
    const fields = [...keys].filter((k) => (k === 'testing' ? !appended : !isDeepStrictEqual(old.metadata[k], m.metadata[k]))).sort();
    if (old.path !== m.path) fields.push('path');
    if (fields.length) out.changed.push({ path: m.path, model_id: id, fields });
  }
  for (const [id, m] of before) if (!after.has(id)) out.removed.push(ref(m));

  const byId = (a: { model_id: string }, b: { model_id: string }) => a.model_id.localeCompare(b.model_id);
  out.registered.sort(byId);
  out.removed.sort(byId);
  out.changed.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return out;
}

export function isEmptyDiff(d: RegistryDiff): boolean {
  return !d.registered.length && !d.removed.length && !d.results.length && !d.promotions.length && !d.changed.length;
}
