// best --record [--push]: the best model, decided exactly as `best` decides it, recorded as an
// annotated tag best/<algorithm>/<dataset>/<metric>/<n> when it changed (DESIGN §4). With --push
// the tag goes to the remote: numbered after the remote's tags, and renumbered (or found no longer
// needed) when another machine took the number first. A file of its own so that a plain `best`,
// a read, never loads the tag writer and the push loop (the CLI picks which of the two to call).
import { ConflictError, GitError, PushError } from '../errors.js';
import { bestChanged, bestTagFamily, bestTagMessage, nextBestTagName, parseBestTags, type BestTag } from '../domain/best-record.js';
import type { Registry, RemoteState } from './registry.js';
import { answerAt, checkQuery, type BestAnswer, type BestOutcome, type BestQuery } from './best.js';
import { headRevision } from './query-options.js';

/**
 * The query of `best`. `push`: publish the tag (default: the registry's push option, the CLI's
 * --push). `at` is refused: the tag records the current best.
 */
export type RecordBestQuery = BestQuery;

/**
 * With --push: fetch the remote's best tags, decide against the highest of the family (the remote's
 * included), tag, and push just that tag. When the remote took the number meanwhile, our tag is
 * deleted and the decision made again on what the remote now has (it may be moot).
 */
export async function recordBest(reg: Registry, q: RecordBestQuery): Promise<BestOutcome> {
  const r = checkQuery(reg, q, true);
  const git = reg.git;
  return reg.writeTags(
    async (remote) => {
      const head = await headRevision(reg);
      if (remote?.attempt === 1 && remote.head && !(await git.isAncestor(remote.head, head))) {
        // The answer is as of HEAD (the tag must name what the user looked at), which may be stale.
        const behind = await git.commitCount(`${head}..${remote.head}`);
        reg.notify?.(`note: your branch is ${behind} commit(s) behind ${remote.target.remote}/${remote.target.branch}; the best is decided on your HEAD (git pull first to decide on the shared state)`);
      }
      const outcome = await answerAt(reg, r, head);
      const recorded = await tagBest(reg, outcome.answer, remote && publishableOn(reg, remote));
      const tag = recorded.current_tag!;
      return {
        created: recorded.tag ? [recorded.tag] : [],
        publish: [tag],
        answer: (pushed) => {
          if (!remote || !pushed) return { ...outcome, answer: { ...recorded, pushed: null } };
          const { target } = remote;
          reg.notify?.(pushed.alreadyThere.includes(tag) ? `${tag} is already on ${target.remote}` : `pushed ${tag} to ${target.remote}${pushed.attempts > 1 ? ` (attempt ${pushed.attempts}: the remote had moved)` : ''}`);
          return { ...outcome, answer: { ...recorded, pushed: { remote: target.remote, tag, attempts: pushed.attempts } } };
        },
        giveUp: ({ retry, detail, spent }) =>
          new PushError(
            retry
              ? `the remote kept taking the number: ${spent} of a best tag to ${remote!.target.remote} were rejected; no tag written`
              : `${remote!.target.remote} refused the tag ${tag}: ${detail}${recorded.tag ? '; no tag written' : ''}`,
            { hint: retry ? 'run best --record --push again (MODELGIT_PUSH_DEADLINE=seconds allows longer; MODELGIT_PUSH_RETRIES caps the tries)' : `check the remote: git push ${remote!.target.remote} refs/tags/${tag}` },
          ),
      };
    },
    // Nothing is recorded unless the remote has it: a tag the push gave up on goes.
    { push: q.push ?? reg.push, keepUnpushed: false },
  );
}

/** A tag must not be the only way the remote learns of a commit: it names history the branch has. */
function publishableOn(reg: Registry, remote: RemoteState): (commit: string, what: string) => Promise<void> {
  const { target, head } = remote;
  return async (commit, what) => {
    if (!head || !(await reg.git.isAncestor(commit, head))) {
      throw new PushError(`${what} (${commit.slice(0, 10)}) is not on ${target.remote}/${target.branch}; a best tag is only pushed for a commit the remote branch has; nothing was tagged or pushed`, {
        hint: `push your branch first (git push ${target.remote} HEAD:${target.branch}, or write with --push), then run best --record --push again`,
      });
    }
  };
}

/** `publishable(commit, what)` refuses (throws) a tag on a commit that can't be published. */
async function tagBest(reg: Registry, a: BestAnswer, publishable?: (commit: string, what: string) => Promise<void>): Promise<BestAnswer> {
  const family = bestTagFamily(a.algorithm, a.dataset, a.metric);
  const tags = parseBestTags(await reg.decisionTags(family), family);
  const latest: BestTag | undefined = tags[tags.length - 1];
  if (!bestChanged(latest, a.model_id, a.value)) {
    await publishable?.(latest!.target, `the commit ${latest!.name} points at`);
    return { ...a, tag: null, current_tag: latest!.name };
  }
  if (!a.commit) throw new GitError(`could not find the commit that recorded ${a.model_id}'s ${a.metric} result; no tag written`);
  await publishable?.(a.commit, `the commit that recorded ${a.model_id}'s ${a.metric} result`);
  const name = nextBestTagName(family, tags);
  const message = bestTagMessage({
    algorithm: a.algorithm,
    dataset: a.dataset,
    metric: a.metric,
    direction: a.direction,
    aggregate: a.aggregate,
    modelId: a.model_id,
    value: a.value,
    runnerUp: a.runner_up ? { modelId: a.runner_up.model_id, value: a.runner_up.value } : undefined,
    candidates: a.candidates,
    previous: latest,
  });
  await reg.createDecisionTags([{ name, commit: a.commit, message }], (_t, gitWords) =>
    /already exists/.test(gitWords)
      ? new ConflictError(`tag ${name} already exists; tags are never moved`, { hint: 'git fetch --tags, then run best --record again' })
      : new GitError(`git tag ${name} failed: ${gitWords}`),
  );
  return { ...a, tag: name, current_tag: name };
}
