// The write queue (issue #15): a fleet's writes that never fail on contention, and the drain that
// applies them. A queued write makes its commit exactly as --push would (on the freshly fetched
// branch tip, with its Operation-Id), but pushes it to a new ref of its own,
// `refs/modelgit/queue/<utc time>-<operation id>`, which no other writer can make it lose a race
// for, and puts the local branch back where it was. `drain` fetches the queue, re-applies each
// queued *operation* (not its text diff: the caller's `apply` decides how, on today's tip) as one
// commit with the original author and time, and publishes the branch and the deletion of the
// drained refs in one atomic push. Exactly once: an operation whose Operation-Id is already on
// the branch is skipped, and two drains at once can't both move the branch from the same tip, so
// the loser fetches again and finds the winner's commits by their Operation-Ids.
import { randomBytes } from 'node:crypto';
import { PushError, UsageError } from '../../errors.js';
import type { Git } from '../../git/git.js';
import { pushTarget, remoteNames, type PushTarget } from '../../git/branches.js';
import { dropQueueCopies, fetchQueue, fetchRemote, integrate, moveBranch, pushDrained, pushQueueRef, queueCopyPrefix, queueRefNames, QUEUE_REFS, retryBudget, retryDelay, type PushResult } from '../../git/remote.js';
import { recoverInterruptedWrite } from './journal.js';
import { commitChanges, commitMessage, withWriteLock, type CommitSpec } from './commit.js';
import { OPERATION_TRAILER } from './operations.js';
import { createDecisionTags, deleteDecisionTags } from './tags.js';
import type { HeldLock } from './lock.js';
import { OPERATION_WINDOW } from '../../domain/operation-id.js';

/** Where a queued write went. */
export interface QueuedInfo {
  remote: string;
  ref: string;
  commit: string;
}

/** Actions a write may be queued for: those drain knows how to re-apply. */
export { QUEUEABLE_ACTIONS } from '../../domain/trailers.js';

/** A queue ref's name: sorts by the time it was queued, then by operation. */
export function queueRefName(now: Date, operationId: string | undefined): string {
  const time = now.toISOString().replace(/[-:]/g, '').replace('.', '');
  const op = (operationId ?? randomBytes(8).toString('hex')).replace(/[^A-Za-z0-9._-]/g, '_').replace(/\.+/g, '.').slice(0, 120);
  return `${QUEUE_REFS}${time}-${op}-${randomBytes(3).toString('hex')}`;
}

/**
 * The queued write's commit goes out to its own ref; the branch goes back to `started` (the commit
 * stays reachable from the queue ref and this clone's copy of it).
 */
export async function sendToQueue(git: Git, target: PushTarget, commit: string, operationId: string | undefined, started: string | undefined, notify?: (m: string) => void): Promise<QueuedInfo> {
  const ref = queueRefName(new Date(), operationId);
  const pushed = await pushQueueRef(git, target, commit, ref);
  if (started) await moveBranch(git, started);
  if (!pushed.ok) {
    throw new PushError(`could not queue the write on ${target.remote}: ${pushed.detail}; nothing was written`, {
      hint: 'run the same command again when the remote is reachable',
      data: { remote: target.remote },
    });
  }
  await git.updateRef(`${queueCopyPrefix(target.remote)}${ref.slice(QUEUE_REFS.length)}`, commit);
  notify?.(`queued ${commit.slice(0, 10)} on ${target.remote} as ${ref}; modelgit drain applies it to ${target.branch}`);
  return { remote: target.remote, ref, commit };
}

/** Fetches the branch tip and moves the local branch onto it, for a queued write's plan. */
export async function onRemoteTip(git: Git, target: PushTarget): Promise<void> {
  await integrate(git, await fetchRemote(git, target));
}

/**
 * Where a drain round runs. In a clone, the remote branch is fetched with all its history and the
 * local branch follows it with the work tree. In the bare cache of a machine without a checkout
 * (`--remote URL`, git/remote-cache.ts) there is no work tree and the history is shallow: the
 * fetch brings the history back to `since` (far enough to see what the queued writes were made on
 * and which operations landed since), and moving the branch is moving its ref.
 */
