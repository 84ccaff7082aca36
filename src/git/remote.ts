// Talking to the remote for `--push`: fetch its head, bring the local branch onto it, push, and
// tell a rejection because the remote moved (retry) from every other refusal (give up, clearly).
import { DirtyStateError, PushError } from '../errors.js';
import type { Git } from './git.js';
import type { PushTarget } from './branches.js';

/** `upToDate`: refs the remote already had at exactly our value (see write.ts: an identical commit). */
/** `unreached`: no ref was rejected, the push failed before (no such remote, a dropped connection, a killed git). */
export type PushResult = { ok: true; upToDate: string[] } | { ok: false; retry: boolean; detail: string; unreached?: true };

// Reasons git prints when someone else updated the ref first: worth fetching and trying again.
const MOVED = /fetch first|non-fast-forward|already exists|stale info|cannot lock ref|failed to update ref|incorrect old value|reference already exists|is at [0-9a-f]+ but expected|atomic transaction failed/i;

/** Reads `git push --porcelain` output: every rejected ref and why. */
export function classifyPush(code: number, stdout: string, stderr: string): PushResult {
  if (code === 0) {
    const upToDate = stdout
      .split('\n')
      .filter((l) => l.startsWith('='))
      .map((l) => (l.split('\t')[1] ?? '').split(':').pop() ?? '');
    return { ok: true, upToDate };
  }
  const rejected = stdout
    .split('\n')
    .filter((l) => l.startsWith('!'))
    .map((l) => l.split('\t'))
    .map(([, ref, summary]) => ({ ref: (ref ?? '').split(':').pop() ?? '', summary: summary ?? '' }));
  if (rejected.length === 0) {
    // Nothing reached ref negotiation: no such remote, no access, network down.
    // (a pre-push hook's own words come first in stderr, so keep them all)
    const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('hint:'));
    const detail = lines.join('; ').slice(0, 600) || `git push exited ${code}`;
    return { ok: false, retry: false, detail, unreached: true };
  }
  // With --atomic, the refs that were fine are rejected as "atomic push failed" (client side); the
  // others say why. A server whose ref transaction lost a race says "atomic transaction failed".
  const real = rejected.filter((r) => !/atomic push failed/.test(r.summary));
  const detail = (real.length ? real : rejected).map((r) => `${r.ref} ${r.summary}`).join('; ');
  const retry = real.length > 0 && real.every((r) => MOVED.test(r.summary));
  // A registry server's hook (hooks install --server) says why, one `remote: modelgit: refused …` line per problem.
  const why = stderr.split('\n').flatMap((l) => (/^remote: modelgit: refused /.test(l) ? [l.slice('remote: '.length).trim()] : []));
  return { ok: false, retry, detail: why.length ? `${detail}:\n${why.join('\n')}` : detail };
}

export async function pushRefs(git: Git, target: PushTarget, refs: { local: string; remote: string }[], atomic: boolean): Promise<PushResult> {
  const args = ['push', '--porcelain', ...(atomic && refs.length > 1 ? ['--atomic'] : []), target.remote, ...refs.map((r) => `${r.local}:${r.remote}`)];
  const r = await git.run(args);
  if (r.signal) return { ok: false, retry: false, detail: `git push was killed by ${r.signal}`, unreached: true };
  return classifyPush(r.code, r.stdout.toString('utf8'), r.stderr);
}

/** Tag families a write may create (DESIGN §4); all are fetched before numbering a new one. */
export const DECISION_TAG_FAMILIES = ['stage', 'cleanup', 'best'] as const;

/**
 * Fetches the remote branch (into its remote-tracking ref) and the remote's decision tags, in one
 * round trip; returns the remote head, or undefined when the branch does not exist there yet.
 */
export async function fetchRemote(git: Git, target: PushTarget): Promise<string | undefined> {
  const branchSpec = `+refs/heads/${target.branch}:${target.trackingRef}`;
  // Decision tags are numbered from what exists; the remote's count is the one that matters.
  const tagSpecs = DECISION_TAG_FAMILIES.map((f) => `refs/tags/${f}/*:refs/tags/${f}/*`);
  // No auto-maintenance here: it runs inside the window in which others can win the race to the
  // remote, and the commit that follows runs it anyway.
  let r = await git.run(['-c', 'maintenance.auto=false', 'fetch', '--no-tags', target.remote, branchSpec, ...tagSpecs]);
  let hasBranch = true;
  if (r.code !== 0 && /couldn't find remote ref/i.test(r.stderr)) {
    hasBranch = false; // a new, empty remote: nothing to catch up with
    r = await git.run(['-c', 'maintenance.auto=false', 'fetch', '--no-tags', target.remote, ...tagSpecs]);
  }
  if (r.code !== 0) {
    const lines = r.signal ? `git fetch was killed by ${r.signal}` : r.stderr.split('\n').filter((l) => /rejected|error|fatal/i.test(l)).join('; ') || r.stderr.trim();
    const clobber = /clobber|rejected/i.test(r.stderr);
    throw new PushError(`could not fetch ${target.branch} from ${target.remote}: ${lines}`, {
      hint: clobber
        ? 'a local decision tag differs from the remote one with the same name: delete it (git tag -d <tag>); modelgit sync-tags rewrites missing stage tags'
        : `check the remote: git fetch ${target.remote}`,
    });
  }
  return hasBranch ? git.resolveCommit(target.trackingRef) : undefined;
}

