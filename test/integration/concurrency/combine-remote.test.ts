// Combining without a checkout (issue #15, store/write/combine.ts with remote-write.ts): a
// `--remote URL` write the remote keeps rejecting joins the queue and drains it in the machine's
// bare cache — the branch ref moves, there is no work tree — and answers only once its operation
// is on the branch. Races are made deterministic with a pre-push hook in the node's cache that has
// a clone write first; one test lets six nodes collide for real over git daemon.
import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, git, runCliWithEnv, stderrText, tempDir } from '../../helpers.js';
import { cloneOf, registryRemote, remoteActions } from '../gitops-helpers.js';
import { startGitDaemon } from './git-daemon.js';
import { expectJobResultThroughQueue } from './combine-checks.js';
import { Git } from '../../../src/git/git.js';
import { prefetchChangedBlobs } from '../../../src/git/remote-cache.js';

const QUEUE = 'refs/modelgit/queue/';

function queueRefs(bare: string): string[] {
  return git(bare, 'for-each-ref', '--format=%(refname)', QUEUE).split('\n').filter(Boolean);
}

function operationIds(bare: string): string[] {
  return git(bare, 'log', '--format=%(trailers:key=Operation-Id,valueonly)', 'main').split('\n').map((l) => l.trim()).filter(Boolean);
}

/** A registry remote with one model (m1), and a training node: an empty directory with a cache of its own. */
async function remoteAndNode(url?: (bare: string) => string) {
  const { bare } = await registryRemote();
  git(bare, 'config', 'uploadpack.allowFilter', 'true');
  const home = tempDir('modelgit-node-');
  const cache = join(home, 'cache');
  const node = (env: Record<string, string>, ...args: string[]) => runCliWithEnv(home, { XDG_CACHE_HOME: cache, ...env }, '--remote', url?.(bare) ?? bare, ...args);
  const first = await node({}, 'register', '--algo', 'mscn', '--id', 'm1');
  if (first.code !== 0) throw new Error(stderrText(first));
  const root = join(cache, 'modelgit', 'remotes');
  const cacheRepo = join(root, readdirSync(root).find((d) => d.endsWith('.git'))!);
  return { bare, node, cacheRepo };
}

/** A pre-push hook in the node's cache: the first `times` pushes (or every one), another clone writes first. */
function raceInCache(cacheRepo: string, otherDir: string, args: string[], opts: { times?: number; always?: boolean }): void {
  const mark = join(tempDir('modelgit-mark-'), 'moved');
  const quoted = args.map((a) => `'${a}'`).join(' ');
  const guard = opts.always ? '' : `n=$(cat '${mark}' 2>/dev/null || echo 0)\n[ "$n" -ge ${opts.times ?? 1} ] && exit 0\necho $((n + 1)) > '${mark}'\n`;
  const hook = `#!/bin/sh\n${guard}unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\ncd '${otherDir}' && '${process.execPath}' '${CLI}' ${quoted} >/dev/null 2>&1 || exit 1\nexit 0\n`;
  const path = join(cacheRepo, 'hooks', 'pre-push');
  writeFileSync(path, hook);
  chmodSync(path, 0o755);
}

