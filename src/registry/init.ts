// init: create a registry, or adopt an existing git repository without touching its other files.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConflictError, GitError } from '../errors.js';
import { CONFIG_FILE, DEFAULT_CONFIG, DEFAULT_CONFIG_TEXT, DEFAULT_STAGES_TEXT, STAGES_FILE } from '../domain/config.js';
import { Git, runGit } from '../git/git.js';
import { ciFiles, type CiKind } from './ci.js';
import { installHook, type HookInstallAnswer, type HookInstallOptions } from './hooks.js';
import { commitChanges, withWriteLock, type FileChange } from './transaction.js';

export interface InitOptions extends HookInstallOptions {
  dir: string;
  /** extra files to write in the same commit (e.g. a CI workflow) */
  extraFiles?: FileChange[];
  /** skip installing the pre-commit hook */
  noHook?: boolean;
  /** also write the CI workflow that calls modelgit's reusable workflow */
  ci?: CiKind;
}

export interface InitAnswer {
  root: string;
  created_repo: boolean;
  commit: string;
  files: string[];
  hook?: HookInstallAnswer;
}

export async function init(opts: InitOptions): Promise<InitAnswer> {
  const dir = resolve(opts.dir);
  mkdirSync(dir, { recursive: true });
  let createdRepo = false;
  const inside = await runGit(dir, ['rev-parse', '--show-toplevel']);
  if (inside.code !== 0) {
    const r = await runGit(dir, ['init', '--quiet']);
    if (r.code !== 0) throw new GitError(`git init failed: ${r.stderr.trim()}`);
    createdRepo = true;
  }
  const root = (await runGit(dir, ['rev-parse', '--show-toplevel'])).stdout.toString('utf8').trim();
  const gitDir = (await runGit(dir, ['rev-parse', '--absolute-git-dir'])).stdout.toString('utf8').trim();
  if (existsSync(join(root, CONFIG_FILE))) {
    throw new ConflictError(`${root} is already a modelgit registry (${CONFIG_FILE} exists)`, { hint: 'modelgit hooks install re-installs the hook' });
  }
  const git = new Git(root);
  const ci = opts.ci ? ciFiles(opts.ci, await currentBranchName(root)) : [];
  for (const f of ci) {
    if (existsSync(join(root, f.path))) throw new ConflictError(`${f.path} already exists; modelgit will not overwrite it`, { hint: 'move it away, or leave out --ci' });
  }
  const changes: FileChange[] = [
    { path: CONFIG_FILE, content: DEFAULT_CONFIG_TEXT },
    ...(existsSync(join(root, STAGES_FILE)) ? [] : [{ path: STAGES_FILE, content: DEFAULT_STAGES_TEXT }]),
    { path: `${DEFAULT_CONFIG.models_dir}/.gitkeep`, content: '' },
    ...ci,
    ...(opts.extraFiles ?? []),
  ];
  const commit = await withWriteLock(gitDir, () =>
    commitChanges(git, { subject: 'init modelgit registry', trailers: [['Model-Action', 'init']], changes }),
  );
  const hook = opts.noHook ? undefined : await installHook(git, opts);
  return { root, created_repo: createdRepo, commit, files: changes.map((c) => c.path), ...(hook ? { hook } : {}) };
}

/** The branch HEAD names (also in a repository without commits yet), for the CI push trigger. */
async function currentBranchName(root: string): Promise<string> {
  const r = await runGit(root, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  return (r.code === 0 && r.stdout.toString('utf8').trim()) || 'main';
}
