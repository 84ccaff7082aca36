// The one read path every query uses: all model metadata at a revision (or in the index), read in
// bulk through `git ls-tree` + one `git cat-file --batch`, or from the snapshot cache (cache.ts)
// keyed by the models tree id. Files that don't parse are reported as problems (located at their
// line and column) rather than thrown, so one bad file bypassing the hook can't take every read
// down; each query then decides whether its answer could depend on them, and refuses unless
// --skip-invalid (domain/invalid-files.ts, checkInvalidFiles in query-options.ts).
import { GitError, type ErrorLocation } from '../errors.js';
import { encodingProblem } from '../schema/encoding.js';
import { parseModelPath } from '../domain/config.js';
import { algorithmOf, KNOWN_ALGORITHM } from '../domain/metadata.js';
import { modelsOf } from '../domain/selection.js';
import { SUMMARY, summarize, type ModelSummary, type SummaryResult } from '../domain/summary.js';
import type { Model, ModelMetadata, RegistryConfig } from '../domain/types.js';
import type { Git, TreeEntry } from '../git/git.js';
import { OID } from '../git/head-files.js';
import { COMMIT_GRAPH_MIN_MODELS, maintainCommitGraph } from '../git/commit-graph.js';
import { execFileSync } from 'node:child_process';
import { crc32 } from 'node:zlib';
import {
  applyChanges,
  CacheWriteError,
  EntryWriter,
  type EntrySink,
  MemoryTexts,
  ITEM_ID,
  ITEM_OID,
  ITEM_SUMMARY,
  oidOf,
  sectionKey,
  resultsInMemory,
  sectionText,
  SnapshotCache,
  SUMMARY_FORMAT,
  textIntact,
  textOf,
  type CachedIndex,
  type IndexEntry,
  type Manifest,
  type Section,
  type SectionItem,
} from './cache/snapshot-cache.js';
import { MemoFile } from './cache/memo-file.js';
import { cacheDisabled, tracer } from './cache/policy.js';
import { jsonLimitError } from '../domain/limits.js';

export interface Snapshot {
  /** the commit it was read from; undefined for the index or an empty repository */
  commit?: string;
  models: Model[];
  byId: Map<string, Model>;
  problems: ErrorLocation[];
}

export function emptySnapshot(commit?: string): Snapshot {
  return { commit, models: [], byId: new Map(), problems: [] };
}

/** Parses one metadata blob just enough to index it; full schema checks belong to `validate`. */
export function parseModelBlob(path: string, text: string, config: Pick<RegistryConfig, 'models_dir'>): { model?: Model; problem?: ErrorLocation } {
  const where = parseModelPath(config, path);
  // Size and depth before JSON.parse: every reader after this one recurses (limits.ts).
  const limit = jsonLimitError(path, text);
  if (limit) return { problem: limit };
  const encoding = encodingProblem(path, text); // not UTF-8, or a BOM: named, never read as mojibake
  if (encoding) return { problem: encoding };
  let meta: ModelMetadata;
  try {
    meta = JSON.parse(text) as ModelMetadata;
  } catch (e) {
    const message = (e as Error).message;
    return { problem: { file: path, ...positionAt(text, jsonErrorOffset(text, message)), pointer: '', rule: 'json-syntax', message: `not valid JSON: ${message}` } };
  }
  if (!meta || typeof meta !== 'object' || typeof meta.model_id !== 'string' || typeof meta.algorithm !== 'string') {
    return { problem: { file: path, line: 1, column: 1, pointer: '', rule: 'required', message: 'not model metadata (no model_id/algorithm)' } };
  }
  if (where && (where.id !== meta.model_id || where.algorithm !== meta.algorithm)) {
    const key = where.id !== meta.model_id ? 'model_id' : 'algorithm';
    return { problem: { file: path, ...positionAt(text, Math.max(0, text.indexOf(`"${key}"`))), pointer: `/${key}`, rule: 'id-matches-path', message: `model_id/algorithm (${meta.algorithm}/${meta.model_id}) do not match the path` } };
  }
  if (!Array.isArray(meta.testing)) meta.testing = [];
  if (!Array.isArray(meta.tags)) meta.tags = [];
  return { model: { path, metadata: meta } };
}

/** Where JSON.parse stopped, from its message ("… at position 42"; the end for "end of JSON input"). */
export function jsonErrorOffset(text: string, message: string): number {
  const m = /at position (\d+)/.exec(message);
  if (m) return Math.min(Number(m[1]), text.length);
  return /end of JSON input/.test(message) ? text.length : 0;
}

/** 1-based line and column of a character offset (the one rule validate uses). */
function positionAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

export function buildSnapshot(entries: { path: string; text: string }[], config: Pick<RegistryConfig, 'models_dir'>, commit?: string): Snapshot {
  const snap = emptySnapshot(commit);
  for (const { path, text } of entries) {
    const { model, problem } = parseModelBlob(path, text, config);
    if (problem) snap.problems.push(problem);
    if (!model) continue;
    const dup = snap.byId.get(model.metadata.model_id);
    if (dup) {
      snap.problems.push({ file: path, line: 1, column: 1, pointer: '/model_id', rule: 'unique-id', message: `model id ${model.metadata.model_id} is also used by ${dup.path}` });
      continue;
    }
    snap.models.push(model);
    snap.byId.set(model.metadata.model_id, model);
  }
  return snap;
}

