// validate: schema and integrity checks on what is about to be committed (default: the working
// tree vs HEAD), on the index (--staged, the pre-commit hook), on everything (--all), or on a
// commit range (--since REV, for pull requests). Only changed files are read, so the hook stays
// fast on a registry with 100,000 models: id uniqueness is a path listing, never a blob scan.
import { appendFileSync, existsSync } from 'node:fs';
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
  idClashes,
  idOfPath,
  parseRawDiff,
  stagedModelPaths,
  type PathChange,
  type ValidateMode,
  type ValidationReport,
} from '../domain/validation.js';
import { Git } from '../git/git.js';
import { parseJsonBounded } from '../domain/limits.js';
import { builtinSchemaText, locateJsonPointer, locateYamlPointer, VALIDATOR_CODE, validatorForSchemaText, type ParsedJson } from '../schema/validator.js';
import { checkModelTextSync, MODEL_CHECKS_CODE } from '../schema/model-checks.js';
import { validatedFiles, type ValidatedFiles } from '../store/validated-files.js';
import { VERSION } from '../version.js';
import { blobTexts, CommitVersion, EmptyVersion, IndexVersion, ObjectReader, WorkingTreeVersion, type RegistryVersion } from '../store/versions.js';
import { checkedYaml } from '../store/config.js';
import { resolveRevision } from './query-options.js';
import type { Registry } from './registry.js';

const REGULAR_MODES = new Set(['100644', '100755']);

/**
 * The per-file checks' own version, part of the stamp of `validate --all`'s cache of clean files
 * (store/cache/validated.ts): bump it whenever what one model file is checked for changes (its
 * schema handling, id/path agreement, limits, encoding), so no run trusts a verdict of older rules.
 */
const FILE_RULES = 1;

export interface ValidateOptions {
  cwd: string;
  mode: ValidateMode;
  /** the revision for mode `since` */
  since?: string;
  /** mode `since`: the branch the range lands on (the `branches` gate); default: CI's base branch, else the current one */
  branch?: string;
}

/** The two versions a mode compares: what would be committed (`after`) and what it replaces (`base`). */
interface Comparison {
  after: RegistryVersion;
  base: RegistryVersion;
  /** the resolved --since commit */
  since?: string;
}

/**
 * The work tree root, the git dir and HEAD's commit (undefined before the first commit), from one
 * `git rev-parse`: with --verify --quiet a missing HEAD exits 1 after printing the other two.
 */
async function locate(cwd: string): Promise<{ root: string; gitDir: string; head?: string }> {
  if (!existsSync(cwd)) throw new NotARegistryError(`${cwd} does not exist`);
  const found = await Git.locate(cwd);
  if (!found) throw new NotARegistryError(`${cwd} is not inside a git repository`, { hint: 'modelgit init [dir] creates a registry' });
  return found;
}

async function comparisonFor(git: Git, reader: ObjectReader, head: string | undefined, opts: ValidateOptions): Promise<Comparison> {
  const headVersion = head ? new CommitVersion(git, reader, head, 'HEAD') : new EmptyVersion();
  switch (opts.mode) {
    case 'staged':
      return { after: new IndexVersion(git, reader), base: headVersion };
    case 'worktree':
    case 'all':
      return { after: new WorkingTreeVersion(git), base: headVersion };
    case 'since': {
      const rev = opts.since ?? '';
      if (!head) throw new NotFoundError('--since: this repository has no commits yet, so there is nothing to compare');
      const commit = await resolveRevision({ git }, rev, '--since', 'give a commit, branch or tag; in CI fetch enough history (actions/checkout with fetch-depth: 0)');
      return { after: new CommitVersion(git, reader, head, 'HEAD'), base: new CommitVersion(git, reader, commit), since: commit };
    }
  }
}

/**
 * What changed between base and after, as git reports it (deletions included), with the blob ids
 * git already knows. Needs no config: the models directory is applied afterwards.
 */
