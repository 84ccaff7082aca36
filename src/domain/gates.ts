// Promotion gates (DESIGN §3): what a model must show before it may hold a stage. Pure: the
// registry step hands in the candidate, the current holder and the config; the same function
// decides for `promote`, for `modelgit gates`, and for `validate --since` on a pull request.
import { isBetter, metricDirection, metricAggregate } from './metrics.js';
import { scoreOf } from './selection.js';
import { stageChanges, type StageChange } from './stages.js';
import type { ModelMetadata, RegistryConfig, StageAssignments, StagePromotionConfig } from './types.js';
import { onlyResults } from './types.js';

export type { StageChange };

export type GateName = 'branches' | 'require_tested_on' | 'must_beat_current' | 'require_tags' | 'from_stage' | 'require_verified_artifact' | 'require_signed';

export interface GateResult {
  gate: GateName;
  ok: boolean;
  /** a sentence a reviewer understands: what was required and what was found */
  detail: string;
}

export interface GateEvaluation {
  ok: boolean;
  /** every configured gate, in a fixed order, passed or not */
  results: GateResult[];
  /** just the failed ones */
  failed: GateResult[];
}

export interface GateInput {
  candidate: ModelMetadata;
  stage: string;
  /** promotion.<stage> from the config; undefined means no gates */
  rule: StagePromotionConfig | undefined;
  /** the model holding the stage now (for must_beat_current), if any */
  current?: ModelMetadata;
  /** the id in stages.yaml, when its metadata is gone (a holder removed from the registry) */
  currentId?: string;
  /** the candidate algorithm's assignments before this promotion (for from_stage) */
  assignments: Record<string, string>;
  config: Pick<RegistryConfig, 'metrics'>;
  /** what the gates about where and how a promotion is made need to know (absent: not known, and those gates fail) */
  context?: PromotionContext;
}

/**
 * Facts about how a promotion is made rather than about the model: the branch it lands on, whether
 * the artifact was verified, whether the promotion is signed. `promote` establishes them before it
 * commits; a range check (validate --since, the server hook) reads them from the promotion commit.
 */
export interface PromotionContext {
  branch?: string;
  artifactVerified?: { ok: boolean; detail: string };
  signed?: { ok: boolean; detail: string };
}

const ORDER: GateName[] = ['branches', 'from_stage', 'require_tags', 'require_tested_on', 'must_beat_current', 'require_verified_artifact', 'require_signed'];

/** Whether any gate of `rule` needs a PromotionContext (so callers gather it only then). */
export function needsContext(rule: StagePromotionConfig | undefined): boolean {
  return !!(rule?.branches?.length || rule?.require_verified_artifact || rule?.require_signed);
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}

function requireTestedOn(candidate: ModelMetadata, datasets: string[]): GateResult {
  const tested = new Set(onlyResults(candidate.testing).map((r) => r.dataset));
  const missing = datasets.filter((d) => !tested.has(d));
  return missing.length
    ? { gate: 'require_tested_on', ok: false, detail: `no test result on ${missing.join(', ')} (required: ${datasets.join(', ')})` }
    : { gate: 'require_tested_on', ok: true, detail: `tested on ${datasets.join(', ')}` };
}

function mustBeatCurrent(input: GateInput, metric: string): GateResult {
  const { candidate, current, stage, rule } = input;
  const gate = 'must_beat_current' as const;
  if (!current) {
    return { gate, ok: true, detail: input.currentId ? `the current holder ${input.currentId} is no longer registered` : `nobody holds ${stage} yet` };
  }
  const cur = current.model_id;
  const direction = metricDirection(input.config, metric);
  if (!direction) {
    return { gate, ok: false, detail: `cannot compare on ${metric}: its direction is unknown (set metrics.${metric}.direction in modelgit.yaml)` };
  }
  // The datasets the stage cares about when it names them, else every dataset both were tested on.
  const datasetsOf = (m: ModelMetadata) => new Set(onlyResults(m.testing).filter((r) => typeof r.performance?.[metric] === 'number').map((r) => r.dataset));
  const mine = datasetsOf(candidate);
  const theirs = datasetsOf(current);
  const wanted = rule?.require_tested_on?.length ? rule.require_tested_on : [...mine].sort();
  const common = wanted.filter((d) => mine.has(d) && theirs.has(d));
  if (common.length === 0) {
    const where = rule?.require_tested_on?.length ? ` on ${wanted.join(', ')}` : '';
    return { gate, ok: false, detail: `cannot compare with ${cur} on ${metric}${where}: they share no dataset with a ${metric} result` };
  }
  const lines: string[] = [];
  let ok = true;
  for (const dataset of common) {
    // The metric's aggregate (modelgit.yaml), as best ranks: one meaning of "better".
    const aggregate = metricAggregate(input.config, metric);
    const a = scoreOf(candidate, { dataset, metric, direction, aggregate })!.value;
    const b = scoreOf(current, { dataset, metric, direction, aggregate })!.value;
    const wins = isBetter(a, b, direction);
    ok &&= wins;
    lines.push(`${metric} ${fmt(a)} ${wins ? (direction === 'min' ? '<' : '>') : 'does not beat'} ${fmt(b)} of ${cur} on ${dataset}`);
  }
  return { gate, ok, detail: lines.join('; ') };
}