export interface RoundSite {
  bare: boolean;
  /** the remote branch's tip, fetched (with the history back to `since` at least), or undefined when it has none */
  fetch(since: Date): Promise<string | undefined>;
  /** the branch (HEAD) onto `commit` */
  move(commit: string): Promise<void>;
  /** (a partial cache) brings in one request the blobs a round reads of these queued commits, on `tip` */
  prefetch?(commits: string[], tip: string | undefined): Promise<void>;
}

/** A clone's round site: the whole history is fetched; the work tree follows the branch (reset --keep). */
export function cloneSite(git: Git, target: PushTarget): RoundSite {
  return { bare: false, fetch: () => fetchRemote(git, target), move: (commit) => moveBranch(git, commit) };
}

/** How far before a queued write to look for what it was made on (its writer fetched the tip shortly before queueing it). */
export const QUEUE_LOOKBACK_MS = 10 * 60_000;

/** When the oldest of these queue refs was queued (its name starts with the UTC time), less the lookback; now when none says. */
export function queueHistorySince(refs: string[], now = Date.now()): Date {
  let oldest = now;
  for (const ref of refs) {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(\d{3})Z-/.exec(ref.slice(QUEUE_REFS.length));
    if (!m) continue;
    const t = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, +m[7]!);
    if (t < oldest) oldest = t;
  }
  return new Date(oldest - QUEUE_LOOKBACK_MS);
}

/** One queued write, as drain reads it. */
export interface QueuedWrite {
  /** the ref on the remote */
  ref: string;
  commit: string;
  subject: string;
  action: string;
  modelIds: string[];
  operationId?: string;
  /** every trailer of the queued commit (a promotion's Stage, Forced) */
  trailers: Record<string, string[]>;
  author: { name: string; email: string; date: string };
  /** each file the queued commit changed, as it was in its parent and as the commit left it */
  changes: { path: string; before?: string; after?: string }[];
  /** the commit the write was made on (what its writer saw of the branch) */
  parent?: string;
  /**
   * The registration the write was made on top of, when its parent commit is one (a `test
   * --queue` of a model whose own registration was queued too: drain finds where that
   * registration landed, by its operation id, since it may have got a fresh id)
   */
  basedOn?: { commit: string; operationId?: string; modelIds: string[] };
}

/** What drain does with a queued write: a commit (applied, or a refusal recorded), or nothing. */
export type Reapplied = { spec: CommitSpec; refused?: string; tags?: { name: string; message: string }[] } | { skip: string };

export interface DrainedItem {
  ref: string;
  queued_commit: string;
  operation_id: string | null;
  action: string;
  outcome: 'applied' | 'refused' | 'skipped';
  commit: string | null;
  model_ids: string[];
  reason?: string;
}

export interface DrainOutcome {
  remote: string;
  branch: string;
  items: DrainedItem[];
  attempts: number;
}

export interface DrainHost {
  git: Git;
  gitDir: string;
  clearCache(): void;
  notify?: (message: string) => void;
}

