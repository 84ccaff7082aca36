// The one read path every query uses: all model metadata at a revision (or in the index), read in
// bulk through `git ls-tree` + one `git cat-file --batch`, or from the snapshot cache (cache.ts)
// keyed by the models tree id. Files that don't parse are reported as problems rather than
// thrown, so one bad file bypassing the hook can't take every read down.
import type { ErrorLocation } from '../errors.js';
import { parseModelPath } from '../domain/config.js';
import { KNOWN_ALGORITHM } from '../domain/metadata.js';
import type { Model, ModelMetadata, RegistryConfig } from '../domain/types.js';
import { parseLsTree, type Git, type TreeEntry } from '../git/git.js';
import { COMMIT_GRAPH_MIN_MODELS, maintainCommitGraph } from '../git/commit-graph.js';
import { execFileSync } from 'node:child_process';
import { applyChanges, cacheDisabled, EntryWriter, oidOf, SnapshotCache, textIntact, textOf, type CachedIndex, type IndexEntry } from './cache.js';

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
  let meta: ModelMetadata;
  try {
    meta = JSON.parse(text) as ModelMetadata;
  } catch (e) {
    return { problem: { file: path, line: 1, column: 1, pointer: '', rule: 'json-syntax', message: `not valid JSON: ${(e as Error).message}` } };
  }
  if (!meta || typeof meta !== 'object' || typeof meta.model_id !== 'string' || typeof meta.algorithm !== 'string') {
    return { problem: { file: path, line: 1, column: 1, pointer: '', rule: 'required', message: 'not model metadata (no model_id/algorithm)' } };
  }
  if (where && (where.id !== meta.model_id || where.algorithm !== meta.algorithm)) {
    return { problem: { file: path, line: 1, column: 1, pointer: '/model_id', rule: 'id-matches-path', message: `model_id/algorithm (${meta.algorithm}/${meta.model_id}) do not match the path` } };
  }
  if (!Array.isArray(meta.testing)) meta.testing = [];
  if (!Array.isArray(meta.tags)) meta.tags = [];
  return { model: { path, metadata: meta } };
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
  return entries.filter((e) => e.type === 'blob' && parseModelPath(config, e.path) !== undefined);
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

function trace(message: string): void {
  if (process.env.MODELGIT_CACHE_TRACE) process.stderr.write(`modelgit-cache: ${message}\n`);
}

/** The commit `rev` names and the id of its models tree, in one `git cat-file --batch-check`. */
async function resolveModelsTree(git: Git, rev: string, modelsDir: string): Promise<{ commit?: string; tree?: string; head?: string; uncached?: boolean }> {
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

// JSON.stringify(JSON.parse(t)) gives back the same value for every JSON text except where a
// number parses to -0 or overflows to ±Infinity; texts that might hold one are kept as they are.
const NOT_ROUND_TRIP = /-0(?![1-9])|[eE][+-]?\d{3}|\d{300}/;

/**
 * Reads the listed blobs and records what parsing each gives. A model's text is kept minified
 * (a third smaller: less to read, hold and checksum on every hit); a problem's text as it is.
 */
async function indexEntries(git: Git, config: Pick<RegistryConfig, 'models_dir'>, files: { path: string; oid: string }[]): Promise<IndexEntry[]> {
  const entries: (IndexEntry | undefined)[] = new Array(files.length);
  const writer = new EntryWriter();
  const record = (i: number, text: string) => {
    const f = files[i]!;
    const { model, problem } = parseModelBlob(f.path, text, config);
    const kept = model && !NOT_ROUND_TRIP.test(text) ? JSON.stringify(model.metadata) : text;
    entries[i] = writer.add(f.path, f.oid, kept, problem);
  };
  await git.forEachObject(
    files.map((f) => f.oid),
    (_oid, content, i) => record(i, content.toString('utf8')),
  );
  // A missing object (a shallow or partial clone) reads as an empty text, as in readSnapshotUncached.
  for (let i = 0; i < files.length; i++) if (!entries[i]) record(i, '');
  return entries as IndexEntry[];
}

function isBlobMode(mode: string): boolean {
  return mode.startsWith('100') || mode === '120000';
}

/** Every metadata file of a models tree, read from git. */
async function fullIndex(git: Git, config: Pick<RegistryConfig, 'models_dir'>, tree: string): Promise<IndexEntry[]> {
  const prefix = `${config.models_dir}/`;
  // `tree` is a hex id from git itself, so it needs no option guard; --full-tree keeps the
  // listing independent of the directory the command runs in.
  const files = parseLsTree(await git.text(['ls-tree', '-r', '-z', '--full-tree', tree]))
    .map((e) => ({ ...e, path: prefix + e.path }))
    .filter((e) => e.type === 'blob' && parseModelPath(config, e.path) !== undefined);
  return indexEntries(git, config, files);
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
    const wasFile = isBlobMode(oldMode!);
    const isFile = isBlobMode(newMode!);
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

async function readSnapshotCached(git: Git, config: Pick<RegistryConfig, 'models_dir'>, rev: string, cacheDir: string, warn?: (m: string) => void): Promise<Snapshot> {
  const where = await resolveModelsTree(git, rev, config.models_dir);
  if (where.uncached) return readSnapshotUncached(git, config, rev);
  if (!where.commit) return emptySnapshot();
  if (!where.tree) return emptySnapshot(where.commit);
  const tree = where.tree;
  const cache = new SnapshotCache(`${cacheDir}/snapshots`, config.models_dir, warn);

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
        const changes = await indexEntries(git, config, diff.changed);
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
      entries = await fullIndex(git, config, tree);
      cache.saveFull(tree, entries);
    }
  }
  // The next diff starts from what HEAD was: reads of other revisions don't move it.
  if (where.commit === where.head) {
    cache.setHeadTree(tree);
    if (entries.length >= COMMIT_GRAPH_MIN_MODELS) maintainCommitGraph({ root: git.root, dir: cacheDir, head: where.commit });
  }
  return assemble(entries, { root: git.root, config, cache, files: hitFiles }, where.commit);
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
  // The cache file was damaged after it was checked at load: answer from git, rebuild next time.
  ctx.cache.corrupt(ctx.files ?? [], `the text of ${entry.path} fails its checksum`);
  const text = execFileSync('git', ['cat-file', 'blob', oidOf(entry)], { cwd: ctx.root, maxBuffer: 1 << 30 }).toString('utf8');
  const parsed = parseModelBlob(entry.path, text, ctx.config);
  if (!parsed.model) throw new Error(`${entry.path} no longer parses as it did when it was indexed`);
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
    const models: Model[] = [];
    const ids = new Map<string, Model>();
    const problems: ErrorLocation[] = [];
    entries.forEach((e, i) => {
      if (e.problem) {
        problems.push(e.problem);
        return;
      }
      // A file that parsed into a model has its model id as its name (parseModelBlob checks it).
      const id = e.path.slice(e.path.lastIndexOf('/') + 1, -'.json'.length);
      const dup = ids.get(id);
      if (dup) {
        problems.push({ file: e.path, line: 1, column: 1, pointer: '/model_id', rule: 'unique-id', message: `model id ${id} is also used by ${dup.path}` });
        return;
      }
      const model = modelAt(i);
      models.push(model);
      ids.set(id, model);
    });
    return (whole = { models, byId: ids, problems });
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
