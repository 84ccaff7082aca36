// A git child killed by SIGKILL in the middle of a write (issue #15 "Faults"): the OOM killer, a
// cgroup limit, a user's kill. A `git` first on PATH runs the real git but kills itself for one
// subcommand, before the real git ran or right after it did its work (so git did write, yet
// reports a failure). Each write says in one line which git was killed, exits 1 and leaves
// index, working tree and refs as before — or, when git's work had landed, answers with it — and
// the same command run again lands exactly once. No timers: the kill point is a subcommand.
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, repoState, runCliWithEnv, tempDir, tempRegistry, type CliResult } from '../../helpers.js';
import { register } from '../../../src/registry/register.js';
import { recordTest } from '../../../src/registry/record-test.js';
import { cloneOf, registryRemote, remoteActions } from '../gitops-helpers.js';
import { oneErrorLine, tempFiles } from './fault-helpers.js';

const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();

/** A directory holding a `git` that kills itself (SIGKILL) for the subcommand in KILL_GIT (`commit:before`, `push:after`). */
function killingGit(): string {
  const bin = tempDir('modelgit-killing-git-');
  const script = `#!/bin/sh
sub=""; skip=""
for a in "$@"; do
  if [ -n "$skip" ]; then skip=""; continue; fi
  case "$a" in -c|-C) skip=1 ;; -*) ;; *) sub="$a"; break ;; esac
done
if [ -n "$KILL_GIT" ] && [ "$sub" = "\${KILL_GIT%%:*}" ]; then
  [ "\${KILL_GIT#*:}" = before ] && kill -9 $$
  '${realGit}' "$@"
  kill -9 $$
fi
exec '${realGit}' "$@"
`;
  writeFileSync(join(bin, 'git'), script);
  chmodSync(join(bin, 'git'), 0o755);
  return bin;
}

const bin = killingGit();

function runKilling(dir: string, kill: string, ...args: string[]): Promise<CliResult> {
  return runCliWithEnv(dir, { PATH: `${bin}:${process.env.PATH}`, KILL_GIT: kill }, ...args);
}

/** Commits on HEAD whose Model-Action is `action` (one per operation, never two). */
function count(dir: string, action: string, rev = 'HEAD'): number {
  return git(dir, 'log', '--format=%(trailers:key=Model-Action,valueonly)', rev).split('\n').filter((a) => a.trim() === action).length;
}

describe('a git child killed by SIGKILL during a local write', () => {
  it('update-index or commit killed: one line naming the killed git (never a hook), exit 1, nothing changed; run again, written once', { timeout: 120_000 }, async () => {
    const r = await tempRegistry({ hook: true }); // a hook is installed: a dead git must not be blamed on it
    const reg = await r.open();
    await register(reg, { algorithm: 'mscn', id: 'm1' });
    for (const [kill, args, what] of [
      ['update-index:before', ['register', '--algo', 'mscn', '--id', 'm2'], 'git update-index'],
      ['update-index:after', ['test', 'm1', '--dataset', 'd1', '--metric', 'acc=0.5'], 'git update-index'],
      ['commit:before', ['tag', 'm1', 'keep'], 'git commit'],
    ] as const) {
      const before = repoState(r.dir);
      const res = await runKilling(r.dir, kill, ...args);
      expect(res.code, `${kill}: ${res.stderr}`).toBe(1);
      expect(oneErrorLine(res)).toBe(`modelgit: error: ${what} was killed by SIGKILL; nothing was changed`);
      expect(res.stderr).not.toMatch(/hook/);
      expect(repoState(r.dir)).toBe(before);
      expect(tempFiles(r.dir)).toEqual([]);
      const action = args[0];
      const n = count(r.dir, action);
      const again = await r.run(...args);
      expect(again.code, again.stderr).toBe(0);
      expect(count(r.dir, action)).toBe(n + 1);
      expect(r.git('status', '--porcelain')).toBe('');
    }
  });

  it('commit killed after git made it: the commit is the answer (exit 0), and run again it is not written twice', { timeout: 60_000 }, async () => {
    const r = await tempRegistry({ hook: true });
    const reg = await r.open();
    await register(reg, { algorithm: 'mscn', id: 'm1' });
    const args = ['test', 'm1', '--dataset', 'd1', '--metric', 'acc=0.5', '--json'];
    const res = await runKilling(r.dir, 'commit:after', ...args);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json().commit).toBe(r.git('rev-parse', 'HEAD').trim());
    expect(count(r.dir, 'test')).toBe(1);
    expect(r.git('status', '--porcelain')).toBe('');
    expect(tempFiles(r.dir)).toEqual([]);
  });

  it('the stage tag: git tag killed before or after writing it; the promotion commit is undone with it; run again, one commit and one tag', { timeout: 90_000 }, async () => {
    const r = await tempRegistry({ hook: true });
    const reg = await r.open();
    await register(reg, { algorithm: 'mscn', id: 'm1' });
    await recordTest(reg, { id: 'm1', dataset: 'production', metrics: ['total_time=5'] });
    for (const kill of ['tag:before', 'tag:after']) {
      const before = repoState(r.dir);
      const res = await runKilling(r.dir, kill, 'promote', 'm1', '--stage', 'staging');
      expect(res.code, `${kill}: ${res.stderr}`).toBe(1);
      expect(oneErrorLine(res)).toBe('modelgit: error: could not write the tag stage/mscn/staging/1: git tag was killed by SIGKILL; the commit was undone, nothing was changed');
      expect(repoState(r.dir)).toBe(before); // refs included: no tag on a commit that is gone
      expect(tempFiles(r.dir)).toEqual([]);
    }
    const again = await r.run('promote', 'm1', '--stage', 'staging', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(again.json().tag).toBe('stage/mscn/staging/1');
    expect(count(r.dir, 'promote')).toBe(1);
    expect(r.git('tag', '-l').trim()).toBe('stage/mscn/staging/1');
  });
});

