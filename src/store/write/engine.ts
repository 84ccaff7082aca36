// The write engine behind `reg.write(plan)`: under the registry lock, `plan` reads fresh state and
// says what commit to make; the engine makes exactly one commit (and the stage tags a plan asks
// for), optionally on a new branch, and with --push publishes it. A *series* plan (import: several
// commits, all or nothing) goes through the same engine and is pushed as a whole.
//
// --push rebuilds the *operation*, not the text diff (DESIGN §4b). When the remote moved, the
// engine fetches, moves the branch onto the remote head, runs `plan` again — so register picks a
// fresh id, test appends to the model's current file, promote re-checks its gates and renumbers
// its tag — commits and pushes again, with bounded jittered retries. The fast retry skips the
// re-plan when what the others committed meanwhile can't change the write (domain/replay-safety.ts):
// the same commit is rebuilt on their head with plumbing (no index refresh, no hook run again) and
// the branch moved onto it. Crash safety: the local
// commit of a rejected attempt is only ever a *local* copy of an operation that never reached the
// remote, so dropping it before the re-run can't lose anything the user was told had happened.
// When the re-run fails or the retries run out, the branch goes back to where it was before the
// command: a command that exits 1 leaves no commit that a later --push would publish unannounced
// (the one exception, said in its message, is a push the remote refused outright, whose commit is
// kept for the user to push). A series is never kept half-way.
//
// Exactly once under retry (operations.ts): each write runs as an operation whose identity goes
// into its commit as an `Operation-Id:` trailer. Before planning, the engine looks for that
// identity in HEAD's recent history (after the fetch, with --push) when the caller gave a token or
// an earlier attempt never acknowledged; found, the command answers with that commit (pushing it
// first if the remote lacks it) instead of writing again.
import { randomBytes } from 'node:crypto';
import { ConflictError, GitError, LockedError, ModelgitError, PushError, StorageError, UsageError } from '../../errors.js';
import { storageFailureLine, type Git } from '../../git/git.js';
import { pushTarget, type PushTarget } from '../../git/branches.js';
import { beginWrite, endWrite, hasInterruptedWrite, recoverInterruptedWrite } from './journal.js';
import { DECISION_TAG_FAMILIES, fetchRemote, integrate, moveBranch, pushRefs, retryBudget, retryDelay, type PushResult } from '../../git/remote.js';
import { createDecisionTags, deleteDecisionTags } from './tags.js';
import { transientNetworkFailure } from '../../git/remote-cache.js';
import { checkBeforeWrite } from './guards.js';
import { envOperationId, findOperation, operationOf, OperationJournal, OPERATION_TRAILER, type CommittedOperation, type Operation } from './operations.js';
import { assertCommittable, commitChanges, commitMessage, commitSeries, readStaged, withWriteLock, type CommitSpec } from './commit.js';
import { replanReason } from '../../domain/replay-safety.js';
import { tracer } from '../cache/policy.js';
import type { HeldLock } from './lock.js';
import type { QueuedWrite, Reapplied } from './queue.js';

const trace = tracer('modelgit-push');

/** How many dropped connections (fetch or push) one --push write tries again. */
const NETWORK_TRIES = 3;

/** An annotated tag a write creates on its commit (stage tags). */
export interface TagSpec {
  name: string;
  message: string;
}

export interface PushInfo {
  remote: string;
  branch: string;
  /** how many pushes it took (1 = the remote had not moved) */
  attempts: number;
  /** local commits made earlier (without --push, or by a command that failed) that this push published too */
  earlier?: { commit: string; subject: string }[];
}

export interface WriteOutcome {
  /** the commit made (a series: its last commit) */
  commit: string;
  /** every commit made, oldest first (one, except for a series) */
  commits: string[];
  tags: string[];
  /** set when the commit was made on a new branch (promote --branch) */
  branch?: string;
  pushed?: PushInfo;
}

/** What a write decides under the lock: the commit to make and its answer, or nothing to do. */
export type WritePlan<T> =
  | {
      spec: CommitSpec;
      result: (commit: string, outcome: WriteOutcome) => T | Promise<T>;
      /** annotated tags to put on the new commit (pushed with it, atomically) */
      tags?: TagSpec[];
      /** make the commit on this new branch, starting at HEAD, and come back (for a pull request) */
      branch?: string;
    }
  | {
      /** several commits, made in this order, all or nothing (import); pushed together */
      specs: CommitSpec[];
      /** `commit` is the last one; `outcome.commits` has them all */
      result: (commit: string, outcome: WriteOutcome) => T | Promise<T>;
      /** after each commit of the series (progress) */
      onCommit?: (index: number, commit: string) => void;
      /** stops between two commits; the ones made are undone */
      signal?: AbortSignal;
    }
  | { nothing: T };

