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

/** Columns a string takes in a terminal: one per code point (ids, names and numbers are narrow). */
function width(s: string): number {
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
  for (const r of spec.rows) ncols = Math.max(ncols, r.length);
  // A cell may hold several lines; each becomes a line of the row (most cells hold one).
  const split = (row: string[]): string[][] => {
    const cells = new Array<string[]>(ncols);
    for (let i = 0; i < ncols; i++) {
      const text = String(row[i] ?? '');
      cells[i] = text.includes('\n') ? text.split('\n') : [text];
    }
    return cells;
  };
  const head = split(spec.head);
  const rows = spec.rows.map(split);
  const widths = new Array<number>(ncols).fill(0);
  for (const row of [head, ...rows]) {
    for (let i = 0; i < ncols; i++) for (const line of row[i]!) widths[i] = Math.max(widths[i]!, width(line));
  }
  const right = Array.from({ length: ncols }, (_, i) => (spec.align?.[i] ?? 'left') === 'right');
  const spaces: string[] = [];
  const fill = (n: number): string => (spaces[n] ??= ' '.repeat(n));
  const rule = (l: string, m: string, r: string): string => l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r;
  const out: string[] = [rule('┌', '┬', '┐')];
  const lines = (row: string[][]): void => {
    let height = 1;
    for (const c of row) height = Math.max(height, c.length);
    for (let k = 0; k < height; k++) {
      let line = '│ ';
      for (let i = 0; i < ncols; i++) {
        const text = row[i]![k] ?? '';
        const gap = fill(Math.max(0, widths[i]! - width(text)));
        line += (i ? ' │ ' : '') + (right[i] ? gap + text : text + gap);
      }
      out.push(line + ' │');
    }
  };
  lines(head);
  if (rows.length) {
    out.push(rule('├', '┼', '┤'));
    for (const row of rows) lines(row);
  }
  out.push(rule('└', '┴', '┘'));
  return out.join('\n') + '\n';
}

/** `key: value` lines with the values lined up, for a single answer. */
export function renderFields(fields: [string, string][]): string {
  const width = Math.max(0, ...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${(k + ':').padEnd(width + 1)} ${v}`.trimEnd()).join('\n') + '\n';
}
