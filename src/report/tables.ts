// What the report's tables show, derived from the models at HEAD. Pure. Scores come from
// domain/selection (the one ranking), so a leaderboard's first row is what `best` answers.
import { metricDirection, metricAggregate } from '../domain/metrics.js';
import { trainedAt } from '../domain/metadata.js';
import { isBetter } from '../domain/metrics.js';
import { datasetsOf, metricsOf, outranks, scoreOf, type RankedScore, type ScoreQuery } from '../domain/selection.js';
import type { Direction, Model, ModelMetadata, RegistryConfig, StageAssignments } from '../domain/types.js';
import { isResult, onlyResults, type TestResult } from '../domain/types.js';

export interface MetricColumn {
  name: string;
  direction: Direction | null;
  /** models with a result for this metric on the dataset */
  models: number;
  /** what `best --dataset D --metric M` answers now; null when the direction is unknown */
  best: string | null;
}

export interface LeaderboardRow {
  id: string;
  trained_on: string | null;
  tags: string[];
  training_time: number | null;
  trained_at: string;
  /** every scalar hyperparameter (columns and filters); the numeric ones are what a scatter plots */
  hp: Record<string, Param>;
  /** metric → score (the latest result on this dataset) */
  v: Record<string, number>;
  tested_at: string | null;
  results: number;
}

/** A hyperparameter as the report shows it: a scalar, or a list/object as its JSON text. */
export type Param = number | string | boolean;

export interface Leaderboard {
  algorithm: string;
  dataset: string;
  metrics: MetricColumn[];
  defaultMetric: string | null;
  rows: LeaderboardRow[];
  /** numeric hyperparameters (what the scatter can plot against) */
  hyperparams: string[];
  /** every hyperparameter any row has (leaderboard columns and filters) */
  params: string[];
  /**
   * every individual result on the dataset, per metric: [unix seconds tested, value, row index];
   * best over time draws them behind its step line
   */
  points: Record<string, [number, number, number][]>;
}

/**
 * The model `selectBest` names (rankModels' first: better value, then trained first, then the
 * smaller id, then the earlier in `models`), found in one pass: no sort, and no ordering of the
 * untested models nobody looks at here.
 */
export function bestOf(models: Model[], q: ScoreQuery): { model: Model; value: number } | undefined {
  let best: { model: Model; value: number; at: string } | undefined;
  for (const model of models) {
    const s = scoreOf(model.metadata, q);
    if (!s) continue;
    if (best) {
      if (s.value === best.value) {
        const at = trainedAt(model.metadata);
        if ((at.localeCompare(best.at) || model.metadata.model_id.localeCompare(best.model.metadata.model_id)) >= 0) continue;
        best = { model, value: s.value, at };
        continue;
      }
      if (!isBetter(s.value, best.value, q.direction)) continue;
    }
    best = { model, value: s.value, at: trainedAt(model.metadata) };
  }
  return best && { model: best.model, value: best.value };
}

/** The hyperparameters as the report shows them (lists and objects as JSON text). */
export function paramsOf(meta: ModelMetadata): Record<string, Param> {
  const out: Record<string, Param> = {};
  for (const [k, v] of Object.entries(meta.training?.hyperparams ?? {})) {
    if (typeof v === 'number') {
      if (Number.isFinite(v)) out[k] = v;
    } else if (typeof v === 'string' || typeof v === 'boolean') out[k] = v;
    else if (v !== null && v !== undefined) out[k] = JSON.stringify(v);
  }
  return out;
}

/** The metric a page opens on: the configured default if recorded, else one with a known direction. */
export function defaultMetricOf(metrics: { name: string; direction: Direction | null }[], config: Pick<RegistryConfig, 'default_metric'>): string | null {
  return (
    metrics.find((m) => m.name === config.default_metric)?.name ??
    metrics.find((m) => m.direction)?.name ??
    metrics[0]?.name ??
    null
  );
}

/**
 * One algorithm's results on one dataset: the metric names recorded there, and each model with a
 * result there (in the models' order) with its results there (in their order).
 */