export function metadataEntries(entries: TreeEntry[], config: Pick<RegistryConfig, 'models_dir'>): TreeEntry[] {
  return entries.filter((e) => e.type === 'blob' && isFileMode(e.mode) && parseModelPath(config, e.path) !== undefined);
}

export interface SnapshotReadOptions {
  /** where the snapshot cache lives (`<git dir>/modelgit`); without it every read goes to git */
  cacheDir?: string;
  /** where a corrupt-cache warning goes (default stderr) */
  warn?: (message: string) => void;
}

export async function readSnapshot(git: Git, config: Pick<RegistryConfig, 'models_dir'>, rev: string, opts: SnapshotReadOptions = {}): Promise<Snapshot> {
  if (opts.cacheDir && !cacheDisabled() && cacheableModelsDir(config.models_dir)) {
    return readSnapshotCached(git, config, rev, opts.cacheDir, opts.warn);
  }
  return readSnapshotUncached(git, config, rev);
}

/** The reference reader: everything from git, nothing remembered. */
export async function readSnapshotUncached(git: Git, config: Pick<RegistryConfig, 'models_dir'>, rev: string): Promise<Snapshot> {
  const commit = await git.resolveCommit(rev);
  if (!commit) return emptySnapshot();
  const entries = metadataEntries(await git.lsTree(commit, [config.models_dir]), config);
  const blobs = await git.readBlobs(entries.map((e) => e.oid));
  return buildSnapshot(
    entries.map((e) => ({ path: e.path, text: blobs.get(e.oid)?.toString('utf8') ?? '' })),
    config,
    commit,
  );
}

// ---------- cached reads ----------

