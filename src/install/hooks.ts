// Installing the pre-commit hook: our shim, without ever clobbering someone else's hook.
// Where hooks live is git's answer (`rev-parse --git-path hooks`), so core.hooksPath and linked
// worktrees are honoured. Planning and writing are separate so `init` can refuse before committing.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConflictError, NotARegistryError, UsageError } from '../errors.js';
import { CONFIG_FILE } from '../domain/config.js';
import { Git } from '../git/git.js';
import { packageUrl } from '../package-root.js';

const MARKER = 'modelgit pre-commit hook';
const SHIM = packageUrl('hooks/pre-commit');
// The built entry point, found from the package root the same way from src/ (tests) and dist/.
const ENTRY = packageUrl('dist/cli/main.js');
export const CHAINED_HOOK = 'pre-commit.local';

export interface HookInstallOptions {
  /** replace a foreign hook (it is kept as pre-commit.backup) */
  force?: boolean;
  /** keep a foreign hook and run it before ours */
  chain?: boolean;
}

export interface HookInstallAnswer {
  path: string;
  action: 'installed' | 'updated' | 'chained' | 'replaced';
  /** where the hook that was there before now lives (chained or backed up) */
  backup?: string;
}

/** What installing would do; computing it changes nothing. */
export interface HookPlan extends HookInstallAnswer {
  hooksDir: string;
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The shim with this modelgit's entry point and node filled in. */
export function hookText(): string {
  return readFileSync(SHIM, 'utf8')
    .replace('MODELGIT_INSTALLED=""', `MODELGIT_INSTALLED=${shellQuote(fileURLToPath(ENTRY))}`)
    .replace('MODELGIT_NODE=""', `MODELGIT_NODE=${shellQuote(process.execPath)}`);
}

export function isModelgitHook(text: string): boolean {
  return text.includes(MARKER);
}

/** The first of base, base.2, base.3, … that does not exist, so no backup overwrites another. */
function freeName(base: string): string {
  if (!existsSync(base)) return base;
  for (let n = 2; ; n++) if (!existsSync(`${base}.${n}`)) return `${base}.${n}`;
}

export async function planHookInstall(git: Git, opts: HookInstallOptions = {}): Promise<HookPlan> {
  if (opts.chain && opts.force) throw new UsageError('give one of --chain (keep the existing hook, run it first) and --force (replace it)');
  const hooksDir = await git.gitPath('hooks');
  const path = join(hooksDir, 'pre-commit');
  if (!existsSync(path)) return { path, hooksDir, action: 'installed' };
  if (isModelgitHook(readFileSync(path, 'utf8'))) return { path, hooksDir, action: 'updated' };
  if (opts.chain) {
    const backup = join(hooksDir, CHAINED_HOOK);
    if (existsSync(backup)) throw new ConflictError(`${backup} already exists; refusing to overwrite it`, { hint: 'move it away and run the command again' });
    return { path, hooksDir, action: 'chained', backup };
  }
  if (opts.force) return { path, hooksDir, action: 'replaced', backup: freeName(join(hooksDir, 'pre-commit.backup')) };
  throw new ConflictError(`${path} is another tool's pre-commit hook; modelgit will not clobber it`, {
    hint: 'modelgit hooks install --chain runs it before the modelgit check (or --force replaces it, keeping a backup)',
  });
}

export function applyHookPlan(plan: HookPlan): HookInstallAnswer {
  mkdirSync(plan.hooksDir, { recursive: true });
  if (plan.backup) {
    renameSync(plan.path, plan.backup);
    // A chained hook only runs when executable; keep it runnable as it was meant to be.
    if (plan.action === 'chained') chmodSync(plan.backup, 0o755);
  }
  writeFileSync(plan.path, hookText());
  chmodSync(plan.path, 0o755);
  return { path: plan.path, action: plan.action, ...(plan.backup ? { backup: plan.backup } : {}) };
}

export async function installHook(git: Git, opts: HookInstallOptions = {}): Promise<HookInstallAnswer> {
  return applyHookPlan(await planHookInstall(git, opts));
}

/** `modelgit hooks install` run from anywhere inside a registry's work tree. */
export async function installHookAt(cwd: string, opts: HookInstallOptions = {}): Promise<HookInstallAnswer> {
  const git = new Git(await Git.findRoot(cwd));
  if (!existsSync(join(git.root, CONFIG_FILE))) {
    // The hook fails every commit in a repository that is not a registry.
    throw new NotARegistryError(`${git.root} is not a modelgit registry (no ${CONFIG_FILE}); the hook would refuse every commit`, {
      hint: `modelgit init ${JSON.stringify(git.root)}`,
    });
  }
  return installHook(git, opts);
}

/**
 * Whether commits in this repository run the modelgit check: our shim is the pre-commit hook, or
 * the hook there mentions modelgit (a hand-written one), or it is the pre-commit framework's and
 * the repository's .pre-commit-config.yaml runs modelgit-validate. `hooksDir` is git's answer
 * (`rev-parse --git-path hooks`), so core.hooksPath is honoured.
 */
export function hookInstalledIn(hooksDir: string, root: string): boolean {
  let text: string;
  try {
    const file = join(hooksDir, 'pre-commit');
    if (process.platform !== 'win32' && (statSync(file).mode & 0o111) === 0) return false; // git skips a hook it can't run
    text = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  if (isModelgitHook(text) || /modelgit/.test(text)) return true;
  if (!/pre-commit/.test(text)) return false;
  try {
    return /modelgit/.test(readFileSync(join(root, '.pre-commit-config.yaml'), 'utf8'));
  } catch {
    return false;
  }
}
