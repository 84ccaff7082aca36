// Writes without a checkout (issue #15): `modelgit --remote URL register|test|tag|untag|note`
// from a training node that has no clone. The registry is a bare partial cache of the remote
// (git/remote-cache.ts); a write fetches the branch tip, runs the operation's plan on it (plans
// read by path, so only the trees on the way and the one model file are fetched), builds the
// commit from the tip's trees with git plumbing (git/tree-edit.ts: no index, no work tree, so the
// cost does not grow with the number of models), checks it in-process with the rules the
// pre-commit hook and `validate --since` apply (no hook runs here), and pushes it — or, with
// --queue, sends it to a queue ref of its own. When the remote moved, the operation is planned
// again on the new tip (a fresh id, the result appended to the file as it is now), with the same
// deadline and jittered backoff as a --push from a clone (git/remote.ts).
//
// Exactly once: a rejected or failed attempt leaves nothing but an unreferenced object in the
// cache. What a re-run must find is an attempt whose push may have landed: each attempt is noted
// (its operation id and commit) before its push, and marked pushed after; a re-run of the same
// operation answers with a pushed one, and for one whose outcome is unknown (killed during its
// push) it fetches the history since that attempt began and looks for it there.
import { randomBytes, createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PushError, UsageError, ValidationError } from '../../errors.js';
import type { Git } from '../../git/git.js';
import { fetchTip, prefetchChangedBlobs, recordPushed, transientNetworkFailure, type RemoteCache } from '../../git/remote-cache.js';
import { pushRefs, retryBudget, retryDelay } from '../../git/remote.js';
import type { QueuedWrite, Reapplied, RoundSite } from './queue.js';
import { commitTree } from '../../git/tree-edit.js';
import type { ValidationReport } from '../../domain/validation.js';
import { QUEUEABLE_ACTIONS } from '../../domain/trailers.js';
import { modelgitDir, tracer } from '../cache/policy.js';
import { commitMessage, withWriteLock, type CommitSpec } from './commit.js';
import { replay, sameOutcomeOn, withOperation, type PushInfo, type WriteOptions, type WritePlan } from './engine.js';
import { envOperationId, findOperation, operationOf, OPERATION_TRAILER, type Operation } from './operations.js';

/** What a write without a checkout needs from the registry opened on the cache. */
export interface RemoteWriteHost {
  git: Git;
  gitDir: string;
  cache: RemoteCache;
  clearCache(): void;
  /** reads modelgit.yaml (and the schemas) again from the fetched tip */
  refreshConfig(): Promise<void>;
  /** the per-algorithm schema files of modelgit.yaml, as read */
  schemaFiles(): string[];
  /** the checks of `validate --since base` on `commit` */
  check(base: string, commit: string): Promise<ValidationReport>;
  notify?: (message: string) => void;
  operationId?: string;
  /** forget a derived identity's attempt only when the process exits 0 (the CLI: after printing the answer) */
  acknowledgeOnExit?: boolean;
  /** how drain re-applies a queued write (registry/drain.ts); without it a write the remote keeps rejecting never combines */
  reapplyQueued?(q: QueuedWrite): Promise<Reapplied>;
}

/** One attempt of an operation, noted in the cache before its push. */
interface Attempt {
  id: string;
  explicit: boolean;
  commit: string;
  began: string;
  state: 'pushing' | 'pushed';
}

const trace = tracer('modelgit-remote');

/** How far before an unfinished attempt began to fetch history when looking for it (clocks differ). */
const LOOKBACK_MS = 10 * 60_000;

function attemptFile(gitDir: string, id: string): string {
  return join(modelgitDir(gitDir, 'remote-operations'), `${createHash('sha256').update(id).digest('hex').slice(0, 24)}.json`);
}

function readAttempt(gitDir: string, id: string): Attempt | undefined {
  try {
    const a = JSON.parse(readFileSync(attemptFile(gitDir, id), 'utf8')) as Attempt;
    return a.id === id ? a : undefined;
  } catch {
    return undefined;
  }
}

function noteAttempt(gitDir: string, a: Attempt): void {
  const file = attemptFile(gitDir, a.id);
  mkdirSync(join(file, '..'), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(a) + '\n');
  renameSync(tmp, file);
}

