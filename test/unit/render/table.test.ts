// The table renderer is drawn in one pass per line; its output must be the one the simple
// (slower) layout below gives, cell for cell, for any content.
import { describe, expect, it } from 'vitest';
import { renderTable, type TableSpec } from '../../../src/render/table.js';

/** The layout as first written: split every cell, pad with a code-point count. */
function reference(spec: TableSpec): string {
  const width = (s: string) => [...s].length;
  const ncols = Math.max(spec.head.length, ...spec.rows.map((r) => r.length));
  const split = (row: string[]) => Array.from({ length: ncols }, (_, i) => String(row[i] ?? '').split('\n'));
  const head = split(spec.head);
  const rows = spec.rows.map(split);
  const widths = new Array<number>(ncols).fill(0);
  for (const row of [head, ...rows]) row.forEach((cell, i) => cell.forEach((l) => (widths[i] = Math.max(widths[i]!, width(l)))));
  const pad = (s: string, w: number, right: boolean) => {
    const fill = ' '.repeat(Math.max(0, w - width(s)));
    return right ? fill + s : s + fill;
  };
  const rule = (l: string, m: string, r: string) => l + widths.map((w) => '─'.repeat(w + 2)).join(m) + r;
  const lines = (row: string[][]) => {
    const height = Math.max(1, ...row.map((c) => c.length));
    const out: string[] = [];
    for (let k = 0; k < height; k++) out.push('│ ' + row.map((c, i) => pad(c[k] ?? '', widths[i]!, spec.align?.[i] === 'right')).join(' │ ') + ' │');
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

function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

describe('renderTable', () => {
  const pieces = ['a', 'mscn_20230102_080617', '', ' ', 'é', '😀', '\ud83d', '\ude00x', 'two\nlines', 'three\n\nlines', '12.5', 'best, keep', '─'];

  it.each([
    ['with multi-line cells', pieces],
    ['with one line per cell', pieces.filter((p) => !p.includes('\n'))],
  ])('draws what the reference layout draws, for random cells, ragged rows and alignments (%s)', (_, pieces) => {
    const rnd = random(42);
    for (let t = 0; t < 300; t++) {
      const ncols = Math.floor(rnd() * 5);
      const cell = () => Array.from({ length: Math.floor(rnd() * 3) }, () => pieces[Math.floor(rnd() * pieces.length)]).join('');
      const head = Array.from({ length: ncols }, cell);
      const rows = Array.from({ length: Math.floor(rnd() * 6) }, () => Array.from({ length: Math.floor(rnd() * (ncols + 2)) }, cell));
      const align = Array.from({ length: ncols + 1 }, () => (rnd() < 0.5 ? 'right' : 'left') as 'left' | 'right');
      const spec = { head, rows, align: rnd() < 0.2 ? undefined : align };
      expect(renderTable(spec)).toBe(reference(spec));
    }
  });

  it('draws 30,000 rows in linear time', () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => [`m_${i}`, 'mscn', '2023-01-02 08:06', 'production', i % 7 ? '' : 'best, keep', String(i / 3)]);
    const t = performance.now();
    const out = renderTable({ head: ['id', 'algorithm', 'trained', 'training dataset', 'tags', 'total_time'], rows });
    expect(performance.now() - t).toBeLessThan(2000);
    expect(out.split('\n')).toHaveLength(30_000 + 5);
  });
});
