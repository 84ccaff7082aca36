// `compare` output in four formats from one Comparison: table (terminal), md (pull requests),
// csv (spreadsheets) and json (DESIGN §5b: {metric_columns, rows: [{model_id, training, results}]}).
import { aggregateNote, type Comparison, type ComparisonCell, type ComparisonColumn } from '../domain/comparison.js';
import { renderCsv } from './csv.js';
import { formatNumber, formatPercent, formatSigned, formatValue } from './format.js';
import { renderMarkdownTable } from './markdown.js';
import { renderJson } from './json.js';
import { renderTable, type Align } from './table.js';

export const COMPARE_FORMATS = ['table', 'md', 'csv', 'json'] as const;
export type CompareFormat = (typeof COMPARE_FORMATS)[number];

export function comparisonJson(c: Comparison) {
  return {
    metric_columns: c.columns.map((col) => ({
      dataset: col.dataset,
      metric: col.metric,
      direction: col.direction ?? null,
      aggregate: col.aggregate,
      best_value: col.best_value ?? null,
      best_model_ids: col.best_model_ids,
    })),
    rows: c.rows.map((row) => {
      const best: Record<string, string[]> = {};
      const deltas: Record<string, Record<string, { absolute: number; percent: number | null }>> = {};
      row.cells.forEach((cell, i) => {
        const col = c.columns[i]!;
        if (cell.best) (best[col.dataset] ??= []).push(col.metric);
        if (cell.delta) (deltas[col.dataset] ??= {})[col.metric] = cell.delta;
      });
      return { model_id: row.model_id, algorithm: row.algorithm, training: row.training, results: row.results, best, deltas };
    }),
    hyperparams: c.hyperparams,
    shared_hyperparams: c.shared_hyperparams,
    notes: c.notes,
    aggregate: c.aggregate,
    ...(c.skipped && { skipped: c.skipped }),
  };
}

function columnTitle(col: ComparisonColumn): string {
  return `${col.metric} on ${col.dataset}`;
}

function cellText(cell: ComparisonCell, mark: (s: string) => string): string {
  if (cell.value === undefined) return '-';
  const v = cell.best ? mark(formatNumber(cell.value)) : formatNumber(cell.value);
  return cell.delta ? `${v} (${formatSigned(cell.delta.absolute)}, ${formatPercent(cell.delta.percent)})` : v;
}

/** The grid people read: training info, then one column per (dataset, metric). */
function grid(c: Comparison, mark: (s: string) => string): { head: string[]; rows: string[][]; align: Align[] } {
  const algorithms = new Set(c.rows.map((r) => r.algorithm));
  const head = ['model'];
  const align: Align[] = ['left'];
  if (algorithms.size > 1) (head.push('algorithm'), align.push('left'));
  head.push('trained on', 'training_time');
  align.push('left', 'right');
  for (const hp of c.hyperparams) (head.push(hp), align.push('right'));
  for (const col of c.columns) (head.push(columnTitle(col)), align.push('right'));
  const rows = c.rows.map((row) => {
    const out = [row.model_id];
    if (algorithms.size > 1) out.push(row.algorithm);
    out.push(row.training?.dataset ?? '', formatValue(row.training?.training_time));
    for (const hp of c.hyperparams) out.push(formatValue(row.training?.hyperparams?.[hp]));
    row.cells.forEach((cell) => out.push(cellText(cell, mark)));
    return out;
  });
  return { head, rows, align };
}

function footnotes(c: Comparison, markName: string): string[] {
  const lines: string[] = [];
  const marked = c.columns.filter((col) => col.direction);
  if (marked.length) {
    const dirs = [...new Map(marked.map((col) => [col.metric, col.direction!])).entries()]
      .map(([metric, d]) => `${metric}: ${d === 'min' ? 'lower' : 'higher'} is better`)
      .join('; ');
    lines.push(`${markName} best in column (${dirs})`);
  }
  const what = aggregateNote(c);
  if (what) lines.push(what);
  if (c.rows.length > 1 && c.columns.length) lines.push(`(±x, ±y%) difference from ${c.rows[0]!.model_id}`);
  const shared = Object.entries(c.shared_hyperparams);
  if (shared.length) lines.push(`same for all: ${shared.map(([k, v]) => `${k}=${formatValue(v)}`).join(', ')}`);
  if (!c.columns.length) lines.push('no test results to compare');
  return [...lines, ...c.notes];
}

export function comparisonTable(c: Comparison): string {
  const g = grid(c, (s) => `${s} *`);
  return renderTable(g) + footnotes(c, '*').map((l) => `${l}\n`).join('');
}

export function comparisonMarkdown(c: Comparison): string {
  const g = grid(c, (s) => `**${s}**`);
  const notes = footnotes(c, '**bold**');
  return renderMarkdownTable(g.head, g.rows, g.align) + (notes.length ? '\n' + notes.map((l) => `- ${l}\n`).join('') : '');
}

/** Numbers stay numbers (no marks inside a value); the mark and deltas get their own columns. */
export function comparisonCsv(c: Comparison): string {
  const hpKeys = [...c.hyperparams];
  const head = ['model_id', 'algorithm', 'training_dataset', 'training_time', ...hpKeys.map((k) => `hyperparams.${k}`)];
  for (const col of c.columns) {
    const key = `${col.dataset}/${col.metric}`;
    head.push(key, `${key} best`, `${key} delta`, `${key} delta %`);
  }
  const rows: unknown[][] = c.rows.map((row) => {
    const out: unknown[] = [row.model_id, row.algorithm, row.training?.dataset, row.training?.training_time, ...hpKeys.map((k) => row.training?.hyperparams?.[k])];
    for (const cell of row.cells) out.push(cell.value, cell.best ? '*' : '', cell.delta?.absolute, cell.delta?.percent);
    return out;
  });
  return renderCsv([head, ...rows]);
}

export function renderComparison(c: Comparison, format: CompareFormat): string {
  switch (format) {
    case 'json':
      return renderJson(comparisonJson(c));
    case 'md':
      return comparisonMarkdown(c);
    case 'csv':
      return comparisonCsv(c);
    default:
      return comparisonTable(c);
  }
}
