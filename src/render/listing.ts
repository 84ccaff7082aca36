// `list` output: a table for people, an array of metadata objects for programs (DESIGN §5b).
// A metric sort adds each object's `score`, --results its `scores` (added fields; the metadata
// fields stay as they are).
import type { ListAnswer } from '../registry/list.js';
import { aggregateText } from '../domain/metrics.js';
import { resultsOf } from '../domain/listing.js';
import { formatDate, formatNumber } from './format.js';
import { renderTable } from './table.js';
import { summaryOf } from '../domain/summary.js';

export function listingJson(a: ListAnswer): unknown[] {
  const sort = a.sort.by === 'metric' ? a.sort : undefined;
  const view = a.results;
  if (!sort && !view) return a.entries.map((e) => e.model.metadata);
  return a.entries.map((e) => {
    const out: Record<string, unknown> = { ...e.model.metadata };
    if (sort) {
      out.score = { metric: sort.metric, dataset: sort.dataset ?? null, direction: sort.direction, aggregate: sort.aggregate, value: e.score?.value ?? null, count: e.score?.count ?? 0 };
    }
    if (view) {
      const scores = resultsOf(e.model, view);
      out.scores = {
        metric: view.metric,
        aggregate: view.aggregate,
        direction: view.direction ?? null,
        datasets: Object.fromEntries([...scores].map(([d, s]) => [d, { value: s.value, count: s.count }])),
      };
    }
    return out;
  });
}

export function listingTable(a: ListAnswer): string {
  const metricSort = a.sort.by === 'metric' ? a.sort : undefined;
  const view = a.results;
  // The results view gives its width to the datasets: training dataset and tags make way.
  const head = view ? ['id', 'algorithm', 'trained'] : ['id', 'algorithm', 'trained', 'training dataset', 'tags'];
  const align: ('left' | 'right')[] = head.map(() => 'left');
  if (metricSort) {
    head.push(metricSort.dataset ? `${metricSort.metric} (${metricSort.dataset})` : metricSort.metric);
    align.push('right');
  }
  if (view) {
    for (const d of view.datasets) {
      head.push(d);
      align.push('right');
    }
  }
  const rows = a.entries.map((e) => {
    // Every column is a summary field: the table never parses a model's whole metadata.
    const m = summaryOf(e.model);
    const row = [m.model_id, m.algorithm, formatDate(m.training?.trained_at ?? m.created_at)];
    if (!view) row.push(m.training?.dataset ?? '', (m.tags ?? []).join(', '));
    if (metricSort) row.push(e.score ? formatNumber(e.score.value) : '');
    if (view) {
      const scores = resultsOf(e.model, view);
      for (const d of view.datasets) {
        const s = scores.get(d);
        row.push(s ? formatNumber(s.value) : '');
      }
    }
    return row;
  });
  return renderTable({ head, rows, align });
}

/** The line under the table: how many, how they are ordered, and what the scores are. */
export function listingSummary(a: ListAnswer): string {
  const shown = a.entries.length === a.total ? `${a.total} model${a.total === 1 ? '' : 's'}` : `${a.entries.length} of ${a.total} models`;
  const order =
    a.sort.by === 'metric' && a.sort.dataset
      ? `best ${a.sort.metric} on ${a.sort.dataset} first (${a.sort.direction === 'min' ? 'lower' : 'higher'} is better), untested last; a model's score is its ${aggregateText(a.sort.aggregate)}`
      : 'newest first';
  const v = a.results;
  const results = v
    ? `; ${v.metric} per dataset, ${aggregateText(v.aggregate)} of each model${v.direction ? ` (${v.direction === 'min' ? 'lower' : 'higher'} is better)` : ''}`
    : '';
  return `${shown}, ${order}${results}`;
}
