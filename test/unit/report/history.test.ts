import { describe, expect, it } from 'vitest';
import { balancedCuts, canonicalOrder, type ScannedCommit } from '../../../src/git/raw-log.js';
import { metricDirection } from '../../../src/domain/metrics.js';
import type { ModelMetadata } from '../../../src/domain/types.js';
import { bestOverTime, summarize, type StateCommit } from '../../../src/report/best-over-time.js';
import { CorruptHistoryError, decodeHistory, encodeHistory, extendHistory, historyFront, historyHeader, type HistoryCommit } from '../../../src/report/history.js';

const c = (id: string, parents: string[] = []): ScannedCommit => ({ commit: id, parents, author: 'a', authorEmail: 'a@x', date: '', time: 0, subject: id, trailers: {}, changes: [] });
const ids = (list: ScannedCommit[] | undefined) => list?.map((x) => x.commit);

describe('canonicalOrder', () => {
  // main: r - a - m1 - b - m2 ; side1: s1 - s2 (from a, merged at m1); side2: t1 (from s1, merged at m2)
  const commits = [c('r'), c('a', ['r']), c('s1', ['a']), c('s2', ['s1']), c('m1', ['a', 's2']), c('b', ['m1']), c('t1', ['s1']), c('m2', ['b', 't1'])];
  const shuffled = [...commits].reverse();

  it('puts each first-parent commit after the commits it brought in, parents first, whatever the input order', () => {
    const expected = ['r', 'a', 's1', 's2', 'm1', 'b', 't1', 'm2'];
    expect(ids(canonicalOrder(commits, 'm2'))).toEqual(expected);
    expect(ids(canonicalOrder(shuffled, 'm2'))).toEqual(expected);
  });

  it('an extension along the first-parent line keeps the old order as a prefix', () => {
    const full = ids(canonicalOrder(commits, 'm2'))!;
    const upToM1 = ids(canonicalOrder(commits.filter((x) => ['r', 'a', 's1', 's2', 'm1'].includes(x.commit)), 'm1'))!;
    const rest = ids(canonicalOrder(commits.filter((x) => ['b', 't1', 'm2'].includes(x.commit)), 'm2', 'm1'))!;
    expect([...upToM1, ...rest]).toEqual(full);
  });

  it('refuses a stop that is not on the first-parent line', () => {
    // s2 is an ancestor of m2 but reached only through m1's second parent
    const after = commits.filter((x) => ['m1', 'b', 't1', 'm2'].includes(x.commit));
    expect(canonicalOrder(after, 'm2', 's2')).toBeUndefined();
    expect(canonicalOrder([], 'm2', 'm2')).toEqual([]);
  });
});

describe('balancedCuts', () => {
  it('splits equal work into equal counts', () => {
    expect(balancedCuts(100, 2, [])).toEqual([49]);
    expect(balancedCuts(100, 4, [{ at: 0, weight: 1 }, { at: 99, weight: 1 }])).toEqual([24, 49, 74]);
  });

  it('gives the newest range fewer commits when later commits cost more', () => {
    // work grows linearly: half of it is done by about 70% of the commits
    const [cut] = balancedCuts(1000, 2, [{ at: 0, weight: 0 }, { at: 999, weight: 1000 }]);
    expect(cut).toBeGreaterThan(690);
    expect(cut).toBeLessThan(720);
  });

  it('leaves every range at least one commit, and needs enough commits to split', () => {
    expect(balancedCuts(3, 3, [{ at: 0, weight: 1 }, { at: 2, weight: 1e9 }])).toEqual([0, 1]);
    expect(balancedCuts(1, 2, [])).toEqual([]);
    expect(balancedCuts(10, 1, [])).toEqual([]);
  });
});

function meta(id: string, results: [string, Record<string, number>][], extra: Partial<ModelMetadata> = {}): ModelMetadata {
  return { model_id: id, algorithm: 'mscn', created_at: `2024-10-01T00:00:${id.slice(-2)}Z`, testing: results.map(([dataset, performance]) => ({ dataset, performance })), tags: [], ...extra };
}