export interface DatasetResults {
  names: Set<string>;
  entries: { meta: ModelMetadata; on: TestResult[] }[];
}

/**
 * An algorithm's models' results grouped by dataset, in one pass over them: what a leaderboard
 * and the summary would otherwise find by going through every model once per dataset.
 */
export function resultsByDataset(own: Model[]): Map<string, DatasetResults> {
  const byDataset = new Map<string, DatasetResults>();
  for (const { metadata: meta } of own) {
    // (a model has results on a few datasets: a list, not a Map per model, to group them)
    const groups: [string, TestResult[]][] = [];
    for (const r of meta.testing) {
      if (!isResult(r)) continue;
      const on = groups.find((g) => g[0] === r.dataset);
      if (on) on[1].push(r as TestResult);
      else groups.push([r.dataset, [r as TestResult]]);
    }
    for (const [dataset, on] of groups) {
      let acc = byDataset.get(dataset);
      if (!acc) byDataset.set(dataset, (acc = { names: new Set(), entries: [] }));
      for (const r of on) if (r.performance) for (const k in r.performance) acc.names.add(k);
      acc.entries.push({ meta, on });
    }
  }
  return byDataset;
}

/**
 * The leaderboard of one algorithm's models on one dataset: every model with a result there.
 * `results`, when the caller has grouped the algorithm's results (resultsByDataset), are that
 * dataset's: the same rows, without going through every model again.
 */
export function leaderboard(models: Model[], algorithm: string, dataset: string, config: Pick<RegistryConfig, 'metrics' | 'default_metric'>, results?: DatasetResults): Leaderboard {
  let names: string[];
  let entries: DatasetResults['entries'];
  if (results) {
    names = [...results.names].sort();
    entries = results.entries;
  } else {
    const own = models.filter((m) => m.metadata.algorithm === algorithm);
    names = metricsOf(own, dataset);
    entries = [];
    for (const { metadata: meta } of own) {
      const on = onlyResults(meta.testing).filter((r) => r.dataset === dataset);
      if (on.length > 0) entries.push({ meta, on });
    }
  }
  const metrics: MetricColumn[] = names.map((name) => ({ name, direction: metricDirection(config, name) ?? null, models: 0, best: null }));
  const rows: LeaderboardRow[] = [];
  const hyper = new Set<string>();
  const params = new Set<string>();
  const points: Record<string, [number, number, number][]> = {};
  for (const { meta, on } of entries) {
    for (const r of on) {
      const t = r.tested_at ? Date.parse(r.tested_at) / 1000 : NaN;
      if (!Number.isFinite(t)) continue;
      for (const [m, value] of Object.entries(r.performance ?? {})) if (typeof value === 'number' && Number.isFinite(value)) (points[m] ??= []).push([t, value, rows.length]);
    }
    const v: Record<string, number> = {};
    metrics.forEach((col) => {
      // (best of several results only with a known direction; else the latest)
      const agg = metricAggregate(config, col.name);
      const q: ScoreQuery = { dataset, metric: col.name, direction: col.direction ?? 'min', aggregate: agg === 'best' && !col.direction ? 'latest' : agg };
      // (from its results here when they are grouped: scoreValue gives scoreOf's value, the test compares them)
      const s = results ? scoreValue(on, q) : scoreOf(meta, q);
      if (s) {
        v[col.name] = s.value;
        col.models++;
      }
    });
    const hp = paramsOf(meta);
    for (const [k, p] of Object.entries(hp)) {
      params.add(k);
      if (typeof p === 'number') hyper.add(k);
    }
    const t = meta.training?.training_time;
    rows.push({
      id: meta.model_id,
      trained_on: typeof meta.training?.dataset === 'string' ? meta.training.dataset : null,
      tags: meta.tags ?? [],
      training_time: typeof t === 'number' && Number.isFinite(t) ? t : null,
      trained_at: trainedAt(meta),
      hp,
      v,
      tested_at: on[on.length - 1]?.tested_at ?? null,
      results: on.length,
    });
  }
  // Each column's best from the rows' scores, which for a metric with a direction are what bestOf
  // scores (the same query): scoring every model twice cost the largest algorithm's pages ~0.3 s.
  for (const col of metrics) if (col.direction) col.best = bestRow(rows, col.name, col.direction)?.id ?? null;
  return { algorithm, dataset, metrics, defaultMetric: defaultMetricOf(metrics, config), rows, hyperparams: [...hyper].sort(), params: [...params].sort(), points };
}

