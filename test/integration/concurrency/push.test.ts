import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Registry } from '../../../src/registry/registry.js';
import { register } from '../../../src/registry/register.js';
import { frozenClock, git, repoState, stderrText, tempDir } from '../../helpers.js';
import { cloneOf, moveRemoteDuringPush, registryRemote, remoteActions, runWithEnv, type Clone } from '../gitops-helpers.js';

async function seededModel(): Promise<{ bare: string; a: Clone; b: Clone }> {
  const { bare, seed } = await registryRemote();
  const reg = await seed.open();
  for (const [id, t] of [['fast', 40], ['mid', 50], ['slow', 90]] as const) {
    await register(reg, { algorithm: 'mscn', id });
    seed.git('commit', '--allow-empty', '-qm', 'noise'); // keep ids and commits apart
    await (await import('../../../src/registry/record-test.js')).recordTest(reg, { id, dataset: 'production', metrics: [`total_time=${t}`] });
  }
  seed.git('push', '-q', 'origin', 'main');
  return { bare, a: cloneOf(bare, 'alice'), b: cloneOf(bare, 'bob') };
}

describe('--push', () => {
  it('pushes; a clone that is behind catches up first', async () => {
    const { bare, seed } = await registryRemote();
    const a = cloneOf(bare, 'alice');
    const b = cloneOf(bare, 'bob');
    const ra = await a.run('register', '--algo', 'mscn', '--id', 'from-a', '--push', '--json');
    expect(ra.code).toBe(0);
    expect(stderrText(ra)).toMatch(/pushed [0-9a-f]{10} to origin\/main\n/);
    const rb = await b.run('test', 'from-a', '--dataset', 'production', '--metric', 'total_time=3', '--push', '--json');
    expect(rb.code).toBe(0);
    expect(git(bare, 'rev-parse', 'main').trim()).toBe(rb.json().commit);
    expect(remoteActions(bare).map((x) => x.action)).toEqual(['init', 'register', 'test']);
    expect(b.git('status', '--porcelain')).toBe('');
    expect(b.git('rev-parse', 'origin/main').trim()).toBe(rb.json().commit);
    void seed;
  });

  it('when the remote moves during the push, register is redone with a fresh id (API, pinned clock)', async () => {
    const { bare } = await registryRemote();
    const a = cloneOf(bare, 'alice');
    const b = cloneOf(bare, 'bob');
    const mark = moveRemoteDuringPush(b, a, ['register', '--algo', 'mscn', '--id', 'mscn_20241019_103000', '--push']);
    const notes: string[] = [];
    const reg = await Registry.open({ cwd: b.dir, now: frozenClock('2024-10-19T10:30:00Z'), push: true, notify: (m) => notes.push(m) });
    const answer = await register(reg, { algorithm: 'mscn' });
    expect(existsSync(mark)).toBe(true);
    expect(answer.model_id).toBe('mscn_20241019_103000_2');
    expect(notes.at(-1)).toMatch(/attempt 2: the remote had moved/);
    const actions = remoteActions(bare);
    expect(actions.map((x) => x.ids.join())).toEqual(['', 'mscn_20241019_103000', 'mscn_20241019_103000_2']);
    expect(git(bare, 'rev-parse', 'main').trim()).toBe(answer.commit);
    expect(b.git('rev-parse', 'HEAD').trim()).toBe(answer.commit);
    expect(b.git('status', '--porcelain')).toBe('');
    expect(git(bare, 'fsck', '--strict', '--no-dangling', '--no-progress')).toBe('');
  });

  it('a test result is appended to the model as the remote has it now, nothing lost', async () => {
    const { bare, a, b } = await seededModel();
    moveRemoteDuringPush(b, a, ['test', 'mid', '--dataset', 'job', '--metric', 'total_time=7', '--push']);
    const res = await b.run('test', 'mid', '--dataset', 'stats', '--metric', 'total_time=8', '--push', '--json');
    expect(res.code).toBe(0);
    const meta = JSON.parse(git(bare, 'show', 'main:models/mscn/mid.json'));
    expect(meta.testing.map((t: { dataset: string }) => t.dataset)).toEqual(['production', 'job', 'stats']);
    const tests = remoteActions(bare).filter((x) => x.action === 'test' && x.ids[0] === 'mid');
    expect(tests.map((x) => x.subject)).toEqual(['test mid on production: total_time=50', 'test mid on job: total_time=7', 'test mid on stats: total_time=8']);
  });

  it('the fast retry: a result that lost the race to a write of another file is rebuilt on the new head, not planned again', async () => {
    const { bare, a, b } = await seededModel();
    moveRemoteDuringPush(b, a, ['register', '--algo', 'lero', '--id', 'l1', '--push']);
    const res = await runWithEnv(b.dir, { MODELGIT_CACHE_TRACE: '1' }, 'test', 'mid', '--dataset', 'stats', '--metric', 'total_time=8', '--push', '--json');
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/modelgit-push: the same write on \w+ \(1 other file\(s\) changed\)/);
    expect(res.stderr).toMatch(/attempt 2: the remote had moved/);
    expect(git(bare, 'rev-parse', 'main').trim()).toBe(res.json().commit);
    expect(b.git('rev-parse', 'HEAD').trim()).toBe(res.json().commit);
    expect(b.git('status', '--porcelain')).toBe('');
    expect(remoteActions(bare).slice(-2).map((x) => x.subject)).toEqual(['register l1', 'test mid on stats: total_time=8']);
    expect((await b.run('validate', '--all')).code).toBe(0);
    expect(git(bare, 'fsck', '--strict', '--no-dangling', '--no-progress')).toBe('');
  });

  it('promote re-checks its gates and renumbers its tag on the new remote head', async () => {
    const { bare, a, b } = await seededModel();
    moveRemoteDuringPush(b, a, ['promote', 'mid', '--stage', 'production', '--push']);
    const res = await b.run('promote', 'fast', '--stage', 'production', '--push', '--json');
    expect(res.code).toBe(0);
    expect(stderrText(res)).toMatch(/(^|\n)pushed [0-9a-f]{10} and stage\/mscn\/production\/2 to origin\/main \(attempt 2: the remote had moved\)\n$/);
    expect(res.json()).toMatchObject({ previous: 'mid', tag: 'stage/mscn/production/2', pushed: { attempts: 2 } });
    expect(git(bare, 'tag', '-l', 'stage/*').trim().split('\n')).toEqual(['stage/mscn/production/1', 'stage/mscn/production/2']);
    expect(git(bare, 'rev-parse', 'stage/mscn/production/2^{commit}').trim()).toBe(res.json().commit);
    expect(git(bare, 'tag', '-l', '--format=%(contents)', 'stage/mscn/production/2')).toContain('Gate: must_beat_current pass: total_time 40 < 50 of mid on production');
    expect(git(bare, 'show', 'main:stages.yaml')).toContain('production: fast');
  });

  it('a promotion that no longer passes its gates on the new head is refused; the local attempt is undone, so no later push publishes it', async () => {
    const { bare, a, b } = await seededModel();
    const before = b.git('rev-parse', 'HEAD').trim();
    moveRemoteDuringPush(b, a, ['promote', 'mid', '--stage', 'production', '--push']);
    const res = await b.run('promote', 'slow', '--stage', 'production', '--push');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('must_beat_current: total_time 90 does not beat 50 of mid on production');
    expect(res.stderr).toMatch(/the remote moved and the operation no longer applies there; your earlier local attempt was undone, nothing was written/);
    expect(git(bare, 'show', 'main:stages.yaml')).toContain('production: mid');
    expect(b.git('rev-parse', 'HEAD').trim()).toBe(before);
    expect(b.git('tag', '-l')).toBe('');
    expect(b.git('status', '--porcelain')).toBe('');
  });

  it('commits made earlier without --push are rebased onto the remote and pushed along', async () => {
    const { bare, a, b } = await seededModel();
    expect((await b.run('register', '--algo', 'lero', '--id', 'offline')).code).toBe(0);
    expect((await a.run('tag', 'fast', 'keep', '--push')).code).toBe(0);
    const res = await b.run('test', 'offline', '--dataset', 'production', '--metric', 'total_time=1', '--push');
    expect(res.code).toBe(0);
    const tail = remoteActions(bare).slice(-3);
    expect(tail.map((x) => `${x.action} ${x.ids.join()}`)).toEqual(['tag fast', 'register offline', 'test offline']);
  });

  it('--branch --push publishes promote/<id>-<stage> and leaves the remote main alone', async () => {
    const { bare, b } = await seededModel();
    const main = git(bare, 'rev-parse', 'main').trim();
    const res = await b.run('promote', 'fast', '--stage', 'production', '--branch', '--push', '--json');
    expect(res.code).toBe(0);
    expect(res.json()).toMatchObject({ branch: 'promote/fast-production', tag: null, pushed: { branch: 'promote/fast-production', attempts: 1 } });
    expect(git(bare, 'rev-parse', 'promote/fast-production').trim()).toBe(res.json().commit);
    expect(git(bare, 'rev-parse', 'main').trim()).toBe(main);
    expect(git(bare, 'tag', '-l')).toBe('');
  });

  it('gives up after the retries with a clear message, the local commit undone', async () => {
    const { bare, a, b } = await seededModel();
    const before = b.git('rev-parse', 'HEAD').trim();
    moveRemoteDuringPush(b, a, ['register', '--algo', 'mscn', '--push'], { always: true });
    const res = await runWithEnv(b.dir, { MODELGIT_PUSH_RETRIES: '1' }, 'note', 'fast', 'hello', '--push');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/the remote kept moving: 2 pushes in \d+ s to origin\/main were rejected; the local commit was undone, nothing was written/);
    expect(res.stderr).toMatch(/MODELGIT_PUSH_RETRIES/);
    expect(b.git('rev-parse', 'HEAD').trim()).toBe(before);
    expect(git(bare, 'log', '--format=%s', 'main')).not.toContain('note fast');
  });

  it('a push the remote refuses for another reason is not retried; the commit is kept and said so', async () => {
    const { bare, b } = await seededModel();
    writeFileSync(join(bare, 'hooks', 'pre-receive'), '#!/bin/sh\necho "main is protected" >&2\nexit 1\n');
    chmodSync(join(bare, 'hooks', 'pre-receive'), 0o755);
    const remoteBefore = git(bare, 'rev-parse', 'main');
    const res = await b.run('tag', 'fast', 'keep', '--push');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/committed [0-9a-f]{10} locally, but origin\/main refused the push: refs\/heads\/main \[remote rejected\] \(pre-receive hook declined\)/);
    expect(res.stderr).toMatch(/open a pull request/);
    expect(res.stderr).toMatch(/"code":"PUSH_FAILED"|PUSH_FAILED|push/);
    expect(b.git('log', '-1', '--format=%s').trim()).toBe('tag fast: keep');
    expect(git(bare, 'rev-parse', 'main')).toBe(remoteBefore);
  });

  it('without a remote, or with an unreachable one, nothing is committed', async () => {
    const { b } = await seededModel();
    b.git('remote', 'rename', 'origin', 'upstream');
    b.git('branch', '--unset-upstream');
    b.git('remote', 'remove', 'upstream');
    let before = repoState(b.dir);
    const none = await b.run('register', '--algo', 'mscn', '--push');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/this repository has no remote to push to/);
    expect(none.stderr).toMatch(/git remote add origin/);
    expect(repoState(b.dir)).toBe(before);
    b.git('remote', 'add', 'origin', join(tempDir(), 'missing.git'));
    before = repoState(b.dir);
    const gone = await b.run('register', '--algo', 'mscn', '--push');
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/could not fetch main from origin/);
    expect(repoState(b.dir)).toBe(before);
  });
});
