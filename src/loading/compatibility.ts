// Which model a training recipe should start from. Pure: models, stage assignments and a query in,
// a choice with its reason (or every candidate's rejection) out. A model is a candidate when its
// algorithm_compatibility lists the recipe, its role matches (when asked) and its loader is known.
// Among candidates: the one holding the preferred stage, else the best on the default metric, else
// the newest. Best uses the shared ranking (domain/selection.ts), so resolve and best agree.
import { trainedAt } from '../domain/metadata.js';
import { rankModels } from '../domain/selection.js';
import type { Aggregate, Direction, Model, ModelMetadata, StageAssignments } from '../domain/types.js';
import { onlyResults } from '../domain/types.js';

export interface RecipeQuery {
  recipe: string;
  role?: string;
  /** stages to look for, most preferred first */
  stageOrder: string[];
  metric: string;
  /** undefined when neither config nor the metric's name tells; the best rule is then skipped */
  direction?: Direction;
  /** how a model's results on the dataset make its score (default latest) */
  aggregate?: Aggregate;
  /** dataset for the best rule; undefined picks the dataset most candidates were tested on */
  dataset?: string;
  /** why a model's loading_strategy can't be used, or undefined when it can */
  loaderProblem?: (meta: ModelMetadata) => string | undefined;
}

export interface Rejection {
  model_id: string;
  algorithm: string;
  reasons: string[];
}

export type Rule = 'stage' | 'best' | 'newest' | 'only';

export interface Resolution {
  model: Model;
  rule: Rule;
  stage: string | null;
  reason: string;
  /** compatible models considered */
  candidates: Model[];
  rejected: Rejection[];
}

export function rejectionReasons(meta: ModelMetadata, q: Pick<RecipeQuery, 'recipe' | 'role' | 'loaderProblem'>): string[] {
  const reasons: string[] = [];
  const compat = meta.algorithm_compatibility;
  if (!compat || compat.length === 0) reasons.push('lists no algorithm_compatibility');
  else if (!compat.includes(q.recipe)) reasons.push(`compatible with ${compat.join(', ')}, not ${q.recipe}`);
  if (q.role !== undefined && meta.role !== q.role) reasons.push(meta.role === undefined ? `has no role (wanted ${q.role})` : `role is ${meta.role}, not ${q.role}`);
  const loader = q.loaderProblem?.(meta);
  if (loader) reasons.push(loader);
  return reasons;
}

function newestFirst(a: Model, b: Model): number {
  return trainedAt(b.metadata).localeCompare(trainedAt(a.metadata)) || a.metadata.model_id.localeCompare(b.metadata.model_id);
}

/** The dataset the most models have a `metric` result on (ties: alphabetical), or undefined. */
export function mostTestedDataset(models: Model[], metric: string): string | undefined {
  const counts = new Map<string, number>();
  for (const m of models) {
    const seen = new Set<string>();
    for (const r of onlyResults(m.metadata.testing)) {
      if (typeof r.performance?.[metric] === 'number' && !seen.has(r.dataset)) {
        seen.add(r.dataset);
        counts.set(r.dataset, (counts.get(r.dataset) ?? 0) + 1);
      }
    }
  }
  let best: string | undefined;
  for (const [d, n] of counts) if (best === undefined || n > counts.get(best)! || (n === counts.get(best)! && d < best)) best = d;
  return best;
}

/** Orders models: best on the metric first, then untested newest first. */
function byMerit(models: Model[], q: RecipeQuery, dataset: string | undefined): Model[] {
  if (!dataset || !q.direction) return [...models].sort(newestFirst);
  const { ranked, untested } = rankModels(models, { dataset, metric: q.metric, direction: q.direction, aggregate: q.aggregate });
  return [...ranked.map((r) => r.model), ...untested];
}

export interface RecipeOutcome {
  resolution?: Resolution;
  rejected: Rejection[];
  candidates: Model[];
  /** the dataset the best rule judged on (the query's, else the most tested one) */
  dataset?: string;
}

export function resolveRecipe(models: Model[], stages: StageAssignments, q: RecipeQuery): RecipeOutcome {
  const candidates: Model[] = [];
  const rejected: Rejection[] = [];
  for (const m of models) {
    const reasons = rejectionReasons(m.metadata, q);
    if (reasons.length) rejected.push({ model_id: m.metadata.model_id, algorithm: m.metadata.algorithm, reasons });
    else candidates.push(m);
  }
  rejected.sort((a, b) => a.model_id.localeCompare(b.model_id));
  if (candidates.length === 0) return { rejected, candidates };
  const dataset = q.dataset ?? mostTestedDataset(candidates, q.metric);
  const done = (model: Model, rule: Rule, stage: string | null, reason: string): RecipeOutcome => ({
    resolution: { model, rule, stage, reason, candidates, rejected },
    rejected,
    candidates,
    dataset,
  });

  for (const stage of q.stageOrder) {
    const holders = candidates.filter((m) => stages[m.metadata.algorithm]?.[stage] === m.metadata.model_id);
    if (holders.length === 0) continue;
    const pick = byMerit(holders, q, dataset)[0]!;
    const others = holders.length > 1 ? ` (the first of ${holders.length} holders by ${dataset && q.direction ? `${q.metric} on ${dataset}` : 'training date'})` : '';
    return done(pick, 'stage', stage, `holds stage ${stage} for ${pick.metadata.algorithm}${others}`);
  }
  if (candidates.length === 1) {
    return done(candidates[0]!, 'only', null, `the only compatible model${q.stageOrder.length ? ` (it holds no ${q.stageOrder.join(' or ')} stage)` : ''}`);
  }
  const noStage = q.stageOrder.length ? `no compatible model holds ${q.stageOrder.join(' or ')}; ` : '';
  if (dataset && q.direction) {
    const { ranked } = rankModels(candidates, { dataset, metric: q.metric, direction: q.direction, aggregate: q.aggregate });
    if (ranked.length) {
      const top = ranked[0]!;
      return done(top.model, 'best', null, `${noStage}best ${q.metric} on ${dataset}: ${top.score.value} (${q.direction}, ${ranked.length} of ${candidates.length} compatible model${candidates.length > 1 ? 's' : ''} tested)`);
    }
  }
  const newest = [...candidates].sort(newestFirst)[0]!;
  const untested = dataset && q.direction ? `none has a ${q.metric} result on ${dataset}; ` : q.direction ? `none has a ${q.metric} result; ` : `the direction of ${q.metric} is unknown; `;
  return done(newest, 'newest', null, `${noStage}${untested}newest of ${candidates.length} compatible model${candidates.length > 1 ? 's' : ''} (trained ${trainedAt(newest.metadata) || 'at an unknown time'})`);
}
