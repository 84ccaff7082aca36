// list: the registry's models filtered and sorted (by date, or best first on a metric), optionally
// with each model's score per dataset (--results).
import type { ErrorLocation } from '../errors.js';
import { UsageError } from '../errors.js';
import { chooseDataset } from '../domain/datasets.js';
import { filterModels, resultsView, sortListing, type ListEntry, type ListSort, type ResultsView } from '../domain/listing.js';
import { metricAggregate, metricDirection } from '../domain/metrics.js';
import { assertSafeName } from '../domain/names.js';
import type { Aggregate, Direction } from '../domain/types.js';
import { onlyResults } from '../domain/types.js';
import { summaryOf } from '../domain/summary.js';
import type { Registry } from './registry.js';
import { assertAggregate, assertDirection, checkInvalidFiles, resolveAt, unknownDirection } from './query-options.js';

export const DATE_SORT = 'trained_at';

export interface ListQuery {
  algorithm?: string;
  /** training dataset */
  dataset?: string;
  /** every one of these */
  tags?: string[];
  /** `trained_at` (default) or a metric name */
  sort?: string;
  /** the dataset a metric sort scores on */
  on?: string;
  direction?: Direction;
  /** how a model's results on a dataset make its score (default: the metric's setting, else latest) */
  aggregate?: Aggregate;
  /** show each model's score per dataset */
  results?: boolean;
  /** the metric --results shows (default: the sort metric, else default_metric) */
  metric?: string;
  /** answer without model files that can't be read (else they fail the query) */
  skipInvalid?: boolean;
  limit?: number;
  /** list the registry as of this revision or date (resolveAt) instead of HEAD */
  at?: string;
}

export interface ListAnswer {
  entries: ListEntry[];
  /** matching models before --limit */
  total: number;
  sort: ListSort;
  /** with --results: the metric, aggregate and dataset columns */
  results?: ResultsView;
  /** files that could be listed models but can't be read, left out (only with --skipInvalid) */
  problems: ErrorLocation[];
  /** things the reader should know (printed on stderr) */
  notes: string[];
}

export async function list(reg: Registry, q: ListQuery = {}): Promise<ListAnswer> {
  if (q.algorithm !== undefined) assertSafeName('algorithm', q.algorithm, '--algo');
  if (q.dataset !== undefined) assertSafeName('dataset', q.dataset, '--dataset');
  for (const t of q.tags ?? []) assertSafeName('tag', t, '--tag');
  const sortKey = q.sort ?? DATE_SORT;
  const byMetric = sortKey !== DATE_SORT;
  if (byMetric) assertSafeName('metric', sortKey, '--sort');
  if (q.on !== undefined) {
    assertSafeName('dataset', q.on, '--on');
    if (!byMetric && !q.results) throw new UsageError('--on names the dataset a metric sort scores on (or the one --results shows); use it with --sort METRIC or --results');
  }
  if (q.metric !== undefined) {
    assertSafeName('metric', q.metric, '--metric');
    if (!q.results) throw new UsageError('--metric names the metric --results shows; use it with --results (a sort is --sort METRIC)');
  }
  if (q.aggregate !== undefined) {
    assertAggregate(q.aggregate);
    if (!byMetric && !q.results) throw new UsageError("--aggregate says how a model's results make its score; use it with --sort METRIC or --results");
  }
  if (q.direction !== undefined) {
    assertDirection(q.direction);
    if (!byMetric) throw new UsageError('--direction applies to a metric sort; use it with --sort METRIC');
  }
  if (q.limit !== undefined && (!Number.isSafeInteger(q.limit) || q.limit < 1)) throw new UsageError(`--limit must be a whole number of at least 1 (got ${q.limit})`);

  const revision = q.at === undefined ? 'HEAD' : await resolveAt(reg, q.at);
  // A short listing is kept by the models tree (store/answers.ts): asked again, no summary is read.
  const shelf = q.limit !== undefined && q.limit <= MAX_KEPT ? await reg.answerShelf<ListAnswer>(revision, 'list', [q.algorithm ?? null, q.dataset ?? null, q.tags ?? [], sortKey, q.on ?? null, q.direction ?? null, q.aggregate ?? null, !!q.results, q.metric ?? null, !!q.skipInvalid, q.limit]) : undefined;
  const kept = shelf?.kept();
  if (kept) return kept.value;
  const answer = await listAt(reg, q, revision, sortKey);
  shelf?.keep(answer);
  return answer;
}

/** The longest listing kept on the answer shelf (a terminal's default is 50). */
const MAX_KEPT = 100;

async function listAt(reg: Registry, q: ListQuery, revision: string, sortKey: string): Promise<ListAnswer> {
  const byMetric = sortKey !== DATE_SORT;
  const view = await reg.models(q.algorithm, revision);
  // Any listed model could be one of the unreadable files (a filter can't tell): the listing refuses.
  const skipped = checkInvalidFiles(view.problems, reg.config, q.algorithm !== undefined ? { kind: 'algorithm', algorithm: q.algorithm } : { kind: 'all' }, q.skipInvalid);
  const models = filterModels(view.models, { algorithm: q.algorithm, dataset: q.dataset, tags: q.tags });
  const notes: string[] = [];
  let sort: ListSort = { by: 'date' };
  if (byMetric) {
    const metric = sortKey;
    const direction = metricDirection(reg.config, metric, q.direction);
    if (!direction) throw unknownDirection(metric);
    const choice = chooseDataset(models, metric, q.on ?? q.dataset);
    if (choice.kind === 'ambiguous') {
      throw new UsageError(`--sort ${metric}: the listed models have ${metric} results on several datasets (${choice.datasets.join(', ')}); say which with --on DATASET`);
    }
    const dataset = choice.kind === 'none' ? undefined : choice.dataset;
    sort = { by: 'metric', metric, dataset, direction, aggregate: metricAggregate(reg.config, metric, q.aggregate) };
    if (models.length > 0 && (!dataset || !models.some((m) => onlyResults(summaryOf(m).testing).some((r) => r.dataset === dataset && typeof r.performance?.[metric] === 'number')))) {
      notes.push(`no listed model has a ${metric} result${dataset ? ` on ${dataset}` : ''}; sorted by date`);
    }
  }
  let results: ResultsView | undefined;
  if (q.results) {
    const metric = q.metric ?? (byMetric ? sortKey : reg.config.default_metric);
    const aggregate = metricAggregate(reg.config, metric, q.aggregate);
    const direction = metricDirection(reg.config, metric, byMetric && metric === sortKey ? q.direction : undefined);
    // The best of several results needs to know which way is better; latest and mean don't.
    if (aggregate === 'best' && !direction) throw unknownDirection(metric);
    // With a sort, --on is the dataset it ranks on and every dataset is shown; alone it picks the column.
    results = resultsView(models, { metric, aggregate, direction, only: byMetric ? undefined : q.on });
    if (models.length > 0 && results.datasets.length === 0) notes.push(`no listed model has a ${metric} result; --metric M shows another metric`);
  }
  const entries = sortListing(models, sort);
  return { entries: q.limit ? entries.slice(0, q.limit) : entries, total: entries.length, sort, results, problems: skipped, notes };
}
