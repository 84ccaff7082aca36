import { describe, expect, it } from 'vitest';
import { highestTagNumber, nextStageTagNumber } from '../../src/domain/stage-tags.js';

const refs = (...names: string[]) => names.map((n) => ({ ref: `refs/tags/${n}` }));

describe('decision-tag numbering', () => {
  const all = refs('cleanup/mscn/1', 'cleanup/mscn/7', 'cleanup/mscn-2/9', 'cleanup/mscn/x', 'cleanup/mscn/03', 'stage/mscn/production/2', 'stage/mscn/staging/5');
  it('takes the highest n of exactly that family', () => {
    expect(highestTagNumber(all, 'cleanup/mscn')).toBe(7);
    expect(highestTagNumber(all, 'cleanup/lero')).toBe(0);
    expect(highestTagNumber(refs('cleanup/mscn/2').map((r) => ({ ref: r.ref.slice('refs/tags/'.length) })), 'cleanup/mscn')).toBe(2);
  });
  it('numbers stage tags per algorithm and stage', () => {
    expect(nextStageTagNumber(all, 'mscn', 'production')).toBe(3);
    expect(nextStageTagNumber(all, 'mscn', 'staging')).toBe(6);
    expect(nextStageTagNumber(all, 'lero', 'production')).toBe(1);
  });
});
