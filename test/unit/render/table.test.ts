// The table renderer is drawn in one pass per line; its output must be the one the simple
// (slower) layout below gives, cell for cell, for any content.
import { describe, expect, it } from 'vitest';
import { fitColumns, renderFields, renderTable, tableWidth, type TableSpec } from '../../../src/render/table.js';
import { PLAIN_OUTPUT, terminalOutput } from '../../../src/render/terminal.js';

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

describe('renderTable for an Output', () => {
  const spec: TableSpec = {
    head: ['id', 'algorithm', 'trained (UTC)', 'training dataset', 'tags', 'score'],
    rows: [
      ['mscn_a_rather_long_model_name_1', 'mscn', '2024-10-19 10:30', 'imdb_training_dataset_full', 'experiment, keep_for_the_paper', '41.5'],
      ['mscn_2', 'mscn', '2024-10-19 10:31', 'job', '', '1234.25'],
    ],
    align: ['left', 'left', 'left', 'left', 'left', 'right'],
    priority: [0, 3, 2, 4, 5, 1],
    minWidth: [0, 10, 16, 10, 10, 6],
  };
  const lines = (s: string) => s.trimEnd().split('\n');
  const widest = (s: string) => Math.max(...lines(s).map((l) => [...l].length));

  it('a pipe gets plain columns: a header, two spaces, numbers right-aligned, nothing cut', () => {
    const out = renderTable(spec, PLAIN_OUTPUT);
    expect(lines(out)).toEqual([
      'id                               algorithm  trained (UTC)     training dataset            tags                              score',
      'mscn_a_rather_long_model_name_1  mscn       2024-10-19 10:30  imdb_training_dataset_full  experiment, keep_for_the_paper     41.5',
      'mscn_2                           mscn       2024-10-19 10:31  job                                                         1234.25',
    ]);
  });

  it('a pipe gets no colour', () => {
    const out = renderTable({ head: ['id', 'v'], rows: [['a', '\x1b[1;32m1\x1b[22;39m']] }, PLAIN_OUTPUT);
    expect(out).toBe('id  v\na   1\n');
  });

  it('a wide terminal gets the box at its natural width', () => {
    expect(renderTable(spec, terminalOutput(200))).toBe(renderTable(spec));
    expect(tableWidth(spec)).toBeLessThanOrEqual(200);
  });

  it('a narrow terminal: the least important columns shrink first, with …, and the id stays whole', () => {
    const w = tableWidth(spec) - 12;
    const out = renderTable(spec, terminalOutput(w));
    expect(widest(out)).toBe(w);
    // tags (priority 5) gave the 12 columns; nothing else changed, nothing was hidden
    expect(out).toContain('│ experiment, keep_… │');
    expect(out).toContain('imdb_training_dataset_full');
    expect(out).not.toMatch(/hidden/);
  });

  it('narrower still: columns are hidden, least important first, and the line after the table names them', () => {
    const out = renderTable(spec, terminalOutput(80));
    expect(widest(out)).toBeLessThanOrEqual(80);
    expect(out).toContain('mscn_a_rather_long_model_name_1');
    expect(out).toContain('1234.25');
    expect(out).toContain('2024-10-19 10:30'); // a date keeps its width (minimum 16) or goes
    // the note is wrapped to the width too
    expect(out.split('┘\n')[1]!.trimEnd().replace(/\n/g, ' ')).toBe('(2 columns hidden to fit 80 columns: training dataset, tags — widen the terminal, or use --json)');
    expect(lines(out)[1]).toMatch(/^│ id +│ algorithm +│ trained \(UTC\) +│ +score │$/);
  });

  it('the key column is never cut, even when it alone is too wide', () => {
    const out = renderTable({ head: ['id', 'x'], rows: [['a'.repeat(40), 'y'.repeat(30)]] }, terminalOutput(30));
    expect(out).toContain('a'.repeat(40));
    expect(out.replace(/\n/g, ' ')).toMatch(/1 column hidden to fit 30 columns: x — widen/);
    const keyed = renderTable({ head: ['algo', 'model'], rows: [['mscn_algorithm_name', 'model_id_that_is_long']], key: 1 }, terminalOutput(30));
    expect(keyed).toContain('model_id_that_is_long');
  });

  it('draws 30,000 rows in linear time through a pipe and at a narrow terminal', () => {
    const rows = Array.from({ length: 30_000 }, (_, i) => [`m_${i}`, 'mscn', '2023-01-02 08:06', 'production', i % 7 ? '' : 'best, keep', String(i / 3)]);
    const head = ['id', 'algorithm', 'trained', 'training dataset', 'tags', 'total_time'];
    for (const out of [PLAIN_OUTPUT, terminalOutput(40)]) {
      const t = performance.now();
      const text = renderTable({ head, rows }, out);
      expect(performance.now() - t).toBeLessThan(3000);
      expect(text.split('\n').length).toBeGreaterThan(30_000);
    }
  });

  it('multi-line cells are cut line by line', () => {
    const out = renderTable({ head: ['id', 'notes'], rows: [['m', 'first line is long enough\nsecond']] }, terminalOutput(20));
    expect(widest(out)).toBeLessThanOrEqual(20);
    expect(out).toContain('second');
  });
});

describe('fitColumns', () => {
  it('hides until the minimums fit, then shrinks from the least important', () => {
    expect(fitColumns([10, 10, 10], 1 + 13 * 3, [0, 1, 2], [5, 5, 5])).toEqual({ widths: [10, 10, 10], hidden: [] });
    expect(fitColumns([10, 10, 10], 1 + 13 * 3 - 4, [0, 1, 2], [5, 5, 5])).toEqual({ widths: [10, 10, 6], hidden: [] });
    expect(fitColumns([10, 10, 10], 1 + 13 * 3 - 7, [0, 2, 1], [5, 5, 5])).toEqual({ widths: [10, 5, 8], hidden: [] });
    expect(fitColumns([10, 10, 10], 30, [0, 1, 2], [8, 8, 8])).toEqual({ widths: [10, 10, 0], hidden: [2] });
  });
  it('plain columns: two spaces between, the indent counted', () => {
    // "  " + 10 + "  " + 10 = 24
    expect(fitColumns([10, 10], 24, [0, 1], [5, 5], { edge: 0, gap: 2 })).toEqual({ widths: [10, 10], hidden: [] });
    expect(fitColumns([10, 10], 20, [0, 1], [5, 5], { edge: 0, gap: 2 })).toEqual({ widths: [10, 6], hidden: [] });
  });
});

describe('renderFields', () => {
  it('wraps a long value under itself at a terminal, and leaves it whole in a pipe', () => {
    const fields: [string, string][] = [['model_path', 'a/very/long/path '.repeat(6).trim()], ['id', 'm']];
    const tty = renderFields(fields, terminalOutput(40));
    expect(Math.max(...tty.trimEnd().split('\n').map((l) => l.length))).toBeLessThanOrEqual(40);
    expect(tty.replace(/\n {12}/g, ' ')).toContain(fields[0]![1]);
    expect(renderFields(fields, PLAIN_OUTPUT)).toBe(`model_path: ${fields[0]![1]}\nid:         m\n`);
  });
});