async function diffChanges(git: Git, head: string | undefined, opts: ValidateOptions, cmp: Comparison): Promise<PathChange[]> {
  const raw = async (base: string, to: Parameters<Git['rawDiff']>[1]) => parseRawDiff(await git.rawDiff(base, to));
  const listed = () => git.listFiles();
  const untracked = async () => (await git.listFiles([], { untracked: 'only' })).map((path) => ({ path, status: 'A' as const }));
  switch (opts.mode) {
    case 'staged':
      return head ? raw(head, 'index') : (await listed()).map((path) => ({ path, status: 'A' as const }));
    case 'worktree':
    case 'all': {
      const [tracked, others] = await Promise.all([head ? raw(head, 'worktree') : listed().then((ps) => ps.map((path) => ({ path, status: 'A' as const }))), untracked()]);
      return [...tracked, ...others];
    }
    case 'since':
      return raw(cmp.since!, { commit: head! });
  }
}

type Listings = [listed: { path: string; plain: boolean }[], unchanged: Map<string, string>];

/** --all: the paths under the models directory on disk and in the index, and HEAD's blob ids there. */
function listingsOf(cmp: Comparison, dir: string): Promise<Listings> {
  const tree = cmp.after as WorkingTreeVersion;
  return Promise.all([tree.listTagged(dir), cmp.base instanceof CommitVersion ? cmp.base.blobIds(dir) : new Map<string, string>()]);
}

/**
 * --all: the listings started at once, while git diff looks at every file on disk, under the models
 * directory HEAD's config names (what governs unless the config is being changed; `everything`
 * lists again when the directory turns out to be another).
 */
async function earlyListings(cmp: Comparison, gitDir: string): Promise<{ dir: string; lists: Promise<Listings> }> {
  const text = (await cmp.base.read([CONFIG_FILE])).get(CONFIG_FILE);
  const parsed = text === undefined ? undefined : await checkedYaml<Partial<RegistryConfig>>(gitDir, CONFIG_FILE, text, 'config');
  const dir = parsed && parsed.errors.length === 0 ? withDefaults(parsed.value).models_dir : DEFAULT_CONFIG.models_dir;
  const lists = listingsOf(cmp, dir);
  lists.catch(() => {}); // awaited (and its failure reported) only if used
  return { dir, lists };
}

/** --all: every file under the models directory and the two config files, each with how it differs from HEAD. */
async function everything(cmp: Comparison, config: RegistryConfig, diff: PathChange[], early?: Promise<{ dir: string; lists: Promise<Listings> }>): Promise<PathChange[]> {
  const differs = new Map(diff.map((c) => [c.path, c]));
  const tree = cmp.after as WorkingTreeVersion;
  const guess = await early?.catch(() => undefined);
  // A file the diff does not name is byte for byte HEAD's: read it by blob id in one batch, which
  // is far faster than opening 100,000 files. Changed and untracked files are read from disk.
  const [[listed, unchanged], special] = await Promise.all([
    guess?.dir === config.models_dir ? guess.lists : listingsOf(cmp, config.models_dir),
    tree.existing([CONFIG_FILE, STAGES_FILE]),
  ]);
  // One pass over the listing (100,000 paths at 100,000 models): git diff looked at each plainly
  // tracked file on disk, so one it does not name is there, a regular file as in HEAD, and only
  // the others need an lstat. A symbolic link (committed or not) is no model file: it is checked,
  // and refused, as mode 120000.
  // (a file on disk the diff names is read from disk; any other is HEAD's blob, when HEAD has one)
  const present = (path: string, c: PathChange | undefined, oid: string | undefined): PathChange =>
    c && c.status !== 'D' ? { path, status: c.status, oid: undefined, baseOid: c.baseOid } : { path, status: '=', oid, baseOid: undefined };
  const changes: PathChange[] = [];
  for (const { path, plain } of listed) {
    const c = differs.get(path);
    const oid = unchanged.get(path);
    if ((plain && oid !== undefined && c === undefined) || tree.isFile(path)) changes.push(present(path, c, oid));
    else if (tree.isSymlink(path)) changes.push({ path, status: '=', mode: '120000' });
  }
  for (const path of [CONFIG_FILE, STAGES_FILE]) if (special.has(path)) changes.push(present(path, differs.get(path), undefined));
  if (differs.get(CONFIG_FILE)?.status === 'D') changes.push({ path: CONFIG_FILE, status: 'D' });
  return changes;
}

