// `compare` output in four formats from one Comparison: table (terminal), md (pull requests),
// csv (spreadsheets) and json (DESIGN §5b: {metric_columns, rows: [{model_id, training, results}]}).
//
// The table has two layouts (issue #17). Wide: one row per model, one column per training field,
// hyperparameter and (dataset, metric); it reads best when it fits, but three models on a few
// datasets take over 400 columns. Tall (transposed, as MLflow's compare): one column per model, one
// row per field, hyperparameter and result, so its width grows with the number of models only.
// The choice is `chooseLayout`, a pure function of measured widths and the output.
import { aggregateNote, type Comparison, type ComparisonCell, type ComparisonColumn, type ComparisonRow, type TrainingField } from '../domain/comparison.js';
import { renderCsv } from './csv.js';
import { formatNumber, formatPercent, formatSigned, formatValue } from './format.js';
import { renderMarkdownTable } from './markdown.js';
import { renderJson } from './json.js';
import { renderTable, tableWidth, wrap, type Align, type TableSpec } from './table.js';
import { paint, PLAIN_OUTPUT, type Output } from './terminal.js';

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
    ...(c.same_for_all && { same_for_all: c.same_for_all }),
    ...(c.skipped && { skipped: c.skipped }),
  };
}

export const COMPARE_LAYOUTS = ['wide', 'tall'] as const;
export type CompareLayout = (typeof COMPARE_LAYOUTS)[number];

/**
 * Columns a pipe is taken to have when choosing the layout. A pipe is mostly a CI log or a file read
 * in a pager: log viewers wrap or scroll lines past about 120 columns, and a wrapped wide table is
 * unreadable, while a tall one of a handful of models never wraps. So a pipe gets the wide table
 * only when it is as narrow as a terminal's would be, and is never shortened (a log is read whole).
 */
export const PIPE_WIDTH = 120;

/** A way to draw the table; `chooseLayout` picks the first that fits. */
export interface LayoutChoice {
  layout: CompareLayout;
  /**
   * inline: `41.7 * (-3.53, -7.8%, better)`; compact: `41.7 * -7.8% better`; stacked (tall only):
   * `-7.8% better` on a line of its own under the values
   */
  deltas: 'inline' | 'compact' | 'stacked';
  /** tall layout: model ids broken onto two lines at a `_`, `-` or `.` near the middle */
  splitIds: boolean;
  /** model columns shown (tall layout), the first ones given; the rest are named under the table */
  models: number;
}

export interface LayoutQuestion {
  out: Output;
  models: number;
  /** --layout */
  forced?: CompareLayout;
  /** columns the table takes drawn that way */
  measure: (choice: LayoutChoice) => number;
}

/**
 * Wide when it fits (the most familiar table); else tall, first with everything, then with shorter
 * deltas, then with ids on two lines, then with fewer model columns (the baseline and one other
 * always stay). A terminal narrower than even the most compact tall table of every model gets the
 * wide one instead when that is narrower: fewer things are then hidden by the table's fitting.
 * (Stacked deltas come last because they double the table's height.)
 */
export function chooseLayout(q: LayoutQuestion): LayoutChoice {
  const wide: LayoutChoice = { layout: 'wide', deltas: 'inline', splitIds: false, models: q.models };
  const tall: LayoutChoice = { layout: 'tall', deltas: 'inline', splitIds: false, models: q.models };
  if (q.forced === 'wide') return wide;
  const terminal = q.out.tty && q.out.width !== undefined;
  const limit = terminal ? q.out.width! : PIPE_WIDTH;
  if (q.forced !== 'tall' && q.measure(wide) <= limit) return wide;
  if (!terminal) return tall;
  const steps: LayoutChoice[] = [tall, { ...tall, deltas: 'compact' }, { ...tall, deltas: 'compact', splitIds: true }, { ...tall, deltas: 'stacked', splitIds: true }];
  for (const s of steps) if (q.measure(s) <= limit) return s;
  const tightest = steps[steps.length - 1]!;
  if (q.forced !== 'tall' && q.measure(wide) < q.measure(tightest)) return wide;
  for (let n = q.models - 1; n >= 2; n--) {
    const fewer = { ...tightest, models: n };
    if (q.measure(fewer) <= limit) return fewer;
  }
  return { ...tightest, models: Math.min(q.models, 2) };
}

