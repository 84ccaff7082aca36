// HEAD read from git's files must be git's own answer, or no answer (then git is asked).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Git } from '../../src/git/git.js';
import { gitDirsOf, headFromFiles } from '../../src/git/head-files.js';
import { git, tempDir, tempRepo } from '../helpers.js';

const A = 'a'.repeat(40);
const files = (worktree: Record<string, string>, common: Record<string, string> = worktree) => (where: 'worktree' | 'common', rel: string) =>
  (where === 'worktree' ? worktree : common)[rel];

describe('headFromFiles', () => {
  it('follows HEAD to a loose branch ref, in the common dir', () => {
    expect(headFromFiles(files({ HEAD: 'ref: refs/heads/main\n' }, { 'refs/heads/main': `${A}\n` }))).toBe(A);
    expect(headFromFiles(files({ HEAD: 'ref: refs/heads/feature/x\n', 'refs/heads/feature/x': `${'b'.repeat(40)}\n` }, { 'refs/heads/feature/x': `${A}\n` }))).toBe(A);
  });

  it('reads a detached HEAD (sha1 and sha256)', () => {
    expect(headFromFiles(files({ HEAD: `${A}\n` }))).toBe(A);
    expect(headFromFiles(files({ HEAD: `${'c'.repeat(64)}\n` }))).toBe('c'.repeat(64));
  });

  it('has no answer for a packed or missing ref, reftable, or anything odd', () => {
    expect(headFromFiles(files({ HEAD: 'ref: refs/heads/main\n' }))).toBeUndefined();
    expect(headFromFiles(files({ HEAD: 'ref: refs/heads/.invalid\n', 'refs/heads/.invalid': A }))).toBeUndefined();
    expect(headFromFiles(files({ HEAD: 'ref: refs/heads/../../x\n', 'refs/heads/../../x': A }))).toBeUndefined();
    expect(headFromFiles(files({ HEAD: 'ref: refs/remotes/o/main\n', 'refs/remotes/o/main': A }))).toBeUndefined();
    expect(headFromFiles(files({ HEAD: 'ref: refs/heads/main\n', 'refs/heads/main': 'ref: refs/heads/other\n' }))).toBeUndefined();
    expect(headFromFiles(files({ HEAD: 'garbage\n' }))).toBeUndefined();
    expect(headFromFiles(files({}))).toBeUndefined();
  });
});

describe('Git.headNow is rev-parse HEAD', () => {
  const same = async (dir: string) => {
    const g = new Git(dir);
    expect(await g.headNow()).toBe(await g.head());
    return g.headNow();
  };

  it('on a branch, detached, with packed refs, and unborn', async () => {
    const dir = tempRepo();
    expect(await same(dir)).toBeUndefined(); // no commit yet
    writeFileSync(join(dir, 'f'), '1');
    git(dir, 'add', 'f');
    git(dir, 'commit', '-qm', 'one');
    expect(await same(dir)).toBe(git(dir, 'rev-parse', 'HEAD').trim());
    git(dir, 'pack-refs', '--all');
    expect(await same(dir)).toBe(git(dir, 'rev-parse', 'HEAD').trim());
    git(dir, 'checkout', '-q', '--detach');
    expect(await same(dir)).toBe(git(dir, 'rev-parse', 'HEAD').trim());
  });

  it('in a linked worktree, whose HEAD is its own and whose branches are shared', async () => {
    const dir = tempRepo();
    writeFileSync(join(dir, 'f'), '1');
    git(dir, 'add', 'f');
    git(dir, 'commit', '-qm', 'one');
    const wt = join(tempDir(), 'wt');
    git(dir, 'worktree', 'add', '-q', '-b', 'side', wt);
    writeFileSync(join(wt, 'g'), '2');
    git(wt, 'add', 'g');
    git(wt, 'commit', '-qm', 'two');
    expect(gitDirsOf(wt)?.commonDir).toBe(join(dir, '.git'));
    expect(await same(wt)).toBe(git(wt, 'rev-parse', 'side').trim());
    expect(await same(dir)).toBe(git(dir, 'rev-parse', 'main').trim());
  });

  it('leaves an odd .git file to git', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'x'));
    writeFileSync(join(dir, '.git'), 'not a gitdir line\n');
    expect(gitDirsOf(dir)).toBeUndefined();
  });
});
