// Combining under contention (issue #15). A --push write the remote keeps rejecting because
// others keep landing first would, under a fleet's burst, spend its deadline losing races: the
// remote takes one write per fetch-to-push window, and on a busy machine that window is seconds.
// Instead, after a few rejections the write sends its commit to a queue ref of its own (which no
// other writer can make it lose, as --queue does) and then helps: it drains the queue — its own
// write and everyone else's waiting there — in one atomic push, the way `modelgit drain` does
// (queue.ts: each write re-applied as the operation it was, checked in-process, exactly once by
// its Operation-Id). Whichever writer's round lands, it lands a batch; the others fetch, find
// their operation on the branch and answer with it. The command still returns only when its write
// is on the branch; when its deadline passes first, it takes its queue ref back (a leased delete),
// so a failure still means nothing was written. A machine without a checkout (`--remote URL`)
// combines too: its rounds run in the bare cache (queue.ts RoundSite), where only the branch ref moves.
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError, PushError } from '../../errors.js';
import { QUEUEABLE_ACTIONS } from '../../domain/trailers.js';
import type { PushTarget } from '../../git/branches.js';
import type { Git } from '../../git/git.js';
import { dropQueueCopy, pushQueueRef, queueCopyPrefix, queueRefNames, QUEUE_REFS, retryDelay, withdrawQueueRef, type RetryBudget } from '../../git/remote.js';
import { cloneSite, drainRound, QUEUE_LOOKBACK_MS, queueRefName, type DrainHost, type QueuedWrite, type Reapplied, type RoundSite } from './queue.js';
import { findOperation, type CommittedOperation } from './operations.js';
import { deleteDecisionTags } from './tags.js';
import { transientNetworkFailure } from '../../git/remote-cache.js';
import type { HeldLock } from './lock.js';

/** What a combining writer needs beyond a drain's host: how to re-apply a queued write. */
export interface CombineHost extends DrainHost {
  reapplyQueued(q: QueuedWrite): Promise<Reapplied>;
  /** where the rounds run: a clone (the default), or the bare cache of a machine without a checkout */
  site?: RoundSite;
}

/**
 * After how many rejected pushes a write combines: `MODELGIT_COMBINE_AFTER` (0: never; default 2:
 * one lost race is the usual case between a few writers, and the fast retry handles it with one
 * commit rebuilt; a write that loses twice is in a crowd, where a round lands everyone waiting).
 */
export function combineAfter(): number {
  const raw = process.env.MODELGIT_COMBINE_AFTER;
  const n = raw === undefined || raw === '' ? NaN : Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : 2;
}

/**
 * How many queued writes one round applies at most: a round must stay short, or the writers still
 * pushing directly keep moving the branch under it. The rest wait for the next round.
 */
const ROUND_LIMIT = 16;

/** How long the head of the queue may stay put before the writer next in line drains, and each place after it waits longer. */
const STALE_HEAD_MS = 45_000;
const STAGGER_MS = 3_000;
/**
 * How long a writer waits before it looks again: the head (place 0) backs off as any retry does;
 * the others by how many rounds are ahead of them (a round's worth of writes per ROUND_PACE_MS),
 * jittered, so a hundred waiting writers list the queue a few times a second in all, not each.
 */
const ROUND_PACE_MS = 2_000;

/** The end of a queue ref's name whose writer waits for it (and drains in its turn). */
const WAITED = '-w';
const MAX_WAIT_MS = 15_000;

function waitFor(place: number | undefined, looks: number, lookMs: number): number {
  if (place === undefined || place === 0) return Math.min(MAX_WAIT_MS, retryDelay(Math.min(looks, 5), lookMs));
  const rounds = Math.floor(place / ROUND_LIMIT) + 1;
  const base = Math.min(MAX_WAIT_MS, rounds * ROUND_PACE_MS + place * 50);
  return Math.round(base * (0.5 + Math.random()));
}

