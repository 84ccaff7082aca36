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
  parseRawDiff,
  stagedModelPaths,
  type PathChange,
  type ValidateMode,
  type ValidationReport,
} from '../domain/validation.js';
import { Git } from '../git/git.js';
import { locateJsonPointer, locateYamlPointer, validateYamlText, validatorFor, validatorForSchemaText } from '../schema/validator.js';
import { checkModelTextSync } from './checks.js';
import { promotionGateErrors } from './gates.js';
import { locateRepo, Registry } from './registry.js';
import { blobTexts, CommitVersion, EmptyVersion, IndexVersion, WorkingTreeVersion, type RegistryVersion } from './versions.js';

const REGULAR_MODES = new Set(['100644', '100755']);

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

/**
 * What changed between base and after, as git reports it (deletions included), with the blob ids
 * git already knows. Needs no config: the models directory is applied afterwards.
 */
async function diffChanges(git: Git, opts: ValidateOptions, cmp: Comparison): Promise<PathChange[]> {
  const head = await git.head();
  const raw = async (args: string[]) => parseRawDiff(await git.text(['diff', '--raw', '-z', '--no-abbrev', '--no-renames', '--no-ext-diff', '--no-color', ...args]));
  const listed = async (args: string[]) => (await git.text(['ls-files', '-z', ...args])).split('\0').filter(Boolean);
  const untracked = async () => (await listed(['-o', '--exclude-standard'])).map((path) => ({ path, status: 'A' as const }));
  switch (opts.mode) {
    case 'staged':
      return head ? raw(['--cached', head]) : (await listed([])).map((path) => ({ path, status: 'A' as const }));
    case 'worktree':
    case 'all': {
      const tracked = head ? await raw([head]) : (await listed([])).map((path) => ({ path, status: 'A' as const }));
      return [...tracked, ...(await untracked())];
    }
    case 'since':
      return raw([cmp.since!, head!]);
  }
}

/** --all: every file under the models directory and the two config files, each with how it differs from HEAD. */
async function everything(cmp: Comparison, config: RegistryConfig, diff: PathChange[]): Promise<PathChange[]> {
  const differs = new Map(diff.map((c) => [c.path, c]));
  const present = [...(await cmp.after.list(config.models_dir)), ...(await cmp.after.existing([CONFIG_FILE, STAGES_FILE]))];
  // A file the diff does not name is byte for byte HEAD's: read it by blob id in one batch, which
  // is far faster than opening 100,000 files. Changed and untracked files are read from disk.
  const unchanged = cmp.base instanceof CommitVersion ? await cmp.base.blobIds(config.models_dir) : new Map<string, string>();
  const changes: PathChange[] = present.map((path) => {
    const c = differs.get(path);
    if (c && c.status !== 'D') return { path, status: c.status, ...(c.baseOid ? { baseOid: c.baseOid } : {}) };
    const oid = unchanged.get(path);
    return { path, status: '=', ...(oid ? { oid } : {}) };
  });
  if (differs.get(CONFIG_FILE)?.status === 'D') changes.push({ path: CONFIG_FILE, status: 'D' });
  return changes;
}

/**
 * Texts of many paths in one version: blobs git already named are read by id in one batch, the
 * rest through the version (the index, a commit, or the disk).
 */