/** The row bestOf would name among rows scored on `metric` (ties as rankModels breaks them, then the earlier row). */
function bestRow(rows: LeaderboardRow[], metric: string, direction: Direction): RankedScore | undefined {
  let best: RankedScore | undefined;
  for (const row of rows) {
    const value = row.v[metric];
    if (value === undefined) continue;
    const candidate = { id: row.id, value, trainedAt: row.trained_at };
    if (!best || outranks(candidate, best, direction)) best = candidate;
  }
  return best;
}

/** A model's place on one dataset's leaderboard, by the metric the page opens on. */
export interface Standing {
  dataset: string;
  metric: string;
  direction: Direction;
  value: number;
  /** 1 is the best, as `best` ranks */
  rank: number;
  of: number;
  /** the model ranked first, and second (null when alone) */
  best: string;
  runnerUp: string | null;
}

/**
 * Every ranked model's standing on a leaderboard: ordered as `best` orders (better value, trained
 * first, smaller id). Empty when the default metric has no direction (nobody is better).
 */
export function standings(lb: Leaderboard): Map<string, Standing> {
  const out = new Map<string, Standing>();
  const ranked = rankedRows(lb);
  if (!ranked) return out;
  const { metric, direction, rows } = ranked;
  const best = rows[0]?.id;
  const runnerUp = rows[1]?.id ?? null;
  rows.forEach((r, i) => out.set(r.id, { dataset: lb.dataset, metric, direction, value: r.v[metric]!, rank: i + 1, of: rows.length, best: best!, runnerUp }));
  return out;
}

/**
 * The leaderboard's rows with a score on its default metric, best first (ties: trained first, then
 * the smaller id); undefined when there is no default metric or its direction is unknown.
 */
export function rankedRows(lb: Leaderboard): { metric: string; direction: Direction; rows: LeaderboardRow[] } | undefined {
  const metric = lb.defaultMetric;
  const direction = lb.metrics.find((m) => m.name === metric)?.direction;
  if (!metric || !direction) return undefined;
  const rows = lb.rows.filter((r) => r.v[metric] !== undefined);
  rows.sort((a, b) => {
    const x = a.v[metric]!;
    const y = b.v[metric]!;
    if (x !== y) return isBetter(x, y, direction) ? -1 : 1;
    return a.trained_at.localeCompare(b.trained_at) || a.id.localeCompare(b.id);
  });
  return { metric, direction, rows };
}

export interface CompareModel {
  id: string;
  trained_on: string | null;
  trained_at: string;
  training_time: number | null;
  tags: string[];
  hp: Record<string, Param>;
  /** dataset → metric → score (the metric's aggregate of the results there, as leaderboards show) */
  r: Record<string, Record<string, number>>;
  stages: string[];
}

export interface CompareData {
  algorithm: string;
  metrics: { name: string; direction: Direction | null }[];
  datasets: string[];
  models: CompareModel[];
}

/**
 * What the compare view needs of every model of an algorithm: scores per dataset, and params.
 * `boards`, the algorithm's leaderboards when the caller has them, already hold every score (the
 * same definition), so nothing is scored twice.
 */
