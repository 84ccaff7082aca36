import { describe, expect, it } from 'vitest';
import { highestTagNumber, nextStageTagNumber } from '../../../src/domain/stage-tags.js';

const refs = (...names: string[]) => names.map((n) => ({ ref: `refs/tags/${n}` }));

describe('decision-tag numbering', () => {
  const all = refs('cleanup/mscn/1', 'cleanup/mscn/7', 'cleanup/mscn-2/9', 'cleanup/mscn/x', 'cleanup/mscn/03', 'stage/mscn/production/2', 'stage/mscn/staging/5');
  it('takes the highest n of exactly that family', () => {
    expect(highestTagNumber(all, 'cleanup/mscn')).toBe(7n);
    expect(highestTagNumber(all, 'cleanup/lero')).toBe(0n);
    expect(highestTagNumber(refs('cleanup/mscn/2').map((r) => ({ ref: r.ref.slice('refs/tags/'.length) })), 'cleanup/mscn')).toBe(2n);
  });
  it('numbers stage tags per algorithm and stage', () => {
    expect(nextStageTagNumber(all, 'mscn', 'production')).toBe(3n);
    expect(nextStageTagNumber(all, 'mscn', 'staging')).toBe(6n);
    expect(nextStageTagNumber(all, 'lero', 'production')).toBe(1n);
  });
  it('keeps numbers at and past 2^53 exact (a rounded "next" would name an existing tag)', () => {
    const big = refs('stage/mscn/production/9007199254740993', 'stage/mscn/production/4', 'cleanup/mscn/18446744073709551616');
    expect(nextStageTagNumber(big, 'mscn', 'production')).toBe(9007199254740994n);
    expect(highestTagNumber(big, 'cleanup/mscn')).toBe(18446744073709551616n);
  });
});
