// drain: applies the writes a fleet queued with --queue onto the branch (issue #15). Each queued
// commit is re-applied as the *operation* it was, on today's tip, never as its text diff:
//   register   its metadata; when the id is taken on the branch meanwhile, the next free id by
//              register's own rule (firstFreeId: `<id>_2`, `<id>_3`, …)
//   test       the result(s) it appended, appended to the model's current file (a write made on
//              a registration that was queued too goes where that registration landed)
//   tag/untag  the labels it added or removed, on the model's current labels
//   note       its notes
// Each is checked again with the hook's in-process checks (schema/model-checks.ts). One that can't
// be applied any more (its model was removed, its result no longer valid) is not dropped
// silently: drain commits a visible record instead, an empty commit "queued <action> … refused:
// <why>" with `Model-Action: <action>-refused`, so `git log` and history show what happened.
// The queue mechanics (fetch, order, original author, exactly once, one atomic push) are
// store/write/queue.ts's.
import { LockedError, ModelgitError, UsageError } from '../errors.js';
import { serializeMetadata } from '../domain/metadata.js';
import type { ModelMetadata } from '../domain/types.js';
import { checkModelText } from '../schema/model-checks.js';
import { freeId } from './register.js';
import type { CommitSpec, DrainOutcome, QueuedWrite, Reapplied, Registry } from './registry.js';

export interface DrainOptions {
  /** the remote whose queue to drain (default: the branch's upstream, else origin) */
  remote?: string;
}

export type DrainAnswer = DrainOutcome & { applied: number; refused: number; skipped: number };

export async function drain(reg: Registry, opts: DrainOptions = {}): Promise<DrainAnswer> {
  const out = await reg.drainQueue((q) => reapply(reg, q), { remote: opts.remote });
  const count = (o: string) => out.items.filter((i) => i.outcome === o).length;
  return { ...out, applied: count('applied'), refused: count('refused'), skipped: count('skipped') };
}

function parseMeta(text: string | undefined): ModelMetadata | undefined {
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as ModelMetadata) : undefined;
  } catch {
    return undefined;
  }
}

/** The visible record of a queued write drain could not apply. */
function refusal(q: QueuedWrite, why: string): Reapplied {
  const id = q.modelIds[0];
  return {
    refused: why,
    spec: {
      subject: `queued ${q.action || 'write'}${id ? ` of ${id}` : ''} refused: ${why}`,
      body: `The write queued as ${q.ref} (${q.commit.slice(0, 10)}, "${q.subject}") was not applied.`,
      trailers: [['Model-Action', `${q.action || 'write'}-refused`], ...(id ? ([['Model-Id', id]] as [string, string][]) : [])],
      changes: [],
      allowEmpty: true,
    },
  };
}

/** The one model file a queued write changed, before and after. */
function modelChange(reg: Registry, q: QueuedWrite) {
  const dir = reg.config.models_dir.replace(/\/+$/, '') + '/';
  const files = q.changes.filter((c) => c.path.startsWith(dir));
  return files.length === 1 ? files[0] : undefined;
}

async function checked(reg: Registry, q: QueuedWrite, path: string, meta: ModelMetadata, spec: Omit<CommitSpec, 'changes'>): Promise<Reapplied> {
  const text = serializeMetadata(meta);
  const errors = await checkModelText(reg, path, text);
  if (errors.length) return refusal(q, `the result is no longer valid: ${errors[0]!.message}`);
  return { spec: { ...spec, changes: [{ path, content: text }] } };
}

/**
 * A queued promotion or demotion is run again on today's tip with the same plan promote and
 * demote use: its gates are checked again (a forced one stays forced), its stage tag numbered on
 * the tags there now. Refused by its gates, or no longer possible, it becomes a visible record.
 */
async function restage(reg: Registry, q: QueuedWrite): Promise<Reapplied> {
  const id = q.modelIds[0];
  const stage = q.trailers['Stage']?.[0];
  if (!id || !stage) return refusal(q, 'its commit names no model or stage');
  const { promotionPlan, demotionPlan } = await import('./promote.js');
  let plan;
  try {
    plan = q.action === 'promote' ? await promotionPlan(reg, { id, stage, force: q.trailers['Forced']?.[0] === 'true' })() : await demotionPlan(reg, { id, stage })();
  } catch (e) {
    if (!(e instanceof ModelgitError) || e instanceof LockedError) throw e;
    return refusal(q, e.message.split('\n').map((l) => l.trim()).filter(Boolean).join('; '));
  }
  if ('nothing' in plan) return { skip: q.action === 'promote' ? `${id} already holds ${stage}` : `${id} no longer holds ${stage}` };
  if (!('spec' in plan)) return refusal(q, 'not a single commit');
  return { spec: { ...plan.spec, subject: plan.spec.subject }, tags: plan.tags };
}

