// Text tables for terminals. No colours: output is often piped or logged.
// Drawn here rather than by cli-table3, whose layout is quadratic in the number of rows (28 s for
// `list` of 22,000 models): one pass for the column widths, one to pad each line.

export type Align = 'left' | 'right';

export interface TableSpec {
  head: string[];
  rows: string[][];
  /** per column; numbers read best right-aligned */
  align?: Align[];
}

const SURROGATE = /[\ud800-\udbff]/;

/** Columns a string takes in a terminal: one per code point (ids, names and numbers are narrow). */
function width(s: string): number {
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

export function renderTable(spec: TableSpec): string {
  let ncols = spec.head.length;
  for (const r of spec.rows) if (r.length > ncols) ncols = r.length;
  // Every cell as its lines (most cells hold one), with each line's width, measured once.
  const rows = [spec.head, ...spec.rows];
  const cells: string[][][] = new Array(rows.length);
  const cellWidths: number[][][] = new Array(rows.length);
  const widths = new Array<number>(ncols).fill(0);
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k]!;
    const lines = new Array<string[]>(ncols);
    const ws = new Array<number[]>(ncols);
    for (let i = 0; i < ncols; i++) {
      const text = String(row[i] ?? '');
      const split = text.indexOf('\n') < 0 ? [text] : text.split('\n');
      const w = split.map(width);
      for (const x of w) if (x > widths[i]!) widths[i] = x;
      lines[i] = split;
      ws[i] = w;
    }
    cells[k] = lines;
    cellWidths[k] = ws;
  }
  const right = Array.from({ length: ncols }, (_, i) => (spec.align?.[i] ?? 'left') === 'right');
  const spaces: string[] = [];
  const fill = (n: number): string => (spaces[n] ??= ' '.repeat(n));
  const rule = (l: string, m: string, r: string): string => l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r;
  const out: string[] = [rule('┌', '┬', '┐')];
  const draw = (k: number): void => {
    const row = cells[k]!;
    const ws = cellWidths[k]!;
    let height = 1;
    for (const c of row) if (c.length > height) height = c.length;
    for (let h = 0; h < height; h++) {
      let line = '│ ';
      for (let i = 0; i < ncols; i++) {
        const text = row[i]![h] ?? '';
        const gap = fill(widths[i]! - (ws[i]![h] ?? 0));
        line += (i ? ' │ ' : '') + (right[i] ? gap + text : text + gap);
      }
      out.push(line + ' │');
    }
  };
  draw(0);
  if (rows.length > 1) {
    out.push(rule('├', '┼', '┤'));
    for (let k = 1; k < rows.length; k++) draw(k);
  }
  out.push(rule('└', '┴', '┘'));
  return out.join('\n') + '\n';
}

/** `key: value` lines with the values lined up, for a single answer. */
export function renderFields(fields: [string, string][]): string {
  const width = Math.max(0, ...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${(k + ':').padEnd(width + 1)} ${v}`.trimEnd()).join('\n') + '\n';
}