describe('a --remote write the remote keeps rejecting combines, in its bare cache', () => {
  it('after two rejected pushes it queues itself, drains in the cache, and answers with its commit on the branch', { timeout: 60_000 }, async () => {
    const { bare, node, cacheRepo } = await remoteAndNode();
    const other = cloneOf(bare, 'alice');
    raceInCache(cacheRepo, other.dir, ['register', '--algo', 'lero', '--push'], { times: 2 });
    const res = await node({ MODELGIT_COMBINE_AFTER: '2' }, 'test', 'm1', '--dataset', 'job', '--metric', 'total_time=7', '--json');
    const answer = expectJobResultThroughQueue(bare, res, /\S+ \(main\)/);
    expect(queueRefs(bare)).toEqual([]);
    expect(remoteActions(bare).filter((x) => x.action === 'register')).toHaveLength(3);
    expect(git(cacheRepo, 'rev-parse', 'main').trim()).toBe(git(bare, 'rev-parse', 'main').trim());
    expect(git(bare, 'log', '--format=%s', 'main').split('\n').filter((s) => s.startsWith('test m1 on job'))).toHaveLength(1);
    const opId = git(bare, 'log', '-1', '--format=%(trailers:key=Operation-Id,valueonly)', answer.commit).trim();
    expect(opId).not.toBe('');
    expect(operationIds(bare).filter((id) => id === opId)).toHaveLength(1);
    const reader = cloneOf(bare, 'reader');
    expect((await reader.run('validate', '--all')).code).toBe(0);
    expect(git(bare, 'fsck', '--strict', '--no-dangling', '--no-progress')).toBe('');
  });

  it("its round applies a clone's plain --queue write with its own, each once", { timeout: 60_000 }, async () => {
    const { bare, node, cacheRepo } = await remoteAndNode();
    const a = cloneOf(bare, 'alice');
    const c = cloneOf(bare, 'carol');
    const queued = await c.run('register', '--algo', 'mscn', '--param', 'who=carol', '--queue', '--json');
    expect(queued.code, stderrText(queued)).toBe(0);
    expect(queueRefs(bare)).toHaveLength(1);
    raceInCache(cacheRepo, a.dir, ['note', 'm1', 'from alice', '--push'], { times: 1 });
    const res = await node({ MODELGIT_COMBINE_AFTER: '1' }, 'register', '--algo', 'mscn', '--param', 'who=node', '--json');
    expect(res.code, stderrText(res)).toBe(0);
    expect(res.stderr).toMatch(/through the queue/);
    const id = res.json().model_id as string;
    const regs = remoteActions(bare).filter((x) => x.action === 'register');
    expect(regs).toHaveLength(3); // m1, carol's, the node's
    const who = regs.slice(1).map((r) => JSON.parse(git(bare, 'show', `main:models/mscn/${r.ids[0]}.json`)).training.hyperparams.who).sort();
    expect(who).toEqual(['carol', 'node']);
    expect(JSON.parse(git(bare, 'show', `main:models/mscn/${id}.json`)).training.hyperparams.who).toBe('node');
    expect(queueRefs(bare)).toEqual([]);
  });

  it('when its retries run out while queued, it takes its queued write back: nothing written, exit 1', { timeout: 60_000 }, async () => {
    const { bare, node, cacheRepo } = await remoteAndNode();
    const a = cloneOf(bare, 'alice');
    raceInCache(cacheRepo, a.dir, ['register', '--algo', 'lero', '--push'], { always: true });
    const res = await node({ MODELGIT_COMBINE_AFTER: '1', MODELGIT_PUSH_RETRIES: '2' }, 'note', 'm1', 'from the node');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/the queued write was taken back, nothing was written/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(queueRefs(bare)).toEqual([]);
    expect(git(bare, 'log', '--format=%s', 'main')).not.toContain('note m1');
  });

  it('a queued promotion at the head of the queue is left to a clone: the cache does not apply it', { timeout: 60_000 }, async () => {
    const { bare, node, cacheRepo } = await remoteAndNode();
    const a = cloneOf(bare, 'alice');
    const c = cloneOf(bare, 'carol');
    const promoted = await c.run('promote', 'm1', '--stage', 'staging', '--force', '--queue');
    expect(promoted.code, stderrText(promoted)).toBe(0);
    raceInCache(cacheRepo, a.dir, ['register', '--algo', 'lero', '--push'], { always: true });
    const res = await node({ MODELGIT_COMBINE_AFTER: '1', MODELGIT_PUSH_RETRIES: '3' }, 'note', 'm1', 'from the node');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/taken back, nothing was written/);
    // the promotion still waits for a clone's drain; the node's write is gone from the queue
    expect(queueRefs(bare)).toHaveLength(1);
    expect(git(bare, 'tag', '--list')).toBe('');
    const drained = await c.run('drain', '--json');
    expect(drained.code, stderrText(drained)).toBe(0);
    expect(queueRefs(bare)).toEqual([]);
  });

  it("a round's blobs come in one fetch, not one connection per blob", { timeout: 60_000 }, async () => {
    const { bare, cacheRepo } = await remoteAndNode();
    const c = cloneOf(bare, 'carol');
    for (const args of [['register', '--algo', 'mscn', '--queue'], ['test', 'm1', '--dataset', 'job', '--metric', 'total_time=3', '--queue'], ['note', 'm1', 'queued', '--queue']]) {
      const r = await c.run(...args);
      expect(r.code, stderrText(r)).toBe(0);
    }
    git(cacheRepo, 'fetch', '-q', 'origin', '+refs/modelgit/queue/*:refs/modelgit/queue-test/*');
    const commits = git(cacheRepo, 'for-each-ref', '--format=%(objectname)', 'refs/modelgit/queue-test/').split('\n').filter(Boolean);
    expect(commits).toHaveLength(3);
    const missing = () => git(cacheRepo, 'rev-list', '--objects', '--missing=print', '--no-walk', ...commits, 'main').split('\n').filter((l) => l.startsWith('?')).length;
    const tip = git(cacheRepo, 'rev-parse', 'main').trim();
    const changed = new Set(git(cacheRepo, 'log', '--no-walk', '--format=', '--raw', '--no-abbrev', ...commits).split('\n').flatMap((l) => l.split(' ').slice(2, 4)).filter((o) => /^[0-9a-f]{40}$/.test(o) && !/^0+$/.test(o)));
    const present = (oid: string) => !git(cacheRepo, 'rev-list', '--objects', '--missing=print', ...commits, 'main').includes(`?${oid}`);
    expect([...changed].some((o) => !present(o))).toBe(true);
    const before = missing();
    await prefetchChangedBlobs(new Git(cacheRepo), commits, tip);
    expect([...changed].every(present)).toBe(true);
    expect(missing()).toBeLessThan(before);
  });

  it('six nodes over git daemon, combining at the first rejection: every write lands exactly once', { timeout: 240_000 }, async () => {
    let daemon: Awaited<ReturnType<typeof startGitDaemon>> | undefined;
    const { bare } = await registryRemote();
    git(bare, 'config', 'uploadpack.allowFilter', 'true');
    daemon = await startGitDaemon(dirname(bare));
    try {
      const url = daemon.url('registry.git');
      const seeded = await runCliWithEnv(tempDir('modelgit-node-'), { XDG_CACHE_HOME: join(tempDir('modelgit-cache-'), 'c') }, '--remote', url, 'register', '--algo', 'mscn', '--id', 'm1');
      expect(seeded.code, stderrText(seeded)).toBe(0);
      const nodes = Array.from({ length: 6 }, (_, i) => {
        const home = tempDir(`modelgit-node${i}-`);
        return (...args: string[]) => runCliWithEnv(home, { XDG_CACHE_HOME: join(home, 'cache'), MODELGIT_COMBINE_AFTER: '1' }, '--remote', url, ...args);
      });
      const runs = await Promise.all(
        nodes.map(async (run, i) => {
          const reg = await run('register', '--algo', 'mscn', '--param', `node=${i}`, '--json');
          const t = await run('test', 'm1', '--dataset', `d${i}`, '--metric', `total_time=${i + 1}`, '--json');
          return [reg, t];
        }),
      );
      for (const r of runs.flat()) expect(r.code, stderrText(r)).toBe(0);
      const regs = remoteActions(bare).filter((x) => x.action === 'register');
      expect(regs).toHaveLength(7);
      const nodesSeen = regs.slice(1).map((r) => JSON.parse(git(bare, 'show', `main:models/mscn/${r.ids[0]}.json`)).training.hyperparams.node).sort();
      expect(nodesSeen).toEqual([0, 1, 2, 3, 4, 5]);
      const datasets = JSON.parse(git(bare, 'show', 'main:models/mscn/m1.json')).testing.map((t: { dataset: string }) => t.dataset).sort();
      expect(datasets).toEqual(['d0', 'd1', 'd2', 'd3', 'd4', 'd5']);
      expect(queueRefs(bare)).toEqual([]);
      expect(git(bare, 'fsck', '--strict', '--no-dangling', '--no-progress')).toBe('');
    } finally {
      await daemon?.stop();
    }
  });
});