/** The queued writes on the remote, oldest first, read from this clone's fresh copy of the queue. */
export async function readQueue(git: Git, remote: string, limit = Infinity, prefetch?: (commits: string[]) => Promise<void>): Promise<QueuedWrite[]> {
  await fetchQueue(git, remote);
  const copies = (await git.refs(queueCopyPrefix(remote))).sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0)).slice(0, limit);
  if (!copies.length) return [];
  await prefetch?.([...new Set(copies.map((c) => c.target))]);
  // The queued commits in one `git log`, their parents in another (a registration among them is
  // what a queued test of a queued model rests on: basedOn), and the files before and after
  // through one object reader: a few processes for the whole queue, not a few per write.
  const entries = new Map((await git.log(['--no-walk', ...new Set(copies.map((c) => c.target))], { paths: true })).map((e) => [e.commit, e]));
  const parents = [...new Set([...entries.values()].filter((e) => e.trailers['Model-Action']?.[0] !== 'register' && e.parents[0]).map((e) => e.parents[0]!))];
  const parentEntries = new Map((parents.length ? await git.log(['--no-walk', ...parents]) : []).map((e) => [e.commit, e]));
  const names = [...entries.values()].flatMap((e) => (e.paths ?? []).flatMap((path) => [`${e.commit}:${path}`, ...(e.parents[0] ? [`${e.parents[0]}:${path}`] : [])]));
  const reader = git.objectReader();
  let files: Map<string, { type: string; data: Buffer }>;
  try {
    files = await reader.read(names);
  } finally {
    reader.close();
  }
  const text = (name: string) => {
    const f = files.get(name);
    return f?.type === 'blob' ? f.data.toString('utf8') : undefined;
  };
  const out: QueuedWrite[] = [];
  for (const c of copies) {
    const e = entries.get(c.target);
    if (!e) continue;
    const parent = e.parents[0];
    const p = parent ? parentEntries.get(parent) : undefined;
    const basedOn = p && p.trailers['Model-Action']?.[0] === 'register' ? { commit: p.commit, operationId: p.trailers[OPERATION_TRAILER]?.[0], modelIds: p.trailers['Model-Id'] ?? [] } : undefined;
    const changes = (e.paths ?? []).map((path) => ({ path, before: parent ? text(`${parent}:${path}`) : undefined, after: text(`${e.commit}:${path}`) }));
    out.push({
      ref: `${QUEUE_REFS}${c.ref.slice(queueCopyPrefix(remote).length)}`,
      commit: e.commit,
      subject: e.subject,
      action: e.trailers['Model-Action']?.[0] ?? '',
      modelIds: e.trailers['Model-Id'] ?? [],
      operationId: e.trailers[OPERATION_TRAILER]?.[0],
      trailers: e.trailers,
      author: { name: e.author, email: e.authorEmail, date: e.date },
      changes,
      ...(parent ? { parent } : {}),
      ...(basedOn ? { basedOn } : {}),
    });
  }
  return out;
}

/**
 * The newest registration of `id` this clone queued on `remote` that is still waiting (its copy of
 * the queue ref is there until a drain or a fetch of the queue removes it), or undefined. A queued
 * write of that model is made on top of it (see engine.ts, queueWrite).
 */
export async function queuedRegistration(git: Git, remote: string, id: string): Promise<string | undefined> {
  const copies = await git.refs(queueCopyPrefix(remote));
  if (!copies.length) return undefined;
  const entries = await git.log(['--no-walk', ...new Set(copies.map((c) => c.target))]);
  const order = new Map(copies.map((c) => [c.target, c.ref]));
  return entries
    .filter((e) => e.trailers['Model-Action']?.[0] === 'register' && (e.trailers['Model-Id'] ?? []).includes(id))
    .sort((a, b) => ((order.get(a.commit) ?? '') < (order.get(b.commit) ?? '') ? 1 : -1))[0]?.commit;
}

/** The remote a drain or status talks to: the one given, else the current branch's upstream (else origin). */
export async function queueTarget(git: Git, remote?: string): Promise<PushTarget> {
  const t = await pushTarget(git);
  if (!remote || remote === t.remote) return t;
  const known = await remoteNames(git);
  if (!known.includes(remote)) throw new UsageError(`--remote: there is no remote named ${remote}`, { hint: 'git remote -v lists them' });
  return { remote, branch: t.branch, trackingRef: `refs/remotes/${remote}/${t.branch}` };
}

/** What one round of a drain did. */
export interface DrainRound {
  /** the queued writes it took (oldest first; empty: the queue was empty) */
  queue: QueuedWrite[];
  items: DrainedItem[];
  /** the push of the branch with the deletion of the drained refs (undefined: nothing queued) */
  pushed?: PushResult;
  /** the branch as the round left it: the new remote head when pushed */
  head?: string;
}

/**
 * One round of a drain: the branch tip and the queue fetched, the queued writes (the oldest
 * `limit`) re-applied on the tip one commit each, and the branch published with the deletion of
 * the drained refs in one atomic push. The caller retries a rejected round and puts the branch
 * back where it wants it.
 *
 * `plumbing`: the commits are built with git plumbing (tree-edit.ts: no index, no work tree, no
 * hooks; each write is checked in-process by `apply`, as the hook would) and the branch ref moved
 * onto each, which costs a fraction of a `git commit` per write; the work tree follows the branch
 * once at the end. A writer the remote keeps rejecting drains this way (engine.ts, combining).
 */