/** A plain relative directory; anything git would read as a pattern or normalise goes uncached. */
function cacheableModelsDir(dir: string): boolean {
  return /^[^/*?[\]\\:!^]+(\/[^/*?[\]\\:!^]+)*$/.test(dir) && !dir.split('/').some((seg) => seg === '.' || seg === '..');
}

/** A diff above this share of the models is read in full instead (the blobs are most of the cost). */
const INCREMENTAL_SHARE = 0.5;

const trace = tracer('modelgit-cache');

/**
 * The commit `rev` names and the id of its models tree, in one `git cat-file --batch-check`; for
 * HEAD (read from its files) or a commit id, remembered once git has answered: a commit never changes.
 */
async function resolveModelsTree(git: Git, rev: string, modelsDir: string, cacheDir: string, warn?: (m: string) => void): Promise<{ commit?: string; tree?: string; head?: string; uncached?: boolean }> {
  // Enough for HEAD, the commit before it and a few branches switched between.
  const known = (rev === 'HEAD' || OID.test(rev)) && git.objectsAsStored() ? new MemoFile(`${cacheDir}/snapshots`, 'commit-trees', 16, warn) : undefined;
  const head = known ? await git.headNow() : undefined;
  const commit = rev === 'HEAD' ? head : rev;
  const key = `${commit}:${modelsDir}`;
  if (known && commit && head) {
    const tree = known.get(key);
    if (tree) return { commit, tree, head };
  }
  const where = await askGitModelsTree(git, rev, modelsDir);
  // Only what git said about that commit (HEAD may have moved since its files were read).
  if (known && where.tree && where.commit === commit && (rev !== 'HEAD' || where.head === head)) known.set(key, where.tree);
  return where;
}


async function askGitModelsTree(git: Git, rev: string, modelsDir: string): Promise<{ commit?: string; tree?: string; head?: string; uncached?: boolean }> {
  // A revision with a newline can't go through the batch protocol; ask rev-parse instead.
  if (/[\n\r]/.test(rev)) return { commit: await git.resolveCommit(rev), uncached: true };
  const r = await git.run(['cat-file', '--batch-check'], { input: `${rev}^{commit}\n${rev}^{commit}:${modelsDir}\nHEAD^{commit}\n` });
  if (r.code !== 0) return { commit: await git.resolveCommit(rev), uncached: true };
  const [c, t, h] = r.stdout.toString('utf8').split('\n');
  const cm = /^([0-9a-f]{40,64}) commit /.exec(c ?? '');
  if (!cm) {
    // "missing" or "ambiguous": let rev-parse decide, as the uncached reader does.
    const commit = await git.resolveCommit(rev);
    return commit ? { commit, uncached: true } : {};
  }
  const tm = /^([0-9a-f]{40,64}) tree /.exec(t ?? '');
  const hm = /^([0-9a-f]{40,64}) commit /.exec(h ?? '');
  return { commit: cm[1], tree: tm?.[1], head: hm?.[1] };
}

/**
 * Whether JSON.stringify of a parsed value parses back to the same value: always, except where a
 * number parsed to -0 or overflowed to ±Infinity (strings, keys and every other number survive).
 */
export function roundTrips(v: unknown): boolean {
  // Iterative: a value is bounded by the parse limits, but a reader must not depend on that.
  const stack: unknown[] = [v];
  while (stack.length) {
    const x = stack.pop();
    if (typeof x === 'number') {
      if (!Number.isFinite(x) || Object.is(x, -0)) return false;
    } else if (x !== null && typeof x === 'object') {
      if (Array.isArray(x)) for (const c of x) stack.push(c);
      else for (const k in x) stack.push((x as Record<string, unknown>)[k]);
    }
  }
  return true;
}

/**
 * Reads the listed blobs and records what parsing each gives, in the order listed. A model's text
 * is kept minified (a third smaller: less to read, hold and checksum on every hit); a problem's
 * text as it is.
 */
async function indexEntries(git: Git, config: Pick<RegistryConfig, 'models_dir'>, files: MetadataFiles, sink: EntrySink): Promise<IndexEntry[]> {
  const entries: IndexEntry[] = [];
  const record = (text: string) => {
    const i = entries.length;
    const path = files.paths[i]!;
    const { model, problem } = parseModelBlob(path, text, config);
    const kept = model && roundTrips(model.metadata) ? JSON.stringify(model.metadata) : text;
    entries.push(sink.add(path, files.oids[i]!, kept, problem));
  };
  // A missing object (a shallow or partial clone) reads as an empty text, as in readSnapshotUncached.
  await git.forEachObject(files.oids, (_oid, content, i) => {
    while (entries.length < i) record('');
    record(content.toString('utf8'));
  });
  while (entries.length < files.paths.length) record('');
  return entries;
}

/** Metadata files to index: paths and their blob ids, side by side. */
interface MetadataFiles {
  paths: string[];
  oids: string[];
}

/**
 * The metadata files in the output of `git ls-tree -r -z` of the models tree (paths relative to
 * it). Each path becomes a string of its own: slices of the listing would keep all 10 MB of it
 * (at 100,000 models) alive as long as the index that holds the paths.
 */
export function metadataFilesOfListing(listing: Buffer, config: Pick<RegistryConfig, 'models_dir'>): MetadataFiles {
  const prefix = Buffer.from(`${config.models_dir}/`);
  let scratch = Buffer.alloc(prefix.length + 256);
  prefix.copy(scratch);
  const files: MetadataFiles = { paths: [], oids: [] };
  for (let at = 0; at < listing.length; ) {
    let end = listing.indexOf(0, at);
    if (end < 0) end = listing.length;
    // <mode> SP <type> SP <object> TAB <path>
    const sp1 = listing.indexOf(32, at);
    const sp2 = listing.indexOf(32, sp1 + 1);
    const tab = listing.indexOf(9, sp2 + 1);
    if (sp1 >= 0 && sp2 > sp1 && tab > sp2 && tab < end && listing.toString('latin1', sp1 + 1, sp2) === 'blob' && isFileMode(listing.toString('latin1', at, sp1))) {
      const length = prefix.length + end - tab - 1;
      if (length > scratch.length) {
        scratch = Buffer.alloc(length * 2);
        prefix.copy(scratch);
      }
      listing.copy(scratch, prefix.length, tab + 1, end);
      const path = scratch.toString('utf8', 0, length);
      if (parseModelPath(config, path) !== undefined) {
        files.paths.push(path);
        files.oids.push(listing.toString('latin1', sp2 + 1, tab));
      }
    }
    at = end + 1;
  }
  return files;
}

/**
 * A regular file's mode. A symbolic link (120000) is no model file: its blob is the link's target,
 * and reading what it points at could leave the repository; `validate` refuses it.
 */
function isFileMode(mode: string): boolean {
  return mode.startsWith('100');
}

/**
 * Every metadata file of a models tree, read from git and written to the cache's .full file as it
 * is read (the entries read their texts back from there); in memory when the cache can't be written.
 */
async function fullIndex(git: Git, config: Pick<RegistryConfig, 'models_dir'>, tree: string, cache: SnapshotCache): Promise<IndexEntry[]> {
  // `tree` is a hex id from git itself, so it needs no option guard; --full-tree keeps the
  // listing independent of the directory the command runs in.
  const listing = await git.run(['ls-tree', '-r', '-z', '--full-tree', tree]);
  if (listing.code !== 0) throw new GitError(`git ls-tree failed: ${listing.stderr.trim() || `exit ${listing.code}`}`);
  const files = metadataFilesOfListing(listing.stdout, config);
  const writer = cache.fullWriter(tree);
  if (writer) {
    try {
      const entries = await indexEntries(git, config, files, writer);
      if (cache.finishFull(writer, tree)) return entries;
    } catch (e) {
      if (!(e instanceof CacheWriteError)) {
        writer.abandon();
        throw e;
      }
      cache.writeFailed(writer, e);
    }
  }
  // No cache file to read the texts back from: they stay in memory.
  return indexEntries(git, config, files, new EntryWriter());
}

interface TreeDiff {
  changed: { path: string; oid: string }[];
  removed: string[];
}

async function diffTrees(git: Git, config: Pick<RegistryConfig, 'models_dir'>, from: string, to: string): Promise<TreeDiff> {
  const out = await git.text(['diff-tree', '-r', '-z', '--no-renames', from, to]);
  const prefix = `${config.models_dir}/`;
  const diff: TreeDiff = { changed: [], removed: [] };
  const parts = out.split('\0');
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const [oldMode, newMode, , newOid] = parts[i]!.slice(1).split(' ');
    const path = prefix + parts[i + 1]!;
    if (parseModelPath(config, path) === undefined) continue;
    const wasFile = isFileMode(oldMode!);
    const isFile = isFileMode(newMode!);
    if (isFile) diff.changed.push({ path, oid: newOid! });
    else if (wasFile) diff.removed.push(path);
  }
  return diff;
}

/** Changes of a delta on top of another delta's changes (both relative to the same full index). */
function mergeChanges(before: CachedIndex, changes: IndexEntry[], removed: string[]): { changes: IndexEntry[]; removed: string[] } {
  const byPath = new Map<string, IndexEntry | null>();
  for (const p of before.removed ?? []) byPath.set(p, null);
  for (const c of before.changes ?? []) byPath.set(c.path, c);
  for (const p of removed) byPath.set(p, null);
  for (const c of changes) byPath.set(c.path, c);
  const merged: IndexEntry[] = [];
  const gone: string[] = [];
  for (const [p, c] of byPath) {
    if (c) merged.push(c);
    else gone.push(p);
  }
  return { changes: merged, removed: gone };
}

interface LoadedEntries {
  commit: string;
  tree: string;
  entries: IndexEntry[];
  cache: SnapshotCache;
  /** the cache files the entries came from (undefined when just built from git) */
  files?: string[];
}

/** The index of `where.tree`: from the cache, a diff on HEAD's cached tree, or git (then cached). */
async function loadEntries(git: Git, config: Pick<RegistryConfig, 'models_dir'>, where: { commit: string; tree: string; head?: string }, cacheDir: string, cache: SnapshotCache): Promise<LoadedEntries> {
  const tree = where.tree;
  let entries: IndexEntry[] | undefined;
  let hitFiles: string[] | undefined;
  const hit = cache.load(tree);
  if (hit) {
    hitFiles = hit.files;
    trace(`hit ${tree}${hit.base ? ` (delta on ${hit.base})` : ''}`);
    entries = hit.entries;
  } else {
    const refTree = cache.headTree();
    const ref = refTree && refTree !== tree ? cache.load(refTree) : undefined;
    if (ref) {
      const diff = await diffTrees(git, config, ref.tree, tree);
      if (diff.changed.length + diff.removed.length <= Math.max(64, ref.entries.length * INCREMENTAL_SHARE)) {
        hitFiles = ref.files;
        const changes = await indexEntries(git, config, { paths: diff.changed.map((c) => c.path), oids: diff.changed.map((c) => c.oid) }, new EntryWriter());
        entries = applyChanges(ref.entries, changes, diff.removed);
        const base = ref.base ?? ref.tree;
        const delta = ref.base ? mergeChanges(ref, changes, diff.removed) : { changes, removed: diff.removed };
        trace(`incremental ${tree} from ${ref.tree}: ${changes.length} changed, ${diff.removed.length} removed`);
        // A delta stays small; past that, one full write makes the next reads cheap again.
        if (delta.changes.length + delta.removed.length > Math.max(256, Math.min(5000, entries.length / 20))) cache.saveFull(tree, entries);
        else cache.saveDelta(tree, base, delta.changes, delta.removed);
      }
    }
    if (!entries) {
      trace(`rebuild ${tree}`);
      entries = await fullIndex(git, config, tree, cache);
    }
  }
  headUpkeep(git, cache, cacheDir, where, entries.length);
  return { commit: where.commit, tree, entries, cache, files: hitFiles };
}

/** The next diff starts from what HEAD was: reads of other revisions don't move it. */
function headUpkeep(git: Git, cache: SnapshotCache, cacheDir: string, where: { commit: string; tree: string; head?: string }, count: number): void {
  if (where.commit !== where.head) return;
  cache.setHeadTree(where.tree);
  if (count >= COMMIT_GRAPH_MIN_MODELS) maintainCommitGraph({ root: git.root, dir: cacheDir, head: where.commit });
}

async function readSnapshotCached(git: Git, config: Pick<RegistryConfig, 'models_dir'>, rev: string, cacheDir: string, warn?: (m: string) => void): Promise<Snapshot> {
  const where = await resolveModelsTree(git, rev, config.models_dir, cacheDir, warn);
  if (where.uncached) return readSnapshotUncached(git, config, rev);
  if (!where.commit) return emptySnapshot();
  if (!where.tree) return emptySnapshot(where.commit);
  const cache = new SnapshotCache(`${cacheDir}/snapshots`, config.models_dir, warn);
  const loaded = await loadEntries(git, config, { commit: where.commit, tree: where.tree, head: where.head }, cacheDir, cache);
  return assemble(loaded.entries, { root: git.root, config, cache, files: loaded.files }, where.commit);
}

/** What a lazily parsed model needs to parse itself, or to fall back to git if its text is damaged. */
interface LazyContext {
  root: string;
  config: Pick<RegistryConfig, 'models_dir'>;
  cache: SnapshotCache;
  files?: string[];
}

const ENTRY = Symbol('modelgit.snapshot-entry');
const CONTEXT = Symbol('modelgit.snapshot-context');
const PARSED = Symbol('modelgit.snapshot-parsed');

interface LazyModel extends Model {
  [ENTRY]: IndexEntry;
  [CONTEXT]: LazyContext;
  [PARSED]?: ModelMetadata;
}

function parseEntry(entry: IndexEntry, ctx: LazyContext): ModelMetadata {
  if (textIntact(entry)) {
    const parsed = parseModelBlob(entry.path, textOf(entry), ctx.config);
    if (parsed.model) return parsed.model.metadata;
  }
  return parseFromGit(entry.path, oidOf(entry), ctx, ctx.files ?? []);
}

/** The cache file was damaged after it was checked at load: answer from git, rebuild next time. */
function parseFromGit(path: string, oid: string, ctx: LazyContext, files: string[]): ModelMetadata {
  ctx.cache.corrupt(files, `the text of ${path} fails its checksum`);
  const text = execFileSync('git', ['cat-file', 'blob', oid], { cwd: ctx.root, maxBuffer: 1 << 30 }).toString('utf8');
  const parsed = parseModelBlob(path, text, ctx.config);
  if (!parsed.model) throw new Error(`${path} no longer parses as it did when it was indexed`);
  return parsed.model.metadata;
}

// One accessor pair shared by every lazy model (own and enumerable, so spreading a model or
// JSON.stringify of it sees `metadata` like a plain property, and all models share one shape).
const METADATA: PropertyDescriptor = {
  get(this: LazyModel): ModelMetadata {
    return (this[PARSED] ??= parseEntry(this[ENTRY], this[CONTEXT]));
  },
  set(this: LazyModel, value: ModelMetadata) {
    this[PARSED] = value;
  },
  enumerable: true,
  configurable: true,
};

/** A model whose metadata is parsed on first use: most queries touch a few of 100,000 models. */
function lazyModel(entry: IndexEntry, ctx: LazyContext, algorithm: string): Model {
  const m = { path: entry.path, [ENTRY]: entry, [CONTEXT]: ctx, [KNOWN_ALGORITHM]: algorithm };
  Object.defineProperty(m, 'metadata', METADATA);
  return m as unknown as Model;
}

/**
 * The same snapshot buildSnapshot makes, from recorded parse outcomes (problems and ids in file
 * order), assembled only as far as it is used: `byId.get(id)` / `byId.has(id)` find one model
 * without creating the other 99,999 (what a write needs), and `models`, `problems` or any other
 * use of `byId` assembles everything once. Every model object is created at most once, so the
 * one `get` returns is the one `models` holds.
 */
function assemble(entries: IndexEntry[], ctx: LazyContext, commit: string): Snapshot {
  const dirLength = ctx.config.models_dir.length + 1;
  const created: (Model | undefined)[] = new Array(entries.length);
  const modelAt = (i: number): Model => {
    const e = entries[i]!;
    return (created[i] ??= lazyModel(e, ctx, e.path.slice(dirLength, e.path.lastIndexOf('/'))));
  };
  let whole: { models: Model[]; byId: Map<string, Model>; problems: ErrorLocation[] } | undefined;
  const all = () => {
    if (whole) return whole;
    const sorted = sortOut(entries);
    const models = sorted.models.map(modelAt);
    const ids = new Map<string, Model>();
    for (const m of models) ids.set(idOfPath(m.path), m);
    return (whole = { models, byId: ids, problems: sorted.problems });
  };
  // The model that holds `id`: the first file named <id>.json that parsed (later ones are duplicates).
  const find = (id: string): Model | undefined => {
    if (whole) return whole.byId.get(id);
    if (id.includes('/')) return undefined; // a file name never holds one
    const suffix = `/${id}.json`;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (!e.problem && e.path.endsWith(suffix)) return modelAt(i);
    }
    return undefined;
  };
  const snap = { commit } as Snapshot;
  for (const key of ['models', 'problems'] as const) {
    Object.defineProperty(snap, key, {
      get: () => all()[key],
      set: (value: never) => {
        all()[key] = value;
      },
      enumerable: true,
      configurable: true,
    });
  }
  snap.byId = new LazyIdMap(() => all().byId, find);
  return snap;
}

