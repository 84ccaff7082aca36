// best: the best model of an algorithm on one metric and dataset (DESIGN §5b). A read: recording
// it as a tag (--record) is record-best.ts, which decides with this file's answerAt.
import type { ErrorLocation } from '../errors.js';
import { NotFoundError, UsageError } from '../errors.js';
import { absoluteArtifactPath } from '../domain/artifacts.js';
import { chooseDataset, datasetsWithMetric } from '../domain/datasets.js';
import { metricAggregate, metricDirection } from '../domain/metrics.js';
import { assertSafeName } from '../domain/names.js';
import { summaryOf } from '../domain/summary.js';
import { scoreOf, selectBest, type Selection } from '../domain/selection.js';
import type { Aggregate, Direction, ModelMetadata } from '../domain/types.js';
import type { RecordedResult, Registry } from './registry.js';
import { assertAggregate, assertDirection, checkInvalidFiles, headRevision, resolveAt, unknownDirection } from './query-options.js';
import { skippedFiles, type SkippedFile } from '../domain/invalid-files.js';

/** The flags of `modelgit best`; record-best.ts takes the same. */
export interface BestQuery {
  algorithm: string;
  dataset?: string;
  /** default: config.default_metric */
  metric?: string;
  direction?: Direction;
  aggregate?: Aggregate;
  /** answer from this revision instead of HEAD */
  at?: string;
  /** with --record (record-best.ts): push the tag; without it, refused (a read has nothing to push) */
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
  pushed?: { remote: string; tag: string; attempts: number } | null;
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

/** A query checked, its defaults filled in from modelgit.yaml. */
export interface Resolved {
  algorithm: string;
  metric: string;
  dataset?: string;
  direction?: Direction;
  aggregate: Aggregate;
  skipInvalid: boolean;
}

/** `record`: the query is for best --record (record-best.ts). */
export function checkQuery(reg: Registry, q: BestQuery, record = false): Resolved {
  const algorithm = assertSafeName('algorithm', q.algorithm, '--algo');
  const dataset = q.dataset === undefined ? undefined : assertSafeName('dataset', q.dataset, '--dataset');
  const metric = assertSafeName('metric', q.metric ?? reg.config.default_metric, q.metric === undefined ? 'default_metric in modelgit.yaml' : '--metric');
  if (q.direction !== undefined) assertDirection(q.direction);
  // The flag, else the metric's setting in modelgit.yaml, else latest (one rule: metrics.ts).
  const aggregate = metricAggregate(reg.config, metric, q.aggregate === undefined ? undefined : assertAggregate(q.aggregate));
  if (record && q.at !== undefined) throw new UsageError('--record tags the current best; it cannot be combined with --at');
  if (q.push && !record) throw new UsageError('--push publishes the tag of --record; without --record best writes nothing to push');
  return { algorithm, metric, dataset, direction: q.direction, aggregate, skipInvalid: !!q.skipInvalid };
}

export async function best(reg: Registry, q: BestQuery): Promise<BestOutcome> {
  const r = checkQuery(reg, q);
  return answerAt(reg, r, q.at === undefined ? await headRevision(reg) : await resolveAt(reg, q.at), q.at);
}

/** What the answer shelf keeps for a best: the outcome and the result whose recording commit it names. */
interface KeptBest {
  outcome: BestOutcome;
  recorded: RecordedResult;
  /** how many models the algorithm has (a big one starts the history index's background build) */
  models: number;
}

/**
 * The best as of `revision` (`atLabel`: the --at the user typed, for messages). Kept on the answer
 * shelf by the models tree, so the same question asked again reads one small file; at another commit
 * with the same models tree only the recording commit is looked up again.
 */
export async function answerAt(reg: Registry, r: Resolved, revision: string, atLabel?: string): Promise<BestOutcome> {
  const question = [r.algorithm, r.dataset ?? null, r.metric, r.direction ?? null, r.aggregate, r.skipInvalid];
  const shelf = await reg.answerShelf<KeptBest>(revision, 'best', question);
  const kept = shelf?.kept();
  if (kept) {
    const { outcome, recorded, models } = kept.value;
    outcome.answer.artifact_path = absoluteArtifactPath(outcome.metadata.model_path, reg.root);
    if (kept.commit !== revision) {
      outcome.answer.commit = await reg.recordingCommit(recorded, revision, { head: await headOf(reg, revision, atLabel), models: () => models });
      outcome.answer.revision = revision;
    }
    return outcome;
  }
  const made = await computeAnswer(reg, r, revision, atLabel);
  shelf?.keep(made);
  return made.outcome;
}

async function computeAnswer(reg: Registry, r: Resolved, revision: string, atLabel?: string): Promise<KeptBest> {
  // On a fresh clone the lookup of the recording commit walks the log: its first part starts now.
  reg.expectRecordingCommit(revision);
  const view = await reg.algorithmModels(r.algorithm, revision);
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
  const { resultIndex, result } = pick.best.score;
  const recorded: RecordedResult = { path: pick.best.model.path, resultIndex, result };
  const commit = await reg.recordingCommit(recorded, revision, { head: await headOf(reg, revision, atLabel), models: () => models.length });
  const answer = buildAnswer(r, dataset, direction, pick, revision, commit, reg.root);
  if (r.skipInvalid) answer.skipped = skippedFiles(skipped);
  return { outcome: { answer, metadata: pick.best.model.metadata, problems: skipped }, recorded, models: models.length };
}

/** HEAD for the history index: the revision itself unless the user asked --at another. */
async function headOf(reg: Registry, revision: string, atLabel: string | undefined): Promise<string> {
  return atLabel === undefined ? revision : headRevision(reg);
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
