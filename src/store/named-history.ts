// A model's file history on a clone that has no history index yet: every CI job and every new
// training machine starts there. `git log -- <path>` answers by diffing, for each commit that touched
// the model's algorithm, its directory tree against the parent's — at 100,000 models a 20,000-entry
// tree, 45 s over 315,000 commits — and the index that makes it milliseconds is built in the
// background after the first answer. Meanwhile the commits themselves say which models they are
// about: modelgit names them in `Model-Id:` trailers (and in subjects), and `git log --grep` for the
// id as a fixed string reads only the commit messages (no trees: ~2.7 s at that size, a tenth of it
// at 10,000 models). Checking the file's blob at each of those commits against its parent's keeps the
// ones that changed it.
//
// Two questions are answered this way, each only where the answer is the same as git's:
// - show's history keeps the commits that changed the file *and* name the model (history.ts
//   modelHistory). Every such commit mentions the id, so the commits mentioning it are a superset
//   whatever the message's shape, and the caller keeps exactly the entries the full log gives.
// - best's "commit that recorded the winning result" is the oldest version of the file holding the
//   result (domain/best-record.ts). Among the versions made by commits mentioning the model the
//   oldest holding it is taken, and accepted when the version just before it is a readable model
//   without the result — `testing` is append-only (the hook, CI and the server refuse anything
//   else), so no older version holds it — or when the file was made there and no older commit
//   mentions the model (a removal is a cleanup naming what it removes, receive-rules.ts, so the file
//   had no earlier life). Anything else — a hand commit that recorded the result, a file made again
//   after an older commit mentioned the model — goes back to the full log.
// Only for a history without merges (as for the index), and never with caches off: MODELGIT_NO_CACHE
// keeps the plain `git log -- <path>` as the reference the tests compare with.
import { basename } from 'node:path';
import { recordingCommit, versionHolds } from '../domain/best-record.js';
import type { TestResult } from '../domain/types.js';
import type { Git, LogEntry } from '../git/git.js';
import { cacheDisabled, tracer } from './cache/policy.js';

const trace = tracer('modelgit-history');

/** The id a model file is named after: `models/<algorithm>/<id>.json`. */
function modelIdOf(path: string): string {
  return basename(path, '.json');
}

/**
 * The entries of `git log <rev>` whose message mentions `id` (a fixed string anywhere in it: every
 * commit whose trailers name the model, and perhaps a few more), newest first; undefined when the
 * history has a merge (then only git's own walk with its history simplification is the answer),
 * caches are off or git fails. Kept per process: show asks for two paths, best for one.
 */
function commitsMentioning(git: Git, rev: string, id: string): Promise<LogEntry[] | undefined> {
  if (cacheDisabled()) return Promise.resolve(undefined);
  const key = `${git.root}\0${rev}\0${id}`;
  let p = mentions.get(key);
  if (!p) {
    // Both walk every commit once; on two cores they run side by side (the merge check may have started earlier).
    p = Promise.all([git.log([rev, '--fixed-strings', `--grep=${id}`, '--']), anyMerge(git, rev)]).then(
      ([mentioning, merge]) => (merge === undefined ? mentioning : undefined),
      () => undefined,
    );
    mentions.set(key, p);
  }
  return p;
}

const mentions = new Map<string, Promise<LogEntry[] | undefined>>();
const merges = new Map<string, Promise<string | undefined>>();

function anyMerge(git: Git, rev: string): Promise<string | undefined> {
  const key = `${git.root}\0${rev}`;
  let p = merges.get(key);
  if (!p) {
    p = git.anyMerge(rev);
    p.catch(() => {});
    merges.set(key, p);
  }
  return p;
}

/**
 * Starts the check for merges in `rev`'s history now, while the caller reads something else (best
 * reads its algorithm's models, mostly waiting on git, so a core is free): the walk for the model it
 * picks then runs alone. Nothing with caches off.
 */
