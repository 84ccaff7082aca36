// The write lock (issue 19, item 2): a writer that is paused while holding it (SIGSTOP here; a
// slow NFS or a swapped-out machine in real life) keeps it however long the pause, and a second
// writer waits or fails clearly instead of breaking it; a lock whose process has ended is cleared
// at once; one from another machine only when it has not been refreshed for MODELGIT_LOCK_STALE_MS;
// and a holder whose lock was taken from it stops with a clear message, never a stack trace.
// The holder is held at a fixed point (a pre-commit hook that waits for a file), never on a timer.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, runCliWithEnv, stderrText, tempDir, tempRegistry, type TempRegistry } from '../../helpers.js';

// Far below the 10 s after which the old lock was taken from a live holder.
const FAST = { MODELGIT_LOCK_STALE_MS: '2000' };

function lockPath(r: TempRegistry): string {
  return join(r.dir, '.git', 'modelgit', 'write.lock');
}

/** A pre-commit hook that signals it is running, then waits for `go` (so the writer holds the lock there). */
function holdingHook(r: TempRegistry): { started: string; go: string } {
  const d = tempDir('modelgit-hold-');
  const started = join(d, 'started');
  const go = join(d, 'go');
  const hook = join(r.dir, '.git', 'hooks', 'pre-commit');
  writeFileSync(hook, `#!/bin/sh\n[ -e '${go}' ] && exit 0\ntouch '${started}'\nwhile [ ! -e '${go}' ]; do sleep 0.05; done\nexit 0\n`);
  chmodSync(hook, 0o755);
  return { started, go };
}

function spawnCli(dir: string, env: Record<string, string>, ...args: string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => child.on('close', (code) => res({ code, stdout, stderr })));
  return { child, done };
}

async function waitFor(file: string): Promise<void> {
  for (let i = 0; i < 600 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 50));
  expect(existsSync(file), `${file} never appeared`).toBe(true);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function actions(r: TempRegistry): string[] {
  return r.git('log', '--reverse', '--format=%s').trim().split('\n');
}