/** Evaluates every gate configured for the stage. No rule means the stage is open. */
export function evaluateGates(input: GateInput): GateEvaluation {
  const { candidate, rule } = input;
  const results: GateResult[] = [];
  const ctx = input.context ?? {};
  for (const name of ORDER) {
    if (name === 'branches' && rule?.branches?.length) {
      const allowed = rule.branches.join(', ');
      results.push(
        ctx.branch === undefined
          ? { gate: name, ok: false, detail: `${input.stage} may only be assigned on ${allowed}, and the branch can't be told here` }
          : rule.branches.includes(ctx.branch)
            ? { gate: name, ok: true, detail: `on ${ctx.branch}` }
            : { gate: name, ok: false, detail: `${input.stage} may only be assigned on ${allowed}, not on ${ctx.branch}` },
      );
    }
    if (name === 'require_verified_artifact' && rule?.require_verified_artifact) {
      results.push({ gate: name, ...(ctx.artifactVerified ?? { ok: false, detail: 'the artifact was not verified at promotion' }) });
    }
    if (name === 'require_signed' && rule?.require_signed) {
      results.push({ gate: name, ...(ctx.signed ?? { ok: false, detail: 'no signature to check' }) });
    }
    if (name === 'from_stage' && rule?.from_stage) {
      const holder = input.assignments[rule.from_stage];
      results.push(
        holder === candidate.model_id
          ? { gate: name, ok: true, detail: `holds ${rule.from_stage}` }
          : { gate: name, ok: false, detail: `must hold ${rule.from_stage} first (${rule.from_stage} is held by ${holder ?? 'nobody'})` },
      );
    }
    if (name === 'require_tags' && rule?.require_tags?.length) {
      const missing = rule.require_tags.filter((t) => !(candidate.tags ?? []).includes(t));
      results.push(
        missing.length
          ? { gate: name, ok: false, detail: `missing tag${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` }
          : { gate: name, ok: true, detail: `tagged ${rule.require_tags.join(', ')}` },
      );
    }
    if (name === 'require_tested_on' && rule?.require_tested_on?.length) results.push(requireTestedOn(candidate, rule.require_tested_on));
    if (name === 'must_beat_current' && rule?.must_beat_current) results.push(mustBeatCurrent(input, rule.must_beat_current));
  }
  const failed = results.filter((r) => !r.ok);
  return { ok: failed.length === 0, results, failed };
}

/** `Gate:` trailer values (commit and tag messages), one per gate. */
export function gateTrailers(ev: GateEvaluation): [string, string][] {
  return ev.results.map((r) => ['Gate', `${r.gate} ${r.ok ? 'pass' : 'FAIL'}: ${r.detail}`]);
}

export interface PromotionCheck {
  change: StageChange;
  evaluation?: GateEvaluation;
  /** why the promotion could not be evaluated (unknown stage, unknown model, wrong algorithm) */
  problem?: string;
  /** the promotion carried `Forced:` in its commit, so failed gates were accepted knowingly */
  forced: boolean;
}

export interface PromotionCheckInput {
  before: StageAssignments;
  after: StageAssignments;
  /** models as they are after the change (the pull request's head), by id */
  models: Map<string, ModelMetadata>;
  /** models before the change (the holder, when the head no longer has it), by id */
  modelsBefore: Map<string, ModelMetadata>;
  config: Pick<RegistryConfig, 'metrics' | 'promotion' | 'stages'>;
  /** `algorithm/stage/model_id` keys of promotions whose commit says `Forced:` */
  forced?: Set<string>;
  /** how each promotion was made (branch, verified artifact, signature), for the gates that ask */
  contextOf?: (change: StageChange) => PromotionContext | undefined;
}

export function forcedKey(algorithm: string, stage: string, modelId: string): string {
  return `${algorithm}/${stage}/${modelId}`;
}

/**
 * The gates for every promotion between two stage maps — what `validate --since BASE` checks on a
 * pull request. Who held what (from_stage, the holder being replaced) comes from `before`; the
 * candidate's and the holder's results from `after`, so results added in the same pull request count.
 */
export function checkPromotions(input: PromotionCheckInput): PromotionCheck[] {
  const checks: PromotionCheck[] = [];
  for (const change of stageChanges(input.before, input.after)) {
    const forced = change.model_id !== null && (input.forced?.has(forcedKey(change.algorithm, change.stage, change.model_id)) ?? false);
    if (change.action === 'demote') {
      checks.push({ change, forced: false });
      continue;
    }
    if (!input.config.stages.includes(change.stage)) {
      checks.push({ change, forced, problem: `stage ${change.stage} is not one of the configured stages (${input.config.stages.join(', ')})` });
      continue;
    }
    const candidate = input.models.get(change.model_id!);
    if (!candidate) {
      checks.push({ change, forced, problem: `${change.model_id} is not a registered model` });
      continue;
    }
    if (candidate.algorithm !== change.algorithm) {
      checks.push({ change, forced, problem: `${change.model_id} is a ${candidate.algorithm} model, not ${change.algorithm}` });
      continue;
    }
    // The holder as the head has it: results it gained in the same range count against the candidate.
    const current = change.previous ? input.models.get(change.previous) ?? input.modelsBefore.get(change.previous) : undefined;
    const evaluation = evaluateGates({
      candidate,
      stage: change.stage,
      rule: input.config.promotion?.[change.stage],
      current,
      currentId: change.previous ?? undefined,
      assignments: input.before?.[change.algorithm] ?? Object.create(null),
      config: input.config,
      context: input.contextOf?.(change),
    });
    checks.push({ change, evaluation, forced });
  }
  return checks;
}