export async function runRemoteWrite<T>(host: RemoteWriteHost, plan: () => Promise<WritePlan<T>>, opts: WriteOptions<T> = {}): Promise<T> {
  return withWriteLock(
    host.gitDir,
    async (lock) => {
      const { git, cache } = host;
      const target = cache.target;
      const op = opts.operation ?? operationOf(host.operationId ?? envOperationId());
      // A queued write with a derived identity gets one of its own, as from a clone (engine.ts).
      const ident = opts.queue && op && !op.explicit ? { id: `${op.id}-q${randomBytes(6).toString('hex')}`, explicit: false } : op;
      const marked = withOperation(plan, ident);
      const budget = retryBudget();
      const earlier = ident ? readAttempt(host.gitDir, ident.id) : undefined;

      /** The planned write of an attempt the remote rejected, and the tip it was planned on. */
      type Planned = { p: Exclude<WritePlan<T>, { nothing: T }>; specs: CommitSpec[]; base: string };
      let lost: Planned | undefined;
      // A push the network cut: it may have landed (the remote updated its branch, we never heard).
      let cutPush: { commit: string; commits: string[]; p: Planned['p']; began: number } | undefined;

      /**
       * One attempt on `base` (the tip, or a queued registration): its answer, or `retry` when the
       * remote moved. `again`: the write of the rejected attempt, put on `base` as it is (replay-safety.ts).
       */
      const attemptOn = async (base: string, attempt: number, began: number, again?: Planned): Promise<{ value: T } | { retry: true }> => {
        const p = again?.p ?? (await marked());
        if ('nothing' in p) return { value: p.nothing };
        const specs = again?.specs ?? ('spec' in p ? [p.spec] : p.specs);
        if ('spec' in p && (p.branch || p.tags?.length)) {
          throw new UsageError(`--remote: ${p.branch ? 'a write on a new branch' : 'a write that makes decision tags (a promotion)'} needs a clone; nothing was written`, {
            hint: `clone the registry (git clone ${cache.url}) and run the command there`,
          });
        }
        const action = specs.length === 1 ? specs[0]!.trailers.find(([k]) => k === 'Model-Action')?.[1] : undefined;
        const queueable = !!action && QUEUEABLE_ACTIONS.includes(action);
        const toQueue = opts.queue === true || (opts.queue === 'if-supported' && queueable);
        if (toQueue && !queueable) {
          throw new UsageError(`--queue: ${action ?? 'this write'} can't be queued (drain re-applies ${QUEUEABLE_ACTIONS.join(', ')}); nothing was written`, { hint: 'run it with --push instead' });
        }
        lock.check();
        const commits = await buildCommits(git, base, specs);
        const commit = commits[commits.length - 1]!;
        // Checked when planned; a write put on a new tip unchanged was checked against the same files and rules.
        const report = again ? undefined : await host.check(base, commit);
        if (report && !report.ok) {
          throw new ValidationError(`the new commit fails the registry's checks (the rules of its pre-commit hook); nothing was pushed`, report.errors, {
            hint: 'modelgit validate --since names the same problems in a clone',
          });
        }
        const note = (state: Attempt['state']) => ident && noteAttempt(host.gitDir, { id: ident.id, explicit: ident.explicit, commit, began: new Date(began).toISOString(), state });
        note('pushing');
        if (toQueue) {
          const { sendToQueue } = await import('./queue.js');
          const info = await sendToQueue(git, target, commit, ident?.id, undefined, host.notify);
          note('pushed');
          const value = await p.result(commit, { commit, commits, tags: [] });
          if (value && typeof value === 'object') Object.assign(value as object, { queued: info });
          return { value: settle(host, ident, value) };
        }
        const pushed = await pushRefs(git, target, [{ local: commit, remote: `refs/heads/${target.branch}` }], false);
        if (pushed.ok && !pushed.upToDate.includes(`refs/heads/${target.branch}`)) {
          note('pushed');
          await git.updateRef(target.trackingRef, commit);
          recordPushed(cache, commit);
          host.clearCache();
          const info: PushInfo = { remote: cache.url, branch: target.branch, attempts: attempt };
          host.notify?.(`pushed ${commit.slice(0, 10)} to ${cache.url} (${target.branch})${attempt > 1 ? ` (attempt ${attempt}: the remote had moved)` : ''}`);
          return { value: settle(host, ident, await p.result(commit, { commit, commits, tags: [], pushed: info })) };
        }
        // Rejected again and again (or while writers wait in the queue): the write joins the queue and drains it.
        if (!pushed.ok && pushed.retry) {
          const c = await combined(p, specs[0]!, base, commit, attempt, began);
          if (c) return c;
        }
        // Not taken: this attempt never reached the branch, so it is no longer one to look for
        // (a push the network cut stays noted: it is looked for below).
        if (ident && (pushed.ok || !pushed.unreached)) rmSync(attemptFile(host.gitDir, ident.id), { force: true });
        // An identical commit already there is another writer's same operation in the same second: ours is made again on top.
        if (pushed.ok || pushed.retry) {
          lost = pushed.ok ? undefined : { p, specs, base };
          return { retry: true };
        }
        // The network dropped the push (it never reached the remote's refs): tried again within the deadline.
        if (pushed.unreached && transientNetworkFailure(pushed.detail) && budget.allows(attempt)) {
          lost = { p, specs, base };
          cutPush = { commit, commits, p, began };
          return { retry: true };
        }
        const failedHow = pushed.unreached ? `the push to ${cache.url} failed` : `${cache.url} refused the push`;
        throw new PushError(`${failedHow}: ${pushed.detail}; nothing was written`, {
          hint: /protected|declined|hook/i.test(pushed.detail)
            ? 'the remote does not take direct pushes to this branch: use --queue (modelgit drain applies it), or write from a clone and open a pull request'
            : 'run the same command again when the remote is reachable',
          data: { remote: cache.url, branch: target.branch },
        });
      };

      /**
       * Combining (combine.ts), as a --push from a clone does: a single commit of an operation drain
       * can re-apply, rejected `combineAfter()` times, goes to a queue ref of its own and this
       * machine drains the queue in its cache (only the cache's branch ref moves: there is no work
       * tree). Undefined: keep pushing directly.
       */
      const combined = async (p: Planned['p'], spec: CommitSpec, base: string, commit: string, attempt: number, began: number): Promise<{ value: T } | undefined> => {
        if (!host.reapplyQueued || opts.combine === false || !('spec' in p)) return undefined;
        const action = spec.trailers.find(([k]) => k === 'Model-Action')?.[1];
        const { combine, joinsQueue } = await import('./combine.js');
        if (!action || !(await joinsQueue(git, target.remote, action, attempt))) return undefined;
        // A write without an identity (tag, note) gets one, so whoever drains it, it is found on the branch.
        let id = ident;
        let queued = commit;
        if (!id) {
          id = { id: `auto-${action}-${randomBytes(12).toString('hex')}`, explicit: false };
          queued = await commitTree(git, { base, changes: spec.changes, message: commitMessage({ ...spec, trailers: [...spec.trailers, [OPERATION_TRAILER, id.id]] }), author: spec.author });
        }
        const noteAs = (c: string, state: Attempt['state']) => ident && noteAttempt(host.gitDir, { id: ident.id, explicit: ident.explicit, commit: c, began: new Date(began).toISOString(), state });
        // (a re-run after a kill looks for it on the branch by its identity: drained, or still to come)
        noteAs(queued, 'pushing');
        const site: RoundSite = {
          bare: true,
          fetch: (since) => fetchTip(cache, { since }),
          move: async (c) => {
            await git.updateRef(target.trackingRef, c);
          },
          prefetch: (commits, tip) => prefetchChangedBlobs(git, commits, tip),
        };
        const c = await combine(
          { git, gitDir: host.gitDir, notify: host.notify, clearCache: () => host.clearCache(), reapplyQueued: (q) => host.reapplyQueued!(q), site },
          target,
          lock,
          budget,
          { commit: queued, operationId: id.id, since: base, attempt, began },
        );
        if (!c) return undefined;
        noteAs(c.found.commit, 'pushed');
        host.clearCache();
        const info: PushInfo = { remote: cache.url, branch: target.branch, attempts: c.attempts };
        host.notify?.(`landed on ${cache.url} (${target.branch}) as ${c.found.commit.slice(0, 10)} through the queue (attempt ${c.attempts})`);
        const value = await replay({ ...host, git }, id, c.found, opts.replay, marked, info, true);
        // the answer of this run's own write, not of an earlier one
        if (value && typeof value === 'object' && 'replayed' in value) delete (value as { replayed?: unknown }).replayed;
        return { value: settle(host, ident, value) };
      };

      /** The rejected write, when it can go on `tip` unchanged (replay-safety.ts). */
      const sameWriteOn = async (planned: Planned, tip: string): Promise<Planned | undefined> => {
        if (planned.specs.length !== 1 || planned.base === tip) return undefined;
        return (await sameOutcomeOn(git, planned.base, tip, planned.specs[0]!, host.schemaFiles(), trace)) ? planned : undefined;
      };

      for (let attempt = 1; ; attempt++) {
        const began = Date.now();
        // An attempt whose push may have landed: fetch the history since it began, to look for it.
        const unsure = attempt === 1 && earlier?.state === 'pushing';
        // The tip that opening the registry fetched a moment ago serves the first attempt.
        const fetched = attempt === 1 && cache.fresh && !unsure ? (cache.tip ?? (await git.resolveCommit(target.trackingRef))) : undefined;
        let tip: string | undefined;
        let again: Planned | undefined;
        try {
          const since = unsure ? Date.parse(earlier!.began) : cutPush?.began;
          tip = fetched ?? (await fetchTip(cache, since !== undefined ? { since: new Date(since - LOOKBACK_MS) } : {}));
          if (!tip) throw new PushError(`${cache.url} has no branch ${target.branch} to write to`, { hint: 'create the registry first: modelgit init, commit, git push' });
          // The push the network cut landed after all: that is the answer, never a second write.
          if (cutPush && ident && (await findOperation(git, ident.id, 'HEAD'))?.commit === cutPush.commit) {
            const landed = cutPush;
            noteAttempt(host.gitDir, { id: ident.id, explicit: ident.explicit, commit: landed.commit, began: new Date(landed.began).toISOString(), state: 'pushed' });
            host.notify?.(`pushed ${landed.commit.slice(0, 10)} to ${cache.url} (${target.branch}): the connection dropped as the remote took it`);
            return settle(host, ident, await landed.p.result(landed.commit, { commit: landed.commit, commits: landed.commits, tags: [], pushed: { remote: cache.url, branch: target.branch, attempts: attempt - 1 } }));
          }
          cutPush = undefined;
          // The fast retry: when what the others wrote meanwhile can't change this write, only its commit is rebuilt.
          again = lost && !fetched ? await sameWriteOn(lost, tip) : undefined;
          if (!fetched && !again) await host.refreshConfig();
        } catch (e) {
          // A connection the network dropped (a busy server) is tried again within the deadline.
          if (!(e instanceof PushError && e.data?.transient === true && budget.allows(attempt))) throw e;
          await new Promise((r) => setTimeout(r, retryDelay(attempt, Date.now() - began)));
          continue;
        }
        lost = undefined;
        host.clearCache();
        if (attempt === 1 && ident && earlier) {
          const found = earlier.state === 'pushed' ? await foundCommit(git, earlier.commit) : unsure ? await findOperation(git, ident.id, 'HEAD') : undefined;
          if (found) return settle(host, ident, await replay({ ...host, git }, ident, found, opts.replay, marked));
        }
        const onto = opts.queue ? await opts.queueOnto?.() : undefined;
        if (onto) {
          // Planned on this cache's queued registration; the cache's branch goes back to the tip after.
          await git.updateRef(target.trackingRef, onto);
          host.clearCache();
          try {
            const outcome = await attemptOn(onto, attempt, began);
            if ('value' in outcome) return outcome.value;
            throw new PushError(`could not queue the write on ${cache.url}; nothing was written`, { hint: 'run the same command again' });
          } finally {
            await git.updateRef(target.trackingRef, tip);
            host.clearCache();
          }
        }
        const outcome = await attemptOn(tip, attempt, began, again);
        if ('value' in outcome) return outcome.value;
        if (!budget.allows(attempt)) {
          throw new PushError(`the remote kept moving: ${budget.spent(attempt)} to ${cache.url} (${target.branch}) were rejected; nothing was written`, {
            hint: 'run the same command again later, or use --queue (MODELGIT_PUSH_DEADLINE=seconds allows longer)',
            data: { remote: cache.url, branch: target.branch },
          });
        }
        await new Promise((r) => setTimeout(r, retryDelay(attempt, Date.now() - began)));
      }
    },
    { notify: host.notify },
  );
}

