// The history of a model file: the commits that changed it, and among them the one that recorded a
// given result. `git log -- <path>` walks the whole history; the history index (cache/
// history-index.ts) names the commits instead when HEAD's history is linear, and answers that only
// depend on commits (which never change) are remembered in small memos under .git/modelgit/. Moved
// here from registry/best.ts and history.ts so that those operations don't know a cache exists.
// The report's history (every commit's model-file changes) is read here too, by cache/report-history.ts.
import { recordingCommit } from '../domain/best-record.js';
import type { TestResult } from '../domain/types.js';
import type { LogEntry } from '../git/git.js';
import type { StoreContext } from './context.js';
import type { Snapshot } from './snapshot.js';
import type { HistoryOptions, HistoryRead } from './cache/report-history.js';
import { commitsAtHead, historyIndexAt, indexedCommitsChanging, indexSaysMerges, historyIndexOnDisk } from './cache/history-index.js';
import { commitRecordedByName, commitsNamingAndChanging, startMessageWalk } from './named-history.js';
import { MemoFile } from './cache/memo-file.js';
import { cacheDisabled, modelgitDir } from './cache/policy.js';
import { bloomFiltersWritten } from '../git/commit-graph.js';
// the switch and the trace for the report's own page list (kept in the report's directory, so
// registry/report.ts handles it, but answering to the same MODELGIT_NO_CACHE as every cache)
export { cacheDisabled, tracer } from './cache/policy.js';

/** Where HEAD is, and how many models it has (asked only when no history index exists: a big registry starts a background build). */
export interface HeadAt {
  head: string;
  models: () => number | Promise<number>;
}

/** A result in a model file: the file, the result, and its place in the file's `testing` list. */
export interface RecordedResult {
  path: string;
  resultIndex: number;
  result: TestResult;
}

/**
 * Whether, with no history index to answer, the commits naming a model (named-history.ts) are the
 * quicker way: not when the history has merges (the index said so: git must walk), nor once
 * modelgit has written a commit-graph with Bloom filters (then `git log -- <path>` is quicker).
 */
function byNameHelps(ctx: StoreContext): boolean {
  const dir = modelgitDir(ctx.gitDir);
  return !indexSaysMerges(dir) && !bloomFiltersWritten(dir);
}

/**
 * Walks the model file's history (up to `revision`) and reads every version in one cat-file
 * batch; the oldest version that already holds the result is the commit that recorded it.
 * The answer depends only on those commits (which never change), so it is remembered by them.
 * Without a history index the commits naming the model may tell first (named-history.ts).
 */
export async function commitRecording(ctx: StoreContext, recorded: RecordedResult, revision: string, at: HeadAt): Promise<string | null> {
  const { path, resultIndex, result } = recorded;
  const indexed = await indexedCommitsChanging({ root: ctx.root, gitDir: ctx.gitDir, head: at.head, models: at.models }, path, revision);
  const memo = !cacheDisabled() && ctx.git.objectsAsStored() ? new MemoFile(modelgitDir(ctx.gitDir), 'recorded', 64) : undefined;
  if (!indexed && byNameHelps(ctx)) {
    // No index yet (a fresh clone): the commits naming the model, when they can tell (named-history.ts).
    // That answer depends only on the commit asked about and what is below it: remembered by it.
    const byCommit = /^[0-9a-f]{40,64}$/.test(revision) ? JSON.stringify([path, resultIndex, result, revision]) : undefined;
    const known = byCommit === undefined ? undefined : memo?.get(byCommit);
    if (known) return known;
    const byName = await commitRecordedByName(ctx.git, revision, path, resultIndex, result);
    if (byName) {
      if (byCommit !== undefined) memo?.set(byCommit, byName);
      return byName;
    }
  }
  const commits = indexed ?? (await ctx.git.commitsChangingPath(revision, path));
  const key = JSON.stringify([path, resultIndex, result, commits]);
  const known = memo?.get(key);
  if (known !== undefined) return known || null;
  const names = commits.map((c) => `${c}:${path}`);
  const blobs = await ctx.git.readBlobs(names);
  const versions = commits.map((commit, i) => ({ commit, text: blobs.get(names[i]!)?.toString('utf8') }));
  const found = recordingCommit(versions, resultIndex, result) ?? null;
  // Not remembered when a version was missing (a shallow or partial clone may fetch it later).
  if (versions.every((v) => v.text !== undefined)) memo?.set(key, found ?? '');
  return found;
}