interface CellStyle {
  out: Output;
  /** how the best value is marked */
  mark: (s: string) => string;
  /** delta text: with better/worse (inline, compact, stacked) or the markdown's plain `(±x, ±y%)` */
  deltas: LayoutChoice['deltas'] | 'plain';
}

function deltaText(cell: ComparisonCell, style: CellStyle): string {
  const d = cell.delta!;
  if (style.deltas === 'plain') return `(${formatSigned(d.absolute)}, ${formatPercent(d.percent)})`;
  if (style.deltas === 'compact' || style.deltas === 'stacked') {
    const amount = d.percent === null ? formatSigned(d.absolute) : formatPercent(d.percent);
    return paint(style.out, cell.verdict === 'better' ? 'better' : cell.verdict === 'worse' ? 'worse' : 'muted', cell.verdict ? `${amount} ${cell.verdict}` : amount);
  }
  const words = [formatSigned(d.absolute), formatPercent(d.percent), ...(cell.verdict ? [cell.verdict] : [])].join(', ');
  return paint(style.out, cell.verdict === 'better' ? 'better' : cell.verdict === 'worse' ? 'worse' : 'muted', `(${words})`);
}

function cellText(cell: ComparisonCell, style: CellStyle): string {
  if (cell.value === undefined) return '-';
  const v = cell.best ? style.mark(formatNumber(cell.value)) : formatNumber(cell.value);
  return cell.delta && style.deltas !== 'stacked' ? `${v} ${deltaText(cell, style)}` : v;
}

function columnTitle(col: ComparisonColumn): string {
  return `${col.metric} on ${col.dataset}`;
}

/** The training fields the table and markdown show: `algorithm` only when the models' differ. */
function shownFields(c: Comparison): TrainingField[] {
  const mixed = new Set(c.rows.map((r) => r.algorithm)).size > 1;
  return c.fields.filter((f) => f !== 'algorithm' || mixed);
}

function fieldText(row: ComparisonRow, field: TrainingField): string {
  if (field === 'algorithm') return row.algorithm;
  return field === 'trained on' ? (row.training?.dataset ?? '') : formatValue(row.training?.training_time);
}

/** The wide grid: one row per model, training fields, then one column per (dataset, metric). */
function grid(c: Comparison, style: CellStyle): TableSpec & { align: Align[] } {
  const fields = shownFields(c);
  const head = ['model', ...fields, ...c.hyperparams, ...c.columns.map(columnTitle)];
  const align: Align[] = ['left', ...fields.map((f): Align => (f === 'training_time' ? 'right' : 'left')), ...c.hyperparams.map((): Align => 'right'), ...c.columns.map((): Align => 'right')];
  const rows = c.rows.map((row) => [
    row.model_id,
    ...fields.map((f) => fieldText(row, f)),
    ...c.hyperparams.map((hp) => formatValue(row.training?.hyperparams?.[hp])),
    ...row.cells.map((cell) => cellText(cell, style)),
  ]);
  // Cut to a narrow terminal, the results go last: they are what a comparison is for; the
  // hyperparameters first, then the training fields.
  const n = c.columns.length;
  const priority = [0, ...fields.map((_, i) => n + 1 + i), ...c.hyperparams.map((_, i) => n + 1 + fields.length + i), ...c.columns.map((_, i) => 1 + i)];
  return { head, rows, align, priority };
}

