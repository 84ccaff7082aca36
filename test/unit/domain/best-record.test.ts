import { describe, expect, it } from 'vitest';
import {
  bestChanged,
  bestTagFamily,
  bestTagMessage,
  nextBestTagName,
  parseBestTags,
  recordingCommit,
  sameResult,
  tagTrailers,
} from '../../../src/domain/best-record.js';

const family = bestTagFamily('mscn', 'production', 'total_time');
const ref = (n: string, modelId: string, value: string, target = `c${n}`) => ({
  ref: `refs/tags/${family}/${n}`,
  target,
  contents: `best mscn …\n\nModel-Id: ${modelId}\nValue: ${value}\n`,
});

describe('best tags', () => {
  it('names the family after algorithm, dataset and metric', () => expect(family).toBe('best/mscn/production/total_time'));

  it('parses numbered tags in numeric order and ignores others', () => {
    const tags = parseBestTags(
      [ref('10', 'm10', '1'), ref('9', 'm9', '2'), ref('x', 'mx', '3'), ref('01', 'm01', '4'), { ref: 'refs/tags/best/mscn/production/total_time_x/1', target: 'z', contents: '' }],
      family,
    );
    expect(tags.map((t) => [t.n, t.name, t.modelId, t.value, t.target])).toEqual([
      [9n, `${family}/9`, 'm9', 2, 'c9'],
      [10n, `${family}/10`, 'm10', 1, 'c10'],
    ]);
    expect(nextBestTagName(family, tags)).toBe(`${family}/11`);
    expect(nextBestTagName(family, [])).toBe(`${family}/1`);
    // A tag numbered past 2^53 stays exact: the next name is one more, never a rounded duplicate.
    const huge = parseBestTags([ref('9007199254740993', 'mh', '1')], family);
    expect(nextBestTagName(family, huge)).toBe(`${family}/9007199254740994`);
  });

  it('changed when there is no tag, another model or another value', () => {
    const [t] = parseBestTags([ref('1', 'a', '41.7')], family);
    expect(bestChanged(undefined, 'a', 41.7)).toBe(true);
    expect(bestChanged(t, 'a', 41.7)).toBe(false);
    expect(bestChanged(t, 'b', 41.7)).toBe(true);
    expect(bestChanged(t, 'a', 40)).toBe(true);
  });

  it('writes a message whose trailers read back', () => {
    const [previous] = parseBestTags([ref('1', 'old', '50')], family);
    const msg = bestTagMessage({
      algorithm: 'mscn', dataset: 'production', metric: 'total_time', direction: 'min', aggregate: 'latest',
      modelId: 'new', value: 0.1 + 0.2, runnerUp: { modelId: 'old', value: 50 }, candidates: 3, previous,
    });
    expect(msg.split('\n')[0]).toBe(`best mscn on production by total_time: new (${0.1 + 0.2})`);
    expect(msg.split('\n')[1]).toBe('');
    const t = tagTrailers(msg);
    expect(t).toMatchObject({
      'Model-Id': 'new', Metric: 'total_time', Dataset: 'production', Direction: 'min', 'Runner-Up-Model-Id': 'old',
      'Runner-Up-Value': '50', Candidates: '3', 'Previous-Model-Id': 'old',
    });
    // the value survives the round trip exactly, so an unchanged best is recognised
    expect(Number(t['Value'])).toBe(0.1 + 0.2);
    const [again] = parseBestTags([{ ref: `refs/tags/${family}/2`, target: 'x', contents: msg }], family);
    expect(bestChanged(again, 'new', 0.1 + 0.2)).toBe(false);
  });

  it('leaves runner-up trailers out when there is none, and ignores a signature', () => {
    const msg = bestTagMessage({ algorithm: 'a', dataset: 'd', metric: 'm', direction: 'max', aggregate: 'best', modelId: 'x', value: 1, candidates: 1 });
    expect(msg).not.toMatch(/Runner-Up/);
    expect(tagTrailers(msg + '-----BEGIN PGP SIGNATURE-----\n\nabc: def\n-----END PGP SIGNATURE-----\n')['Model-Id']).toBe('x');
  });
});

describe('recordingCommit', () => {
  const r1 = { dataset: 'production', tested_at: '2024-01-01T00:00:00Z', performance: { total_time: 40 } };
  const r2 = { dataset: 'job', performance: { total_time: 9 } };
  const file = (testing: unknown[]) => JSON.stringify({ model_id: 'm', algorithm: 'mscn', testing });
  // newest first, as git log lists them
  const versions = [
    { commit: 'c5', text: file([r1, r2]) },
    { commit: 'c4', text: file([r1]) }, // restored
    { commit: 'c3', text: undefined }, // removed by cleanup
    { commit: 'c2', text: file([r1]) }, // the test commit
    { commit: 'c1', text: file([]) }, // register
  ];
  it('is the oldest version that already holds the result at its index', () => expect(recordingCommit(versions, 0, r1)).toBe('c2'));
  it('finds a later result', () => expect(recordingCommit(versions, 1, r2)).toBe('c5'));
  it('does not match a different result at the index', () => expect(recordingCommit(versions, 0, { ...r1, performance: { total_time: 41 } })).toBeUndefined());
  it('ignores key order and unparsable versions', () => {
    const reordered = { performance: { total_time: 40 }, tested_at: '2024-01-01T00:00:00Z', dataset: 'production' };
    expect(sameResult(reordered, r1)).toBe(true);
    expect(recordingCommit([{ commit: 'b', text: file([reordered]) }, { commit: 'a', text: '{not json' }], 0, r1)).toBe('b');
  });
});
