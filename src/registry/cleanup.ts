// cleanup: keep the top N models of an algorithm, never a protected or staged one; remove the rest
// in one commit with one Model-Id trailer per removed model, and tag it cleanup/<algorithm>/<n>.
// Everything removed stays in history: `modelgit restore ID` brings a model back.
import { existsSync, lstatSync, realpathSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { NotFoundError, UsageError } from '../errors.js';
import { assertSafeName } from '../domain/names.js';
import {
  planArtifactDeletion,
  planRetention,
  retentionQuery,
  stageHolders,
  isWithin,
  type ArtifactTarget,
  type RetentionDecision,
  type RetentionPlan,
} from '../domain/retention.js';
import type { ScoreQuery } from '../domain/selection.js';
import { summaryOf } from '../domain/summary.js';
import type { Aggregate, Direction, Model } from '../domain/types.js';
import type { ErrorLocation } from '../errors.js';
import { skippedFiles, type SkippedFile } from '../domain/invalid-files.js';
import { aggregateText } from '../domain/metrics.js';
import { assertAggregate, checkInvalidFiles } from './query-options.js';
import type { CommitSpec, Registry } from './registry.js';

export interface CleanupOptions {
  algorithm: string;
  keep: number;
  metric?: string;
  dataset?: string;
  direction?: Direction;
  /** how a model's results on the dataset make its rank (default: metrics.<m>.aggregate, else latest) */
  aggregate?: Aggregate;
  /** plan without the algorithm's unreadable model files (else they fail the cleanup) */
  skipInvalid?: boolean;
  dryRun?: boolean;
  deleteArtifacts?: boolean;
}

export interface ArtifactOutcome {
  model_id: string;
  model_path?: string;
  path?: string;
  action: 'deleted' | 'would-delete' | 'skipped' | 'missing' | 'failed';
  reason: string;
}

export interface CleanupAnswer {
  removed: string[];
  kept: string[];
  protected: string[];
  commit: string | null;
  tag: string | null;
  algorithm: string;
  keep: number;
  dry_run: boolean;
  /** what the ranking used; null when no model was tested (then the newest were kept) */
  metric: string | null;
  dataset: string | null;
  direction: Direction | null;
  /** how each model's results made its rank; null when no model was tested */
  aggregate: Aggregate | null;
  /** only with --skip-invalid: the algorithm's model files that can't be read (neither ranked nor removed) */
  skipped?: SkippedFile[];
  /** model id → why it was kept, removed or protected */
  reasons: Record<string, string>;
  decisions: RetentionDecision[];
  /** with --delete-artifacts */
  artifacts?: ArtifactOutcome[];
}

interface CleanupPlan {
  models: Model[];
  skipped: ErrorLocation[];
  query?: ScoreQuery;
  retention: RetentionPlan;
}

function validate(opts: CleanupOptions): void {
  assertSafeName('algorithm', opts.algorithm, '--algo');
  if (opts.metric !== undefined) assertSafeName('metric', opts.metric, '--metric');
  if (opts.dataset !== undefined) assertSafeName('dataset', opts.dataset, '--dataset');
  if (opts.direction !== undefined && opts.direction !== 'min' && opts.direction !== 'max') throw new UsageError('--direction must be min or max');
  if (opts.aggregate !== undefined) assertAggregate(opts.aggregate);
  if (typeof opts.keep !== 'number' || !Number.isInteger(opts.keep) || opts.keep < 0) throw new UsageError(`--keep must be a whole number ≥ 0 (got ${opts.keep})`);
}

async function planCleanup(reg: Registry, opts: CleanupOptions): Promise<CleanupPlan> {
  const view = await reg.models(opts.algorithm);
  // An unreadable file of this algorithm could outrank the models kept: no plan without it, unless asked.
  const skipped = checkInvalidFiles(view.problems, reg.config, { kind: 'algorithm', algorithm: opts.algorithm }, opts.skipInvalid);
  const models = view.models;
  if (models.length === 0) {
    const algorithms = view.algorithms;
    throw new NotFoundError(`no ${opts.algorithm} models in the registry`, {
      hint: algorithms.length ? `algorithms here: ${algorithms.join(', ')}` : 'the registry has no models yet',
    });
  }
  const query = retentionQuery(models, reg.config, opts);
  const retention = planRetention({
    models,
    keep: opts.keep,
    query,
    protectTags: reg.config.protect.tags,
    stageHolders: stageHolders(await reg.stages()),
  });
  return { models, skipped, query, retention };
}

function reasonLines(plan: RetentionPlan): string[] {
  return plan.decisions.filter((d) => d.decision === 'remove').map((d) => `- ${d.model_id}: ${d.reason}`);
}

/** The commit (and tag) message: subject, why each model goes, then trailers. */
export function cleanupMessage(opts: CleanupOptions, plan: CleanupPlan): Pick<CommitSpec, 'subject' | 'body' | 'trailers'> {
  const r = plan.retention;
  const by = plan.query
    ? `Ranked by ${plan.query.metric} on ${plan.query.dataset} (${plan.query.direction}; a model's ${aggregateText(plan.query.aggregate ?? 'latest')}).`
    : 'No model was tested; the newest were kept.';
  const body = [
    `${by} Kept ${r.kept.length}${r.protected.length ? `, protected ${r.protected.length} (${r.protected.join(', ')})` : ''}.`,
    ['Removed:', ...reasonLines(r)].join('\n'),
    `Restore one with: modelgit restore ID`,
  ].join('\n\n');
  const trailers: [string, string][] = [['Model-Action', 'cleanup'], ...r.removed.map((id): [string, string] => ['Model-Id', id]), ['Algorithm', opts.algorithm]];
  if (plan.query) trailers.push(['Metric', plan.query.metric], ['Dataset', plan.query.dataset], ['Direction', plan.query.direction], ['Aggregate', plan.query.aggregate ?? 'latest']);
  trailers.push(['Keep', String(opts.keep)]);
  return { subject: `cleanup ${opts.algorithm}: remove ${r.removed.length}, keep ${r.kept.length}`, body, trailers };
}

function answerFor(opts: CleanupOptions, plan: CleanupPlan, commit: string | null, tag: string | null): CleanupAnswer {
  const r = plan.retention;
  return {
    removed: r.removed,
    kept: r.kept,
    protected: r.protected,
    commit,
    tag,
    algorithm: opts.algorithm,
    keep: opts.keep,
    dry_run: !!opts.dryRun,
    metric: plan.query?.metric ?? null,
    dataset: plan.query?.dataset ?? null,
    direction: plan.query?.direction ?? null,
    aggregate: plan.query ? (plan.query.aggregate ?? 'latest') : null,
    ...(opts.skipInvalid && { skipped: skippedFiles(plan.skipped) }),
    reasons: Object.fromEntries(r.decisions.map((d) => [d.model_id, d.reason])),
    decisions: r.decisions,
  };
}

function lexists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * The path with its parent directories' symlinks resolved, so a link can't carry a deletion past
 * the guards; the last component stays as named (a symlink there is removed, not followed).
 */
function canonicalPath(p: string): string {
  const parent = dirname(p);
  if (parent === p) return p;
  return join(lexists(parent) ? realpathSync(parent) : canonicalPath(parent), basename(p));
}

/** `all`: every model of the snapshot the plan was made on (artifacts may be shared across algorithms). */
function artifactTargets(reg: Registry, plan: CleanupPlan, all: Model[]): ArtifactTarget[] {
  const removed = new Set(plan.retention.removed);
  const byId = new Map(plan.models.map((m) => [summaryOf(m).model_id, m]));
  return planArtifactDeletion({
    removed: plan.retention.removed.map((id) => byId.get(id)!), // reported in removal order
    remaining: all.filter((m) => !removed.has(m.metadata.model_id)),
    root: reg.root,
    gitDir: reg.gitDir,
    home: homedir(),
    canonical: canonicalPath,
  });
}

/** Deletes (or, on a dry run, checks) each planned artifact; never throws: every outcome is reported. */
async function applyArtifacts(reg: Registry, targets: ArtifactTarget[], dryRun: boolean): Promise<ArtifactOutcome[]> {
  const root = canonicalPath(reg.root);
  // Files git tracks are part of the registry, not artifacts a cleanup may delete behind git's back.
  const inside = targets.filter((t) => t.action === 'delete' && t.path && isWithin(t.path, root)).map((t) => relative(root, t.path!));
  const tracked = await reg.git.trackedAmong(inside);
  const out: ArtifactOutcome[] = [];
  for (const t of targets) {
    const base = { model_id: t.model_id, model_path: t.model_path, path: t.path };
    if (t.action === 'skip' || !t.path) {
      out.push({ ...base, action: 'skipped', reason: t.reason });
      continue;
    }
    const rel = isWithin(t.path, root) ? relative(root, t.path) : undefined;
    if (rel !== undefined && tracked.some((f) => f === rel || f.startsWith(rel + '/'))) {
      out.push({ ...base, action: 'skipped', reason: 'tracked by git; not deleted (remove it with git rm if you mean it)' });
      continue;
    }
    let stat;
    try {
      stat = lstatSync(t.path);
    } catch {
      out.push({ ...base, action: 'missing', reason: 'nothing there' });
      continue;
    }
    if (stat.isDirectory() && existsSync(join(t.path, '.git'))) {
      out.push({ ...base, action: 'skipped', reason: 'contains a git repository; not deleted' });
      continue;
    }
    if (dryRun) {
      out.push({ ...base, action: 'would-delete', reason: t.reason });
      continue;
    }
    try {
      rmSync(t.path, { recursive: true, force: false });
      out.push({ ...base, action: 'deleted', reason: t.reason });
    } catch (e) {
      out.push({ ...base, action: 'failed', reason: (e as Error).message });
    }
  }
  return out;
}

export async function cleanup(reg: Registry, opts: CleanupOptions): Promise<CleanupAnswer> {
  validate(opts);
  if (opts.dryRun) {
    const plan = await planCleanup(reg, opts);
    const answer = answerFor(opts, plan, null, null);
    if (opts.deleteArtifacts) answer.artifacts = await applyArtifacts(reg, artifactTargets(reg, plan, (await reg.snapshot()).models), true);
    return answer;
  }
  let planned: CleanupPlan | undefined;
  let plannedAll: Model[] = [];
  const answer = await reg.write<CleanupAnswer>(async () => {
    const plan = await planCleanup(reg, opts);
    planned = plan;
    // The snapshot the plan was made on (HEAD under the lock), for the artifacts still in use.
    if (opts.deleteArtifacts) plannedAll = (await reg.snapshot()).models;
    if (plan.retention.removed.length === 0) return { nothing: answerFor(opts, plan, null, null) };
    const message = cleanupMessage(opts, plan);
    const byId = new Map(plan.models.map((m) => [summaryOf(m).model_id, m]));
    // Numbered under the lock (and, with --push, after fetching the remote's tags), and made by the
    // write engine with the commit so a push carries both atomically.
    const tag = `cleanup/${opts.algorithm}/${(await reg.highestTagNumber(`cleanup/${opts.algorithm}`)) + 1n}`;
    return {
      spec: { ...message, changes: plan.retention.removed.map((id) => ({ path: byId.get(id)!.path, content: null })) },
      tags: [{ name: tag, message: await reg.commitMessage(message) }],
      result: (commit: string, outcome) => answerFor(opts, plan, commit, outcome.tags[0] ?? tag),
    };
  });
  // Artifacts go only once the commit stands; a failed commit leaves every byte where it was.
  if (opts.deleteArtifacts && answer.commit && planned) answer.artifacts = await applyArtifacts(reg, artifactTargets(reg, planned, plannedAll), false);
  return answer;
}
