// fastDateTime answers the one form modelgit writes itself and hands everything else to
// ajv-formats' full check; the two must agree on every string, or a file would pass `validate`
// that ajv-formats refuses (or the reverse). Checked on the forms that matter (leap years, leap
// seconds, month lengths, other separators and zones) and on strings one character away from them,
// both for the function and for the copy the build writes beside the standalone validators.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { fastDateTime } from '../../../src/schema/date-time.js';

const require = createRequire(import.meta.url);
const full = (require('ajv-formats/dist/formats') as { fullFormats: Record<string, { validate: (s: string) => boolean }> }).fullFormats['date-time']!.validate;
const built = (require('../../../dist/schema/compiled/formats.cjs') as Record<string, { validate: (s: string) => boolean }>)['date-time']!.validate;

/** Deterministic pseudo-random numbers (a test that fails must fail again). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function samples(): string[] {
  const next = random(7);
  const pick = <T>(xs: T[]) => xs[Math.floor(next() * xs.length)]!;
  const out = ['2023-06-22T06:18:31Z', '2024-02-29T00:00:00Z', '2023-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2000-02-29T00:00:00Z', '2023-06-30T23:59:60Z', '2023-06-30T23:59:59Z', '2023-04-31T10:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '2023-06-22 06:18:31Z', '2023-06-22t06:18:31z', '2023-06-22T06:18:31.123Z', '2023-06-22T06:18:31+02:00', '2023-06-22T06:18:31', '', 'yesterday', '2023-06-22T24:00:00Z', '2023-00-10T00:00:00Z', '2023-06-00T00:00:00Z'];
  for (let i = 0; i < 20_000; i++) {
    const year = pick([1900, 1999, 2000, 2023, 2024, 2100, 2400, Math.floor(next() * 10_000)]);
    const s = `${pad(year, 4)}-${pad(Math.floor(next() * 14))}-${pad(Math.floor(next() * 33))}T${pad(Math.floor(next() * 26))}:${pad(Math.floor(next() * 61))}:${pad(Math.floor(next() * 62))}Z`;
    out.push(s);
    // one character changed, for the checks of each position
    const at = Math.floor(next() * s.length);
    out.push(s.slice(0, at) + pick([...'0123456789-:TtZz .+/a']) + s.slice(at + 1));
  }
  return out;
}

describe('date-time', () => {
  const all = samples();
  it('agrees with ajv-formats on every sample', () => {
    const check = fastDateTime(full);
    const disagree = all.filter((s) => check(s) !== full(s));
    expect(disagree).toEqual([]);
    // both answers occur (a sample set all valid or all invalid would prove nothing)
    expect(all.filter((s) => full(s)).length).toBeGreaterThan(1000);
    expect(all.filter((s) => !full(s)).length).toBeGreaterThan(1000);
  });

  it('the build-time copy agrees too', () => {
    expect(all.filter((s) => built(s) !== full(s))).toEqual([]);
  });

  it('answers the common form without asking ajv-formats', () => {
    let asked = 0;
    const check = fastDateTime((s) => (asked++, full(s)));
    expect(check('2023-06-22T06:18:31Z')).toBe(true);
    expect(asked).toBe(0);
    expect(check('2023-06-22T06:18:31.5Z')).toBe(true);
    expect(asked).toBe(1);
  });
});
