// Scoring and ranking models on one metric and dataset. Pure; shared by best, cleanup, compare,
// promotion gates and resolve, so they can never disagree about which model is better.
import { isBetter } from './metrics.js';
import { algorithmOf } from './metadata.js';
import { summaryOf, type ModelSummary, type SummaryResult } from './summary.js';
import type { Aggregate, Direction, Model, TestResult } from './types.js';
import { isResult, onlyResults } from './types.js';

export interface ScoreQuery {
  dataset: string;
  metric: string;
  direction: Direction;
  /** latest (default): the latest result on the dataset; best: its best result; mean: the mean */
  aggregate?: Aggregate;
}

export interface Score {
  value: number;
  /**
   * the result that gives the value (for mean: the latest one that has the metric); scored from a
   * summary (summary.ts) it holds only dataset, tested_at and performance
   */
  result: TestResult;
  /** index of that result in metadata.testing */
  resultIndex: number;
  /** how many results on the dataset carry the metric */
  count: number;
}

/** A model's score on a dataset and metric, or undefined when it has no such result. */
export function scoreOf(meta: ModelSummary, q: ScoreQuery): Score | undefined {
  const hits: { r: TestResult; i: number; v: number }[] = [];
  const hit = (r: SummaryResult, i: number) => {
    if (!isResult(r)) return;
    const v = r.dataset === q.dataset ? r.performance?.[q.metric] : undefined;
    if (typeof v === 'number' && Number.isFinite(v)) hits.push({ r: r as TestResult, i, v });
  };
  // The same results, in the same order, either way: a stored summary reads only this dataset's.
  if ('testingOn' in meta && typeof meta.testingOn === 'function') for (const [i, r] of meta.testingOn(q.dataset)) hit(r, i);
  else (meta.testing ?? []).forEach(hit);
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

/** A score as the ranking compares it: the model's id, its value, and when it was trained. */
export interface RankedScore {
  id: string;
  value: number;
  trainedAt: string;
}

/**
 * Whether `a` ranks above `b` in rankModels' order: the better value, then trained first, then the
 * smaller id. What the report's one-pass derivations (best over time, summaries, leaderboards)
 * decide a lead by.
 */
export function outranks(a: RankedScore, b: RankedScore, direction: Direction): boolean {
  if (a.value !== b.value) return isBetter(a.value, b.value, direction);
  return (a.trainedAt.localeCompare(b.trainedAt) || a.id.localeCompare(b.id)) < 0;
}

// One collator for every comparison (String#localeCompare builds the same one per call), made on
// first use: building it loads ICU's collation data (~8 ms), and ids and timestamps of one shape
// never need it.
let collator: Intl.Collator | undefined;

/**
 * `a.localeCompare(b)`, without the collator for strings of one shape (same length, differing only
 * where both hold ASCII digits, as timestamps of one format and most ids do): there collation
 * orders the first differing digit, which code units order the same way.
 */
export function localeOrder(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === b.length) {
    let i = 0;
    for (; i < a.length; i++) {
      const x = a.charCodeAt(i);
      const y = b.charCodeAt(i);
      if (x !== y && !(x >= 48 && x <= 57 && y >= 48 && y <= 57)) break;
    }
    if (i === a.length) return a < b ? -1 : 1;
  }
  return (collator ??= new Intl.Collator()).compare(a, b);
}

/**
 * Whether every string has one shape: the same length, with ASCII digits in the same places and the
 * same other characters around them (timestamps of one format). Between two such strings
 * localeOrder always takes its code-unit path, so `<` gives its answer without a call per compare.
 */
export function oneShape(strings: string[]): boolean {
  const first = strings[0];
  if (first === undefined) return true;
  const n = first.length;
  const isDigit = (c: number) => c >= 48 && c <= 57;
  for (const s of strings) {
    if (s.length !== n) return false;
    for (let i = 0; i < n; i++) {
      const x = s.charCodeAt(i);
      const y = first.charCodeAt(i);
      // Each differs from the first only digit for digit, so any two differ only digit for digit.
      if (x !== y && !(isDigit(x) && isDigit(y))) return false;
    }
  }
  return true;
}

