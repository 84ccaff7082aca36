import { describe, expect, it } from 'vitest';
import { csvField, renderCsv } from '../../../src/render/csv.js';
import { fieldText, lookupPath } from '../../../src/render/field.js';
import { formatDate, formatDateUtc, formatNumber, formatPercent, formatSigned } from '../../../src/render/format.js';
import { markdownCell, renderMarkdownTable } from '../../../src/render/markdown.js';
import { renderFields, renderTable } from '../../../src/render/table.js';
import { NotFoundError, UsageError } from '../../../src/errors.js';

/** A strict RFC 4180 reader, to prove what we write reads back. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else field += ch;
  }
  return rows;
}

describe('csv', () => {
  it('quotes only what needs quoting and doubles quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\rhere')).toBe('"cr\rhere"');
    expect(csvField(' padded')).toBe('" padded"');
    expect(csvField(undefined)).toBe('');
    expect(csvField(null)).toBe('');
    expect(csvField(-3.5)).toBe('-3.5');
    expect(csvField({ a: 1 })).toBe('"{""a"":1}"');
  });
  it('round-trips through an RFC 4180 reader', () => {
    const rows = [['id', 'notes', 'v'], ['m1', 'a, "b"\nc', '1.5'], ['m2', '', '']];
    expect(parseCsv(renderCsv(rows))).toEqual(rows);
  });
});

describe('markdown', () => {
  it('escapes pipes and line breaks in cells', () => expect(markdownCell('a|b\nc')).toBe('a\\|b<br>c'));
  it('writes a header rule with alignment', () => {
    expect(renderMarkdownTable(['a', 'n'], [['x', '1']], ['left', 'right'])).toBe('| a | n |\n| --- | ---: |\n| x | 1 |\n');
  });
});

describe('format', () => {
  it('numbers without float noise', () => {
    expect(formatNumber(47.1 - 45.23)).toBe('1.87');
    expect(formatNumber(1800)).toBe('1800');
    expect(formatNumber(undefined)).toBe('');
    expect(formatSigned(2)).toBe('+2');
    expect(formatSigned(-2)).toBe('-2');
  });
  it('percentages and dates', () => {
    expect(formatPercent(-7.80455)).toBe('-7.8%');
    expect(formatPercent(250.4)).toBe('+250%');
    expect(formatPercent(null)).toBe('n/a');
    expect(formatDate('2024-10-19T10:30:00Z')).toBe('2024-10-19 10:30');
    expect(formatDate('yesterday')).toBe('yesterday');
    // one format, in UTC, whatever the offset written
    expect(formatDate('2024-10-19T12:30:00+02:00')).toBe('2024-10-19 10:30');
    expect(formatDate('2024-10-19T00:30:00.123+0200')).toBe('2024-10-18 22:30');
    expect(formatDate('2024-10-19T22:30:00-05:30')).toBe('2024-10-20 04:00');
    expect(formatDate('2024-10-19T10:30:00')).toBe('2024-10-19 10:30');
    expect(formatDate('2024-10-19')).toBe('2024-10-19');
    expect(formatDateUtc('2024-10-19T12:30:00+02:00')).toBe('2024-10-19 10:30 UTC');
    expect(formatDateUtc('not a date')).toBe('not a date');
    expect(formatDateUtc(undefined)).toBe('');
  });
});

describe('table', () => {
  it('draws every cell and right-aligns numbers', () => {
    const t = renderTable({ head: ['id', 'v'], rows: [['a', '1'], ['bbb', '22']], align: ['left', 'right'] });
    expect(t).toMatch(/│ id  │  v │/);
    expect(t).toMatch(/│ a   │  1 │/);
    expect(t).toMatch(/│ bbb │ 22 │/);
  });
  it('draws the same frame as before (header, separator, multi-line cells, right-aligned head)', () => {
    const t = renderTable({ head: ['id', 'v', 'x'], rows: [['a', '1', ''], ['bbb', '22', 'two\nlines'], ['é±', '3', '']], align: ['left', 'right', 'left'] });
    expect(t).toBe(
      '┌─────┬────┬───────┐\n│ id  │  v │ x     │\n├─────┼────┼───────┤\n│ a   │  1 │       │\n│ bbb │ 22 │ two   │\n│     │    │ lines │\n│ é±  │  3 │       │\n└─────┴────┴───────┘\n',
    );
    expect(renderTable({ head: ['id'], rows: [] })).toBe('┌────┐\n│ id │\n└────┘\n');
  });
  it('lays out many rows in linear time', () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => [`model-${i}`, 'mscn', String(i)]);
    const start = performance.now();
    const t = renderTable({ head: ['id', 'algorithm', 'n'], rows, align: ['left', 'left', 'right'] });
    expect(performance.now() - start).toBeLessThan(3000); // cli-table3 took minutes here
    expect(t.split('\n')).toHaveLength(100_000 + 5);
    expect(t).toContain('│ model-99999 │ mscn      │ 99999 │');
  });
  it('lines up key: value fields', () => expect(renderFields([['a', '1'], ['long', '2']])).toBe('a:    1\nlong: 2\n'));
});

describe('--field', () => {
  const answer = { model_id: 'm', value: 4, model_path: null, runner_up: { model_id: 'r', value: 5 } };
  const meta = { model_path: 'from/meta', training: { hyperparams: { lr: 0.001, layers: [1, 2] } } };
  const sources = [{ name: 'the answer', value: answer }, { name: 'the metadata', value: meta }];
  it('prefers the answer, then the metadata (null counts as absent)', () => {
    expect(fieldText('value', sources)).toBe('4');
    expect(fieldText('runner_up.model_id', sources)).toBe('r');
    expect(fieldText('model_path', sources)).toBe('from/meta');
    expect(fieldText('training.hyperparams.lr', sources)).toBe('0.001');
    expect(fieldText('training.hyperparams.layers', sources)).toBe('[1,2]');
  });
  it('finds only own properties', () => {
    expect(lookupPath({}, 'constructor')).toBeUndefined();
    expect(lookupPath({ a: {} }, 'a.__proto__')).toBeUndefined();
  });
  it('a missing field is NotFoundError naming it; a malformed path is a usage error', () => {
    expect(() => fieldText('nope.x', sources)).toThrow(NotFoundError);
    expect(() => fieldText('nope.x', sources)).toThrow(/"nope\.x"/);
    expect(() => fieldText('a..b', sources)).toThrow(UsageError);
    expect(() => fieldText('', sources)).toThrow(UsageError);
  });
});
