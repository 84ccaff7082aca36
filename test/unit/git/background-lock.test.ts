// A background build killed midway (the machine restarted, someone killed it) must not keep the
// next builds away for an hour: its lock names the builder's pid and host, and a pid no longer
// running on this host frees it at once (CI saw a history index never rebuilt after a kill).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { staleLock, startDetachedOnce } from '../../../src/git/background.js';

const HOUR = 60 * 60_000;

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('background build locks', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modelgit-lock-'));
  const lock = join(dir, 'build.lock');

  it('honours a running builder, frees a dead one at once, and an unnamed claim after two minutes', () => {
    writeFileSync(lock, `${process.pid} ${hostname()}\n`);
    expect(staleLock(lock, HOUR)).toBe(false);
    writeFileSync(lock, `${deadPid()} ${hostname()}\n`);
    expect(staleLock(lock, HOUR)).toBe(true);
    // Another machine's builder (a shared directory) is trusted until the lock is old.
    writeFileSync(lock, `${deadPid()} some-other-host\n`);
    expect(staleLock(lock, HOUR)).toBe(false);
    const old = (Date.now() - 2 * HOUR) / 1000;
    utimesSync(lock, old, old);
    expect(staleLock(lock, HOUR)).toBe(true);
    writeFileSync(lock, '');
    expect(staleLock(lock, HOUR)).toBe(false);
    const claimed = (Date.now() - 3 * 60_000) / 1000;
    utimesSync(lock, claimed, claimed);
    expect(staleLock(lock, HOUR)).toBe(true);
  });

  it('takes over a dead builder\'s lock, and the new lock names the new builder', async () => {
    writeFileSync(lock, `${deadPid()} ${hostname()}\n`);
    const marker = join(dir, 'ran');
    const started = startDetachedOnce({ lock, staleMs: HOUR, cwd: dir, args: ['-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x'); setTimeout(() => {}, 1500)`] });
    expect(started).toBe(true);
    const [pid, host] = readFileSync(lock, 'utf8').trim().split(' ');
    expect(host).toBe(hostname());
    expect(Number(pid)).toBeGreaterThan(0);
    // While it runs, a second start is refused.
    expect(startDetachedOnce({ lock, staleMs: HOUR, cwd: dir, args: ['-e', '0'] })).toBe(false);
    for (let i = 0; i < 100 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(marker)).toBe(true);
  });
});