export interface WriteOptions<T = unknown> {
  /** push the commit (and its tags) to the current branch's upstream, retrying when the remote moved */
  push?: boolean;
  /**
   * This write's identity (operations.ts), written as an `Operation-Id:` trailer; without one, the
   * caller's token (--operation-id) when there is one.
   */
  operation?: Operation;
  /**
   * The answer for an operation found already committed by an earlier attempt (register, test). A
   * write without it runs its plan on today's state instead: nothing to do is its answer; anything it
   * would write again is refused (ConflictError), never written twice.
   */
  replay?: (found: Replayed) => T | Promise<T>;
  /**
   * Send the commit to a queue ref of its own on the remote instead of the branch (queue.ts):
   * `true` (--queue) refuses an operation drain can't re-apply; `'if-supported'` (modelgit.yaml's
   * `queue: true` with --push) pushes such an operation the usual way instead.
   */
  queue?: boolean | 'if-supported';
  /**
   * For a queued write: a commit to plan it on instead of the branch tip, asked once the tip is
   * fetched (a `test --queue` of a model whose registration is itself still queued is made on top
   * of that queued registration; drain re-applies it where the registration landed).
   */
  queueOnto?: () => Promise<string | undefined>;
  /**
   * With --push: whether a write the remote keeps rejecting may join the queue and drain it
   * (combine.ts). Default yes; a registration that asked for its own --id says no, since drain
   * would give it the next free id where the direct path refuses a taken one.
   */
  combine?: boolean;
}

/** An operation an earlier attempt committed, as a re-run answers with it. */
export interface Replayed extends CommittedOperation {
  operationId: string;
  pushed?: PushInfo;
}

/** What the engine needs from the registry (kept narrow so tests and other callers can supply it). */
export interface WriteHost {
  git: Git;
  gitDir: string;
  clearCache(): void;
  notify?: (message: string) => void;
  /** the caller's operation token (--operation-id, MODELGIT_OPERATION_ID) */
  operationId?: string;
  /**
   * Called when the write's answer is ready; by default the operation is acknowledged at once. The
   * CLI defers it until the answer has been printed (see Registry), so a kill before that leaves
   * the attempt unacknowledged and a re-run answers with its commit.
   */
  settled?: (journal: OperationJournal) => void;
  /** the per-algorithm schema files of modelgit.yaml (a change to one re-plans a retried write) */
  schemaFiles?: () => string[];
  /** how drain re-applies a queued write (registry/drain.ts); without it, a --push write never combines */
  reapplyQueued?: (q: QueuedWrite) => Promise<Reapplied>;
}

export async function runWrite<T>(host: WriteHost, plan: () => Promise<WritePlan<T>>, opts: WriteOptions<T> = {}): Promise<T> {
  await checkBeforeWrite(host); // a detached HEAD refuses; a missing pre-commit hook warns once (write-guards.ts)
  return withWriteLock(
    host.gitDir,
    async (lock) => {
      const recovered = await recoverInterruptedWrite(host.git, host.gitDir);
      if (recovered) host.notify?.(recovered);
      const op = opts.operation ?? operationOf(host.operationId ?? envOperationId());
      const journal = op && new OperationJournal(host.gitDir, op);
      if (opts.queue) {
        // A derived identity (no --operation-id) names what was asked, so two identical writes share
        // it; drain skips an identity it has applied, so each queued write gets its own.
        const queued = op && !op.explicit ? { id: `${op.id}-q${randomBytes(6).toString('hex')}`, explicit: false } : op;
        return queueWrite(host, withOperation(withOperation(plan, op), queued), lock, journal, opts, queued);
      }
      if (opts.push) return pushLoop(host, withOperation(plan, op), lock, journal, opts.replay, opts.combine);
      host.clearCache(); // someone may have committed while we waited for the lock
      if (journal) {
        const found = journal.lookFor ? await findOperation(host.git, journal.op.id, 'HEAD', journal.since, host.gitDir) : undefined;
        if (found) return settle(host, journal, await replay(host, journal.op, found, opts.replay, withOperation(plan, op)));
        journal.begin(await host.git.headNow());
      }
      // The staged check reads git's index while the plan reads what it needs: both come before any write.
      const staged = readStaged(host.git);
      const p = await withOperation(plan, op)();
      if ('nothing' in p) return settle(host, journal, p.nothing);
      const made = await make(host, p, lock, staged);
      host.clearCache();
      return settle(host, journal, await answer(p, made));
    },
    { notify: host.notify },
  );
}

/** The answer is ready: the operation is acknowledged now, or when the host says (after printing). */
function settle<T>(host: WriteHost, journal: OperationJournal | undefined, value: T): T {
  if (journal) (host.settled ?? ((j) => j.acknowledge()))(journal);
  return value;
}

/** The plan, with the operation's identity on every commit it makes and in the trailers of its tags. */
export function withOperation<T>(plan: () => Promise<WritePlan<T>>, op: Operation | undefined): () => Promise<WritePlan<T>> {
  if (!op) return plan;
  const mark = (spec: CommitSpec): CommitSpec => ({ ...spec, trailers: [...spec.trailers.filter(([k]) => k !== OPERATION_TRAILER), [OPERATION_TRAILER, op.id]] });
  return async () => {
    const p = await plan();
    if ('spec' in p) return { ...p, spec: mark(p.spec), tags: p.tags?.map((t) => ({ ...t, message: withTrailer(t.message, op.id) })) };
    if ('specs' in p) return { ...p, specs: p.specs.map(mark) };
    return p;
  };
}

/** A tag message whose last paragraph is trailers gets the operation's trailer too. */
function withTrailer(message: string, id: string): string {
  const body = message.replace(/\s+$/, '');
  const last = body.split(/\n\s*\n/).pop() ?? '';
  const isTrailers = body.includes('\n\n') && last.split('\n').every((l) => /^[A-Za-z][A-Za-z0-9-]*: /.test(l));
  return isTrailers ? `${body}\n${OPERATION_TRAILER}: ${id}\n` : message;
}

/**
 * The answer for an operation an earlier attempt already committed: the command's own replay, or —
 * for a command idempotent by itself (tag, promote, cleanup…) — its plan on today's state, which
 * must find nothing left to do; anything it would write again is refused.
 */
