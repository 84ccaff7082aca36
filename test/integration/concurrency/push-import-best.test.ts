// --push on import (a series of commits, all or nothing, redone on the remote's head) and on
// best --record (just the tag, numbered after the remote's), against a real bare remote and clones.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { register } from '../../../src/registry/register.js';
import { recordTest } from '../../../src/registry/record-test.js';
import { olderModels, writeJson } from '../../fixtures/legacy.js';
import { CLI, git, repoState, stderrText, tempDir } from '../../helpers.js';
import { cloneOf, moveRemoteDuringPush, registryRemote, remoteActions, seededRemote, type Clone } from '../gitops-helpers.js';

const IMPORTED = ['lero_20241017_080000', 'mscn_20241018_090000', 'mscn_20241019_103000', 'lero_20241020_140000'];
const FAMILY = 'best/mscn/production/total_time';

function registryFile(): string {
  return writeJson(join(tempDir(), 'model_registry.json'), olderModels());
}

/** What a failed import must leave exactly as it was: the branch, HEAD, index and working tree. */
function localState(c: Clone): string {
  return [c.git('rev-parse', 'HEAD'), c.git('rev-parse', 'refs/heads/main'), c.git('ls-files', '-s'), c.git('status', '--porcelain', '--untracked-files=all')].join('--\n');
}

/** Subjects of every commit any local ref reaches (a dropped import commit must not be among them). */
function reachableSubjects(c: Clone): string[] {
  return c.git('log', '--all', '--format=%s').trim().split('\n');
}


function withoutRemote(c: Clone): void {
  c.git('branch', '--unset-upstream');
  c.git('remote', 'remove', 'origin');
}

