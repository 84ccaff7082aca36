// A model's file history on a clone that has no history index yet: every CI job and every new
// training machine starts there. `git log -- <path>` answers by diffing, for each commit that touched
// the model's algorithm, its directory tree against the parent's — at 100,000 models a 20,000-entry
// tree, 45 s over 315,000 commits — and the index that makes it milliseconds is built in the
// background after the first answer. Meanwhile the commits themselves say which models they are
// about: modelgit names them in `Model-Id:` trailers (and in subjects), and one `git log` of every
// commit's parents and message (no trees: ~3 s at that size, a tenth of it at 10,000 models) finds
// the commits that mention a model and whether the history has a merge. Checking the file's blob at
// each of those commits against its parent's keeps the ones that changed it.
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
import { recordingCommit, versionHolds } from '../domain/best-record.js';
import type { TestResult } from '../domain/types.js';
import type { Git } from '../git/git.js';
import { cacheDisabled, tracer } from './cache/policy.js';
import { idOfPath } from './model-file.js';

const trace = tracer('modelgit-history');

/**
 * Every commit of `rev` with its parents and whole message, as one walk printed them (see
 * Git.messagesOfAll), searched for one id at a time without decoding all of it: at 315,000 commits
 * that is ~70 MB, read in ~3 s of git's time — a walk git can't do with fewer bytes, since telling
 * whether the history has a merge and which messages mention a model both read every commit.
 */
class MessageWalk {
  private straight: boolean | undefined;

  constructor(private readonly bytes: Buffer) {}

  /**
   * Whether the records are one line of single-parent commits, each the parent of the one before
   * it, the last a root, none twice: a merge anywhere says no, and so does a message holding the
   * separators (it breaks a record in two, and a forged record that keeps the line must name a
   * commit again), so a crafted message can't pass a commit off as another.
   */
  get linear(): boolean {
    this.straight ??= this.isLine();
    return this.straight;
  }

  private isLine(): boolean {
    const b = this.bytes;
    let expected: [number, number] | undefined; // where the previous record's parent is
    // A record forged inside a message can only keep the line by naming a commit again (a cycle).
    const seen = new Set<string>();
    let at = 0;
    while (at < b.length) {
      if (b[at] === 0x0a) at++;
      if (at >= b.length) break;
      const us1 = b.indexOf(0x1f, at);
      const us2 = us1 < 0 ? -1 : b.indexOf(0x1f, us1 + 1);
      const end = us2 < 0 ? -1 : b.indexOf(0x1e, us2);
      if (end < 0 || (us1 - at !== 40 && us1 - at !== 64)) return false;
      if (expected ? b.compare(b, expected[0], expected[1], at, us1) !== 0 : false) return false;
      const commit = b.toString('latin1', at, us1);
      if (seen.has(commit)) return false;
      seen.add(commit);
      const parents = us2 - us1 - 1;
      if (parents === 0) {
        expected = undefined;
        at = end + 1;
        // A root: nothing may follow but the end.
        return b.subarray(at).every((x) => x === 0x0a);
      }
      if (parents !== us1 - at) return false; // two parents (a merge), or not a hash
      expected = [us1 + 1, us2];
      at = end + 1;
    }
    return expected === undefined;
  }

  /** The commits whose message mentions `id` (a fixed string), newest first, with their first parent and place in the walk. */
  mentioning(id: string): { commit: string; parent?: string; at: number }[] {
    const out: { commit: string; parent?: string; at: number }[] = [];
    const needle = Buffer.from(id);
    for (let k = this.bytes.indexOf(needle); k >= 0; ) {
      const start = this.bytes.lastIndexOf(0x1e, k) + 1;
      const us1 = this.bytes.indexOf(0x1f, start);
      const us2 = us1 < 0 ? -1 : this.bytes.indexOf(0x1f, us1 + 1);
      let end = this.bytes.indexOf(0x1e, k);
      if (end < 0) end = this.bytes.length;
      // Only in the message (past the second separator), not in a commit or parent id.
      if (us2 >= 0 && us2 < k) {
        const commit = this.bytes.toString('latin1', start, us1).trim();
        const parents = this.bytes.toString('latin1', us1 + 1, us2);
        out.push({ commit, parent: parents ? parents.split(' ')[0] : undefined, at: start });
        k = this.bytes.indexOf(needle, end);
      } else k = this.bytes.indexOf(needle, k + 1);
    }
    return out;
  }
}

/**
 * The walk of `rev`'s commit messages, or undefined when git fails or caches are off; started once
 * per process (best starts it before reading its models, so the two overlap).
 */