export async function replay<T>(
  host: WriteHost,
  op: Operation,
  found: CommittedOperation,
  answerWith: WriteOptions<T>['replay'],
  plan: () => Promise<WritePlan<T>>,
  pushed?: PushInfo,
  /** the commit is this very run's (a combined write, drained onto the branch): nothing to say */
  ours = false,
): Promise<T> {
  const what = `${found.commit.slice(0, 10)} ("${found.subject}")`;
  const answering = () => !ours && host.notify?.(`operation ${op.id} was already committed${op.explicit ? '' : ' by an earlier run that did not finish'}: ${what}; answering with it, nothing was written again`);
  if (answerWith) {
    answering();
    return answerWith({ ...found, operationId: op.id, pushed });
  }
  // The plan may refuse today's state because of that very commit (an import finds its own ids
  // taken): the earlier run is what the user must hear about, not a clash with themselves.
  let p: WritePlan<T> | undefined;
  try {
    p = await plan();
  } catch (e) {
    if (!(e instanceof ModelgitError) || e instanceof LockedError) throw e;
  }
  if (p && 'nothing' in p) {
    answering();
    return p.nothing;
  }
  throw new ConflictError(`operation ${op.id} was already done by an earlier run: ${what}; doing it again would write again, so nothing was written`, {
    hint: 'see it with: git show ' + found.commit.slice(0, 10) + '; a new operation needs a new --operation-id',
    data: { commit: found.commit, operation_id: op.id, replayed: true },
  });
}

type CommitPlan = Extract<WritePlan<unknown>, { spec: CommitSpec }>;
type SeriesPlan = Extract<WritePlan<unknown>, { specs: CommitSpec[] }>;

/** What an attempt made, and where the branch was before it (a rejected attempt goes back there). */
interface Made extends WriteOutcome {
  base: string | undefined;
  series: boolean;
}

/** `staged`: the staged check, when it was started before the plan (readStaged). */
async function make(host: WriteHost, p: CommitPlan | SeriesPlan, lock: HeldLock, staged?: Promise<string[]>): Promise<Made> {
  lock.check(); // never write beside another writer that has taken the lock over
  if ('specs' in p) {
    const base = await host.git.head();
    return { ...(await makeSeries(host, p)), base, series: true };
  }
  return { ...(await makeCommit(host, p, staged)), series: false };
}

function answer<T>(p: Extract<WritePlan<T>, { result: unknown }>, made: WriteOutcome): T | Promise<T> {
  const { base: _b, series: _s, ...outcome } = made as Made;
  return p.result(outcome.commit, outcome);
}

/**
 * Finishes an interrupted write now, for an operation that reads the registry before its write
 * (import checks its ids against HEAD, which a killed import may have left half-made).
 */
export async function recoverNow(host: WriteHost): Promise<void> {
  if (!hasInterruptedWrite(host.gitDir)) return;
  await withWriteLock(host.gitDir, async () => {
    const recovered = await recoverInterruptedWrite(host.git, host.gitDir);
    if (recovered) host.notify?.(recovered);
    host.clearCache();
  });
}

/**
 * The commit's tags; when git refuses one (a read-only refs directory, a killed `git tag`), the
 * commit is undone too, so a decision is recorded whole or not at all and the branch is where it
 * was. Only when that undo fails is the commit kept, and the message says so.
 */
async function createTags(git: Git, commit: string, tags: TagSpec[], base: string | undefined): Promise<string[]> {
  let refusal: { name: string; words: string } | undefined;
  try {
    return await createDecisionTags(
      git,
      tags.map((t) => ({ ...t, commit })),
      (t, words) => ((refusal = { name: t.name, words }), new Error(words)),
    );
  } catch (e) {
    if (!refusal) throw e;
  }
  const { name, words } = refusal;
  if (base && (await git.resetKeep(base)).code === 0) {
    const storage = storageFailureLine(words);
    const Kind = storage ? StorageError : GitError;
    throw new Kind(`could not write the tag ${name}: ${storage ?? words}; the commit was undone, nothing was changed`, { hint: 'run the command again' });
  }
  throw new ModelgitError(`committed ${commit.slice(0, 10)}, but could not write the tag ${name}: ${words}`, {
    hint: 'modelgit sync-tags writes the missing stage tags',
  });
}

/** The commit, and where the branch was before it (`base`). */
async function makeCommit(host: WriteHost, p: CommitPlan, staged?: Promise<string[]>): Promise<WriteOutcome & { base: string | undefined }> {
  const { git, gitDir } = host;
  const paths = p.spec.changes.map((c) => c.path);
  if (!p.branch) {
    // The note names the tags too, and stays until they are written: a write killed between its
    // commit and its tags gets them from the next command (journal.ts), never a commit without them.
    const base = await beginWrite(git, gitDir, { paths, subject: p.spec.subject, staged, tags: p.tags });
    try {
      const commit = await commitChanges(git, p.spec, base);
      return { commit, commits: [commit], tags: await createTags(git, commit, p.tags ?? [], base.head), base: base.head };
    } finally {
      endWrite(gitDir);
    }
  }
  // A new branch for a pull request: switch, commit, switch back. The index must be clean first,
  // or the switch would carry someone's staged work onto the promotion branch.
  await assertCommittable(git, paths);
  const started = await git.head();
  const returnTo = (await git.currentBranch()) ?? started;
  if (!returnTo) throw new ConflictError('the repository has no commit yet to branch from');
  const sw = await git.createBranchAndSwitch(p.branch);
  if (sw.code !== 0) {
    throw new ConflictError(`could not create the branch ${p.branch}: ${sw.stderr.trim()}`, {
      hint: /already exists/.test(sw.stderr) ? `delete the old one first: git branch -D ${p.branch}` : undefined,
    });
  }
  const base = await beginWrite(git, gitDir, { paths, subject: p.spec.subject, branch: p.branch, returnTo });
  let commit: string;
  try {
    commit = await commitChanges(git, p.spec, base);
  } catch (e) {
    await git.switchTo(returnTo).catch(() => {}); // the failure below is the one to report
    await git.deleteBranch(p.branch);
    endWrite(gitDir);
    throw e;
  }
  await git.switchTo(returnTo);
  endWrite(gitDir);
  return { commit, commits: [commit], tags: [], branch: p.branch, base: started };
}

