// Gate checks without promoting: for one would-be promotion (modelgit gates ID --stage S), and for
// every promotion a range of commits made (modelgit gates --since REV; `validate --since` uses
// promotionGateErrors to report them as located errors).
import type { ErrorLocation } from '../errors.js';
import { UsageError, ValidationError } from '../errors.js';
import { STAGES_FILE } from '../domain/config.js';
import { checkPromotions, evaluateGates, forcedKey, needsContext, type GateEvaluation, type PromotionCheck, type PromotionContext, type StageChange } from '../domain/gates.js';
import type { LogEntry } from '../git/git.js';
import { signatureVerdict } from '../domain/signatures.js';
import { assertSafeName } from '../domain/names.js';
import { locateStage } from '../domain/stages.js';
import { disallowedForcing, removedByCommit, unauthorisedRemovals } from '../domain/receive-rules.js';
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
/** `branch`: the branch the range lands on (for the `branches` gate); unknown when absent. */
export async function checkGatesSince(reg: Registry, baseRev: string, headRev = 'HEAD', opts: { branch?: string } = {}): Promise<RangeGateAnswer> {
  const base = await resolveRevision(reg, baseRev, '--since');
  const head = await resolveRevision(reg, headRev, 'HEAD');
  const [stagesBefore, stagesAfter] = await Promise.all([reg.stages(base), reg.stages(head)]);
  // No stage assignment changed: no promotion to check, and no model needs reading (a range of
  // results and registrations, as every write without a checkout checks, stays cheap).
  if (JSON.stringify(stagesBefore) === JSON.stringify(stagesAfter)) return { base, head, ok: true, checks: [] };
  const [before, after] = await Promise.all([reg.snapshot(base), reg.snapshot(head)]);
  const forced = new Set<string>();
  // The promotion commits of the range, newest first: the first for a stage change is the one that made it.
  const made = new Map<string, LogEntry>();
  for (const e of await reg.git.log([`${base}..${head}`, '--grep=^Model-Action: promote$'])) {
    const [id, stage, algorithm] = [e.trailers['Model-Id']?.[0], e.trailers['Stage']?.[0], e.trailers['Algorithm']?.[0]];
    if (!id || !stage || !algorithm) continue;
    if (e.trailers['Forced']?.[0] === 'true') forced.add(forcedKey(algorithm, stage, id));
    if (!made.has(forcedKey(algorithm, stage, id))) made.set(forcedKey(algorithm, stage, id), e);
  }
  const byId = (models: { metadata: ModelMetadata }[]) => new Map(models.map((m) => [m.metadata.model_id, m.metadata]));
  const contextOf = await rangeContexts(reg, made, opts.branch);
  const checks = checkPromotions({ before: stagesBefore, after: stagesAfter, models: byId(after.models), modelsBefore: byId(before.models), config: reg.config, forced, contextOf });
  return { base, head, ok: checks.every((c) => c.forced || (!c.problem && (c.evaluation?.ok ?? true))), checks };
}

/**
 * How each promotion of a range was made, read from the commit that made it (gates about where and
 * how: `branches`, `require_verified_artifact`, `require_signed`): the branch the range lands on,
 * the `Gate: require_verified_artifact pass` trailer promote wrote after verifying the artifact, and
 * the commit's signature as git judges it (against gpg.ssh.allowedSignersFile). A stage change no
 * promotion commit made (a hand edit of stages.yaml) has neither.
 */
async function rangeContexts(reg: Registry, made: Map<string, LogEntry>, branch: string | undefined): Promise<(c: StageChange) => PromotionContext> {
  const wanted = Object.values(reg.config.promotion ?? {}).some((r) => needsContext(r));
  if (!wanted) return () => ({});
  // Where the range lands: the caller says (the server hook: the ref pushed; --remote: its branch),
  // else a pull request's base in CI, else the branch checked out.
  branch ??= process.env.GITHUB_BASE_REF || (process.env.GITHUB_ACTIONS ? process.env.GITHUB_REF_NAME : undefined) || (await reg.git.currentBranch());
  const { file: signers, checkable } = await reg.allowedSigners();
  const sigs = await reg.git.commitSignatures([...made.values()].map((e) => e.commit), signers);
  return (c) => {
    const e = c.model_id ? made.get(forcedKey(c.algorithm, c.stage, c.model_id)) : undefined;
    const none = 'no promotion commit made this stage change (a hand edit of stages.yaml)';
    const verified = e?.trailers['Gate']?.some((g) => g.startsWith('require_verified_artifact pass'));
    const verdict = e ? signatureVerdict(sigs.get(e.commit), checkable) : undefined;
    return {
      ...(branch ? { branch } : {}),
      artifactVerified: !e ? { ok: false, detail: none } : verified ? { ok: true, detail: `verified when promoted (${e.commit.slice(0, 10)})` } : { ok: false, detail: `the promotion commit ${e.commit.slice(0, 10)} does not record a verified artifact` },
      signed: !e || !verdict ? { ok: false, detail: none } : { ok: verdict.status === 'good', detail: `the promotion commit ${e.commit.slice(0, 10)}: ${verdict.detail}` },
    };
  };
}

