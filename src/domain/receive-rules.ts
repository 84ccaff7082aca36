// The rules a registry's server applies to a push (`modelgit hooks install --server`, the
// pre-receive hook) beyond what `validate --since` checks on the resulting tree: which ref updates
// may happen at all (a branch's history is the registry's audit trail, a decision tag is never
// moved), which commits may remove a model file (only a cleanup, and only the models it names),
// and when a forced promotion is no longer allowed. Pure, so each rule is tested without a server;
// registry/receive-check.ts gathers the facts from git and applies them.
import type { ErrorLocation } from '../errors.js';
import type { PromotionCheck } from './gates.js';
import type { RegistryConfig } from './types.js';
import { classifyPath } from './validation.js';

/** What git hands a pre-receive hook per ref: `<old> <new> <ref>`, a zero id for "none". */
export interface RefUpdate {
  old: string;
  new: string;
  ref: string;
}

const ZERO = /^0+$/;
export const QUEUE_REF_PREFIX = 'refs/modelgit/queue/';
/** Tag families that record decisions (DESIGN §4): created once, never moved or deleted. */
export const DECISION_TAG_PREFIXES = ['refs/tags/stage/', 'refs/tags/best/', 'refs/tags/cleanup/'];

/** The `<old> <new> <ref>` lines of a pre-receive hook's input; malformed lines are skipped. */
export function parseRefUpdates(input: string): RefUpdate[] {
  const out: RefUpdate[] = [];
  for (const line of input.split('\n')) {
    const [old, nu, ref] = line.trim().split(/\s+/);
    if (old && nu && ref && /^[0-9a-f]+$/.test(old) && /^[0-9a-f]+$/.test(nu)) out.push({ old, new: nu, ref });
  }
  return out;
}

/**
 * What a ref update asks the server to check:
 * - `refuse`: not allowed whatever the content (a decision tag moved, the default branch deleted);
 * - `accept`: nothing to check (a deletion that is allowed, an ordinary tag, a ref modelgit does not know);
 * - `range`: a branch update: `old` must be an ancestor of `new` (no history rewrite), then old..new is validated;
 * - `new-branch`: a branch created: validated from where it leaves the default branch;
 * - `queued`: a queued write (`refs/modelgit/queue/*`): one commit, validated against its parent;
 * - `decision-tag`: a decision tag created: it must point at a commit of the registry's branches
 *   (as they are after the push), so no decision is recorded on a commit no branch checked.
 */
export type RefCheck =
  | { kind: 'refuse'; rule: string; message: string }
  | { kind: 'accept' }
  | { kind: 'range'; old: string; new: string }
  | { kind: 'new-branch'; new: string }
  | { kind: 'queued'; new: string }
  | { kind: 'decision-tag'; new: string };

export function refCheckOf(u: RefUpdate, defaultBranch: string | undefined): RefCheck {
  const created = ZERO.test(u.old);
  const deleted = ZERO.test(u.new);
  if (DECISION_TAG_PREFIXES.some((p) => u.ref.startsWith(p))) {
    if (created) return { kind: 'decision-tag', new: u.new };
    return deleted
      ? { kind: 'refuse', rule: 'decision-tag', message: `a decision tag is never deleted (${u.ref.slice('refs/tags/'.length)} records a decision; a newer tag supersedes it)` }
      : { kind: 'refuse', rule: 'decision-tag', message: `a decision tag is never moved (${u.ref.slice('refs/tags/'.length)} records a decision; a newer tag supersedes it)` };
  }
  if (u.ref.startsWith(QUEUE_REF_PREFIX)) return deleted ? { kind: 'accept' } : { kind: 'queued', new: u.new };
  if (u.ref.startsWith('refs/heads/')) {
    if (deleted) {
      return defaultBranch !== undefined && u.ref === `refs/heads/${defaultBranch}`
        ? { kind: 'refuse', rule: 'default-branch', message: `the default branch ${defaultBranch} holds the registry and is never deleted` }
        : { kind: 'accept' };
    }
    return created ? { kind: 'new-branch', new: u.new } : { kind: 'range', old: u.old, new: u.new };
  }
  return { kind: 'accept' };
}

/** The branch tips once `updates` are applied to the branches there were (`existing`: ref → commit). */
export function branchTipsAfter(existing: { ref: string; target: string }[], updates: RefUpdate[]): string[] {
  const tips = new Map(existing.filter((e) => e.ref.startsWith('refs/heads/')).map((e) => [e.ref, e.target]));
  for (const u of updates) {
    if (!u.ref.startsWith('refs/heads/')) continue;
    if (ZERO.test(u.new)) tips.delete(u.ref);
    else tips.set(u.ref, u.new);
  }
  return [...new Set(tips.values())];
}

/** The refusal of a decision tag whose commit no branch holds. */
export function strayDecisionTagProblem(u: RefUpdate, commit: string | undefined): { rule: string; message: string } {
  const name = u.ref.slice('refs/tags/'.length);
  return {
    rule: 'decision-tag',
    message: commit
      ? `${name} points at ${commit.slice(0, 10)}, which is on no branch of the registry: a decision is recorded on a commit of its history`
      : `${name} does not point at a commit`,
  };
}