/** The commits of `specs`, each on the one before, the first on `base`: trees edited, no work tree. */
async function buildCommits(git: Git, base: string, specs: CommitSpec[]): Promise<string[]> {
  const reader = git.objectReader();
  try {
    const made: string[] = [];
    let parent = base;
    for (const spec of specs) {
      parent = await commitTree(git, { base: parent, changes: spec.changes, message: commitMessage(spec), author: spec.author, reader });
      made.push(parent);
    }
    return made;
  } finally {
    reader.close();
  }
}

/** A commit this cache pushed earlier, as an operation found (its subject and trailers, read from the object the cache kept). */
async function foundCommit(git: Git, commit: string): Promise<{ commit: string; subject: string; action: string; modelIds: string[] } | undefined> {
  const log = await git.trailerLog([commit], ['Model-Action', 'Model-Id'], { limit: 1, subject: true });
  const e = log?.[0];
  if (!e) return undefined;
  return { commit: e.commit, subject: e.subject ?? '', action: e.trailers['Model-Action']![0] ?? '', modelIds: e.trailers['Model-Id']! };
}

/**
 * The answer is ready. An explicit identity stays noted (a retry with it answers with this commit);
 * a derived one is forgotten once the process exits 0, its answer printed — until then a re-run of
 * the same command answers with it instead of writing again.
 */
function settle<T>(host: RemoteWriteHost, op: Operation | undefined, value: T): T {
  if (op && !op.explicit) {
    const file = attemptFile(host.gitDir, op.id);
    if (!host.acknowledgeOnExit) rmSync(file, { force: true });
    else
      process.once('exit', (code) => {
        if (code === 0) rmSync(file, { force: true });
      });
  }
  return value;
}
