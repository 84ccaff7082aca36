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
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function pad(s: string, w: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, w - width(s)));
  return align === 'right' ? fill + s : s + fill;
}

export function renderTable(spec: TableSpec): string {
  const ncols = Math.max(spec.head.length, ...spec.rows.map((r) => r.length));
  // A cell may hold several lines; each becomes a line of the row.
  const split = (row: string[]): string[][] => Array.from({ length: ncols }, (_, i) => String(row[i] ?? '').split('\n'));
  const head = split(spec.head);
  const rows = spec.rows.map(split);
  const widths = new Array<number>(ncols).fill(0);
  for (const row of [head, ...rows]) {
    row.forEach((cell, i) => {
      for (const line of cell) widths[i] = Math.max(widths[i]!, width(line));
    });
  }
  const align = (i: number): Align => spec.align?.[i] ?? 'left';
  const rule = (l: string, m: string, r: string): string => l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r;
  const lines = (row: string[][]): string[] => {
    const height = Math.max(1, ...row.map((c) => c.length));
    const out: string[] = [];
    for (let k = 0; k < height; k++) out.push('│ ' + row.map((c, i) => pad(c[k] ?? '', widths[i]!, align(i))).join(' │ ') + ' │');
    return out;
  };
  const out = [rule('┌', '┬', '┐'), ...lines(head)];
  if (rows.length) {
    out.push(rule('├', '┼', '┤'));
    for (const row of rows) out.push(...lines(row));
  }
  out.push(rule('└', '┴', '┘'));
  return out.join('\n') + '\n';
}

/** `key: value` lines with the values lined up, for a single answer. */
export function renderFields(fields: [string, string][]): string {
  const width = Math.max(0, ...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${(k + ':').padEnd(width + 1)} ${v}`.trimEnd()).join('\n') + '\n';
}
