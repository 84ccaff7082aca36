// The one place that decides where modelgit keeps its own files inside a repository and whether
// derived data may be used at all. Everything under `.git/modelgit/` (caches, the write lock, the
// crash journal, operation notes) is found through modelgitDir(), so the layout can be read — and
// changed — in one file; cacheDisabled() is the single switch the uncached reference reader uses.
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/** `.git/modelgit` (or a path inside it) for a repository's git dir. */
export function modelgitDir(gitDir: string, ...inside: string[]): string {
  return join(gitDir, 'modelgit', ...inside);
}

/** MODELGIT_NO_CACHE=1: answer from git alone (tests compare every cached answer with this). */
export function cacheDisabled(): boolean {
  const v = process.env.MODELGIT_NO_CACHE;
  return v !== undefined && v !== '' && v !== '0';
}

/** A trace line on stderr under MODELGIT_CACHE_TRACE, prefixed by the cache it is about. */
export function tracer(prefix: string): (message: string) => void {
  return (message) => {
    if (process.env.MODELGIT_CACHE_TRACE) process.stderr.write(`${prefix}: ${message}\n`);
  };
}

/**
 * Where the caches of remotes written without a checkout live (git/remote-cache.ts): one per user,
 * shared by every command on the machine. $MODELGIT_CACHE_DIR, else $XDG_CACHE_HOME/modelgit, else
 * ~/.cache/modelgit; `remotes/` inside.
 */
export function remoteCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MODELGIT_CACHE_DIR) return join(env.MODELGIT_CACHE_DIR, 'remotes');
  const xdg = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(xdg, 'modelgit', 'remotes');
}