export function startMergeCheck(git: Git, rev: string): void {
  if (!cacheDisabled()) void anyMerge(git, rev);
}

/** Forgets the walks of this process (tests rewrite history under one process). */
export function forgetNamingWalks(): void {
  mentions.clear();
  merges.clear();
}

/**
 * The entries of `git log <rev>` whose message mentions `id` and that changed each of `paths`
 * against their parent, newest first, one list per path; undefined when this can't stand for
 * `git log -- <path>` filtered by the caller to commits naming the model (caches off, a merge in the
 * history, git failing: then the caller asks git for the whole log).
 */
export async function entriesNamingAndChanging(git: Git, rev: string, id: string, paths: string[]): Promise<LogEntry[][] | undefined> {
  const mentioning = await commitsMentioning(git, rev, id);
  if (!mentioning) return undefined;
  const changed = await changedIn(git, mentioning.map((e) => ({ commit: e.commit, parent: e.parents[0] })), paths);
  if (!changed) return undefined;
  trace(`by name: ${mentioning.length} commit(s) mention ${id} (no history index at ${rev.slice(0, 12)})`);
  return paths.map((_, k) => mentioning.filter((_, i) => changed[k]![i]));
}

/** For each path, for each commit: whether the path's blob differs from its parent's (added, removed or changed). */
async function changedIn(git: Git, commits: { commit: string; parent?: string }[], paths: string[]): Promise<boolean[][] | undefined> {
  const names: string[] = [];
  for (const p of paths) for (const c of commits) names.push(`${c.commit}:${p}`, c.parent ? `${c.parent}:${p}` : '');
  // An empty name is "missing" to cat-file: a root commit's parent has no file.
  const found = names.length ? await git.objectTypes(names) : [];
  if (!found) return undefined;
  return paths.map((_, k) => commits.map((_, i) => found[2 * (k * commits.length + i)]?.oid !== found[2 * (k * commits.length + i) + 1]?.oid));
}

/**
 * The commit at or below `rev` that recorded `result` at `resultIndex` in the model file `path`,
 * found among the commits that mention the model (see the top of this file for when that is git's
 * answer); undefined when it can't be told that way.
 */
export async function commitRecordedByName(git: Git, rev: string, path: string, resultIndex: number, result: TestResult): Promise<string | undefined> {
  const id = modelIdOf(path);
  const mentioning = await commitsMentioning(git, rev, id);
  if (!mentioning) return undefined;
  const naming = mentioning.map((e, at) => ({ commit: e.commit, parent: e.parents[0], at }));
  const changed = await changedIn(git, naming, [path]);
  if (!changed) return undefined;
  const versionsOf = naming.filter((_, i) => changed[0]![i]);
  const names = versionsOf.map((c) => `${c.commit}:${path}`);
  const blobs = await git.readBlobs(names);
  const found = recordingCommit(
    versionsOf.map((c, i) => ({ commit: c.commit, text: blobs.get(names[i]!)?.toString('utf8') })),
    resultIndex,
    result,
  );
  const at = versionsOf.findIndex((c) => c.commit === found);
  if (!found || at < 0) return undefined;
  const parent = versionsOf[at]!.parent;
  const before = parent === undefined ? undefined : await git.showFile(parent, path);
  if (before === undefined) {
    // Made here with the result (a registration or import that carried it): the oldest version
    // unless the file had an earlier life, which a cleanup naming the model would have ended
    // (receive-rules.ts: models are removed by cleanups that name them), so no older commit may mention it.
    if (naming.some((c) => c.at > versionsOf[at]!.at)) return undefined;
  } else if (versionHolds(before, resultIndex, result) !== false) {
    // The version before it must be a readable model without the result: then no older version holds it.
    return undefined;
  }
  trace(`by name: ${found.slice(0, 12)} recorded the result (${naming.length} commit(s) mention ${id})`);
  return found;
}