describe('the history cache file', () => {
  const commits: HistoryCommit[] = [
    {
      commit: 'a'.repeat(40),
      author: 'Ann \x1f\x1c\x1d\\ odd',
      date: '2024-10-01T10:00:00+02:00',
      time: 1727769600,
      subject: 'register m01 with a\nnewline and a \\x41 escape',
      trailers: { 'Model-Action': ['register'], 'Model-Id': ['m01', 'm02'] },
      firstParent: true,
      changes: [
        { path: 'models/mscn/m01.json', summary: summarize(meta('m01', [['p\x1cq', { total_time: 1.5, accuracy: -0.25 }], ['p\x1cq', { total_time: 1e-7 }]])) },
        { path: 'models/mscn/m02.json', summary: null },
        { path: 'models/mscn/m03.json', summary: summarize(meta('m03', [], { created_at: 12 as unknown as string })) },
      ],
    },
    { commit: 'b'.repeat(40), author: '', date: '', time: 0, subject: '', trailers: {}, firstParent: false, changes: [{ path: 'models/lero/x.json' }] },
  ];
  const expectAt = { commit: 'f'.repeat(40), modelsDir: 'models' };

  it('gives back exactly what was written, odd characters and all', () => {
    const buf = encodeHistory(expectAt.commit, 'models', commits);
    expect(decodeHistory(buf, expectAt)).toEqual(commits);
    expect(decodeHistory(encodeHistory(expectAt.commit, 'models', []), expectAt)).toEqual([]);
    expect(historyHeader(buf.subarray(0, 300), buf.length)).toMatchObject({ commit: expectAt.commit, count: 2 });
  });

  it('an extension is byte for byte the encoding of the whole, from an empty history or to no new commits too', () => {
    const at = 'c'.repeat(40);
    const whole = encodeHistory(expectAt.commit, 'models', commits);
    expect(extendHistory(encodeHistory(at, 'models', commits.slice(0, 1)), expectAt.commit, 'models', commits.slice(1)).equals(whole)).toBe(true);
    expect(extendHistory(encodeHistory(at, 'models', []), expectAt.commit, 'models', commits).equals(whole)).toBe(true);
    expect(extendHistory(encodeHistory(at, 'models', commits), expectAt.commit, 'models', []).equals(whole)).toBe(true);
    expect(decodeHistory(extendHistory(whole, at, 'models', commits), { commit: at, modelsDir: 'models' })).toEqual([...commits, ...commits]);
    // one header length for any history (so a cache file is extended where it is, not copied)
    const big = historyHeader(extendHistory(whole, at, 'models', Array.from({ length: 500 }, () => commits).flat()));
    expect(big.headerBytes).toBe(historyHeader(encodeHistory(at, 'models', [])).headerBytes);
  });

  it("a history's front is byte for byte the encoding of its first commits", () => {
    const at = 'c'.repeat(40);
    const whole = encodeHistory(expectAt.commit, 'models', commits);
    for (let k = 0; k <= commits.length; k++) expect(historyFront(whole, k, at, 'models').equals(encodeHistory(at, 'models', commits.slice(0, k)))).toBe(true);
  });

  it('refuses a file that is damaged, cut short, or made for something else', () => {
    const buf = encodeHistory(expectAt.commit, 'models', commits);
    const flipped = Buffer.from(buf);
    flipped[buf.length - 5] ^= 1;
    expect(() => decodeHistory(flipped, expectAt)).toThrow(/checksum mismatch/);
    expect(() => decodeHistory(buf.subarray(0, buf.length - 1), expectAt)).toThrow(/truncated or padded/);
    expect(() => decodeHistory(Buffer.from('something else\n'), expectAt)).toThrow(CorruptHistoryError);
    expect(() => decodeHistory(buf, { ...expectAt, commit: 'e'.repeat(40) })).toThrow(/another commit/);
    expect(() => decodeHistory(buf, { ...expectAt, modelsDir: 'registry' })).toThrow(/another models_dir/);
  });
});

