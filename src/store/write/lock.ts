// The registry's write lock, written here rather than taken from proper-lockfile: that library
// decides staleness by the lock's age alone (a holder that cannot refresh it — stopped, swapped out,
// on a slow NFS — is broken after `stale` ms and its work undone), it has no hook to ask whether
// the holder is alive, and its lock is a directory removed with rmdir, so it cannot carry who holds
// it. This lock is one file created atomically with its contents (written aside, then hard-linked
// into place, so nobody ever reads it half-written) naming its holder: pid, host, boot id and the
// process's start time. A waiter breaks it only when the holder is on this machine and no longer
// running (the start time and boot id guard against a reused pid), or — a holder on another machine,
// whose liveness cannot be asked — when it has not been refreshed for MODELGIT_LOCK_STALE_MS
// (10 minutes by default; the holder refreshes it every few seconds). A live holder on this machine
// is never broken, however long it pauses. A holder that finds its lock gone or replaced stops
// with a LockedError at its next check instead of writing beside another writer.
import { linkSync, lstatSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { LockedError, storageError } from '../../errors.js';

export interface LockHolder {
  pid: number;
  host: string;
  /** /proc/sys/kernel/random/boot_id when there is one: a lock from before a reboot is dead */
  boot?: string;
  /** the process's start time (clock ticks since boot, /proc/<pid>/stat) when known: a reused pid differs */
  start?: string;
  /** unique per acquisition: whose lock the file is now */
  token: string;
  since: string;
  command?: string;
}

/** A lock this process holds; `check` throws (LockedError, data.lock_lost) when it has been lost. */
export interface HeldLock {
  path: string;
  /** `done`: the command's work is over (its commit may have been made) */
  check(done?: boolean): void;
  release(): void;
}

const DEFAULT_STALE_MS = 10 * 60_000;
const DEFAULT_WAIT_MS = 60_000;
const REFRESH_MS = 5_000;
/** a directory left by an older modelgit (proper-lockfile), or a file we cannot read: judged by age */
const LEGACY_STALE_MS = 10_000;

function envMs(name: string, fallback: number): number {
  const raw = process.env[name];
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

/** How long a lock from another machine may go unrefreshed before it is judged abandoned. */
export function lockStaleMs(): number {
  return envMs('MODELGIT_LOCK_STALE_MS', DEFAULT_STALE_MS);
}

/** How long a writer waits for the lock before giving up. */
export function lockWaitMs(): number {
  return envMs('MODELGIT_LOCK_WAIT_MS', DEFAULT_WAIT_MS);
}

function readOr(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

const bootId = readOr('/proc/sys/kernel/random/boot_id');

/** Field 22 of /proc/<pid>/stat (after the parenthesised command name, which may hold spaces). */
export function processStart(pid: number): string | undefined {
  const stat = readOr(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

/** This process, as a lock or journal entry records it. */
export function self(): Pick<LockHolder, 'pid' | 'host' | 'boot' | 'start'> {
  return { pid: process.pid, host: hostname(), boot: bootId, start: processStart(process.pid) };
}

/**
 * Whether the process a record names may still be running: 'alive', 'dead', or 'unknown' (another
 * machine, where we cannot ask).
 */
export function liveness(h: Pick<LockHolder, 'pid' | 'host' | 'boot' | 'start'>): 'alive' | 'dead' | 'unknown' {
  if (h.host !== hostname()) return 'unknown';
  if (h.boot && bootId && h.boot !== bootId) return 'dead';
  if (!Number.isInteger(h.pid) || h.pid <= 0) return 'dead';
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return 'dead'; // EPERM: running, as someone else
  }
  if (h.start) {
    const now = processStart(h.pid);
    if (now !== undefined && now !== h.start) return 'dead'; // the pid was reused
  }
  return 'alive';
}

function describe(h: LockHolder): string {
  return `pid ${h.pid} on ${h.host}${h.command ? ` (${h.command})` : ''}, since ${h.since}`;
}

function readHolder(path: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return typeof h?.token === 'string' && typeof h.pid === 'number' && typeof h.host === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

function randomToken(): string {
  return `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Creates the lock file with its contents in one step; false when someone holds it. */
function tryCreate(path: string, holder: LockHolder): boolean {
  const text = JSON.stringify(holder) + '\n';
  const aside = `${path}.${holder.token}.new`;
  try {
    writeFileSync(aside, text); // inside the try: a full disk leaves no torn file behind
    linkSync(aside, path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    // A filesystem without hard links: exclusive create (a reader may see it empty for a moment,
    // which counts as held until it is LEGACY_STALE_MS old).
    try {
      writeFileSync(path, text, { flag: 'wx' });
      return true;
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      rmSync(path, { force: true }); // created by us but not written (a full disk): no empty lock stays
      throw e2;
    }
  } finally {
    rmSync(aside, { force: true });
  }
}

/** Why the lock at `path` may be broken now, or undefined while its holder must be waited for. */
function breakReason(path: string, holder: LockHolder | undefined, staleMs: number): string | undefined {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return undefined; // gone meanwhile: just try again
  }
  const age = Date.now() - st.mtimeMs;
  if (!holder) {
    const what = st.isDirectory() ? 'a lock left by an older modelgit' : 'an unreadable lock';
    return age > LEGACY_STALE_MS ? `${what}, untouched for ${Math.round(age / 1000)} s` : undefined;
  }
  const state = liveness(holder);
  if (state === 'dead') return `the lock of ${describe(holder)}, which is no longer running`;
  if (state === 'unknown' && age > staleMs) {
    return `the lock of ${describe(holder)}, not refreshed for ${Math.round(age / 1000)} s (MODELGIT_LOCK_STALE_MS=${staleMs}); if that process is still running it stops at its next step`;
  }
  return undefined;
}

/**
 * Removes the lock we judged abandoned — and only that one: it is renamed aside first, and if what
 * was renamed turns out to be a newer holder's lock (taken between our look and our rename), it is
 * put back.
 */
function breakLock(path: string, judged: LockHolder | undefined, token: string): boolean {
  const aside = `${path}.${token}.broken`;
  try {
    renameSync(path, aside);
  } catch {
    return false; // someone else broke it first
  }
  const now = readHolder(aside);
  if (now && now.token !== judged?.token) {
    try {
      linkSync(aside, path);
    } catch {
      /* a third writer took it meanwhile; the one we moved notices at its next check */
    }
    rmSync(aside, { force: true });
    return false;
  }
  rmSync(aside, { recursive: true, force: true });
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Takes the lock at `path`, waiting (bounded by MODELGIT_LOCK_WAIT_MS) while a live process holds
 * it. `notify` hears about a lock that was broken.
 */
export async function acquireLock(path: string, opts: { command?: string; notify?: (m: string) => void } = {}): Promise<HeldLock> {
  const token = randomToken();
  const holder: LockHolder = { ...self(), token, since: new Date().toISOString(), command: opts.command };
  const staleMs = lockStaleMs();
  const deadline = Date.now() + lockWaitMs();
  let delay = 25;
  let last: LockHolder | undefined;
  for (;;) {
    let created: boolean;
    try {
      created = tryCreate(path, holder);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      // A full or read-only disk is a storage failure, said like every other one ("could not write …").
      const storage = storageError(e, "modelgit's write lock", path);
      if (storage) throw storage;
      throw new LockedError(`could not take the registry's write lock ${path}: ${err.code ?? ''} ${err.message}`.replace(/\s+/g, ' ').trim(), {
        hint: `modelgit needs to create files in ${dirname(path)}: check its permissions and free space`,
        cause: e,
      });
    }
    if (created) break;
    last = readHolder(path);
    const reason = breakReason(path, last, staleMs);
    if (reason) {
      if (breakLock(path, last, token)) opts.notify?.(`cleared ${reason}`);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new LockedError(`another modelgit command is writing to this registry${last ? `: ${describe(last)}` : ''} (lock ${path})`, {
        hint: `wait for it to finish and run the command again (MODELGIT_LOCK_WAIT_MS sets how long to wait). A lock is cleared by itself when its process on this machine has ended, or after ${Math.round(staleMs / 60_000)} min without a refresh when it came from another machine`,
        data: last ? { holder: { pid: last.pid, host: last.host, since: last.since } } : undefined,
      });
    }
    await sleep(Math.min(delay * (0.5 + Math.random()), Math.max(1, deadline - Date.now())));
    delay = Math.min(500, delay * 1.5);
  }

  let lost: string | undefined;
  const ours = (): boolean => readHolder(path)?.token === token;
  // Keep the lock fresh for waiters on other machines; notice when it has been taken from us.
  const timer = setInterval(() => {
    if (lost) return;
    if (!ours()) {
      lost = 'it was removed or taken over by another process';
      return;
    }
    try {
      const t = new Date();
      utimesSync(path, t, t);
    } catch {
      /* a refresh missed is harmless; the next check says whether the lock is still ours */
    }
  }, REFRESH_MS);
  timer.unref();
  return {
    path,
    check(done = false) {
      if (!lost && !ours()) lost = 'it was removed or taken over by another process';
      if (lost) {
        throw new LockedError(
          `this command lost the registry's write lock (${path}): ${lost}; ${done ? 'what it was writing may have been committed, and nothing more was done' : 'it stopped before writing further'}`,
          {
            hint: 'another writer went on in its place; run the same command again: it answers with the commit already made, if there is one, instead of writing twice',
            data: { lock_lost: true },
          },
        );
      }
    },
    release() {
      clearInterval(timer);
      if (ours()) rmSync(path, { force: true });
    },
  };
}
