// The write lock: exclusive, taken over once stale, kept fresh while held, removed by a dying
// holder, and the same lock proper-lockfile (modelgit's earlier lock) takes on the same path.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { acquireLock, isStale, retryWait } from '../../src/registry/write-lock.js';
import { tempDir } from '../helpers.js';

const FEW = { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 10, randomize: false };
const OPTS = { stale: 10_000, retries: FEW };
const LOCK_JS = fileURLToPath(new URL('../../dist/registry/write-lock.js', import.meta.url));

describe('retryWait and isStale', () => {
  it('grows by the factor from the minimum, with a 1–2× jitter, up to the maximum', () => {
    const r = { retries: 120, factor: 1.3, minTimeout: 25, maxTimeout: 500, randomize: true };
    expect(retryWait(0, r, () => 0)).toBe(25);
    expect(retryWait(0, r, () => 0.999)).toBe(50);
    expect(retryWait(3, { ...r, randomize: false })).toBe(Math.round(25 * 1.3 ** 3));
    expect(retryWait(30, r, () => 0.5)).toBe(500);
  });

  it('is stale only past the threshold', () => {
    expect(isStale(1000, 11_000, 10_000)).toBe(false);
    expect(isStale(999, 11_000, 10_000)).toBe(true);
  });
});

describe('acquireLock', () => {
  it('excludes a second holder until released', async () => {
    const path = join(tempDir(), 'write.lock');
    const release = await acquireLock(path, OPTS);
    expect(statSync(path).isDirectory()).toBe(true);
    await expect(acquireLock(path, OPTS)).rejects.toMatchObject({ code: 'ELOCKED' });
    await release();
    expect(existsSync(path)).toBe(false);
    const again = await acquireLock(path, OPTS);
    await again();
  });

  it('waits for a holder that releases within its retries', async () => {
    const path = join(tempDir(), 'write.lock');
    const release = await acquireLock(path, OPTS);
    setTimeout(() => void release(), 60);
    const second = await acquireLock(path, { stale: 10_000, retries: { retries: 50, factor: 1, minTimeout: 10, maxTimeout: 10, randomize: false } });
    await second();
  });

  it('takes over a lock left stale by a killed process', async () => {
    const path = join(tempDir(), 'write.lock');
    mkdirSync(path);
    const old = new Date(Date.now() - 11_000);
    utimesSync(path, old, old);
    const release = await acquireLock(path, OPTS);
    expect(statSync(path).mtimeMs).toBeGreaterThan(Date.now() - 5_000);
    await release();
  });

  it('is the lock proper-lockfile takes on the same path, both ways', async () => {
    const lockfile = createRequire(import.meta.url)('proper-lockfile');
    const dir = tempDir();
    const path = join(dir, 'write.lock');
    const theirs = await lockfile.lock(dir, { lockfilePath: path, realpath: false, stale: 10_000 });
    await expect(acquireLock(path, OPTS)).rejects.toMatchObject({ code: 'ELOCKED' });
    await theirs();
    const ours = await acquireLock(path, OPTS);
    await expect(lockfile.lock(dir, { lockfilePath: path, realpath: false, stale: 10_000 })).rejects.toMatchObject({ code: 'ELOCKED' });
    await ours();
  });

  it('keeps the lock fresh while held, so a long write is not taken over', async () => {
    const path = join(tempDir(), 'write.lock');
    const release = await acquireLock(path, { stale: 2_000, retries: FEW });
    const first = statSync(path).mtimeMs;
    await new Promise((r) => setTimeout(r, 1_300));
    expect(statSync(path).mtimeMs).toBeGreaterThan(first);
    await release();
  });

  const holder = (path: string, then: string) =>
    new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', `const { acquireLock } = await import(${JSON.stringify(LOCK_JS)}); await acquireLock(${JSON.stringify(path)}, { stale: 10000, retries: { retries: 0, factor: 1, minTimeout: 1, maxTimeout: 1, randomize: false } }); process.stdout.write('held\\n'); ${then}`]);
      child.stdout.on('data', (d) => {
        if (String(d).includes('held') && then.startsWith('setInterval')) child.kill('SIGTERM');
      });
      child.on('close', (code, signal) => resolve({ code, signal }));
    });

  it('is removed when its holder exits or is killed by a signal it does not otherwise handle', async () => {
    const exited = join(tempDir(), 'write.lock');
    expect(await holder(exited, 'process.exit(3)')).toEqual({ code: 3, signal: null });
    expect(existsSync(exited)).toBe(false);
    const killed = join(tempDir(), 'write.lock');
    expect(await holder(killed, 'setInterval(() => {}, 1000);')).toEqual({ code: null, signal: 'SIGTERM' });
    expect(existsSync(killed)).toBe(false);
  });

  it('leaves a signal to the process\'s own handler (import stops between commits and releases the lock itself)', async () => {
    const path = join(tempDir(), 'write.lock');
    const result = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const script = `const { acquireLock } = await import(${JSON.stringify(LOCK_JS)});
let stop; const stopped = new Promise((r) => (stop = r)); process.once('SIGINT', () => stop());
const release = await acquireLock(${JSON.stringify(path)}, { stale: 10000, retries: { retries: 0, factor: 1, minTimeout: 1, maxTimeout: 1, randomize: false } });
const busy = setInterval(() => {}, 1000); process.stdout.write('held\\n'); await stopped; clearInterval(busy); process.stdout.write('stopped\\n'); await release();`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script]);
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        if (out === 'held\n') child.kill('SIGINT');
      });
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(result).toEqual({ code: 0, out: 'held\nstopped\n' });
    expect(existsSync(path)).toBe(false);
  });
});
