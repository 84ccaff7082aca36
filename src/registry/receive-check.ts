// receive-check: what the server's pre-receive hook runs (`modelgit hooks install --server`). The
// pre-commit hook and CI hold only where every client installs and runs them; a registry's own
// server holds for everyone. Each pushed ref update is checked with `validate --since`'s rules
// (schema, append-only results, immutable fields, ids, promotion gates) on the commit it would
// store, plus the rules of a shared registry (domain/receive-rules.ts): no history rewrite, no
// decision tag moved or deleted, a model file removed only by a cleanup naming it, no forcing past
// a gate where the config forbids it. Any problem refuses the whole push; git then drops the
// quarantined objects, so nothing is stored.
import { NotARegistryError, ValidationError } from '../errors.js';
import { CONFIG_FILE, STAGES_FILE } from '../domain/config.js';
import {
  branchTipsAfter,
  disallowedForcing,
  historyRewriteProblem,
  parseRefUpdates,
  refCheckOf,
  refusalLine,
  strayDecisionTagProblem,
  type RefUpdate,
} from '../domain/receive-rules.js';
import { locateStage } from '../domain/stages.js';
import { Git } from '../git/git.js';
import { checkGatesSince, promotionGateErrors } from './gates.js';
import type { Registry } from './registry.js';
import { validateCommit } from './validate.js';

export interface ReceiveCheckAnswer {
  ok: boolean;
  /** one line per problem: `modelgit: refused <ref>: <file>:<line>:<column>: <pointer>: <message> [<rule>]` */
  problems: string[];
}

type Problem = { file?: string; line?: number; column?: number; pointer?: string; rule: string; message: string };

/**
 * Checks the ref updates a pre-receive hook was given (`<old> <new> <ref>` lines) in the bare
 * repository at `gitDir`. Run inside the hook, git's quarantine environment (GIT_OBJECT_DIRECTORY,
 * GIT_ALTERNATE_OBJECT_DIRECTORIES) is inherited by every git it starts, so the pushed objects are
 * readable.
 */
export async function receiveCheck(opts: { gitDir: string; input: string }): Promise<ReceiveCheckAnswer> {
  // The pushed objects may yet be refused and dropped: no cache may remember them, and no
  // background maintenance may start inside the quarantine.
  process.env.MODELGIT_NO_CACHE = '1';
  const git = new Git(opts.gitDir);
  const defaultBranch = await serverDefaultBranch(opts.gitDir, git);
  const updates = parseRefUpdates(opts.input);
  // (read once, and only when a decision tag is created)
  let tips: Promise<string[]> | undefined;
  const push = { gitDir: opts.gitDir, git, defaultBranch, branchTips: () => (tips ??= git.refs('refs/heads/').then((refs) => branchTipsAfter(refs, updates))) };
  const problems: string[] = [];
  for (const u of updates) {
    for (const p of await checkUpdate(push, u)) problems.push(refusalLine(u.ref, p));
  }
  return { ok: problems.length === 0, problems };
}

// Loaded when used, like every importer of registry.ts (the CLI's bundle keeps it out of the hook's path).
async function openBare(gitDir: string, commit: string, opts: { fallback?: string } = {}): Promise<Registry> {
  return (await import('./registry.js')).Registry.openBare(gitDir, commit, opts);
}

