// diff: what a range of commits changed in the registry — the pull-request summary. Reads two
// snapshots and two stage maps (one bulk read each) and hands them to the pure diff.
import { STAGES_FILE } from '../domain/config.js';
import { diffRegistry, type OtherChange, type RegistryDiff } from '../domain/diff.js';
import { checkGatesSince } from './gates.js';
import type { Registry } from './registry.js';
import { resolveRevision } from './query-options.js';

export interface DiffAnswer extends RegistryDiff {
  base: string;
  head: string;
  /** the metric results are compared on, and the stage whose holder is the yardstick */
  metric: string;
  stage: string | null;
  /** each promotion's gates (a forced one still lists what it failed) */
  gates?: { algorithm: string; stage: string; model_id: string | null; forced: boolean; failed: { gate: string; detail: string }[]; problem?: string }[];
}

export async function registryDiff(reg: Registry, baseRev: string, headRev = 'HEAD'): Promise<DiffAnswer> {
  const [base, head] = [await resolveRevision(reg, baseRev, 'BASE'), await resolveRevision(reg, headRev, 'HEAD')];
  const [before, after, stagesBefore, stagesAfter] = await Promise.all([reg.snapshot(base), reg.snapshot(head), reg.stages(base), reg.stages(head)]);
  const d = diffRegistry({ before: before.models, after: after.models, stagesBefore, stagesAfter, config: reg.config });
  // Files outside the models directory and stages.yaml: the config, schemas, workflows…
  const other: OtherChange[] = await reg.git.changedFiles(base, head, ['.', `:(exclude)${reg.config.models_dir}/`, `:(exclude)${STAGES_FILE}`]);
  const stage = reg.config.stages[reg.config.stages.length - 1] ?? null;
  const metric = (stage && reg.config.promotion?.[stage]?.must_beat_current) || reg.config.default_metric;
  // The gates of each promotion, as validate --since judges them (a forced one is not an error there, but it is shown).
  const gated = d.promotions.some((p) => p.action !== 'demote') ? (await checkGatesSince(reg, base, head)).checks : [];
  const gates = gated
    .filter((c) => c.change.action !== 'demote')
    .map((c) => ({ algorithm: c.change.algorithm, stage: c.change.stage, model_id: c.change.model_id, forced: c.forced, failed: (c.evaluation?.failed ?? []).map((g) => ({ gate: g.gate, detail: g.detail })), ...(c.problem ? { problem: c.problem } : {}) }));
  return { base, head, metric, stage, ...d, gates, changed: [...d.changed, ...other].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
}
