import { describe, expect, it } from 'vitest';
import { parseJsonText } from '../../../src/schema/validator.js';

describe('parseJsonText duplicate keys', () => {
  it('names each duplicate by its full pointer, escaped, at its line', () => {
    const text = '{\n  "a": 1,\n  "a": 2,\n  "testing": [\n    {"x": 1},\n    {"performance": {"t/~": 1, "t/~": 2}}\n  ],\n  "n": {"m": {"k": 1, "k": 2}}\n}\n';
    const { errors, value } = parseJsonText('f.json', text);
    expect(value).toBeUndefined();
    expect(errors.map((e) => [e.pointer, e.line, e.rule])).toEqual([
      ['/a', 3, 'json-duplicate-key'],
      ['/testing/1/performance/t~1~0', 6, 'json-duplicate-key'],
      ['/n/m/k', 8, 'json-duplicate-key'],
    ]);
  });

  it('parses a clean document', () => {
    expect(parseJsonText('f.json', '{"a": [1, {"b": 2}]}')).toMatchObject({ value: { a: [1, { b: 2 }] }, errors: [] });
  });
});
