// best: the best model of an algorithm on one metric and dataset, optionally recorded as an
// annotated tag best/<algorithm>/<dataset>/<metric>/<n> when it changed (DESIGN §4).
import type { ErrorLocation } from '../errors.js';
import { ConflictError, GitError, NotFoundError, UsageError } from '../errors.js';
import {
  bestChanged,
  bestTagFamily,
  bestTagMessage,
  nextBestTagName,
  parseBestTags,
  recordingCommit,
  type BestTag,
} from '../domain/best-record.js';
import { chooseDataset, datasetsWithMetric } from '../domain/datasets.js';
import { metricDirection } from '../domain/metrics.js';
import { assertSafeName } from '../domain/names.js';
import { modelsOf, selectBest, type Selection } from '../domain/selection.js';
import type { Aggregate, Direction, Model, ModelMetadata } from '../domain/types.js';
import type { Registry } from './registry.js';
import { assertAggregate, assertDirection, headRevision, resolveRevision, unknownDirection } from './query-options.js';
import { withWriteLock } from './transaction.js';

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
}

export interface BestOutcome {
  answer: BestAnswer;
  /** the winner's metadata (for --field) */
  metadata: ModelMetadata;
  problems: ErrorLocation[];
}

interface Resolved {
  algorithm: string;
  metric: string;
  dataset?: string;
  direction?: Direction;
  aggregate: Aggregate;
}

function checkQuery(reg: Registry, q: BestQuery): Resolved {
  const algorithm = assertSafeName('algorithm', q.algorithm, '--algo');
  const dataset = q.dataset === undefined ? undefined : assertSafeName('dataset', q.dataset, '--dataset');
  const metric = assertSafeName('metric', q.metric ?? reg.config.default_metric, q.metric === undefined ? 'default_metric in modelgit.yaml' : '--metric');
  if (q.direction !== undefined) assertDirection(q.direction);
  const aggregate = q.aggregate === undefined ? 'latest' : assertAggregate(q.aggregate);
  if (q.record && q.at !== undefined) throw new UsageError('--record tags the current best; it cannot be combined with --at');
  return { algorithm, metric, dataset, direction: q.direction, aggregate };
}

export async function best(reg: Registry, q: BestQuery): Promise<BestOutcome> {
  const r = checkQuery(reg, q);
  if (!q.record) return answerAt(reg, r, q.at === undefined ? await headRevision(reg) : await resolveRevision(reg, q.at), q.at);
  // Numbering and creating the tag happen under the write lock, on a HEAD no modelgit writer can move meanwhile.
  return withWriteLock(reg.gitDir, async () => {
    const outcome = await answerAt(reg, r, await headRevision(reg));
    return { ...outcome, answer: await recordBest(reg, outcome.answer) };
  });
}

async function answerAt(reg: Registry, r: Resolved, revision: string, atLabel?: string): Promise<BestOutcome> {
  const snap = await reg.snapshot(revision);
  const models = modelsOf(snap.models, r.algorithm);
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
  const pick = selectBest(models, { dataset, metric: r.metric, direction, aggregate: r.aggregate });
  if (!pick) {
    const elsewhere = datasetsWithMetric(models, r.metric);
    throw new NotFoundError(`no ${r.algorithm} model has a ${r.metric} result on ${dataset}`, {
      hint: elsewhere.length ? `${r.metric} was recorded on: ${elsewhere.join(', ')}` : undefined,
    });
  }
  const answer = buildAnswer(r, dataset, direction, pick, revision, await findRecordingCommit(reg, revision, pick));
  return { answer, metadata: pick.best.model.metadata, problems: snap.problems };
}

function buildAnswer(r: Resolved, dataset: string, direction: Direction, pick: Selection, revision: string, commit: string | null): BestAnswer {
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
    candidates: pick.candidates,
    commit,
    tested_at: pick.best.score.result.tested_at ?? null,
    runner_up: pick.runnerUp ? { model_id: pick.runnerUp.model.metadata.model_id, value: pick.runnerUp.score.value } : null,
    revision,
  };
}

/**
 * Walks the model file's history (up to `revision`) and reads every version in one cat-file
 * batch; the oldest version that already holds the winning result is the commit that recorded it.
 */
async function findRecordingCommit(reg: Registry, revision: string, pick: Selection): Promise<string | null> {
  const model: Model = pick.best.model;
  const commits = (await reg.git.text(['log', '--format=%H', revision, '--', model.path])).split('\n').filter(Boolean);
  const names = commits.map((c) => `${c}:${model.path}`);
  const blobs = await reg.git.readBlobs(names);
  const versions = commits.map((commit, i) => ({ commit, text: blobs.get(names[i]!)?.toString('utf8') }));
  return recordingCommit(versions, pick.best.score.resultIndex, pick.best.score.result) ?? null;
}

async function recordBest(reg: Registry, a: BestAnswer): Promise<BestAnswer> {
  const family = bestTagFamily(a.algorithm, a.dataset, a.metric);
  const tags = parseBestTags(await reg.git.refs(`refs/tags/${family}/`), family);
  const latest: BestTag | undefined = tags[tags.length - 1];
  if (!bestChanged(latest, a.model_id, a.value)) return { ...a, tag: null, current_tag: latest!.name };
  if (!a.commit) throw new GitError(`could not find the commit that recorded ${a.model_id}'s ${a.metric} result; no tag written`);
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
