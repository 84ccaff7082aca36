import { describe, expect, it } from 'vitest';
import { parseCommitTrees, withCommitTree, type CommitTree } from '../../src/registry/commit-trees.js';

const oid = (n: number) => n.toString(16).padStart(40, '0');
const entry = (n: number, modelsDir = 'models'): CommitTree => ({ commit: oid(n), tree: oid(n + 1000), modelsDir });

describe('commit-trees file', () => {
  it('reads back what it wrote, newest first, keeping a models dir with spaces', () => {
    let text = '';
    for (const e of [entry(1), entry(2, 'my models'), entry(3)]) text = withCommitTree(parseCommitTrees(text).entries, e);
    expect(parseCommitTrees(text)).toEqual({ entries: [entry(3), entry(2, 'my models'), entry(1)], damaged: false });
  });

  it('keeps one answer per commit and models dir, and the 16 newest', () => {
    let text = '';
    for (let i = 0; i < 20; i++) text = withCommitTree(parseCommitTrees(text).entries, entry(i % 18));
    const { entries } = parseCommitTrees(text);
    expect(entries).toHaveLength(16);
    expect(entries[0]).toEqual(entry(1));
    expect(new Set(entries.map((e) => e.commit)).size).toBe(16);
    const other = withCommitTree(entries, entry(1, 'elsewhere'));
    expect(parseCommitTrees(other).entries.slice(0, 2)).toEqual([entry(1, 'elsewhere'), entry(1)]);
  });

  it('drops a line whose CRC, ids or shape is wrong, and says so', () => {
    const good = withCommitTree([], entry(7));
    const flipped = good.replace(oid(1007), oid(1008));
    expect(parseCommitTrees(flipped)).toEqual({ entries: [], damaged: true });
    expect(parseCommitTrees(good + 'garbage\n')).toEqual({ entries: [entry(7)], damaged: true });
    expect(parseCommitTrees(good.slice(0, 20))).toEqual({ entries: [], damaged: true });
    expect(parseCommitTrees('')).toEqual({ entries: [], damaged: false });
  });
});
