// Tag-only writes: best --record and sync-tags write decision tags and no commit, so they don't go
// through the engine, but they race other machines for the same tag numbers just as commits race
// for the branch. This is their one loop: under the write lock, (with --push) fetch the remote's
// decision tags, let the caller decide and tag on what is now known, push just those tags, and when
// the remote took a number first, drop our tags and decide again — until the remote has them or
// the retry budget the engine uses too (git/remote.ts retryBudget) runs out.
import type { Git } from '../../git/git.js';
import { pushTarget, type PushTarget } from '../../git/branches.js';
import { fetchRemote, pushRefs, retryBudget, retryDelay } from '../../git/remote.js';
import { withWriteLock } from './commit.js';
import { deleteDecisionTags } from './tags.js';

/** What a tag-only write needs (a Registry is one). */
export interface TagWriteHost {
  git: Git;
  gitDir: string;
}

/** With --push, what an attempt decides on: the remote, its head as just fetched, and which try this is. */
export interface RemoteState {
  target: PushTarget;
  /** undefined when the branch does not exist on the remote yet */
  head: string | undefined;
  attempt: number;
}

/** The push that made the tags public: how many tries it took, and which tags the remote already had. */
export interface TagsPushed {
  attempts: number;
  alreadyThere: string[];
}

/** What one attempt decided and did. */
export interface TagAttempt<T> {
  /** the tags this attempt created: a rejected push deletes them (the remote may hold their numbers now) */
  created: string[];
  /** the tags the remote must have for the answer to hold (just created or older); none: nothing to push */
  publish: string[];
  /** the answer; `pushed` is undefined without --push or when there was nothing to publish */
  answer(pushed?: TagsPushed): T;
  /** the error when the remote refused the tags (`retry` false) or kept taking the numbers past the budget */
  giveUp(rejection: { retry: boolean; detail: string; spent: string }): Error;
}

export interface TagWriteOptions {
  /** publish the tags to the current branch's upstream */
  push: boolean;
  /**
   * When the push gives up, keep this attempt's tags locally, to be pushed later (sync-tags: they
   * describe history the branch has, true whatever the remote says), instead of deleting them (best
   * --record: a best is recorded only once the remote has it).
   */
  keepUnpushed: boolean;
}

/**
 * Runs `attempt` under the write lock, once without --push; with it, after fetching the remote,
 * and again after every push the remote rejected because it moved. Several tags go all or nothing.
 */
export function writeTags<T>(host: TagWriteHost, attempt: (remote?: RemoteState) => Promise<TagAttempt<T>>, opts: TagWriteOptions): Promise<T> {
  const { git } = host;
  // Numbering and creating tags happen under the write lock, on a HEAD no modelgit writer can move meanwhile.
  return withWriteLock(host.gitDir, async () => {
    const target = opts.push ? await pushTarget(git) : undefined;
    if (!target) return (await attempt()).answer();
    const budget = retryBudget();
    for (let n = 1; ; n++) {
      const began = Date.now();
      const head = await fetchRemote(git, target);
      const a = await attempt({ target, head, attempt: n });
      if (a.publish.length === 0) return a.answer();
      const refs = a.publish.map((t) => ({ local: `refs/tags/${t}`, remote: `refs/tags/${t}` }));
      const r = await pushRefs(git, target, refs, true);
      if (r.ok) return a.answer({ attempts: n, alreadyThere: a.publish.filter((t) => r.upToDate.includes(`refs/tags/${t}`)) });
      const givingUp = !r.retry || !budget.allows(n);
      // Ours, made just now, unless kept on purpose: the remote may have taken their numbers.
      if (!(givingUp && opts.keepUnpushed)) await deleteDecisionTags(git, a.created);
      if (givingUp) throw a.giveUp({ retry: r.retry, detail: r.detail, spent: budget.spent(n) });
      await new Promise((res) => setTimeout(res, retryDelay(n, Date.now() - began)));
    }
  });
}