function messageWalk(git: Git, rev: string): Promise<MessageWalk | undefined> {
  if (cacheDisabled()) return Promise.resolve(undefined);
  const key = `${git.root}\0${rev}`;
  let p = walks.get(key);
  if (!p) {
    p = git.messagesOfAll(rev).then(
      (bytes) => new MessageWalk(bytes),
      () => undefined,
    );
    walks.set(key, p);
  }
  return p;
}

const walks = new Map<string, Promise<MessageWalk | undefined>>();

/** The commits mentioning `id` in a history without merges; undefined otherwise (git walks instead). */
async function commitsMentioning(git: Git, rev: string, id: string): Promise<{ commit: string; parent?: string; at: number }[] | undefined> {
  const walk = await messageWalk(git, rev);
  return walk?.linear ? walk.mentioning(id) : undefined;
}

/**
 * Starts the walk of `rev`'s commit messages now, while the caller reads something else (best reads
 * its algorithm's models, mostly waiting on git). Nothing with caches off.
 */
export function startMessageWalk(git: Git, rev: string): void {
  void messageWalk(git, rev);
}

/** Forgets the walks of this process (tests rewrite history under one process). */
export function forgetNamingWalks(): void {
  walks.clear();
}

/**
 * The commits of `rev` whose message mentions `id` and that changed each of `paths` against their
 * parent, newest first, one list per path; undefined when this can't stand for `git log -- <path>`
 * filtered by the caller to commits naming the model (caches off, a merge in the history, git
 * failing: then the caller asks git for the whole log).
 */
export async function commitsNamingAndChanging(git: Git, rev: string, id: string, paths: string[]): Promise<string[][] | undefined> {
  const mentioning = await commitsMentioning(git, rev, id);
  if (!mentioning) return undefined;
  const blobs = await blobsAt(git, mentioning, paths);
  if (!blobs) return undefined;
  trace(`by name: ${mentioning.length} commit(s) mention ${id} (no history index at ${rev.slice(0, 12)})`);
  return paths.map((_, k) => mentioning.filter((_, i) => blobs[k]![i]!.now !== blobs[k]![i]!.before).map((c) => c.commit));
}

/**
 * For each path, for each commit: the path's blob id there and at its parent (undefined where the
 * file isn't), in one `cat-file --batch-check`; it changed there when the two differ. The blobs are
 * then read by these ids, so git resolves each path in its (at 100,000 models, 1 MB) tree once.
 */
async function blobsAt(git: Git, commits: { commit: string; parent?: string }[], paths: string[]): Promise<{ now?: string; before?: string }[][] | undefined> {
  const names: string[] = [];
  for (const p of paths) for (const c of commits) names.push(`${c.commit}:${p}`, c.parent ? `${c.parent}:${p}` : '');
  // An empty name is "missing" to cat-file: a root commit's parent has no file.
  const found = names.length ? await git.objectTypes(names) : [];
  if (!found) return undefined;
  return paths.map((_, k) => commits.map((_, i) => ({ now: found[2 * (k * commits.length + i)]?.oid, before: found[2 * (k * commits.length + i) + 1]?.oid })));
}

/**
 * The commit at or below `rev` that recorded `result` at `resultIndex` in the model file `path`,
 * found among the commits that mention the model (see the top of this file for when that is git's
 * answer); undefined when it can't be told that way.
 */
export async function commitRecordedByName(git: Git, rev: string, path: string, resultIndex: number, result: TestResult): Promise<string | undefined> {
  const id = idOfPath(path);
  const naming = await commitsMentioning(git, rev, id);
  if (!naming) return undefined;
  const blobs = await blobsAt(git, naming, [path]);
  if (!blobs) return undefined;
  const versionsOf = naming.map((c, i) => ({ ...c, ...blobs[0]![i]! })).filter((v) => v.now !== v.before);
  // Every version, and the one before each (the found one's is checked below), in one read.
  const texts = await git.readBlobs(versionsOf.flatMap((v) => [v.now, v.before]).filter((oid): oid is string => oid !== undefined));
  const found = recordingCommit(
    versionsOf.map((v) => ({ commit: v.commit, text: v.now === undefined ? undefined : texts.get(v.now)?.toString('utf8') })),
    resultIndex,
    result,
  );
  const at = versionsOf.findIndex((v) => v.commit === found);
  if (!found || at < 0) return undefined;
  const beforeId = versionsOf[at]!.before;
  const before = beforeId === undefined ? undefined : texts.get(beforeId)?.toString('utf8');
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
