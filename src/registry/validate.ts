// validate: schema and integrity checks on what is about to be committed (default: the working
// tree vs HEAD), on the index (--staged, the pre-commit hook), on everything (--all), or on a
// commit range (--since REV, for pull requests). Only changed files are read, so the hook stays
// fast on a registry with 100,000 models: id uniqueness is a path listing, never a blob scan.
import { appendFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { ErrorLocation } from '../errors.js';
import { NotARegistryError, NotFoundError } from '../errors.js';
import { CONFIG_FILE, DEFAULT_CONFIG, STAGES_FILE, withDefaults } from '../domain/config.js';
import { changeProblems } from '../domain/integrity.js';
import type { ModelMetadata, RegistryConfig, StageAssignments } from '../domain/types.js';
import {
  classifyPath,
  danglingStages,
  duplicateIds,
  finishReport,
  idOfPath,
  parseNameStatus,
  stagedModelPaths,
  type PathChange,
  type ValidateMode,
  type ValidationReport,
} from '../domain/validation.js';
import { Git } from '../git/git.js';
import { locateJsonPointer, locateYamlPointer, validateYamlText, validatorFor, validatorForSchemaText } from '../schema/validator.js';
import { checkModelTextSync } from './checks.js';
import { locateRepo } from './registry.js';
import { CommitVersion, EmptyVersion, IndexVersion, WorkingTreeVersion, type RegistryVersion } from './versions.js';

export interface ValidateOptions {
  cwd: string;
  mode: ValidateMode;
  /** the revision for mode `since` */
  since?: string;
}

/** The two versions a mode compares: what would be committed (`after`) and what it replaces (`base`). */
interface Comparison {
  after: RegistryVersion;
  base: RegistryVersion;
  /** the resolved --since commit */
  since?: string;
}

async function comparisonFor(git: Git, opts: ValidateOptions): Promise<Comparison> {
  const head = await git.head();
  const headVersion = head ? new CommitVersion(git, head, 'HEAD') : new EmptyVersion();
  switch (opts.mode) {
    case 'staged':
      return { after: new IndexVersion(git), base: headVersion };
    case 'worktree':
    case 'all':
      return { after: new WorkingTreeVersion(git), base: headVersion };
    case 'since': {
      const rev = opts.since ?? '';
      if (!head) throw new NotFoundError('--since: this repository has no commits yet, so there is nothing to compare');
      // resolveCommit passes the user's text after --end-of-options as `rev^{commit}`: never an option.
      const commit = await git.resolveCommit(rev);
      if (!commit) {
        throw new NotFoundError(`--since: ${JSON.stringify(rev)} is not a commit in this repository`, {
          hint: 'give a commit, branch or tag; in CI fetch enough history (actions/checkout with fetch-depth: 0)',
        });
      }
      return { after: new CommitVersion(git, head, 'HEAD'), base: new CommitVersion(git, commit), since: commit };
    }
  }
}

/** What changed between base and after, as git reports it (deletions included). */
async function changedPaths(git: Git, opts: ValidateOptions, cmp: Comparison, config: RegistryConfig): Promise<PathChange[]> {
  const head = await git.head();
  const nameStatus = async (args: string[]) => parseNameStatus(await git.text(['diff', '--name-status', '-z', '--no-renames', '--no-ext-diff', ...args]));
  const listed = async (args: string[]) => (await git.text(['ls-files', '-z', ...args])).split('\0').filter(Boolean);
  switch (opts.mode) {
    case 'staged':
      return head ? nameStatus(['--cached', head]) : (await listed([])).map((path) => ({ path, status: 'A' as const }));
    case 'worktree': {
      const tracked = head ? await nameStatus([head]) : (await listed([])).map((path) => ({ path, status: 'A' as const }));
      const untracked = (await listed(['-o', '--exclude-standard'])).map((path) => ({ path, status: 'A' as const }));
      return [...tracked, ...untracked];
    }
    case 'since':
      return nameStatus([cmp.since!, head!]);
    case 'all': {
      const differs = new Map<string, PathChange['status']>();
      if (head) for (const c of await nameStatus([head])) differs.set(c.path, c.status);
      for (const p of await listed(['-o', '--exclude-standard'])) differs.set(p, 'A');
      const present = [...(await cmp.after.list(config.models_dir)), ...(await cmp.after.existing([CONFIG_FILE, STAGES_FILE]))];
      const changes: PathChange[] = present.map((path) => ({ path, status: differs.get(path) ?? '=' }));
      if (differs.get(CONFIG_FILE) === 'D') changes.push({ path: CONFIG_FILE, status: 'D' });
      return changes;
    }
  }
}

function at(file: string, text: string | undefined, pointer: string, rule: string, message: string, yaml = false): ErrorLocation {
  const pos = text === undefined ? { line: 1, column: 1 } : yaml ? locateYamlPointer(text, pointer) : locateJsonPointer(text, pointer);
  return { file, ...pos, pointer, rule, message };
}

function parseObject(text: string | undefined): ModelMetadata | undefined {
  if (text === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as ModelMetadata) : undefined;
  } catch {
    return undefined;
  }
}

