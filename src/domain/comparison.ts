// Side-by-side comparison of models: one row per model, one column per (dataset, metric), the best
// value per column marked and deltas against the first model. Pure; every renderer (table, md,
// csv, json) draws the same Comparison, so the formats can't disagree.
import type { SkippedFile } from './invalid-files.js';
import { aggregateText, metricAggregate, metricDirection } from './metrics.js';
import { rankModels, scoreOf } from './selection.js';
import type { Aggregate, Direction, Model, RegistryConfig, Training } from './types.js';

export interface ComparisonColumn {
  dataset: string;
  metric: string;
  /** undefined when neither config nor the metric's name tells: no best is marked */
  direction?: Direction;
  /** how each model's results on the dataset make the cell's value */
  aggregate: Aggregate;
  best_value?: number;
  /** every model holding the best value (ties are all marked) */
  best_model_ids: string[];
}

export interface Delta {
  /** value − first model's value */
  absolute: number;
  /** the same relative to the first model's value, in percent; null when that value is 0 */
  percent: number | null;
}

export interface ComparisonCell {
  value?: number;
  best: boolean;
  /** against the first model; only on later rows where both have a value */
  delta?: Delta;
}

export interface ComparisonRow {
  model_id: string;
  algorithm: string;
  training: Training | null;
  /** dataset → metric → the value (the column's aggregate of the model's results) */
  results: Record<string, Record<string, number>>;
  /** aligned with Comparison.columns */
  cells: ComparisonCell[];
}

export interface Comparison {
  columns: ComparisonColumn[];
  rows: ComparisonRow[];
  /** hyperparameters whose values differ between the models (all of them for one model) */
  hyperparams: string[];
  /** hyperparameters every model has with the same value */
  shared_hyperparams: Record<string, unknown>;
  /** things the reader should know: unmarked columns, requested metrics nobody has */
  notes: string[];
  /** the --aggregate override, else the one aggregate every column uses; null when they differ */
  aggregate: Aggregate | null;
  /** with --skip-invalid: unreadable files that could have been compared models, left out */
  skipped?: SkippedFile[];
}

export interface ComparisonOptions {
  /** only these datasets (default: every dataset any model was tested on) */
  datasets?: string[];
  /** only these metrics, in this order (default: every metric recorded, sorted) */
  metrics?: string[];
  config?: Pick<RegistryConfig, 'metrics'>;
  /** overrides every metric's aggregate (default: metrics.<m>.aggregate, else latest) */
  aggregate?: Aggregate;
}

/** Rounds away float noise (47.1 − 45.23 = 1.8700000000000045) without losing real precision. */
export function tidy(n: number): number {
  return Number(n.toPrecision(12));
}

export function deltaOf(value: number, base: number): Delta {
  return { absolute: tidy(value - base), percent: base === 0 ? null : tidy(((value - base) / Math.abs(base)) * 100) };
}

