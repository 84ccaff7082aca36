// Text tables. A terminal gets a box table fitted to its width (the least important columns shrink,
// then go, and a line says which); a pipe, a file or a CI log gets plain columns, whole and
// uncoloured, so `cut`, `awk` and `sort` still work (as gh does). Without an Output (callers that do
// not say where the text goes), the box table at its natural width.
// Drawn here rather than by cli-table3, whose layout is quadratic in the number of rows (28 s for
// `list` of 22,000 models): one pass for the column widths, one to pad each line.

import { stripColor, type Output } from './terminal.js';

export type Align = 'left' | 'right';

export interface TableSpec {
  head: string[];
  rows: string[][];
  /** per column; numbers read best right-aligned */
  align?: Align[];
  /**
   * per column, how much it matters when the terminal is too narrow: lower is more important.
   * Default: the column's position (the first column, the id, matters most). The `key` column is
   * never shrunk or hidden.
   */
  priority?: number[];
  /** the column never cut or hidden, the one that names the row (default 0) */
  key?: number;
  /** per column, the fewest columns it shrinks to before it is hidden instead (default 8) */
  minWidth?: number[];
}

/** Below this a truncated column says too little to keep (the id column is never cut). */
const DEFAULT_MIN_WIDTH = 8;

const SURROGATE = /[\ud800-\udbff]/;

