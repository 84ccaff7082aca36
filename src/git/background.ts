// Derived data git or modelgit can build in the background (commit-graph Bloom filters, the history
// index) is built by a detached process that no command waits for, at most one per lock file.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Starts `node <args>` detached unless `lock` exists and is younger than `staleMs` (a killed
 * builder's lock is taken over once that old). The process removes the lock when done. Returns
 * whether it started; never throws (a read-only repository just goes without).
 */
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

export function startDetachedOnce(opts: { lock: string; staleMs: number; args: string[]; cwd: string }): boolean {
  const { lock } = opts;
  try {
    mkdirSync(dirname(lock), { recursive: true });
    try {
      closeSync(openSync(lock, 'wx'));
    } catch {
      // Another build is running, or one was killed: take over only a lock that old.
      if (Date.now() - statSync(lock).mtimeMs < opts.staleMs) return false;
      unlinkSync(lock);
      closeSync(openSync(lock, 'wx'));
    }
    const start = () => {
      try {
        const child = spawn(process.execPath, opts.args, { cwd: opts.cwd, detached: true, stdio: 'ignore' });
        child.on('error', () => release(lock));
        child.unref();
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