export async function drainRound(
  host: DrainHost,
  target: PushTarget,
  apply: (q: QueuedWrite) => Promise<Reapplied>,
  lock: HeldLock,
  made: string[],
  opts: { limit?: number; plumbing?: boolean; site?: RoundSite } = {},
): Promise<DrainRound> {
  const { git } = host;
  const site = opts.site ?? cloneSite(git, target);
  // A shallow cache fetches the history the queued writes need before their commits, so that the
  // queue's fetch finds their parents there (and never pulls the whole history behind them).
  const since = site.bare ? queueHistorySince(await queueRefNames(git, target.remote)) : new Date();
  const remoteHead = await site.fetch(since);
  let queue = await readQueue(git, target.remote, opts.limit, site.prefetch && ((commits) => site.prefetch!(commits, remoteHead)));
  // A promotion is numbered on the stage tags, which a shallow cache does not hold: a round there
  // stops before the first one (a clone's drain, or the registry workflow, applies it).
  if (site.bare) {
    const stop = queue.findIndex((q) => q.action === 'promote' || q.action === 'demote');
    if (stop >= 0) queue = queue.slice(0, stop);
  }
  if (remoteHead) await site.move(remoteHead);
  host.clearCache();
  if (!queue.length) return { queue, items: [], head: remoteHead };
  const applied = await appliedOnBranch(git);
  const items: DrainedItem[] = [];
  // tags from a rejected attempt go first: the remote may hold tags of those names now
  if (made.length) await deleteDecisionTags(git, made.splice(0));
  let moved = false;
  let pushed: PushResult | undefined;
  try {
    for (const q of queue) {
      const base = { ref: q.ref, queued_commit: q.commit, operation_id: q.operationId ?? null, action: q.action };
      if (await applied.has(q)) {
        items.push({ ...base, outcome: 'skipped', commit: null, model_ids: q.modelIds, reason: 'already applied' });
        continue;
      }
      const r = await apply(q);
      if ('skip' in r) {
        items.push({ ...base, outcome: 'skipped', commit: null, model_ids: q.modelIds, reason: r.skip });
        continue;
      }
      const trailers = r.spec.trailers.filter(([k]) => k !== OPERATION_TRAILER);
      if (q.operationId) trailers.push([OPERATION_TRAILER, q.operationId]);
      lock.check();
      const spec = { ...r.spec, trailers, author: q.author };
      let commit: string;
      if (opts.plumbing || site.bare) {
        const { commitTree } = await import('../../git/tree-edit.js');
        commit = await commitTree(git, { base: 'HEAD', changes: spec.changes, message: commitMessage(spec), author: spec.author });
        const u = await git.updateRef('HEAD', commit);
        if (u.code !== 0) throw new PushError(`could not move the branch onto a drained write: ${u.stderr.trim()}`);
        moved = true;
      } else commit = await commitChanges(git, spec);
      // a promotion's stage tag, numbered on the fetched tags; pushed with the branch, atomically
      if (r.tags?.length) made.push(...(await createDecisionTags(git, r.tags.map((t) => ({ ...t, commit })), (t, words) => new PushError(`could not write the tag ${t.name}: ${words}`))));
      host.clearCache();
      if (q.operationId) applied.add(q.operationId, commit);
      const ids = r.spec.trailers.filter(([k]) => k === 'Model-Id').map(([, v]) => v);
      items.push({ ...base, outcome: r.refused ? 'refused' : 'applied', commit, model_ids: ids, ...(r.refused ? { reason: r.refused } : {}) });
    }
    const head = (await git.head())!;
    lock.check();
    pushed = await pushDrained(git, target, head, queue.map((q) => ({ ref: q.ref, commit: q.commit })), made);
    if (pushed.ok) {
      await git.updateRef(target.trackingRef, head);
      made.length = 0;
      await dropQueueCopies(git, queue.map((q) => `${queueCopyPrefix(target.remote)}${q.ref.slice(QUEUE_REFS.length)}`));
    }
    return { queue, items, pushed, head: pushed.ok ? head : remoteHead };
  } finally {
    if (moved && remoteHead && site.bare) {
      // (a bare cache's branch is the remote's copy: it stays on the round only when published)
      if (!pushed?.ok) await git.updateRef('HEAD', remoteHead);
      host.clearCache();
    } else if (moved && remoteHead) {
      // The work tree is still the fetched tip's: the branch goes back there, and when the round
      // was published, forward again with the work tree (reset --keep), so nothing is left staged.
      await git.updateRef('HEAD', remoteHead);
      if (pushed?.ok) await moveBranch(git, (await git.resolveCommit(target.trackingRef))!);
      host.clearCache();
    }
  }
}

