// The server's pre-receive hook (issue #16, "Enforced at the remote"): a bare registry served by a
// real `git daemon` on loopback with `modelgit hooks install --server`. Clients without any hook
// try what the pre-commit hook would have stopped — a rewritten result committed with --no-verify,
// a force-push over history, a moved or deleted stage tag, a hand-edited stages.yaml past a gate, a
// model file removed by hand, a forced promotion where the config forbids force — and each push is
// refused with one line per problem, leaving the remote (refs and objects) as it was. Ordinary
// modelgit writes with --push from several clones at once, a cleanup, and --queue with drain still land.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, runCli, stderrText, tempDir } from '../helpers.js';
import { startGitDaemon, type GitDaemon } from './concurrency/git-daemon.js';
import { cloneOf, registryRemote, remoteActions, type Clone } from './gitops-helpers.js';

let daemon: GitDaemon | undefined;
let bare: string;
let url: string;

/** A clone whose origin is the daemon (its own identity, no pre-commit hook). */
function overDaemon(name: string): Clone {
  return cloneOf(bare, name, url);
}

function gitTry(dir: string, ...args: string[]): { code: number; out: string } {
  const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env } });
  return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

async function ok(c: Pick<Clone, 'run'>, ...args: string[]) {
  const r = await c.run(...args);
  if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${stderrText(r)}`);
  return r;
}

/** Every ref of the remote with what it points at, and how many objects it holds: a refused push changes neither. */
function remoteState(): { refs: string; objects: string } {
  return { refs: git(bare, 'for-each-ref', '--format=%(refname) %(objectname)'), objects: git(bare, 'count-objects', '-v') };
}

/** The `modelgit: refused …` lines the pusher saw (git prefixes them with `remote:`). */
function refusals(out: string): string[] {
  return out
    .split('\n')
    .map((l) => l.replace(/^remote:\s*/, '').trim())
    .filter((l) => l.startsWith('modelgit: refused'));
}

/** A push git refuses, with the remote exactly as it was. */
function refusedPush(c: Clone, ...args: string[]): string[] {
  const before = remoteState();
  const r = gitTry(c.dir, 'push', ...args);
  expect(r.code, r.out).not.toBe(0);
  expect(r.out).toMatch(/pre-receive hook declined/);
  expect(remoteState()).toEqual(before);
  return refusals(r.out);
}

function editJson(c: Clone, rel: string, edit: (v: any) => void): void {
  const v = JSON.parse(c.read(rel));
  edit(v);
  writeFileSync(join(c.dir, rel), JSON.stringify(v, null, 2) + '\n');
}

beforeAll(async () => {
  const remote = await registryRemote();
  bare = remote.bare;
  const seed = remote.seed;
  // production: tested on production and (by default) better than the holder; never forced
  seed.write('modelgit.yaml', seed.read('modelgit.yaml').replace(/must_beat_current: total_time[^\n]*\n/, 'must_beat_current: total_time\n    allow_force: false\n'));
  expect(seed.read('modelgit.yaml')).toMatch(/allow_force: false/);
  seed.git('commit', '-qam', 'production may not be forced');
  for (const [id, t] of [['fast', 40], ['mid', 50], ['slow', 90]] as const) {
    await ok(seed, 'register', '--algo', 'mscn', '--id', id);
    await ok(seed, 'test', id, '--dataset', 'production', '--metric', `total_time=${t}`);
  }
  await ok(seed, 'register', '--algo', 'mscn', '--id', 'untested');
  await ok(seed, 'promote', 'slow', '--stage', 'production');
  seed.git('push', '-q', 'origin', 'main', '--tags');

  const installed = await runCli(bare, 'hooks', 'install', '--server', '--json');
  expect(installed.code, stderrText(installed)).toBe(0);
  expect(installed.json()).toEqual({ path: join(bare, 'hooks', 'pre-receive'), action: 'installed' });
  daemon = await startGitDaemon(dirname(bare));
  url = daemon.url('registry.git');
}, 60_000);

afterAll(() => {
  daemon?.stop();
});

describe('hooks install --server', () => {
  it('installs the pre-receive hook in a bare repository, again as an update, and refuses a clone', async () => {
    const hook = join(bare, 'hooks', 'pre-receive');
    expect(readFileSync(hook, 'utf8')).toMatch(/modelgit pre-receive hook/);
    expect((await runCli(bare, 'hooks', 'install', '--server', '--json')).json()).toMatchObject({ action: 'updated' });
    const c = cloneOf(bare, 'installer');
    const inClone = await c.run('hooks', 'install', '--server');
    expect(inClone.code).toBe(2);
    expect(inClone.stderr).toMatch(/bare repository/);
    expect(existsSync(join(c.dir, '.git', 'hooks', 'pre-receive'))).toBe(false);
  });
});

describe('hooks install --server beside another hook, and where it does not belong', () => {
  it('chains a foreign pre-receive hook (it gets the same input, first), refuses without --chain or --force', async () => {
    const { bare: other } = await registryRemote();
    const log = join(other, 'foreign.log');
    writeFileSync(join(other, 'hooks', 'pre-receive'), `#!/bin/sh\ncat >> '${log}'\n`);
    chmodSync(join(other, 'hooks', 'pre-receive'), 0o755);
    const refused = await runCli(other, 'hooks', 'install', '--server');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/another tool's pre-receive hook; modelgit will not clobber it[\s\S]*hooks install --server --chain/);
    expect((await runCli(other, 'hooks', 'install', '--server', '--chain', '--json')).json()).toEqual({ path: join(other, 'hooks', 'pre-receive'), action: 'chained', backup: join(other, 'hooks', 'pre-receive.local') });
    const c = cloneOf(other, 'chained');
    writeFileSync(join(c.dir, 'models', 'stray.json'), '{}\n');
    c.git('add', 'models/stray.json');
    c.git('commit', '-qm', 'a stray file', '--no-verify');
    const r = gitTry(c.dir, 'push', 'origin', 'main');
    expect(r.code).not.toBe(0);
    expect(refusals(r.out)).toEqual([expect.stringMatching(/^modelgit: refused refs\/heads\/main: models\/stray\.json:1:1: a model file belongs at .*\[model-path\]$/)]);
    expect(readFileSync(log, 'utf8')).toMatch(/^[0-9a-f]{40} [0-9a-f]{40} refs\/heads\/main\n$/);
  });

  it('refuses a repository with a work tree, and a bare one whose HEAD is no registry', async () => {
    const plain = join(tempDir(), 'plain.git');
    git(tempDir(), 'init', '-q', '--bare', '-b', 'main', plain);
    const work = cloneOf(plain, 'not-a-registry');
    writeFileSync(join(work.dir, 'README.md'), 'hello\n');
    work.git('add', 'README.md');
    work.git('commit', '-qm', 'not a registry');
    work.git('push', '-q', 'origin', 'main');
    const notRegistry = await runCli(plain, 'hooks', 'install', '--server', '--json');
    expect(notRegistry.code).toBe(1);
    expect(notRegistry.stderr).toMatch(/no modelgit\.yaml/);
    expect(existsSync(join(plain, 'hooks', 'pre-receive'))).toBe(false);
    // an empty bare repository takes the hook: its first push becomes the registry
    const empty = join(tempDir(), 'empty.git');
    git(tempDir(), 'init', '-q', '--bare', '-b', 'main', empty);
    expect((await runCli(empty, 'hooks', 'install', '--server', '--json')).json()).toMatchObject({ action: 'installed' });
  });
});

