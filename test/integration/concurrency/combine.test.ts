// Combining under contention (issue #15, store/write/combine.ts): a --push write the remote keeps
// rejecting joins the queue and drains it, its own write and the others' waiting there, and
// answers only once its operation is on the branch. The races are made deterministic with a
// pre-push hook in the writer's clone that has another clone write first (moveRemoteDuringPush),
// for the first n pushes; one test lets eight clones over git daemon collide for real.
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, stderrText } from '../../helpers.js';
import { cloneOf, moveRemoteDuringPush, registryRemote, remoteActions, runWithEnv, type Clone } from '../gitops-helpers.js';
import { startGitDaemon } from './git-daemon.js';
import { expectJobResultThroughQueue } from './combine-checks.js';

const QUEUE = 'refs/modelgit/queue/';

function queueRefs(bare: string): string[] {
  return git(bare, 'for-each-ref', '--format=%(refname)', QUEUE).split('\n').filter(Boolean);
}

function operationIds(bare: string): string[] {
  return git(bare, 'log', '--format=%(trailers:key=Operation-Id,valueonly)', 'main').split('\n').map((l) => l.trim()).filter(Boolean);
}

async function remoteWithModel(): Promise<{ bare: string; a: Clone; b: Clone; c: Clone }> {
  const { bare, seed } = await registryRemote();
  const r = await seed.run('register', '--algo', 'mscn', '--id', 'm1', '--push');
  if (r.code !== 0) throw new Error(stderrText(r));
  return { bare, a: cloneOf(bare, 'alice'), b: cloneOf(bare, 'bob'), c: cloneOf(bare, 'carol') };
}