/**
 * The operations on the branch (OPERATION_WINDOW commits back), to skip a queued write applied
 * already: by a drain that landed, or by its writer's own push that got through after all. A
 * commit with the same identity that was already there when the write was planned (an ancestor
 * of the queued commit's parent) is an earlier, completed run of the same command, not this one.
 */
async function appliedOnBranch(git: Git): Promise<{ has(q: QueuedWrite): Promise<boolean>; add(id: string, commit: string): void }> {
  const log = await git.trailerLog(['HEAD'], [OPERATION_TRAILER], { limit: OPERATION_WINDOW });
  const byId = new Map<string, string[]>();
  const add = (id: string, commit: string) => byId.set(id, [...(byId.get(id) ?? []), commit]);
  for (const e of log ?? []) for (const id of e.trailers[OPERATION_TRAILER] ?? []) add(id, e.commit);
  return {
    add,
    async has(q) {
      const commits = q.operationId ? byId.get(q.operationId) : undefined;
      if (!commits?.length) return false;
      if (!q.parent) return true;
      for (const c of commits) if (!(await git.isAncestor(c, q.parent))) return true;
      return false;
    },
  };
}

/**
 * Applies every queued write onto the remote branch, one commit each, and publishes them with the
 * deletion of the drained refs in one atomic push; starts over when another writer or drain moved
 * the branch first.
 */
export async function drainQueue(host: DrainHost, apply: (q: QueuedWrite) => Promise<Reapplied>, opts: { remote?: string } = {}): Promise<DrainOutcome> {
  const { git } = host;
  return withWriteLock(
    host.gitDir,
    async (lock: HeldLock) => {
      const recovered = await recoverInterruptedWrite(git, host.gitDir);
      if (recovered) host.notify?.(recovered);
      const target = await queueTarget(git, opts.remote);
      const started = await git.head();
      const budget = retryBudget();
      let drainedTo: string | undefined;
      const made: string[] = [];
      try {
        for (let attempt = 1; ; attempt++) {
          const began = Date.now();
          const round = await drainRound(host, target, apply, lock, made);
          const { queue, items, pushed } = round;
          if (!pushed) return { remote: target.remote, branch: target.branch, items: [], attempts: attempt };
          if (pushed.ok) {
            drainedTo = round.head;
            const applied = items.filter((i) => i.outcome !== 'skipped').length;
            host.notify?.(`drained ${queue.length} queued write(s) from ${target.remote}: ${applied} commit(s) pushed to ${target.remote}/${target.branch}${attempt > 1 ? ` (attempt ${attempt})` : ''}`);
            return { remote: target.remote, branch: target.branch, items, attempts: attempt };
          }
          if (!pushed.retry || !budget.allows(attempt)) {
            throw new PushError(`could not publish the drained writes to ${target.remote}/${target.branch}: ${pushed.detail}; nothing was drained`, {
              hint: 'run modelgit drain again: what another drain applied meanwhile is skipped by its operation id',
              data: { remote: target.remote, branch: target.branch },
            });
          }
          await sleep(retryDelay(attempt, Date.now() - began));
        }
      } finally {
        if (made.length) await deleteDecisionTags(git, made).catch(() => {});
        // The drain's commits live on the remote (or nowhere). A branch that was behind follows
        // them (a fast-forward); one with commits of its own goes back to them.
        const keep = drainedTo && (!started || (await git.isAncestor(started, drainedTo)));
        if (!keep && started && (await git.head()) !== started) await moveBranch(git, started).catch(() => {});
        host.clearCache();
      }
    },
    { notify: host.notify },
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
