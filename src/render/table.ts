// Text tables for terminals. No colours: output is often piped or logged.
// Drawn here rather than by cli-table3, whose layout is quadratic in the number of rows (28 s for
// `list` of 22,000 models): one pass for the column widths, one to pad each line.

import { stripColor, type Output } from './terminal.js';

export type Align = 'left' | 'right';

export interface TableSpec {
  head: string[];
  rows: string[][];
  /** per column; numbers read best right-aligned */
  align?: Align[];
}

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
 * The table for `out`. Without `out`: the box table at its natural width (the layout before terminals
 * were told apart).
 */
export function renderTable(spec: TableSpec, output?: Output): string {
  void output;
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
  const ncols = Math.max(spec.head.length, ...spec.rows.map((r) => r.length));
  let total = 1;
  for (let i = 0; i < ncols; i++) {
    let w = width(spec.head[i] ?? '');
    for (const r of spec.rows) for (const line of String(r[i] ?? '').split('\n')) w = Math.max(w, width(line));
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

/** `key: value` lines with the values lined up, for a single answer. */
export function renderFields(fields: [string, string][]): string {
  const width = Math.max(0, ...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${(k + ':').padEnd(width + 1)} ${v}`.trimEnd()).join('\n') + '\n';
}