/** Moves the current branch to `rev`, keeping unrelated local edits (refuses if they'd be lost). */
export async function moveBranch(git: Git, rev: string): Promise<void> {
  const r = await git.resetKeep(rev);
  if (r.code !== 0) {
    throw new DirtyStateError(`could not move the branch to ${rev.slice(0, 10)}: ${r.stderr.trim()}`, {
      hint: 'local edits touch files the remote changed; commit or stash them, then run the command again',
    });
  }
}

/**
 * Puts the local branch on top of the remote head: fast-forward when behind; when it also holds
 * commits the remote doesn't have (made earlier without --push), rebase them onto it.
 */
export async function integrate(git: Git, remoteHead: string | undefined): Promise<'same' | 'ahead' | 'fast-forward' | 'rebased'> {
  const local = await git.head();
  if (!remoteHead || !local || local === remoteHead) return 'same';
  if (await git.isAncestor(remoteHead, local)) return 'ahead';
  if (await git.isAncestor(local, remoteHead)) {
    await moveBranch(git, remoteHead);
    return 'fast-forward';
  }
  const r = await git.run(['rebase', '--quiet', remoteHead]);
  if (r.code !== 0) {
    await git.run(['rebase', '--abort']);
    throw new PushError(`this branch has commits that are not on the remote and they do not rebase cleanly onto it; nothing was pushed:\n${(r.stderr || r.stdout.toString('utf8')).trim()}`, {
      hint: 'integrate by hand (git pull --rebase, resolve, git push), then run the command again',
    });
  }
  return 'rebased';
}

/**
 * Full jitter: a random wait up to a cap that doubles with each attempt, scaled by how long an
 * attempt takes here (a busy machine or a slow remote widens the spread), at most 30 s. The
 * remote takes one write per attempt-length at best, so a burst of N writers must spread its
 * tries over about N attempt-lengths; with at most 8 s, 50 writers on 2 cores kept colliding
 * (27 of 50 registrations and 53 of 100 results by the deadline, 0.2 commits/s), with 30 s they
 * landed 49 and 98 (0.5 commits/s); 12 writers take about as long either way.
 */
export const MAX_RETRY_DELAY_MS = 30_000;

export function retryDelay(attempt: number, attemptMs = 0, random = Math.random): number {
  const unit = Math.max(80, attemptMs);
  const cap = Math.min(MAX_RETRY_DELAY_MS, unit * 2 ** Math.min(attempt - 1, 12));
  return Math.round(random() * cap);
}

/**
 * How long a write keeps retrying a push the remote rejected because it moved. Bounded by time,
 * not by a count: under a burst of writers every attempt can lose a few races, and a fixed count
 * of retries let most of a fleet fail (12 of 50 landed). `MODELGIT_PUSH_DEADLINE` (seconds,
 * default 600) sets the time; `MODELGIT_PUSH_RETRIES=n` adds a cap on the count (for scripts that
 * would rather fail fast).
 */
export interface RetryBudget {
  /** whether another attempt may follow attempt number `attempt` (1-based) */
  allows(attempt: number): boolean;
  /** e.g. "3 pushes in 41 s" — for the message when the budget is spent */
  spent(attempt: number): string;
}

export function retryBudget(now: () => number = Date.now): RetryBudget {
  const began = now();
  const secs = Number(process.env.MODELGIT_PUSH_DEADLINE);
  const deadlineMs = (Number.isFinite(secs) && secs >= 0 ? secs : 600) * 1000;
  const raw = process.env.MODELGIT_PUSH_RETRIES;
  const n = raw === undefined ? NaN : Number(raw);
  const maxAttempts = Number.isInteger(n) && n >= 0 ? n + 1 : Infinity;
  return {
    allows: (attempt) => attempt < maxAttempts && now() - began < deadlineMs,
    spent: (attempt) => `${attempt} push${attempt === 1 ? '' : 'es'} in ${Math.round((now() - began) / 1000)} s`,
  };
}

