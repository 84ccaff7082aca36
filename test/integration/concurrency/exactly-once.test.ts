// Exactly once under retry (issue 19, item 1): a write killed after its commit, or whose push
// gave up, is run again and answers with the commit already made instead of writing a second
// model or result; an explicit --operation-id always dedupes; two runs that both completed stay two
// operations; a command that exits 1 leaves no commit that a later --push publishes unannounced.
// Kills land at fixed points (a git hook that signals and then hangs), never on a timer.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, git, runCliWithEnv, stderrText, tempDir, tempRegistry } from '../../helpers.js';
import { register } from '../../../src/registry/register.js';
import { recordTest } from '../../../src/registry/record-test.js';
import { olderModels, writeJson } from '../../fixtures/legacy.js';
import { cloneOf, moveRemoteDuringPush, registryRemote, remoteActions, runWithEnv, type Clone } from '../gitops-helpers.js';

/** A remote with two tested models (fast, mid) and two clones of it: the least the push cases need. */
async function twoModelRemote(): Promise<{ bare: string; a: Clone; b: Clone }> {
  const { bare, seed } = await registryRemote();
  const reg = await seed.open();
  for (const [id, t] of [['fast', 40], ['mid', 50]] as const) {
    await register(reg, { algorithm: 'mscn', id });
    await recordTest(reg, { id, dataset: 'production', metrics: [`total_time=${t}`] });
  }
  seed.git('push', '-q', 'origin', 'main');
  return { bare, a: cloneOf(bare, 'alice'), b: cloneOf(bare, 'bob') };
}

/** Runs the CLI in its own process group and kills the group once `hook` has signalled `marker`. */
async function killedAt(dir: string, hook: 'post-commit' | 'pre-push', args: string[]): Promise<void> {
  const marker = join(tempDir('modelgit-marker-'), 'reached');
  const path = join(dir, '.git', 'hooks', hook);
  writeFileSync(path, `#!/bin/sh\ntouch '${marker}'\nsleep 60\n`);
  chmodSync(path, 0o755);
  const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, detached: true, stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((res) => child.on('close', (_c, signal) => res(signal)));
  for (let i = 0; i < 600 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 50));
  expect(existsSync(marker), `the ${hook} hook was never reached`).toBe(true);
  process.kill(-child.pid!, 'SIGKILL');
  expect(await exited).toBe('SIGKILL');
  rmSync(path);
}

function actions(dir: string, rev = 'HEAD'): string[] {
  return git(dir, 'log', '--reverse', '--format=%(trailers:key=Model-Action,valueonly)', rev).split('\n').filter(Boolean);
}