/** A per-algorithm schema path must stay inside the repository. */
function unsafeSchemaPath(rel: string): boolean {
  return isAbsolute(rel) || rel.split(/[\\/]/).includes('..');
}

/** The config that governs the check: the new one when it is valid, else the one it replaces, else the defaults. */
async function readConfigs(cmp: Comparison) {
  const afterText = (await cmp.after.read([CONFIG_FILE])).get(CONFIG_FILE);
  const baseText = (await cmp.base.read([CONFIG_FILE])).get(CONFIG_FILE);
  if (afterText === undefined && baseText === undefined) {
    throw new NotARegistryError(`${CONFIG_FILE} is not in ${cmp.after.name}: this is not a modelgit registry`, { hint: 'modelgit init creates one' });
  }
  const afterParsed = afterText === undefined ? undefined : validateYamlText<Partial<RegistryConfig>>(CONFIG_FILE, afterText, validatorFor('config'));
  const baseParsed = baseText === undefined ? undefined : validateYamlText<Partial<RegistryConfig>>(CONFIG_FILE, baseText, validatorFor('config'));
  const usable = [afterParsed, baseParsed].find((p) => p && p.errors.length === 0);
  const config = usable ? withDefaults(usable.value) : DEFAULT_CONFIG;
  return { config, afterText, afterErrors: afterParsed?.errors ?? [] };
}

