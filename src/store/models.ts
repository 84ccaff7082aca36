// The readers operations use: every model at a revision (readSnapshot) or one algorithm's
// (readModels), and one model by id from files already cached (cachedModelById).
// Each answers from the snapshot cache when it is allowed (cache/policy.ts) and the models
// directory can be cached, else from the reference reader (snapshot.ts); the answer is the same
// either way. A hit of one algorithm reads two small files: the tree's summary manifest and that
// algorithm's summary section (cache/sections.ts); a miss builds them (cache/snapshot-fill.ts).
import type { ErrorLocation } from '../errors.js';
import { algorithmOf } from '../domain/metadata.js';
import { modelsOf } from '../domain/selection.js';
import type { Model, RegistryConfig } from '../domain/types.js';
import type { Git } from '../git/git.js';
import { OID } from '../git/head-files.js';
import type { StoreContext } from './context.js';
import { emptySnapshot, readSnapshotUncached, type Snapshot } from './snapshot.js';
import { idOfPath, namesItsDirectory, parseModelBlob } from './model-file.js';
import { parseModelPath } from '../domain/config.js';
import { problemsInScope } from '../domain/invalid-files.js';
import { COMMIT_GRAPH_MIN_MODELS, maintainCommitGraph } from '../git/commit-graph.js';
import { assemble, sectionModel, type LazyContext } from './lazy-model.js';
import { MemoFile } from './cache/memo-file.js';
import { cacheDisabled, modelgitDir, tracer } from './cache/policy.js';
import { SnapshotCache } from './cache/snapshot-cache.js';
import { ITEM_ID, type Manifest, type Section } from './cache/sections.js';
import type { IndexEntry } from './cache/snapshot-file.js';
import { buildSection, entriesByAlgorithm, headUpkeep, loadEntries, makeManifest, metadataFilesOfListing } from './cache/snapshot-fill.js';

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