/** The refusal of a branch update that is not a fast-forward. */
export function historyRewriteProblem(u: RefUpdate): { rule: string; message: string } {
  return {
    rule: 'history-rewrite',
    message: `${u.old.slice(0, 10)} is not an ancestor of ${u.new.slice(0, 10)}: a registry's history is its audit trail and is never rewritten (push a new commit instead of a force-push)`,
  };
}

/** One commit of a pushed range, with what it removed under the models directory. */
export interface CommitRemovals {
  commit: string;
  /** the commit's Model-Action trailer */
  action?: string;
  /** its Model-Id trailers */
  modelIds: string[];
  /** paths present in every parent and gone in the commit (what this commit itself removed) */
  removed: string[];
  /** paths the commit added against its first parent (a model moved, not removed) */
  added: string[];
}

/**
 * Model files removed by a commit that is not a cleanup naming them (`Model-Action: cleanup` with a
 * `Model-Id` per removed model, as `modelgit cleanup` writes). A model moved within the commit (its
 * id added at another path) is not a removal: validate checks the move itself.
 */
export function unauthorisedRemovals(c: CommitRemovals, config: Pick<RegistryConfig, 'models_dir'>): ErrorLocation[] {
  const addedIds = new Set<string>();
  for (const p of c.added) {
    const k = classifyPath(config, p);
    if (k.kind === 'model') addedIds.add(k.id);
  }
  const named = new Set(c.modelIds);
  const out: ErrorLocation[] = [];
  for (const path of c.removed) {
    const k = classifyPath(config, path);
    if (k.kind !== 'model' || addedIds.has(k.id)) continue;
    const short = c.commit.slice(0, 10);
    if (c.action !== 'cleanup') {
      out.push({ file: path, line: 1, column: 1, pointer: '', rule: 'removed-by-cleanup', message: `commit ${short} removes model ${k.id}, but it is not a cleanup commit (Model-Action: cleanup); modelgit cleanup removes models` });
    } else if (!named.has(k.id)) {
      out.push({ file: path, line: 1, column: 1, pointer: '', rule: 'removed-by-cleanup', message: `cleanup commit ${short} removes model ${k.id} without naming it in a Model-Id trailer` });
    }
  }
  return out;
}

/** Paths removed by a commit itself: gone against every one of its parents (a merge takes removals its other side made). */
export function removedByCommit(deletedPerParent: string[][]): string[] {
  if (deletedPerParent.length === 0) return [];
  const [first, ...rest] = deletedPerParent;
  const others = rest.map((d) => new Set(d));
  return first!.filter((p) => others.every((s) => s.has(p)));
}

/**
 * Forced promotions the config does not allow: `promotion.<stage>.allow_force: false` makes a
 * promotion past a failed gate a refusal even with `Forced: true`. A forced promotion to a stage
 * the config does not have is refused whatever the config: force waives gates, not the
 * registry's own consistency.
 */
export function disallowedForcing(checks: PromotionCheck[], config: Pick<RegistryConfig, 'promotion' | 'stages'>): { pointer: string; algorithm: string; stage: string; rule: string; message: string }[] {
  const out: { pointer: string; algorithm: string; stage: string; rule: string; message: string }[] = [];
  for (const c of checks) {
    if (!c.forced || c.change.action === 'demote') continue;
    const { algorithm, stage, model_id } = c.change;
    const pointer = `/${algorithm}/${stage}`;
    if (c.problem) {
      // (a missing model, or one of another algorithm, is validate's stage-model-exists already)
      if (!config.stages.includes(stage)) out.push({ pointer, algorithm, stage, rule: 'promotion-target', message: `forced promotion of ${model_id} to ${algorithm}/${stage}: ${c.problem}` });
      continue;
    }
    const failed = c.evaluation?.failed ?? [];
    if (failed.length === 0 || config.promotion?.[stage]?.allow_force !== false) continue;
    out.push({
      pointer,
      algorithm,
      stage,
      rule: 'allow-force',
      message: `promoting ${model_id} to ${algorithm}/${stage} was forced past ${failed.map((g) => `${g.gate} (${g.detail})`).join('; ')}, and promotion.${stage}.allow_force is false`,
    });
  }
  return out;
}

/** A refusal line the pusher sees: `modelgit: refused <ref>: <file>:<line>:<column>: <pointer>: <message> [<rule>]`. */
export function refusalLine(ref: string, p: Partial<ErrorLocation> & { rule: string; message: string }): string {
  const where = p.file ? `${p.file}:${p.line ?? 1}:${p.column ?? 1}: ` : '';
  const pointer = p.pointer ? `${p.pointer}: ` : '';
  return `modelgit: refused ${ref}: ${where}${pointer}${p.message.replace(/\s*\n\s*/g, ' ')} [${p.rule}]`;
}