/** A metadata file's model id: its name (parseModelBlob checks the two agree). */
function idOfPath(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1, -'.json'.length);
}

/**
 * Which entries are models, which parsed but lose their id to an earlier file, and the problems a
 * snapshot reports, all in file order (buildSnapshot's rules, from recorded parse outcomes).
 */
function sortOut(entries: IndexEntry[]): { models: number[]; excluded: number[]; problems: ErrorLocation[] } {
  const models: number[] = [];
  const excluded: number[] = [];
  const problems: ErrorLocation[] = [];
  const ids = new Map<string, string>();
  entries.forEach((e, i) => {
    if (e.problem) {
      problems.push(e.problem);
      return;
    }
    const id = idOfPath(e.path);
    const dup = ids.get(id);
    if (dup !== undefined) {
      problems.push({ file: e.path, line: 1, column: 1, pointer: '/model_id', rule: 'unique-id', message: `model id ${id} is also used by ${dup}` });
      excluded.push(i);
      return;
    }
    ids.set(id, e.path);
    models.push(i);
  });
  return { models, excluded, problems };
}

/** A Map of id → model that answers get/has by a scan until something needs the whole map. */
class LazyIdMap extends Map<string, Model> {
  constructor(
    private readonly whole: () => Map<string, Model>,
    private readonly find: (id: string) => Model | undefined,
  ) {
    super();
  }
  override get(id: string): Model | undefined {
    return this.find(id);
  }
  override has(id: string): boolean {
    return this.find(id) !== undefined;
  }
  override get size(): number {
    return this.whole().size;
  }
  override set(id: string, model: Model): this {
    this.whole().set(id, model);
    return this;
  }
  override delete(id: string): boolean {
    return this.whole().delete(id);
  }
  override clear(): void {
    this.whole().clear();
  }
  override forEach(fn: (value: Model, key: string, map: Map<string, Model>) => void, thisArg?: unknown): void {
    this.whole().forEach((v, k) => fn.call(thisArg, v, k, this));
  }
  override keys(): MapIterator<string> {
    return this.whole().keys();
  }
  override values(): MapIterator<Model> {
    return this.whole().values();
  }
  override entries(): MapIterator<[string, Model]> {
    return this.whole().entries();
  }
  override [Symbol.iterator](): MapIterator<[string, Model]> {
    return this.whole()[Symbol.iterator]();
  }
}

