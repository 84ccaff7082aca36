// The write queue (issue #15): --queue never fails on contention, and drain applies each queued
// operation exactly once, re-checked on today's branch, with its original author and time.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, stderrText } from '../helpers.js';
import { cloneOf, registryRemote, remoteActions, runWithEnv, type Clone } from './gitops-helpers.js';

const QUEUE = 'refs/modelgit/queue/';

function queueRefs(bare: string): string[] {
  return git(bare, 'for-each-ref', '--format=%(refname)', QUEUE).split('\n').filter(Boolean);
}

function fsckClean(bare: string): void {
  expect(git(bare, 'fsck', '--strict', '--no-dangling', '--no-progress')).toBe('');
}

/** Operation-Id trailers on the remote's main: each must appear once. */
function operationIds(bare: string): string[] {
  return git(bare, 'log', '--format=%(trailers:key=Operation-Id,valueonly)', 'main').split('\n').map((l) => l.trim()).filter(Boolean);
}

/** A registry remote and two clones of it, alice's and bob's. */
async function aliceAndBob(): Promise<{ bare: string; a: Clone; b: Clone }> {
  const { bare } = await registryRemote();
  return { bare, a: cloneOf(bare, 'alice'), b: cloneOf(bare, 'bob') };
}

/** After a drain: no queue ref left on the remote, and its repository whole. */
function drainedClean(bare: string): void {
  expect(queueRefs(bare)).toEqual([]);
  fsckClean(bare);
}

