// best: the best model of an algorithm on one metric and dataset, optionally recorded as an
// annotated tag best/<algorithm>/<dataset>/<metric>/<n> when it changed (DESIGN §4). With --push
// the tag goes to the remote: numbered after the remote's tags, and renumbered (or found no longer
// needed) when another machine took the number first.
import type { ErrorLocation } from '../errors.js';
import { ConflictError, GitError, NotFoundError, PushError, UsageError } from '../errors.js';
import {
  bestChanged,
  bestTagFamily,
  bestTagMessage,
  nextBestTagName,
  parseBestTags,
  recordingCommit,
  type BestTag,
} from '../domain/best-record.js';
import { absoluteArtifactPath } from '../domain/artifacts.js';
import { chooseDataset, datasetsWithMetric } from '../domain/datasets.js';
import { metricAggregate, metricDirection } from '../domain/metrics.js';
import { assertSafeName } from '../domain/names.js';
import { summaryOf } from '../domain/summary.js';
import { scoreOf, selectBest, type Selection } from '../domain/selection.js';
import type { Aggregate, Direction, Model, ModelMetadata } from '../domain/types.js';
import type { Registry } from './registry.js';
import { assertAggregate, assertDirection, checkInvalidFiles, headRevision, resolveRevision, unknownDirection } from './query-options.js';
import { skippedFiles, type SkippedFile } from '../domain/invalid-files.js';
import { withWriteLock } from '../store/write/commit.js';
import { commitsChanging } from '../store/cache/history-index.js';
import { registryModels } from '../store/models.js';
import { MemoFile } from '../store/cache/memo-file.js';
import { cacheDisabled, modelgitDir } from '../store/cache/policy.js';
import { pushTarget, type PushTarget } from '../git/branches.js';
import { deleteTags, fetchRemote, isAncestor, pushRefs, retryBudget, retryDelay } from '../git/remote.js';
import type { PushInfo } from '../store/write/engine.js';

export interface BestQuery {
  algorithm: string;
  dataset?: string;
  /** default: config.default_metric */
  metric?: string;
  direction?: Direction;
  aggregate?: Aggregate;
  /** answer from this revision instead of HEAD */
  at?: string;
  /** write a best/… tag when the best changed */
  record?: boolean;
  /** with record: push the tag (default: the registry's push option, the CLI's --push) */
  push?: boolean;
  /** answer without this algorithm's unreadable model files (else they fail the query) */
  skipInvalid?: boolean;
}

/** The JSON shape of DESIGN §5b (fields may be added, never renamed or dropped). */
export interface BestAnswer {
  model_id: string;
  algorithm: string;
  dataset: string;
  metric: string;
  direction: Direction;
  aggregate: Aggregate;
  value: number;
  model_path: string | null;
  /** model_path as an absolute local path (null when remote or none recorded) */
  artifact_path: string | null;
  candidates: number;
  /** the commit that recorded the winning result */
  commit: string | null;
  tested_at: string | null;
  runner_up: { model_id: string; value: number } | null;
  /** the commit the answer was read from */
  revision: string;
  /** only with --record: the tag written now, or null when the best had not changed */
  tag?: string | null;
  /** only with --record: the tag that holds this best (the new one, or the existing one) */
  current_tag?: string | null;
  /** only with --record: where current_tag was pushed (--push), else null */
  pushed?: (Omit<PushInfo, 'branch'> & { tag: string }) | null;
  /** only with --skip-invalid: the algorithm's model files left out because they can't be read */
  skipped?: SkippedFile[];
}

export interface BestOutcome {
  answer: BestAnswer;
  /** the winner's metadata (for --field) */
  metadata: ModelMetadata;
  /** the unreadable files left out (--skip-invalid); without it they fail the query instead */
  problems: ErrorLocation[];
}

interface Resolved {
  algorithm: string;
  metric: string;
  dataset?: string;
  direction?: Direction;
  aggregate: Aggregate;
  skipInvalid: boolean;
}

function checkQuery(reg: Registry, q: BestQuery): Resolved {
  const algorithm = assertSafeName('algorithm', q.algorithm, '--algo');
  const dataset = q.dataset === undefined ? undefined : assertSafeName('dataset', q.dataset, '--dataset');
  const metric = assertSafeName('metric', q.metric ?? reg.config.default_metric, q.metric === undefined ? 'default_metric in modelgit.yaml' : '--metric');
  if (q.direction !== undefined) assertDirection(q.direction);
  // The flag, else the metric's setting in modelgit.yaml, else latest (one rule: metrics.ts).
  const aggregate = metricAggregate(reg.config, metric, q.aggregate === undefined ? undefined : assertAggregate(q.aggregate));
  if (q.record && q.at !== undefined) throw new UsageError('--record tags the current best; it cannot be combined with --at');
  if (q.push && !q.record) throw new UsageError('--push publishes the tag of --record; without --record best writes nothing to push');
  return { algorithm, metric, dataset, direction: q.direction, aggregate, skipInvalid: !!q.skipInvalid };
}