// ---------- one algorithm's models, from summaries ----------

/** What list, best and cleanup read: some models of a revision and what its snapshot reports. */
export interface ModelsView {
  /** the commit read; undefined for an empty repository */
  commit?: string;
  /** the algorithm's models (every model without one), in file order: `modelsOf(snapshot.models, algorithm)` */
  models: Model[];
  /** the snapshot's problems (every algorithm's) */
  problems: ErrorLocation[];
  /** the algorithms that have models, sorted */
  algorithms: string[];
}

/**
 * The models of one algorithm (or all) at `rev`, with the snapshot's problems. From the cache this
 * reads two small files: the tree's summary manifest and the algorithm's summary section, whose
 * models carry their summaries (summary.ts) and parse their metadata only when it is used. The
 * answer is always readSnapshot's, filtered.
 */
export async function readModels(git: Git, config: Pick<RegistryConfig, 'models_dir'>, rev: string, algorithm: string | undefined, opts: SnapshotReadOptions = {}): Promise<ModelsView> {
  if (opts.cacheDir && !cacheDisabled() && cacheableModelsDir(config.models_dir)) {
    const where = await resolveModelsTree(git, rev, config.models_dir, opts.cacheDir, opts.warn);
    if (!where.uncached) {
      if (!where.commit) return viewOf(emptySnapshot(), algorithm);
      if (!where.tree) return viewOf(emptySnapshot(where.commit), algorithm);
      return readModelsCached(git, config, { commit: where.commit, tree: where.tree, head: where.head }, algorithm, opts.cacheDir, opts.warn);
    }
  }
  return viewOf(await readSnapshotUncached(git, config, rev), algorithm);
}