describe('a git child killed by SIGKILL during --push', () => {
  it('fetch killed: one line naming the fetch and the remote, exit 1, nothing changed', { timeout: 60_000 }, async () => {
    const { bare } = await registryRemote();
    const a = cloneOf(bare, 'alice');
    const before = repoState(a.dir);
    const res = await runKilling(a.dir, 'fetch:before', 'register', '--algo', 'mscn', '--id', 'm1', '--push');
    expect(res.code).toBe(1);
    expect(oneErrorLine(res)).toBe('modelgit: error: could not fetch main from origin: git fetch was killed by SIGKILL');
    expect(repoState(a.dir)).toBe(before);
    expect(tempFiles(a.dir)).toEqual([]);
  });

  it('push killed before or after sending: one line naming the push and the remote; run again, the remote has the operation once', { timeout: 120_000 }, async () => {
    const { bare } = await registryRemote();
    const a = cloneOf(bare, 'alice');
    for (const [kill, id] of [['push:before', 'm1'], ['push:after', 'm2']] as const) {
      const remoteBefore = git(bare, 'rev-parse', 'main').trim();
      const args = ['register', '--algo', 'mscn', '--id', id, '--push', '--json'];
      const res = await runKilling(a.dir, kill, ...args);
      expect(res.code, res.stderr).toBe(1);
      // The commit is kept on the branch and said so (DESIGN §4b: a push that did not go through
      // for another reason than a moved remote is not retried); running the command again pushes it.
      const line = JSON.parse(res.stderr).error.message as string;
      expect(line).toMatch(/^committed [0-9a-f]{10} locally, but the push to origin\/main failed: git push was killed by SIGKILL$/);
      expect(a.git('status', '--porcelain')).toBe('');
      expect(tempFiles(a.dir)).toEqual([]);
      if (kill === 'push:before') expect(git(bare, 'rev-parse', 'main').trim()).toBe(remoteBefore);
      else expect(git(bare, 'rev-parse', 'main').trim()).toBe(a.git('rev-parse', 'HEAD').trim()); // it did land

      const again = await a.run(...args);
      expect(again.code, again.stderr).toBe(0);
      expect(again.json()).toMatchObject({ model_id: id, replayed: true });
      expect(git(bare, 'rev-parse', 'main').trim()).toBe(a.git('rev-parse', 'HEAD').trim());
      expect(remoteActions(bare).filter((x) => x.ids.includes(id)).map((x) => x.action)).toEqual(['register']);
    }
  });

  it('promote --push whose push was killed: run again, it finds nothing new to write and publishes the kept commit with its stage tag', { timeout: 90_000 }, async () => {
    const { bare, seed } = await registryRemote();
    const reg = await seed.open();
    await register(reg, { algorithm: 'mscn', id: 'm1' });
    await recordTest(reg, { id: 'm1', dataset: 'production', metrics: ['total_time=5'] });
    seed.git('push', '-q', 'origin', 'main');
    const a = cloneOf(bare, 'alice');
    const args = ['promote', 'm1', '--stage', 'staging', '--push'];
    const res = await runKilling(a.dir, 'push:before', ...args);
    expect(res.code).toBe(1);
    expect(oneErrorLine(res)).toMatch(/^modelgit: error: committed [0-9a-f]{10} locally, but the push to origin\/main failed: git push was killed by SIGKILL$/);
    const kept = a.git('rev-parse', 'HEAD').trim();
    expect(git(bare, 'tag', '-l')).toBe('');

    const again = await a.run(...args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/nothing new to write; pushed [0-9a-f]{10} and stage\/mscn\/staging\/1 to origin\/main, with 1 earlier local commit\(s\) that were not on the remote yet: [0-9a-f]{10} "promote m1 to mscn\/staging"/);
    expect(git(bare, 'rev-parse', 'main').trim()).toBe(kept);
    expect(git(bare, 'rev-parse', 'stage/mscn/staging/1^{commit}').trim()).toBe(kept);
    expect(remoteActions(bare).filter((x) => x.action === 'promote')).toHaveLength(1);
  });
});
