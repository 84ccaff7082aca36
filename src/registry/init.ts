// init: create a registry, or adopt an existing git repository without touching its other files.
// Everything that could refuse (already a registry, a dirty index, another tool's hook) is checked
// before anything is written; a failure after that puts the directory back as it was.
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConflictError, UsageError } from '../errors.js';
import { artifactIgnoreEntry } from '../domain/artifacts.js';
import { CONFIG_FILE, DEFAULT_ARTIFACTS, DEFAULT_CONFIG, DEFAULT_CONFIG_TEXT, DEFAULT_STAGES_TEXT, STAGES_FILE } from '../domain/config.js';
import { Git } from '../git/git.js';
import { ciDefaultBranch, ciFiles, type CiKind } from '../install/ci.js';
import { applyHookPlan, planHookInstall, type HookInstallAnswer, type HookInstallOptions, type HookPlan } from '../install/hooks.js';
import { assertCommittable, commitChanges, withWriteLock, type FileChange } from '../store/write/commit.js';

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
  /** what init left for the user to do (e.g. a .gitignore with edits of theirs it did not touch) */
  notes?: string[];
}

/** The work tree that contains `dir`, or undefined when `dir` is in no repository. */
async function enclosingRepo(dir: string): Promise<{ root: string } | { bare: true } | undefined> {
  return Git.enclosing(dir);
}

export async function init(opts: InitOptions): Promise<InitAnswer> {
  const dir = resolve(opts.dir);
  const createdDir = !existsSync(dir);
  if (createdDir) mkdirSync(dir, { recursive: true });
  let createdRepo = false;
  try {
    const enclosing = await enclosingRepo(dir);
    if (enclosing && 'bare' in enclosing) {
      throw new UsageError(`${dir} is a bare repository or a .git directory; a registry needs a working tree`, { hint: 'clone it and run modelgit init in the clone' });
    }
    if (enclosing && realpathSync(enclosing.root) !== realpathSync(dir)) {
      // A registry is a whole repository; putting modelgit.yaml at the parent's root would surprise.
      throw new ConflictError(`${dir} is inside the git repository ${enclosing.root}; a registry is a whole repository`, {
        hint: `run modelgit init ${JSON.stringify(enclosing.root)} to adopt that repository, or choose a directory outside it`,
      });
    }
    if (existsSync(join(dir, CONFIG_FILE))) {
      throw new ConflictError(`${dir} is already a modelgit registry (${CONFIG_FILE} exists)`, { hint: 'modelgit hooks install re-installs the hook' });
    }
    if (!enclosing) {
      await Git.init(dir);
      createdRepo = true;
    }
    const { root, gitDir } = await Git.rootAndGitDir(dir);
    const git = new Git(root);
    const keep = `${DEFAULT_CONFIG.models_dir}/.gitkeep`;
    const ignore = await gitignoreChange(git, root);
    const ci = opts.ci ? ciFiles(opts.ci, await ciDefaultBranch(root)) : [];
    for (const f of ci) {
      if (existsSync(join(root, f.path))) throw new ConflictError(`${f.path} already exists; modelgit will not overwrite it`, { hint: 'move it away, or leave out --ci' });
    }
    const changes: FileChange[] = [
      { path: CONFIG_FILE, content: DEFAULT_CONFIG_TEXT },
      // An existing stages.yaml or models/.gitkeep is the user's; adopt it as it is.
      ...(existsSync(join(root, STAGES_FILE)) ? [] : [{ path: STAGES_FILE, content: DEFAULT_STAGES_TEXT }]),
      ...(existsSync(join(root, keep)) ? [] : [{ path: keep, content: '' }]),
      ...ignore.changes,
      ...ci,
      ...(opts.extraFiles ?? []),
    ];
    // Refuse before writing anything: a staged change that isn't ours, or another tool's hook.
    await assertCommittable(git, changes.map((c) => c.path));
    const hookPlan: HookPlan | undefined = opts.noHook ? undefined : await planHookInstall(git, opts);
    const commit = await withWriteLock(gitDir, () =>
      commitChanges(git, { subject: 'init modelgit registry', trailers: [['Model-Action', 'init']], changes }),
    );
    const hook = hookPlan ? applyHookPlan(hookPlan) : undefined;
    return { root, created_repo: createdRepo, commit, files: changes.map((c) => c.path), ...(hook ? { hook } : {}), ...(ignore.note ? { notes: [ignore.note] } : {}) };
  } catch (e) {
    // Only what this call created goes: the repository it made, and the directory if it made it.
    if (createdRepo) rmSync(join(dir, '.git'), { recursive: true, force: true });
    if (createdDir) rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

const GITIGNORE = '.gitignore';

/**
 * The artifacts directory of the default layout (artifacts/{algorithm}/{model_id}) holds weights,
 * not metadata: git-ignored, in init's one commit. An existing .gitignore is kept and the line
 * appended, unless it already ignores the directory; one with uncommitted edits (or untracked) is
 * the user's work in progress and is left alone, with a note saying what to add.
 */
async function gitignoreChange(git: Git, root: string): Promise<{ changes: FileChange[]; note?: string }> {
  const entry = artifactIgnoreEntry(DEFAULT_ARTIFACTS);
  if (!entry) return { changes: [] };
  const abs = join(root, GITIGNORE);
  const header = '# model artifacts (modelgit.yaml: artifacts) are kept out of git\n';
  if (!existsSync(abs)) return { changes: [{ path: GITIGNORE, content: `${header}${entry}\n` }] };
  const text = readFileSync(abs, 'utf8');
  const bare = entry.replace(/^\/|\/$/g, '');
  const lines = new Set(text.split(/\r?\n/).map((l) => l.trim()));
  if ([entry, `${bare}/`, bare, `/${bare}`, `${bare}/*`, `/${bare}/*`, `${bare}/**`, `/${bare}/**`].some((e) => lines.has(e))) return { changes: [] };
  if ((await git.modifiedPaths([GITIGNORE])).length) {
    return { changes: [], note: `${GITIGNORE} has uncommitted changes, so init left it alone: add ${entry} to it to keep model artifacts out of git` };
  }
  const sep = text === '' || text.endsWith('\n') ? '' : '\n';
  return { changes: [{ path: GITIGNORE, content: `${text}${sep}${header}${entry}\n` }] };
}