describe('a --push write the remote keeps rejecting combines', () => {
  it('after two rejected pushes it queues itself, drains, and answers with its commit on the branch', { timeout: 60_000 }, async () => {
    const { bare, a, b } = await remoteWithModel();
    moveRemoteDuringPush(b, a, ['register', '--algo', 'lero', '--push'], { times: 2 });
    const res = await runWithEnv(b.dir, { MODELGIT_COMBINE_AFTER: '2' }, 'test', 'm1', '--dataset', 'job', '--metric', 'total_time=7', '--push', '--json');
    const answer = expectJobResultThroughQueue(bare, res, /origin\/main/);
    expect(git(bare, 'log', '-1', '--format=%(trailers:key=Operation-Id,valueonly)', answer.commit).trim()).toMatch(/^auto-test-/);
    expect(queueRefs(bare)).toEqual([]);
    expect(remoteActions(bare).filter((x) => x.action === 'register').length).toBe(3);
    expect(b.git('rev-parse', 'HEAD').trim()).toBe(git(bare, 'rev-parse', 'main').trim());
    expect(b.git('status', '--porcelain')).toBe('');
    // bob's operation once (alice's two identical registrations share their derived identity)
    expect(operationIds(bare).filter((x) => x.startsWith('auto-test-'))).toHaveLength(1);
  });

  it("its drain round applies the others' queued writes with its own, each once", { timeout: 60_000 }, async () => {
    const { bare, a, b, c } = await remoteWithModel();
    const queued = await c.run('register', '--algo', 'mscn', '--param', 'who=carol', '--queue', '--json');
    expect(queued.code, stderrText(queued)).toBe(0);
    expect(queueRefs(bare)).toHaveLength(1);
    moveRemoteDuringPush(b, a, ['note', 'm1', 'from alice', '--push'], { times: 1 });
    const res = await runWithEnv(b.dir, { MODELGIT_COMBINE_AFTER: '1' }, 'register', '--algo', 'mscn', '--param', 'who=bob', '--push', '--json');
    expect(res.code, stderrText(res)).toBe(0);
    const id = res.json().model_id as string;
    const regs = remoteActions(bare).filter((x) => x.action === 'register');
    expect(regs.map((r) => r.ids[0])).toContain(id);
    expect(regs).toHaveLength(3); // m1, carol's, bob's
    const params = regs.slice(1).map((r) => JSON.parse(git(bare, 'show', `main:models/mscn/${r.ids[0]}.json`)).training.hyperparams.who).sort();
    expect(params).toEqual(['bob', 'carol']);
    expect(queueRefs(bare)).toEqual([]);
    expect(JSON.parse(git(bare, 'show', `main:models/mscn/${id}.json`)).training.hyperparams.who).toBe('bob');
  });

  it('the same command run again in the same clone is a second operation, and lands as one', { timeout: 60_000 }, async () => {
    // Its derived identity equals the first run's, whose commit is already on the branch below
    // where the second was planned: drain must not take that for this write.
    const { bare, a, b } = await remoteWithModel();
    const args = ['test', 'm1', '--dataset', 'job', '--metric', 'total_time=7', '--push', '--json'];
    const first = await b.run(...args);
    expect(first.code, stderrText(first)).toBe(0);
    moveRemoteDuringPush(b, a, ['register', '--algo', 'lero', '--push'], { times: 1 });
    const second = await runWithEnv(b.dir, { MODELGIT_COMBINE_AFTER: '1' }, ...args);
    expect(second.code, stderrText(second)).toBe(0);
    expect(second.stderr).toMatch(/through the queue/);
    expect(second.json().commit).not.toBe(first.json().commit);
    const file = JSON.parse(git(bare, 'show', 'main:models/mscn/m1.json'));
    expect(file.testing.map((t: { dataset: string }) => t.dataset)).toEqual(['job', 'job']);
    expect(queueRefs(bare)).toEqual([]);
  });

  // (the budget capped by count, not by time, so a slow machine can't decide it before the queue)
  it('when its retries run out while queued, it takes its queued write back: nothing written, exit 1', { timeout: 60_000 }, async () => {
    const { bare, a, b } = await remoteWithModel();
    const before = b.git('rev-parse', 'HEAD').trim();
    moveRemoteDuringPush(b, a, ['register', '--algo', 'lero', '--push'], { always: true });
    const res = await runWithEnv(b.dir, { MODELGIT_COMBINE_AFTER: '1', MODELGIT_PUSH_RETRIES: '2' }, 'note', 'm1', 'from bob', '--push');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/the queued write was taken back, nothing was written/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(queueRefs(bare)).toEqual([]);
    expect(git(bare, 'log', '--format=%s', 'main')).not.toContain('note m1');
    expect(b.git('rev-parse', 'HEAD').trim()).toBe(before);
    expect(b.git('status', '--porcelain')).toBe('');
  });

  it('a registration that asked for its own --id never combines (drain would rename it)', { timeout: 60_000 }, async () => {
    const { bare, a, b } = await remoteWithModel();
    moveRemoteDuringPush(b, a, ['register', '--algo', 'lero', '--push'], { times: 2 });
    const res = await runWithEnv(b.dir, { MODELGIT_COMBINE_AFTER: '1' }, 'register', '--algo', 'mscn', '--id', 'mine', '--push', '--json');
    expect(res.code, stderrText(res)).toBe(0);
    expect(res.stderr).not.toMatch(/through the queue/);
    expect(res.stderr).toMatch(/attempt 3: the remote had moved/);
    expect(res.json()).toMatchObject({ model_id: 'mine' });
    expect(queueRefs(bare)).toEqual([]);
  });

  it('eight clones over git daemon, combining at the first rejection: every write lands exactly once', { timeout: 240_000 }, async () => {
    const { bare } = await remoteWithModel();
    const daemon = await startGitDaemon(dirname(bare));
    try {
      const url = daemon.url('registry.git');
      const clones = Array.from({ length: 8 }, (_, i) => cloneOf(bare, `w${i}`, url));
      const env = { MODELGIT_COMBINE_AFTER: '1' };
      const out = await Promise.all(
        clones.map(async (c, i) => {
          const reg = await runWithEnv(c.dir, env, 'register', '--algo', 'mscn', '--param', `writer=${i}`, '--push', '--json');
          if (reg.code !== 0) throw new Error(`writer ${i}: ${stderrText(reg)}`);
          const id = reg.json().model_id as string;
          const t = await runWithEnv(c.dir, env, 'test', id, '--dataset', 'job', '--metric', `total_time=${i + 1}`, '--push', '--json');
          if (t.code !== 0) throw new Error(`writer ${i}: ${stderrText(t)}`);
          return { id, i };
        }),
      );
      expect(new Set(out.map((o) => o.id)).size).toBe(8);
      for (const { id, i } of out) {
        const file = JSON.parse(git(bare, 'show', `main:models/mscn/${id}.json`));
        expect(file.training.hyperparams.writer).toBe(i);
        expect(file.testing).toEqual([expect.objectContaining({ dataset: 'job', performance: { total_time: i + 1 } })]);
      }
      const actions = remoteActions(bare);
      expect(actions.filter((x) => x.action === 'register')).toHaveLength(9);
      expect(actions.filter((x) => x.action === 'test')).toHaveLength(8);
      const ids = operationIds(bare);
      expect(new Set(ids).size).toBe(ids.length);
      expect(queueRefs(bare)).toEqual([]);
      expect(git(bare, 'fsck', '--strict', '--no-dangling', '--no-progress')).toBe('');
    } finally {
      daemon.stop();
    }
  });
});
