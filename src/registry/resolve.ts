// resolve: the model a training recipe should start from, why, and how to load it.
// Stage preference: --stage S, else the config's stages from the most mature (last listed) down.
// "Best" is on the config's default_metric (or --metric), on --dataset, else on the first
// require_tested_on dataset of the most mature stage's promotion gate, else on the dataset most
// candidates were tested on.
import { LoadPlanError, ModelgitError, NotFoundError, UsageError } from '../errors.js';
import { skippedFiles, type SkippedFile } from '../domain/invalid-files.js';
import { metricAggregate, metricDirection } from '../domain/metrics.js';
import { assertSafeName } from '../domain/names.js';
import type { Aggregate, LoadingStrategy, RegistryConfig } from '../domain/types.js';
import { assertAggregate, checkInvalidFiles } from './query-options.js';
import { resolveRecipe, type Rejection, type Rule } from '../loading/compatibility.js';
import { loadPlan, strategyFor, type LoadPlan } from '../loading/plan.js';
import { useRegistryLoaders } from './load-plan.js';
import type { Registry } from './registry.js';

export interface ResolveOptions {
  recipe: string;
  role?: string;
  stage?: string;
  dataset?: string;
  metric?: string;
  /** how a model's results make its score (default: metrics.<m>.aggregate, else latest) */
  aggregate?: Aggregate;
  /** resolve without model files that can't be read (else they fail the query: any could be the answer) */
  skipInvalid?: boolean;
  /** build the load plan of the chosen model (default true); false when artifacts aren't here */
  plan?: boolean;
}

export interface ResolveAnswer {
  model_id: string;
  model_path: string | null;
  role: string | null;
  loading_strategy: LoadingStrategy | null;
  stage: string | null;
  reason: string;
  rule: Rule;
  algorithm: string;
  recipe: string;
  metric: string;
  /** how a model's results on the dataset made its score */
  aggregate: Aggregate;
  dataset: string | null;
  candidates: string[];
  rejected: Rejection[];
  plan?: LoadPlan;
  /** only with --skip-invalid: model files left out because they can't be read */
  skipped?: SkippedFile[];
}

/** The dataset "best" is judged on when --dataset is not given (undefined: the most tested one). */
export function defaultResolveDataset(config: RegistryConfig): string | undefined {
  for (const stage of [...config.stages].reverse()) {
    const first = config.promotion[stage]?.require_tested_on?.[0];
    if (first) return first;
  }
  return undefined;
}

const SHOWN_REJECTIONS = 20;

export async function resolveModel(reg: Registry, opts: ResolveOptions): Promise<ResolveAnswer> {
  if (!opts.recipe || !opts.recipe.trim()) throw new UsageError('--for: give the training recipe (e.g. critic-wmtp)');
  if (opts.stage !== undefined) assertSafeName('stage', opts.stage, '--stage');
  if (opts.dataset !== undefined) assertSafeName('dataset', opts.dataset, '--dataset');
  if (opts.metric !== undefined) assertSafeName('metric', opts.metric, '--metric');
  if (opts.aggregate !== undefined) assertAggregate(opts.aggregate);
  await useRegistryLoaders(reg);
  const snap = await reg.snapshot();
  // Compatibility is declared in each file, so any unreadable file could be the answer.
  const skipped = checkInvalidFiles(snap.problems, reg.config, { kind: 'all' }, opts.skipInvalid);
  const stages = await reg.stages();
  const metric = opts.metric ?? reg.config.default_metric;
  const dataset = opts.dataset ?? defaultResolveDataset(reg.config);
  const aggregate = metricAggregate(reg.config, metric, opts.aggregate);
  const outcome = resolveRecipe(snap.models, stages, {
    recipe: opts.recipe,
    role: opts.role,
    stageOrder: opts.stage !== undefined ? [opts.stage] : [...reg.config.stages].reverse(),
    metric,
    direction: metricDirection(reg.config, metric),
    aggregate,
    dataset,
    loaderProblem: (meta) => {
      if (!meta.loading_strategy) return 'has no loading_strategy';
      try {
        strategyFor(meta);
        return undefined;
      } catch (e) {
        if (e instanceof LoadPlanError) return e.message.replace(`model ${meta.model_id}: `, '');
        throw e;
      }
    },
  });
  const { resolution, rejected, candidates } = outcome;
  if (!resolution) {
    const lines = rejected.slice(0, SHOWN_REJECTIONS).map((r) => `  ${r.model_id}: ${r.reasons.join('; ')}`);
    if (rejected.length > SHOWN_REJECTIONS) lines.push(`  … and ${rejected.length - SHOWN_REJECTIONS} more (--json lists all)`);
    const what = `recipe ${opts.recipe}${opts.role !== undefined ? ` with role ${opts.role}` : ''}`;
    throw new NotFoundError(
      rejected.length ? `no model is compatible with ${what}; ${rejected.length} candidate(s) rejected:\n${lines.join('\n')}` : `no model is compatible with ${what}: the registry has no models`,
      { data: { recipe: opts.recipe, rejected }, hint: 'list the recipe in a model\'s "algorithm_compatibility"' },
    );
  }
  const meta = resolution.model.metadata;
  const answer: ResolveAnswer = {
    model_id: meta.model_id,
    model_path: meta.model_path ?? null,
    role: meta.role ?? null,
    loading_strategy: meta.loading_strategy ?? null,
    stage: resolution.stage,
    reason: resolution.reason,
    rule: resolution.rule,
    algorithm: meta.algorithm,
    recipe: opts.recipe,
    metric,
    aggregate,
    dataset: outcome.dataset ?? null,
    candidates: candidates.map((m) => m.metadata.model_id),
    rejected,
    ...(opts.skipInvalid && { skipped: skippedFiles(skipped) }),
  };
  if (opts.plan === false) return answer;
  try {
    return { ...answer, plan: await loadPlan(resolution.model, { root: reg.root }) };
  } catch (e) {
    if (!(e instanceof ModelgitError)) throw e;
    // No silent fallback to another model: the choice stands and its problem is the answer.
    const Err = e.constructor as new (m: string, o: { hint?: string; data?: Record<string, unknown> }) => ModelgitError;
    throw new Err(`resolve chose ${meta.model_id} (${resolution.reason}), but it cannot be loaded: ${e.message}`, {
      hint: e.hint ?? 'modelgit resolve --no-plan answers without checking the artifact',
      data: { choice: answer },
    });
  }
}
