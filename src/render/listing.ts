// `list` output: a table for people, an array of metadata objects for programs (DESIGN §5b).
import type { ListAnswer } from '../registry/list.js';
import { formatDate, formatNumber } from './format.js';
import { renderTable } from './table.js';
import { summaryOf } from '../domain/summary.js';

export function listingJson(a: ListAnswer): unknown[] {
  return a.entries.map((e) => e.model.metadata);
}

export function listingTable(a: ListAnswer): string {
  const metricSort = a.sort.by === 'metric' ? a.sort : undefined;
  const head = ['id', 'algorithm', 'trained', 'training dataset', 'tags'];
  const align: ('left' | 'right')[] = ['left', 'left', 'left', 'left', 'left'];
  if (metricSort) {
    head.push(metricSort.dataset ? `${metricSort.metric} (${metricSort.dataset})` : metricSort.metric);
    align.push('right');
  }
  const rows = a.entries.map((e) => {
    // Every column is a summary field: the table never parses a model's whole metadata.
    const m = summaryOf(e.model);
    const row = [m.model_id, m.algorithm, formatDate(m.training?.trained_at ?? m.created_at), m.training?.dataset ?? '', (m.tags ?? []).join(', ')];
    if (metricSort) row.push(e.score ? formatNumber(e.score.value) : '');
    return row;
  });
  return renderTable({ head, rows, align });
}

/** The line under the table: how many, and how they are ordered. */
export function listingSummary(a: ListAnswer): string {
  const shown = a.entries.length === a.total ? `${a.total} model${a.total === 1 ? '' : 's'}` : `${a.entries.length} of ${a.total} models`;
  const order =
    a.sort.by === 'metric' && a.sort.dataset
      ? `best ${a.sort.metric} on ${a.sort.dataset} first (${a.sort.direction === 'min' ? 'lower' : 'higher'} is better), untested last`
      : 'newest first';
  return `${shown}, ${order}`;
}
