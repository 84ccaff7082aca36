// A model's history and "which commit recorded this result" are `git log -- <path>` queries. On a
// big registry each one walks every commit and diffs its tree (0.7 s at 10,000 models, seconds at
// 100,000) unless git's commit-graph carries changed-path Bloom filters, which let it skip the
// commits that didn't touch the path (35 ms at 10,000). git writes those filters only once asked
// with --changed-paths (later writes, e.g. by gc, keep them), so modelgit asks: in a detached
// background process, at most one at a time, never making a command wait. The graph is git's own
// derived data: it can make a query faster, never change its answer.
import { readCacheFile } from '../loading/safe-files.js';
import { lockHeld, startDetachedOnce } from './background.js';
import { join } from 'node:path';
import { existsSync } from 'node:fs';

/** Below this many models a path query is fast anyway; no background work for small registries. */
export const COMMIT_GRAPH_MIN_MODELS = 1000;
const STALE_LOCK_MS = 30 * 60_000;

// Runs in the background process: write the graph, then record which HEAD it covers.
const WRITER = `
const { execFileSync } = require('node:child_process');
const { writeFileSync, unlinkSync } = require('node:fs');
const [root, head, marker, lock, first] = process.argv.slice(1);
const args = ['commit-graph', 'write', '--reachable', '--changed-paths', first === '1' ? '--split=replace' : '--split'];
try {
  execFileSync('git', args, { cwd: root, stdio: 'ignore', env: { ...process.env, LC_ALL: 'C' } });
  writeFileSync(marker, head + '\\n');
} catch {}
try { unlinkSync(lock); } catch {}
`;

/**
 * Starts a background update of the commit-graph when HEAD has moved since the last one.
 * Returns whether one was started (for tests and the benchmark, which waits for it).
 */
export function maintainCommitGraph(opts: { root: string; dir: string; head: string }): boolean {
  const dir = opts.dir; // <git dir>/modelgit
  const marker = join(dir, 'commit-graph');
  const lock = join(dir, 'commit-graph.lock');
  let covered: string | undefined;
  try {
    // (a link or FIFO planted here must not be followed or block every read: safe-files.ts)
    covered = readCacheFile(marker, 4096).toString('utf8').trim();
  } catch {
    covered = undefined;
  }
  if (covered === opts.head) return false;
  return startDetachedOnce({ lock, staleMs: STALE_LOCK_MS, args: ['-e', WRITER, opts.root, opts.head, marker, lock, covered === undefined ? '1' : '0'], cwd: opts.root });
}

/** Whether a background update is running (the benchmark waits for it before timing). */
export function commitGraphUpdating(dir: string): boolean {
  return lockHeld(join(dir, 'commit-graph.lock'));
}

/**
 * Whether modelgit has written a commit-graph with changed-path Bloom filters here (for some HEAD):
 * then `git log -- <path>` skips the commits that didn't touch the path and is the quicker way to a
 * file's history while the history index is not there yet. `dir`: <git dir>/modelgit.
 */
export function bloomFiltersWritten(dir: string): boolean {
  return existsSync(join(dir, 'commit-graph'));
}
