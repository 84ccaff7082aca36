// The write engine behind `reg.write(plan)`: under the registry lock, `plan` reads fresh state and
// says what commit to make; the engine makes exactly one commit (and the stage tags a plan asks
// for), optionally on a new branch, and with --push publishes it. A *series* plan (import: several
// commits, all or nothing) goes through the same engine and is pushed as a whole.
//
// --push rebuilds the *operation*, not the text diff (DESIGN §4b). When the remote moved, the
// engine fetches, moves the branch onto the remote head, runs `plan` again — so register picks a
// fresh id, test appends to the model's current file, promote re-checks its gates and renumbers
// its tag — commits and pushes again, with bounded jittered retries. Crash safety: the local
// commit of a rejected attempt is only ever a *local* copy of an operation that never reached the
// remote, so dropping it before the re-run can't lose anything the user was told had happened;
// if the re-run fails, the branch goes back to that commit and the user is told it is unpushed.
// A series is never kept half-way: when it does not land on the remote, for whatever reason, its
// commits are dropped and the branch goes back to where it was before the command.
import { ConflictError, ModelgitError, PushError } from '../errors.js';
import type { Git } from '../git/git.js';
import { pushTarget, type PushTarget } from './branches.js';
import { beginWrite, endWrite, hasInterruptedWrite, recoverInterruptedWrite } from './journal.js';
import { deleteTags, fetchRemote, integrate, moveBranch, pushRefs, pushRetries, retryDelay } from './push.js';
import { checkBeforeWrite } from './write-guards.js';
import { assertCommittable, commitChanges, commitSeries, readStaged, withWriteLock, type CommitSpec } from './transaction.js';

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

export interface WriteOptions {
  /** push the commit (and its tags) to the current branch's upstream, retrying when the remote moved */
  push?: boolean;
}

/** What the engine needs from the registry (kept narrow so tests and other callers can supply it). */
export interface WriteHost {
  git: Git;
  gitDir: string;
  clearCache(): void;
  notify?: (message: string) => void;
}

