// Derived data git or modelgit can build in the background (commit-graph Bloom filters, the history
// index) is built by a detached process that no command waits for, at most one per lock file.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

let deferred: (() => void)[] | undefined;

/**
 * From now on a detached build claims its lock at once but starts only at `startDeferred()`: the CLI
 * calls that once its answer is out. On a fresh clone the first read starts the commit-graph and
 * history-index builds, and on two cores they would slow the very read that started them (a
 * `git log -- path` running beside a commit-graph write took 9 s instead of under one).
 */
export function deferDetachedStarts(): void {
  deferred ??= [];
}

/** Starts the builds deferred so far (the CLI, just before it exits). */
export function startDeferred(): void {
  const starts = deferred ?? [];
  deferred = undefined;
  for (const start of starts) start();
}

/** How long a lock claimed but not yet naming its builder (the CLI still printing its answer) is honoured. */
const CLAIM_MS = 120_000;

/**
 * Whether `lock` is left over: older than `staleMs`, or naming a builder on this machine that is no
 * longer running (killed, or the machine restarted), or claimed long ago by a command that never
 * started its builder. A builder on another machine sharing the directory is trusted until `staleMs`.
 */
export function staleLock(lock: string, staleMs: number): boolean {
  const age = Date.now() - statSync(lock).mtimeMs;
  if (age >= staleMs) return true;
  const [pid, host] = readFileSync(lock, 'utf8').trim().split(' ');
  if (!pid) return age >= CLAIM_MS;
  if (host !== hostname() || !/^\d+$/.test(pid)) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Starts `node <args>` detached unless `lock` is held by a builder still at work (staleLock says when
 * it is not). The lock names the builder's pid and host; the builder removes it when done. Returns
 * whether it started; never throws (a read-only repository just goes without).
 */
export function startDetachedOnce(opts: { lock: string; staleMs: number; args: string[]; cwd: string }): boolean {
  const { lock } = opts;
  try {
    mkdirSync(dirname(lock), { recursive: true });
    try {
      closeSync(openSync(lock, 'wx'));
    } catch {
      // Another build is running, or one was killed: take over only a lock left over.
      if (!staleLock(lock, opts.staleMs)) return false;
      unlinkSync(lock);
      closeSync(openSync(lock, 'wx'));
    }
    const start = () => {
      try {
        const child = spawn(process.execPath, opts.args, { cwd: opts.cwd, detached: true, stdio: 'ignore' });
        child.on('error', () => release(lock));
        child.unref();
        // r+: a builder already done (its lock removed) is not given a new one.
        try {
          if (child.pid) writeFileSync(lock, `${child.pid} ${hostname()}\n`, { flag: 'r+' });
        } catch {
          // done already, or the directory went read-only: the age rule still applies
        }
      } catch {
        release(lock);
      }
    };
    if (deferred) deferred.push(start);
    else start();
    return true;
  } catch {
    return false;
  }
}

/** Whether a builder holding `lock` is running (the benchmark waits for it before timing). */
export function lockHeld(lock: string): boolean {
  try {
    statSync(lock);
    return true;
  } catch {
    return false;
  }
}

function release(lock: string): void {
  try {
    unlinkSync(lock);
  } catch {
    // gone already
  }
}
