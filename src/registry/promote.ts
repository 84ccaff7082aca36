// promote / demote: one edit to stages.yaml (comments and order kept), one commit with trailers,
// and on the default branch the annotated tag stage/<algorithm>/<stage>/<n>. With --branch the
// commit goes on a new branch promote/<id>-<stage> for a pull request instead (no tag: sync-tags
// writes it once the pull request is merged).
import { GateError, NotFoundError, UsageError } from '../errors.js';
import { DEFAULT_STAGES_TEXT, STAGES_FILE } from '../domain/config.js';
import { evaluateGates, gateTrailers, type GateResult } from '../domain/gates.js';
import { assertSafeName } from '../domain/names.js';
import { nextStageTagNumber, STAGE_TAG_NAMESPACE, stageSubject, stageTagMessage, stageTagName } from '../domain/stage-tags.js';
import { assignStage, unassignStage, type StageChange } from '../domain/stages.js';
import type { PushInfo, Registry, TagSpec, WriteOutcome, WritePlan } from './registry.js';

export interface PromoteOptions {
  id: string;
  stage: string;
  /** promote even though gates fail; recorded in the commit (Forced: true) */
  force?: boolean;
  /** commit on a new branch promote/<id>-<stage> for a pull request */
  branch?: boolean;
}

export interface StageAnswer {
  model_id: string;
  algorithm: string;
  stage: string;
  previous: string | null;
  commit: string;
  tag: string | null;
  branch: string | null;
  /** false when there was nothing to do (already held / not held); no commit was made */
  changed: boolean;
  pushed: PushInfo | null;
}

export interface PromoteAnswer extends StageAnswer {
  gates: GateResult[];
  forced: boolean;
}

export function promotionBranch(id: string, stage: string): string {
  return `promote/${id}-${stage}`;
}

/** The tag to write with a stage commit: only on the default branch, numbered from every stage tag we know. */
async function stageTag(reg: Registry, change: StageChange, onNewBranch: boolean, facts: { gates?: string[]; forced?: boolean }): Promise<TagSpec[]> {
  if (onNewBranch) return [];
  const [current, main] = await Promise.all([reg.git.currentBranch(), reg.defaultBranch()]);
  if (!current || current !== main) return [];
  const n = nextStageTagNumber(await reg.git.refs(STAGE_TAG_NAMESPACE), change.algorithm, change.stage);
  return [{ name: stageTagName(change.algorithm, change.stage, n), message: stageTagMessage({ change, ...facts }) }];
}

async function stagesText(reg: Registry): Promise<string> {
  return (await reg.git.showFile('HEAD', STAGES_FILE)) ?? DEFAULT_STAGES_TEXT;
}

function answerFrom(base: Omit<StageAnswer, 'commit' | 'tag' | 'branch' | 'pushed' | 'changed'>, commit: string, outcome: WriteOutcome): StageAnswer {
  return { ...base, commit, tag: outcome.tags[0] ?? null, branch: outcome.branch ?? null, changed: true, pushed: outcome.pushed ?? null };
}

export async function promote(reg: Registry, opts: PromoteOptions): Promise<PromoteAnswer> {
  return reg.write<PromoteAnswer>(promotionPlan(reg, opts));
}