/** Columns a string takes in a terminal: one per code point (ids, names and numbers are narrow). */
export function width(s: string): number {
  s = stripColor(s);
  if (!SURROGATE.test(s)) return s.length;
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    // A surrogate pair is one code point.
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/**
 * The table for `output`: a pipe gets plain columns (renderPlain), a terminal the box, cut to its
 * width when it is wider (renderFitted). Without `output`: the box at its natural width (the layout
 * before terminals were told apart; callers that do not say where the text goes).
 */
export function renderTable(spec: TableSpec, output?: Output): string {
  if (output && !output.tty) return renderPlain(spec);
  if (output?.width !== undefined && tableWidth(spec) > output.width) return renderFitted(spec, output.width);
  return renderBox(spec);
}

function renderBox(spec: TableSpec): string {
  let ncols = spec.head.length;
  for (const r of spec.rows) if (r.length > ncols) ncols = r.length;
  const rows = [spec.head, ...spec.rows];
  // Cells as strings, each measured once. Most tables hold one line per cell; a table with a
  // multi-line cell takes the general layout.
  const texts = new Array<string>(rows.length * ncols);
  const cellWidths = new Int32Array(rows.length * ncols);
  const widths = new Array<number>(ncols).fill(0);
  let multiline = false;
  for (let k = 0, at = 0; k < rows.length; k++) {
    const row = rows[k]!;
    for (let i = 0; i < ncols; i++, at++) {
      const text = String(row[i] ?? '');
      if (text.indexOf('\n') >= 0) multiline = true;
      const w = width(text);
      texts[at] = text;
      cellWidths[at] = w;
      if (w > widths[i]!) widths[i] = w;
    }
  }
  if (multiline) return renderLines(rows.length, ncols, texts, spec.align);
  const right = Array.from({ length: ncols }, (_, i) => (spec.align?.[i] ?? 'left') === 'right');
  const spaces: string[] = [];
  const fill = (n: number): string => (spaces[n] ??= ' '.repeat(n));
  const out: string[] = [rule(widths, '┌', '┬', '┐')];
  for (let k = 0, at = 0; k < rows.length; k++) {
    let line = '│ ';
    for (let i = 0; i < ncols; i++, at++) {
      const gap = fill(widths[i]! - cellWidths[at]!);
      line += (i ? ' │ ' : '') + (right[i] ? gap + texts[at]! : texts[at]! + gap);
    }
    out.push(line + ' │');
    if (k === 0 && rows.length > 1) out.push(rule(widths, '├', '┼', '┤'));
  }
  out.push(rule(widths, '└', '┴', '┘'));
  return out.join('\n') + '\n';
}

/** Columns the box table of `spec` takes at its natural width (a layout choice: does it fit?). */
export function tableWidth(spec: TableSpec): number {
  // (no spread over the rows: a listing of 100,000 models would overflow the call stack)
  let ncols = spec.head.length;
  for (const r of spec.rows) if (r.length > ncols) ncols = r.length;
  let total = 1;
  for (let i = 0; i < ncols; i++) {
    let w = 0;
    // a header may take two lines (compare splits long ids), as a cell may
    for (const cell of [spec.head[i] ?? '', ...spec.rows.map((r) => String(r[i] ?? ''))]) for (const line of cell.split('\n')) w = Math.max(w, width(line));
    total += w + 3;
  }
  return total;
}

function rule(widths: number[], l: string, m: string, r: string): string {
  return l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r;
}

/** The general layout: a cell of several lines makes its row that many lines high. */
function renderLines(nrows: number, ncols: number, texts: string[], align: Align[] | undefined): string {
  const cells = texts.map((t) => t.split('\n'));
  const widths = new Array<number>(ncols).fill(0);
  cells.forEach((lines, at) => {
    for (const l of lines) widths[at % ncols] = Math.max(widths[at % ncols]!, width(l));
  });
  const right = Array.from({ length: ncols }, (_, i) => (align?.[i] ?? 'left') === 'right');
  const out: string[] = [rule(widths, '┌', '┬', '┐')];
  for (let k = 0; k < nrows; k++) {
    const row = cells.slice(k * ncols, (k + 1) * ncols);
    const height = Math.max(1, ...row.map((c) => c.length));
    for (let h = 0; h < height; h++) {
      let line = '│ ';
      for (let i = 0; i < ncols; i++) {
        const text = row[i]![h] ?? '';
        const gap = ' '.repeat(widths[i]! - width(text));
        line += (i ? ' │ ' : '') + (right[i] ? gap + text : text + gap);
      }
      out.push(line + ' │');
    }
    if (k === 0 && nrows > 1) out.push(rule(widths, '├', '┼', '┤'));
  }
  out.push(rule(widths, '└', '┴', '┘'));
  return out.join('\n') + '\n';
}

function columnCount(spec: TableSpec): number {
  let n = spec.head.length;
  for (const r of spec.rows) if (r.length > n) n = r.length;
  return n;
}

/**
 * For a pipe: the header, then one line per row; two spaces between columns, numbers right-aligned,
 * nothing cut, no colour. A cell of several lines makes its row that many lines high, as in the box.
 */
function renderPlain(spec: TableSpec): string {
  const ncols = columnCount(spec);
  const rows = [spec.head, ...spec.rows].map((r) => Array.from({ length: ncols }, (_, i) => stripColor(String(r[i] ?? '')).split('\n')));
  const widths = new Array<number>(ncols).fill(0);
  for (const row of rows) row.forEach((lines, i) => lines.forEach((l) => (widths[i] = Math.max(widths[i]!, width(l)))));
  const right = Array.from({ length: ncols }, (_, i) => spec.align?.[i] === 'right');
  const out: string[] = [];
  for (const row of rows) {
    const height = Math.max(1, ...row.map((c) => c.length));
    for (let h = 0; h < height; h++) {
      const cells = row.map((c, i) => {
        const text = c[h] ?? '';
        const gap = ' '.repeat(widths[i]! - width(text));
        return right[i] ? gap + text : text + gap;
      });
      out.push(cells.join('  ').trimEnd());
    }
  }
  return out.join('\n') + '\n';
}

/**
 * Which columns a line of `total` columns shows, and how wide each is, given their natural widths.
 * `frame`: what a line adds besides the cells — a box adds 3 per column and 1 (`│ a │ b │`), plain
 * columns 2 per column and the indent less 2. The `key` column (the id) is never cut or hidden.
 */
export function fitColumns(
  natural: number[],
  total: number,
  priority: number[],
  minWidth: number[],
  opts: { key?: number; edge?: number; gap?: number } = {},
): { widths: number[]; hidden: number[] } {
  const ncols = natural.length;
  const key = opts.key ?? 0;
  const edge = opts.edge ?? 1;
  const gap = opts.gap ?? 3;
  // The id first, then by priority; ties keep the column order.
  const order = Array.from({ length: ncols }, (_, i) => i).sort((a, b) => (a === key ? -1 : b === key ? 1 : priority[a]! - priority[b]! || a - b));
  const least = [...order].reverse();
  const min = natural.map((w, i) => (i === key ? w : Math.min(w, minWidth[i]!)));
  const shown = new Set(order);
  const boxWidth = (ws: (i: number) => number) => [...shown].reduce((n, i) => n + ws(i) + gap, edge);
  // Hide the least important columns until the rest fit at their minimum widths…
  for (const i of least) {
    if (boxWidth((j) => min[j]!) <= total || i === key) break;
    shown.delete(i);
  }
  // …then give back width: the least important columns shrink first, and only as far as needed.
  const widths = natural.slice();
  let excess = boxWidth((j) => widths[j]!) - total;
  for (const i of least) {
    if (excess <= 0) break;
    if (!shown.has(i)) continue;
    const cut = Math.min(excess, widths[i]! - min[i]!);
    widths[i]! -= cut;
    excess -= cut;
  }
  const hidden = least.filter((i) => !shown.has(i)).reverse();
  return { widths: widths.map((w, i) => (shown.has(i) ? w : 0)), hidden: hidden.sort((a, b) => a - b) };
}

/** `text` in `w` columns: cut with an ellipsis when longer (colour codes go with the cut). */
export function truncate(text: string, w: number): string {
  if (width(text) <= w) return text;
  const cps = [...stripColor(text)];
  return w <= 0 ? '' : cps.slice(0, w - 1).join('') + '…';
}

/** The box table cut to `total` columns, and a line naming the columns left out. */
function renderFitted(spec: TableSpec, total: number): string {
  const ncols = columnCount(spec);
  const rows = [spec.head, ...spec.rows].map((r) => Array.from({ length: ncols }, (_, i) => String(r[i] ?? '').split('\n')));
  const natural = new Array<number>(ncols).fill(0);
  for (const row of rows) row.forEach((lines, i) => lines.forEach((l) => (natural[i] = Math.max(natural[i]!, width(l)))));
  const priority = Array.from({ length: ncols }, (_, i) => spec.priority?.[i] ?? i);
  const minWidth = Array.from({ length: ncols }, (_, i) => Math.max(1, spec.minWidth?.[i] ?? DEFAULT_MIN_WIDTH));
  const { widths, hidden } = fitColumns(natural, total, priority, minWidth, { key: spec.key ?? 0 });
  const cols = Array.from({ length: ncols }, (_, i) => i).filter((i) => !hidden.includes(i));
  const right = Array.from({ length: ncols }, (_, i) => spec.align?.[i] === 'right');
  const rule = (l: string, m: string, r: string) => l + cols.map((i) => '─'.repeat(widths[i]! + 2)).join(m) + r;
  const out: string[] = [rule('┌', '┬', '┐')];
  rows.forEach((row, k) => {
    const height = Math.max(1, ...row.map((c) => c.length));
    for (let h = 0; h < height; h++) {
      const cells = cols.map((i) => {
        const text = truncate(row[i]![h] ?? '', widths[i]!);
        const gap = ' '.repeat(widths[i]! - width(text));
        return right[i] ? gap + text : text + gap;
      });
      out.push('│ ' + cells.join(' │ ') + ' │');
    }
    if (k === 0 && rows.length > 1) out.push(rule('├', '┼', '┤'));
  });
  out.push(rule('└', '┴', '┘'));
  if (hidden.length) out.push(hiddenNote(hidden.map((i) => stripColor(spec.head[i] ?? `column ${i + 1}`)), total));
  return out.join('\n') + '\n';
}

/** The line after a table that left columns out: which, and what to do about it. */
export function hiddenNote(names: string[], total: number, indent = ''): string {
  const note = `(${names.length} column${names.length === 1 ? '' : 's'} hidden to fit ${total} columns: ${names.join(', ')} — widen the terminal, or use --json)`;
  // The note is held to the width it talks about.
  return wrap(note, Math.max(20, total - indent.length)).map((l) => indent + l).join('\n');
}

/**
 * `key: value` lines with the values lined up, for a single answer. At a terminal a value too long
 * for the line wraps under itself (at spaces when it can), so nothing is lost and no line is wider
 * than the terminal.
 */
export function renderFields(fields: [string, string][], output?: Output): string {
  const keyWidth = Math.max(0, ...fields.map(([k]) => k.length));
  const room = output?.tty && output.width !== undefined ? output.width - keyWidth - 2 : undefined;
  const indent = ' '.repeat(keyWidth + 2);
  const lines: string[] = [];
  for (const [k, v] of fields) {
    const value = output && !output.tty ? stripColor(v) : v;
    const parts = room !== undefined && room >= 10 ? wrap(value, room) : [value];
    lines.push(`${(k + ':').padEnd(keyWidth + 1)} ${parts[0]}`.trimEnd(), ...parts.slice(1).map((p) => indent + p));
  }
  return lines.join('\n') + '\n';
}

/** `text` in lines of at most `w` columns, broken at spaces when a word fits, else anywhere. */
export function wrap(text: string, w: number): string[] {
  if (width(text) <= w) return [text];
  const plain = stripColor(text);
  const out: string[] = [];
  let rest = plain;
  while (width(rest) > w) {
    const cps = [...rest];
    let cut = cps.slice(0, w + 1).lastIndexOf(' ');
    if (cut <= 0) cut = w;
    out.push(cps.slice(0, cut).join('').trimEnd());
    rest = cps.slice(cut).join('').trimStart();
  }
  if (rest) out.push(rest);
  return out;
}
