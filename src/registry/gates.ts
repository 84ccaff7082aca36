// Gate checks without promoting: for one would-be promotion (modelgit gates ID --stage S), and for
// every promotion a range of commits made (modelgit gates --since REV; `validate --since` uses
// promotionGateErrors to report them as located errors).
import type { ErrorLocation } from '../errors.js';
import { UsageError, ValidationError } from '../errors.js';
import { STAGES_FILE } from '../domain/config.js';
import { checkPromotions, evaluateGates, forcedKey, type GateEvaluation, type PromotionCheck } from '../domain/gates.js';
import { assertSafeName } from '../domain/names.js';
import { locateStage } from '../domain/stages.js';
import type { ModelMetadata } from '../domain/types.js';
import { resolveRevision } from './query-options.js';
import type { Registry } from './registry.js';

export interface GateCheckAnswer extends GateEvaluation {
  model_id: string;
  algorithm: string;
  stage: string;
  current: string | null;
}

export async function checkGates(reg: Registry, opts: { id: string; stage: string }): Promise<GateCheckAnswer> {
  const id = assertSafeName('model id', opts.id, 'ID');
  const stage = assertSafeName('stage', opts.stage, '--stage');
  if (!reg.config.stages.includes(stage)) throw new UsageError(`--stage: ${stage} is not a stage of this registry (modelgit.yaml stages: ${reg.config.stages.join(', ')})`);
  const model = await reg.model(id);
  const algorithm = model.metadata.algorithm;
  const assignments = (await reg.stages())[algorithm] ?? Object.create(null); // (no prototype: a stage may be called constructor)
  const currentId = assignments[stage];
  const current = currentId ? (await reg.snapshot()).byId.get(currentId)?.metadata : undefined;
  const ev = evaluateGates({ candidate: model.metadata, stage, rule: reg.config.promotion?.[stage], current, currentId, assignments, config: reg.config });
  return { model_id: id, algorithm, stage, current: currentId ?? null, ...ev };
}

export interface RangeGateAnswer {
  base: string;
  head: string;
  ok: boolean;
  checks: PromotionCheck[];
}

/** Every promotion between two revisions with its gates; a forced promotion is reported, not failed. */
export async function checkGatesSince(reg: Registry, baseRev: string, headRev = 'HEAD'): Promise<RangeGateAnswer> {
  const base = await resolveRevision(reg, baseRev, '--since');
  const head = await resolveRevision(reg, headRev, 'HEAD');
  const [stagesBefore, stagesAfter] = await Promise.all([reg.stages(base), reg.stages(head)]);
  // No stage assignment changed: no promotion to check, and no model needs reading (a range of
  // results and registrations, as every write without a checkout checks, stays cheap).
  if (JSON.stringify(stagesBefore) === JSON.stringify(stagesAfter)) return { base, head, ok: true, checks: [] };
  const [before, after] = await Promise.all([reg.snapshot(base), reg.snapshot(head)]);
  const forced = new Set<string>();
  for (const e of await reg.git.log([`${base}..${head}`, '--grep=^Model-Action: promote$'])) {
    const [id, stage, algorithm] = [e.trailers['Model-Id']?.[0], e.trailers['Stage']?.[0], e.trailers['Algorithm']?.[0]];
    if (e.trailers['Forced']?.[0] === 'true' && id && stage && algorithm) forced.add(forcedKey(algorithm, stage, id));
  }
  const byId = (models: { metadata: ModelMetadata }[]) => new Map(models.map((m) => [m.metadata.model_id, m.metadata]));
  const checks = checkPromotions({ before: stagesBefore, after: stagesAfter, models: byId(after.models), modelsBefore: byId(before.models), config: reg.config, forced });
  return { base, head, ok: checks.every((c) => c.forced || (!c.problem && (c.evaluation?.ok ?? true))), checks };
}

/**
 * The promotion gates as validation errors located in stages.yaml — for `validate --since REV`:
 * `errors.push(...(await promotionGateErrors(reg, rev)))`.
 */
export async function promotionGateErrors(reg: Registry, baseRev: string, headRev = 'HEAD'): Promise<ErrorLocation[]> {
  let range: RangeGateAnswer;
  try {
    range = await checkGatesSince(reg, baseRev, headRev);
  } catch (e) {
    // A stages.yaml that does not parse at either end is validate's own error to report.
    if (e instanceof ValidationError) return [];
    throw e;
  }
  const { head, checks } = range;
  const text = (await reg.git.showFile(head, STAGES_FILE)) ?? '';
  const errors: ErrorLocation[] = [];
  for (const c of checks) {
    if (c.forced || c.change.action === 'demote') continue;
    const pos = locateStage(text, c.change.algorithm, c.change.stage);
    const pointer = `/${c.change.algorithm}/${c.change.stage}`;
    if (c.problem) errors.push({ file: STAGES_FILE, ...pos, pointer, rule: 'promotion-target', message: c.problem });
    for (const g of c.evaluation?.failed ?? []) {
      errors.push({ file: STAGES_FILE, ...pos, pointer, rule: `gate:${g.gate}`, message: `promoting ${c.change.model_id} to ${c.change.algorithm}/${c.change.stage}: ${g.detail}` });
    }
  }
  return errors;
}