async function ok(c: Clone, ...args: string[]) {
  const r = await c.run(...args);
  if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${stderrText(r)}`);
  return r;
}

describe('--queue and drain', () => {
  it('queued register and test land after drain, in order, with their original author and time; the queue refs go', async () => {
    const { bare, a, b } = await aliceAndBob();
    await ok(b, 'register', '--algo', 'mscn', '--id', 'q1', '--push');
    a.git('pull', '-q');
    const before = a.git('rev-parse', 'HEAD').trim();
    const reg = await ok(a, 'register', '--algo', 'mscn', '--id', 'q2', '--queue', '--json');
    const queued = reg.json().queued;
    expect(queued).toMatchObject({ remote: 'origin', ref: expect.stringMatching(/^refs\/modelgit\/queue\//) });
    // nothing on the branch yet, and the queuing clone's branch is where it was
    expect(remoteActions(bare).map((x) => x.action)).toEqual(['init', 'register']);
    expect(a.git('rev-parse', 'HEAD').trim()).toBe(before);
    expect(a.git('status', '--porcelain')).toBe('');
    const authored = git(bare, 'log', '-1', '--format=%an <%ae> %aI', queued.ref).trim();
    await new Promise((r) => setTimeout(r, 1100)); // the drain's own clock is a later second
    const t = await runWithEnv(a.dir, { GIT_AUTHOR_NAME: 'Alice Q', GIT_AUTHOR_EMAIL: 'alice.q@example.com' }, 'test', 'q1', '--dataset', 'production', '--metric', 'total_time=12', '--queue');
    expect(t.code).toBe(0);
    expect(queueRefs(bare)).toHaveLength(2);
    const st = (await ok(b, 'status', '--json')).json();
    expect(st.queued.count).toBe(2);
    expect(st.queued.writes.map((w: { action: string }) => w.action)).toEqual(['register', 'test']);

    const d = await ok(b, 'drain', '--json');
    expect(d.json()).toMatchObject({ applied: 2, refused: 0, skipped: 0 });
    expect(remoteActions(bare).map((x) => [x.action, x.ids.join()])).toEqual([['init', ''], ['register', 'q1'], ['register', 'q2'], ['test', 'q1']]);
    expect(git(bare, 'log', '-1', '--skip=1', '--format=%an <%ae> %aI', 'main').trim()).toBe(authored);
    expect(git(bare, 'log', '-1', '--format=%an <%ae>', 'main').trim()).toBe('Alice Q <alice.q@example.com>'); // drained by bob
    expect(queueRefs(bare)).toEqual([]);
    const model = JSON.parse(git(bare, 'show', 'main:models/mscn/q1.json'));
    expect(model.testing.map((t: { performance: { total_time: number } }) => t.performance.total_time)).toEqual([12]);
    fsckClean(bare);
    // drained again: nothing left
    expect((await ok(b, 'drain', '--json')).json().items).toEqual([]);
  });

  it('a queued registration whose id was taken meanwhile gets the next free id; a test of a removed model leaves a visible refusal', async () => {
    const { bare, a, b } = await aliceAndBob();
    await ok(b, 'register', '--algo', 'mscn', '--id', 'gone', '--push');
    await ok(a, 'register', '--algo', 'mscn', '--id', 'dup', '--queue');
    await ok(a, 'test', 'gone', '--dataset', 'production', '--metric', 'total_time=3', '--queue');
    await ok(b, 'register', '--algo', 'mscn', '--id', 'dup', '--push'); // takes the id first
    b.git('rm', '-q', 'models/mscn/gone.json');
    b.git('commit', '-qm', 'remove gone');
    b.git('push', '-q', 'origin', 'main');
    const d = (await ok(b, 'drain', '--json')).json();
    expect(d).toMatchObject({ applied: 1, refused: 1 });
    const actions = remoteActions(bare);
    expect(actions.slice(-2).map((x) => [x.action, x.ids.join()])).toEqual([['register', 'dup_2'], ['test-refused', 'gone']]);
    expect(actions.at(-1)!.subject).toMatch(/^queued test of gone refused: there is no model gone/);
    expect(JSON.parse(git(bare, 'show', 'main:models/mscn/dup_2.json')).model_id).toBe('dup_2');
    drainedClean(bare);
  });

  it('a queued test (or tag) of a model whose registration is itself still queued lands where that registration lands, even under a fresh id', async () => {
    const { bare, a, b } = await aliceAndBob();
    const before = a.git('rev-parse', 'HEAD').trim();
    await ok(a, 'register', '--algo', 'mscn', '--id', 'q1', '--queue');
    const t1 = await ok(a, 'test', 'q1', '--dataset', 'd1', '--metric', 'total_time=5', '--queue', '--json');
    expect(t1.json().queued).toMatchObject({ remote: 'origin' });
    await ok(a, 'tag', 'q1', 'candidate', '--queue');
    await ok(a, 'register', '--algo', 'mscn', '--id', 'q9', '--queue');
    await ok(a, 'test', 'q9', '--dataset', 'd2', '--metric', 'total_time=7', '--queue');
    // the queuing clone is where it was: nothing of the queued writes on its branch or work tree
    expect(a.git('rev-parse', 'HEAD').trim()).toBe(before);
    expect(a.git('status', '--porcelain')).toBe('');
    await ok(b, 'register', '--algo', 'mscn', '--id', 'q1', '--push'); // bob takes the id q1 first
    const d = (await ok(b, 'drain', '--json')).json();
    expect(d).toMatchObject({ applied: 5, refused: 0, skipped: 0 });
    const actions = remoteActions(bare);
    expect(actions.slice(-5).map((x) => [x.action, x.ids.join()])).toEqual([['register', 'q1_2'], ['test', 'q1_2'], ['tag', 'q1_2'], ['register', 'q9'], ['test', 'q9']]);
    expect(actions.at(-4)!.subject).toMatch(/^test q1_2 on d1: total_time=5 \(queued for q1, registered as q1_2\)$/);
    const show = (id: string) => JSON.parse(git(bare, 'show', `main:models/mscn/${id}.json`));
    expect(show('q1').testing).toEqual([]); // bob's model never gets alice's result or tag
    expect(show('q1').tags).toEqual([]);
    expect(show('q1_2').tags).toEqual(['candidate']);
    expect(show('q1_2').testing.map((t: { dataset: string }) => t.dataset)).toEqual(['d1']);
    expect(show('q9').testing.map((t: { dataset: string }) => t.dataset)).toEqual(['d2']);
    drainedClean(bare);
  });

  it('a queued test whose queued registration never lands is refused visibly, not written to another model', async () => {
    const { bare, a, b } = await aliceAndBob();
    const reg = (await ok(a, 'register', '--algo', 'mscn', '--id', 'lost', '--queue', '--json')).json();
    await ok(a, 'test', 'lost', '--dataset', 'd1', '--metric', 'total_time=5', '--queue');
    git(bare, 'update-ref', '-d', reg.queued.ref); // the queued registration is gone from the queue
    await ok(b, 'register', '--algo', 'mscn', '--id', 'lost', '--push'); // and someone else's model has its name
    const d = (await ok(b, 'drain', '--json')).json();
    expect(d).toMatchObject({ applied: 0, refused: 1 });
    const last = remoteActions(bare).at(-1)!;
    expect([last.action, last.ids.join()]).toEqual(['test-refused', 'lost']);
    expect(last.subject).toMatch(/^queued test of lost refused: its model lost was queued for registration \([0-9a-f]{10}\) and that registration is not on the branch/);
    expect(JSON.parse(git(bare, 'show', 'main:models/mscn/lost.json')).testing).toEqual([]);
    drainedClean(bare);
  });

  it('a queued promotion is re-checked at drain: the first lands with its stage tag, the second fails its gates and leaves a visible record', async () => {
    const { bare, a, b } = await aliceAndBob();
    for (const [id, t] of [['fast', 40], ['slow', 50]] as const) {
      await ok(a, 'register', '--algo', 'mscn', '--id', id, '--push');
      await ok(a, 'test', id, '--dataset', 'production', '--metric', `total_time=${t}`, '--push');
    }
    b.git('pull', '-q');
    // both pass their gates when queued (nobody holds production yet)
    await ok(a, 'promote', 'fast', '--stage', 'production', '--queue');
    await ok(b, 'promote', 'slow', '--stage', 'production', '--queue');
    expect(git(bare, 'tag', '-l', 'stage/*')).toBe('');
    const d = (await ok(b, 'drain', '--json')).json();
    expect(d).toMatchObject({ applied: 1, refused: 1 });
    const actions = remoteActions(bare);
    expect(actions.slice(-2).map((x) => [x.action, x.ids.join()])).toEqual([['promote', 'fast'], ['promote-refused', 'slow']]);
    expect(actions.at(-1)!.subject).toMatch(/^queued promote of slow refused: .*must_beat_current/);
    expect(git(bare, 'show', 'main:stages.yaml')).toMatch(/production: fast/);
    expect(git(bare, 'tag', '-l', 'stage/*').trim()).toBe('stage/mscn/production/1');
    expect(git(bare, 'rev-parse', 'stage/mscn/production/1^{commit}').trim()).toBe(git(bare, 'rev-parse', 'main~1').trim());
    drainedClean(bare);
  });

  it('two drains at once apply each queued write exactly once', async () => {
    const { bare, a, b } = await aliceAndBob();
    const c = cloneOf(bare, 'carol');
    for (let i = 0; i < 8; i++) await ok(a, 'register', '--algo', 'mscn', '--id', `m${i}`, '--queue');
    const [x, y] = await Promise.all([b.run('drain', '--json'), c.run('drain', '--json')]);
    expect([x.code, y.code]).toEqual([0, 0]);
    const applied = [x, y].flatMap((r) => r.json().items.filter((i: { outcome: string }) => i.outcome === 'applied'));
    expect(applied).toHaveLength(8);
    const ids = remoteActions(bare).filter((r) => r.action === 'register').map((r) => r.ids.join());
    expect(ids).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);
    const ops = operationIds(bare);
    expect(new Set(ops).size).toBe(ops.length);
    drainedClean(bare);
  });

  it('100 queued writes from 20 processes at once: none fails, one drain applies all 100 exactly once', async () => {
    const { bare } = await registryRemote();
    const clones = Array.from({ length: 20 }, (_, i) => cloneOf(bare, `w${i}`));
    const results = await Promise.all(
      clones.map(async (c, i) => {
        const codes: number[] = [];
        // generated ids: writers in the same second queue the same id; drain renumbers
        for (let k = 0; k < 5; k++) codes.push((await c.run('register', '--algo', 'mscn', '--tag', `w${i}-${k}`, '--queue')).code);
        return codes;
      }),
    );
    expect(results.flat().filter((c) => c !== 0)).toEqual([]);
    expect(queueRefs(bare)).toHaveLength(100);
    const d = (await ok(clones[0]!, 'drain', '--json')).json();
    expect(d.applied).toBe(100);
    const regs = remoteActions(bare).filter((r) => r.action === 'register');
    expect(regs).toHaveLength(100);
    expect(new Set(regs.map((r) => r.ids.join())).size).toBe(100);
    const files = git(bare, 'ls-tree', '-r', '--name-only', 'main', 'models/mscn').split('\n').filter(Boolean);
    expect(files).toHaveLength(100);
    const tags = files.flatMap((f) => JSON.parse(git(bare, 'show', `main:${f}`)).tags as string[]);
    expect(new Set(tags).size).toBe(100);
    drainedClean(bare);
  }, 600_000);

  it("modelgit.yaml's queue: true makes --push queue the writes drain re-applies, and only those; one --operation-id queued twice lands once", async () => {
    const { bare, seed } = await registryRemote();
    const cfg = join(seed.dir, 'modelgit.yaml');
    writeFileSync(cfg, readFileSync(cfg, 'utf8') + '\nqueue: true\n');
    seed.git('commit', '-qam', 'queue by default');
    seed.git('push', '-q', 'origin', 'main');
    const a = cloneOf(bare, 'alice');
    const r = (await ok(a, 'register', '--algo', 'mscn', '--id', 'c1', '--push', '--json')).json();
    expect(r.queued).toBeDefined();
    expect(queueRefs(bare)).toHaveLength(1);
    await ok(a, 'drain');
    a.git('pull', '-q');
    // a retry with the same token (the first answer was lost) queues again; drain applies it once
    await ok(a, 'tag', 'c1', 'x', '--push', '--operation-id', 'retry-1');
    await ok(a, 'tag', 'c1', 'x', '--push', '--operation-id', 'retry-1');
    expect(queueRefs(bare)).toHaveLength(2);
    const d = (await ok(a, 'drain', '--json')).json();
    expect(d).toMatchObject({ applied: 1, skipped: 1 });
    expect(operationIds(bare).filter((o) => o === 'retry-1')).toHaveLength(1);
    // a write drain can't re-apply (a promotion for a pull request) pushes as usual
    await ok(a, 'promote', 'c1', '--stage', 'staging', '--branch', '--push');
    expect(git(bare, 'rev-parse', 'promote/c1-staging').trim()).toMatch(/^[0-9a-f]{40}$/);
    drainedClean(bare);
  }, 120_000);

  it('bad input: --queue on a command drain cannot apply is a usage error; drain with no remote is one line, exit 1; nothing changes', async () => {
    const { bare } = await registryRemote();
    const a = cloneOf(bare, 'alice');
    await ok(a, 'register', '--algo', 'mscn', '--id', 'p1', '--push');
    const head = a.git('rev-parse', 'HEAD').trim();
    const r = await a.run('cleanup', '--algo', 'mscn', '--keep', '1', '--queue');
    expect(r.code).toBe(2);
    expect(stderrText(r)).toMatch(/--queue/);
    expect(a.git('rev-parse', 'HEAD').trim()).toBe(head);
    a.git('remote', 'remove', 'origin');
    const d = await a.run('drain');
    expect(d.code).toBe(1);
    expect(stderrText(d).trim().split('\n')[0]).toMatch(/no remote/);
    const q = await a.run('register', '--algo', 'mscn', '--id', 'p2', '--queue');
    expect(q.code).toBe(1);
    expect(a.git('rev-parse', 'HEAD').trim()).toBe(head);
    expect(a.git('status', '--porcelain')).toBe('');
    expect(queueRefs(bare)).toEqual([]);
  });
});
