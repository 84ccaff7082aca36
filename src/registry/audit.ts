// audit: a model's chain of custody, from git alone and offline (issue #16). Who registered it,
// each result and who recorded it, each promotion with the gates it was judged by (re-evaluated
// at its commit, so a forced one shows what it overrode), the pull-request merge that brought it
// onto the branch, the stage tag that records it, and whether each commit and tag carries a
// signature git accepts (SSH signatures against gpg.ssh.allowedSignersFile, GPG against the
// keyring, as `git verify-commit` and `git verify-tag` judge them). `--algo A` gives the same for
// every stage change of an algorithm.
import { NotFoundError, UsageError } from '../errors.js';
import { STAGES_FILE } from '../domain/config.js';
import { assertSafeName } from '../domain/names.js';
import { parseStageTag, STAGE_TAG_NAMESPACE } from '../domain/stage-tags.js';
import { parseTrailers, type LogEntry } from '../git/git.js';
import { signatureVerdict, type SignatureVerdict } from '../domain/signatures.js';
import { checkGatesSince } from './gates.js';
import { modelHistory, toHistoryEntry, type HistoryEntry } from './history.js';
import type { Registry } from './registry.js';

export type { SignatureVerdict };

export interface AuditEvent extends HistoryEntry {
  signature: SignatureVerdict;
  /** promotions: the gates as they stood at this commit */
  gates?: { ok: boolean; forced: boolean; failed: { gate: string; detail: string }[]; problem?: string };
  /** the merge on the branch's first-parent line that brought this commit in (a reviewed pull request) */
  merged_by?: { commit: string; subject: string; author: string; date: string; signature: SignatureVerdict };
  /** the stage tag recording this promotion */
  tag?: { name: string; signature: SignatureVerdict };
}

export interface AuditAnswer {
  model_id?: string;
  algorithm?: string;
  /** oldest first */
  events: AuditEvent[];
  /** how many commits and tags: signed and accepted, unsigned, or bad */
  signatures: { good: number; unsigned: number; bad: number; unverifiable: number };
  /** stage tags that say they record a promotion of this model (or algorithm) but point at a commit that is not that promotion */
  misplaced_tags: { tag: string; target: string; detail: string }[];
}