/** readModels for a registry, through its cache directory (as Registry.snapshot reads). */
export function registryModels(reg: { git: Git; config: Pick<RegistryConfig, 'models_dir'>; gitDir: string }, algorithm: string | undefined, rev = 'HEAD'): Promise<ModelsView> {
  return readModels(reg.git, reg.config, rev, algorithm, { cacheDir: `${reg.gitDir}/modelgit` });
}

function viewOf(snap: Snapshot, algorithm?: string): ModelsView {
  return { commit: snap.commit, models: modelsOf(snap.models, algorithm), problems: snap.problems, algorithms: [...new Set(snap.models.map(algorithmOf))].sort() };
}

async function readModelsCached(
  git: Git,
  config: Pick<RegistryConfig, 'models_dir'>,
  where: { commit: string; tree: string; head?: string },
  algorithm: string | undefined,
  cacheDir: string,
  warn?: (m: string) => void,
): Promise<ModelsView> {
  const cache = new SnapshotCache(`${cacheDir}/snapshots`, config.models_dir, warn);
  const ctx: LazyContext = { root: git.root, config, cache };
  const wanted = (m: Manifest) => m.algorithms.filter(([name]) => algorithm === undefined || name === algorithm);
  let manifest = cache.loadManifest(where.tree);
  let sections: (Section | undefined)[] = manifest ? wanted(manifest).map(([name, key]) => cache.loadSection(name, key)) : [];
  if (manifest && sections.every(Boolean)) {
    trace(`summary-hit ${where.tree}`);
    headUpkeep(git, cache, cacheDir, where, manifest.count);
  } else {
    // From the index; models whose blob is unchanged keep the summary HEAD's last read made.
    const refTree = cache.headTree();
    const ref = refTree && refTree !== where.tree ? cache.loadManifest(refTree) : undefined;
    const loaded = await loadEntries(git, config, where, cacheDir, cache);
    ctx.files = loaded.files;
    const byAlgorithm = entriesByAlgorithm(loaded.entries, config.models_dir);
    const made = manifest ?? makeManifest(loaded, byAlgorithm, config);
    if (!manifest) cache.saveManifest(made);
    manifest = made;
    sections = wanted(made).map(([name, key], i) => {
      if (sections[i]) return sections[i];
      const refKey = ref?.algorithms.find(([n]) => n === name)?.[1];
      const before = refKey && refKey !== key ? cache.loadSection(name, refKey) : undefined;
      trace(`summary-build ${name}${before ? ' (incremental)' : ''}`);
      return buildSection(name, key, (byAlgorithm.get(name) ?? []).map((at) => loaded.entries[at]!), before, ctx);
    });
  }
  const excluded = new Set(manifest.excluded);
  const models: Model[] = [];
  for (const section of sections as Section[]) {
    const dir = `${config.models_dir}/${section.algorithm}/`;
    section.items.forEach((item, i) => {
      const path = `${dir}${item[ITEM_ID]}.json`;
      if (excluded.size && excluded.has(path)) return;
      models.push(sectionModel(path, item, i, section, ctx));
    });
  }
  return { commit: where.commit, models, problems: manifest.problems, algorithms: manifest.algorithms.filter(([, , n]) => n > 0).map(([name]) => name).sort() };
}

