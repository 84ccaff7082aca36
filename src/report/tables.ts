// What the report's tables show, derived from the models at HEAD. Pure. Scores come from
// domain/selection (the one ranking), so a leaderboard's first row is what `best` answers.
import { metricDirection, metricAggregate } from '../domain/metrics.js';
import { trainedAt } from '../domain/metadata.js';
import { isBetter } from '../domain/metrics.js';
import { datasetsOf, metricsOf, scoreOf, type ScoreQuery } from '../domain/selection.js';
import type { Direction, Model, ModelMetadata, RegistryConfig, StageAssignments } from '../domain/types.js';

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
  /** numeric hyperparameters only (they are what a scatter can plot) */
  hp: Record<string, number>;
  /** metric → score (the latest result on this dataset) */
  v: Record<string, number>;
  tested_at: string | null;
  results: number;
}

export interface Leaderboard {
  algorithm: string;
  dataset: string;
  metrics: MetricColumn[];
  defaultMetric: string | null;
  rows: LeaderboardRow[];
  hyperparams: string[];
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

function numericParams(meta: ModelMetadata): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(meta.training?.hyperparams ?? {})) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
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

/** The leaderboard of one algorithm's models on one dataset: every model with a result there. */
export function leaderboard(models: Model[], algorithm: string, dataset: string, config: Pick<RegistryConfig, 'metrics' | 'default_metric'>): Leaderboard {
  const own = models.filter((m) => m.metadata.algorithm === algorithm);
  const names = metricsOf(own, dataset);
  const metrics: MetricColumn[] = names.map((name) => {
    const direction = metricDirection(config, name) ?? null;
    const pick = direction ? bestOf(own, { dataset, metric: name, direction, aggregate: metricAggregate(config, name) }) : undefined;
    return { name, direction, models: 0, best: pick?.model.metadata.model_id ?? null };
  });
  const rows: LeaderboardRow[] = [];
  const hyper = new Set<string>();
  for (const { metadata: meta } of own) {
    const on = (meta.testing ?? []).filter((r) => r.dataset === dataset);
    if (on.length === 0) continue;
    const v: Record<string, number> = {};
    metrics.forEach((col) => {
      // (best of several results only with a known direction; else the latest)
      const agg = metricAggregate(config, col.name);
      const s = scoreOf(meta, { dataset, metric: col.name, direction: col.direction ?? 'min', aggregate: agg === 'best' && !col.direction ? 'latest' : agg });
      if (s) {
        v[col.name] = s.value;
        col.models++;
      }
    });
    const hp = numericParams(meta);
    for (const k of Object.keys(hp)) hyper.add(k);
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
  return { algorithm, dataset, metrics, defaultMetric: defaultMetricOf(metrics, config), rows, hyperparams: [...hyper].sort() };
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
      models: own.filter((m) => m.metadata.testing.some((r) => r.dataset === dataset)).length,
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
      datasets: [...new Set(meta.testing.map((r) => r.dataset))],
      stages: held.get(meta.model_id) ?? [],
    }));
}
