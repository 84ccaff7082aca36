// Writes without a checkout (issue #15): `modelgit --remote URL register|test|tag|untag|note` from
// a directory that is no repository, as a training node runs it. The commit is built from the
// remote's tip with plumbing, checked in-process with the hook's rules, and pushed; the remote moving
// meanwhile re-plans the operation; the cache holds the tip's trees, not every model's blob.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, git, runCliWithEnv, stderrText, tempDir } from '../helpers.js';
import { cloneOf, registryRemote, remoteActions } from './gitops-helpers.js';
import { startGitDaemon } from './concurrency/git-daemon.js';
import { Registry } from '../../src/registry/registry.js';
import { validateCommit } from '../../src/registry/validate.js';
import { commitTree } from '../../src/git/tree-edit.js';

/** A bare registry remote that serves partial clones, and a training node: an empty directory with a cache of its own. */
async function remoteAndNode(): Promise<{ bare: string; node: (...args: string[]) => ReturnType<typeof runCliWithEnv>; cache: string; env: Record<string, string> }> {
  const { bare } = await registryRemote();
  git(bare, 'config', 'uploadpack.allowFilter', 'true');
  const home = tempDir('modelgit-node-');
  const env = { XDG_CACHE_HOME: join(home, 'cache') };
  return { bare, cache: env.XDG_CACHE_HOME, env, node: (...args) => runCliWithEnv(home, env, ...args) };
}

async function ok(p: ReturnType<typeof runCliWithEnv>) {
  const r = await p;
  if (r.code !== 0) throw new Error(`exited ${r.code}: ${stderrText(r)}`);
  return r;
}

function cacheDir(cache: string): string {
  const root = join(cache, 'modelgit', 'remotes');
  const dirs = readdirSync(root).filter((d) => d.endsWith('.git'));
  expect(dirs).toHaveLength(1);
  return join(root, dirs[0]!);
}

function fsckClean(bare: string): void {
  expect(git(bare, 'fsck', '--strict', '--no-dangling', '--no-progress')).toBe('');
}

