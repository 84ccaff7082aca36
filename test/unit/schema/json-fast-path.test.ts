import { describe, expect, it } from 'vitest';
import { cleanJsonValue, encodingProblem, fastJsonValue, parseJsonText, parseJsonTree, parsedKeyCount, writtenKeyCount } from '../../../src/schema/validator.js';

const MODEL = JSON.stringify(
  {
    schema_version: 2,
    model_id: 'mscn_20230118_054301',
    algorithm: 'mscn',
    created_at: '2023-01-18T05:43:01Z',
    training: { enabled: true, hyperparams: { lr: 0.001, 'a:b': '"q\\"uoted:"' } },
    testing: [{ dataset: 'job', performance: { total_time: 531.4 } }, { dataset: 'x', performance: {} }],
    tags: ['best', 'ü:\u2028'],
    extra: { '': null, __proto__x: [[], {}] },
  },
  null,
  2,
);

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['"', ':', ',', '{', '}', '[', ']', '\\', ' ', '\n', '\t', '\u00a0', '\ufeff', '\u0001', 'e', '-', '0', '.', 'true', 'null', '"a": 1', '"model_id": "x"', '//', '/*', '\r'];

function mutate(text: string, next: () => number): string {
  let t = text;
  const edits = 1 + Math.floor(next() * 3);
  for (let k = 0; k < edits; k++) {
    const at = Math.floor(next() * (t.length + 1));
    const r = next();
    if (r < 0.3) t = t.slice(0, at) + t.slice(at + 1);
    else if (r < 0.8) t = t.slice(0, at) + PIECES[Math.floor(next() * PIECES.length)] + t.slice(at);
    else {
      // repeat a line: often a duplicate key
      const lines = t.split('\n');
      const i = Math.floor(next() * lines.length);
      lines.splice(i, 0, lines[i]!);
      t = lines.join('\n');
    }
  }
  return t;
}

describe('the JSON fast path', () => {
  it('counts written keys outside strings only', () => {
    expect(writtenKeyCount('{"a:b": "c:d", "e": {"f\\":": 1}}')).toBe(3);
    expect(writtenKeyCount('[1, "::", {}]')).toBe(0);
    expect(parsedKeyCount(JSON.parse('{"a": {"b": [{"c": 1}, 2]}, "d": null}'))).toBe(4);
  });

  it('sees a duplicate key, even __proto__, and leaves it to the positional parser', () => {
    expect(fastJsonValue('{"a": 1, "a": 2}')).toBeUndefined();
    expect(fastJsonValue('{"x": {"__proto__": 1, "__proto__": 2}}')).toBeUndefined();
    expect(fastJsonValue('{"__proto__": {"a": 1}}')).toEqual({ value: JSON.parse('{"__proto__": {"a": 1}}') });
    expect(parseJsonText('f.json', '{"a": 1,\n "a": 2}').errors).toMatchObject([{ line: 2, column: 2, pointer: '/a', rule: 'json-duplicate-key' }]);
  });

  it('the quickest path leaves to the others a duplicate its colon count could miss (a \\u escape), a file too deep, too big, or with a replacement character', () => {
    // a dropped value's \u003a would make up for the dropped key in the count: never counted
    expect(cleanJsonValue('{"a": "x", "a": "\\u003a"}', null)).toBeUndefined();
    expect(parseJsonText('f.json', '{"a": "x", "a": "\\u003a"}').errors).toMatchObject([{ rule: 'json-duplicate-key' }]);
    expect(cleanJsonValue('{"a:b": "c:d", "e": ["f:", {"g": "::"}]}', null)).toEqual({ value: { 'a:b': 'c:d', e: ['f:', { g: '::' }] } });
    expect(cleanJsonValue('{"a": 1, "a": 2}', null)).toBeUndefined();
    expect(cleanJsonValue('{"a": {"b": ":"}, "a": 2}', null)).toBeUndefined();
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(cleanJsonValue(deep(64), null)).toBeDefined();
    expect(cleanJsonValue(deep(65), null)).toBeUndefined();
    expect(parseJsonText('f.json', deep(65)).errors).toMatchObject([{ rule: 'max-depth', column: 65 }]);
    expect(cleanJsonValue('{"n": "' + 'x'.repeat(100) + '"}', 50)).toBeUndefined();
    expect(cleanJsonValue('{"n": "\ufffd"}', null)).toBeUndefined();
  });

  it('gives up on what JSON.parse rejects but jsonc-parser may accept (a byte order mark, other whitespace)', () => {
    expect(fastJsonValue('\ufeff{}')).toBeUndefined();
    expect(fastJsonValue('{\u00a0}')).toBeUndefined();
    expect(fastJsonValue('')).toBeUndefined();
  });

  it('answers exactly what the positional parser answers, on thousands of damaged files', () => {
    const next = rng(42);
    let fast = 0;
    let slow = 0;
    let cleanCount = 0;
    for (let i = 0; i < 4000; i++) {
      const text = i === 0 ? MODEL : mutate(MODEL, next);
      const tree = parseJsonTree('f.json', text);
      const got = parseJsonText('f.json', text);
      const quick = fastJsonValue(text);
      const clean = cleanJsonValue(text, 1 << 20);
      // the quickest path takes only what the fast path takes (and nothing with an encoding problem)
      if (clean) {
        expect(quick, text).toBeDefined();
        expect(clean.value, text).toEqual(quick!.value);
        expect(encodingProblem('f.json', text), text).toBeUndefined();
        cleanCount++;
      }
      if (quick) {
        fast++;
        // whatever the fast path accepts, the full parse accepts with the same value
        expect(tree.errors, text).toEqual([]);
        expect(quick.value, text).toEqual(tree.value);
      } else slow++;
      // A BOM or a replacement character is named as an encoding problem before any parser runs.
      if (encodingProblem('f.json', text)) expect(got.errors[0]?.rule, text).toMatch(/^encoding/);
      else expect(got, text).toEqual(tree);
    }
    // both paths were exercised
    expect(fast).toBeGreaterThan(200);
    expect(slow).toBeGreaterThan(200);
    expect(cleanCount).toBeGreaterThan(200);
  });
});
