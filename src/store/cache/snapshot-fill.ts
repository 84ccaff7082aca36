// Building and extending the snapshot cache from git: the index of a models tree read whole
// (streamed into its .full file as the blobs are read) or reached from HEAD's cached tree through
// `git diff-tree` (saved as a .delta), and the summary manifest and sections made from an index.
// What is written here is what the reference reader would parse (model-file.ts's rules); a reader
// only ever finds it through snapshot-cache.ts.
import { crc32 } from 'node:zlib';
import { parseModelPath } from '../../domain/config.js';
import { summarize, type ModelSummary } from '../../domain/summary.js';
import type { RegistryConfig } from '../../domain/types.js';
import { Git } from '../../git/git.js';
import { COMMIT_GRAPH_MIN_MODELS, maintainCommitGraph } from '../../git/commit-graph.js';
import { idOfPath, isFileMode, parseModelBlob, roundTrips, sortOut } from '../model-file.js';
import type { LazyContext } from '../lazy-model.js';
import { tracer } from './policy.js';
import { applyChanges, MemoryTexts, oidOf, textIntact, type CachedIndex, type IndexEntry } from './snapshot-file.js';
import { CacheWriteError, EntryWriter, type EntrySink } from './index-writer.js';
import { hasResults, ITEM_ID, ITEM_OID, ITEM_SUMMARY, resultsInMemory, sectionKey, sectionText, SUMMARY_FORMAT, type Manifest, type Section, type SectionItem } from './sections.js';
import type { SnapshotCache } from './snapshot-cache.js';

/** A diff above this share of the models is read in full instead (the blobs are most of the cost). */
const INCREMENTAL_SHARE = 0.5;

const trace = tracer('modelgit-cache');

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
 * Every metadata file of a models tree, read from git and written to the cache's .full file as it
 * is read (the entries read their texts back from there); in memory when the cache can't be written.
 */
async function fullIndex(git: Git, config: Pick<RegistryConfig, 'models_dir'>, tree: string, cache: SnapshotCache): Promise<IndexEntry[]> {
  // `tree` is a hex id from git itself, so it needs no option guard; --full-tree keeps the
  // listing independent of the directory the command runs in.
  const files = metadataFilesOfListing(await git.treeListing(tree), config);
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
  const out = await git.treeDiff(from, to);
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

export interface LoadedEntries {
  commit: string;
  tree: string;
  entries: IndexEntry[];
  cache: SnapshotCache;
  /** the cache files the entries came from (undefined when just built from git) */
  files?: string[];
}

/** The index of `where.tree`: from the cache, a diff on HEAD's cached tree, or git (then cached). */
export async function loadEntries(git: Git, config: Pick<RegistryConfig, 'models_dir'>, where: { commit: string; tree: string; head?: string }, cacheDir: string, cache: SnapshotCache): Promise<LoadedEntries>;
/** With `rebuild: false`: undefined where the index would be built from every blob (a hit or a small diff only). */
export async function loadEntries(git: Git, config: Pick<RegistryConfig, 'models_dir'>, where: { commit: string; tree: string; head?: string }, cacheDir: string, cache: SnapshotCache, opts: { rebuild: false }): Promise<LoadedEntries | undefined>;
export async function loadEntries(git: Git, config: Pick<RegistryConfig, 'models_dir'>, where: { commit: string; tree: string; head?: string }, cacheDir: string, cache: SnapshotCache, opts: { rebuild?: boolean } = {}): Promise<LoadedEntries | undefined> {
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
      if (opts.rebuild === false) return undefined;
      trace(`rebuild ${tree}`);
      entries = await fullIndex(git, config, tree, cache);
    }
  }
  headUpkeep(git, cache, cacheDir, where, entries.length);
  return { commit: where.commit, tree, entries, cache, files: hitFiles };
}

/** The next diff starts from what HEAD was: reads of other revisions don't move it. */
export function headUpkeep(git: Git, cache: SnapshotCache, cacheDir: string, where: { commit: string; tree: string; head?: string }, count: number): void {
  if (where.commit !== where.head) return;
  cache.setHeadTree(where.tree);
  if (count >= COMMIT_GRAPH_MIN_MODELS) maintainCommitGraph({ root: git.root, dir: cacheDir, head: where.commit });
}

/** The manifest of a tree's index: buildSnapshot's problems and exclusions, and each algorithm's section key. */
export function makeManifest(loaded: LoadedEntries, byAlgorithm: Map<string, number[]>, config: Pick<RegistryConfig, 'models_dir'>): Manifest {
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
export function entriesByAlgorithm(entries: IndexEntry[], modelsDir: string): Map<string, number[]> {
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
export function buildSection(algorithm: string, key: string, list: IndexEntry[], before: Section | undefined, ctx: LazyContext): Section {
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
  return Git.blobTextSync(ctx.root, oid);
}