/**
 * Called before a read that will ask commitRecording about `revision`: with no history index on disk
 * (a fresh clone) what the answer without one needs first starts now, beside the read.
 */
export function expectRecordingLookup(ctx: StoreContext, revision: string): void {
  if (!historyIndexOnDisk(modelgitDir(ctx.gitDir)) && byNameHelps(ctx)) startMessageWalk(ctx.git, revision);
}

/** Most commits named on one command line; more go the slow way (argv has a limit). */
const MAX_NAMED_COMMITS = 2000;

/**
 * `git log --full-history -- <path>` from HEAD (or `at.head`), for each path. In a history without merges (where
 * the history index applies) that is exactly the commits that changed the path, so the index names
 * them and git only reads those; otherwise git walks. --full-history: a side branch's commit counts
 * even when a merge took the other side's file. `naming`: the caller keeps only the commits whose
 * trailers name this model, so without an index only commits mentioning it need be looked at.
 */
export async function pathLogs(ctx: StoreContext, paths: string[], at?: HeadAt, opts: { naming?: string } = {}): Promise<LogEntry[][]> {
  if (at) {
    const cacheDir = modelgitDir(ctx.gitDir);
    // At the index's tip (the usual case) only the paths' buckets are read, not the whole index.
    const quick = commitsAtHead({ cacheDir, head: at.head }, paths);
    const idx = quick ? undefined : await historyIndexAt({ root: ctx.root, cacheDir, head: at.head, models: at.models });
    const lists = quick ?? (idx ? paths.map((p) => idx.commitsChanging(p, at.head)) : []);
    if ((quick || idx) && lists.every((l) => l !== undefined)) {
      // One git process reads every commit named, in the order given; each path gets its own.
      const named = [...new Set(lists.flat() as string[])];
      if (named.length <= MAX_NAMED_COMMITS) {
        const byCommit = await commitEntries(ctx, named);
        return lists.map((l) => l!.map((c) => byCommit.get(c)!));
      }
    }
  }
  if (at && opts.naming !== undefined && byNameHelps(ctx)) {
    // No index yet (a fresh clone): the commits that mention the model, when they can tell (named-history.ts).
    const named = await commitsNamingAndChanging(ctx.git, at.head, opts.naming, paths);
    const all = named ? [...new Set(named.flat())] : [];
    if (named && all.length <= MAX_NAMED_COMMITS) {
      const byCommit = all.length ? await commitEntries(ctx, all) : new Map<string, LogEntry>();
      return named.map((l) => l.map((c) => byCommit.get(c)!));
    }
  }
  return Promise.all(paths.map((p) => ctx.git.log([...(at ? [at.head] : []), '--full-history', '--', p])));
}

/**
 * The log entries of these commits, read by one `git log --no-walk`. A commit never changes, so the
 * last few hundred read are remembered (memo-file.ts) and git is asked only about the others.
 */
async function commitEntries(ctx: StoreContext, commits: string[]): Promise<Map<string, LogEntry>> {
  const memo = !cacheDisabled() && ctx.git.objectsAsStored() ? new MemoFile(modelgitDir(ctx.gitDir), 'commits', 256) : undefined;
  const byCommit = new Map<string, LogEntry>();
  for (const c of commits) {
    const known = memo?.get(c);
    if (known) byCommit.set(c, JSON.parse(known) as LogEntry);
  }
  const asked = commits.filter((c) => !byCommit.has(c));
  if (asked.length) {
    const entries = await ctx.git.log(['--no-walk=unsorted', ...asked]);
    for (const e of entries) byCommit.set(e.commit, e);
    memo?.setMany(entries.map((e) => [e.commit, JSON.stringify(e)]));
  }
  return byCommit;
}

export type { HistoryOptions, HistoryRead };

/**
 * Every commit reachable from the snapshot's commit, with its model-file changes, as the report
 * reads it. Loaded on use: only `report` needs it.
 */
export async function modelFileHistory(ctx: StoreContext, snapshot: Snapshot, opts: HistoryOptions = {}): Promise<HistoryRead> {
  const { reportHistory } = await import('./cache/report-history.js');
  return reportHistory(ctx, snapshot, opts);
}