/**
 * Whether a write of `action` rejected `attempt` times joins the queue now: an action drain can
 * re-apply (not a promotion, whose stage tag is numbered at the branch), after `combineAfter()`
 * rejections, or after fewer when writers already wait there (racing again would undo the round
 * being drained for them). The one rule for a clone's --push and a --remote write.
 */
export async function joinsQueue(git: Git, remote: string, action: string | undefined, attempt: number): Promise<boolean> {
  if (!action || !QUEUEABLE_ACTIONS.includes(action) || action === 'promote' || action === 'demote') return false;
  const from = combineAfter();
  return from !== 0 && (attempt >= from || (await othersWaiting(git, remote)));
}

/** Whether writers wait in the remote's queue now (one listing; a failure to list counts as no). */
export async function othersWaiting(git: Git, remote: string): Promise<boolean> {
  try {
    return (await queueRefNames(git, remote)).some((n) => n.endsWith(WAITED));
  } catch {
    return false;
  }
}

export interface Combined {
  /** the operation's commit on the branch (applied by this writer's round or another's) */
  found: CommittedOperation;
  /** pushes and rounds in all */
  attempts: number;
}

/**
 * Queues `commit` (the write's rejected commit, carrying its Operation-Id) and drains until the
 * operation is on the branch. Undefined when the queue ref could not even be pushed: the caller
 * goes on pushing directly.
 */