export function compareData(models: Model[], algorithm: string, stages: StageAssignments, config: Pick<RegistryConfig, 'metrics' | 'default_metric'>, boards?: Leaderboard[]): CompareData {
  const own = models.filter((m) => m.metadata.algorithm === algorithm);
  const held = new Map<string, string[]>();
  for (const [stage, id] of Object.entries(stages[algorithm] ?? {})) held.set(id, [...(held.get(id) ?? []), stage]);
  const names = new Set<string>();
  const datasets = new Set<string>();
  let scored: Map<string, Record<string, Record<string, number>>> | undefined;
  if (boards) {
    scored = new Map();
    for (const lb of boards) {
      for (const row of lb.rows) {
        let r = scored.get(row.id);
        if (!r) scored.set(row.id, (r = {}));
        r[lb.dataset] = row.v;
        for (const m in row.v) names.add(m);
        datasets.add(lb.dataset);
      }
    }
  }
  const out: CompareModel[] = own.map(({ metadata: meta }) => {
    const r: Record<string, Record<string, number>> = scored ? (scored.get(meta.model_id) ?? {}) : {};
    const pairs = new Set<string>();
    if (!scored) for (const t of onlyResults(meta.testing)) for (const m of Object.keys(t.performance ?? {})) pairs.add(`${t.dataset}\0${m}`);
    for (const pair of pairs) {
      const [dataset, metric] = pair.split('\0') as [string, string];
      const direction = metricDirection(config, metric);
      const agg = metricAggregate(config, metric);
      const s = scoreOf(meta, { dataset, metric, direction: direction ?? 'min', aggregate: agg === 'best' && !direction ? 'latest' : agg });
      if (!s) continue;
      (r[dataset] ??= {})[metric] = s.value;
      names.add(metric);
      datasets.add(dataset);
    }
    const t = meta.training?.training_time;
    return {
      id: meta.model_id,
      trained_on: typeof meta.training?.dataset === 'string' ? meta.training.dataset : null,
      trained_at: trainedAt(meta),
      training_time: typeof t === 'number' && Number.isFinite(t) ? t : null,
      tags: meta.tags ?? [],
      hp: paramsOf(meta),
      r,
      stages: held.get(meta.model_id) ?? [],
    };
  });
  return {
    algorithm,
    metrics: [...names].sort().map((name) => ({ name, direction: metricDirection(config, name) ?? null })),
    datasets: [...datasets].sort(),
    models: out,
  };
}

export interface DatasetSummary {
  dataset: string;
  models: number;
  metric: string | null;
  direction: Direction | null;
  best: { model_id: string; value: number } | null;
}

export interface AlgorithmSummary {
  algorithm: string;
  models: number;
  tested: number;
  datasets: DatasetSummary[];
  stages: Record<string, string>;
}

export function algorithmSummary(models: Model[], algorithm: string, stages: StageAssignments, config: Pick<RegistryConfig, 'metrics' | 'default_metric'>): AlgorithmSummary {
  const own = models.filter((m) => m.metadata.algorithm === algorithm);
  const datasets = datasetsOf(own).map((dataset): DatasetSummary => {
    const cols = metricsOf(own, dataset).map((name) => ({ name, direction: metricDirection(config, name) ?? null }));
    const metric = defaultMetricOf(cols, config);
    const direction = cols.find((c) => c.name === metric)?.direction ?? null;
    const pick = metric && direction ? bestOf(own, { dataset, metric, direction, aggregate: metricAggregate(config, metric) }) : undefined;
    return {
      dataset,
      models: own.filter((m) => onlyResults(m.metadata.testing).some((r) => r.dataset === dataset)).length,
      metric,
      direction,
      best: pick ? { model_id: pick.model.metadata.model_id, value: pick.value } : null,
    };
  });
  return {
    algorithm,
    models: own.length,
    tested: own.filter((m) => m.metadata.testing.length > 0).length,
    datasets,
    stages: { ...(stages[algorithm] ?? {}) },
  };
}

/** An algorithm's summary and its count of test results. */
export interface AlgorithmTotals {
  summary: AlgorithmSummary;
  results: number;
}

/**
 * scoreOf's value over results all on the query's dataset, without its list of hits (it runs for
 * every model of an algorithm on each dataset). The same aggregates, in the same order of
 * additions; the tests compare summarizeAlgorithm with algorithmSummary, which uses scoreOf.
 */