describe('refused at the remote', () => {
  it('a result rewritten and committed with --no-verify', () => {
    const c = overDaemon('forger');
    editJson(c, 'models/mscn/slow.json', (m) => (m.testing[0].performance.total_time = 1));
    c.git('commit', '-qam', 'better numbers', '--no-verify');
    const lines = refusedPush(c, 'origin', 'main');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^modelgit: refused refs\/heads\/main: models\/mscn\/slow\.json:\d+:\d+: \/testing\/0\/performance\/total_time: .*\[append-only\]$/);
  });

  it('a force-push that rewrites history', () => {
    const c = overDaemon('rewriter');
    c.git('reset', '-q', '--hard', 'HEAD~1');
    const lines = refusedPush(c, '--force', 'origin', 'main');
    expect(lines).toEqual([expect.stringMatching(/^modelgit: refused refs\/heads\/main: .* is not an ancestor of .*\[history-rewrite\]$/)]);
  });

  it('a stage tag moved or deleted', () => {
    const c = overDaemon('tagger');
    c.git('fetch', '-q', '--tags');
    const tag = 'stage/mscn/production/1';
    c.git('tag', '-f', '-a', '-m', 'moved', tag, 'HEAD~1');
    expect(refusedPush(c, '--force', 'origin', `refs/tags/${tag}`)).toEqual([expect.stringMatching(/^modelgit: refused refs\/tags\/stage\/mscn\/production\/1: a decision tag is never moved .*\[decision-tag\]$/)]);
    expect(refusedPush(c, 'origin', `:refs/tags/${tag}`)).toEqual([expect.stringMatching(/a decision tag is never deleted .*\[decision-tag\]$/)]);
    // a new decision tag on a commit no branch holds
    c.git('commit', '-q', '--allow-empty', '-m', 'off the record');
    c.git('tag', '-a', '-m', 'made up', 'stage/mscn/production/9');
    expect(refusedPush(c, 'origin', 'refs/tags/stage/mscn/production/9')).toEqual([expect.stringMatching(/^modelgit: refused refs\/tags\/stage\/mscn\/production\/9: stage\/mscn\/production\/9 points at \w+, which is on no branch .*\[decision-tag\]$/)]);
  });

  it('a hand-edited stages.yaml that skips a gate', () => {
    const c = overDaemon('promoter');
    writeFileSync(join(c.dir, 'stages.yaml'), c.read('stages.yaml').replace('production: slow', 'production: untested'));
    c.git('commit', '-qam', 'promote untested', '--no-verify');
    const lines = refusedPush(c, 'origin', 'main');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => l.startsWith('modelgit: refused refs/heads/main: stages.yaml:'))).toBe(true);
    expect(lines.join('\n')).toMatch(/\[gate:require_tested_on\]/);
  });

  it('a push that loosens the gates in modelgit.yaml and promotes past them', () => {
    const c = overDaemon('loosener');
    writeFileSync(join(c.dir, 'modelgit.yaml'), c.read('modelgit.yaml').replace(/^promotion:\n(?:[ \t]+.*\n)*/m, 'promotion: {}\n'));
    expect(c.read('modelgit.yaml')).toMatch(/^promotion: \{\}$/m);
    writeFileSync(join(c.dir, 'stages.yaml'), c.read('stages.yaml').replace('production: slow', 'production: untested'));
    c.git('commit', '-qam', 'no more gates', '--no-verify');
    const lines = refusedPush(c, 'origin', 'main');
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((l) => /^modelgit: refused refs\/heads\/main: stages\.yaml:.*\(under the modelgit\.yaml this push replaces\) \[gate:\w+\]$/.test(l)), lines.join('\n')).toBe(true);
  });

  it('a model file removed by hand, not by cleanup', () => {
    const c = overDaemon('remover');
    c.git('rm', '-q', 'models/mscn/mid.json');
    c.git('commit', '-qm', 'tidy', '--no-verify');
    expect(refusedPush(c, 'origin', 'main')).toEqual([expect.stringMatching(/^modelgit: refused refs\/heads\/main: models\/mscn\/mid\.json:1:1: commit \w+ removes model mid, but it is not a cleanup commit.*\[removed-by-cleanup\]$/)]);
  });

  it('a forced promotion where promotion.<stage>.allow_force is false', async () => {
    const c = overDaemon('forcer');
    // modelgit's own promote --force refuses first, on the client.
    const r = await c.run('promote', 'untested', '--stage', 'production', '--force', '--push');
    expect(r.code).toBe(1);
    expect(stderrText(r)).toMatch(/--force is not allowed there \(promotion\.production\.allow_force: false\)/);
    // A client that writes the forced promotion itself meets the server.
    writeFileSync(join(c.dir, 'stages.yaml'), c.read('stages.yaml').replace('production: slow', 'production: untested'));
    c.git('commit', '-qam', 'promote untested to mscn/production\n\nModel-Action: promote\nModel-Id: untested\nAlgorithm: mscn\nStage: production\nForced: true', '--no-verify');
    expect(refusedPush(c, 'origin', 'main')).toEqual([expect.stringMatching(/^modelgit: refused refs\/heads\/main: stages\.yaml:\d+:\d+: \/mscn\/production: promoting untested to mscn\/production was forced past require_tested_on .*allow_force is false \[allow-force\]$/)]);
  });
});