/** The commits of a series, noted in the journal so a killed series is undone, not left half-made. */
async function makeSeries(host: WriteHost, p: SeriesPlan): Promise<WriteOutcome> {
  const { git, gitDir } = host;
  const head = await git.head();
  if (p.specs.length === 0) return { commit: head ?? '', commits: [], tags: [] };
  const paths = [...new Set(p.specs.flatMap((s) => s.changes.map((c) => c.path)))];
  const subject = p.specs.length > 1 ? `${p.specs[0]!.subject} … (${p.specs.length} commits)` : p.specs[0]!.subject;
  await assertCommittable(git, paths);
  await beginWrite(git, gitDir, { paths, subject, series: p.specs.map((s) => s.subject) });
  try {
    const commits = await commitSeries(git, p.specs, { onCommit: p.onCommit, signal: p.signal });
    return { commit: commits[commits.length - 1]!, commits, tags: [] };
  } finally {
    endWrite(gitDir);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function pushLoop<T>(host: WriteHost, plan: () => Promise<WritePlan<T>>, lock: HeldLock, journal: OperationJournal | undefined, answerWith: WriteOptions<T>['replay'], combining = true): Promise<T> {
  const { git } = host;
  const target = await pushTarget(git);
  const budget = retryBudget();
  // Where the branch was. A failure puts it back here (undoing the catch-up with the remote too),
  // unless the error names a commit of ours that it deliberately leaves on the branch.
  const started = await git.head();
  let keep = false;
  // Our commit(s) and tags from a rejected attempt: a local copy of an operation the remote never got.
  let unpushed: Made | undefined;
  // The plan of that attempt (for the fast retry: the same write, rebuilt on the new remote head).
  let unpushedPlan: CommitPlan | undefined;
  // A push whose connection dropped on the way (it may have landed): looked for on the next fetch.
  // A busy server resets connections now and then; a few such drops are tried again, and after
  // NETWORK_TRIES the failure is said (the remote is down, or a proxy keeps cutting).
  let drops = 0;
  let dropped: { made: Made; p: Extract<WritePlan<T>, { result: unknown }>; earlier: { commit: string; subject: string }[] } | undefined;
  /** A push whose connection dropped, worth another try (counts the drop). */
  const droppedOnTheWay = (pushed: Extract<PushResult, { ok: false }>, attempt: number): boolean =>
    !!pushed.unreached && transientNetworkFailure(pushed.detail) && ++drops <= NETWORK_TRIES && budget.allows(attempt);
  /**
   * Combining (combine.ts): a single commit of an operation drain can re-apply, rejected
   * `combineAfter()` times, with nothing of the user's below it, joins the queue and drains it; the
   * answer is the operation's commit on the branch. Undefined: keep pushing directly.
   */
  const combined = async (made: Made, p: CommitPlan | SeriesPlan, attempt: number, earlier: number): Promise<{ value: T } | undefined> => {
    if (!combining || !host.reapplyQueued) return undefined;
    if (made.series || made.branch || made.tags.length || earlier || !('spec' in p) || !made.base) return undefined;
    const action = p.spec.trailers.find(([k]) => k === 'Model-Action')?.[1];
    const { combine, joinsQueue } = await import('./combine.js');
    if (!action || !(await joinsQueue(git, target.remote, action, attempt))) return undefined;
    // A write without an identity (tag, note: idempotent by themselves) gets one now, so that it
    // can be found on the branch whoever drains it: its commit is rebuilt with the trailer.
    let op = journal?.op;
    let commit = made.commit;
    if (!op) {
      op = { id: `auto-${action}-${randomBytes(12).toString('hex')}`, explicit: false };
      const { commitTree } = await import('../../git/tree-edit.js');
      commit = await commitTree(git, { base: made.base, changes: p.spec.changes, message: commitMessage({ ...p.spec, trailers: [...p.spec.trailers, [OPERATION_TRAILER, op.id]] }), author: p.spec.author });
    }
    unpushed = undefined; // from here the write is the queued one: the local commit is only its copy
    const reapply = host.reapplyQueued.bind(host);
    const c = await combine({ git, gitDir: host.gitDir, notify: host.notify, clearCache: () => host.clearCache(), reapplyQueued: reapply }, target, lock, budget, { commit, operationId: op.id, since: started, attempt });
    if (!c) {
      unpushed = made;
      return undefined;
    }
    keep = true;
    host.clearCache();
    const info: PushInfo = { remote: target.remote, branch: target.branch, attempts: c.attempts };
    host.notify?.(`landed on ${target.remote}/${target.branch} as ${c.found.commit.slice(0, 10)} through the queue (attempt ${c.attempts})`);
    const value = await replay(host, op, c.found, answerWith, plan, info, true);
    // the answer of this run's own write, not of an earlier one
    if (value && typeof value === 'object' && 'replayed' in value) delete (value as { replayed?: unknown }).replayed;
    return { value: settle(host, journal, value) };
  };
  try {
    for (let attempt = 1; ; attempt++) {
      const began = Date.now();
      // Our tags from the rejected attempt go first: the remote may now hold tags of the same name.
      if (unpushed) await deleteDecisionTags(git, unpushed.tags);
      let remoteHead: string | undefined;
      try {
        remoteHead = await fetchRemote(git, target);
      } catch (e) {
        // A busy server that resets the connection: tried again within the deadline.
        if (!(e instanceof PushError) || !transientNetworkFailure(e.message) || ++drops > NETWORK_TRIES || !budget.allows(attempt)) throw e;
        await sleep(retryDelay(attempt, Date.now() - began));
        continue;
      }
      // The last push dropped on the way may have landed all the same: then that is the answer.
      const landed = dropped;
      dropped = undefined;
      if (landed && remoteHead && (await git.isAncestor(landed.made.commit, remoteHead))) {
        keep = true;
        await integrate(git, remoteHead);
        await git.updateRef(target.trackingRef, remoteHead);
        host.clearCache();
        const info: PushInfo = { remote: target.remote, branch: target.branch, attempts: attempt - 1, ...(landed.earlier.length ? { earlier: landed.earlier } : {}) };
        host.notify?.(`pushed ${landed.made.commit.slice(0, 10)} to ${target.remote}/${target.branch} (the connection dropped after the remote took it)`);
        return settle(host, journal, await answer(landed.p, { ...landed.made, pushed: info }));
      }
      // The fast retry: the others changed nothing this write read, wrote or was checked by, so the
      // same commit is rebuilt on their head (git plumbing, no index) instead of planned again.
      const again = unpushed && unpushedPlan && remoteHead ? await sameCommitOn(host, unpushed, unpushedPlan, remoteHead) : undefined;
      if (again) {
        const p = unpushedPlan!;
        await moveBranch(git, again);
        host.clearCache();
        const made: Made = { commit: again, commits: [again], tags: [], base: remoteHead, series: false };
        lock.check();
        const pushed = await pushRefs(git, target, [{ local: again, remote: `refs/heads/${target.branch}` }], true);
        if (pushed.ok && !pushed.upToDate.includes(`refs/heads/${target.branch}`)) {
          keep = true;
          await git.updateRef(target.trackingRef, again);
          host.notify?.(`pushed ${again.slice(0, 10)} to ${target.remote}/${target.branch} (attempt ${attempt}: the remote had moved)`);
          return settle(host, journal, (await answer(p, { ...made, pushed: { remote: target.remote, branch: target.branch, attempts: attempt } })) as T);
        }
        if (!pushed.ok && droppedOnTheWay(pushed, attempt)) {
          // Dropped on the way, as below: looked for on the remote at the next fetch.
          dropped = { made, p: p as Extract<WritePlan<T>, { result: unknown }>, earlier: [] };
          unpushed = made;
          host.notify?.(`the push to ${target.remote}/${target.branch} failed on the way (${pushed.detail}); trying again`);
          await sleep(retryDelay(attempt, Date.now() - began));
          continue;
        }
        if (!pushed.ok && !pushed.retry) {
          // Refused outright (or failed on the way): kept and said so, as below (running the command again pushes it).
          keep = true;
          const how = pushed.unreached ? `the push to ${target.remote}/${target.branch} failed` : `${target.remote}/${target.branch} refused the push`;
          throw new PushError(`committed ${again.slice(0, 10)} locally, but ${how}: ${pushed.detail}`, {
            hint: `the commit is kept on your branch, unpushed; run the same command again when the remote takes it, or: git push ${target.remote} HEAD:${target.branch}`,
            data: { commit: again, tags: [], remote: target.remote, branch: target.branch },
          });
        }
        unpushed = made;
        if (!budget.allows(attempt)) {
          throw new PushError(`the remote kept moving: ${budget.spent(attempt)} to ${target.remote}/${target.branch} were rejected; the local commit was undone, nothing was written`, {
            hint: 'run the same command again later: it writes the operation once (MODELGIT_PUSH_DEADLINE=seconds allows longer; MODELGIT_PUSH_RETRIES caps the tries)',
            data: { remote: target.remote, branch: target.branch },
          });
        }
        const done = await combined(made, p, attempt, 0);
        if (done) return done.value;
        await sleep(retryDelay(attempt, Date.now() - began));
        continue;
      }
      unpushedPlan = undefined;
      if (unpushed) {
        // Our rejected attempt sat on the old remote head: when that is below the new one (the
        // usual race), one move puts the branch on the remote head, instead of back and forward.
        const base = unpushed.base ?? `${unpushed.commit}~1`;
        await moveBranch(git, remoteHead && unpushed.base && (await git.isAncestor(unpushed.base, remoteHead)) ? remoteHead : base);
      }
      await integrate(git, remoteHead);
      host.clearCache();
      // An earlier attempt of this operation (killed, or its push failed) may be on the branch now,
      // or on the remote: answer with it, publishing it if the remote does not have it yet.
      const found = journal?.lookFor ? await findOperation(git, journal.op.id, 'HEAD', journal.since, host.gitDir) : undefined;
      if (found) {
        const head = (await git.head())!;
        if (head === remoteHead) {
          keep = true;
          return settle(host, journal, await replay(host, journal!.op, found, answerWith, plan));
        }
        lock.check();
        const earlier = await earlierCommits(git, remoteHead, head, found.commit);
        const pushed = await pushRefs(git, target, [{ local: head, remote: `refs/heads/${target.branch}` }], false);
        if (pushed.ok) {
          keep = true;
          await git.updateRef(target.trackingRef, head);
          const info: PushInfo = { remote: target.remote, branch: target.branch, attempts: attempt, ...(earlier.length ? { earlier } : {}) };
          host.notify?.(`pushed ${head.slice(0, 10)} to ${target.remote}/${target.branch}${attempt > 1 ? ` (attempt ${attempt}: the remote had moved)` : ''}${alongWith(earlier)}`);
          host.clearCache();
          return settle(host, journal, await replay(host, journal!.op, found, answerWith, plan, info));
        }
        if (!pushed.retry || !budget.allows(attempt)) {
          keep = true;
          throw new PushError(`this operation was committed earlier (${found.commit.slice(0, 10)}, "${found.subject}") but ${target.remote}/${target.branch} did not take it: ${pushed.detail}`, {
            hint: 'the commit is on your branch, unpushed; run the same command again later: it pushes this commit, it does not write a second one',
            data: { commit: found.commit, remote: target.remote, branch: target.branch },
          });
        }
        await sleep(retryDelay(attempt, Date.now() - began));
        continue;
      }
      journal?.begin(started);
      const p = await plan();
      // Nothing to do on the remote's state (someone did it meanwhile): our old attempt is moot.
      if ('nothing' in p) {
        keep = true;
        // The answer may rest on local commits the remote lacks (a promotion whose push was killed
        // or failed, run again): a --push command publishes them, named, like any --push does.
        if (!(await publishEarlier(host, target, remoteHead, lock, budget.allows(attempt)))) {
          await sleep(retryDelay(attempt, Date.now() - began));
          continue;
        }
        return settle(host, journal, p.nothing);
      }
      const before = await git.head();
      let made: Made;
      try {
        made = await make(host, p, lock);
      } catch (e) {
        // A commit made but its tag refused (the error says so): that commit stays.
        keep = !unpushed && (await git.head()) !== before;
        throw e;
      }
      host.clearCache();
      if (made.commits.length === 0) {
        keep = true;
        return settle(host, journal, await answer(p, made));
      }
      const refs = made.branch
        ? [{ local: `refs/heads/${made.branch}`, remote: `refs/heads/${made.branch}` }]
        : [{ local: made.commit, remote: `refs/heads/${target.branch}` }, ...made.tags.map((t) => ({ local: `refs/tags/${t}`, remote: `refs/tags/${t}` }))];
      // Local commits below ours that the remote lacks go out with this push: they are named.
      const earlier = made.branch ? [] : await earlierCommits(git, remoteHead, made.commits[0]!, undefined, true);
      lock.check();
      let pushed = await pushRefs(git, target, refs, true);
      if (pushed.ok && pushed.upToDate.includes(refs[0]!.remote)) {
        // The remote already had our very commit: another writer did the same operation in the same
        // second under the same identity, so the two commits are one object. That write is theirs;
        // ours must be made again on top of it (a fresh id, a second result), like any other race.
        pushed = { ok: false, retry: true, detail: `${refs[0]!.remote} already held an identical commit from another writer` };
      }
      if (pushed.ok) {
        keep = true;
        const info: PushInfo = { remote: target.remote, branch: made.branch ?? target.branch, attempts: attempt, ...(earlier.length ? { earlier } : {}) };
        if (!made.branch) await git.updateRef(target.trackingRef, made.commit);
        const what = made.commits.length > 1 ? `${made.commits.length} commits (${made.commits[0]!.slice(0, 10)}..${made.commit.slice(0, 10)})` : made.commit.slice(0, 10);
        host.notify?.(`pushed ${what}${made.tags.length ? ` and ${made.tags.join(', ')}` : ''} to ${target.remote}/${info.branch}${attempt > 1 ? ` (attempt ${attempt}: the remote had moved)` : ''}${alongWith(earlier)}`);
        return settle(host, journal, await answer(p, { ...made, pushed: info }));
      }
      const where = `${target.remote}/${made.branch ?? target.branch}`;
      if (!pushed.ok && !made.branch && droppedOnTheWay(pushed, attempt)) {
        // The connection dropped mid-push: the next attempt looks for this commit on the remote
        // first, and otherwise writes the operation again on whatever it finds there.
        dropped = { made, p: p as Extract<WritePlan<T>, { result: unknown }>, earlier };
        unpushed = made;
        unpushedPlan = 'spec' in p && !made.series ? (p as CommitPlan) : undefined;
        host.notify?.(`the push to ${where} failed on the way (${pushed.detail}); trying again`);
        await sleep(retryDelay(attempt, Date.now() - began));
        continue;
      }
      const refused = !pushed.retry || !!made.branch;
      // A remote that rejected our refs refused the push; one never reached (a dropped connection) did not.
      const failedHow = !pushed.ok && pushed.unreached ? `the push to ${where} failed` : `${where} refused the push`;
      if (made.series && (refused || !budget.allows(attempt))) {
        // All or nothing: the series goes (the catch below puts the branch back where it was).
        throw new PushError(
          refused
            ? `${failedHow}: ${pushed.detail}; the ${made.commits.length} commit(s) were undone, nothing was written`
            : `the remote kept moving: ${budget.spent(attempt)} to ${where} were rejected; the ${made.commits.length} commit(s) were undone, nothing was written`,
          {
            hint: refused
              ? /protected|declined|hook/i.test(pushed.detail)
                ? 'the remote does not take direct pushes here: run the command without --push on a branch, push that branch and open a pull request'
                : 'run the same command again when the remote is reachable (without --push it commits locally only)'
              : 'run the same command again later (MODELGIT_PUSH_DEADLINE=seconds allows longer; MODELGIT_PUSH_RETRIES caps the tries)',
            data: { remote: target.remote, branch: target.branch },
          },
        );
      }
      if (refused) {
        // Kept on purpose and said so: running the same command again pushes this commit (the
        // operation's identity finds it), it does not write a second one.
        keep = true;
        throw new PushError(`committed ${made.commit.slice(0, 10)} locally, but ${failedHow}: ${pushed.detail}`, {
          hint: /modelgit: refused/.test(pushed.detail)
            ? `the registry's server hook refused it for the reasons above; fix them (the commit is kept on your branch: git reset --keep HEAD~1 drops it), then run the command again`
            : /protected|declined|hook/i.test(pushed.detail)
            ? 'the remote does not take direct pushes here: push the commit to a branch and open a pull request (promotions: modelgit promote … --branch --push)'
            : `the commit is kept on your branch, unpushed; run the same command again when the remote is reachable (it pushes this commit, it does not write a second one), or: git push ${target.remote} HEAD:${made.branch ?? target.branch}`,
          data: { commit: made.commit, tags: made.tags, remote: target.remote, branch: made.branch ?? target.branch },
        });
      }
      if (!budget.allows(attempt)) {
        // Not kept: a local commit left behind would be published, unannounced, by whatever
        // --push comes next. The operation stays unacknowledged, so a re-run that finds it on the
        // remote after all (a push that landed though we never heard) answers with it.
        unpushed = made;
        throw new PushError(`the remote kept moving: ${budget.spent(attempt)} to ${where} were rejected; the local commit was undone, nothing was written`, {
          hint: 'run the same command again later: it writes the operation once (MODELGIT_PUSH_DEADLINE=seconds allows longer; MODELGIT_PUSH_RETRIES caps the tries)',
          data: { remote: target.remote, branch: target.branch },
        });
      }
      unpushed = made;
      unpushedPlan = 'spec' in p && !made.series ? (p as CommitPlan) : undefined;
      const done = await combined(made, p, attempt, earlier.length);
      if (done) return done.value;
      await sleep(retryDelay(attempt, Date.now() - began));
    }
  } catch (e) {
    // A lost lock means another writer is at work here now: leave the branch alone.
    const lockLost = e instanceof LockedError && e.data?.lock_lost === true;
    if (!keep && !lockLost) await backTo(host, started, unpushed, e);
    throw e;
  }
}

/**
 * Whether a write planned on `base` has the same outcome on `tip` (domain/replay-safety.ts: what
 * the others committed between them touched none of its files, names or rules); says which way
 * it went on `trace` (MODELGIT_CACHE_TRACE). Shared by --push and --remote's fast retry.
 */
export async function sameOutcomeOn(git: Git, base: string, tip: string, spec: CommitSpec, schemaFiles: string[], say: (m: string) => void): Promise<boolean> {
  const theirs = (await git.changedFiles(base, tip, [])).map((c) => c.path);
  const reason = replanReason({ ours: spec.changes.map((c) => c.path), theirs, schemaFiles });
  say(reason ? `planning again on ${tip.slice(0, 10)}: ${reason}` : `the same write on ${tip.slice(0, 10)} (${theirs.length} other file(s) changed)`);
  return !reason;
}

/**
 * The rejected write's commit rebuilt on `remoteHead`, when nothing the others committed since its
 * base can change it (domain/replay-safety.ts): one commit, no tags, no new branch, and none of its
 * files, file names or rules touched. Undefined: plan it again.
 */
async function sameCommitOn(host: WriteHost, made: Made, p: CommitPlan, remoteHead: string): Promise<string | undefined> {
  if (made.series || made.branch || made.tags.length || p.tags?.length || !made.base || made.base === remoteHead) return undefined;
  const { git } = host;
  if (!(await git.isAncestor(made.base, remoteHead))) return undefined;
  if (!(await sameOutcomeOn(git, made.base, remoteHead, p.spec, host.schemaFiles?.() ?? [], trace))) return undefined;
  const { commitTree } = await import('../../git/tree-edit.js');
  return commitTree(git, { base: remoteHead, changes: p.spec.changes, message: commitMessage(p.spec), author: p.spec.author });
}

// the write queue: --queue (queue.ts)
async function queueWrite<T>(host: WriteHost, plan: () => Promise<WritePlan<T>>, lock: HeldLock, journal: OperationJournal | undefined, opts: WriteOptions<T>, op: Operation | undefined): Promise<T> {
  const { git } = host;
  const queue = await import('./queue.js');
  const target = await pushTarget(git);
  const started = await git.head();
  let queued = false;
  try {
    await queue.onRemoteTip(git, target);
    host.clearCache();
    const found = journal?.lookFor ? await findOperation(git, journal.op.id, 'HEAD', journal.since, host.gitDir) : undefined;
    if (found) {
      const value = await replay(host, journal!.op, found, opts.replay, plan);
      return settle(host, journal, value);
    }
    journal?.begin(started);
    const onto = await opts.queueOnto?.();
    if (onto) {
      // Planned on the queued registration; the branch goes back to `started` like any queued write.
      await moveBranch(git, onto);
      host.clearCache();
    }
    const p = await plan();
    if ('nothing' in p) return settle(host, journal, p.nothing);
    const action = 'spec' in p && !p.branch ? p.spec.trailers.find(([k]) => k === 'Model-Action')?.[1] : undefined;
    if (!action || !queue.QUEUEABLE_ACTIONS.includes(action)) {
      if (opts.queue === 'if-supported') {
        if (started && (await git.head()) !== started) await moveBranch(git, started);
        host.clearCache();
        queued = true; // the push path owns the branch from here
        return pushLoop(host, plan, lock, journal, opts.replay, opts.combine);
      }
      throw new UsageError(`--queue: ${action ?? 'this write'} can't be queued (drain re-applies ${queue.QUEUEABLE_ACTIONS.join(', ')}); nothing was written`, {
        hint: 'run it with --push instead',
      });
    }
    const made = await make(host, { ...(p as CommitPlan), tags: [] }, lock);
    const info = await queue.sendToQueue(git, target, made.commit, op?.id, started, host.notify);
    queued = true;
    host.clearCache();
    const value = await answer(p as CommitPlan as Extract<WritePlan<T>, { result: unknown }>, made);
    if (value && typeof value === 'object') Object.assign(value as object, { queued: info });
    return settle(host, journal, value);
  } finally {
    if (!queued && started && (await git.head()) !== started) await moveBranch(git, started).catch(() => {});
    host.clearCache();
  }
}

/**
 * Pushes the branch's local commits the remote lacks, with the decision tags on them, when a
 * --push command found nothing new to write; true when the remote has them now (or there were
 * none), false when the remote moved and `mayRetry`. A refusal keeps them and says so.
 */
async function publishEarlier(host: WriteHost, target: PushTarget, remoteHead: string | undefined, lock: HeldLock, mayRetry: boolean): Promise<boolean> {
  const { git } = host;
  const head = await git.head();
  if (!head || !remoteHead || head === remoteHead) return true;
  const earlier = await earlierCommits(git, remoteHead, head);
  if (!earlier.length) return true;
  const theirs = new Set(earlier.map((c) => c.commit));
  const tags = (await Promise.all(DECISION_TAG_FAMILIES.map((f) => git.refs(`refs/tags/${f}/`)))).flat().filter((t) => theirs.has(t.target));
  lock.check();
  const pushed = await pushRefs(git, target, [{ local: head, remote: `refs/heads/${target.branch}` }, ...tags.map((t) => ({ local: t.ref, remote: t.ref }))], true);
  if (!pushed.ok && pushed.retry && mayRetry) return false;
  if (!pushed.ok) {
    throw new PushError(`nothing new to write, but ${earlier.length} local commit(s) that are not on ${target.remote}/${target.branch} yet could not be pushed: ${pushed.detail}`, {
      hint: `they stay on your branch; run the command again when the remote is reachable, or: git push ${target.remote} HEAD:${target.branch}`,
      data: { remote: target.remote, branch: target.branch, commits: earlier.map((c) => c.commit) },
    });
  }
  await git.updateRef(target.trackingRef, head);
  host.notify?.(`nothing new to write; pushed ${head.slice(0, 10)}${tags.length ? ` and ${tags.map((t) => t.ref.replace(/^refs\/tags\//, '')).join(', ')}` : ''} to ${target.remote}/${target.branch}${alongWith(earlier)}`);
  host.clearCache();
  return true;
}

/** Local commits the remote lacks, oldest first: `remoteHead..tip` (`belowTip`: without tip itself), less `except`. */
async function earlierCommits(git: Git, remoteHead: string | undefined, tip: string, except?: string, belowTip = false): Promise<{ commit: string; subject: string }[]> {
  if (!remoteHead) return [];
  const range = belowTip ? `${remoteHead}..${tip}~1` : `${remoteHead}..${tip}`;
  return ((await git.commitSubjects(range)) ?? []).filter((c) => c.commit !== except);
}

function alongWith(earlier: { commit: string; subject: string }[]): string {
  if (!earlier.length) return '';
  const shown = earlier.slice(0, 5).map((c) => `${c.commit.slice(0, 10)} "${c.subject}"`).join(', ');
  return `, with ${earlier.length} earlier local commit(s) that were not on the remote yet: ${shown}${earlier.length > 5 ? ', …' : ''}`;
}

/** Nothing of this write stays: the branch goes back to where it was before the command. */
async function backTo(host: WriteHost, started: string | undefined, unpushed: Made | undefined, e: unknown): Promise<void> {
  const { git } = host;
  if (unpushed) await deleteDecisionTags(git, unpushed.tags).catch(() => {});
  if (unpushed && e instanceof ModelgitError && !(e instanceof PushError)) {
    // The operation was redone on the remote's new state and failed there (a gate, a removed model).
    const note = 'the remote moved and the operation no longer applies there; your earlier local attempt was undone, nothing was written';
    e.hint = e.hint ? `${e.hint}\n  ${note}` : note;
  }
  if (!started || (await git.head()) === started) return;
  try {
    await moveBranch(git, started);
  } catch (err) {
    if (e instanceof ModelgitError) {
      const note = `and the branch could not be put back where it was (${started.slice(0, 10)}): ${(err as Error).message}`;
      e.hint = e.hint ? `${e.hint}\n  ${note}` : note;
    }
  } finally {
    host.clearCache();
  }
}