describe('import --push', () => {
  it('lands every commit once, in training order, and says where they went', async () => {
    const { bare } = await registryRemote();
    const a = cloneOf(bare, 'alice');
    const res = await a.run('import', registryFile(), '--push', '--json');
    expect(res.code, res.stderr).toBe(0);
    const answer = res.json();
    expect(answer.pushed).toEqual({ remote: 'origin', branch: 'main', attempts: 1 });
    expect(stderrText(res)).toMatch(/pushed 4 commits \([0-9a-f]{10}\.\.[0-9a-f]{10}\) to origin\/main\n/);
    expect(remoteActions(bare).map((x) => `${x.action} ${x.ids.join()}`)).toEqual(['init ', ...IMPORTED.map((id) => `import ${id}`)]);
    expect(git(bare, 'log', '--reverse', '--format=%H', '-4', 'main').trim().split('\n')).toEqual(answer.commits);
    expect(git(bare, 'log', '-1', '--format=%aI', 'main').trim()).toBe('2024-10-20T14:00:00+00:00');
    expect(a.git('rev-parse', 'HEAD', 'origin/main').trim().split('\n')).toEqual([answer.commits[3], answer.commits[3]]);
    expect(a.git('status', '--porcelain')).toBe('');
  });

  it('when the remote moves during the push, the import is redone on top of it (ids and dates kept)', async () => {
    const { bare } = await registryRemote();
    const a = cloneOf(bare, 'alice');
    const b = cloneOf(bare, 'bob');
    const mark = moveRemoteDuringPush(a, b, ['register', '--algo', 'lero', '--id', 'unrelated', '--push']);
    const res = await a.run('import', registryFile(), '--push', '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(existsSync(mark)).toBe(true);
    expect(res.json().pushed).toMatchObject({ attempts: 2 });
    expect(stderrText(res)).toMatch(/to origin\/main \(attempt 2: the remote had moved\)/);
    // Landed once, after the other writer's commit; nothing of the rejected attempt anywhere.
    expect(remoteActions(bare).map((x) => `${x.action} ${x.ids.join()}`)).toEqual(['init ', 'register unrelated', ...IMPORTED.map((id) => `import ${id}`)]);
    expect(git(bare, 'log', '--format=%aI', '-4', 'main').trim().split('\n')).toEqual([
      '2024-10-20T14:00:00+00:00', '2024-10-19T10:30:00+00:00', '2024-10-18T09:00:00+00:00', '2024-10-17T08:00:00+00:00',
    ]);
    expect(res.json().commits).toEqual(git(bare, 'log', '--reverse', '--format=%H', '-4', 'main').trim().split('\n'));
    expect(a.git('rev-parse', 'HEAD').trim()).toBe(res.json().commits[3]);
    expect(reachableSubjects(a).filter((s) => s.startsWith('import ')).length).toBe(4);
    expect(a.git('status', '--porcelain')).toBe('');
    expect(git(bare, 'fsck', '--strict', '--no-dangling', '--no-progress')).toBe('');
  });

  it('an id registered on the remote meanwhile is a clash: exit 1, nothing of the import locally or on the remote', async () => {
    const { bare } = await registryRemote();
    const a = cloneOf(bare, 'alice');
    const b = cloneOf(bare, 'bob');
    moveRemoteDuringPush(a, b, ['register', '--algo', 'mscn', '--id', 'mscn_20241019_103000', '--notes', 'theirs', '--push']);
    const before = localState(a);
    const res = await a.run('import', registryFile(), '--push');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/mscn_20241019_103000 was registered meanwhile \(on the remote\); ids are kept, never overwritten, so nothing was imported/);
    expect(res.stdout).toBe('');
    expect(localState(a)).toBe(before);
    expect(reachableSubjects(a).filter((s) => s.startsWith('import '))).toEqual([]);
    expect(remoteActions(bare).map((x) => `${x.action} ${x.ids.join()}`)).toEqual(['init ', 'register mscn_20241019_103000']);
    expect(JSON.parse(git(bare, 'show', 'main:models/mscn/mscn_20241019_103000.json')).notes).toBe('theirs');
    // Once the user has caught up, the same import reports the clash before writing anything.
    a.git('pull', '-q', '--ff-only');
    const again = await a.run('import', registryFile(), '--push');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/mscn_20241019_103000 \(already registered at models\/mscn\/mscn_20241019_103000\.json\)/);
  });

  it('a remote that refuses the push keeps nothing of the import; without a remote nothing is done', async () => {
    const { bare } = await registryRemote();
    const a = cloneOf(bare, 'alice');
    writeFileSync(join(bare, 'hooks', 'pre-receive'), '#!/bin/sh\necho "main is protected" >&2\nexit 1\n');
    chmodSync(join(bare, 'hooks', 'pre-receive'), 0o755);
    const remoteBefore = git(bare, 'rev-parse', 'main');
    let before = localState(a);
    const refused = await a.run('import', registryFile(), '--push');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/origin\/main refused the push: refs\/heads\/main \[remote rejected\] \(pre-receive hook declined\); the 4 commit\(s\) were undone, nothing was written/);
    expect(refused.stderr).toMatch(/open a pull request/);
    expect(localState(a)).toBe(before);
    expect(git(bare, 'rev-parse', 'main')).toBe(remoteBefore);

    withoutRemote(a);
    before = repoState(a.dir);
    const none = await a.run('import', registryFile(), '--push');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/this repository has no remote to push to/);
    expect(repoState(a.dir)).toBe(before);
  });

  it('run again with its --operation-id after it landed (this clone behind): refused as the earlier operation with --push, not as a clash with itself; answered with it once on the branch', async () => {
    const { bare } = await registryRemote();
    const a = cloneOf(bare, 'alice');
    const file = registryFile();
    const first = await a.run('import', file, '--push', '--operation-id', 'import-job-1', '--json');
    expect(first.code, first.stderr).toBe(0);
    // The answer never reached this clone's branch (say, a clone restored from a backup).
    a.git('reset', '-q', '--hard', 'HEAD~4');
    a.git('update-ref', 'refs/remotes/origin/main', 'HEAD');
    const again = await a.run('import', file, '--push', '--operation-id', 'import-job-1');
    expect(again.code).toBe(1);
    expect(stderrText(again)).toMatch(/operation import-job-1 was already done by an earlier run: [0-9a-f]{10} \("import lero_20241020_140000"\); doing it again would write again, so nothing was written/);
    expect(stderrText(again)).not.toMatch(/registered meanwhile|answering with it/);
    expect(remoteActions(bare).map((x) => `${x.action} ${x.ids.join()}`)).toEqual(['init ', ...IMPORTED.map((id) => `import ${id}`)]);
    expect(a.git('rev-parse', 'HEAD').trim()).toBe(git(bare, 'rev-parse', 'main').trim());
    expect(a.git('status', '--porcelain')).toBe('');
    // Up to date now, without --push: the earlier operation is on this branch, so it is answered
    // with (the same answer, replayed), found before anything is checked against the remote.
    const local = await a.run('import', file, '--operation-id', 'import-job-1', '--json');
    expect(local.code, local.stderr).toBe(0);
    expect(local.json()).toEqual({ ...first.json(), pushed: null, replayed: true });
    expect(a.git('rev-parse', 'HEAD').trim()).toBe(git(bare, 'rev-parse', 'main').trim());
  });

  it('an import killed between two commits is undone by the next write; run again, it lands once', async () => {
    const { bare } = await registryRemote();
    const a = cloneOf(bare, 'alice');
    const start = a.git('rev-parse', 'HEAD').trim();
    const dir = tempDir('modelgit-kill-');
    const started = join(dir, 'started');
    // The hook lets two commits through, then hangs on the third, where the writer is killed.
    const hook = join(a.dir, '.git', 'hooks', 'pre-commit');
    writeFileSync(hook, `#!/bin/sh\nn=$(cat '${dir}/n' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '${dir}/n'\n[ $n -eq 3 ] && { touch '${started}'; sleep 60; }\nexit 0\n`);
    chmodSync(hook, 0o755);
    const file = registryFile();
    const child = spawn(process.execPath, [CLI, 'import', file, '--push'], { cwd: a.dir, detached: true, stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((res) => child.on('close', (_c, signal) => res(signal)));
    for (let i = 0; i < 300 && !existsSync(started); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(started)).toBe(true);
    process.kill(-child.pid!, 'SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(a.git('rev-list', '--count', `${start}..HEAD`).trim()).toBe('2');
    expect(a.git('status', '--porcelain')).toBe('A  models/mscn/mscn_20241019_103000.json\n');

    // The killed process's lock would clear itself after 10 s (tested elsewhere); spare the wait.
    rmSync(join(a.dir, '.git', 'modelgit', 'write.lock'), { recursive: true, force: true });
    writeFileSync(hook, '#!/bin/sh\nexit 0\n');
    const again = await a.run('import', file, '--push', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(stderrText(again)).toMatch(/an earlier modelgit write \("import lero_20241017_080000 … \(4 commits\)"\) was interrupted after 2 of its 4 commits; they were undone/);
    expect(remoteActions(bare).map((x) => `${x.action} ${x.ids.join()}`)).toEqual(['init ', ...IMPORTED.map((id) => `import ${id}`)]);
    expect(a.git('rev-list', '--count', `${start}..HEAD`).trim()).toBe('4');
    expect(a.git('status', '--porcelain')).toBe('');
  });
});

describe('best --record --push', () => {
  it('puts the tag on the remote; run again, it is already there', async () => {
    const { bare, a } = await seededRemote();
    const res = await a.run('best', '--algo', 'mscn', '--dataset', 'production', '--record', '--push', '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(res.json()).toMatchObject({ model_id: 'fast', value: 40, tag: `${FAMILY}/1`, current_tag: `${FAMILY}/1`, pushed: { remote: 'origin', tag: `${FAMILY}/1`, attempts: 1 } });
    expect(stderrText(res)).toMatch(new RegExp(`pushed ${FAMILY}/1 to origin\\n`));
    expect(res.stderr).not.toMatch(/behind/);
    expect(git(bare, 'rev-parse', `${FAMILY}/1^{commit}`).trim()).toBe(res.json().commit);
    expect(git(bare, 'tag', '-l', '--format=%(contents)', `${FAMILY}/1`)).toContain('Model-Id: fast\n');

    const again = await a.run('best', '--algo', 'mscn', '--dataset', 'production', '--record', '--push', '--json');
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({ tag: null, current_tag: `${FAMILY}/1` });
    expect(stderrText(again)).toMatch(new RegExp(`${FAMILY}/1 is already on origin`));
    expect(git(bare, 'tag', '-l', 'best/*').trim()).toBe(`${FAMILY}/1`);
  });

  it('another clone recorded first: its tag is fetched and the decision made against it', async () => {
    const { bare, a, b } = await seededRemote();
    expect((await b.run('best', '--algo', 'mscn', '--dataset', 'production', '--record', '--push')).code).toBe(0);
    // a has not fetched b's tag: same best, so nothing new to record.
    const res = await a.run('best', '--algo', 'mscn', '--dataset', 'production', '--record', '--push', '--json');
    expect(res.code).toBe(0);
    expect(res.json()).toMatchObject({ tag: null, current_tag: `${FAMILY}/1` });
    expect(a.git('rev-parse', `${FAMILY}/1`)).toBe(git(bare, 'rev-parse', `${FAMILY}/1`));
  });

  it('two clones recording different bests at once: /1 and /2 on the remote, no number used twice', async () => {
    const { bare, a, b } = await seededRemote();
    // b knows a better result (pushed); a has not fetched it, so a's best is still fast.
    expect((await b.run('test', 'slow', '--dataset', 'production', '--metric', 'total_time=10', '--push')).code).toBe(0);
    const mark = moveRemoteDuringPush(a, b, ['best', '--algo', 'mscn', '--dataset', 'production', '--record', '--push']);
    const res = await a.run('best', '--algo', 'mscn', '--dataset', 'production', '--record', '--push', '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(existsSync(mark)).toBe(true);
    expect(res.json()).toMatchObject({ model_id: 'fast', tag: `${FAMILY}/2`, pushed: { attempts: 2 } });
    expect(res.stderr).toMatch(new RegExp(`pushed ${FAMILY}/2 to origin \\(attempt 2: the remote had moved\\)`));
    expect(res.stderr).toMatch(/note: your branch is 1 commit\(s\) behind origin\/main; the best is decided on your HEAD/);
    expect(git(bare, 'tag', '-l', 'best/*').trim().split('\n')).toEqual([`${FAMILY}/1`, `${FAMILY}/2`]);
    const msg = (n: number) => git(bare, 'tag', '-l', '--format=%(contents)', `${FAMILY}/${n}`);
    expect(msg(1)).toContain('Model-Id: slow\n');
    expect(msg(2)).toContain('Model-Id: fast\n');
    expect(msg(2)).toContain('Previous-Model-Id: slow\n');
    // a's own rejected /1 is gone; it holds the remote's tags exactly.
    for (const n of [1, 2]) expect(a.git('rev-parse', `${FAMILY}/${n}`)).toBe(git(bare, 'rev-parse', `${FAMILY}/${n}`));
  });

  it('a winning result only committed locally is refused: push it first; nothing tagged', async () => {
    const { bare, a } = await seededRemote();
    expect((await a.run('test', 'mid', '--dataset', 'production', '--metric', 'total_time=5')).code).toBe(0);
    const before = repoState(a.dir);
    const res = await a.run('best', '--algo', 'mscn', '--dataset', 'production', '--record', '--push');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/the commit that recorded mid's total_time result \([0-9a-f]{10}\) is not on origin\/main; a best tag is only pushed for a commit the remote branch has; nothing was tagged or pushed/);
    expect(res.stderr).toMatch(/push your branch first/);
    expect(repoState(a.dir)).toBe(before);
    expect(git(bare, 'tag', '-l')).toBe('');
  });

  it('without a remote: exit 1, no tag; --push without --record is a usage error', async () => {
    const { a } = await seededRemote();
    withoutRemote(a);
    const before = repoState(a.dir);
    const res = await a.run('best', '--algo', 'mscn', '--dataset', 'production', '--record', '--push');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/this repository has no remote to push to/);
    expect(repoState(a.dir)).toBe(before);
    const usage = await a.run('best', '--algo', 'mscn', '--dataset', 'production', '--push');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--push publishes the tag of --record/);
  });
});