function recordedPairs(models: Model[]): Map<string, Set<string>> {
  const pairs = new Map<string, Set<string>>();
  for (const m of models) {
    for (const r of m.metadata.testing ?? []) {
      for (const [k, v] of Object.entries(r.performance ?? {})) {
        if (typeof v !== 'number' || !Number.isFinite(v)) continue;
        let s = pairs.get(r.dataset);
        if (!s) pairs.set(r.dataset, (s = new Set()));
        s.add(k);
      }
    }
  }
  return pairs;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function hyperparamSplit(models: Model[]): { differing: string[]; shared: Record<string, unknown> } {
  const hps = models.map((m) => (m.metadata.training?.hyperparams ?? {}) as Record<string, unknown>);
  const keys = [...new Set(hps.flatMap((h) => Object.keys(h)))].sort();
  if (models.length === 1) return { differing: keys, shared: {} };
  const differing: string[] = [];
  const shared: Record<string, unknown> = {};
  for (const k of keys) {
    if (hps.every((h) => k in h && sameValue(h[k], hps[0]![k]))) shared[k] = hps[0]![k];
    else differing.push(k);
  }
  return { differing, shared };
}

export function buildComparison(models: Model[], opts: ComparisonOptions = {}): Comparison {
  const recorded = recordedPairs(models);
  const notes: string[] = [];
  const datasets = opts.datasets ?? [...recorded.keys()].sort();
  for (const d of opts.datasets ?? []) {
    if (!recorded.has(d)) notes.push(`no compared model has a result on ${d}`);
  }
  const columns: ComparisonColumn[] = [];
  for (const dataset of datasets) {
    const have = recorded.get(dataset) ?? new Set<string>();
    const metrics = opts.metrics ? opts.metrics.filter((m) => have.has(m)) : [...have].sort();
    for (const metric of metrics) {
      const direction = metricDirection(opts.config, metric);
      let aggregate = metricAggregate(opts.config, metric, opts.aggregate);
      // The best of several results needs a direction; without one the cell shows the latest.
      if (aggregate === 'best' && !direction) {
        aggregate = 'latest';
        if (!notes.some((n) => n.startsWith(`${metric}: `))) notes.push(`${metric}: the latest result is shown, not the best: whether lower or higher is better is unknown`);
      }
      columns.push({ dataset, metric, direction, aggregate, best_model_ids: [] });
    }
  }
  for (const metric of opts.metrics ?? []) {
    if (!columns.some((c) => c.metric === metric)) {
      notes.push(`no compared model has a ${metric} result${opts.datasets ? ` on ${opts.datasets.join(', ')}` : ''}`);
    }
  }

  const rows: ComparisonRow[] = models.map((m) => ({
    model_id: m.metadata.model_id,
    algorithm: m.metadata.algorithm,
    training: m.metadata.training ?? null,
    results: {},
    cells: [],
  }));

  for (const col of columns) {
    // The direction only matters for `best` aggregation (which has one) and marking.
    const q = { dataset: col.dataset, metric: col.metric, direction: col.direction ?? 'min', aggregate: col.aggregate };
    const values = models.map((m) => scoreOf(m.metadata, q)?.value);
    if (col.direction) {
      const top = rankModels(models, { ...q, direction: col.direction }).ranked[0];
      if (top) {
        col.best_value = top.score.value;
        col.best_model_ids = models.filter((_, i) => values[i] === top.score.value).map((m) => m.metadata.model_id);
      }
    }
    const base = values[0];
    values.forEach((value, i) => {
      const row = rows[i]!;
      const cell: ComparisonCell = { best: value !== undefined && col.best_model_ids.includes(row.model_id) };
      if (value !== undefined) {
        cell.value = value;
        (row.results[col.dataset] ??= {})[col.metric] = value;
        if (i > 0 && base !== undefined) cell.delta = deltaOf(value, base);
      }
      row.cells.push(cell);
    });
  }

  const unmarked = [...new Set(columns.filter((c) => !c.direction).map((c) => c.metric))];
  for (const metric of unmarked) {
    notes.push(`no best marked for ${metric}: whether lower or higher is better is unknown (set metrics.${metric}.direction in modelgit.yaml)`);
  }
  const { differing, shared } = hyperparamSplit(models);
  const used = [...new Set(columns.map((c) => c.aggregate))];
  const aggregate = opts.aggregate ?? (used.length <= 1 ? (used[0] ?? 'latest') : null);
  return { columns, rows, hyperparams: differing, shared_hyperparams: shared, notes, aggregate };
}

/** What a cell's value is, per metric: "values: latest result" or "total_time: best result; …". */
export function aggregateNote(c: Comparison): string | undefined {
  if (c.columns.length === 0) return undefined;
  const byMetric = new Map(c.columns.map((col) => [col.metric, col.aggregate]));
  const kinds = new Set(byMetric.values());
  if (kinds.size === 1) return `each value: a model's ${aggregateText([...kinds][0]!)} on the dataset`;
  return `each value: a model's ${[...byMetric].map(([m, a]) => `${m}: ${aggregateText(a)}`).join('; ')} on the dataset`;
}