export async function combine(
  host: CombineHost,
  target: PushTarget,
  lock: HeldLock,
  budget: RetryBudget,
  write: { commit: string; operationId: string; since: string | undefined; attempt: number; began?: number },
): Promise<Combined | undefined> {
  const { git } = host;
  const site = host.site ?? cloneSite(git, target);
  // (a shallow cache fetches the branch's history back to before the write began, to find it there)
  const historySince = new Date((write.began ?? Date.now()) - QUEUE_LOOKBACK_MS);
  const ref = `${queueRefName(new Date(), write.operationId)}${WAITED}`;
  lock.check();
  const sent = await pushQueueRef(git, target, write.commit, ref);
  if (!sent.ok) return undefined;
  host.notify?.(`${target.remote}/${target.branch} is busy (${write.attempt} pushes rejected): queued the write as ${ref}; applying the queue, others' writes with it, until it lands`);
  const made: string[] = [];
  const landed = (found: CommittedOperation, attempts: number): Combined => {
    if (/-refused$/.test(found.action)) {
      throw new ConflictError(`the write was queued while ${target.remote}/${target.branch} was busy, and could not be applied on the branch: ${found.subject}`, {
        hint: `the refusal is recorded on the branch: git show ${found.commit.slice(0, 10)}`,
        data: { commit: found.commit },
      });
    }
    return { found, attempts };
  };
  // Who drains: the writer whose write is oldest among those a writer waits on. The others only
  // list the queue now and then, so a hundred writers don't all do the same round at once. When
  // that head stays put too long (its writer was killed, or is stuck), the next ones take over,
  // staggered by their place.
  let head = { name: '', since: Date.now() };
  let gone = 0;
  try {
    for (let attempt = write.attempt + 1; ; attempt++) {
      const began = Date.now();
      let look: { found?: CommittedOperation; again?: boolean; refused?: string; place?: number };
      try {
        look = await lookAndDrain();
      } catch (e) {
        // A fetch or listing the network dropped: the write is still queued; try again in time.
        if (!(e instanceof PushError)) throw e;
        look = {};
      }
      if (look.found) return landed(look.found, attempt);
      if (look.refused) return landed(await withdraw(look.refused), attempt);
      if (gone > 2) return landed(await withdraw(`the queued write ${ref} left the queue but is not on ${target.remote}/${target.branch}`), attempt);
      if (look.again && budget.allows(attempt)) continue;
      if (!budget.allows(attempt)) {
        return landed(await withdraw(`the remote kept moving: ${budget.spent(attempt)} to ${target.remote}/${target.branch} were rejected or lost to others`), attempt);
      }
      await sleep(waitFor(look.place, attempt - write.attempt, Date.now() - began));
    }
  } finally {
    if (made.length) await deleteDecisionTags(git, made).catch(() => {});
    await dropQueueCopy(git, `${queueCopyPrefix(target.remote)}${ref.slice(QUEUE_REFS.length)}`).catch(() => {});
  }

  /**
   * One look. While its queue ref is there the write is not on the branch (a drain publishes the
   * branch and deletes the refs it applied in one atomic push), so waiting costs one listing of
   * the queue; only when the ref is gone is the branch fetched to find the commit. At the head of
   * the queue (or when the head stays put too long) the writer drains one round.
   */
  async function lookAndDrain(): Promise<{ found?: CommittedOperation; again?: boolean; refused?: string; place?: number }> {
    // its place among the writes a writer waits on (a plain --queue write ahead of it does not
    // hold it up: nobody waits to drain that one, and the round takes it along)
    const queue = (await queueRefNames(git, target.remote)).filter((n) => n.endsWith(WAITED));
    const place = queue.indexOf(ref);
    if (place < 0) {
      const tip = await site.fetch(historySince);
      const there = tip ? await findOperation(git, write.operationId, tip, write.since) : undefined;
      if (there) {
        await site.move(tip!);
        host.clearCache();
        return { found: there };
      }
      gone++;
      return { again: true };
    }
    gone = 0;
    if (queue[0] !== head.name) head = { name: queue[0]!, since: Date.now() };
    if (place > 0 && Date.now() - head.since <= STALE_HEAD_MS + place * STAGGER_MS) return { place };
    const round = await drainRound(host, target, (q) => host.reapplyQueued(q), lock, made, { limit: ROUND_LIMIT, plumbing: true, site });
    // The round fetched the branch: the operation may be there, by this round or another writer's.
    const found = await findOperation(git, write.operationId, 'HEAD', write.since);
    if (found) return { found };
    if (round.pushed?.ok) return { again: true }; // a batch landed without it (it was further back): the next one at once
    // (a connection dropped on the way is no refusal: the next look finds the ref gone, or not)
    if (round.pushed && !round.pushed.ok && !round.pushed.retry && !(round.pushed.unreached && transientNetworkFailure(round.pushed.detail))) return { refused: `${target.remote}/${target.branch} refused the drained writes: ${round.pushed.detail}` };
    return { place: 0 };
  }

  /**
   * Takes the queued write back (deleted only if it is still the one queued) and throws the
   * failure. When it is gone, a drain took it: the branch follows the remote, and its commit is
   * the answer.
   */
  async function withdraw(why: string): Promise<CommittedOperation> {
    const take = () => withdrawQueueRef(git, target, ref, write.commit);
    let r = await take();
    for (let i = 0; i < 3 && !r.ok && transientNetworkFailure(r.detail); i++) {
      await sleep(500 * 2 ** i);
      r = await take();
    }
    const takenBack = () =>
      new PushError(`${why}; the queued write was taken back, nothing was written`, {
        hint: 'run the same command again later: it writes the operation once (MODELGIT_PUSH_DEADLINE=seconds allows longer)',
        data: { remote: target.remote, branch: target.branch },
      });
    if (r.ok) throw takenBack();
    const tip = await site.fetch(historySince);
    const found = tip ? await findOperation(git, write.operationId, tip, write.since) : undefined;
    // Gone from the queue and not on the branch: an earlier try's delete landed though its answer was lost.
    if (!found && !(await queueRefNames(git, target.remote)).includes(ref)) throw takenBack();
    if (!found) {
      throw new PushError(`${why}; the queued write ${ref} could not be taken back (${r.detail}) and is not on the branch yet`, {
        hint: `modelgit drain applies it (once: by its operation id); modelgit status lists the queue`,
        data: { remote: target.remote, branch: target.branch, queued: ref },
      });
    }
    await site.move(tip!);
    return found;
  }
}