/** `mscn_20241019_103000` → `mscn_20241019_` over `103000`: the break nearest the middle. */
export function splitId(id: string): string {
  let at = -1;
  for (let i = 1; i < id.length - 1; i++) {
    if ('_-.'.includes(id[i]!) && (at < 0 || Math.abs(i + 1 - id.length / 2) < Math.abs(at + 1 - id.length / 2))) at = i;
  }
  return at < 0 ? id : `${id.slice(0, at + 1)}\n${id.slice(at + 1)}`;
}

/**
 * The tall grid: one column per model, one row per training field, hyperparameter and result,
 * grouped under headings (training, hyperparameters, each test dataset) so row names stay short.
 */
function tallGrid(c: Comparison, style: CellStyle, choice: LayoutChoice): TableSpec & { align: Align[] } {
  const models = c.rows.slice(0, choice.models);
  const head = ['model', ...models.map((r) => (choice.splitIds ? splitId(r.model_id) : r.model_id))];
  const align: Align[] = ['left', ...models.map((): Align => 'right')];
  const rows: string[][] = [];
  const heading = (title: string) => rows.push([paint(style.out, 'heading', title), ...models.map(() => '')]);
  const fields = shownFields(c);
  if (fields.length) {
    heading('training');
    for (const f of fields) rows.push([`  ${f}`, ...models.map((r) => fieldText(r, f))]);
  }
  if (c.hyperparams.length) {
    heading('hyperparameters');
    for (const hp of c.hyperparams) rows.push([`  ${hp}`, ...models.map((r) => formatValue(r.training?.hyperparams?.[hp]))]);
  }
  let dataset: string | undefined;
  c.columns.forEach((col, i) => {
    if (col.dataset !== dataset) heading(`on ${(dataset = col.dataset)}`);
    rows.push([`  ${col.metric}`, ...models.map((r) => cellText(r.cells[i]!, style))]);
    // A row of its own rather than a second line in the cell: the same look, and any table fits it.
    if (style.deltas === 'stacked' && models.some((r) => r.cells[i]!.delta)) rows.push(['', ...models.map((r) => (r.cells[i]!.delta ? deltaText(r.cells[i]!, style) : ''))]);
  });
  return { head, rows, align };
}

/** Lines of at most `width` columns, broken at spaces (a word longer than that stays whole). */
/** A footnote in lines of the terminal's width, continuation lines indented (table.ts wraps). */
function wrapNote(line: string, width: number | undefined): string[] {
  if (width === undefined) return [line];
  const [first, ...rest] = wrap(line, width);
  return [first!, ...(rest.length ? wrap(rest.join(' '), width - 2).map((l) => `  ${l}`) : [])];
}

function footnotes(c: Comparison, markName: string, how: { deltas: CellStyle['deltas']; layout: CompareLayout }): string[] {
  const lines: string[] = [];
  const marked = c.columns.filter((col) => col.direction);
  if (marked.length) {
    // one clause per direction: five timing metrics read "lower is better: a, b, c, d, e"
    const byDirection = new Map<string, string[]>();
    for (const [metric, d] of new Map(marked.map((col) => [col.metric, col.direction!]))) {
      const key = d === 'min' ? 'lower' : 'higher';
      byDirection.set(key, [...(byDirection.get(key) ?? []), metric]);
    }
    const dirs = [...byDirection].map(([key, metrics]) => `${key} is better: ${metrics.join(', ')}`).join('; ');
    lines.push(`${markName} best in ${how.layout === 'tall' ? 'row' : 'column'} (${dirs})`);
  }
  const what = aggregateNote(c);
  if (what) lines.push(what);
  if (c.rows.length > 1 && c.columns.length) {
    const legend = how.deltas === 'plain' ? '(±x, ±y%)' : how.deltas === 'inline' ? (marked.length ? '(±x, ±y%, better/worse)' : '(±x, ±y%)') : marked.length ? '±y% better/worse' : '±y%';
    lines.push(`${legend} difference from ${c.rows[0]!.model_id}${how.deltas === 'stacked' ? ' (under each value)' : ''}`);
  }
  const shared = [...Object.entries(c.shared_hyperparams), ...Object.entries(c.same_for_all ?? {})];
  if (shared.length) lines.push(`same for all: ${shared.map(([k, v]) => `${k}=${v === undefined ? '-' : formatValue(v)}`).join(', ')}`);
  if (!c.columns.length) lines.push('no test results to compare');
  return [...lines, ...c.notes];
}

