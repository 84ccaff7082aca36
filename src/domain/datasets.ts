// Which dataset a query means when the user didn't say. Pure.
import { summaryOf } from './summary.js';
import { isResult, type Model } from './types.js';

/** Datasets on which at least one of `models` has a numeric `metric` result, sorted. */
export function datasetsWithMetric(models: Model[], metric: string): string[] {
  const s = new Set<string>();
  for (const m of models) {
    for (const r of summaryOf(m).testing ?? []) {
      if (!isResult(r)) continue;
      const v = r.performance?.[metric];
      if (typeof v === 'number' && Number.isFinite(v)) s.add(r.dataset);
    }
  }
  return [...s].sort();
}

export type DatasetChoice =
  | { kind: 'given'; dataset: string }
  | { kind: 'only'; dataset: string }
  | { kind: 'none' }
  | { kind: 'ambiguous'; datasets: string[] };

/**
 * The dataset to score `metric` on: the one given, else the only dataset that carries the metric
 * among `models`. Datasets without the metric can't rank anything, so they don't make the choice
 * ambiguous (a model tested for accuracy on `job` doesn't stop `best` answering total_time on
 * `production`).
 */
export function chooseDataset(models: Model[], metric: string, given?: string): DatasetChoice {
  if (given !== undefined) return { kind: 'given', dataset: given };
  const datasets = datasetsWithMetric(models, metric);
  if (datasets.length === 0) return { kind: 'none' };
  if (datasets.length === 1) return { kind: 'only', dataset: datasets[0]! };
  return { kind: 'ambiguous', datasets };
}