// the write queue
//
// A queued write (`--queue`) goes to a ref of its own on the remote, `refs/modelgit/queue/<name>`:
// creating a new ref is never rejected because others wrote, so a fleet's writes never fail on
// contention. `modelgit drain` later applies them onto the branch (store/write/queue.ts).

/** Where queued writes live on the remote. */
export const QUEUE_REFS = 'refs/modelgit/queue/';

/** Where this clone keeps its copy of a remote's queue refs (pruned on each fetch). */
export function queueCopyPrefix(remote: string): string {
  return `refs/modelgit/queued/${remote}/`;
}

/** Pushes `commit` as the new queue ref `ref` (never forced: a name is used once). */
export async function pushQueueRef(git: Git, target: PushTarget, commit: string, ref: string): Promise<PushResult> {
  return pushRefs(git, target, [{ local: commit, remote: ref }], false);
}

/**
 * Fetches the remote's queue refs into this clone's copy (queueCopyPrefix), dropping copies of the
 * ones drained meanwhile; the caller lists them with `git.refs(queueCopyPrefix(remote))`.
 */
export async function fetchQueue(git: Git, remote: string): Promise<void> {
  const r = await git.run(['fetch', '--no-tags', '--prune', remote, `+${QUEUE_REFS}*:${queueCopyPrefix(remote)}*`]);
  if (r.code !== 0) {
    const lines = r.signal ? `git fetch was killed by ${r.signal}` : r.stderr.split('\n').filter((l) => /error|fatal/i.test(l)).join('; ') || r.stderr.trim();
    throw new PushError(`could not fetch the queued writes from ${remote}: ${lines}`, { hint: `check the remote: git fetch ${remote}` });
  }
}

/**
 * One atomic push for a drain: the branch at `head`, the stage tags of the promotions it applied,
 * and the deletion of every drained queue ref,
 * each deletion leased on the value fetched. Two drains at once: the branch moves for one of them
 * only (a fast-forward), and the other is rejected as a whole and starts over.
 */
export async function pushDrained(git: Git, target: PushTarget, head: string, drained: { ref: string; commit: string }[], tags: string[] = []): Promise<PushResult> {
  const leases = drained.map((d) => `--force-with-lease=${d.ref}:${d.commit}`);
  const specs = [`${head}:refs/heads/${target.branch}`, ...tags.map((t) => `refs/tags/${t}:refs/tags/${t}`), ...drained.map((d) => `:${d.ref}`)];
  const r = await git.run(['push', '--porcelain', '--atomic', ...leases, target.remote, ...specs]);
  if (r.signal) return { ok: false, retry: false, detail: `git push was killed by ${r.signal}`, unreached: true };
  return classifyPush(r.code, r.stdout.toString('utf8'), r.stderr);
}

/**
 * Deletes the queue ref `ref` on the remote only while it still holds `commit` (a writer taking
 * its own queued write back; a drain that took it first makes this fail).
 */
export async function withdrawQueueRef(git: Git, target: PushTarget, ref: string, commit: string): Promise<{ ok: boolean; detail: string }> {
  const r = await git.run(['push', '--porcelain', `--force-with-lease=${ref}:${commit}`, target.remote, `:${ref}`]);
  return { ok: r.code === 0, detail: r.signal ? `git push was killed by ${r.signal}` : r.stderr.trim().split('\n').pop() || `exit ${r.code}` };
}

/** The names of the queue refs on the remote, oldest first (one `ls-remote`, nothing fetched). */
export async function queueRefNames(git: Git, remote: string): Promise<string[]> {
  const r = await git.run(['ls-remote', '--refs', remote, `${QUEUE_REFS}*`]);
  if (r.code !== 0) {
    const lines = r.signal ? `git ls-remote was killed by ${r.signal}` : r.stderr.split('\n').filter((l) => /error|fatal/i.test(l)).join('; ') || r.stderr.trim();
    throw new PushError(`could not list the queued writes on ${remote}: ${lines}`, { hint: `check the remote: git ls-remote ${remote}` });
  }
  return r.stdout
    .toString('utf8')
    .split('\n')
    .map((l) => l.split('\t')[1]?.trim() ?? '')
    .filter((n) => n.startsWith(QUEUE_REFS))
    .sort();
}

/** Deletes this clone's own copy of a queue ref (after a queued write, or once drained). */
export function dropQueueCopy(git: Git, ref: string): Promise<unknown> {
  return git.run(['update-ref', '-d', ref]);
}

/** Deletes this clone's copies of several queue refs in one `update-ref --stdin` (once a round is drained). */
export function dropQueueCopies(git: Git, refs: string[]): Promise<unknown> {
  return refs.length ? git.run(['update-ref', '--stdin'], { input: refs.map((r) => `delete ${r}\n`).join('') }) : Promise.resolve();
}