/**
 * The promotion gates as validation errors located in stages.yaml — for `validate --since REV`:
 * `errors.push(...(await promotionGateErrors(reg, rev)))`.
 */
export async function promotionGateErrors(reg: Registry, baseRev: string, headRev = 'HEAD', opts: { branch?: string } = {}): Promise<ErrorLocation[]> {
  return (await promotionGateFindings(reg, baseRev, headRev, opts)).errors;
}

/**
 * Every promotion of the range judged, located on its stages.yaml line: failed gates are errors; a
 * promotion forced past failed gates is a warning that names them (an override must be seen in
 * review), or an error where `promotion.<stage>.allow_force: false` (receive-rules.ts).
 */
export async function promotionGateFindings(reg: Registry, baseRev: string, headRev = 'HEAD', opts: { branch?: string } = {}): Promise<{ errors: ErrorLocation[]; warnings: ErrorLocation[] }> {
  let range: RangeGateAnswer;
  try {
    range = await checkGatesSince(reg, baseRev, headRev, opts);
  } catch (e) {
    // A stages.yaml that does not parse at either end is validate's own error to report.
    if (e instanceof ValidationError) return { errors: [], warnings: [] };
    throw e;
  }
  const { head, checks } = range;
  if (!checks.length) return { errors: [], warnings: [] };
  const text = (await reg.git.showFile(head, STAGES_FILE)) ?? '';
  const errors: ErrorLocation[] = [];
  const warnings: ErrorLocation[] = [];
  const at = (algorithm: string, stage: string) => ({ file: STAGES_FILE, ...locateStage(text, algorithm, stage), pointer: `/${algorithm}/${stage}` });
  const refused = disallowedForcing(checks, reg.config);
  for (const f of refused) errors.push({ ...at(f.algorithm, f.stage), rule: f.rule, message: f.message });
  for (const c of checks) {
    if (c.change.action === 'demote') continue;
    const { algorithm, stage, model_id } = c.change;
    if (c.forced) {
      const failed = c.evaluation?.failed ?? [];
      if (failed.length && !refused.some((f) => f.algorithm === algorithm && f.stage === stage)) {
        warnings.push({ ...at(algorithm, stage), rule: 'forced-promotion', message: `${model_id} was promoted to ${algorithm}/${stage} with --force, past ${failed.length === 1 ? 'a failed gate' : `${failed.length} failed gates`}: ${failed.map((g) => `${g.gate} (${g.detail})`).join('; ')}` });
      }
      continue;
    }
    if (c.problem) errors.push({ ...at(algorithm, stage), rule: 'promotion-target', message: c.problem });
    for (const g of c.evaluation?.failed ?? []) {
      errors.push({ ...at(algorithm, stage), rule: `gate:${g.gate}`, message: `promoting ${model_id} to ${algorithm}/${stage}: ${g.detail}` });
    }
  }
  return { errors, warnings };
}

/**
 * Model files removed in `base..tip` by commits that are not cleanups naming them (receive-rules.ts):
 * a removal is recoverable from history, but it must be a decision on the record, never a stray
 * `git rm`. Checked by validate --since (CI), and so by the server hook.
 */
export async function unauthorisedRemovalErrors(reg: Registry, base: string, tip: string): Promise<ErrorLocation[]> {
  // Only commits that delete something (a merge once per parent it deletes against: -m).
  const deleting = (await reg.git.trailerLog([tip, `^${base}`, '-m', '--diff-filter=D'], ['Model-Action', 'Model-Id'], { parents: true, strict: true })) ?? [];
  const seen = new Set<string>();
  const out: ErrorLocation[] = [];
  for (const c of deleting.reverse()) {
    if (seen.has(c.commit) || c.parents.length === 0) continue;
    seen.add(c.commit);
    const dir = [reg.config.models_dir];
    const perParent = await Promise.all(c.parents.map((p) => reg.git.changedFiles(p, c.commit, dir)));
    const removed = removedByCommit(perParent.map((changes) => changes.filter((x) => x.status === 'D').map((x) => x.path)));
    if (removed.length === 0) continue;
    const added = perParent[0]!.filter((x) => x.status === 'A').map((x) => x.path);
    out.push(...unauthorisedRemovals({ commit: c.commit, action: c.trailers['Model-Action']?.[0], modelIds: c.trailers['Model-Id'] ?? [], removed, added }, reg.config));
  }
  return out;
}
