import { describe, expect, it } from 'vitest';
import { localeOrder, oneShape, rankModels, scoreOf, selectBest, sortNewestFirst } from '../../../src/domain/selection.js';
import type { Model, TestResult } from '../../../src/domain/types.js';

function model(id: string, created: string, testing: Partial<TestResult>[]): Model {
  return {
    path: `models/mscn/${id}.json`,
    metadata: { schema_version: 2, model_id: id, algorithm: 'mscn', created_at: created, testing: testing as TestResult[], tags: [] },
  };
}
const r = (dataset: string, total_time: number): Partial<TestResult> => ({ dataset, performance: { total_time } });

describe('scoreOf', () => {
  const m = model('a', '2024-01-01T00:00:00Z', [r('prod', 10), r('job', 1), r('prod', 30), r('prod', 20)]);
  const q = { dataset: 'prod', metric: 'total_time', direction: 'min' as const };
  it('latest result on the dataset by default', () => expect(scoreOf(m.metadata, q)).toMatchObject({ value: 20, resultIndex: 3, count: 3 }));
  it('best result with --aggregate best', () => expect(scoreOf(m.metadata, { ...q, aggregate: 'best' })?.value).toBe(10));
  it('mean with --aggregate mean', () => expect(scoreOf(m.metadata, { ...q, aggregate: 'mean' })?.value).toBe(20));
  it('undefined with no result on the dataset', () => expect(scoreOf(m.metadata, { ...q, dataset: 'stats' })).toBeUndefined());
  it('ignores results without the metric', () => expect(scoreOf(m.metadata, { ...q, metric: 'accuracy' })).toBeUndefined());
});

describe('rankModels / selectBest', () => {
  const a = model('a', '2024-01-01T00:00:00Z', [r('prod', 10)]);
  const b = model('b', '2024-01-02T00:00:00Z', [r('prod', 5)]);
  const c = model('c', '2024-01-03T00:00:00Z', [r('prod', 10)]);
  const u1 = model('u1', '2024-01-04T00:00:00Z', []);
  const u2 = model('u2', '2024-01-05T00:00:00Z', [r('job', 1)]);
  it('orders best first; equal values go to the earlier model; untested newest first', () => {
    const { ranked, untested } = rankModels([c, u1, a, b, u2], { dataset: 'prod', metric: 'total_time', direction: 'min' });
    expect(ranked.map((x) => x.model.metadata.model_id)).toEqual(['b', 'a', 'c']);
    expect(untested.map((x) => x.metadata.model_id)).toEqual(['u2', 'u1']);
  });
  it('respects direction max', () => {
    const s = selectBest([a, b, c], { dataset: 'prod', metric: 'total_time', direction: 'max' });
    expect(s?.best.model.metadata.model_id).toBe('a');
    expect(s?.runnerUp?.model.metadata.model_id).toBe('c');
    expect(s?.candidates).toBe(3);
  });
  it('undefined when nothing was tested', () => expect(selectBest([u1], { dataset: 'prod', metric: 'total_time', direction: 'min' })).toBeUndefined());
  it('selectBest is rankModels\' first two and its count (random models, many ties, every aggregate)', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    for (let round = 0; round < 200; round++) {
      const models = Array.from({ length: rnd(12) }, (_, i) =>
        model(`m${rnd(5)}_${i}`, `2024-01-0${1 + rnd(3)}T00:00:00Z`, Array.from({ length: rnd(4) }, () => r(rnd(2) ? 'prod' : 'job', rnd(4)))),
      );
      for (const direction of ['min', 'max'] as const) {
        for (const aggregate of ['latest', 'best', 'mean'] as const) {
          const q = { dataset: 'prod', metric: 'total_time', direction, aggregate };
          const { ranked } = rankModels(models, q);
          const s = selectBest(models, q);
          expect(s && { best: s.best, runnerUp: s.runnerUp, candidates: s.candidates }).toEqual(ranked.length ? { best: ranked[0], runnerUp: ranked[1], candidates: ranked.length } : undefined);
        }
      }
    }
  });
  it('sortNewestFirst and the untested order are localeOrder\'s, for dates of one shape and of many', () => {
    let seed = 11;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2147483648), seed % n);
    const shapes = [
      () => `2024-0${1 + rnd(9)}-1${rnd(10)}T0${rnd(10)}:00:00Z`,
      () => `2024-0${1 + rnd(9)}-1${rnd(10)}T0${rnd(10)}:00:00.${rnd(10)}Z`,
      () => ['', '2024', 'yesterday', '2024-01-01', 'é', '2024-01-01T00:00:00+01:00'][rnd(6)]!,
    ];
    for (let round = 0; round < 300; round++) {
      const mixed = rnd(3) === 0;
      const models = Array.from({ length: rnd(15) }, (_, i) => model(`m${rnd(3)}${i % 2 ? '_2' : ''}_${i}`, shapes[mixed ? rnd(3) : 0]!(), rnd(2) ? [] : [r('job', 1)]));
      const want = [...models].sort((a, b) => localeOrder(b.metadata.created_at!, a.metadata.created_at!) || localeOrder(b.metadata.model_id, a.metadata.model_id));
      expect(sortNewestFirst(models).map((m) => m.metadata.model_id)).toEqual(want.map((m) => m.metadata.model_id));
      const untested = models; // none has a result on prod
      const wantUntested = [...untested].sort((a, b) => localeOrder(b.metadata.created_at!, a.metadata.created_at!) || localeOrder(a.metadata.model_id, b.metadata.model_id));
      expect(rankModels(models, { dataset: 'prod', metric: 'total_time', direction: 'min' }).untested.map((m) => m.metadata.model_id)).toEqual(wantUntested.map((m) => m.metadata.model_id));
    }
  });

  it('oneShape: same length, digits only where digits are', () => {
    expect(oneShape([])).toBe(true);
    expect(oneShape(['2024-01-01T00:00:00Z', '2023-12-31T23:59:59Z'])).toBe(true);
    expect(oneShape(['2024-01-01T00:00:00Z', '2024-01-01T00:00:00+00:00'])).toBe(false);
    expect(oneShape(['2024-01-01', '2024/01/01'])).toBe(false);
    expect(oneShape(['a1', 'b1'])).toBe(false);
  });
});
