// Filtering and ordering models for `list`. Pure: the registry layer reads, this decides.
import { algorithmOf } from './metadata.js';
import { datasetsWithMetric } from './datasets.js';
import { rankModels, scoreOf, sortNewestFirst, type Score } from './selection.js';
import { summaryOf } from './summary.js';
import type { Aggregate, Direction, Model } from './types.js';

export interface ListFilter {
  algorithm?: string;
  /** training dataset (training.dataset) */
  dataset?: string;
  /** a model must carry every one of these */
  tags?: string[];
}

export function filterModels(models: Model[], f: ListFilter): Model[] {
  const tags = f.tags ?? [];
  return models.filter((m) => {
    // algorithmOf first: the other algorithms' models are never parsed (snapshot cache).
    if (f.algorithm !== undefined && algorithmOf(m) !== f.algorithm) return false;
    const meta = summaryOf(m);
    if (f.dataset !== undefined && meta.training?.dataset !== f.dataset) return false;
    return tags.every((t) => (meta.tags ?? []).includes(t));
  });
}

export type ListSort =
  | { by: 'date' }
  /** dataset undefined: no listed model carries the metric, so every model counts as untested */
  | { by: 'metric'; metric: string; dataset?: string; direction: Direction; aggregate: Aggregate };

export interface ListEntry {
  model: Model;
  /** the model's score on the sort metric and dataset (metric sort only) */
  score?: Score;
}

/** Orders models: newest first, or best first on a metric with untested models last (newest first). */
export function sortListing(models: Model[], sort: ListSort): ListEntry[] {
  if (sort.by === 'date' || sort.dataset === undefined) return sortNewestFirst(models).map((model) => ({ model }));
  const { ranked, untested } = rankModels(models, { dataset: sort.dataset, metric: sort.metric, direction: sort.direction, aggregate: sort.aggregate });
  // Untested models keep the date order of a plain listing (rankModels breaks same-second ties the other way).
  return [...ranked.map((r) => ({ model: r.model, score: r.score })), ...sortNewestFirst(untested).map((model) => ({ model }))];
}

/** `list --results`: each model's score on `metric`, one column per dataset. */
export interface ResultsView {
  metric: string;
  aggregate: Aggregate;
  /** undefined when neither config nor the name tells (then aggregate is never `best`) */
  direction?: Direction;
  /** the columns: datasets any listed model has the metric on (or the one asked for), sorted */
  datasets: string[];
}

/** The columns of a results view over `models`; `only` keeps one dataset. */
export function resultsView(models: Model[], q: { metric: string; aggregate: Aggregate; direction?: Direction; only?: string }): ResultsView {
  const datasets = q.only !== undefined ? [q.only] : datasetsWithMetric(models, q.metric);
  return { metric: q.metric, aggregate: q.aggregate, direction: q.direction, datasets };
}

/** A model's score on each of the view's datasets (absent: no result there). */
export function resultsOf(model: Model, view: ResultsView): Map<string, Score> {
  const out = new Map<string, Score>();
  const s = summaryOf(model);
  // latest and mean don't depend on the direction; best is only asked for with one known.
  const direction = view.direction ?? 'min';
  for (const dataset of view.datasets) {
    const score = scoreOf(s, { dataset, metric: view.metric, direction, aggregate: view.aggregate });
    if (score) out.set(dataset, score);
  }
  return out;
}