async function textsIn(git: Git, version: RegistryVersion, items: { path: string; oid?: string }[]): Promise<Map<string, string>> {
  const byOid = await blobTexts(git, items.filter((i) => i.oid).map((i) => i.oid!));
  const out = new Map<string, string>();
  for (const i of items) {
    const t = i.oid ? byOid.get(i.oid) : undefined;
    if (t !== undefined) out.set(i.path, t);
  }
  const rest = items.filter((i) => !out.has(i.path)).map((i) => i.path);
  for (const [p, t] of await version.read(rest)) out.set(p, t);
  return out;
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
async function readConfigs(git: Git, cmp: Comparison, diff: PathChange[]) {
  const baseText = (await cmp.base.read([CONFIG_FILE])).get(CONFIG_FILE);
  const change = diff.find((c) => c.path === CONFIG_FILE);
  // Unchanged means the same text as the base: no need to read the index or the disk for it.
  const afterText = !change ? baseText : change.status === 'D' ? undefined : (await textsIn(git, cmp.after, [change])).get(CONFIG_FILE);
  if (afterText === undefined && baseText === undefined) {
    throw new NotARegistryError(`${CONFIG_FILE} is not in ${cmp.after.name}: this is not a modelgit registry`, { hint: 'modelgit init creates one' });
  }
  const afterParsed = afterText === undefined ? undefined : validateYamlText<Partial<RegistryConfig>>(CONFIG_FILE, afterText, validatorFor('config'));
  const baseParsed = baseText === undefined ? undefined : validateYamlText<Partial<RegistryConfig>>(CONFIG_FILE, baseText, validatorFor('config'));
  const usable = [afterParsed, baseParsed].find((p) => p && p.errors.length === 0);
  const config = usable ? withDefaults(usable.value) : DEFAULT_CONFIG;
  return { config, afterText, afterErrors: afterParsed?.errors ?? [] };
}

/** One run's shared state: what is compared, under which config, and what was found. */
interface Run {
  git: Git;
  cmp: Comparison;
  config: RegistryConfig;
  changes: PathChange[];
  errors: ErrorLocation[];
  checked: string[];
}

type ModelChange = PathChange & { algorithm: string; problems: string[] };

export async function validate(opts: ValidateOptions): Promise<ValidationReport> {
  const { root } = await locateRepo(opts.cwd);
  const git = new Git(root);
  const cmp = await comparisonFor(git, opts);
  const diff = await diffChanges(git, opts, cmp);
  const { config, afterText: configText, afterErrors: configErrors } = await readConfigs(git, cmp, diff);
  const changes = opts.mode === 'all' ? await everything(cmp, config, diff) : diff;
  const run: Run = { git, cmp, config, changes, errors: [], checked: [] };

  const models: ModelChange[] = [];
  let deletedModels = false;
  let checkConfig = opts.mode === 'all';
  let checkStages = opts.mode === 'all';
  for (const c of changes) {
    const kind = classifyPath(config, c.path);
    if (kind.kind === 'config') checkConfig = true;
    else if (kind.kind === 'stages') checkStages = true;
    else if (kind.kind === 'model') {
      if (c.status === 'D') deletedModels = true;
      else if (c.mode && !REGULAR_MODES.has(c.mode)) {
        run.checked.push(c.path);
        run.errors.push({ file: c.path, line: 1, column: 1, pointer: '', rule: 'model-path', message: `a model file must be a regular file (this is mode ${c.mode}${c.mode === '120000' ? ', a symbolic link' : ''})` });
      } else models.push({ ...c, algorithm: kind.algorithm, problems: kind.problems });
    } else if (kind.kind === 'misplaced' && c.status !== 'D') {
      run.checked.push(c.path);
      run.errors.push({ file: c.path, line: 1, column: 1, pointer: '', rule: 'model-path', message: kind.reason });
    }
  }

  // Per-algorithm schemas come from the same version as the files they check.
  const schemaRels = new Set<string>();
  for (const m of models) {
    const rel = Object.hasOwn(config.schemas, m.algorithm) ? config.schemas[m.algorithm] : undefined;
    if (rel && !unsafeSchemaPath(rel)) schemaRels.add(rel);
  }
  if (checkConfig) for (const rel of Object.values(config.schemas)) if (!unsafeSchemaPath(rel)) schemaRels.add(rel);
  const schemaTexts = await cmp.after.read([...schemaRels]);

  if (checkConfig) checkConfigFile(run, configText, configErrors, schemaTexts);
  const { afterTexts, added } = await checkModelFiles(run, root, models, schemaTexts);
  if (opts.mode === 'all') checkAllIds(run, afterTexts);
  else if (added.length) await checkNewIds(run, added, afterTexts);
  // Deleting a model is allowed (cleanup), unless a stage still points at it.
  if (checkStages || deletedModels) await checkStagesFile(run);
  // The promotion gates of every stage change in the range (DESIGN §3), once the files are sound.
  if (opts.mode === 'since' && !run.errors.some((e) => e.file === STAGES_FILE || e.file === CONFIG_FILE)) {
    run.errors.push(...(await promotionGateErrors(await Registry.open({ cwd: opts.cwd }), cmp.since!)));
  }
  return finishReport(opts.mode, run.checked, run.errors, cmp.since);
}

/** modelgit.yaml against its schema; each per-algorithm schema inside the repository, present, compiling. */
function checkConfigFile(run: Run, text: string | undefined, schemaErrors: ErrorLocation[], schemaTexts: Map<string, string>): void {
  if (text === undefined) {
    run.errors.push({ file: CONFIG_FILE, line: 1, column: 1, pointer: '', rule: 'config-required', message: `${CONFIG_FILE} is deleted; a registry needs it (git checkout HEAD -- ${CONFIG_FILE} brings it back)` });
    return;
  }
  run.checked.push(CONFIG_FILE);
  run.errors.push(...schemaErrors);
  if (schemaErrors.length) return;
  for (const [algorithm, rel] of Object.entries(run.config.schemas)) {
    const pointer = `/schemas/${algorithm}`;
    if (unsafeSchemaPath(rel)) {
      run.errors.push(at(CONFIG_FILE, text, pointer, 'schema-path', `the schema for ${algorithm} (${rel}) must be a path inside the repository`, true));
      continue;
    }
    const schema = schemaTexts.get(rel);
    if (schema === undefined) {
      run.errors.push(at(CONFIG_FILE, text, pointer, 'schema-file-exists', `the schema for ${algorithm} (${rel}) is not in ${run.cmp.after.name}`, true));
      continue;
    }
    try {
      validatorForSchemaText(rel, schema);
    } catch (e) {
      run.errors.push({ file: rel, line: 1, column: 1, pointer: '', rule: 'schema-compiles', message: `the schema for ${algorithm} does not compile: ${(e as Error).message}` });
    }
  }
}

/** Each model file: schema, id/path, and what changed against the version it replaces. */
async function checkModelFiles(run: Run, root: string, models: ModelChange[], schemaTexts: Map<string, string>) {
  const { git, cmp, config } = run;
  const afterTexts = await textsIn(git, cmp.after, models);
  const baseTexts = await textsIn(git, cmp.base, models.filter((m) => m.status === 'M').map((m) => ({ path: m.path, oid: m.baseOid })));
  const ctx = { root, config, schemaText: (rel: string) => (unsafeSchemaPath(rel) ? undefined : schemaTexts.get(rel)) };
  const added: string[] = [];
  for (const m of models) {
    const text = afterTexts.get(m.path);
    if (text === undefined) continue; // not a regular file in that version (e.g. staged, then removed on disk)
    run.checked.push(m.path);
    for (const p of m.problems) run.errors.push({ file: m.path, line: 1, column: 1, pointer: '', rule: 'model-path', message: p });
    const { meta, errors: found } = checkModelTextSync(ctx, m.path, text);
    // After the first syntax error the parser's recovery mostly reports echoes of it.
    const firstSyntax = found.find((e) => e.rule.startsWith('json-syntax'));
    run.errors.push(...(firstSyntax ? [firstSyntax] : found));
    if (m.status === 'A') added.push(m.path);
    const after = meta !== null && typeof meta === 'object' && !Array.isArray(meta) ? meta : undefined;
    const before = m.status === 'M' ? parseObject(baseTexts.get(m.path)) : undefined;
    if (after && before) {
      for (const p of changeProblems(before, after)) run.errors.push(at(m.path, text, p.pointer, p.rule, `${p.message} (compared with ${cmp.base.name})`));
    }
  }
  return { afterTexts, added };
}

/** --all: every id once across the whole tree, from the paths alone. */
function checkAllIds(run: Run, afterTexts: Map<string, string>): void {
  const all = run.changes.filter((c) => c.status !== 'D').map((c) => c.path);
  for (const [id, paths] of duplicateIds(run.config, all)) {
    for (const p of paths) {
      run.errors.push(at(p, afterTexts.get(p), '/model_id', 'unique-id', `model id ${id} is also used by ${paths.filter((o) => o !== p).join(', ')}; ids are unique across algorithms`));
    }
  }
}

/** New models: their ids are free across algorithms (a path listing, never a blob scan), and none is a moved model. */
async function checkNewIds(run: Run, added: string[], afterTexts: Map<string, string>): Promise<void> {
  const { git, cmp, config } = run;
  const ids = added.map((p) => idOfPath(config, p)!);
  const sameIdAfter = await cmp.after.pathsForIds(config.models_dir, ids);
  const dups = duplicateIds(config, [...new Set([...sameIdAfter, ...added])]);
  for (const p of added) {
    const id = idOfPath(config, p)!;
    const others = (dups.get(id) ?? []).filter((o) => o !== p);
    if (others.length) {
      run.errors.push(at(p, afterTexts.get(p), '/model_id', 'unique-id', `model id ${id} is already used by ${others.join(', ')}; ids are unique across algorithms`));
    }
  }
  // A model moved to another algorithm's directory is a rewrite of its identity, not a new model:
  // the same change deletes its old path, so the diff itself says where it came from.
  const deleted = new Map<string, PathChange>();
  for (const c of run.changes) {
    const id = c.status === 'D' ? idOfPath(config, c.path) : undefined;
    if (id !== undefined) deleted.set(id, c);
  }
  const moves = added.flatMap((p) => {
    const id = idOfPath(config, p)!;
    const from = deleted.get(id);
    return from && (dups.get(id) ?? []).length < 2 ? [{ path: p, from }] : [];
  });
  const movedTexts = await textsIn(git, cmp.base, moves.map((m) => ({ path: m.from.path, oid: m.from.baseOid })));
  for (const m of moves) {
    const before = parseObject(movedTexts.get(m.from.path));
    const after = parseObject(afterTexts.get(m.path));
    if (!before || !after) continue;
    for (const problem of changeProblems(before, after)) {
      run.errors.push(at(m.path, afterTexts.get(m.path), problem.pointer, problem.rule, `${problem.message} (this model was ${m.from.path} in ${cmp.base.name})`));
    }
  }
}

/** stages.yaml is valid and every assigned model exists under its algorithm. */
async function checkStagesFile(run: Run): Promise<void> {
  const { git, cmp, config } = run;
  const change = run.changes.find((c) => c.path === STAGES_FILE);
  if (change?.status === 'D') return; // no file, no assignments
  const text = (await textsIn(git, cmp.after, [change ?? { path: STAGES_FILE }])).get(STAGES_FILE);
  if (text === undefined) return;
  run.checked.push(STAGES_FILE);
  const parsed = validateYamlText<StageAssignments | null>(STAGES_FILE, text, validatorFor('stages'));
  run.errors.push(...parsed.errors);
  if (parsed.errors.length || !parsed.value) return;
  const present = await cmp.after.existing(stagedModelPaths(config, parsed.value));
  for (const p of danglingStages(config, parsed.value, (path) => present.has(path))) {
    run.errors.push(at(STAGES_FILE, text, p.pointer, p.rule, p.message, true));
  }
}

/** Appends the Markdown summary to the file GitHub Actions shows on the run's page. */
export function appendStepSummary(file: string, markdown: string): void {
  appendFileSync(file, markdown);
}
