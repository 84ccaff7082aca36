// git/ is the one door to git (ARCHITECTURE R3): what comes back through it when git fails is a
// GitError the CLI prints as one line, and what it says about git's files holds in every layout
// git has, a linked worktree (`git worktree add`, where `.git` is a file) included.
import { describe, expect, it } from 'vitest';
import { existsSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Git } from '../../src/git/git.js';
import { git, repoState, runCli, tempDir, tempRegistry, type CliResult } from '../helpers.js';

/** The first line of stderr, after checking there is nothing else: no stack trace, no "unexpected error". */
function oneLine(res: CliResult): string {
  expect(res.stderr).not.toMatch(/unexpected error|\n\s+at .+:\d+:\d+/);
  expect(res.stderr.trim().split('\n')).toHaveLength(1);
  return res.stderr.split('\n')[0]!;
}

describe('a git failure while reading history', () => {
  it('is one line `modelgit: error: …` with git\'s own words, no stack trace', async () => {
    const r = await tempRegistry();
    expect((await r.run('register', '--algo', 'mscn', '--id', 'm1')).code).toBe(0);
    expect((await r.run('test', 'm1', '--dataset', 'd1', '--metric', 'acc=0.9')).code).toBe(0);
    // The registering commit's tree goes missing: HEAD still reads, the commits that name the model
    // can't tell which one recorded the result (the version before the test can't be read), and
    // `git log -- <model file>` walks down to it and fails.
    const registered = r.git('rev-parse', 'HEAD~1').trim();
    const tree = r.git('rev-parse', `${registered}^{tree}`).trim();
    const loose = join(r.dir, '.git', 'objects', tree.slice(0, 2), tree.slice(2));
    expect(existsSync(loose)).toBe(true);
    rmSync(loose, { force: true });
    const res = await r.run('best', '--algo', 'mscn', '--metric', 'acc', '--dataset', 'd1', '--direction', 'max');
    expect(res.code).toBe(1);
    expect(oneLine(res)).toMatch(new RegExp(`^modelgit: error: git log failed: .*${tree}`));
  });
});

describe('git saying more than one line', () => {
  it('is still one line: a commit missing under the history', async () => {
    const r = await tempRegistry();
    expect((await r.run('register', '--algo', 'mscn', '--id', 'm1')).code).toBe(0);
    expect((await r.run('test', 'm1', '--dataset', 'd1', '--metric', 'acc=0.9')).code).toBe(0);
    // git says `error: Could not read <root>` and then `fatal: cannot simplify commit …`.
    const root = r.git('rev-list', '--max-parents=0', 'HEAD').trim();
    rmSync(join(r.dir, '.git', 'objects', root.slice(0, 2), root.slice(2)), { force: true });
    const res = await r.run('best', '--algo', 'mscn', '--metric', 'acc', '--dataset', 'd1', '--direction', 'max');
    expect(res.code).toBe(1);
    expect(oneLine(res)).toMatch(new RegExp(`^modelgit: error: git log failed: .*${root}.*; fatal: `));
  });
});

describe('a stale index.lock in a linked worktree', () => {
  it('is found in the worktree\'s own git dir and refused exactly as in a plain checkout', async () => {
    const r = await tempRegistry();
    const wt = join(tempDir('modelgit-worktree-'), 'wt');
    r.git('worktree', 'add', '-q', '-b', 'other', wt);
    const gitDir = resolve(wt, git(wt, 'rev-parse', '--git-dir').trim());
    expect(gitDir).toContain(join('.git', 'worktrees'));
    const lock = join(gitDir, 'index.lock');
    expect(realpathSync(new Git(wt).indexLockPath().replace(/index\.lock$/, ''))).toBe(realpathSync(gitDir));

    // The same refusal in both: the plain checkout first, then the linked worktree.
    writeFileSync(join(r.dir, '.git', 'index.lock'), '');
    const plain = await runCli(r.dir, 'register', '--algo', 'mscn');
    rmSync(join(r.dir, '.git', 'index.lock'));
    writeFileSync(lock, '');
    const before = repoState(wt);
    const linked = await runCli(wt, 'register', '--algo', 'mscn');
    expect(plain.code).toBe(1);
    expect(linked.code).toBe(plain.code);
    expect(plain.stderr).toMatch(/git's index is locked \(.*index\.lock exists\)/);
    const where = (res: CliResult) => /index is locked \((.*) exists\)/.exec(res.stderr)?.[1];
    expect(realpathSync(where(linked)!)).toBe(realpathSync(lock));
    expect(linked.stderr.replaceAll(where(linked)!, 'LOCK')).toBe(plain.stderr.replaceAll(where(plain)!, 'LOCK'));
    expect(linked.stderr).toMatch(/rm /);
    expect(repoState(wt)).toBe(before);

    // Once it is removed, the write goes through.
    rmSync(lock);
    expect((await runCli(wt, 'register', '--algo', 'mscn', '--id', 'w1')).code).toBe(0);
  });
});