export async function reapply(reg: Registry, q: QueuedWrite): Promise<Reapplied> {
  if (q.action === 'promote' || q.action === 'demote') return restage(reg, q);
  const change = modelChange(reg, q);
  const after = parseMeta(change?.after);
  if (!change || !after) return refusal(q, 'it does not change exactly one readable model file');
  const before = parseMeta(change.before);
  const id = q.modelIds[0] ?? after.model_id;
  if (q.action === 'register') {
    if (before) return refusal(q, 'a queued registration must add a new model file');
    const algorithm = after.algorithm;
    // register's own rule and search (freeId): the id itself when free on today's tip, else `<id>_2`, `<id>_3`, …
    // (the lookup reads every blob at `<algo>/<id>.json` in one object reader: a file there is
    // either a model or an unreadable one, so one process answers each batch of candidates)
    const fresh = await freeId(id, async (candidates) => {
      const l = await reg.lookup(candidates);
      return (c) => l.found.has(c) || l.invalid.has(c);
    });
    const meta = { ...after, model_id: fresh };
    if (typeof meta.model_path === 'string' && fresh !== id) meta.model_path = meta.model_path.split(id).join(fresh);
    return checked(reg, q, reg.modelFile(algorithm, fresh), meta, {
      subject: fresh === id ? q.subject : `register ${fresh} (queued as ${id}, which was taken)`,
      trailers: [['Model-Action', 'register'], ['Model-Id', fresh]],
    });
  }
  if (!['test', 'tag', 'untag', 'note'].includes(q.action)) return refusal(q, `drain does not apply "${q.action}" writes`);
  if (!before) return refusal(q, `${id} was not registered when the write was queued`);
  // Made on a registration that was itself queued: the write belongs to wherever that registration
  // landed (drained just before it, perhaps under a fresh id), never to another model of that name.
  let target = id;
  if (q.basedOn && !(await reg.git.isAncestor(q.basedOn.commit, 'HEAD'))) {
    const landed = q.basedOn.operationId ? await reg.committedOperation(q.basedOn.operationId) : undefined;
    if (!landed || landed.action !== 'register' || !landed.modelIds[0]) {
      return refusal(q, `its model ${id} was queued for registration (${q.basedOn.commit.slice(0, 10)}) and that registration is not on the branch (refused, or not drained)`);
    }
    target = landed.modelIds[0];
  }
  const current = (await reg.lookup([target])).found.get(target);
  if (!current) return refusal(q, `there is no model ${target} on the branch any more`);
  const meta = structuredClone(current.metadata);
  if (q.action === 'test') {
    const added = after.testing.slice(before.testing.length);
    if (!added.length) return { skip: 'the queued test added no result' };
    meta.testing = [...meta.testing, ...added];
  } else if (q.action === 'note') {
    if (after.notes === undefined) delete meta.notes;
    else meta.notes = after.notes;
  } else {
    const was = new Set(before.tags ?? []);
    const now = new Set(after.tags ?? []);
    const tags = new Set(meta.tags ?? []);
    for (const t of now) if (!was.has(t)) tags.add(t);
    for (const t of was) if (!now.has(t)) tags.delete(t);
    meta.tags = [...tags];
  }
  if (serializeMetadata(meta) === serializeMetadata(current.metadata)) return { skip: 'nothing left to change on the branch' };
  const subjectTrailers = [['Model-Action', q.action], ['Model-Id', target]] as [string, string][];
  // test keeps its Dataset trailer, so history reads a drained result like any other
  if (q.action === 'test') for (const r of after.testing.slice(before.testing.length)) subjectTrailers.push(['Dataset', r.dataset]);
  const subject = target === id ? q.subject : `${q.subject.replace(` ${id}`, ` ${target}`)} (queued for ${id}, registered as ${target})`;
  return checked(reg, q, current.path, meta, { subject, trailers: subjectTrailers });
}

/** Drain's own refusals of its input (the CLI's --remote), before anything is fetched. */
export function assertDrainOptions(opts: DrainOptions): void {
  if (opts.remote !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._/-]*$/.test(opts.remote)) throw new UsageError(`--remote: ${JSON.stringify(opts.remote)} is not a remote name`);
}