/**
 * The model `snapshot(commit).byId.get(id)` gives, from the commit's summary files when they are
 * already there and the id begins with its algorithm's name (`mscn_…`, as generated ids do); undefined
 * when the cache can't say for certain (then git is asked: lookup.ts). Builds nothing.
 */
export function cachedModelById(git: Git, config: Pick<RegistryConfig, 'models_dir'>, cacheDir: string, commit: string, id: string): Model | undefined {
  if (cacheDisabled() || !cacheableModelsDir(config.models_dir) || !git.objectsAsStored()) return undefined;
  const tree = new MemoFile(`${cacheDir}/snapshots`, 'commit-trees', 16).get(`${commit}:${config.models_dir}`);
  if (!tree) return undefined;
  const cache = new SnapshotCache(`${cacheDir}/snapshots`, config.models_dir);
  const manifest = cache.loadManifest(tree);
  if (!manifest) return undefined;
  const excluded = new Set(manifest.excluded);
  for (const [name, key] of manifest.algorithms) {
    if (!id.startsWith(`${name}_`)) continue;
    const section = cache.loadSection(name, key);
    if (!section) return undefined;
    const i = section.items.findIndex((item) => item[ITEM_ID] === id);
    if (i < 0) continue;
    const path = `${config.models_dir}/${name}/${id}.json`;
    // A parsed file not excluded holds an id no other model has: it is byId's. An excluded one
    // lost to an earlier file with the same id, which git must find.
    if (excluded.has(path)) return undefined;
    return sectionModel(path, section.items[i]!, i, section, { root: git.root, config, cache });
  }
  return undefined;
}

/** The manifest of a tree's index: buildSnapshot's problems and exclusions, and each algorithm's section key. */
function makeManifest(loaded: LoadedEntries, byAlgorithm: Map<string, number[]>, config: Pick<RegistryConfig, 'models_dir'>): Manifest {
  const { entries, tree } = loaded;
  const sorted = sortOut(entries);
  const excluded = new Set(sorted.excluded);
  const algorithms: Manifest['algorithms'] = [];
  for (const [name, list] of byAlgorithm) {
    const key = sectionKey(config.models_dir, name, filesOf(entries, list));
    algorithms.push([name, key, list.filter((at) => !excluded.has(at)).length]);
  }
  return {
    format: SUMMARY_FORMAT,
    tree,
    models_dir: config.models_dir,
    count: entries.length,
    problems: sorted.problems,
    algorithms,
    excluded: sorted.excluded.map((i) => entries[i]!.path),
    index: loaded.cache.indexFiles(tree),
  };
}

/** Where the entries that parsed are, by algorithm directory, in path order (so the algorithms are too). */
function entriesByAlgorithm(entries: IndexEntry[], modelsDir: string): Map<string, number[]> {
  const dirLength = modelsDir.length + 1;
  const out = new Map<string, number[]>();
  entries.forEach((e, i) => {
    if (e.problem) return;
    const name = e.path.slice(dirLength, e.path.lastIndexOf('/'));
    let list = out.get(name);
    if (!list) out.set(name, (list = []));
    list.push(i);
  });
  return out;
}

/** The id and blob id of each listed entry, made one at a time as they are hashed. */
function* filesOf(entries: IndexEntry[], list: number[]): Generator<{ id: string; oid: string }> {
  for (const at of list) {
    const e = entries[at]!;
    yield { id: idOfPath(e.path), oid: oidOf(e) };
  }
}

