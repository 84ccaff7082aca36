// Scoring and ranking models on one metric and dataset. Pure; shared by best, cleanup, compare,
// promotion gates and resolve, so they can never disagree about which model is better.
import { isBetter } from './metrics.js';
import { algorithmOf, trainedAt } from './metadata.js';
import type { Aggregate, Direction, Model, ModelMetadata, TestResult } from './types.js';

export interface ScoreQuery {
  dataset: string;
  metric: string;
  direction: Direction;
  /** latest (default): the latest result on the dataset; best: its best result; mean: the mean */
  aggregate?: Aggregate;
}

export interface Score {
  value: number;
  /** the result that gives the value (for mean: the latest one that has the metric) */
  result: TestResult;
  /** index of that result in metadata.testing */
  resultIndex: number;
  /** how many results on the dataset carry the metric */
  count: number;
}

/** A model's score on a dataset and metric, or undefined when it has no such result. */
export function scoreOf(meta: ModelMetadata, q: ScoreQuery): Score | undefined {
  const hits: { r: TestResult; i: number; v: number }[] = [];
  (meta.testing ?? []).forEach((r, i) => {
    const v = r.dataset === q.dataset ? r.performance?.[q.metric] : undefined;
    if (typeof v === 'number' && Number.isFinite(v)) hits.push({ r, i, v });
  });
  if (hits.length === 0) return undefined;
  const aggregate = q.aggregate ?? 'latest';
  if (aggregate === 'latest') {
    const h = hits[hits.length - 1]!;
    return { value: h.v, result: h.r, resultIndex: h.i, count: hits.length };
  }
  if (aggregate === 'best') {
    let b = hits[0]!;
    for (const h of hits) if (isBetter(h.v, b.v, q.direction)) b = h;
    return { value: b.v, result: b.r, resultIndex: b.i, count: hits.length };
  }
  const mean = hits.reduce((s, h) => s + h.v, 0) / hits.length;
  const last = hits[hits.length - 1]!;
  return { value: mean, result: last.r, resultIndex: last.i, count: hits.length };
}

export interface RankedModel {
  model: Model;
  score: Score;
}

export interface Ranking {
  /** tested models, best first */
  ranked: RankedModel[];
  /** models with no result for the dataset and metric, newest first */
  untested: Model[];
}

function byNewest(a: Model, b: Model): number {
  return trainedAt(b.metadata).localeCompare(trainedAt(a.metadata)) || a.metadata.model_id.localeCompare(b.metadata.model_id);
}

/**
 * Ranks models best first. Ties go to the model created first (an incumbent is not displaced by
 * an equal newcomer), then to the smaller id, so the answer is stable.
 */
export function rankModels(models: Model[], q: ScoreQuery): Ranking {
  const ranked: RankedModel[] = [];
  const untested: Model[] = [];
  for (const model of models) {
    const score = scoreOf(model.metadata, q);
    if (score) ranked.push({ model, score });
    else untested.push(model);
  }
  ranked.sort((a, b) => {
    if (a.score.value !== b.score.value) return isBetter(a.score.value, b.score.value, q.direction) ? -1 : 1;
    return trainedAt(a.model.metadata).localeCompare(trainedAt(b.model.metadata)) || a.model.metadata.model_id.localeCompare(b.model.metadata.model_id);
  });
  untested.sort(byNewest);
  return { ranked, untested };
}

export interface Selection {
  best: RankedModel;
  runnerUp?: RankedModel;
  /** how many models had a result to compare */
  candidates: number;
}

export function selectBest(models: Model[], q: ScoreQuery): Selection | undefined {
  const { ranked } = rankModels(models, q);
  if (ranked.length === 0) return undefined;
  return { best: ranked[0]!, runnerUp: ranked[1], candidates: ranked.length };
}

/** Every dataset any of the models was tested on, sorted. */
export function datasetsOf(models: Model[]): string[] {
  const s = new Set<string>();
  for (const m of models) for (const r of m.metadata.testing ?? []) s.add(r.dataset);
  return [...s].sort();
}

/** Every metric recorded on `dataset` (or on any dataset), sorted. */
export function metricsOf(models: Model[], dataset?: string): string[] {
  const s = new Set<string>();
  for (const m of models) for (const r of m.metadata.testing ?? []) if (!dataset || r.dataset === dataset) for (const k of Object.keys(r.performance ?? {})) s.add(k);
  return [...s].sort();
}

export function modelsOf(models: Model[], algorithm?: string): Model[] {
  // algorithmOf: filtering 100,000 cached models must not parse the 80,000 of other algorithms.
  return algorithm ? models.filter((m) => algorithmOf(m) === algorithm) : models;
}
