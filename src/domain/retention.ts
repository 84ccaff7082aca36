// Which models a cleanup keeps and which it removes. Pure: the registry layer reads the models,
// the config and stages.yaml, asks here, and writes the answer as one commit.
//
// Rules (DESIGN §3, §5):
// - a model with a protected tag (config.protect.tags) or holding any stage is never removed, and
//   does not count toward --keep: `--keep 2` keeps the two best *unprotected* models, so promoting
//   a model never silently pushes another one out;
// - the rest are ranked with rankModels (the one ranking best/compare use); untested models rank
//   after every tested one, newest first among them;
// - the first `keep` of that order stay, the others go, each with a reason a person can check.
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.js';
import { metricAggregate, metricDirection } from './metrics.js';
import { datasetsOf, metricsOf, rankModels, type ScoreQuery } from './selection.js';
import { summaryOf } from './summary.js';
import type { Aggregate, Direction, Model, RegistryConfig, StageAssignments } from './types.js';

export type RetentionDecisionKind = 'keep' | 'remove' | 'protect';

export interface RetentionDecision {
  model_id: string;
  decision: RetentionDecisionKind;
  reason: string;
  /** 1-based rank among the tested, unprotected models */
  rank?: number;
  value?: number;
}

export interface RetentionPlan {
  /** in rank order */
  kept: string[];
  /** in rank order (best first, then untested newest first) */
  removed: string[];
  /** sorted by id */
  protected: string[];
  decisions: RetentionDecision[];
  /** how many unprotected models had a result to rank */
  ranked: number;
}

export interface RetentionInput {
  /** the models of one algorithm */
  models: Model[];
  keep: number;
  /** undefined when no model of the algorithm was tested at all: then newest first */
  query?: ScoreQuery;
  protectTags: string[];
  /** model id → the stages it holds, e.g. ["mscn/production"] */
  stageHolders: Map<string, string[]>;
}

/** model id → "algorithm/stage" for every stage assignment, whatever the algorithm key says. */
export function stageHolders(stages: StageAssignments): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [algorithm, byStage] of Object.entries(stages ?? {})) {
    for (const [stage, id] of Object.entries(byStage ?? {})) {
      if (typeof id !== 'string') continue;
      const list = out.get(id) ?? [];
      list.push(`${algorithm}/${stage}`);
      out.set(id, list);
    }
  }
  return out;
}

function protectionReason(model: Model, protectTags: string[], holders: Map<string, string[]>): string | undefined {
  const why: string[] = [];
  const stages = holders.get(summaryOf(model).model_id);
  if (stages?.length) why.push(`holds stage ${stages.join(', ')}`);
  const tags = (summaryOf(model).tags ?? []).filter((t) => protectTags.includes(t));
  if (tags.length) why.push(`tagged ${tags.join(', ')}`);
  return why.length ? why.join('; ') : undefined;
}

const NO_RESULTS: ScoreQuery = { dataset: '', metric: '', direction: 'min' };

export function planRetention(input: RetentionInput): RetentionPlan {
  if (!Number.isInteger(input.keep) || input.keep < 0) throw new UsageError(`--keep must be a whole number ≥ 0 (got ${input.keep})`);
  const decisions: RetentionDecision[] = [];
  const candidates: Model[] = [];
  const protectedIds: string[] = [];
  for (const m of input.models) {
    const why = protectionReason(m, input.protectTags, input.stageHolders);
    if (why) {
      protectedIds.push(summaryOf(m).model_id);
      decisions.push({ model_id: summaryOf(m).model_id, decision: 'protect', reason: why });
    } else {
      candidates.push(m);
    }
  }
  protectedIds.sort();

  // Without any result to rank by, every candidate is untested and the newest stay: a query no
  // result can match ('' is never a dataset name) gives rankModels' own newest-first order.
  const q = input.query ?? NO_RESULTS;
  const { ranked, untested } = rankModels(candidates, q);
  const on = input.query ? ` on ${q.dataset}` : '';
  const kept: string[] = [];
  const removed: string[] = [];
  let position = 0;
  ranked.forEach((r, i) => {
    const keep = position++ < input.keep;
    const id = summaryOf(r.model).model_id;
    (keep ? kept : removed).push(id);
    decisions.push({
      model_id: id,
      decision: keep ? 'keep' : 'remove',
      reason: `rank ${i + 1} of ${ranked.length} by ${q.metric}${on} (${r.score.value})`,
      rank: i + 1,
      value: r.score.value,
    });
  });
  for (const m of untested) {
    const keep = position++ < input.keep;
    const id = summaryOf(m).model_id;
    (keep ? kept : removed).push(id);
    const what = input.query ? `untested (no ${q.metric} result${on})` : 'untested';
    decisions.push({ model_id: id, decision: keep ? 'keep' : 'remove', reason: keep ? `${what}; among the newest within --keep ${input.keep}` : what });
  }
  return { kept, removed, protected: protectedIds, decisions, ranked: ranked.length };
}

export interface RetentionQueryOptions {
  metric?: string;
  dataset?: string;
  direction?: Direction;
  /** default: metrics.<metric>.aggregate, else latest */
  aggregate?: Aggregate;
}

/**
 * The metric, dataset and direction a cleanup ranks by: the flags, else config.default_metric and
 * the only dataset the models were tested on. Undefined when no model was tested at all (then the
 * newest are kept). Refuses anything that would rank every model as untested by mistake, such as a
 * misspelt metric or dataset: removal must never follow from a typo.
 */