describe('modelgit writes still land', () => {
  it('--push from several clones at once, then a promotion with its tag and a cleanup', { timeout: 60_000 }, async () => {
    const clones = ['w1', 'w2', 'w3'].map(overDaemon);
    const before = remoteActions(bare).length;
    // At once: each push but the first meets a moved remote, fetches and writes again.
    await Promise.all(clones.map((c, i) => ok(c, 'register', '--algo', 'mscn', '--id', `writer_${i}`, '--push')));
    await ok(clones[1]!, 'test', 'mid', '--dataset', 'production', '--metric', 'total_time=45', '--push');
    const landed = remoteActions(bare).slice(before);
    expect(landed.map((a) => `${a.action} ${a.ids.join()}`).sort()).toEqual(['register writer_0', 'register writer_1', 'register writer_2', 'test mid']);

    const c = clones[0]!;
    await ok(c, 'promote', 'fast', '--stage', 'production', '--push');
    expect(git(bare, 'show', 'main:stages.yaml')).toMatch(/production: fast/);
    expect(git(bare, 'tag', '--list', 'stage/mscn/production/*').split('\n').filter(Boolean)).toEqual(['stage/mscn/production/1', 'stage/mscn/production/2']);

    await ok(c, 'cleanup', '--algo', 'mscn', '--keep', '3', '--dataset', 'production', '--push');
    expect(remoteActions(bare).at(-1)!.action).toBe('cleanup');
    expect(git(bare, 'tag', '--list', 'cleanup/*').trim()).toBe('cleanup/mscn/1');
  });

  it('--queue, then drain from another clone', { timeout: 60_000 }, async () => {
    const [q, d] = [overDaemon('queuer'), overDaemon('drainer')];
    const queued = (await ok(q, 'register', '--algo', 'mscn', '--id', 'queued_one', '--queue', '--json')).json().queued;
    await ok(q, 'test', 'queued_one', '--dataset', 'production', '--metric', 'total_time=7', '--queue');
    expect(queued.ref).toMatch(/^refs\/modelgit\/queue\//);
    const drained = (await ok(d, 'drain', '--json')).json();
    expect(drained.items.map((i: { outcome: string }) => i.outcome)).toEqual(['applied', 'applied']);
    expect(git(bare, 'for-each-ref', 'refs/modelgit/queue/')).toBe('');
    expect(JSON.parse(git(bare, 'show', 'main:models/mscn/queued_one.json')).testing).toHaveLength(1);
  });

  it('a forged queued write is refused like a branch update', () => {
    const c = overDaemon('queue-forger');
    editJson(c, 'models/mscn/fast.json', (m) => (m.testing[0].performance.total_time = 0.5));
    c.git('commit', '-qam', 'queued forgery', '--no-verify');
    const lines = refusedPush(c, 'origin', 'HEAD:refs/modelgit/queue/20260101T000000000Z-forged');
    expect(lines).toEqual([expect.stringMatching(/^modelgit: refused refs\/modelgit\/queue\/20260101T000000000Z-forged: models\/mscn\/fast\.json:.*\[append-only\]$/)]);
  });
});