/**
 * Texts of many paths in one version: blobs git already named are read by id in one batch, the
 * rest through the version (the index, a commit, or the disk).
 */
async function textsIn(reader: ObjectReader, version: RegistryVersion, items: { path: string; oid?: string }[]): Promise<Map<string, string>> {
  const byOid = await blobTexts(reader, items.filter((i) => i.oid).map((i) => i.oid!));
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
  // Bounded: a committed file nested past the limit is no object to compare (integrity checks recurse).
  const v = parseJsonBounded(text)?.value;
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as ModelMetadata) : undefined;
}

/** A per-algorithm schema path must stay inside the repository. */
function unsafeSchemaPath(rel: string): boolean {
  return isAbsolute(rel) || rel.split(/[\\/]/).includes('..');
}

/** The config that governs the check: the new one when it is valid, else the one it replaces, else the defaults. */
async function readConfigs(run: Pick<Run, 'reader' | 'cmp' | 'gitDir'>, diff: PathChange[]) {
  const { reader, cmp, gitDir } = run;
  const baseText = (await cmp.base.read([CONFIG_FILE])).get(CONFIG_FILE);
  const change = diff.find((c) => c.path === CONFIG_FILE);
  // Unchanged means the same text as the base: no need to read the index or the disk for it.
  const afterText = !change ? baseText : change.status === 'D' ? undefined : (await textsIn(reader, cmp.after, [change])).get(CONFIG_FILE);
  if (afterText === undefined && baseText === undefined) {
    throw new NotARegistryError(`${CONFIG_FILE} is not in ${cmp.after.name}: this is not a modelgit registry`, { hint: 'modelgit init creates one' });
  }
  // Through the parse cache every command shares: a config checked before needs no YAML parser.
  const parse = (text: string) => checkedYaml<Partial<RegistryConfig>>(gitDir, CONFIG_FILE, text, 'config');
  const afterParsed = afterText === undefined ? undefined : await parse(afterText);
  const baseParsed = baseText === undefined ? undefined : baseText === afterText ? afterParsed : await parse(baseText);
  const usable = [afterParsed, baseParsed].find((p) => p && p.errors.length === 0);
  const config = usable ? withDefaults(usable.value) : DEFAULT_CONFIG;
  return { config, afterText, afterErrors: afterParsed?.errors ?? [] };
}

/** One run's shared state: what is compared, under which config, and what was found. */
interface Run {
  git: Git;
  reader: ObjectReader;
  /** the repository's git dir, whose YAML parse cache the checks share (store/config.ts) */
  gitDir: string;
  cmp: Comparison;
  config: RegistryConfig;
  changes: PathChange[];
  errors: ErrorLocation[];
  checked: string[];
  /** --all: the files found clean before under the same rules (undefined: check every file) */
  validated?: ValidatedFiles;
}

type ModelChange = PathChange & { algorithm: string; problems: string[] };

export async function validate(opts: ValidateOptions): Promise<ValidationReport> {
  const { root, gitDir, head } = await locate(opts.cwd);
  const git = new Git(root);
  const reader = new ObjectReader(root);
  // Every blob of the run goes through this one git process; starting it now overlaps its
  // startup with the diff.
  reader.start();
  try {
    return await validateWith(opts, git, reader, gitDir, head);
  } finally {
    reader.close();
  }
}

/**
 * The checks `validate --since BASE` makes, on `commit` (not HEAD) against `base`, in the registry's
 * own repository, which may be a bare cache with no work tree: what a write without a checkout
 * (`--remote`) checks in-process before it pushes, where no pre-commit hook runs.
 */