/** localeOrder over strings known to have one shape (oneShape): plain code-unit order. */
function codeUnitOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** When the model was trained or created, for sorting by date (metadata.ts's trainedAt, for summaries). */
export function dateOf(s: ModelSummary): string {
  return s.training?.trained_at ?? s.created_at ?? '';
}

/** A model with its sort keys read once (comparators run n·log n times). */
interface Keyed<T> {
  item: T;
  date: string;
  id: string;
}

function keyed<T>(item: T, s: ModelSummary): Keyed<T> {
  return { item, date: dateOf(s), id: s.model_id };
}

/** The ranking order: better score first; ties go to the model created first, then the smaller id. */
function betterFirst(direction: Direction): (a: Keyed<RankedModel>, b: Keyed<RankedModel>) => number {
  return (a, b) => {
    const x = a.item.score.value;
    const y = b.item.score.value;
    if (x !== y) return isBetter(x, y, direction) ? -1 : 1;
    return localeOrder(a.date, b.date) || localeOrder(a.id, b.id);
  };
}

/**
 * Ranks models best first. Ties go to the model created first (an incumbent is not displaced by
 * an equal newcomer), then to the smaller id, so the answer is stable.
 */
export function rankModels(models: Model[], q: ScoreQuery): Ranking {
  const ranked: Keyed<RankedModel>[] = [];
  const untested: Keyed<Model>[] = [];
  for (const model of models) {
    const s = summaryOf(model);
    const score = scoreOf(s, q);
    if (score) ranked.push(keyed({ model, score }, s));
    else untested.push(keyed(model, s));
  }
  ranked.sort(betterFirst(q.direction));
  const dates = oneShape(untested.map((k) => k.date)) ? codeUnitOrder : localeOrder;
  untested.sort((a, b) => dates(b.date, a.date) || localeOrder(a.id, b.id));
  return { ranked: ranked.map((k) => k.item), untested: untested.map((k) => k.item) };
}

/** Models newest first by trained_at (else created_at); equal times put the later id (`_2`) first. */
export function sortNewestFirst(models: Model[]): Model[] {
  const keys = models.map((m) => keyed(m, summaryOf(m)));
  const dates = oneShape(keys.map((k) => k.date)) ? codeUnitOrder : localeOrder;
  keys.sort((a, b) => dates(b.date, a.date) || localeOrder(b.id, a.id));
  return keys.map((k) => k.item);
}

export interface Selection {
  best: RankedModel;
  runnerUp?: RankedModel;
  /** how many models had a result to compare */
  candidates: number;
}

/** rankModels' first two and how many it ranks, in one pass (no sort of every candidate). */
export function selectBest(models: Model[], q: ScoreQuery): Selection | undefined {
  const order = betterFirst(q.direction);
  let best: Keyed<RankedModel> | undefined;
  let runnerUp: Keyed<RankedModel> | undefined;
  let candidates = 0;
  for (const model of models) {
    const s = summaryOf(model);
    const score = scoreOf(s, q);
    if (!score) continue;
    candidates++;
    const k = keyed({ model, score }, s);
    if (!best || order(k, best) < 0) [runnerUp, best] = [best, k];
    else if (!runnerUp || order(k, runnerUp) < 0) runnerUp = k;
  }
  return best && { best: best.item, runnerUp: runnerUp?.item, candidates };
}

/** Every dataset any of the models was tested on, sorted. */
export function datasetsOf(models: Model[]): string[] {
  const s = new Set<string>();
  for (const m of models) for (const r of onlyResults(summaryOf(m).testing)) s.add(r.dataset);
  return [...s].sort();
}

/** Every metric recorded on `dataset` (or on any dataset), sorted. */
export function metricsOf(models: Model[], dataset?: string): string[] {
  const s = new Set<string>();
  for (const m of models) for (const r of onlyResults(summaryOf(m).testing)) if (!dataset || r.dataset === dataset) for (const k of Object.keys(r.performance ?? {})) s.add(k);
  return [...s].sort();
}

export function modelsOf(models: Model[], algorithm?: string): Model[] {
  // algorithmOf: filtering 100,000 cached models must not parse the 80,000 of other algorithms.
  return algorithm ? models.filter((m) => algorithmOf(m) === algorithm) : models;
}