/** A plain relative directory; anything git would read as a pattern or normalise goes uncached. */
function cacheableModelsDir(dir: string): boolean {
  return /^[^/*?[\]\\:!^]+(\/[^/*?[\]\\:!^]+)*$/.test(dir) && !dir.split('/').some((seg) => seg === '.' || seg === '..');
}

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
  const found = await git.objectTypes([`${rev}^{commit}`, `${rev}^{commit}:${modelsDir}`, 'HEAD^{commit}']);
  if (!found) return { commit: await git.resolveCommit(rev), uncached: true };
  const [c, t, h] = found;
  if (c?.type !== 'commit') {
    // "missing" or "ambiguous": let rev-parse decide, as the uncached reader does.
    const commit = await git.resolveCommit(rev);
    return commit ? { commit, uncached: true } : {};
  }
  return { commit: c.oid, tree: t?.type === 'tree' ? t.oid : undefined, head: h?.type === 'commit' ? h.oid : undefined };
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
    if (!manifest) {
      cache.saveManifest(made);
      cache.saveIds(where.tree, loaded.entries);
    }
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

/** One algorithm's models at a revision, and the problems that can change an answer about it. */
export interface AlgorithmView {
  commit?: string;
  /** `modelsOf(snapshot.models, algorithm)`, in file order */
  models: Model[];
  /** `problemsInScope(snapshot.problems, …, { kind: 'algorithm' })`: the unreadable files that could be this algorithm's */
  problems: ErrorLocation[];
}

/**
 * One algorithm's models for a first answer where the snapshot cache holds nothing to start from
 * (a fresh clone): building the index of every model first — 5 s at 100,000 models — is not what
 * the question needs. The algorithm's files are parsed; every other file is only looked at for
 * the one problem that concerns every algorithm (a file naming another algorithm than its
 * directory, invalid-files.ts), parsed only when its bytes can't rule that out. Undefined when the
 * cache has something (then readModels, which keeps it current), caches are off, or an id of the
 * algorithm is also a file name elsewhere (which file keeps the id is the snapshot's to decide).
 * The index is built by the next read that needs it.
 */
export async function readAlgorithmFirst(git: Git, config: Pick<RegistryConfig, 'models_dir'>, rev: string, algorithm: string, cacheDir: string): Promise<AlgorithmView | undefined> {
  if (cacheDisabled() || !cacheableModelsDir(config.models_dir)) return undefined;
  const where = await resolveModelsTree(git, rev, config.models_dir, cacheDir);
  if (where.uncached || !where.commit || !where.tree) return undefined;
  if (!new SnapshotCache(`${cacheDir}/snapshots`, config.models_dir).holdsNothingFor(where.tree)) return undefined;
  const files = metadataFilesOfListing(await git.treeListing(where.tree), config);
  const dir = `${config.models_dir}/${algorithm}/`;
  const mine = new Set<string>();
  files.paths.forEach((p) => p.startsWith(dir) && mine.add(idOfPath(p)));
  if (files.paths.some((p) => !p.startsWith(dir) && mine.has(idOfPath(p)))) return undefined;
  const models: Model[] = [];
  const problems: ErrorLocation[] = [];
  const consider = (i: number, content: Buffer): void => {
    const path = files.paths[i]!;
    if (path.startsWith(dir)) {
      const { model, problem } = parseModelBlob(path, content.toString('utf8'), config);
      if (model) models.push(model);
      if (problem) problems.push(problem);
      return;
    }
    const other = parseModelPath(config, path)!.algorithm;
    if (namesItsDirectory(content, other)) return;
    const { problem } = parseModelBlob(path, content.toString('utf8'), config);
    if (problem && problemsInScope([problem], config.models_dir, { kind: 'algorithm', algorithm }).length) problems.push(problem);
  };
  // A missing object (a shallow or partial clone) reads as an empty text, as everywhere else.
  let next = 0;
  await git.forEachObject(files.oids, (_oid, content, i) => {
    while (next < i) consider(next++, Buffer.alloc(0));
    consider(next++, content);
  });
  while (next < files.paths.length) consider(next++, Buffer.alloc(0));
  trace(`first read of ${algorithm} in ${where.tree} (no index built)`);
  if (where.commit === where.head && files.paths.length >= COMMIT_GRAPH_MIN_MODELS) maintainCommitGraph({ root: git.root, dir: cacheDir, head: where.commit });
  return { commit: where.commit, models, problems };
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

/**
 * The commit `rev` names and the id of its models tree, when answers may be kept for it (the cache
 * is allowed and git reads objects as stored); undefined otherwise. From the memo of commit trees,
 * so for HEAD or a commit id already seen no git process starts.
 */
export async function cachedModelsTree(ctx: StoreContext, rev: string): Promise<{ commit: string; tree: string; head?: string } | undefined> {
  if (cacheDisabled() || !cacheableModelsDir(ctx.config.models_dir) || !ctx.git.objectsAsStored()) return undefined;
  const where = await resolveModelsTree(ctx.git, rev, ctx.config.models_dir, modelgitDir(ctx.gitDir));
  return where.uncached || !where.commit || !where.tree ? undefined : { commit: where.commit, tree: where.tree, head: where.head };
}

/**
 * The snapshot cache's index of the models tree at `rev` — each metadata file's path, blob id and
 * text as the snapshot parses it, in file order — when the cache holds it or reaches it from HEAD's
 * last read by a small diff (as every read does); undefined when it would have to be built from
 * every blob, or caches are off (then the caller asks git). What the report's build from its
 * state reads instead of listing the tree and reading the largest algorithm's blobs again.
 */
export async function cachedModelIndex(ctx: StoreContext, rev: string): Promise<IndexEntry[] | undefined> {
  const at = await cachedModelsTree(ctx, rev);
  if (!at) return undefined;
  const cacheDir = modelgitDir(ctx.gitDir);
  const cache = new SnapshotCache(`${cacheDir}/snapshots`, ctx.config.models_dir);
  return (await loadEntries(ctx.git, ctx.config, at, cacheDir, cache, { rebuild: false }))?.entries;
}

/**
 * The snapshot's problems at `rev` (every unreadable model file), from the tree's summary manifest
 * when the cache already holds it; undefined when it doesn't (then read the snapshot). Builds nothing.
 */
export async function cachedProblems(ctx: StoreContext, rev: string): Promise<{ commit: string; problems: ErrorLocation[] } | undefined> {
  const at = await cachedModelsTree(ctx, rev);
  if (!at) return undefined;
  const manifest = new SnapshotCache(`${modelgitDir(ctx.gitDir)}/snapshots`, ctx.config.models_dir).loadManifest(at.tree);
  return manifest ? { commit: at.commit, problems: manifest.problems } : undefined;
}

/**
 * The models `snapshot(rev).byId` has for these ids, with the snapshot's problems, from the cache
 * alone: the tree's manifest for the problems and its id table for the files named after each id,
 * whose blobs git reads by id (each the first file, in the tree's order, that parses into that
 * model, as lookup.ts and the snapshot choose). Undefined when the cache can't say (then read the
 * snapshot, or look up by path). A manifest without an id table (an older cache) gets one from the
 * tree's cached index.
 */
export async function cachedModelsByIds(ctx: StoreContext, ids: string[], rev: string): Promise<{ commit: string; problems: ErrorLocation[]; found: Map<string, Model> } | undefined> {
  const at = await cachedModelsTree(ctx, rev);
  if (!at) return undefined;
  const cache = new SnapshotCache(`${modelgitDir(ctx.gitDir)}/snapshots`, ctx.config.models_dir);
  const manifest = cache.loadManifest(at.tree);
  if (!manifest) return undefined;
  let files = cache.loadIds(at.tree, ids);
  if (!files) {
    const index = cache.load(at.tree);
    if (!index) return undefined;
    cache.saveIds(at.tree, index.entries);
    files = cache.loadIds(at.tree, ids);
    if (!files) return undefined;
  }
  const oids = [...files.values()].flatMap((list) => list.map(([, oid]) => oid));
  const blobs = oids.length ? await ctx.git.readBlobs(oids) : new Map<string, Buffer>();
  const found = new Map<string, Model>();
  for (const [id, list] of files) {
    for (const [algorithm, oid] of list) {
      const text = blobs.get(oid);
      if (text === undefined) return undefined; // not in this clone (partial): let git say
      const { model } = parseModelBlob(`${ctx.config.models_dir}/${algorithm}/${id}.json`, text.toString('utf8'), ctx.config);
      if (model) {
        found.set(id, model);
        break;
      }
    }
  }
  trace(`ids-hit ${at.tree}`);
  return { commit: at.commit, problems: manifest.problems, found };
}

// The same three for an open registry (StoreContext), through its cache directory: what the
// Registry's snapshot, models and cachedModel answer with.

export function registrySnapshot(ctx: StoreContext, rev: string): Promise<Snapshot> {
  return readSnapshot(ctx.git, ctx.config, rev, { cacheDir: modelgitDir(ctx.gitDir) });
}

export function registryModels(ctx: StoreContext, algorithm: string | undefined, rev: string): Promise<ModelsView> {
  return readModels(ctx.git, ctx.config, rev, algorithm, { cacheDir: modelgitDir(ctx.gitDir) });
}

/** One algorithm's models for a first answer without building the index (readAlgorithmFirst), else from readModels. */
export async function registryAlgorithmModels(ctx: StoreContext, algorithm: string, rev: string): Promise<AlgorithmView> {
  const first = await readAlgorithmFirst(ctx.git, ctx.config, rev, algorithm, modelgitDir(ctx.gitDir));
  if (first) return first;
  const view = await readModels(ctx.git, ctx.config, rev, algorithm, { cacheDir: modelgitDir(ctx.gitDir) });
  return { commit: view.commit, models: view.models, problems: problemsInScope(view.problems, ctx.config.models_dir, { kind: 'algorithm', algorithm }) };
}

export function registryModelById(ctx: StoreContext, id: string, commit: string): Model | undefined {
  return cachedModelById(ctx.git, ctx.config, modelgitDir(ctx.gitDir), commit, id);
}