export async function best(reg: Registry, q: BestQuery): Promise<BestOutcome> {
  const r = checkQuery(reg, q);
  if (!q.record) return answerAt(reg, r, q.at === undefined ? await headRevision(reg) : await resolveRevision(reg, q.at), q.at);
  // Numbering and creating the tag happen under the write lock, on a HEAD no modelgit writer can move meanwhile.
  return withWriteLock(reg.gitDir, async () => {
    if (q.push ?? reg.push) return recordAndPush(reg, r, await pushTarget(reg.git));
    const outcome = await answerAt(reg, r, await headRevision(reg));
    return { ...outcome, answer: { ...(await recordBest(reg, outcome.answer)), pushed: null } };
  });
}

/**
 * --record --push: fetch the remote's best tags, decide against the highest of the family (the
 * remote's included), tag, and push just that tag. When the remote took the number meanwhile, our
 * tag is deleted and the decision made again on what the remote now has (it may be moot).
 */
async function recordAndPush(reg: Registry, r: Resolved, target: PushTarget): Promise<BestOutcome> {
  const git = reg.git;
  const budget = retryBudget();
  for (let attempt = 1; ; attempt++) {
    const began = Date.now();
    const remoteHead = await fetchRemote(git, target);
    const head = await headRevision(reg);
    if (attempt === 1 && remoteHead && !(await isAncestor(git, remoteHead, head))) {
      // The answer is as of HEAD (the tag must name what the user looked at), which may be stale.
      const behind = (await git.text(['rev-list', '--count', `${head}..${remoteHead}`])).trim();
      reg.notify?.(`note: your branch is ${behind} commit(s) behind ${target.remote}/${target.branch}; the best is decided on your HEAD (git pull first to decide on the shared state)`);
    }
    const outcome = await answerAt(reg, r, head);
    const recorded = await recordBest(reg, outcome.answer, async (commit, what) => {
      // A tag must not be the only way the remote learns of a commit: it names history the branch has.
      if (!remoteHead || !(await isAncestor(git, commit, remoteHead))) {
        throw new PushError(`${what} (${commit.slice(0, 10)}) is not on ${target.remote}/${target.branch}; a best tag is only pushed for a commit the remote branch has; nothing was tagged or pushed`, {
          hint: `push your branch first (git push ${target.remote} HEAD:${target.branch}, or write with --push), then run best --record --push again`,
        });
      }
    });
    const tag = recorded.current_tag!;
    const pushed = await pushRefs(git, target, [{ local: `refs/tags/${tag}`, remote: `refs/tags/${tag}` }], false);
    if (pushed.ok) {
      const already = pushed.upToDate.includes(`refs/tags/${tag}`);
      reg.notify?.(already ? `${tag} is already on ${target.remote}` : `pushed ${tag} to ${target.remote}${attempt > 1 ? ` (attempt ${attempt}: the remote had moved)` : ''}`);
      return { ...outcome, answer: { ...recorded, pushed: { remote: target.remote, tag, attempts: attempt } } };
    }
    // Ours, made just now: it goes, whatever happens next (nothing is recorded unless the remote has it).
    if (recorded.tag) await deleteTags(git, [recorded.tag]);
    if (!pushed.retry || !budget.allows(attempt)) {
      throw new PushError(
        pushed.retry
          ? `the remote kept taking the number: ${budget.spent(attempt)} of a best tag to ${target.remote} were rejected; no tag written`
          : `${target.remote} refused the tag ${tag}: ${pushed.detail}${recorded.tag ? '; no tag written' : ''}`,
        { hint: pushed.retry ? 'run best --record --push again (MODELGIT_PUSH_DEADLINE=seconds allows longer; MODELGIT_PUSH_RETRIES caps the tries)' : `check the remote: git push ${target.remote} refs/tags/${tag}` },
      );
    }
    await new Promise((res) => setTimeout(res, retryDelay(attempt, Date.now() - began)));
  }
}

