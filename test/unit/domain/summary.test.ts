// Summaries and the sort helpers list/best/cleanup use: each must agree with what it stands for.
import { describe, expect, it } from 'vitest';
import { localeOrder, rankModels, scoreOf } from '../../../src/domain/selection.js';
import { SUMMARY, summarize, summaryOf } from '../../../src/domain/summary.js';
import { roundTrips } from '../../../src/store/model-file.js';
import type { Model, ModelMetadata } from '../../../src/domain/types.js';

const sign = (n: number) => Math.sign(n);

describe('localeOrder', () => {
  it('orders like String#localeCompare, on timestamps, ids and odd strings', () => {
    const words = ['2023-01-02T08:06:17Z', '2023-01-02T08:06:18Z', '2023-10-02T08:06:17Z', '2023-01-02T08:06:17.5Z', '2023-01-02T08:06:17+01:00', '', 'mscn_20230102_080617', 'mscn_20230102_080617_2', 'mscn-20230102', 'Mscn_1', 'mscn_1', 'a_2', 'a2', 'é', 'e', 'z', '10', '9', '٣', '1'];
    for (const a of words) for (const b of words) expect(sign(localeOrder(a, b)), `${a} ${b}`).toBe(sign(a.localeCompare(b)));
  });
});

describe('summarize', () => {
  const meta = (over: Record<string, unknown>): ModelMetadata => ({ model_id: 'm', algorithm: 'a', testing: [], tags: [], ...over }) as ModelMetadata;
  const q = { dataset: 'job', metric: 'total_time', direction: 'min' as const };

  it('keeps what the readers of summaryOf read, with the same values, and nothing else', () => {
    const m = meta({ created_at: 't0', model_path: 'p', training: { trained_at: 't1', dataset: 'd', hyperparams: { x: 1 } }, tags: ['best'], testing: [{ dataset: 'job', num_queries: 3, tested_at: 't2', performance: { total_time: 2 } }, null, { dataset: 'job' }] });
    const s = summarize(m);
    expect(s).toEqual({ model_id: 'm', algorithm: 'a', created_at: 't0', training: { trained_at: 't1', dataset: 'd' }, tags: ['best'], testing: [{ dataset: 'job', tested_at: 't2', performance: { total_time: 2 } }, null, { dataset: 'job' }] });
    // A null result (a file committed past the checks) is skipped in scoring, the same way either way.
    // (a summary's result holds only dataset, tested_at and performance)
    const { result: _summarized, ...fromSummary } = scoreOf(JSON.parse(JSON.stringify(s)), q)!;
    const { result: _full, ...fromMetadata } = scoreOf(m, q)!;
    expect(fromSummary).toEqual(fromMetadata);
    expect(fromMetadata).toEqual({ value: 2, resultIndex: 0, count: 1 });
    const ok = meta({ testing: [{ dataset: 'job', performance: { total_time: 2 } }, { dataset: 'job', tested_at: 'x', performance: { total_time: 1 } }] });
    expect(scoreOf(JSON.parse(JSON.stringify(summarize(ok))), q)).toEqual(scoreOf(ok, q));
  });

  it('reads a training that is null, a string or missing as the metadata does', () => {
    for (const training of [null, 'by hand', 7, undefined, []]) {
      const s = JSON.parse(JSON.stringify(summarize(meta({ training, created_at: 'c' }))));
      const m = meta({ training, created_at: 'c' });
      expect(s.training?.trained_at ?? s.created_at).toBe((m.training as { trained_at?: string } | null)?.trained_at ?? m.created_at);
      expect(s.training?.dataset).toBe((m.training as { dataset?: string } | null)?.dataset);
    }
  });

  it('is what summaryOf reads when a model carries one, else the metadata', () => {
    const m = meta({ tags: ['x'] });
    const plain: Model = { path: 'models/a/m.json', metadata: m };
    expect(summaryOf(plain)).toBe(m);
    const s = summarize(m);
    const withSummary = { path: plain.path, [SUMMARY]: s, get metadata(): ModelMetadata { throw new Error('parsed'); } } as unknown as Model;
    expect(summaryOf(withSummary)).toBe(s);
    // Ranking a summarized model never parses its metadata.
    expect(rankModels([withSummary], q).untested).toEqual([withSummary]);
  });
});

describe('roundTrips', () => {
  it('is false exactly where JSON.stringify would change a parsed value', () => {
    for (const text of ['{"a":1}', '{"a":[1,2.5,"-0",{"b":null}]}', '{"a":1e300}', '{"__proto__":{"x":1}}', '"\\ud800"']) expect(roundTrips(JSON.parse(text)), text).toBe(true);
    for (const text of ['{"a":-0}', '{"a":[1,{"b":-0.0}]}', '{"a":1e400}', '[-1e999]']) expect(roundTrips(JSON.parse(text)), text).toBe(false);
  });
});