/** The branch HEAD names on the server (what a clone checks out), else the registry's usual answer. */
async function serverDefaultBranch(gitDir: string, git: Git): Promise<string | undefined> {
  const head = await git.symbolicRefTarget('HEAD');
  if (head) return head.replace(/^heads\//, '');
  return (await openBare(gitDir, 'HEAD')).defaultBranch();
}

/** What every ref update of one push is checked with. */
interface Push {
  gitDir: string;
  git: Git;
  defaultBranch: string | undefined;
  /** the branch tips as they will be if the push is taken */
  branchTips: () => Promise<string[]>;
}

async function checkUpdate({ gitDir, git, defaultBranch, branchTips }: Push, u: RefUpdate): Promise<Problem[]> {
  const check = refCheckOf(u, defaultBranch);
  switch (check.kind) {
    case 'accept':
      return [];
    case 'refuse':
      return [check];
    case 'range': {
      // A branch that never held a registry (a published site, say) is not the registry's history.
      if ((await git.showFile(check.old, CONFIG_FILE)) === undefined) return checkRange(gitDir, git, check.old, check.new);
      if (!(await git.isAncestor(check.old, check.new))) return [historyRewriteProblem(u)];
      return checkRange(gitDir, git, check.old, check.new);
    }
    case 'new-branch': {
      const tip = defaultBranch === undefined ? undefined : await git.resolveCommit(`refs/heads/${defaultBranch}`);
      const base = tip === undefined ? undefined : await git.mergeBase(tip, check.new);
      if (base !== undefined) return checkRange(gitDir, git, base, check.new);
      // No history shared with the default branch (the first push of a registry, or an orphan
      // branch): its root is taken as its starting point and everything after it is checked.
      const roots = (await git.trailerLog([check.new, '--max-parents=0'], [], { strict: true })) ?? [];
      if (roots.length !== 1) return roots.length ? [{ rule: 'unrelated-history', message: `${check.new.slice(0, 10)} has ${roots.length} root commits; push a registry's history with one root` }] : [];
      return checkRange(gitDir, git, roots[0]!.commit, check.new);
    }
    case 'decision-tag': {
      const commit = await git.resolveCommit(check.new);
      if (commit) for (const tip of await branchTips()) if (await git.isAncestor(commit, tip)) return [];
      return [strayDecisionTagProblem(u, commit)];
    }
    case 'queued': {
      const [entry] = (await git.trailerLog([check.new], [], { limit: 1, parents: true, strict: true })) ?? [];
      const parents = entry?.parents ?? [];
      if (parents.length !== 1) return [{ rule: 'queued-write', message: `a queued write is one commit on the branch's tip; ${check.new.slice(0, 10)} has ${parents.length} parents` }];
      return checkRange(gitDir, git, parents[0]!, check.new);
    }
  }
}

/** Everything `base..tip` would store: validate --since's checks on the tip, then each commit's removals, then forcing. */
async function checkRange(gitDir: string, git: Git, base: string, tip: string): Promise<Problem[]> {
  if (base === tip) return [];
  const reg = await openBare(gitDir, tip, { fallback: base });
  let report;
  try {
    report = await validateCommit(reg, base, tip);
  } catch (e) {
    // Neither end has a modelgit.yaml: this branch is not a registry's, and not ours to judge.
    if (e instanceof NotARegistryError) return [];
    throw e;
  }
  // validate --since judges the removals and the forcing too (gates.ts), as CI does.
  const problems: Problem[] = [...report.errors];
  if (report.errors.some((e) => e.file === STAGES_FILE || e.file === CONFIG_FILE)) return problems;
  // A push that changes modelgit.yaml is judged by the config it replaces as well: it can't loosen
  // the gates (or allow the force) its own promotions need. A stage the old config lacks is the
  // new config's to add, so only failed gates and forbidden force count here.
  const before = await openBare(gitDir, base);
  if ((await git.showFile(base, CONFIG_FILE)) !== undefined && JSON.stringify(before.config) !== JSON.stringify(reg.config)) {
    const seen = new Set(problems.map(problemKey));
    const old = [...(await promotionGateErrors(before, base, tip)), ...(await forcing(before, base, tip))].filter((p) => p.rule !== 'promotion-target');
    for (const p of old) if (!seen.has(problemKey(p))) problems.push({ ...p, message: `${p.message} (under the ${CONFIG_FILE} this push replaces)` });
  }
  return problems;
}

const problemKey = (p: Problem) => [p.file, p.pointer, p.rule].join('\0');

/** Forced promotions where `promotion.<stage>.allow_force: false`, located in stages.yaml. */
async function forcing(reg: Registry, base: string, tip: string): Promise<Problem[]> {
  let checks;
  try {
    checks = (await checkGatesSince(reg, base, tip)).checks;
  } catch (e) {
    if (e instanceof ValidationError) return []; // a stages.yaml that does not parse: validate's error, reported already
    throw e;
  }
  const found = disallowedForcing(checks, reg.config);
  if (found.length === 0) return [];
  const text = (await reg.git.showFile(tip, STAGES_FILE)) ?? '';
  return found.map((f) => ({ file: STAGES_FILE, ...locateStage(text, f.algorithm, f.stage), pointer: f.pointer, rule: f.rule, message: f.message }));
}