/** The promotion's plan, run under the write lock (and by drain, for a queued promotion: gates re-checked). */
export function promotionPlan(reg: Registry, opts: PromoteOptions): () => Promise<WritePlan<PromoteAnswer>> {
  const id = assertSafeName('model id', opts.id, 'ID');
  const stage = assertSafeName('stage', opts.stage, '--stage');
  if (!reg.config.stages.includes(stage)) {
    throw new UsageError(`--stage: ${stage} is not a stage of this registry (modelgit.yaml stages: ${reg.config.stages.join(', ') || 'none'})`);
  }
  return async () => {
    const model = await reg.model(id);
    const algorithm = model.metadata.algorithm;
    const assignments = (await reg.stages())[algorithm] ?? Object.create(null); // (no prototype: a stage may be called constructor)
    const previous = assignments[stage] ?? null;
    if (previous === id) {
      const head = (await reg.git.head())!;
      return { nothing: { model_id: id, algorithm, stage, previous, commit: head, tag: null, branch: null, changed: false, pushed: null, gates: [], forced: false } };
    }
    const current = previous ? (await reg.snapshot()).byId.get(previous)?.metadata : undefined;
    const ev = evaluateGates({
      candidate: model.metadata,
      stage,
      rule: reg.config.promotion?.[stage],
      current,
      currentId: previous ?? undefined,
      assignments,
      config: reg.config,
    });
    const forced = !ev.ok && !!opts.force;
    if (forced && reg.config.promotion?.[stage]?.allow_force === false) {
      throw new GateError(`${id} may not be promoted to ${algorithm}/${stage}, and --force is not allowed there (promotion.${stage}.allow_force: false); ${ev.failed.length} gate${ev.failed.length > 1 ? 's' : ''} failed:\n${ev.failed.map((g) => `  ${g.gate}: ${g.detail}`).join('\n')}`, {
        hint: 'meet the gates (modelgit gates ID --stage S says what is missing), or change modelgit.yaml through a reviewed pull request',
        data: { gates: ev.results },
      });
    }
    if (!ev.ok && !opts.force) {
      throw new GateError(`${id} may not be promoted to ${algorithm}/${stage}; ${ev.failed.length} gate${ev.failed.length > 1 ? 's' : ''} failed:\n${ev.failed.map((g) => `  ${g.gate}: ${g.detail}`).join('\n')}`, {
        hint: '--force promotes anyway and records it in the commit (Forced: true)',
        data: { gates: ev.results },
      });
    }
    const change: StageChange = { algorithm, stage, model_id: id, previous, action: 'promote' };
    const gates = gateTrailers(ev).map(([, v]) => v);
    const trailers: [string, string][] = [
      ['Model-Action', 'promote'],
      ['Model-Id', id],
      ['Algorithm', algorithm],
      ['Stage', stage],
      ...(previous ? [['Previous-Model-Id', previous] as [string, string]] : []),
      ...gateTrailers(ev),
      ['Forced', forced ? 'true' : 'false'],
    ];
    const branch = opts.branch ? promotionBranch(id, stage) : undefined;
    return {
      spec: { subject: stageSubject(change), trailers, changes: [{ path: STAGES_FILE, content: assignStage(await stagesText(reg), algorithm, stage, id) }] },
      tags: await stageTag(reg, change, !!branch, { gates, forced }),
      branch,
      result: (commit, outcome) => ({ ...answerFrom({ model_id: id, algorithm, stage, previous }, commit, outcome), gates: ev.results, forced }),
    };
  };
}

export interface DemoteOptions {
  id: string;
  stage: string;
  branch?: boolean;
}

export async function demote(reg: Registry, opts: DemoteOptions): Promise<StageAnswer> {
  return reg.write<StageAnswer>(demotionPlan(reg, opts));
}

/** The demotion's plan (also drain's, for a queued demotion). */
export function demotionPlan(reg: Registry, opts: DemoteOptions): () => Promise<WritePlan<StageAnswer>> {
  const id = assertSafeName('model id', opts.id, 'ID');
  const stage = assertSafeName('stage', opts.stage, '--stage');
  return async () => {
    const all = await reg.stages();
    const algorithm = Object.keys(all).sort().find((a) => all[a]?.[stage] === id);
    if (!algorithm) {
      throw new NotFoundError(`${id} does not hold ${stage}`, { hint: 'modelgit stages lists who holds what' });
    }
    const change: StageChange = { algorithm, stage, model_id: null, previous: id, action: 'demote' };
    const branch = opts.branch ? `demote/${id}-${stage}` : undefined;
    return {
      spec: {
        subject: stageSubject(change),
        trailers: [['Model-Action', 'demote'], ['Model-Id', id], ['Algorithm', algorithm], ['Stage', stage]],
        changes: [{ path: STAGES_FILE, content: unassignStage(await stagesText(reg), algorithm, stage) }],
      },
      tags: await stageTag(reg, change, !!branch, {}),
      branch,
      result: (commit, outcome) => answerFrom({ model_id: id, algorithm, stage, previous: id }, commit, outcome),
    };
  };
}