async function answerAt(reg: Registry, r: Resolved, revision: string, atLabel?: string): Promise<BestOutcome> {
  const view = await registryModels(reg, r.algorithm, revision);
  // A model file of this algorithm that can't be read could be the best: no answer without it, unless asked.
  const skipped = checkInvalidFiles(view.problems, reg.config, { kind: 'algorithm', algorithm: r.algorithm }, r.skipInvalid);
  const models = view.models;
  if (models.length === 0) {
    throw new NotFoundError(`no ${r.algorithm} model in the registry${atLabel ? ` at ${atLabel}` : ''}`, {
      hint: 'modelgit list shows the algorithms and ids',
    });
  }
  const choice = chooseDataset(models, r.metric, r.dataset);
  if (choice.kind === 'ambiguous') {
    throw new UsageError(`${r.algorithm} models have ${r.metric} results on several datasets (${choice.datasets.join(', ')}); say which with --dataset`);
  }
  if (choice.kind === 'none') {
    throw new NotFoundError(`no ${r.algorithm} model has a ${r.metric} result on any dataset`, {
      hint: `record one with: modelgit test ID --dataset D --metric ${r.metric}=VALUE`,
    });
  }
  const dataset = choice.dataset;
  const direction = metricDirection(reg.config, r.metric, r.direction);
  if (!direction) throw unknownDirection(r.metric);
  const query = { dataset, metric: r.metric, direction, aggregate: r.aggregate };
  const ranked = selectBest(models, query);
  if (!ranked) {
    const elsewhere = datasetsWithMetric(models, r.metric);
    throw new NotFoundError(`no ${r.algorithm} model has a ${r.metric} result on ${dataset}`, {
      hint: elsewhere.length ? `${r.metric} was recorded on: ${elsewhere.join(', ')}` : undefined,
    });
  }
  // Ranked on summaries; the winner's score again from its whole metadata, so its result is the full one.
  const pick: Selection = { ...ranked, best: { model: ranked.best.model, score: scoreOf(ranked.best.model.metadata, query)! } };
  // (the history index's background build is started for algorithms of 1,000 models or more)
  const recorded = await findRecordingCommit(reg, revision, pick, { head: atLabel === undefined ? revision : undefined, models: () => models.length });
  const answer = buildAnswer(r, dataset, direction, pick, revision, recorded, reg.root);
  if (r.skipInvalid) answer.skipped = skippedFiles(skipped);
  return { answer, metadata: pick.best.model.metadata, problems: skipped };
}

function buildAnswer(r: Resolved, dataset: string, direction: Direction, pick: Selection, revision: string, commit: string | null, root: string): BestAnswer {
  const meta = pick.best.model.metadata;
  return {
    model_id: meta.model_id,
    algorithm: r.algorithm,
    dataset,
    metric: r.metric,
    direction,
    aggregate: r.aggregate,
    value: pick.best.score.value,
    model_path: meta.model_path ?? null,
    artifact_path: absoluteArtifactPath(meta.model_path, root),
    candidates: pick.candidates,
    commit,
    tested_at: pick.best.score.result.tested_at ?? null,
    runner_up: pick.runnerUp ? { model_id: summaryOf(pick.runnerUp.model).model_id, value: pick.runnerUp.score.value } : null,
    revision,
  };
}

/**
 * Walks the model file's history (up to `revision`) and reads every version in one cat-file
 * batch; the oldest version that already holds the winning result is the commit that recorded it.
 * The answer depends only on those commits (which never change), so it is remembered by them.
 */
async function findRecordingCommit(reg: Registry, revision: string, pick: Selection, at: { head?: string; models: () => number }): Promise<string | null> {
  const model: Model = pick.best.model;
  const head = at.head ?? (await headRevision(reg));
  const commits = await commitsChanging({ root: reg.root, gitDir: reg.gitDir, head, models: at.models }, model.path, revision);
  const { resultIndex, result } = pick.best.score;
  const memo = !cacheDisabled() && reg.git.objectsAsStored() ? new MemoFile(modelgitDir(reg.gitDir), 'recorded', 64) : undefined;
  const key = JSON.stringify([model.path, resultIndex, result, commits]);
  const known = memo?.get(key);
  if (known !== undefined) return known || null;
  const names = commits.map((c) => `${c}:${model.path}`);
  const blobs = await reg.git.readBlobs(names);
  const versions = commits.map((commit, i) => ({ commit, text: blobs.get(names[i]!)?.toString('utf8') }));
  const found = recordingCommit(versions, resultIndex, result) ?? null;
  // Not remembered when a version was missing (a shallow or partial clone may fetch it later).
  if (versions.every((v) => v.text !== undefined)) memo?.set(key, found ?? '');
  return found;
}

/** `publishable(commit, what)` refuses (throws) a tag on a commit that can't be published. */
async function recordBest(reg: Registry, a: BestAnswer, publishable?: (commit: string, what: string) => Promise<void>): Promise<BestAnswer> {
  const family = bestTagFamily(a.algorithm, a.dataset, a.metric);
  const tags = parseBestTags(await reg.git.refs(`refs/tags/${family}/`), family);
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
  const res = await reg.git.run(['tag', '-a', '--cleanup=verbatim', '-F', '-', name, a.commit], { input: message });
  if (res.code !== 0) {
    if (/already exists/.test(res.stderr)) throw new ConflictError(`tag ${name} already exists; tags are never moved`, { hint: 'git fetch --tags, then run best --record again' });
    throw new GitError(`git tag ${name} failed: ${res.stderr.trim()}`);
  }
  return { ...a, tag: name, current_tag: name };
}