export async function validateCommit(reg: Registry, base: string, commit: string, opts: { branch?: string } = {}): Promise<ValidationReport> {
  const reader = new ObjectReader(reg.root);
  reader.start();
  try {
    return await validateWith({ cwd: reg.root, mode: 'since', since: base, branch: opts.branch }, reg.git, reader, reg.gitDir, commit, async () => reg);
  } finally {
    reader.close();
  }
}

async function validateWith(
  opts: ValidateOptions,
  git: Git,
  reader: ObjectReader,
  gitDir: string,
  head: string | undefined,
  registry: () => Promise<Registry> = async () => (await import('./registry.js')).Registry.open({ cwd: opts.cwd }),
): Promise<ValidationReport> {
  const cmp = await comparisonFor(git, reader, head, opts);
  const diffing = diffChanges(git, head, opts, cmp);
  // --all lists the whole models directory: that overlaps the diff, which lstats every file.
  const early = opts.mode === 'all' ? earlyListings(cmp, gitDir) : undefined;
  early?.catch(() => {}); // a failure here is met again (and reported) by everything()
  const diff = await diffing;
  const { config, afterText: configText, afterErrors: configErrors } = await readConfigs({ reader, cmp, gitDir }, diff);
  const changes = opts.mode === 'all' ? await everything(cmp, config, diff, early) : diff;
  const run: Run = { git, reader, gitDir, cmp, config, changes, errors: [], checked: [] };

  const models: ModelChange[] = [];
  const named: [string, string][] = []; // [id, path] of every model path present (--all)
  let deletedModels = false;
  // A config that does not validate governs nothing (the defaults stand in): say so on every check,
  // or the hook would check files under a models_dir the broken config never names and pass.
  let checkConfig = opts.mode === 'all' || configErrors.length > 0;
  let checkStages = opts.mode === 'all';
  for (const c of changes) {
    const kind = classifyPath(config, c.path);
    if (kind.kind === 'config') checkConfig = true;
    else if (kind.kind === 'stages') checkStages = true;
    else if (kind.kind === 'model') {
      if (c.status !== 'D') named.push([kind.id, c.path]);
      if (c.status === 'D') deletedModels = true;
      else if (c.mode && !REGULAR_MODES.has(c.mode)) {
        run.checked.push(c.path);
        run.errors.push({ file: c.path, line: 1, column: 1, pointer: '', rule: 'model-path', message: `a model file must be a regular file (this is mode ${c.mode}${c.mode === '120000' ? ', a symbolic link' : ''})` });
        // Spelled out, not spread: spread copies here each got a hidden class of their own (~250
        // bytes apiece, 25 MB at 100,000 models).
      } else models.push({ path: c.path, status: c.status, oid: c.oid, mode: c.mode, baseOid: c.baseOid, algorithm: kind.algorithm, problems: kind.problems });
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
  // --all: ids clash by path alone, so the clashing files are known before any is read; only
  // their texts are kept (to place the error), and every other text is dropped once checked.
  const dups = opts.mode === 'all' ? idClashes(named) : undefined;
  const keep = dups ? new Set([...dups.values()].flat()) : new Set(models.filter((m) => m.status === 'A').map((m) => m.path));
  if (opts.mode === 'all') run.validated = validatedFiles(gitDir, fileRulesStamp(config, configText, schemaTexts));
  const { afterTexts, added } = await checkModelFiles(run, models, schemaTexts, keep);
  if (dups) checkAllIds(run, dups, afterTexts);
  else if (added.length) await checkNewIds(run, added, afterTexts);
  // Deleting a model is allowed (cleanup), unless a stage still points at it.
  if (checkStages || deletedModels) await checkStagesFile(run);
  const warnings: ErrorLocation[] = [];
  // The promotion gates of every stage change in the range (DESIGN §3), once the files are sound.
  // Gates are judged whatever else is wrong in the range (a reviewer needs every reason at once), unless
  // the files they are read from are unreadable: the config, or a stages.yaml that does not parse.
  if (opts.mode === 'since' && !run.errors.some((e) => e.file === CONFIG_FILE || (e.file === STAGES_FILE && e.rule !== 'stage-model-exists'))) {
    // Loaded here only: the registry and gate code is most of a hook run's startup otherwise.
    const { promotionGateFindings, unauthorisedRemovalErrors } = await import('./gates.js');
    const reg = await registry();
    const found = await promotionGateFindings(reg, cmp.since!, head, { branch: opts.branch });
    // a stage pointing at a model that is not there is already said once, by its stages.yaml line
    const dangling = new Set(run.errors.filter((e) => e.rule === 'stage-model-exists').map((e) => e.pointer));
    run.errors.push(...found.errors.filter((e) => !(e.rule === 'promotion-target' && dangling.has(e.pointer))), ...(await unauthorisedRemovalErrors(reg, cmp.since!, head!)));
    warnings.push(...found.warnings);
  } else if (opts.mode === 'since') {
    const { unauthorisedRemovalErrors } = await import('./gates.js');
    run.errors.push(...(await unauthorisedRemovalErrors(await registry(), cmp.since!, head!)));
  }
  return finishReport(opts.mode, run.checked, run.errors, cmp.since, warnings);
}

/**
 * Everything a model file's own checks depend on besides its path and text: the config that
 * governs (and its text), each per-algorithm schema as read for this run, the built-in model
 * schema, and the code and version of modelgit. Compared whole by the cache.
 */
function fileRulesStamp(config: RegistryConfig, configText: string | undefined, schemaTexts: Map<string, string>): string {
  const schemas = Object.entries(config.schemas).map(([algorithm, rel]) => [algorithm, rel, unsafeSchemaPath(rel) ? null : (schemaTexts.get(rel) ?? null)]);
  return JSON.stringify([FILE_RULES, VERSION, VALIDATOR_CODE, MODEL_CHECKS_CODE, builtinSchemaText('model'), config, configText ?? null, schemas]);
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

/**
 * Each model file: schema, id/path, and what changed against the version it replaces. Files git
 * has a blob for stream through the run's reader and are dropped once checked (bounded memory
 * under --all); texts of the paths in `keep` are returned for later checks that place errors.
 */
async function checkModelFiles(run: Run, models: ModelChange[], schemaTexts: Map<string, string>, keep: Set<string>) {
  const { reader, cmp, config, validated } = run;
  const baseTexts = await textsIn(reader, cmp.base, models.filter((m) => m.status === 'M').map((m) => ({ path: m.path, oid: m.baseOid })));
  const ctx = { root: run.git.root, config, schemaText: (rel: string) => (unsafeSchemaPath(rel) ? undefined : schemaTexts.get(rel)) };
  const afterTexts = new Map<string, string>();
  // Errors per model (kept only when there are some), gathered in the models' order whatever
  // order the texts arrive in.
  const found = new Map<number, ErrorLocation[]>();
  const read = new Uint8Array(models.length);
  const clean = new Uint8Array(validated ? models.length : 0); // files to remember as clean
  let fresh = 0;
  let known = 0;
  const check = (i: number, text: string, fromBlob = false) => {
    const m = models[i]!;
    const errors: ErrorLocation[] = [];
    read[i] = 1;
    if (keep.has(m.path)) afterTexts.set(m.path, text);
    run.checked.push(m.path);
    for (const p of m.problems) errors.push({ file: m.path, line: 1, column: 1, pointer: '', rule: 'model-path', message: p });
    const { meta, errors: problems } = checkModelTextSync(ctx, m.path, text);
    // After the first syntax error the parser's recovery mostly reports echoes of it.
    const firstSyntax = problems.find((e) => e.rule.startsWith('json-syntax'));
    errors.push(...(firstSyntax ? [firstSyntax] : problems));
    const after = meta !== null && typeof meta === 'object' && !Array.isArray(meta) ? meta : undefined;
    const before = m.status === 'M' ? parseObject(baseTexts.get(m.path)) : undefined;
    if (after && before) {
      for (const p of changeProblems(before, after)) errors.push(at(m.path, text, p.pointer, p.rule, `${p.message} (compared with ${cmp.base.name})`));
    }
    if (errors.length) found.set(i, errors);
    // Only a file as HEAD has it, checked from the blob its id names, is remembered clean.
    else if (validated && fromBlob && m.status === '=') {
      clean[i] = 1;
      // (a file read only to place an id clash may have been remembered already)
      if (validated.clean(m.path, m.oid!)) known++;
      else fresh++;
    }
  };
  const byOid: number[] = [];
  const byPath: number[] = [];
  models.forEach((m, i) => {
    if (!m.oid) byPath.push(i);
    else if (validated && m.status === '=' && !keep.has(m.path) && validated.clean(m.path, m.oid)) {
      // Clean under the same rules before, and byte for byte the same file: nothing to read.
      read[i] = 1;
      clean[i] = 1;
      known++;
      run.checked.push(m.path);
    } else byOid.push(i);
  });
  const missed: number[] = [];
  let next = 0; // git answers in order, skipping ids it does not have
  await reader.each(
    byOid.map((i) => models[i]!.oid!),
    (_oid, type, content, k) => {
      for (; next < k; next++) missed.push(byOid[next]!);
      next = k + 1;
      if (type === 'blob') check(byOid[k]!, content.toString('utf8'), true);
      else missed.push(byOid[k]!);
    },
  );
  for (; next < byOid.length; next++) missed.push(byOid[next]!);
  // The rest (working-tree files, or a blob git lacks) through the version, a chunk at a time.
  const rest = [...byPath, ...missed].sort((a, b) => a - b);
  for (let c = 0; c < rest.length; c += 1000) {
    const part = rest.slice(c, c + 1000);
    const texts = await cmp.after.read(part.map((i) => models[i]!.path));
    for (const i of part) {
      const text = texts.get(models[i]!.path);
      if (text !== undefined) check(i, text); // else not a regular file in that version (e.g. staged, then removed on disk)
    }
  }
  for (const i of [...found.keys()].sort((a, b) => a - b)) run.errors.push(...found.get(i)!);
  validated?.save(
    (function* () {
      for (let i = 0; i < clean.length; i++) if (clean[i]) yield [models[i]!.path, models[i]!.oid!] as [string, string];
    })(),
    fresh,
    known,
  );
  const added = models.filter((m, i) => m.status === 'A' && read[i]).map((m) => m.path);
  return { afterTexts, added };
}

/** --all: every id once across the whole tree, from the paths alone. */
function checkAllIds(run: Run, dups: Map<string, string[]>, afterTexts: Map<string, string>): void {
  for (const [id, paths] of dups) {
    for (const p of paths) {
      run.errors.push(at(p, afterTexts.get(p), '/model_id', 'unique-id', `model id ${id} is also used by ${paths.filter((o) => o !== p).join(', ')}; ids are unique across algorithms`));
    }
  }
}

/** New models: their ids are free across algorithms (a path listing, never a blob scan), and none is a moved model. */
async function checkNewIds(run: Run, added: string[], afterTexts: Map<string, string>): Promise<void> {
  const { reader, cmp, config } = run;
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
  const movedTexts = await textsIn(reader, cmp.base, moves.map((m) => ({ path: m.from.path, oid: m.from.baseOid })));
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
  const { reader, cmp, config } = run;
  const change = run.changes.find((c) => c.path === STAGES_FILE);
  if (change?.status === 'D') return; // no file, no assignments
  const text = (await textsIn(reader, cmp.after, [change ?? { path: STAGES_FILE }])).get(STAGES_FILE);
  if (text === undefined) return;
  run.checked.push(STAGES_FILE);
  const parsed: ParsedJson<StageAssignments | null> = await checkedYaml<StageAssignments | null>(run.gitDir, STAGES_FILE, text, 'stages');
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
