// The registry's write lock: a directory made with mkdir (atomic), its mtime refreshed while held
// and taken over once it is older than `stale` (its holder was killed). This is proper-lockfile's
// protocol with the options modelgit gave it, on the same path, so writers of either kind exclude
// each other; written out because loading that library (graceful-fs, retry, signal-exit) cost
// every write ~15 ms of CPU.
import { mkdir, rmdir, stat, utimes } from 'node:fs/promises';
import { rmdirSync } from 'node:fs';

export interface LockOptions {
  /** a lock not refreshed for this long was left by a killed process (ms) */
  stale: number;
  /** waits between tries: min·factor^n, at most max, each times a random 1–2 when `randomize` */
  retries: { retries: number; factor: number; minTimeout: number; maxTimeout: number; randomize: boolean };
}

/** The wait before try `attempt` + 1 (node-retry's formula, which proper-lockfile used). */
export function retryWait(attempt: number, r: LockOptions['retries'], random = Math.random): number {
  const jitter = r.randomize ? random() + 1 : 1;
  return Math.min(Math.round(jitter * Math.max(r.minTimeout, 1) * r.factor ** attempt), r.maxTimeout);
}

/** Whether a lock last refreshed at `mtimeMs` is stale at `now`. */
export function isStale(mtimeMs: number, now: number, stale: number): boolean {
  return mtimeMs < now - stale;
}

class Locked extends Error {
  readonly code = 'ELOCKED';
}

const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;

/** Takes the lock at `path` (retrying while someone else holds it); resolves to its release. */
export async function acquireLock(path: string, opts: LockOptions): Promise<() => Promise<void>> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await tryLock(path, opts);
    } catch (e) {
      if (!(e instanceof Locked) || attempt >= opts.retries.retries) throw e;
      await new Promise((r) => setTimeout(r, retryWait(attempt, opts.retries)));
    }
  }
}

async function tryLock(path: string, opts: LockOptions, mayTakeOver = true): Promise<() => Promise<void>> {
  try {
    await mkdir(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    if (!mayTakeOver) throw new Locked(`${path} is held`);
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(path)).mtimeMs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return tryLock(path, opts, false); // released meanwhile
      throw err;
    }
    if (!isStale(mtimeMs, Date.now(), opts.stale)) throw new Locked(`${path} is held`);
    // Left by a killed writer: take it over (once; another writer may be doing the same).
    await rmdir(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    return tryLock(path, opts, false);
  }
  return hold(path, opts, (await stat(path)).mtimeMs);
}

/** Keeps a taken lock fresh until released; a process that exits holding it removes it. */
function hold(path: string, opts: LockOptions, taken: number): () => Promise<void> {
  let ours = taken;
  let released = false;
  let timer: NodeJS.Timeout | undefined;
  const refresh = async () => {
    timer = undefined;
    try {
      const st = await stat(path);
      // Someone else's mtime: the lock went stale under us and was taken over.
      if (st.mtimeMs !== ours) throw Object.assign(new Error(`the write lock ${path} was taken over by another process`), { code: 'ECOMPROMISED' });
      const now = new Date();
      await utimes(path, now, now);
      ours = (await stat(path)).mtimeMs;
    } catch (e) {
      if (released) return;
      // As with proper-lockfile: a writer that lost its lock must not go on writing.
      dropExitHooks();
      throw e;
    }
    if (!released) schedule();
  };
  const schedule = () => {
    timer = setTimeout(() => void refresh().catch((e) => setImmediate(() => { throw e; })), Math.max(1000, opts.stale / 2));
    timer.unref();
  };
  const onExit = () => {
    try {
      rmdirSync(path);
    } catch {
      /* gone already */
    }
  };
  // Killed by a signal nobody else handles: remove the lock, then die of that signal as before.
  // (Called first, so a `once` handler of someone else's still counts: import stops gracefully.)
  const onSignal = (signal: NodeJS.Signals) => {
    if (process.listenerCount(signal) > 1) return;
    onExit();
    dropExitHooks();
    process.kill(process.pid, signal);
  };
  const dropExitHooks = () => {
    process.removeListener('exit', onExit);
    for (const s of EXIT_SIGNALS) process.removeListener(s, onSignal);
  };
  process.on('exit', onExit);
  for (const s of EXIT_SIGNALS) process.prependListener(s, onSignal);
  schedule();
  return async () => {
    if (released) return;
    released = true;
    if (timer) clearTimeout(timer);
    dropExitHooks();
    await rmdir(path).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
  };
}
