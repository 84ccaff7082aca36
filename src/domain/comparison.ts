// Side-by-side comparison of models: one row per model, one column per (dataset, metric), the best
// value per column marked and deltas against the first model. Pure; every renderer (table, md,
// csv, json) draws the same Comparison, so the formats can't disagree.
import type { SkippedFile } from './invalid-files.js';
import { aggregateText, metricAggregate, metricDirection } from './metrics.js';
import { rankModels, scoreOf } from './selection.js';
import type { Aggregate, Direction, Model, RegistryConfig, Training } from './types.js';
import { onlyResults } from './types.js';

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

/** What a delta means for the metric: its direction says which way is better. */
export type Verdict = 'better' | 'worse' | 'same';

export interface ComparisonCell {
  value?: number;
  best: boolean;
  /** against the first model; only on later rows where both have a value */
  delta?: Delta;
  /** with the delta, when the column has a direction */
  verdict?: Verdict;
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

/**
 * Training fields a comparison can show, named as the table heads them (the names --keep/--drop match).
 * `algorithm` is shown by the table and markdown only when the models' algorithms differ.
 */
export const TRAINING_FIELDS = ['algorithm', 'trained on', 'training_time'] as const;
export type TrainingField = (typeof TRAINING_FIELDS)[number];

export interface Comparison {
  /** the training fields shown (all of them unless a filter hid some) */
  fields: TrainingField[];
  columns: ComparisonColumn[];
  rows: ComparisonRow[];
  /** hyperparameters whose values differ between the models (all of them for one model) */
  hyperparams: string[];
  /** hyperparameters every model has with the same value */
  shared_hyperparams: Record<string, unknown>;
  /** with --only-changed: training fields and results hidden because every model has the same value */
  same_for_all?: Record<string, unknown>;
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

/** Whether `delta` is an improvement on a metric whose better way is `direction`. */
export function verdictOf(delta: Delta, direction: Direction | undefined): Verdict | undefined {
  if (!direction) return undefined;
  if (delta.absolute === 0) return 'same';
  return (delta.absolute < 0) === (direction === 'min') ? 'better' : 'worse';
}

function recordedPairs(models: Model[]): Map<string, Set<string>> {
  const pairs = new Map<string, Set<string>>();
  for (const m of models) {
    for (const r of onlyResults(m.metadata.testing)) {
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
        if (i > 0 && base !== undefined) {
          cell.delta = deltaOf(value, base);
          const verdict = verdictOf(cell.delta, col.direction);
          if (verdict) cell.verdict = verdict;
        }
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
  return { fields: [...TRAINING_FIELDS], columns, rows, hyperparams: differing, shared_hyperparams: shared, notes, aggregate };
}

/** What a cell's value is, per metric: "values: latest result" or "total_time: best result; …". */
export function aggregateNote(c: Comparison): string | undefined {
  if (c.columns.length === 0) return undefined;
  const byMetric = new Map(c.columns.map((col) => [col.metric, col.aggregate]));
  const kinds = new Set(byMetric.values());
  if (kinds.size === 1) return `each value: a model's ${aggregateText([...kinds][0]!)} on the dataset`;
  return `each value: a model's ${[...byMetric].map(([m, a]) => `${m}: ${aggregateText(a)}`).join('; ')} on the dataset`;
}

// --- Choosing what to show: --only-changed, --keep, --drop ---------------------------------------
// Applied to the Comparison itself, before any format renders, so the table, md, csv and json all
// show the same rows. The patterns are globs (`*` any run of characters, `?` one), matched against a
// whole name, because the names they match (`lr`, `q_error`, `job-light`, `q_error on job-light`)
// are full of `.`, `-` and `_` that a regex would need escaped; DVC's `exp show --keep/--drop` takes
// regexes, but its meaning is kept: --keep wins over --drop and --only-changed.

export interface ComparisonFilter {
  /** hide training fields and results whose value is the same for every model */
  onlyChanged?: boolean;
  /** globs: rows shown even when --drop or --only-changed would hide them; alone, the only rows shown */
  keep?: string[];
  /** globs: rows hidden */
  drop?: string[];
}

export interface UnmatchedPattern {
  flag: '--keep' | '--drop';
  pattern: string;
}

export interface FilteredComparison {
  comparison: Comparison;
  /** patterns that named no row: most likely a typo, which would otherwise silently show everything */
  unmatched: UnmatchedPattern[];
  /** the names rows answer to (fields, hyperparameters, metrics, datasets), for the message about an unmatched pattern */
  names: string[];
}

/** `*` and `?` as in a shell; everything else literal; the whole name must match. */
export function globRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) re += ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  return new RegExp(`^${re}$`, 's');
}

/** The names a result column answers to: its metric, its dataset, and both together. */
export function columnNames(col: Pick<ComparisonColumn, 'dataset' | 'metric'>): string[] {
  return [`${col.metric} on ${col.dataset}`, col.metric, col.dataset, `${col.dataset}/${col.metric}`];
}

function fieldNames(field: TrainingField): string[] {
  return field === 'trained on' ? [field, 'training_dataset'] : [field];
}

function hyperparamNames(key: string): string[] {
  return [key, `hyperparams.${key}`];
}

function fieldValue(row: ComparisonRow, field: TrainingField): unknown {
  if (field === 'algorithm') return row.algorithm;
  return field === 'trained on' ? row.training?.dataset : row.training?.training_time;
}

/**
 * The comparison with only the rows the filter asks for. Without --drop or --only-changed, --keep
 * alone shows only the rows it names (DVC's --keep alone would do nothing, which helps nobody).
 * A shared hyperparameter is never a row (it is summarised in one line); --drop and a lone --keep
 * take it out of that line too.
 */
export function filterComparison(c: Comparison, f: ComparisonFilter): FilteredComparison {
  type Pattern = UnmatchedPattern & { re: RegExp; hits: number };
  const patterns = (flag: UnmatchedPattern['flag'], list: string[] | undefined): Pattern[] => (list ?? []).map((p) => ({ flag, pattern: p, re: globRegExp(p), hits: 0 }));
  const keep = patterns('--keep', f.keep);
  const drop = patterns('--drop', f.drop);
  const keepOnly = keep.length > 0 && drop.length === 0 && !f.onlyChanged;
  // With one model nothing is compared, so nothing is "the same for all".
  const onlyChanged = !!f.onlyChanged && c.rows.length > 1;
  const matches = (pats: Pattern[], names: string[]): boolean => {
    let any = false;
    for (const p of pats) {
      if (names.some((n) => p.re.test(n))) {
        p.hits++;
        any = true;
      }
    }
    return any;
  };
  /** shown, hidden, or hidden as the same for every model */
  const decide = (names: string[], unchanged: boolean): 'show' | 'drop' | 'same' => {
    const kept = matches(keep, names);
    const dropped = matches(drop, names);
    if (keepOnly) return kept ? 'show' : 'drop';
    if (kept) return 'show';
    if (dropped) return 'drop';
    return onlyChanged && unchanged ? 'same' : 'show';
  };
  const same: Record<string, unknown> = {};
  const names: string[] = [];

  const fields = c.fields.filter((field) => {
    names.push(field);
    const values = c.rows.map((r) => JSON.stringify(fieldValue(r, field)));
    const verdict = decide(fieldNames(field), values.every((v) => v === values[0]));
    if (verdict === 'same') same[field] = fieldValue(c.rows[0]!, field);
    return verdict === 'show';
  });
  const hyperparams = c.hyperparams.filter((k) => (names.push(k), decide(hyperparamNames(k), false) === 'show'));
  const shared_hyperparams: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c.shared_hyperparams)) {
    names.push(k);
    // Already summarised as shared, so --only-changed has nothing more to do with it.
    if (decide(hyperparamNames(k), false) !== 'drop') shared_hyperparams[k] = v;
  }
  const keptColumns: number[] = [];
  c.columns.forEach((col, i) => {
    names.push(col.metric, col.dataset);
    const values = c.rows.map((r) => r.cells[i]?.value);
    const verdict = decide(columnNames(col), values.every((v) => v === values[0]));
    if (verdict === 'same') same[columnNames(col)[0]!] = values[0];
    if (verdict === 'show') keptColumns.push(i);
  });

  const columns = keptColumns.map((i) => c.columns[i]!);
  const rows = c.rows.map((row) => {
    const cells = keptColumns.map((i) => row.cells[i]!);
    const results: Record<string, Record<string, number>> = {};
    columns.forEach((col, j) => {
      const v = cells[j]!.value;
      if (v !== undefined) (results[col.dataset] ??= {})[col.metric] = v;
    });
    return { ...row, cells, results };
  });
  // A note about a metric no longer shown would puzzle the reader.
  const shownMetrics = new Set(columns.map((col) => col.metric));
  const hiddenMetrics = c.columns.map((col) => col.metric).filter((m) => !shownMetrics.has(m));
  const notes = c.notes.filter((n) => !hiddenMetrics.some((m) => n.startsWith(`no best marked for ${m}:`) || n.startsWith(`${m}: `)));

  const comparison: Comparison = { ...c, fields, columns, rows, hyperparams, shared_hyperparams, notes };
  if (Object.keys(same).length) comparison.same_for_all = { ...c.same_for_all, ...same };
  const unmatched = [...keep, ...drop].filter((p) => p.hits === 0).map(({ flag, pattern }) => ({ flag, pattern }));
  return { comparison, unmatched, names: [...new Set(names)] };
}