export async function runWrite<T>(host: WriteHost, plan: () => Promise<WritePlan<T>>, opts: WriteOptions = {}): Promise<T> {
  await checkBeforeWrite(host); // a detached HEAD refuses; a missing pre-commit hook warns once (write-guards.ts)
  return withWriteLock(host.gitDir, async () => {
    const recovered = await recoverInterruptedWrite(host.git, host.gitDir);
    if (recovered) host.notify?.(recovered);
    if (opts.push) return pushLoop(host, plan);
    host.clearCache(); // someone may have committed while we waited for the lock
    // The staged check reads git's index while the plan reads what it needs: both come before any write.
    const staged = readStaged(host.git);
    const p = await plan();
    if ('nothing' in p) return p.nothing;
    const made = await make(host, p, staged);
    host.clearCache();
    return answer(p, made);
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
async function make(host: WriteHost, p: CommitPlan | SeriesPlan, staged?: Promise<string[]>): Promise<Made> {
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

async function createTags(git: Git, commit: string, tags: TagSpec[]): Promise<string[]> {
  const made: string[] = [];
  for (const t of tags) {
    const r = await git.run(['tag', '-a', '--cleanup=verbatim', '-F', '-', t.name, commit], { input: t.message });
    if (r.code !== 0) {
      await deleteTags(git, made).catch(() => {});
      throw new ModelgitError(`committed ${commit.slice(0, 10)}, but could not write the tag ${t.name}: ${r.stderr.trim()}`, {
        hint: 'modelgit sync-tags writes the missing stage tags',
      });
    }
    made.push(t.name);
  }
  return made;
}

/** The commit, and where the branch was before it (`base`). */
async function makeCommit(host: WriteHost, p: CommitPlan, staged?: Promise<string[]>): Promise<WriteOutcome & { base: string | undefined }> {
  const { git, gitDir } = host;
  const paths = p.spec.changes.map((c) => c.path);
  if (!p.branch) {
    const base = await beginWrite(git, gitDir, { paths, subject: p.spec.subject, staged });
    let commit: string;
    try {
      commit = await commitChanges(git, p.spec, base);
    } finally {
      endWrite(gitDir);
    }
    return { commit, commits: [commit], tags: await createTags(git, commit, p.tags ?? []), base: base.head };
  }
  // A new branch for a pull request: switch, commit, switch back. The index must be clean first,
  // or the switch would carry someone's staged work onto the promotion branch.
  await assertCommittable(git, paths);
  const started = await git.head();
  const returnTo = (await git.currentBranch()) ?? started;
  if (!returnTo) throw new ConflictError('the repository has no commit yet to branch from');
  const sw = await git.run(['switch', '--quiet', '-c', p.branch]);
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
    await git.run(['switch', '--quiet', returnTo]);
    await git.run(['branch', '-D', '--', p.branch]);
    endWrite(gitDir);
    throw e;
  }
  await git.text(['switch', '--quiet', returnTo]);
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

async function pushLoop<T>(host: WriteHost, plan: () => Promise<WritePlan<T>>): Promise<T> {
  const { git } = host;
  const target = await pushTarget(git);
  const attempts = pushRetries() + 1;
  // Where the branch was. A failure puts it back here (undoing the catch-up with the remote too),
  // unless the error names a commit of ours that it deliberately leaves on the branch.
  const started = await git.head();
  let keep = false;
  // Our commit(s) and tags from a rejected attempt: a local copy of an operation the remote never got.
  let unpushed: Made | undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      const began = Date.now();
      // Our tags from the rejected attempt go first: the remote may now hold tags of the same name.
      if (unpushed) await deleteTags(git, unpushed.tags);
      const remoteHead = await fetchRemote(git, target);
      if (unpushed) await moveBranch(git, unpushed.base ?? `${unpushed.commit}~1`);
      await integrate(git, remoteHead);
      host.clearCache();
      const p = await plan();
      // Nothing to do on the remote's state (someone did it meanwhile): our old attempt is moot.
      if ('nothing' in p) {
        keep = true; // the branch is on the remote head: the state the answer describes
        return p.nothing;
      }
      const before = await git.head();
      let made: Made;
      try {
        made = await make(host, p);
      } catch (e) {
        // A commit made but its tag refused (the error says so): that commit stays.
        keep = !unpushed && (await git.head()) !== before;
        throw e;
      }
      host.clearCache();
      if (made.commits.length === 0) {
        keep = true;
        return answer(p, made);
      }
      const refs = made.branch
        ? [{ local: `refs/heads/${made.branch}`, remote: `refs/heads/${made.branch}` }]
        : [{ local: made.commit, remote: `refs/heads/${target.branch}` }, ...made.tags.map((t) => ({ local: `refs/tags/${t}`, remote: `refs/tags/${t}` }))];
      let pushed = await pushRefs(git, target, refs, true);
      if (pushed.ok && pushed.upToDate.includes(refs[0]!.remote)) {
        // The remote already had our very commit: another writer did the same operation in the same
        // second under the same identity, so the two commits are one object. That write is theirs;
        // ours must be made again on top of it (a fresh id, a second result), like any other race.
        pushed = { ok: false, retry: true, detail: `${refs[0]!.remote} already held an identical commit from another writer` };
      }
      if (pushed.ok) {
        keep = true;
        const info: PushInfo = { remote: target.remote, branch: made.branch ?? target.branch, attempts: attempt };
        if (!made.branch) await git.run(['update-ref', target.trackingRef, made.commit]);
        const what = made.commits.length > 1 ? `${made.commits.length} commits (${made.commits[0]!.slice(0, 10)}..${made.commit.slice(0, 10)})` : made.commit.slice(0, 10);
        host.notify?.(`pushed ${what}${made.tags.length ? ` and ${made.tags.join(', ')}` : ''} to ${target.remote}/${info.branch}${attempt > 1 ? ` (attempt ${attempt}: the remote had moved)` : ''}`);
        return answer(p, { ...made, pushed: info });
      }
      const where = `${target.remote}/${made.branch ?? target.branch}`;
      const refused = !pushed.retry || !!made.branch;
      if (made.series && (refused || attempt >= attempts)) {
        // All or nothing: the series goes (the catch below puts the branch back where it was).
        throw new PushError(
          refused
            ? `${where} refused the push: ${pushed.detail}; the ${made.commits.length} commit(s) were undone, nothing was written`
            : `the remote kept moving: ${attempts} pushes to ${where} were rejected; the ${made.commits.length} commit(s) were undone, nothing was written`,
          {
            hint: refused
              ? /protected|declined|hook/i.test(pushed.detail)
                ? 'the remote does not take direct pushes here: run the command without --push on a branch, push that branch and open a pull request'
                : 'run the same command again when the remote is reachable (without --push it commits locally only)'
              : 'run the same command again later (MODELGIT_PUSH_RETRIES raises the number of tries)',
            data: { remote: target.remote, branch: target.branch },
          },
        );
      }
      if (refused) {
        keep = true;
        throw new PushError(`committed ${made.commit.slice(0, 10)} locally, but ${where} refused the push: ${pushed.detail}`, {
          hint: /protected|declined|hook/i.test(pushed.detail)
            ? 'the remote does not take direct pushes here: push the commit to a branch and open a pull request (promotions: modelgit promote … --branch --push)'
            : `the commit is kept on your branch; push it when the remote is reachable: git push ${target.remote} HEAD:${made.branch ?? target.branch}`,
          data: { commit: made.commit, tags: made.tags, remote: target.remote, branch: made.branch ?? target.branch },
        });
      }
      if (attempt >= attempts) {
        keep = true;
        throw new PushError(`the remote kept moving: ${attempts} pushes to ${where} were rejected; committed ${made.commit.slice(0, 10)} locally, not pushed`, {
          hint: `run the same command again later, or publish this commit: git pull --rebase ${target.remote} ${target.branch} && git push (MODELGIT_PUSH_RETRIES raises the number of tries)`,
          data: { commit: made.commit, tags: made.tags, remote: target.remote, branch: target.branch },
        });
      }
      unpushed = made;
      await sleep(retryDelay(attempt, Date.now() - began));
    }
  } catch (e) {
    if (!keep) {
      if (unpushed && !unpushed.series) await restoreUnpushed(host, unpushed, target, e);
      else await backTo(host, started, unpushed, e);
    }
    throw e;
  }
}

/** Nothing of this write stays: the branch goes back to where it was before the command. */
async function backTo(host: WriteHost, started: string | undefined, unpushed: Made | undefined, e: unknown): Promise<void> {
  const { git } = host;
  if (unpushed) await deleteTags(git, unpushed.tags).catch(() => {});
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

/** The re-run failed on the remote's new state: put the branch back on our unpushed commit and say so. */
async function restoreUnpushed(host: WriteHost, unpushed: WriteOutcome, target: PushTarget, e: unknown): Promise<void> {
  try {
    await moveBranch(host.git, unpushed.commit);
  } catch {
    /* the error below still names the commit */
  }
  if (e instanceof ModelgitError) {
    const note = `the remote moved and the operation no longer applies there; your earlier attempt ${unpushed.commit.slice(0, 10)} is on your branch, unpushed (git reset --keep ${target.remote}/${target.branch} drops it)`;
    e.hint = e.hint ? `${e.hint}\n  ${note}` : note;
  }
}