/** `allowedSigners`: whose SSH signatures count (default: git's gpg.ssh.allowedSignersFile). */
export async function audit(reg: Registry, opts: { id?: string; algorithm?: string; allowedSigners?: string }): Promise<AuditAnswer> {
  if ((opts.id === undefined) === (opts.algorithm === undefined)) throw new UsageError('audit takes a model id or --algo A (one of them)');
  const { file: signers, checkable } = await reg.allowedSigners(opts.allowedSigners);
  let entries: HistoryEntry[];
  if (opts.id !== undefined) {
    assertSafeName('model id', opts.id, 'ID');
    const head = (await reg.git.head())!;
    const model = await reg.model(opts.id);
    entries = await modelHistory(reg, opts.id, model.path, { head, models: async () => (await reg.snapshot(head)).models.length });
  } else {
    assertSafeName('algorithm', opts.algorithm!, '--algo');
    const log: LogEntry[] = await reg.git.log(['HEAD', '--', STAGES_FILE]);
    entries = log.filter((e) => ['promote', 'demote'].includes(e.trailers['Model-Action']?.[0] ?? '') && (e.trailers['Algorithm']?.[0] ?? algorithmOfStage(e)) === opts.algorithm).map(toHistoryEntry);
    if (!entries.length) throw new NotFoundError(`no stage change of ${opts.algorithm} in the registry's history`, { hint: 'modelgit stages lists who holds what' });
  }
  // Oldest first, and never a commit before its ancestor (commits made in the same second can come
  // out of git log in either order: a promotion on a pull-request branch and the one before it).
  const paths = opts.id !== undefined ? [...new Set([(await reg.model(opts.id)).path, STAGES_FILE])] : [STAGES_FILE];
  const position = new Map((await reg.git.topoOrder('HEAD', paths)).map((c, i) => [c, i]));
  entries = [...entries].reverse().sort((a, b) => (position.get(b.commit) ?? -1) - (position.get(a.commit) ?? -1));
  const [sigs, tags] = await Promise.all([reg.git.commitSignatures(entries.map((e) => e.commit), signers), reg.git.refs(STAGE_TAG_NAMESPACE)]);
  const events: AuditEvent[] = [];
  for (const e of entries) {
    const event: AuditEvent = { ...e, signature: signatureVerdict(sigs.get(e.commit), checkable) };
    if (e.action === 'promote' || e.action === 'demote') {
      const parent = (await reg.git.log(['-1', e.commit]))[0]?.parents[0];
      if (parent && e.action === 'promote') {
        const range = await checkGatesSince(reg, parent, e.commit);
        const c = range.checks.find((x) => x.change.model_id === e.model_ids[0]) ?? range.checks[0];
        if (c) event.gates = { ok: !c.problem && (c.evaluation?.ok ?? true), forced: c.forced, failed: (c.evaluation?.failed ?? []).map((g) => ({ gate: g.gate, detail: g.detail })), ...(c.problem ? { problem: c.problem } : {}) };
      }
      const merge = await reg.git.mergeThatBrought(e.commit);
      if (merge) {
        const [m] = await reg.git.log(['-1', merge]);
        const msig = (await reg.git.commitSignatures([merge], signers)).get(merge);
        if (m) event.merged_by = { commit: merge, subject: m.subject, author: m.author, date: m.date, signature: signatureVerdict(msig, checkable) };
      }
      const tag = tags.find((t) => t.target === e.commit && parseStageTag(t.ref) && parseTrailers(t.contents)['Model-Id']?.[0] === e.model_ids[0]);
      if (tag) {
        const name = tag.ref.replace(/^refs\/tags\//, '');
        const v = await reg.git.tagSignature(name, signers);
        event.tag = {
          name,
          signature: v.status === 'good' ? { status: 'good', detail: `signed by ${v.detail}` } : v.status === 'none' ? { status: 'unsigned', detail: 'unsigned' } : { status: checkable ? 'bad' : 'unverifiable', detail: v.detail },
        };
      }
    }
    events.push(event);
  }
  // A stage tag naming this model (or algorithm) must point at the promotion commit it records: one
  // that points elsewhere was moved or made by hand, and the record no longer holds.
  const misplaced_tags: AuditAnswer['misplaced_tags'] = [];
  for (const t of tags) {
    const p = parseStageTag(t.ref);
    if (!p) continue;
    const tr = parseTrailers(t.contents);
    const model = tr['Model-Id']?.[0];
    const action = tr['Model-Action']?.[0];
    if (opts.id !== undefined ? model !== opts.id : p.algorithm !== opts.algorithm) continue;
    const ok = events.some((e) => e.commit === t.target && e.action === action && e.trailers['Stage']?.[0] === p.stage && (model === undefined || e.model_ids.includes(model)));
    if (!ok) {
      const name = t.ref.replace(/^refs\/tags\//, '');
      misplaced_tags.push({ tag: name, target: t.target, detail: `${name} records ${action ?? 'a decision'} of ${model ?? '?'} to ${p.algorithm}/${p.stage} but points at ${t.target.slice(0, 10)}, which is not that ${action ?? 'decision'}'s commit on this branch` });
    }
  }
  const signatures = { good: 0, unsigned: 0, bad: 0, unverifiable: 0 };
  for (const ev of events) for (const s of [ev.signature, ev.merged_by?.signature, ev.tag?.signature]) if (s) signatures[s.status]++;
  return { ...(opts.id !== undefined ? { model_id: opts.id } : { algorithm: opts.algorithm }), events, signatures, misplaced_tags };
}

/** A stage commit without an Algorithm trailer (older ones): the algorithm from its subject "promote ID to A/S". */
function algorithmOfStage(e: LogEntry): string | undefined {
  return / to ([^/\s]+)\//.exec(e.subject)?.[1];
}
