// Registry.open finds the work tree and git dir without a process when the layout is plain; the
// answer must be git's own, and anything unusual must be left to git.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { locateRepo, plainRepoOf } from '../../src/store/locate.js';
import { git, tempDir, tempRepo } from '../helpers.js';

const gitsAnswer = (cwd: string) => {
  const [root, gitDir] = git(cwd, 'rev-parse', '--show-toplevel', '--absolute-git-dir').trim().split('\n');
  return { root, gitDir };
};

describe('locating the repository', () => {
  it("gives git's answer from the root, a subdirectory and through a symlink", async () => {
    const dir = tempRepo();
    mkdirSync(join(dir, 'models', 'mscn'), { recursive: true });
    const link = join(tempDir(), 'link');
    symlinkSync(dir, link);
    for (const cwd of [dir, join(dir, 'models', 'mscn'), link, join(link, 'models')]) {
      expect(plainRepoOf(cwd), cwd).toEqual(gitsAnswer(cwd));
      expect(await locateRepo(cwd)).toEqual(gitsAnswer(cwd));
    }
  });

  it('leaves linked worktrees, git dirs, work-tree settings and GIT_DIR to git', async () => {
    const dir = tempRepo();
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'first');
    const wt = join(tempDir(), 'wt');
    git(dir, 'worktree', 'add', '-q', wt);
    expect(plainRepoOf(wt)).toBeUndefined();
    expect(await locateRepo(wt)).toEqual(gitsAnswer(wt));
    expect(plainRepoOf(join(dir, '.git'))).toBeUndefined();
    expect(plainRepoOf(join(dir, '.git', 'refs'))).toBeUndefined();

    const moved = tempRepo();
    const elsewhere = tempDir();
    git(moved, 'config', 'core.worktree', elsewhere);
    expect(plainRepoOf(moved)).toBeUndefined();

    const prev = process.env.GIT_DIR;
    process.env.GIT_DIR = join(dir, '.git');
    try {
      expect(plainRepoOf(dir)).toBeUndefined();
    } finally {
      if (prev === undefined) delete process.env.GIT_DIR;
      else process.env.GIT_DIR = prev;
    }
  });

  it('finds no repository where there is none, and not a .git that is a file', async () => {
    const none = tempDir();
    expect(plainRepoOf(none)).toBeUndefined();
    await expect(locateRepo(none)).rejects.toThrow(/not inside a git repository/);
    const odd = tempDir();
    writeFileSync(join(odd, '.git'), 'gitdir: /nowhere\n');
    expect(plainRepoOf(odd)).toBeUndefined();
  });
});