export interface TableOptions {
  /** where the table goes (default: a pipe: plain, whole, uncoloured) */
  out?: Output;
  /** --layout: wide or tall whatever the width */
  layout?: CompareLayout;
}

/** The table for a terminal or a log: the layout that fits `out`, colour when it takes colour. */
export function comparisonTable(c: Comparison, opts: TableOptions = {}): string {
  const out = opts.out ?? PLAIN_OUTPUT;
  const styleOf = (deltas: LayoutChoice['deltas']): CellStyle => ({ out, deltas, mark: (s) => paint(out, 'best', `${s} *`) });
  const specOf = (choice: LayoutChoice) => (choice.layout === 'wide' ? grid(c, styleOf(choice.deltas)) : tallGrid(c, styleOf(choice.deltas), choice));
  const choice = chooseLayout({ out, models: c.rows.length, forced: opts.layout, measure: (ch) => tableWidth(specOf(ch)) });
  const lines = footnotes(c, '*', { deltas: choice.deltas, layout: choice.layout });
  const hidden = c.rows.slice(choice.models).map((r) => r.model_id);
  if (hidden.length) {
    lines.unshift(`${hidden.length} more model${hidden.length > 1 ? 's' : ''} not shown at ${out.width} columns: ${hidden.join(', ')} (a wider terminal, fewer ids or a pipe shows ${hidden.length > 1 ? 'them' : 'it'})`);
  }
  const width = out.tty ? out.width : undefined;
  return renderTable(specOf(choice), out) + lines.flatMap((l) => wrapNote(l, width)).map((l) => `${l}\n`).join('');
}

export function comparisonMarkdown(c: Comparison): string {
  const g = grid(c, { out: PLAIN_OUTPUT, deltas: 'plain', mark: (s) => `**${s}**` });
  const notes = footnotes(c, '**bold**', { deltas: 'plain', layout: 'wide' });
  return renderMarkdownTable(g.head, g.rows, g.align) + (notes.length ? '\n' + notes.map((l) => `- ${l}\n`).join('') : '');
}

/** Numbers stay numbers (no marks inside a value); the mark and deltas get their own columns. */
export function comparisonCsv(c: Comparison): string {
  const hpKeys = [...c.hyperparams];
  const has = (f: TrainingField) => c.fields.includes(f);
  const head = ['model_id', ...(has('algorithm') ? ['algorithm'] : []), ...(has('trained on') ? ['training_dataset'] : []), ...(has('training_time') ? ['training_time'] : []), ...hpKeys.map((k) => `hyperparams.${k}`)];
  for (const col of c.columns) {
    const key = `${col.dataset}/${col.metric}`;
    head.push(key, `${key} best`, `${key} delta`, `${key} delta %`);
  }
  const rows: unknown[][] = c.rows.map((row) => {
    const out: unknown[] = [row.model_id];
    if (has('algorithm')) out.push(row.algorithm);
    if (has('trained on')) out.push(row.training?.dataset);
    if (has('training_time')) out.push(row.training?.training_time);
    out.push(...hpKeys.map((k) => row.training?.hyperparams?.[k]));
    for (const cell of row.cells) out.push(cell.value, cell.best ? '*' : '', cell.delta?.absolute, cell.delta?.percent);
    return out;
  });
  return renderCsv([head, ...rows]);
}

export function renderComparison(c: Comparison, format: CompareFormat, table: TableOptions = {}): string {
  switch (format) {
    case 'json':
      return renderJson(comparisonJson(c));
    case 'md':
      return comparisonMarkdown(c);
    case 'csv':
      return comparisonCsv(c);
    default:
      return comparisonTable(c, table);
  }
}
