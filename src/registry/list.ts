// list: the registry's models filtered and sorted (by date, or best first on a metric).
import type { ErrorLocation } from '../errors.js';
import { UsageError } from '../errors.js';
import { chooseDataset } from '../domain/datasets.js';
import { filterModels, sortListing, type ListEntry, type ListSort } from '../domain/listing.js';
import { metricDirection } from '../domain/metrics.js';
import { assertSafeName } from '../domain/names.js';
import type { Direction } from '../domain/types.js';
import { summaryOf } from '../domain/summary.js';
import type { Registry } from './registry.js';
import { assertDirection, unknownDirection } from './query-options.js';
import { registryModels } from './snapshot.js';

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
  limit?: number;
}

export interface ListAnswer {
  entries: ListEntry[];
  /** matching models before --limit */
  total: number;
  sort: ListSort;
  /** files in the tree that couldn't be read as models */
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
    if (!byMetric) throw new UsageError('--on names the dataset a metric sort scores on; use it with --sort METRIC');
  }
  if (q.direction !== undefined) {
    assertDirection(q.direction);
    if (!byMetric) throw new UsageError('--direction applies to a metric sort; use it with --sort METRIC');
  }
  if (q.limit !== undefined && (!Number.isSafeInteger(q.limit) || q.limit < 1)) throw new UsageError(`--limit must be a whole number of at least 1 (got ${q.limit})`);

  const view = await registryModels(reg, q.algorithm);
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
    sort = { by: 'metric', metric, dataset, direction };
    if (models.length > 0 && (!dataset || !models.some((m) => summaryOf(m).testing.some((r) => r.dataset === dataset && typeof r.performance?.[metric] === 'number')))) {
      notes.push(`no listed model has a ${metric} result${dataset ? ` on ${dataset}` : ''}; sorted by date`);
    }
  }
  const entries = sortListing(models, sort);
  return { entries: q.limit ? entries.slice(0, q.limit) : entries, total: entries.length, sort, problems: view.problems, notes };
}
