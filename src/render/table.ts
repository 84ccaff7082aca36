// Text tables for terminals (cli-table3). No colours: output is often piped or logged.
import Table from 'cli-table3';

export type Align = 'left' | 'right';

export interface TableSpec {
  head: string[];
  rows: string[][];
  /** per column; numbers read best right-aligned */
  align?: Align[];
}

export function renderTable(spec: TableSpec): string {
  const t = new Table({
    head: spec.head,
    style: { head: [], border: [], compact: true },
    colAligns: spec.align,
  });
  for (const row of spec.rows) t.push(row);
  return t.toString() + '\n';
}

/** `key: value` lines with the values lined up, for a single answer. */
export function renderFields(fields: [string, string][]): string {
  const width = Math.max(0, ...fields.map(([k]) => k.length));
  return fields.map(([k, v]) => `${(k + ':').padEnd(width + 1)} ${v}`.trimEnd()).join('\n') + '\n';
}