export async function validate(opts: ValidateOptions): Promise<ValidationReport> {
  const { root } = await locateRepo(opts.cwd);
  const git = new Git(root);
  const cmp = await comparisonFor(git, opts);
  const { config, afterText: configText, afterErrors: configErrors } = await readConfigs(cmp);
  const changes = await changedPaths(git, opts, cmp, config);

  const errors: ErrorLocation[] = [];
  const checked: string[] = [];
  const models: { path: string; status: PathChange['status']; problems: string[] }[] = [];
  let deletedModels = false;
  let checkConfig = opts.mode === 'all';
  let checkStages = opts.mode === 'all';

  for (const c of changes) {
    const kind = classifyPath(config, c.path);
    if (kind.kind === 'config') checkConfig = true;
    else if (kind.kind === 'stages') checkStages = true;
    else if (kind.kind === 'model') {
      if (c.status === 'D') deletedModels = true;
      else models.push({ path: c.path, status: c.status, problems: kind.problems });
    } else if (kind.kind === 'misplaced' && c.status !== 'D') {
      checked.push(c.path);
      errors.push({ file: c.path, line: 1, column: 1, pointer: '', rule: 'model-path', message: kind.reason });
    }
  }
  // Deleting a model is allowed (cleanup), unless a stage still points at it.
  if (deletedModels) checkStages = true;

  // ---- the config and its per-algorithm schemas ----
  const schemaRels = new Set<string>();
  for (const m of models) {
    const algo = classifyPath(config, m.path);
    const rel = algo.kind === 'model' ? config.schemas[algo.algorithm] : undefined;
    if (rel && !unsafeSchemaPath(rel)) schemaRels.add(rel);
  }
  if (checkConfig) for (const rel of Object.values(config.schemas)) if (!unsafeSchemaPath(rel)) schemaRels.add(rel);
  const schemaTexts = await cmp.after.read([...schemaRels]);

  if (checkConfig) {
    if (configText === undefined) {
      errors.push({ file: CONFIG_FILE, line: 1, column: 1, pointer: '', rule: 'config-required', message: `${CONFIG_FILE} is deleted; a registry needs it (git checkout HEAD -- ${CONFIG_FILE} brings it back)` });
    } else {
      checked.push(CONFIG_FILE);
      errors.push(...configErrors);
      if (configErrors.length === 0) {
        for (const [algorithm, rel] of Object.entries(config.schemas)) {
          const pointer = `/schemas/${algorithm}`;
          if (unsafeSchemaPath(rel)) {
            errors.push(at(CONFIG_FILE, configText, pointer, 'schema-path', `the schema for ${algorithm} (${rel}) must be a path inside the repository`, true));
            continue;
          }
          const text = schemaTexts.get(rel);
          if (text === undefined) {
            errors.push(at(CONFIG_FILE, configText, pointer, 'schema-file-exists', `the schema for ${algorithm} (${rel}) is not in ${cmp.after.name}`, true));
            continue;
          }
          try {
            validatorForSchemaText(rel, text);
          } catch (e) {
            errors.push({ file: rel, line: 1, column: 1, pointer: '', rule: 'schema-compiles', message: `the schema for ${algorithm} does not compile: ${(e as Error).message}` });
          }
        }
      }
    }
  }

  // ---- model files: schema, id/path, and what changed against the version they replace ----
  const afterTexts = await cmp.after.read(models.map((m) => m.path));
  const baseTexts = await cmp.base.read(models.filter((m) => m.status === 'M').map((m) => m.path));
  const ctx = { root, config, schemaText: (rel: string) => (unsafeSchemaPath(rel) ? undefined : schemaTexts.get(rel)) };
  const added: string[] = [];
  for (const m of models) {
    const text = afterTexts.get(m.path);
    if (text === undefined) continue; // not a regular file in that version (e.g. staged, then removed on disk)
    checked.push(m.path);
    for (const p of m.problems) errors.push({ file: m.path, line: 1, column: 1, pointer: '', rule: 'model-path', message: p });
    const { errors: found } = checkModelTextSync(ctx, m.path, text);
    errors.push(...found);
    const after = parseObject(text);
    if (m.status === 'A') added.push(m.path);
    const before = m.status === 'M' ? parseObject(baseTexts.get(m.path)) : undefined;
    if (after && before) {
      for (const p of changeProblems(before, after)) errors.push(at(m.path, text, p.pointer, p.rule, `${p.message} (compared with ${cmp.base.name})`));
    }
  }

  // ---- ids are unique across algorithms: a path listing, never a blob scan ----
  if (opts.mode === 'all') {
    const all = changes.filter((c) => c.status !== 'D').map((c) => c.path);
    for (const [id, paths] of duplicateIds(config, all)) {
      for (const p of paths) {
        errors.push(at(p, afterTexts.get(p), '/model_id', 'unique-id', `model id ${id} is also used by ${paths.filter((o) => o !== p).join(', ')}; ids are unique across algorithms`));
      }
    }
  } else if (added.length) {
    const ids = added.map((p) => idOfPath(config, p)!);
    const sameIdAfter = await cmp.after.pathsForIds(config.models_dir, ids);
    const dups = duplicateIds(config, [...new Set([...sameIdAfter, ...added])]);
    for (const p of added) {
      const id = idOfPath(config, p)!;
      const others = (dups.get(id) ?? []).filter((o) => o !== p);
      if (others.length) {
        errors.push(at(p, afterTexts.get(p), '/model_id', 'unique-id', `model id ${id} is already used by ${others.join(', ')}; ids are unique across algorithms`));
      }
    }
    // A model moved to another algorithm's directory is a rewrite of its identity, not a new model.
    const sameIdBefore = await cmp.base.pathsForIds(config.models_dir, ids);
    const movedFrom = sameIdBefore.filter((p) => !added.includes(p));
    if (movedFrom.length) {
      const beforeTexts = await cmp.base.read(movedFrom);
      for (const p of added) {
        const id = idOfPath(config, p)!;
        const from = movedFrom.find((o) => idOfPath(config, o) === id);
        const before = parseObject(from ? beforeTexts.get(from) : undefined);
        const after = parseObject(afterTexts.get(p));
        if (!from || !before || !after || (dups.get(id) ?? []).length > 1) continue;
        for (const problem of changeProblems(before, after)) {
          errors.push(at(p, afterTexts.get(p), problem.pointer, problem.rule, `${problem.message} (this model was ${from} in ${cmp.base.name})`));
        }
      }
    }
  }

  // ---- stages: valid, and every assigned model exists under its algorithm ----
  if (checkStages) {
    const stagesText = (await cmp.after.read([STAGES_FILE])).get(STAGES_FILE);
    if (stagesText !== undefined) {
      checked.push(STAGES_FILE);
      const parsed = validateYamlText<StageAssignments | null>(STAGES_FILE, stagesText, validatorFor('stages'));
      errors.push(...parsed.errors);
      if (parsed.errors.length === 0 && parsed.value) {
        const present = await cmp.after.existing(stagedModelPaths(config, parsed.value));
        for (const p of danglingStages(config, parsed.value, (path) => present.has(path))) {
          errors.push(at(STAGES_FILE, stagesText, p.pointer, p.rule, p.message, true));
        }
      }
    }
  }

  return finishReport(opts.mode, checked, errors, cmp.since);
}

/** Appends the Markdown summary to the file GitHub Actions shows on the run's page. */
export function appendStepSummary(file: string, markdown: string): void {
  appendFileSync(file, markdown);
}