describe('bestOverTime from summaries', () => {
  it('answers exactly as from the metadata', () => {
    const dir = (m: string) => metricDirection({ metrics: { total_time: { direction: 'min' } } }, m);
    const versions = [
      [meta('a01', [['p', { total_time: 10 }]])],
      [meta('b02', [['p', { total_time: 8 }]]), meta('a01', [['p', { total_time: 10 }], ['p', { total_time: 7 }]])],
      [null],
      [meta('b02', [['p', { total_time: 8 }], ['q', { total_time: 1 }]])],
    ];
    const paths = ['models/mscn/a01.json', 'models/mscn/b02.json'];
    const asMeta: StateCommit[] = versions.map((vs, i) => ({ commit: `c${i}`, date: '', time: i, changes: vs.map((m, k) => ({ path: m ? `models/mscn/${m.model_id}.json` : paths[k]!, meta: m })) }));
    const asSummary: StateCommit[] = asMeta.map((s) => ({ ...s, changes: s.changes.map((ch) => ({ path: ch.path, summary: 'meta' in ch && ch.meta ? summarize(ch.meta) : null })) }));
    expect(bestOverTime(asSummary, dir)).toEqual(bestOverTime(asMeta, dir));
    expect(bestOverTime(asSummary, dir).series.map((s) => s.steps.length)).toEqual([3, 1]);
  });
});

describe('report tables and formatting', () => {
  it('bestOf names what selectBest names (random registries with ties)', async () => {
    const { bestOf } = await import('../../../src/report/tables.js');
    const { selectBest } = await import('../../../src/domain/selection.js');
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648) % n);
    for (let round = 0; round < 200; round++) {
      const models = Array.from({ length: 1 + rnd(12) }, (_, i) => {
        const results: [string, Record<string, number>][] = Array.from({ length: rnd(3) }, () => [rnd(2) ? 'p' : 'q', { total_time: rnd(4), accuracy: rnd(3) / 2 }]);
        const m = meta(`m${String(rnd(5) * 10 + i).padStart(2, '0')}`, results, { created_at: `2024-10-0${1 + rnd(3)}T00:00:00Z` });
        return { path: `models/mscn/${m.model_id}.json`, metadata: m };
      });
      for (const q of [{ dataset: 'p', metric: 'total_time', direction: 'min' as const }, { dataset: 'q', metric: 'accuracy', direction: 'max' as const }]) {
        const want = selectBest(models, q);
        const got = bestOf(models, q);
        expect(got?.model, JSON.stringify(q)).toBe(want?.best.model);
        expect(got?.value).toBe(want?.best.score.value);
      }
    }
  });

  it('fmtNum gives what six significant digits give, without toPrecision when it can', async () => {
    const { fmtNum, significantDigits } = await import('../../../src/report/html.js');
    const slow = (n: number) => String(Number(n.toPrecision(6)));
    for (const n of [0.6064, -0.25, 90.96, 1.5138, 0.1 + 0.2, 123456.7, 99999.95, 0.0012345678, 1 / 3, -2 / 3, 0.001, 999999.5]) expect(fmtNum(n)).toBe(slow(n));
    let seed = 3;
    for (let i = 0; i < 20000; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const n = (seed / 2147483648) * 10 ** ((seed % 9) - 3) * (seed % 2 ? 1 : -1);
      if (Number.isInteger(n) || Math.abs(n) < 1e-3 || Math.abs(n) >= 1e6) continue;
      const rounded = Number(n.toPrecision(1 + (seed % 7)));
      expect(fmtNum(rounded)).toBe(slow(rounded));
    }
    expect(significantDigits('-0.0605')).toBe(3);
    expect(significantDigits('1e-7')).toBe(Infinity);
  });
});
