// Installing the pre-commit hook: our shim, without ever clobbering someone else's hook.
// Where hooks live is git's answer (`rev-parse --git-path hooks`), so core.hooksPath and linked
// worktrees are honoured. Planning and writing are separate so `init` can refuse before committing.
// The server variant (`hooks install --server`) installs the pre-receive hook in a bare repository
// the same way: the checks then hold for every client, hook or no hook.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConflictError, NotARegistryError, UsageError } from '../errors.js';
import { CONFIG_FILE } from '../domain/config.js';
import { Git } from '../git/git.js';
import { packageUrl } from '../package-root.js';

const MARKER = 'modelgit pre-commit hook';
const SHIM = packageUrl('hooks/pre-commit');
const SERVER_MARKER = 'modelgit pre-receive hook';
const SERVER_SHIM = packageUrl('hooks/pre-receive');
// The built entry point, found from the package root the same way from src/ (tests) and dist/.
const ENTRY = packageUrl('dist/cli/main.js');
export const CHAINED_HOOK = 'pre-commit.local';
export const CHAINED_SERVER_HOOK = 'pre-receive.local';

/** The client's hook (pre-commit, checks what is staged) or the server's (pre-receive, checks what is pushed). */
export type HookKind = 'pre-commit' | 'pre-receive';

const KINDS: Record<HookKind, { shim: URL; marker: string; chained: string }> = {
  'pre-commit': { shim: SHIM, marker: MARKER, chained: CHAINED_HOOK },
  'pre-receive': { shim: SERVER_SHIM, marker: SERVER_MARKER, chained: CHAINED_SERVER_HOOK },
};

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
  /** which hook (absent: pre-commit) */
  kind?: HookKind;
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The shim with this modelgit's entry point and node filled in. */
export function hookText(kind: HookKind = 'pre-commit'): string {
  return readFileSync(KINDS[kind].shim, 'utf8')
    .replace('MODELGIT_INSTALLED=""', `MODELGIT_INSTALLED=${shellQuote(fileURLToPath(ENTRY))}`)
    .replace('MODELGIT_NODE=""', `MODELGIT_NODE=${shellQuote(process.execPath)}`);
}

export function isModelgitHook(text: string, kind: HookKind = 'pre-commit'): boolean {
  return text.includes(KINDS[kind].marker);
}

/** The first of base, base.2, base.3, … that does not exist, so no backup overwrites another. */
function freeName(base: string): string {
  if (!existsSync(base)) return base;
  for (let n = 2; ; n++) if (!existsSync(`${base}.${n}`)) return `${base}.${n}`;
}

export async function planHookInstall(git: Git, opts: HookInstallOptions = {}, kind: HookKind = 'pre-commit'): Promise<HookPlan> {
  if (opts.chain && opts.force) throw new UsageError('give one of --chain (keep the existing hook, run it first) and --force (replace it)');
  const hooksDir = await git.gitPath('hooks');
  const path = join(hooksDir, kind);
  if (!existsSync(path)) return { path, hooksDir, action: 'installed', kind };
  if (isModelgitHook(readFileSync(path, 'utf8'), kind)) return { path, hooksDir, action: 'updated', kind };
  if (opts.chain) {
    const backup = join(hooksDir, KINDS[kind].chained);
    if (existsSync(backup)) throw new ConflictError(`${backup} already exists; refusing to overwrite it`, { hint: 'move it away and run the command again' });
    return { path, hooksDir, action: 'chained', backup, kind };
  }
  if (opts.force) return { path, hooksDir, action: 'replaced', backup: freeName(join(hooksDir, `${kind}.backup`)), kind };
  const flags = kind === 'pre-receive' ? ' --server' : '';
  throw new ConflictError(`${path} is another tool's ${kind} hook; modelgit will not clobber it`, {
    hint: `modelgit hooks install${flags} --chain runs it before the modelgit check (or${flags} --force replaces it, keeping a backup)`,
  });
}

export function applyHookPlan(plan: HookPlan): HookInstallAnswer {
  mkdirSync(plan.hooksDir, { recursive: true });
  if (plan.backup) {
    renameSync(plan.path, plan.backup);
    // A chained hook only runs when executable; keep it runnable as it was meant to be.
    if (plan.action === 'chained') chmodSync(plan.backup, 0o755);
  }
  writeFileSync(plan.path, hookText(plan.kind));
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

/**
 * `modelgit hooks install --server` in a server's bare repository: the pre-receive hook that checks
 * every push. The repository may still be empty (the registry's first push is then its start); if
 * it has a HEAD, that must be a registry, or the hook would judge pushes to something else.
 */
export async function installServerHookAt(cwd: string, opts: HookInstallOptions = {}): Promise<HookInstallAnswer> {
  const where = await Git.enclosing(cwd);
  if (!where) throw new NotARegistryError(`${cwd} is not inside a git repository`, { hint: 'run it in the bare repository the registry is pushed to' });
  if (!('bare' in where)) {
    throw new UsageError(`${where.root} has a work tree: --server installs the pre-receive hook in the bare repository clients push to`, {
      hint: 'run it there (cd /srv/git/registry.git && modelgit hooks install --server); in a clone, modelgit hooks install installs the pre-commit hook',
    });
  }
  // (from anywhere inside it: git's hooks path is then relative to the repository, not to cwd)
  const { gitDir } = await Git.rootAndGitDir(cwd);
  const git = new Git(gitDir || cwd);
  const head = await git.head();
  if (head && (await git.showFile(head, CONFIG_FILE)) === undefined) {
    throw new NotARegistryError(`${gitDir || cwd} is a git repository but its HEAD has no ${CONFIG_FILE}; the hook would judge pushes to something that is not a registry`, {
      hint: 'push a registry to it first (modelgit init, then git push), or point HEAD at the registry branch',
    });
  }
  return applyHookPlan(await planHookInstall(git, opts, 'pre-receive'));
}