describe('modelgit --remote URL (no checkout)', () => {
  it('register, test, tag, untag and note land on the remote as one commit each, valid in a clone', async () => {
    const { bare, node } = await remoteAndNode();
    const reg = (await ok(node('--remote', bare, 'register', '--algo', 'mscn', '--param', 'lr=0.1', '--dataset', 'prod', '--json'))).json();
    expect(reg).toMatchObject({ model_id: expect.stringMatching(/^mscn_/), path: `models/mscn/${reg.model_id}.json`, artifact_path: null });
    const id = reg.model_id as string;
    // The option after the command reads the same.
    const t = (await ok(node('test', '--remote', bare, id, '--dataset', 'job', '--metric', 'total_time=12.5', '--json'))).json();
    expect(t.result).toMatchObject({ dataset: 'job', performance: { total_time: 12.5 } });
    await ok(node('--remote', bare, 'tag', id, 'good', 'fast'));
    await ok(node('--remote', bare, 'untag', id, 'fast'));
    await ok(node('--remote', bare, 'note', id, 'from a training node'));
    expect(remoteActions(bare).map((a) => a.action).slice(1)).toEqual(['register', 'test', 'tag', 'untag', 'note']);
    expect(git(bare, 'rev-parse', 'main').trim()).toBe(git(bare, 'log', '-1', '--format=%H', 'main').trim());
    const clone = cloneOf(bare, 'reader');
    expect((await clone.run('validate', '--all')).code).toBe(0);
    const shown = (await clone.run('show', id, '--json')).json();
    expect(shown.metadata).toMatchObject({ model_id: id, tags: ['good'], notes: 'from a training node', training: { dataset: 'prod', hyperparams: { lr: 0.1 } } });
    fsckClean(bare);
  });

  it('keeps a partial cache: the tip and its trees, not the blobs of models it never read', async () => {
    const { bare, node, cache } = await remoteAndNode();
    const seed = cloneOf(bare, 'seed');
    for (let i = 0; i < 20; i++) await ok(seed.run('register', '--algo', 'mscn', '--id', `m${i}`, '--push'));
    await ok(node('--remote', bare, 'test', 'm3', '--dataset', 'job', '--metric', 'total_time=3'));
    const dir = cacheDir(cache);
    expect(git(dir, 'config', 'remote.origin.promisor').trim()).toBe('true');
    const blobs = git(dir, 'cat-file', '--batch-all-objects', '--batch-check=%(objecttype)').split('\n').filter((l) => l === 'blob').length;
    // m3's file (read and written), modelgit.yaml and the .gitignore-like files read at most: never the 20 models.
    expect(blobs).toBeLessThan(8);
    expect(existsSync(join(dir, 'shallow'))).toBe(true);
  });

  it('re-plans on the remote moving: concurrent nodes all land, each registration once with its own id', async () => {
    const { bare } = await remoteAndNode();
    git(bare, 'config', 'uploadpack.allowFilter', 'true');
    // Four machines, the last with three jobs sharing its cache.
    const shared = tempDir('modelgit-shared-');
    const nodes = Array.from({ length: 6 }, (_, i) => {
      const home = i < 3 ? tempDir(`modelgit-node${i}-`) : shared;
      return (...args: string[]) => runCliWithEnv(home, { XDG_CACHE_HOME: join(home, 'cache') }, ...args);
    });
    const answers = await Promise.all(nodes.map((n, i) => ok(n('--remote', bare, 'register', '--algo', 'lero', '--name', 'lero', '--param', `seed=${i}`, '--json'))));
    const ids = answers.map((r) => r.json().model_id as string);
    expect(new Set(ids).size).toBe(6);
    const registered = remoteActions(bare).filter((a) => a.action === 'register').flatMap((a) => a.ids);
    expect(registered.sort()).toEqual([...ids].sort());
    fsckClean(bare);
  }, 120_000);

  it('waits out another command fetching into the same cache (its shallow.lock), rather than failing', async () => {
    const { bare, node, cache } = await remoteAndNode();
    await ok(node('--remote', bare, 'register', '--algo', 'mscn', '--id', 'first'));
    const seed = cloneOf(bare, 'seed');
    await ok(seed.run('register', '--algo', 'mscn', '--id', 'moved', '--push'));
    // As git holds it while another fetch rewrites the shallow file; let go 400 ms later.
    const lock = join(cacheDir(cache), 'shallow.lock');
    writeFileSync(lock, '');
    const release = new Promise<void>((res) => setTimeout(() => { rmSync(lock, { force: true }); res(); }, 400));
    const r = await ok(node('--remote', bare, 'test', 'first', '--dataset', 'job', '--metric', 'total_time=3', '--json'));
    await release;
    expect(r.json().result).toMatchObject({ dataset: 'job' });
    expect(remoteActions(bare).map((a) => a.action).slice(-3)).toEqual(['register', 'register', 'test']);
  });

  it('applies the per-algorithm schema of the remote tip, and refuses in one message with nothing pushed', async () => {
    const { bare, node } = await remoteAndNode();
    const admin = cloneOf(bare, 'admin');
    writeFileSync(join(admin.dir, 'schemas.mscn.json'), JSON.stringify({ type: 'object', required: ['training'], properties: { training: { type: 'object', required: ['hyperparams'], properties: { hyperparams: { type: 'object', required: ['lr'] } } } } }));
    const cfg = join(admin.dir, 'modelgit.yaml');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace(/^schemas: \{\}$/m, 'schemas:\n  mscn: schemas.mscn.json'));
    admin.git('add', '-A');
    admin.git('commit', '-qm', 'mscn schema');
    admin.git('push', '-q');
    const before = git(bare, 'rev-parse', 'main').trim();
    const r = await node('--remote', bare, 'register', '--algo', 'mscn', '--param', 'epochs=3');
    expect(r.code).toBe(1);
    expect(stderrText(r)).toMatch(/lr/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(git(bare, 'rev-parse', 'main').trim()).toBe(before);
    await ok(node('--remote', bare, 'register', '--algo', 'mscn', '--param', 'lr=0.5'));
  });

  it('checks the new commit with the rules of validate --since before pushing (a rewritten result is refused)', async () => {
    const { bare, node, cache } = await remoteAndNode();
    await ok(node('--remote', bare, 'register', '--algo', 'mscn', '--id', 'm1'));
    await ok(node('--remote', bare, 'test', 'm1', '--dataset', 'job', '--metric', 'total_time=10'));
    process.env.XDG_CACHE_HOME = cache; // the node's cache, opened in this process
    const reg = await Registry.openRemote({ url: bare }, {}).finally(() => delete process.env.XDG_CACHE_HOME);
    const tip = (await reg.git.head())!;
    const text = (await reg.git.showFile(tip, 'models/mscn/m1.json'))!;
    const forged = await commitTree(reg.git, { base: tip, changes: [{ path: 'models/mscn/m1.json', content: text.replace('"total_time": 10', '"total_time": 1') }], message: 'forge\n' });
    const report = await validateCommit(reg, tip, forged);
    expect(report.ok).toBe(false);
    expect(report.errors.map((e) => e.rule)).toContain('append-only');
    expect(cacheDir(cache)).toBe(reg.root);
  });

  it('is exactly once: a repeat with the same --operation-id answers with the first commit, also when its push outcome was unknown', async () => {
    const { bare, node, cache } = await remoteAndNode();
    const first = (await ok(node('--remote', bare, 'register', '--algo', 'mscn', '--operation-id', 'op-1', '--json'))).json();
    const again = await ok(node('--remote', bare, 'register', '--algo', 'mscn', '--operation-id', 'op-1', '--json'));
    expect(again.json()).toMatchObject({ model_id: first.model_id, commit: first.commit, replayed: true });
    // A node killed during its push does not know whether it landed: its note says "pushing".
    const notes = join(cacheDir(cache), 'modelgit', 'remote-operations');
    const [note] = readdirSync(notes);
    const file = join(notes, note!);
    writeFileSync(file, readFileSync(file, 'utf8').replace('"pushed"', '"pushing"'));
    // Others wrote on top meanwhile: the attempt is below the tip, found in the history fetched since it began.
    const other = cloneOf(bare, 'other');
    await ok(other.run('register', '--algo', 'lero', '--id', 'l1', '--push'));
    const third = await ok(node('--remote', bare, 'register', '--algo', 'mscn', '--operation-id', 'op-1', '--json'));
    expect(third.json()).toMatchObject({ model_id: first.model_id, commit: first.commit, replayed: true });
    expect(remoteActions(bare).filter((a) => a.action === 'register')).toHaveLength(2);
  });

  it('--queue sends the write to a queue ref that drain applies', async () => {
    const { bare, node } = await remoteAndNode();
    const q = (await ok(node('--remote', bare, 'register', '--algo', 'mscn', '--id', 'q1', '--queue', '--json'))).json();
    expect(q.queued).toMatchObject({ ref: expect.stringMatching(/^refs\/modelgit\/queue\//) });
    expect(git(bare, 'for-each-ref', '--format=%(refname)', 'refs/modelgit/queue/').trim()).toBe(q.queued.ref);
    const clone = cloneOf(bare, 'drainer');
    await ok(clone.run('drain'));
    expect(remoteActions(bare).map((a) => a.ids)).toContainEqual(['q1']);
  });

  it('works over a network protocol (git daemon on loopback)', async () => {
    const { bare, node } = await remoteAndNode();
    const daemon = await startGitDaemon(join(bare, '..'));
    try {
      const url = daemon.url('registry.git');
      const r = (await ok(node('--remote', url, 'register', '--algo', 'mscn', '--id', 'net1', '--json'))).json();
      expect(r.model_id).toBe('net1');
      await ok(node('--remote', url, 'test', 'net1', '--dataset', 'job', '--metric', 'total_time=4'));
      expect(remoteActions(bare).map((a) => a.action).slice(1)).toEqual(['register', 'test']);
    } finally {
      daemon.stop();
    }
  }, 60_000);

  it('bad input: one line, the right exit code, the remote unchanged', async () => {
    const { bare, node } = await remoteAndNode();
    const before = git(bare, 'rev-parse', 'main').trim();
    const cases: [string[], number, RegExp][] = [
      [['--remote', join(bare, '..', 'nope.git'), 'register', '--algo', 'mscn'], 1, /could not reach the registry/],
      [['--remote', bare, 'best', '--algo', 'mscn'], 2, /--remote works with register, test, tag, untag, note.*not with best/],
      [['--remote', bare, 'promote', 'x', 'production'], 2, /not with promote/],
      [['register', '--algo', 'mscn', '--remote-branch', 'main'], 2, /--remote-branch goes with --remote/],
      [['--remote', bare, 'test', 'nope', '--dataset', 'job', '--metric', 'total_time=1'], 1, /no model "nope"/],
      [['--remote', bare, 'register', '--algo', '../evil'], 2, /algorithm/],
      [['--remote', bare, '--remote-branch', 'no-such-branch', 'register', '--algo', 'mscn'], 1, /no-such-branch/],
      [['--remote', '--bad', 'register', '--algo', 'mscn'], 2, /not a remote URL/],
    ];
    for (const [args, code, message] of cases) {
      const r = await node(...args);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(stderrText(r)).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    const plain = tempDir('modelgit-plain-');
    git(plain, 'init', '-q', '--bare', '-b', 'main');
    const seedDir = tempDir('modelgit-plainseed-');
    git(seedDir, 'init', '-q', '-b', 'main');
    writeFileSync(join(seedDir, 'README'), 'x');
    git(seedDir, 'add', '-A');
    git(seedDir, '-c', 'user.name=a', '-c', 'user.email=a@b', 'commit', '-qm', 'x');
    git(seedDir, 'push', '-q', plain, 'main');
    const notRegistry = await node('--remote', plain, 'register', '--algo', 'mscn');
    expect(notRegistry.code).toBe(1);
    expect(stderrText(notRegistry)).toMatch(/not a modelgit registry/);
    expect(git(bare, 'rev-parse', 'main').trim()).toBe(before);
  });
});

describe('--remote: the fast retry', () => {
  /** A pre-push hook in the node's cache that, the first time, lets another clone push first. */
  function raceOnce(cacheRepo: string, other: string, args: string[]): void {
    const mark = join(tempDir('modelgit-mark-'), 'moved');
    const quoted = args.map((a) => `'${a}'`).join(' ');
    const hook = `#!/bin/sh\n[ -e '${mark}' ] && exit 0\ntouch '${mark}'\nunset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\ncd '${other}' && '${process.execPath}' '${CLI}' ${quoted} >/dev/null 2>&1 || exit 1\nexit 0\n`;
    writeFileSync(join(cacheRepo, 'hooks', 'pre-push'), hook, { mode: 0o755 });
  }

  it('rebuilds only the commit when the others changed other files, and plans again when they changed its file', async () => {
    const { bare, cache, env } = await remoteAndNode();
    const home = tempDir('modelgit-racer-');
    const node = (...args: string[]) => runCliWithEnv(home, { ...env, MODELGIT_CACHE_TRACE: '1' }, ...args);
    await ok(node('--remote', bare, 'register', '--algo', 'mscn', '--id', 'm1'));
    const other = cloneOf(bare, 'other');
    raceOnce(cacheDir(cache), other.dir, ['register', '--algo', 'lero', '--id', 'l1', '--push']);
    const fast = await ok(node('--remote', bare, 'test', 'm1', '--dataset', 'job', '--metric', 'total_time=5'));
    expect(fast.stderr).toMatch(/modelgit-remote: the same write on \w+ \(1 other file\(s\) changed\)/);
    expect(fast.stderr).toMatch(/attempt 2: the remote had moved/);
    other.git('pull', '-q');
    raceOnce(cacheDir(cache), other.dir, ['test', 'm1', '--dataset', 'stats', '--metric', 'total_time=7', '--push']);
    const replanned = await ok(node('--remote', bare, 'test', 'm1', '--dataset', 'job', '--metric', 'total_time=6'));
    expect(replanned.stderr).toMatch(/modelgit-remote: planning again on \w+: models\/mscn\/m1.json changed/);
    const reader = cloneOf(bare, 'reader');
    expect((await reader.run('validate', '--all')).code).toBe(0);
    const results = (await reader.run('show', 'm1', '--json')).json().metadata.testing.map((t: { dataset: string; performance: { total_time: number } }) => [t.dataset, t.performance.total_time]);
    expect(results).toEqual([['job', 5], ['stats', 7], ['job', 6]]);
    expect(remoteActions(bare).map((a) => a.subject).slice(1)).toEqual([
      'register m1',
      'register l1',
      'test m1 on job: total_time=5',
      'test m1 on stats: total_time=7',
      'test m1 on job: total_time=6',
    ]);
    fsckClean(bare);
  }, 60_000);
});
