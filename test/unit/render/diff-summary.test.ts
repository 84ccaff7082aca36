// The pull-request summary at scale (issue #17): a cleanup of thousands of models must fit in one
// GitHub comment (65,536 characters), grouped by algorithm and folded; a forced promotion shows the
// gates it overrode (issue #16).
import { describe, expect, it } from 'vitest';
import { diffMarkdown, GITHUB_COMMENT_LIMIT } from '../../../src/render/diff.js';
import type { DiffAnswer } from '../../../src/registry/diff.js';

function answer(over: Partial<DiffAnswer>): DiffAnswer {
  return { base: 'a'.repeat(40), head: 'b'.repeat(40), metric: 'total_time', stage: 'production', registered: [], removed: [], results: [], promotions: [], changed: [], gates: [], ...over };
}

const ref = (algorithm: string, i: number) => ({ model_id: `${algorithm}_20261206_${String(100000 + i)}`, algorithm, path: `models/${algorithm}/${algorithm}_${i}.json` });

describe('diffMarkdown at scale', () => {
  it('a cleanup of 1,547 models: one line per algorithm, folded, far under the comment limit', () => {
    const removed = [...Array.from({ length: 1000 }, (_, i) => ref('mscn', i)), ...Array.from({ length: 547 }, (_, i) => ref('lero', i))];
    const md = diffMarkdown(answer({ removed }));
    expect(md).toContain('<details><summary>1,547 models (mscn: 1,000, lero: 547)</summary>');
    expect(md.match(/^- \*\*/gm)).toHaveLength(2);
    expect(md.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
  });

  it('past the limit, lists are left out and the text says where the full diff is', () => {
    const removed = Array.from({ length: 6000 }, (_, i) => ref('mscn', i));
    const registered = Array.from({ length: 3000 }, (_, i) => ({ ...ref('lero', i), training_dataset: 'job', tags: ['a'] }));
    const md = diffMarkdown(answer({ removed, registered }));
    expect(md.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    expect(md).toContain('**3,000** registered · **6,000** removed');
    expect(md).toMatch(/_Too long for a comment: .* left out here._/);
    expect(md).toMatch(/--format json`, or the `registry-diff` artifact/);
  });

  it('a short diff stays open (no <details>)', () => {
    const md = diffMarkdown(answer({ removed: [ref('mscn', 1)] }));
    expect(md).not.toContain('<details>');
    expect(md).toContain('- **mscn** (1): `mscn_20261206_100001`');
  });

  it('a forced promotion shows the gates it overrode', () => {
    const md = diffMarkdown(
      answer({
        promotions: [{ algorithm: 'mscn', stage: 'production', model_id: 'b', previous: 'a', action: 'promote' }],
        gates: [{ algorithm: 'mscn', stage: 'production', model_id: 'b', forced: true, failed: [{ gate: 'must_beat_current', detail: 'total_time 60 is not better than a (50)' }] }],
      }),
    );
    expect(md).toContain('| mscn | production | a → **b** ⚠️ **forced** past failed gates: must_beat_current: total_time 60 is not better than a (50) |');
  });
});