describe('the write lock', () => {
  it('a writer paused (SIGSTOP) past the stale time keeps its lock: another writer waits or fails clearly, and the paused one completes', { timeout: 60_000 }, async () => {
    const r = await tempRegistry();
    const { started, go } = holdingHook(r);
    const a = spawnCli(r.dir, FAST, 'register', '--algo', 'mscn', '--id', 'held');
    await waitFor(started);
    process.kill(-a.child.pid!, 'SIGSTOP');
    let patient: ReturnType<typeof spawnCli> | undefined;
    try {
      await sleep(2500); // longer than MODELGIT_LOCK_STALE_MS: an age-only lock would be broken now
      const impatient = await runCliWithEnv(r.dir, { ...FAST, MODELGIT_LOCK_WAIT_MS: '1000' }, 'register', '--algo', 'mscn', '--id', 'impatient');
      expect(impatient.code).toBe(1);
      expect(impatient.stderr).toMatch(new RegExp(`another modelgit command is writing to this registry: pid ${a.child.pid} on ${hostname().replace(/[.]/g, '\\.')} \\(modelgit register --algo mscn --id held\\)`));
      expect(impatient.stderr).not.toMatch(/unexpected error|\n\s+at /);
      expect(JSON.parse(readFileSync(lockPath(r), 'utf8')).pid).toBe(a.child.pid); // not broken
      // A patient writer queues behind the paused one.
      patient = spawnCli(r.dir, FAST, 'register', '--algo', 'mscn', '--id', 'patient');
      await sleep(1500);
      expect(JSON.parse(readFileSync(lockPath(r), 'utf8')).pid).toBe(a.child.pid);
    } finally {
      process.kill(-a.child.pid!, 'SIGCONT');
    }
    writeFileSync(go, '');
    const [ra, rp] = await Promise.all([a.done, patient!.done]);
    expect(ra.code, ra.stderr).toBe(0);
    // Nothing about the lock: only where to put the weights (init configures an artifacts template).
    expect(ra.stderr).toMatch(/^artifact path: \S+\/artifacts\/mscn\/held\n$/);
    expect(rp.code, rp.stderr).toBe(0);
    expect(actions(r).slice(1)).toEqual(['register held', 'register patient']);
    expect(r.git('status', '--porcelain')).toBe('');
    expect(existsSync(lockPath(r))).toBe(false);
  });

  it('a lock whose process has ended on this machine is cleared at once', async () => {
    const r = await tempRegistry();
    const gone = spawnSync('true').pid;
    writeFileSync(lockPath(r), JSON.stringify({ pid: gone, host: hostname(), token: 'dead', since: '2026-01-01T00:00:00Z', command: 'modelgit test x' }));
    const res = await runCliWithEnv(r.dir, { MODELGIT_LOCK_WAIT_MS: '20000' }, 'register', '--algo', 'mscn', '--id', 'after');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(new RegExp(`cleared the lock of pid ${gone} on .* \\(modelgit test x\\), since 2026-01-01T00:00:00Z, which is no longer running`));
  });

  it('a lock from another machine is waited for while it is refreshed, and cleared once it has not been for MODELGIT_LOCK_STALE_MS', async () => {
    const r = await tempRegistry();
    const foreign = { pid: 4242, host: 'elsewhere.invalid', token: 'theirs', since: '2026-01-01T00:00:00Z' };
    writeFileSync(lockPath(r), JSON.stringify(foreign));
    const waits = await runCliWithEnv(r.dir, { MODELGIT_LOCK_STALE_MS: '5000', MODELGIT_LOCK_WAIT_MS: '500' }, 'register', '--algo', 'mscn', '--id', 'x');
    expect(waits.code).toBe(1);
    expect(waits.stderr).toMatch(/another modelgit command is writing to this registry: pid 4242 on elsewhere\.invalid/);
    const old = new Date(Date.now() - 20_000);
    utimesSync(lockPath(r), old, old);
    const breaks = await runCliWithEnv(r.dir, { MODELGIT_LOCK_STALE_MS: '5000' }, 'register', '--algo', 'mscn', '--id', 'x', '--json');
    expect(breaks.code, breaks.stderr).toBe(0);
    expect(breaks.stderr).toMatch(/cleared the lock of pid 4242 on elsewhere\.invalid, since 2026-01-01T00:00:00Z, not refreshed for 2\d s \(MODELGIT_LOCK_STALE_MS=5000\)/);
  });

  it('a holder whose lock was taken over stops with a clear message; running it again answers with what it committed', { timeout: 60_000 }, async () => {
    const r = await tempRegistry();
    await r.run('register', '--algo', 'mscn', '--id', 'm1');
    const { started, go } = holdingHook(r);
    const args = ['test', 'm1', '--dataset', 'd', '--metric', 'total_time=1', '--json'];
    const a = spawnCli(r.dir, {}, ...args);
    await waitFor(started);
    process.kill(-a.child.pid!, 'SIGSTOP');
    // Another machine judged the lock abandoned and took it (what a long pause on NFS can bring).
    writeFileSync(lockPath(r), JSON.stringify({ pid: 4242, host: 'elsewhere.invalid', token: 'theirs', since: new Date().toISOString() }));
    process.kill(-a.child.pid!, 'SIGCONT');
    writeFileSync(go, '');
    const ra = await a.done;
    expect(ra.code).toBe(1);
    expect(stderrText(ra)).toMatch(/modelgit: error: this command lost the registry's write lock \(.*write\.lock\): it was removed or taken over by another process/);
    expect(ra.stderr).not.toMatch(/unexpected error|compromised|\n\s+at /);
    expect(JSON.parse(readFileSync(lockPath(r), 'utf8')).token).toBe('theirs'); // not released by the loser

    // The other holder is done; the same command again answers with the commit the first one made.
    writeFileSync(lockPath(r), JSON.stringify({ pid: spawnSync('true').pid, host: hostname(), token: 'done', since: new Date().toISOString() }));
    const again = await r.run(...args);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toMatchObject({ replayed: true });
    expect(actions(r).filter((s) => s.startsWith('test m1'))).toHaveLength(1);
  });
});
