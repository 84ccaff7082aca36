// `list` output: a table for people, an array of metadata objects for programs (DESIGN §5b).
// A metric sort adds each object's `score`, --results its `scores` (added fields; the metadata
// fields stay as they are).
import type { ListAnswer } from '../registry/list.js';
import { aggregateText } from '../domain/metrics.js';
import { resultsOf } from '../domain/listing.js';
import { formatDate, formatNumber } from './format.js';
import { renderTable } from './table.js';
import { paint, type Output } from './terminal.js';
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

/** A date is cut to nothing useful: it keeps its width, or the column goes. */
const DATE_WIDTH = 16;

/**
 * The table. At a narrow terminal the scores stay and the rest makes way: tags first, then the
 * training dataset, the algorithm, the date. The best score (and, with --results and a known
 * direction, each dataset's best) is coloured when the output takes colour.
 */
export function listingTable(a: ListAnswer, out?: Output): string {
  const metricSort = a.sort.by === 'metric' ? a.sort : undefined;
  const view = a.results;
  // The results view gives its width to the datasets: training dataset and tags make way.
  const head = view ? ['id', 'algorithm', 'trained (UTC)'] : ['id', 'algorithm', 'trained (UTC)', 'training dataset', 'tags'];
  const align: ('left' | 'right')[] = head.map(() => 'left');
  const priority = view ? [0, 21, 20] : [0, 21, 20, 22, 23];
  if (metricSort) {
    head.push(metricSort.dataset ? `${metricSort.metric} (${metricSort.dataset})` : metricSort.metric);
    align.push('right');
    priority.push(1);
  }
  if (view) {
    view.datasets.forEach((d, i) => {
      head.push(d);
      align.push('right');
      priority.push(2 + Math.min(i, 17));
    });
  }
  // Best first: the first scored entry holds the best score (ties share it).
  const bestScore = metricSort ? a.entries.find((e) => e.score)?.score?.value : undefined;
  const viewScores = view ? a.entries.map((e) => resultsOf(e.model, view)) : [];
  const bestOf = new Map<string, number>();
  if (view?.direction) {
    for (const scores of viewScores) {
      for (const [d, s] of scores) {
        const b = bestOf.get(d);
        if (b === undefined || (view.direction === 'min' ? s.value < b : s.value > b)) bestOf.set(d, s.value);
      }
    }
  }
  const score = (v: number, best: number | undefined) => (out && best !== undefined && v === best ? paint(out, 'best', formatNumber(v)) : formatNumber(v));
  const rows = a.entries.map((e, k) => {
    // Every column is a summary field: the table never parses a model's whole metadata.
    const m = summaryOf(e.model);
    const row = [m.model_id, m.algorithm, formatDate(m.training?.trained_at ?? m.created_at)];
    if (!view) row.push(m.training?.dataset ?? '', (m.tags ?? []).join(', '));
    if (metricSort) row.push(e.score ? score(e.score.value, bestScore) : '');
    if (view) {
      const scores = viewScores[k]!;
      for (const d of view.datasets) {
        const s = scores.get(d);
        row.push(s ? score(s.value, bestOf.get(d)) : '');
      }
    }
    return row;
  });
  return renderTable({ head, rows, align, priority, minWidth: head.map((_, i) => (i === 2 ? DATE_WIDTH : 10)) }, out);
}

/** The line under the table: how many, how they are ordered, and what the scores are. */
export function listingSummary(a: ListAnswer, defaultLimit?: number): string {
  const shown = a.entries.length === a.total ? `${a.total} model${a.total === 1 ? '' : 's'}` : `${defaultLimit !== undefined ? 'showing ' : ''}${a.entries.length} of ${a.total} models`;
  const order =
    a.sort.by === 'metric' && a.sort.dataset
      ? `best ${a.sort.metric} on ${a.sort.dataset} first (${a.sort.direction === 'min' ? 'lower' : 'higher'} is better), untested last; a model's score is its ${aggregateText(a.sort.aggregate)}`
      : 'newest first';
  const v = a.results;
  const results = v
    ? `; ${v.metric} per dataset, ${aggregateText(v.aggregate)} of each model${v.direction ? ` (${v.direction === 'min' ? 'lower' : 'higher'} is better)` : ''}`
    : '';
  const more = defaultLimit !== undefined && a.entries.length < a.total ? '; --limit N or --all for more' : '';
  return `${shown}, ${order}${results}${more}`;
}
