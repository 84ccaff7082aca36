// Many writers on one remote (DESIGN §4b): every write lands exactly once, history stays linear
// and fsck-clean; two processes on one clone serialize; a writer killed mid-write leaves the
// clone consistent and the command safe to run again.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, git, runCli, stderrText, tempDir } from '../../helpers.js';
import { fileURLToPath } from 'node:url';
import { register } from '../../../src/registry/register.js';
import { cloneOf, registryRemote, remoteActions, type Clone } from '../gitops-helpers.js';

const WRITER = fileURLToPath(new URL('../../fixtures/writer.mjs', import.meta.url));

function sh(script: string, cwd: string, opts: { detached?: boolean } = {}) {
  const child = spawn('sh', ['-c', script], { cwd, env: { ...process.env, MG: `'${process.execPath}' '${CLI}'` }, stdio: ['ignore', 'pipe', 'pipe'], detached: opts.detached });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

function fsckClean(dir: string): string {
  return git(dir, 'fsck', '--strict', '--no-dangling', '--no-progress');
}

describe('many writers, one remote', () => {
  it('12 writer processes in 12 clones register and record results in parallel: each write lands exactly once', { timeout: 180_000 }, async () => {
    const { bare } = await registryRemote();
    const WRITERS = 12;
    const clones = Array.from({ length: WRITERS }, (_, i) => cloneOf(bare, `w${i}`));
    // Each writer process registers two models and records a result on each, all with push on;
    // the metric value says which writer and which model.
    const runs = clones.map((c, i) => sh(`exec '${process.execPath}' '${WRITER}' '${c.dir}' ${i} 2`, c.dir).done);
    const results = await Promise.all(runs);
    for (const r of results) expect(r.stderr, r.stderr).toBe('');
    expect(results.map((r) => r.code)).toEqual(Array(WRITERS).fill(0));

    const written = results.flatMap((r) => r.stdout.trim().split('\n').map((l) => l.split(' ') as [string, string]));
    expect(written).toHaveLength(WRITERS * 2);
    expect(new Set(written.map(([id]) => id)).size).toBe(WRITERS * 2); // every writer got its own id

    const actions = remoteActions(bare);
    const registered = actions.filter((a) => a.action === 'register').map((a) => a.ids[0]);
    expect(registered.sort()).toEqual(written.map(([id]) => id).sort()); // each registration exactly once
    const tested = actions.filter((a) => a.action === 'test').map((a) => a.ids[0]);
    expect(tested.sort()).toEqual(written.map(([id]) => id).sort()); // each result exactly once
    for (const [id, value] of written) {
      const meta = JSON.parse(git(bare, 'show', `main:models/mscn/${id}.json`));
      expect(meta.testing.map((t: { performance: { total_time: number } }) => t.performance.total_time)).toEqual([Number(value)]);
    }
    expect(git(bare, 'rev-list', '--merges', 'main')).toBe(''); // linear history
    expect(fsckClean(bare)).toBe('');
    for (const c of clones.slice(0, 3)) {
      expect(c.git('status', '--porcelain')).toBe('');
      expect(fsckClean(c.dir)).toBe('');
    }
  });

  it('two processes on one clone serialize on the lock: hooks never overlap, every commit lands', async () => {
    const { seed } = await registryRemote();
    const log = join(tempDir('modelgit-hooklog-'), 'log');
    // A pre-commit hook that takes a while and notes when it starts and ends.
    writeFileSync(join(seed.dir, '.git', 'hooks', 'pre-commit'), `#!/bin/sh\necho "start $$" >> '${log}'\nsleep 0.4\necho "end $$" >> '${log}'\n`);
    chmodSync(join(seed.dir, '.git', 'hooks', 'pre-commit'), 0o755);
    const head = seed.git('rev-parse', 'HEAD').trim();
    const runs = await Promise.all([1, 2, 3].map((i) => runCli(seed.dir, 'register', '--algo', 'lero', '--name', 'lero', '--tag', `p${i}`, '--json')));
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(new Set(runs.map((r) => r.json().model_id)).size).toBe(3);
    const lines = readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' ')[0]);
    expect(lines).toEqual(['start', 'end', 'start', 'end', 'start', 'end']);
    expect(seed.git('rev-list', '--count', `${head}..HEAD`).trim()).toBe('3');
    expect(seed.git('status', '--porcelain')).toBe('');
    expect(existsSync(join(seed.dir, '.git', 'index.lock'))).toBe(false);
    expect(fsckClean(seed.dir)).toBe('');
  });

  it('writers killed mid-commit leave their clones consistent, and running the commands again lands each once', async () => {
    const { bare, seed } = await registryRemote();
    const reg = await seed.open();
    await register(reg, { algorithm: 'mscn', id: 'fast' });
    seed.git('push', '-q', 'origin', 'main');
    // Two writers, killed at the same moment of their commit (so the lock each leaves behind goes
    // stale once, in parallel): a register --push, and a promote --branch that had switched branch.
    const k = cloneOf(bare, 'killed');
    const p = cloneOf(bare, 'killed-pr');
    const started = (c: Clone) => join(c.dir, '.git', 'hook-started');
    const slowHook = (c: Clone) => {
      writeFileSync(join(c.dir, '.git', 'hooks', 'pre-commit'), `#!/bin/sh
touch '${started(c)}'
sleep 60
`);
      chmodSync(join(c.dir, '.git', 'hooks', 'pre-commit'), 0o755);
    };
    slowHook(k);
    slowHook(p);
    const heads = [k.git('rev-parse', 'HEAD').trim(), p.git('rev-parse', 'HEAD').trim()];
    const remoteHead = git(bare, 'rev-parse', 'main').trim();

    // Each writer and everything it started (git, the hook) in one process group, killed at once.
    const writers = [
      sh(`eval "$MG register --algo mscn --id survivor --push"`, k.dir, { detached: true }),
      sh(`eval "$MG promote fast --stage staging --branch"`, p.dir, { detached: true }),
    ];
    for (const c of [k, p]) {
      for (let i = 0; i < 600 && !existsSync(started(c)); i++) await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(started(c))).toBe(true);
    }
    for (const w of writers) process.kill(-w.child.pid!, 'SIGKILL');
    for (const w of writers) expect((await w.done).signal).toBe('SIGKILL');

    // Consistent: nothing committed or pushed, objects sound, no index.lock; what is half-done is
    // visible to git (a staged file, the promotion branch checked out), not hidden damage.
    expect([k.git('rev-parse', 'HEAD').trim(), p.git('rev-parse', 'HEAD').trim()]).toEqual(heads);
    expect(git(bare, 'rev-parse', 'main').trim()).toBe(remoteHead);
    for (const c of [k, p]) {
      expect(existsSync(join(c.dir, '.git', 'index.lock'))).toBe(false);
      expect(fsckClean(c.dir)).toBe('');
    }
    expect(k.git('status', '--porcelain')).toBe('A  models/mscn/survivor.json\n');
    expect(p.git('symbolic-ref', '--short', 'HEAD').trim()).toBe('promote/fast-staging');
    expect(p.git('status', '--porcelain')).toBe('M  stages.yaml\n');

    // Run them again (hooks gone): the interrupted write is undone first, then each lands once.
    for (const c of [k, p]) writeFileSync(join(c.dir, '.git', 'hooks', 'pre-commit'), '#!/bin/sh\nexit 0\n');
    const [again, pr] = await Promise.all([
      runCli(k.dir, 'register', '--algo', 'mscn', '--id', 'survivor', '--push', '--json'),
      runCli(p.dir, 'promote', 'fast', '--stage', 'staging', '--branch', '--json'),
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(stderrText(again)).toMatch(/an earlier modelgit write \("register survivor"\) was interrupted before its commit; its partial changes were undone/);
    expect(remoteActions(bare).filter((a) => a.ids.includes('survivor')).map((a) => a.action)).toEqual(['register']);
    expect(pr.code, pr.stderr).toBe(0);
    expect(stderrText(pr)).toMatch(/an earlier modelgit write \("promote fast to mscn\/staging"\) was interrupted before its commit/);
    expect(p.git('symbolic-ref', '--short', 'HEAD').trim()).toBe('main');
    expect(p.git('rev-list', '--count', 'main..promote/fast-staging').trim()).toBe('1');
    for (const c of [k, p]) {
      expect(c.git('status', '--porcelain')).toBe('');
      expect(fsckClean(c.dir)).toBe('');
    }
    expect(fsckClean(bare)).toBe('');
  });
});