export function retentionQuery(models: Model[], config: Pick<RegistryConfig, 'default_metric' | 'metrics'>, opts: RetentionQueryOptions): ScoreQuery | undefined {
  const metric = opts.metric ?? config.default_metric;
  const tested = datasetsOf(models);
  let dataset = opts.dataset;
  if (dataset === undefined) {
    if (tested.length === 0) return undefined;
    if (tested.length > 1) throw new UsageError(`the models were tested on several datasets (${tested.join(', ')}); choose one with --dataset`);
    dataset = tested[0]!;
  } else if (!tested.includes(dataset)) {
    throw new UsageError(`--dataset: no model was tested on ${dataset}${tested.length ? ` (tested on: ${tested.join(', ')})` : ' (no model has a test result yet)'}`);
  }
  const metrics = metricsOf(models, dataset);
  if (!metrics.includes(metric)) {
    throw new UsageError(`${opts.metric ? '--metric' : `default_metric`}: no model has a ${metric} result on ${dataset} (metrics there: ${metrics.join(', ') || 'none'})`, {
      hint: opts.metric ? undefined : 'choose one with --metric',
    });
  }
  const direction = metricDirection(config, metric, opts.direction);
  if (!direction) throw new UsageError(`cannot tell whether lower or higher ${metric} is better; give --direction min|max or set metrics.${metric}.direction in modelgit.yaml`);
  return { dataset, metric, direction, aggregate: metricAggregate(config, metric, opts.aggregate) };
}

// ---- artifacts -------------------------------------------------------------------------------

export type ArtifactAction = 'delete' | 'skip';

export interface ArtifactTarget {
  model_id: string;
  model_path?: string;
  /** the absolute local path that would be deleted */
  path?: string;
  action: ArtifactAction;
  reason: string;
}

export interface ArtifactPlanInput {
  removed: Model[];
  /** every model still registered after the cleanup, of any algorithm */
  remaining: Model[];
  root: string;
  gitDir: string;
  home?: string;
  /** maps an absolute path to its canonical form (realpath where it exists); identity by default */
  canonical?: (p: string) => string;
}

const URI_RE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;

/** Where a model_path points on this machine: an absolute path, or why it is not a local one. */
export function localArtifactPath(modelPath: string, root: string): { path: string; explicit: boolean } | { reason: string } {
  const uri = URI_RE.exec(modelPath);
  if (uri) {
    if (uri[1]!.toLowerCase() !== 'file') return { reason: `${uri[1]}:// artifacts are not local; not deleted` };
    try {
      return { path: resolve(fileURLToPath(modelPath)), explicit: true };
    } catch (e) {
      return { reason: `not a usable file:// URI (${(e as Error).message})` };
    }
  }
  if (isAbsolute(modelPath)) return { path: resolve(modelPath), explicit: true };
  return { path: resolve(root, modelPath), explicit: false };
}

/** True when `inner` is `outer` or lies inside it. */
export function isWithin(inner: string, outer: string): boolean {
  const rel = relative(outer, inner);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * Which removed models' artifacts may be deleted. Conservative: never the registry root, its .git,
 * the file system root or the home directory, nor anything containing them; never a path a
 * remaining model also uses (the same path, inside it or around it); a relative model_path must
 * stay inside the registry root, while an absolute or file:// path is deleted because the metadata
 * names it explicitly.
 */
export function planArtifactDeletion(input: ArtifactPlanInput): ArtifactTarget[] {
  const canonical = input.canonical ?? ((p: string) => p);
  const root = canonical(resolve(input.root));
  const gitDir = canonical(resolve(input.gitDir));
  const guarded = [root, gitDir, resolve('/'), ...(input.home ? [canonical(resolve(input.home))] : [])];
  const inUse: { id: string; path: string }[] = [];
  for (const m of input.remaining) {
    const mp = m.metadata.model_path;
    if (typeof mp !== 'string' || !mp) continue;
    const loc = localArtifactPath(mp, input.root);
    if ('path' in loc) inUse.push({ id: m.metadata.model_id, path: canonical(loc.path) });
  }
  const out: ArtifactTarget[] = [];
  const planned = new Map<string, string>(); // path → the removed model it is deleted for
  for (const m of input.removed) {
    const id = m.metadata.model_id;
    const mp = m.metadata.model_path;
    if (typeof mp !== 'string' || !mp) {
      out.push({ model_id: id, action: 'skip', reason: 'no model_path recorded' });
      continue;
    }
    const loc = localArtifactPath(mp, input.root);
    if ('reason' in loc) {
      out.push({ model_id: id, model_path: mp, action: 'skip', reason: loc.reason });
      continue;
    }
    const path = canonical(loc.path);
    const skip = (reason: string) => out.push({ model_id: id, model_path: mp, path, action: 'skip', reason });
    if (!loc.explicit && !isWithin(path, root)) {
      skip('a relative model_path that leaves the registry root; not deleted');
      continue;
    }
    const hit = guarded.find((g) => isWithin(g, path));
    if (hit) {
      skip(`would delete ${hit === root ? 'the registry root' : hit === gitDir ? "the registry's .git" : hit} or a directory containing it; not deleted`);
      continue;
    }
    if (isWithin(path, gitDir) || path.split(sep).includes('.git')) {
      skip('inside a .git directory; not deleted');
      continue;
    }
    const user = inUse.find((u) => isWithin(u.path, path) || isWithin(path, u.path));
    if (user) {
      skip(`also used by ${user.id} (${user.path === path ? 'same path' : 'overlapping path'}), which stays; not deleted`);
      continue;
    }
    const overlap = [...planned.entries()].find(([p]) => isWithin(p, path) || isWithin(path, p));
    if (overlap) {
      skip(`${overlap[0] === path ? 'same path' : 'overlaps the path'} deleted for ${overlap[1]}`);
      continue;
    }
    planned.set(path, id);
    out.push({ model_id: id, model_path: mp, path, action: 'delete', reason: loc.explicit ? 'named explicitly by model_path' : 'inside the registry root' });
  }
  return out;
}