describe('a write killed after its commit, run again', () => {
  it('register answers with the model already committed; a later identical run that completes is a second model', async () => {
    const r = await tempRegistry();
    const args = ['register', '--algo', 'mscn', '--param', 'lr=0.1', '--dataset', 'job', '--json'];
    await killedAt(r.dir, 'post-commit', args);
    expect(actions(r.dir)).toEqual(['init', 'register']);
    const first = git(r.dir, 'log', '-1', '--format=%(trailers:key=Model-Id,valueonly)').trim();
    expect(git(r.dir, 'log', '-1', '--format=%(trailers:key=Operation-Id,valueonly)').trim()).toMatch(/^auto-register-[0-9a-f]{32}$/);

    const again = await r.run(...args);
    expect(again.code, again.stderr).toBe(0);
    expect(stderrText(again)).toMatch(/interrupted after its commit was made; it is kept/);
    expect(stderrText(again)).toMatch(/already committed by an earlier run that did not finish: [0-9a-f]{10} \("register /);
    expect(again.json()).toMatchObject({ model_id: first, path: `models/mscn/${first}.json`, commit: git(r.dir, 'rev-parse', 'HEAD').trim(), replayed: true });
    expect(actions(r.dir)).toEqual(['init', 'register']); // not written twice
    expect(r.git('status', '--porcelain')).toBe('');

    // That run acknowledged: the same command again is a new operation (two runs, same hyperparameters).
    const second = await r.run(...args);
    expect(second.code, second.stderr).toBe(0);
    expect(second.json().replayed).toBeUndefined();
    expect(second.json().model_id).not.toBe(first);
    expect(actions(r.dir)).toEqual(['init', 'register', 'register']);
    expect(readdirSync(join(r.dir, '.git', 'modelgit', 'operations'))).toEqual([]);
  });

  it('test --push killed before its push: run again, the same result is pushed once', async () => {
    const { bare, a } = await twoModelRemote();
    const times = join(a.dir, 'times.txt');
    writeFileSync(times, '0.5\n0.25\n');
    const args = ['test', 'mid', '--dataset', 'job', '--times', 'times.txt', '--push', '--json'];
    const remoteBefore = git(bare, 'rev-parse', 'main').trim();
    await killedAt(a.dir, 'pre-push', args);
    expect(a.git('log', '-1', '--format=%s').trim()).toMatch(/^test mid on job: /);
    expect(git(bare, 'rev-parse', 'main').trim()).toBe(remoteBefore);

    const again = await a.run(...args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toMatchObject({ model_id: 'mid', replayed: true, result: { dataset: 'job', num_queries: 2 } });
    expect(git(bare, 'rev-parse', 'main').trim()).toBe(again.json().commit);
    const meta = JSON.parse(git(bare, 'show', 'main:models/mscn/mid.json'));
    expect(meta.testing.map((t: { dataset: string }) => t.dataset)).toEqual(['production', 'job']);
  });

  it('a different input file is a different operation, even after an unacknowledged attempt', async () => {
    const r = await tempRegistry();
    await r.run('register', '--algo', 'mscn', '--id', 'm1');
    r.write('res.json', '{"total_time": 1}');
    await killedAt(r.dir, 'post-commit', ['test', 'm1', '--dataset', 'd', '--from', 'res.json']);
    r.write('res.json', '{"total_time": 2}');
    const other = await r.run('test', 'm1', '--dataset', 'd', '--from', 'res.json', '--json');
    expect(other.code, other.stderr).toBe(0);
    expect(other.json().replayed).toBeUndefined();
    const meta = JSON.parse(r.read('models/mscn/m1.json'));
    expect(meta.testing.map((t: { performance: { total_time: number } }) => t.performance.total_time)).toEqual([1, 2]);
  });
});

describe('--operation-id', () => {
  it('always dedupes: a repeat (flag or MODELGIT_OPERATION_ID) answers with the first commit; a token reused for another operation is refused', async () => {
    const r = await tempRegistry();
    await r.run('register', '--algo', 'mscn', '--id', 'm1');
    const args = ['test', 'm1', '--dataset', 'd', '--metric', 'total_time=3', '--json'];
    const first = await r.run(...args, '--operation-id', 'job-7/attempt');
    expect(first.code, first.stderr).toBe(0);
    expect(first.json().replayed).toBeUndefined();
    const repeat = await runCliWithEnv(r.dir, { MODELGIT_OPERATION_ID: 'job-7/attempt' }, ...args);
    expect(repeat.code, repeat.stderr).toBe(0);
    expect(repeat.json()).toMatchObject({ commit: first.json().commit, replayed: true, result: { performance: { total_time: 3 } } });
    expect(actions(r.dir)).toEqual(['init', 'register', 'test']);
    expect(git(r.dir, 'log', '-1', '--format=%(trailers:key=Operation-Id,valueonly)').trim()).toBe('job-7/attempt');

    const reused = await r.run('register', '--algo', 'mscn', '--operation-id', 'job-7/attempt');
    expect(reused.code).toBe(1);
    expect(reused.stderr).toMatch(/operation id job-7\/attempt was already used by another operation: [0-9a-f]{10} \("test m1 on d/);
    expect(actions(r.dir)).toEqual(['init', 'register', 'test']);

    const bad = await r.run(...args, '--operation-id', '../x y');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--operation-id <token>.*is not an operation id/);
  });
});

describe('--operation-id on the other write commands', () => {
  it('a repeat of a command idempotent by itself answers as usual; one that would write again is refused; stage tags carry the id', async () => {
    const r = await tempRegistry();
    await r.run('register', '--algo', 'mscn', '--id', 'm1');
    const tag = await r.run('tag', 'm1', 'keep', '--operation-id', 'op-tag', '--json');
    expect(tag.code, tag.stderr).toBe(0);
    const tagAgain = await r.run('tag', 'm1', 'keep', '--operation-id', 'op-tag', '--json');
    expect(tagAgain.code, tagAgain.stderr).toBe(0);
    expect(tagAgain.json().changed).toBe(false);

    expect((await r.run('note', 'm1', 'line one', '--append', '--operation-id', 'op-note')).code).toBe(0);
    const noteAgain = await r.run('note', 'm1', 'line one', '--append', '--operation-id', 'op-note');
    expect(noteAgain.code).toBe(1);
    expect(noteAgain.stderr).toMatch(/operation op-note was already done by an earlier run: [0-9a-f]{10} \("note m1"\); doing it again would write again, so nothing was written/);
    expect(JSON.parse(r.read('models/mscn/m1.json')).notes).toBe('line one');

    const promoted = await r.run('promote', 'm1', '--stage', 'staging', '--operation-id', 'op-promote');
    expect(promoted.code, promoted.stderr).toBe(0);
    expect(r.git('tag', '-l', '--format=%(contents)', 'stage/mscn/staging/1')).toContain('Operation-Id: op-promote\n');
    expect(actions(r.dir)).toEqual(['init', 'register', 'tag', 'note', 'promote']);
  });
});

describe('--push that exits 1', () => {
  it('retries run out: the local commit is undone; running the command again writes it once', async () => {
    const { bare, a, b } = await twoModelRemote();
    moveRemoteDuringPush(b, a, ['register', '--algo', 'mscn', '--push'], { always: true });
    const before = b.git('rev-parse', 'HEAD').trim();
    const args = ['test', 'mid', '--dataset', 'job', '--metric', 'total_time=9', '--push', '--json'];
    const res = await runWithEnv(b.dir, { MODELGIT_PUSH_RETRIES: '1' }, ...args);
    expect(res.code).toBe(1);
    expect(stderrText(res)).toMatch(/the remote kept moving: 2 pushes in \d+ s to origin\/main were rejected; the local commit was undone, nothing was written/);
    expect(stderrText(res)).toMatch(/hint: run the same command again later: it writes the operation once/);
    expect(b.git('rev-parse', 'HEAD').trim()).toBe(before);
    expect(b.git('status', '--porcelain')).toBe('');

    rmSync(join(b.dir, '.git', 'hooks', 'pre-push'));
    const again = await b.run(...args);
    expect(again.code, again.stderr).toBe(0);
    // A later push publishes nothing of the failed command: the remote has the result once.
    expect((await b.run('note', 'fast', 'hello', '--push')).code).toBe(0);
    const tests = remoteActions(bare).filter((x) => x.action === 'test' && x.ids[0] === 'mid');
    expect(tests.map((x) => x.subject)).toEqual(['test mid on production: total_time=50', 'test mid on job: total_time=9']);
  });

  it('a refused push keeps the commit and says so; a later --push names it; running the command again pushes it, not a second one', async () => {
    const { bare, a } = await twoModelRemote();
    const hook = join(bare, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "remote is read-only for now" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const args = ['register', '--algo', 'lero', '--id', 'lero1', '--push', '--json'];
    const refused = await a.run(...args);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/committed [0-9a-f]{10} locally, but origin\/main refused the push/);
    rmSync(hook);

    const again = await a.run(...args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toMatchObject({ model_id: 'lero1', replayed: true });
    expect(remoteActions(bare).filter((x) => x.ids.includes('lero1')).map((x) => x.action)).toEqual(['register']);

    // A commit made without --push goes out with the next --push, which names it.
    expect((await a.run('note', 'fast', 'offline note')).code).toBe(0);
    const next = await a.run('tag', 'mid', 'keep', '--push');
    expect(next.code, next.stderr).toBe(0);
    expect(next.stderr).toMatch(/pushed [0-9a-f]{10} to origin\/main, with 1 earlier local commit\(s\) that were not on the remote yet: [0-9a-f]{10} "note fast"/);
  });
});

describe('--operation-id looked up through the per-clone memo of the window (operation-index.ts)', () => {
  const args = ['test', 'm1', '--dataset', 'd', '--metric', 'total_time=3', '--json'];

  it('an id committed in another clone and pulled is replayed; after a reset that drops it, it writes anew; a mention in prose is no trailer', async () => {
    const { bare, seed } = await registryRemote();
    await seed.run('register', '--algo', 'mscn', '--id', 'm1');
    seed.git('push', '-q', 'origin', 'main');
    const a = cloneOf(bare, 'alice');
    const b = cloneOf(bare, 'bob');
    // b looks an id up first, so its memo is for the old tip; the pull then moves HEAD on by a line.
    expect((await b.run(...args, '--operation-id', 'warm-b')).code).toBe(0);
    b.git('push', '-q', 'origin', 'main');
    a.git('pull', '-q', '--ff-only');
    const first = await a.run(...args, '--operation-id', 'job-restarted');
    expect(first.code, first.stderr).toBe(0);
    a.git('push', '-q', 'origin', 'main');
    b.git('pull', '-q', '--ff-only');
    const again = await b.run(...args, '--operation-id', 'job-restarted');
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toMatchObject({ commit: first.json().commit, replayed: true });
    expect(b.git('rev-parse', 'HEAD').trim()).toBe(first.json().commit);
    const reused = await b.run('register', '--algo', 'mscn', '--operation-id', 'job-restarted');
    expect(reused.code).toBe(1);
    expect(reused.stderr).toMatch(/operation id job-restarted was already used by another operation/);

    // HEAD moved back past the commit: the id is not in the window any more, so it is new.
    b.git('reset', '-q', '--hard', 'HEAD~1');
    const anew = await b.run(...args, '--operation-id', 'job-restarted');
    expect(anew.code, anew.stderr).toBe(0);
    expect(anew.json().replayed).toBeUndefined();
    // Written on the commit HEAD went back to. (Within the same second, under the tests' one author,
    // that write is byte for byte the dropped commit, so it may even have its id.)
    expect(b.git('rev-parse', 'HEAD').trim()).toBe(anew.json().commit);
    expect(b.git('rev-parse', 'HEAD~1').trim()).toBe(b.git('rev-parse', `${first.json().commit}~1`).trim());

    // A commit whose message says "Operation-Id: prose-id" in a paragraph followed by real trailers.
    b.git('commit', '-q', '--allow-empty', '-m', 'notes\n\nOperation-Id: prose-id was mentioned here in passing,\nnot as a trailer of this commit.\n\nModel-Action: test\nModel-Id: m1');
    const prose = await b.run(...args, '--operation-id', 'prose-id');
    expect(prose.code, prose.stderr).toBe(0);
    expect(prose.json().replayed).toBeUndefined();
  });

  it('a merge, or an unreadable memo, is read from git again with the same answer', async () => {
    const r = await tempRegistry();
    await r.run('register', '--algo', 'mscn', '--id', 'm1');
    const first = await r.run(...args, '--operation-id', 'op-1');
    expect(first.code, first.stderr).toBe(0);
    const main = r.git('rev-parse', '--abbrev-ref', 'HEAD').trim();
    r.git('checkout', '-q', '-b', 'side', 'HEAD~1');
    r.git('commit', '-q', '--allow-empty', '-m', 'side work\n\nOperation-Id: op-side');
    r.git('checkout', '-q', main);
    r.git('merge', '-q', '--no-ff', '--no-edit', 'side');
    const again = await r.run(...args, '--operation-id', 'op-1');
    expect(again.json()).toMatchObject({ commit: first.json().commit, replayed: true });
    const side = await r.run('register', '--algo', 'mscn', '--operation-id', 'op-side');
    expect(side.code).toBe(1);
    expect(side.stderr).toMatch(/operation id op-side was already used by another operation: [0-9a-f]{10} \("side work"\)/);

    const memo = join(r.dir, '.git', 'modelgit', 'operations-window.txt');
    expect(readFileSync(memo, 'utf8')).toMatch(/^modelgit-operations 1 [0-9a-f]{40} /);
    writeFileSync(memo, 'modelgit-operations 1 0');
    const torn = await r.run(...args, '--operation-id', 'op-1');
    expect(torn.json()).toMatchObject({ commit: first.json().commit, replayed: true });
    const fresh = await r.run(...args, '--operation-id', 'constructor');
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.json().replayed).toBeUndefined();
  });
});

describe('import run again with its committed --operation-id', () => {
  it('answers with the same result, replayed, nothing written; another source under that id is refused', async () => {
    const r = await tempRegistry();
    const file = writeJson(join(tempDir(), 'model_registry.json'), olderModels());
    const first = await r.run('import', file, '--operation-id', 'import-1', '--json');
    expect(first.code, first.stderr).toBe(0);
    const head = r.git('rev-parse', 'HEAD').trim();
    const again = await r.run('import', file, '--operation-id', 'import-1', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toEqual({ ...first.json(), replayed: true });
    expect(r.git('rev-parse', 'HEAD').trim()).toBe(head);
    expect(r.git('status', '--porcelain')).toBe('');

    const single = await r.run('import', writeJson(join(tempDir(), 'model_registry.json'), olderModels()), '--single-commit', '--operation-id', 'import-2', '--json');
    expect(single.code).toBe(1); // its ids are taken by import-1: a clash, not a repeat
    const fewer = Object.fromEntries(Object.entries(olderModels()).slice(0, 2));
    const partial = await r.run('import', writeJson(join(tempDir(), 'model_registry.json'), fewer), '--operation-id', 'import-1');
    expect(partial.code).toBe(1);
    expect(partial.stderr).toMatch(/operation import-1 was already done by an earlier run/);
    expect(r.git('rev-parse', 'HEAD').trim()).toBe(head);
  });

  it('a single-commit import is replayed with its one commit', async () => {
    const r = await tempRegistry();
    const file = writeJson(join(tempDir(), 'model_registry.json'), olderModels());
    const first = await r.run('import', file, '--single-commit', '--operation-id', 'import-s', '--json');
    expect(first.code, first.stderr).toBe(0);
    const again = await r.run('import', file, '--single-commit', '--operation-id', 'import-s', '--json');
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toEqual({ ...first.json(), replayed: true });
    expect(again.json().commits).toHaveLength(1);
  });
});