/** A section's items and texts; a model whose blob the previous section had keeps its summary and text. */
function buildSection(algorithm: string, key: string, list: IndexEntry[], before: Section | undefined, ctx: LazyContext): Section {
  const old = new Map<string, { item: SectionItem; i: number }>();
  before?.items.forEach((item, i) => old.set(item[ITEM_ID], { item, i }));
  const texts: Buffer[] = [];
  let off = 0;
  const items = list.map((e): SectionItem => {
    const id = idOfPath(e.path);
    const oid = oidOf(e);
    const was = old.get(id);
    const prev = was?.item;
    let text = prev && prev[ITEM_OID] === oid ? sectionText(before!, prev) : undefined;
    let summary: ModelSummary | 0 | undefined;
    if (prev && text) {
      const head = prev[ITEM_SUMMARY];
      // A stored summary's results come from the section's results (undefined if they are damaged).
      const results = head === 0 || hasResults(head) ? undefined : before!.results()?.[was!.i];
      summary = head === 0 || hasResults(head) ? head : results ? { ...head, testing: results } : undefined;
    }
    if (summary === undefined) {
      // The index's own bytes (no copy); they decode to the text that was parsed.
      const bytes = textIntact(e) ? e.texts.bytes(e.off, e.len) : undefined;
      let meta = bytes ? parseModelBlob(e.path, bytes.toString('utf8'), ctx.config).model?.metadata : undefined;
      if (meta) text = bytes!;
      else {
        // The index file was damaged after it was checked at load: git's text, and a warning.
        ctx.cache.corrupt(ctx.files ?? [], `the text of ${e.path} fails its checksum`);
        const str = gitText(oid, ctx);
        meta = parseModelBlob(e.path, str, ctx.config).model?.metadata;
        if (!meta) throw new Error(`${e.path} no longer parses as it did when it was indexed`);
        text = Buffer.from(str);
      }
      // A summary that wouldn't survive JSON.stringify (-0, overflow) isn't kept: its readers parse the text.
      const made = summarize(meta);
      summary = roundTrips(made) ? made : 0;
    }
    // (set with the summary: kept from the previous section, or the index's text just parsed)
    const kept = text!;
    texts.push(kept);
    const item: SectionItem = [id, oid, off, kept.length, crc32(kept) >>> 0, summary];
    off += kept.length;
    return item;
  });
  // Written from the texts where they lie (no copy of them all), then read from that file like a
  // hit's; only a cache that can't be written keeps them in memory.
  return ctx.cache.saveSection(algorithm, key, items, texts) ?? { algorithm, key, items, ...resultsInMemory(items), texts: new MemoryTexts(Buffer.concat(texts, off)), textsAt: 0, file: '' };
}

function gitText(oid: string, ctx: LazyContext): string {
  return execFileSync('git', ['cat-file', 'blob', oid], { cwd: ctx.root, maxBuffer: 1 << 30 }).toString('utf8');
}

const ITEM = Symbol('modelgit.section-item');
const SECTION = Symbol('modelgit.section');

interface SectionModel extends Model {
  [ITEM]: SectionItem;
  [SECTION]: Section;
  [CONTEXT]: LazyContext;
  [PARSED]?: ModelMetadata;
}

function parseItem(m: SectionModel): ModelMetadata {
  const text = sectionText(m[SECTION], m[ITEM]);
  const parsed = text && parseModelBlob(m.path, text.toString('utf8'), m[CONTEXT].config).model;
  if (parsed) return parsed.metadata;
  const section = m[SECTION];
  return parseFromGit(m.path, m[ITEM][ITEM_OID], m[CONTEXT], section.file ? [section.file] : []);
}

const SECTION_METADATA: PropertyDescriptor = {
  get(this: SectionModel): ModelMetadata {
    return (this[PARSED] ??= parseItem(this));
  },
  set(this: SectionModel, value: ModelMetadata) {
    this[PARSED] = value;
  },
  enumerable: true,
  configurable: true,
};

/** A model with its summary at hand; its metadata is parsed from the section's text on first use. */
function sectionModel(path: string, item: SectionItem, index: number, section: Section, ctx: LazyContext): Model {
  const head = item[ITEM_SUMMARY];
  const m = { path, [ITEM]: item, [SECTION]: section, [CONTEXT]: ctx, [KNOWN_ALGORITHM]: section.algorithm, [SUMMARY]: undefined as ModelSummary | undefined };
  Object.defineProperty(m, 'metadata', SECTION_METADATA);
  if (head !== 0) m[SUMMARY] = hasResults(head) ? head : new StoredSummary(head, index, section, m as unknown as Model);
  return m as unknown as Model;
}

function hasResults(s: ModelSummary): boolean {
  return Object.prototype.hasOwnProperty.call(s, 'testing');
}

/**
 * A summary read from a section file: its `testing` is the section's results, parsed (for all
 * its models at once) when first read, or, if they are damaged, the model's own metadata's.
 */
class StoredSummary implements ModelSummary {
  model_id: string;
  algorithm: string;
  created_at?: string;
  training?: ModelSummary['training'];
  tags: string[];
  private results?: SummaryResult[];

  constructor(
    head: Omit<ModelSummary, 'testing'>,
    private readonly index: number,
    private readonly section: Section,
    private readonly model: Model,
  ) {
    this.model_id = head.model_id;
    this.algorithm = head.algorithm;
    if (head.created_at !== undefined) this.created_at = head.created_at;
    if (head.training !== undefined) this.training = head.training;
    this.tags = head.tags;
  }

  get testing(): SummaryResult[] {
    return (this.results ??= this.section.results()?.[this.index] ?? summarize(this.model.metadata).testing);
  }

  testingOn(dataset: string): [number, SummaryResult][] {
    if (!this.results) {
      const group = this.section.resultsOn(dataset);
      if (group) return group[this.index] ?? [];
    }
    // Read already, or the group is damaged: from the whole list.
    const out: [number, SummaryResult][] = [];
    this.testing.forEach((r, i) => {
      if (r !== null && typeof r === 'object' && r.dataset === dataset) out.push([i, r]);
    });
    return out;
  }

  toJSON(): ModelSummary {
    const { model_id, algorithm, created_at, training, tags, testing } = this;
    // summarize's order
    return { model_id, algorithm, tags, testing, ...(created_at !== undefined && { created_at }), ...(training !== undefined && { training }) };
  }
}