function scoreValue(on: TestResult[], q: ScoreQuery): { value: number } | undefined {
  let count = 0;
  let value = 0;
  let sum = 0;
  for (const r of on) {
    const v = r.performance?.[q.metric];
    if (typeof v !== 'number' || !Number.isFinite(v)) continue;
    if (q.aggregate === 'best') {
      if (count === 0 || isBetter(v, value, q.direction)) value = v;
    } else if (q.aggregate === 'mean') sum += v;
    else value = v;
    count++;
  }
  if (count === 0) return undefined;
  return { value: q.aggregate === 'mean' ? sum / count : value };
}

/**
 * `algorithmSummary` in one pass over the algorithm's models: each model's results are grouped by
 * dataset once, and each dataset's best is found by scoring each model once on the default metric
 * from its results there (the same values, ties broken as bestOf breaks them). algorithmSummary,
 * which filters every model for every dataset and scores them all again for each best, is the
 * definition; tests compare the two on random registries. This is what both report builds keep
 * in the report state, for every algorithm (the whole build) or each one whose pages change.
 */
export function summarizeAlgorithm(own: Model[], algorithm: string, stages: StageAssignments, config: Pick<RegistryConfig, 'metrics' | 'default_metric'>, byDataset = resultsByDataset(own)): AlgorithmTotals {
  let tested = 0;
  let results = 0;
  for (const { metadata: meta } of own) {
    if (meta.testing.length > 0) tested++;
    results += meta.testing.length;
  }
  const datasets: DatasetSummary[] = [];
  for (const dataset of [...byDataset.keys()].sort()) {
    const { names, entries } = byDataset.get(dataset)!;
    const metrics = [...names].sort().map((name) => ({ name, direction: metricDirection(config, name) ?? null }));
    const metric = defaultMetricOf(metrics, config);
    const direction = metrics.find((m) => m.name === metric)?.direction ?? null;
    let best: RankedScore | undefined;
    if (metric && direction) {
      const q: ScoreQuery = { dataset, metric, direction, aggregate: metricAggregate(config, metric) };
      for (const { meta, on } of entries) {
        // scored from this dataset's results alone: the same hits, in the same order, as scoreOf's
        const s = scoreValue(on, q);
        if (!s) continue;
        const candidate = { id: meta.model_id, value: s.value, trainedAt: trainedAt(meta) };
        if (!best || outranks(candidate, best, direction)) best = candidate;
      }
    }
    datasets.push({ dataset, models: entries.length, metric, direction, best: best ? { model_id: best.id, value: best.value } : null });
  }
  return {
    summary: { algorithm, models: own.length, tested, datasets, stages: { ...(stages[algorithm] ?? {}) } },
    results,
  };
}

/** Every algorithm with a model now or a stage assignment, sorted. */
export function algorithmsOf(models: Model[], stages: StageAssignments): string[] {
  const s = new Set<string>(Object.keys(stages ?? {}));
  for (const m of models) s.add(m.metadata.algorithm);
  return [...s].sort();
}

export interface ModelListRow {
  id: string;
  trained_at: string;
  trained_on: string | null;
  tags: string[];
  results: number;
  datasets: string[];
  stages: string[];
}

/** One row per model of an algorithm, tested or not (the algorithm page's model list). */
export function modelList(models: Model[], algorithm: string, stages: StageAssignments): ModelListRow[] {
  const held = new Map<string, string[]>();
  for (const [stage, id] of Object.entries(stages[algorithm] ?? {})) held.set(id, [...(held.get(id) ?? []), stage]);
  return models
    .filter((m) => m.metadata.algorithm === algorithm)
    .map(({ metadata: meta }) => ({
      id: meta.model_id,
      trained_at: trainedAt(meta),
      trained_on: typeof meta.training?.dataset === 'string' ? meta.training.dataset : null,
      tags: meta.tags ?? [],
      results: meta.testing.length,
      datasets: [...new Set(onlyResults(meta.testing).map((r) => r.dataset))],
      stages: held.get(meta.model_id) ?? [],
    }));
}
