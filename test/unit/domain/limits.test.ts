import { describe, expect, it } from 'vitest';
import { jsonLimitError, MAX_DEPTH, parseJsonBounded, prototypeFree, scanJson, tooDeepAt, valueTooDeep } from '../../../src/domain/limits.js';
import { numberProblem, strictNumber } from '../../../src/domain/metrics.js';
import { parseInputFile, parseYamlText } from '../../../src/schema/yaml-input.js';
import { parseJsonText } from '../../../src/schema/validator.js';
import { roundTrips } from '../../../src/store/model-file.js';

const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);

describe('depth and size limits', () => {
  it('counts brackets outside strings only, iteratively', () => {
    expect(tooDeepAt(nested(MAX_DEPTH))).toBeUndefined();
    expect(tooDeepAt(nested(MAX_DEPTH + 1))).toBe(MAX_DEPTH);
    expect(tooDeepAt(`{"a": "${'['.repeat(500)}\\"${'{'.repeat(500)}"}`)).toBeUndefined();
    expect(tooDeepAt(nested(200_000))).toBe(MAX_DEPTH); // no stack involved
  });

  it('counts the keys written in the same pass (colons outside strings), and the depth is what tooDeepAt says', () => {
    const text = '{"a:b": "c:d", "e": {"f\\":": 1, "g": [1, {"h": "]}"}]}}';
    expect(scanJson(text)).toEqual({ colons: 5 });
    expect(scanJson(text, 2)).toEqual({ deepAt: text.indexOf('['), colons: 4 });
    expect(scanJson(text, 2).deepAt).toBe(tooDeepAt(text, 2));
    // a file the fast path takes is checked with the keys the scan counted: a duplicate goes the slow way
    expect(parseJsonText('m.json', '{"a": 1, "a": 2}').errors).toMatchObject([{ rule: 'json-duplicate-key', line: 1 }]);
    expect(parseJsonText('m.json', '{"a": {"b:": 1}, "c": 2}')).toEqual({ value: { a: { 'b:': 1 }, c: 2 }, errors: [] });
  });

  it('locates the first bracket past the limit and names the rule; refuses files over the size limit', () => {
    const text = `{\n  "extra": ${nested(100)}\n}`;
    expect(jsonLimitError('m.json', text)).toMatchObject({ file: 'm.json', line: 2, column: 12 + MAX_DEPTH - 1, rule: 'max-depth' });
    expect(jsonLimitError('m.json', `{"notes": "${'é'.repeat(600_000)}"}`)).toMatchObject({ line: 1, column: 1, rule: 'max-file-size' });
    expect(jsonLimitError('m.json', `{"notes": "${'é'.repeat(600_000)}"}`, null)).toBeUndefined();
    // parseJsonText (legacy import files) bounds depth only, unless told a size
    expect(parseJsonText('r.json', `{"notes": "${'x'.repeat(2_000_000)}"}`).errors).toEqual([]);
  });

  it('parseJsonText refuses over-deep text before its recursive passes', () => {
    const { value, errors } = parseJsonText('m.json', `{"a": ${nested(10_000)}}`);
    expect(value).toBeUndefined();
    expect(errors).toMatchObject([{ rule: 'max-depth', line: 1 }]);
    expect(parseJsonBounded(nested(10_000))).toBeUndefined();
    expect(parseJsonBounded('{"a": [1]}')).toEqual({ value: { a: [1] } });
  });

  it('valueTooDeep and roundTrips walk any depth without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = [deep];
    expect(valueTooDeep(deep)).toBe(true);
    expect(valueTooDeep({ a: [{ b: 1 }] })).toBe(false);
    expect(roundTrips(deep)).toBe(true);
    expect(roundTrips({ a: [1, { b: -0 }] })).toBe(false);
  });

  it('prototypeFree copies objects without prototypes, so constructor and toString are plain keys', () => {
    const v = prototypeFree({ mscn: { staging: 'a' }, list: [{ x: 1 }] });
    expect(Object.getPrototypeOf(v)).toBeNull();
    expect(Object.getPrototypeOf(v.mscn)).toBeNull();
    expect(Array.isArray(v.list)).toBe(true);
    expect((v as Record<string, unknown>)['constructor']).toBeUndefined();
    expect((v.mscn as Record<string, unknown>)['toString']).toBeUndefined();
    expect(JSON.stringify(v)).toBe('{"mscn":{"staging":"a"},"list":[{"x":1}]}');
  });
});

describe('strict numbers', () => {
  it('accepts decimal JSON numbers only, finite', () => {
    expect(strictNumber('12')).toBe(12);
    expect(strictNumber(' -0.5 ')).toBe(-0.5);
    expect(strictNumber('1.5e3')).toBe(1500);
    expect(Object.is(strictNumber('-0'), 0)).toBe(true);
    for (const bad of ['0x10', '0o7', '0b1', '1e400', '-1e400', 'Infinity', '-Infinity', 'NaN', '', ' ', '+1', '.5', '5.', '007', '1_000', '12abc']) {
      expect(strictNumber(bad), bad).toBeUndefined();
      expect(numberProblem(bad), bad).toBeDefined();
    }
    expect(numberProblem('1e400')).toMatch(/out of range/);
    expect(numberProblem('0x10')).toMatch(/not a number/);
    expect(numberProblem('')).toMatch(/empty/);
  });
});

describe('YAML input', () => {
  const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');

  it('refuses an alias bomb with a located error instead of throwing', () => {
    expect(parseYamlText('stages.yaml', bomb).errors).toMatchObject([{ file: 'stages.yaml', line: 2, column: 8, rule: 'yaml-aliases' }]);
    expect(() => parseInputFile('--from', 'f.yaml', bomb)).toThrow(/^--from: f\.yaml:2:8: .*\[yaml-aliases\]$/);
  });

  it('refuses nesting past the limit, and gives only the first syntax error', () => {
    let text = '';
    for (let i = 0; i < 100; i++) text += `${'  '.repeat(i)}k:\n`;
    expect(parseYamlText('c.yaml', text).errors).toMatchObject([{ rule: 'max-depth' }]);
    expect(parseYamlText('c.yaml', '{}\nx: [1, 2\ny: 3\n').errors).toHaveLength(1);
  });

  it('gives prototype-free values; JSON input files are bounded too', () => {
    const v = parseYamlText('s.yaml', 'mscn:\n  staging: a\n').value as Record<string, Record<string, string>>;
    expect(Object.getPrototypeOf(v)).toBeNull();
    expect(v['constructor']).toBeUndefined();
    expect(() => parseInputFile('--from', 'f.json', `{"a": ${nested(1000)}}`)).toThrow(/^--from: f\.json:1:\d+: .*\[max-depth\]$/);
    expect(parseInputFile('--from', 'f.json', '{"a": 1}')).toEqual({ a: 1 });
  });
});
