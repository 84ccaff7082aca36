// What the report's build from a state (registry/report-update.ts) asks of the store: the state
// file, the history a later HEAD adds (without decoding the cached history), and single commits of
// the cached history by where they are in it, and the model files at HEAD (from the snapshot
// cache's index when it has one). Loaded on use: only `report` needs it.
import { crc32 } from 'node:zlib';
import type { HistoryTail } from './cache/report-history.js';
import type { StoreContext } from './context.js';
import type { HistoryCommit } from '../report/history.js';
import type { Model } from '../domain/types.js';
import { parseModelBlob } from './model-file.js';
import { metadataEntries } from './snapshot.js';
import { cachedModelIndex } from './models.js';
import { comparePaths, oidOf, type TextSource } from './cache/snapshot-file.js';

export type { HistoryTail };

export async function reportHistorySince(ctx: StoreContext, from: string, head: string): Promise<HistoryTail | undefined> {
  return (await import('./cache/report-history.js')).reportHistorySince(ctx, from, head);
}

/** Throws when the cache file is gone or damaged (the caller then builds the whole report). */
export async function historyLines(ctx: StoreContext, head: string, offsets: number[]): Promise<HistoryCommit[]> {
  return (await import('./cache/report-history.js')).historyLines(ctx, head, offsets);
}

export async function readReportState(ctx: StoreContext, commit: string): Promise<string | undefined> {
  return (await import('./cache/report-state.js')).readReportState(ctx, commit);
}

export async function saveReportState(ctx: StoreContext, commit: string, text: string): Promise<void> {
  (await import('./cache/report-state.js')).saveReportState(ctx, commit, text);
}

export async function dropReportState(ctx: StoreContext, commit: string): Promise<void> {
  (await import('./cache/report-state.js')).dropReportState(ctx, commit);
}

/**
 * The model files at a commit: each file's path and blob id (file order, as the snapshot reads
 * them), and a reader of models by blob id.
 */
export interface ModelFiles {
  /** how many files; each is asked for by where it is (0 … count-1), in path order */
  readonly count: number;
  path(i: number): string;
  /** its blob id */
  oid(i: number): string;
  /** where the file `path` is, or -1 (a binary search: quickest when asked in path order) */
  indexOf(path: string): number;
  /**
   * The models in the blobs `oids[i]` as the files `paths[i]` (the snapshot's parse), in that
   * order, and the first of them that does not read as a model, or that git does not have.
   */
  parse(paths: string[], oids: string[]): Promise<ParsedFiles>;
}

export interface ParsedFiles {
  models: Map<string, Model>;
  unreadable?: string;
  /** how many of them git read (the others were in the snapshot cache's index) */
  fromGit: number;
}

/**
 * The model files at `commit`, from the snapshot cache's index of its tree when there is one (then
 * a blob the index holds is read from its text there, checked against its checksum, and git reads
 * only the others), else from `git ls-tree` and `git cat-file`. Either way the same models: the
 * index holds each text as the snapshot parses it (model-file.ts, roundTrips).
 */
/** Bytes of the index's texts read ahead that parsing keeps at most (see below). */
const TEXTS_HELD = 4 << 20;

export async function modelFilesAt(ctx: StoreContext, commit: string): Promise<ModelFiles> {
  const index = await cachedModelIndex(ctx, commit);
  const fromGit = (paths: string[], oids: string[]) => parseModelFiles(ctx, paths, oids);
  if (!index) {
    const listing = metadataEntries(await ctx.git.lsTree(commit, [ctx.config.models_dir]), ctx.config);
    // (git lists a tree in this order; made sure of, as the search depends on it)
    if (listing.some((e, i) => i > 0 && comparePaths(listing[i - 1]!.path, e.path) >= 0)) listing.sort((x, y) => comparePaths(x.path, y.path));
    const paths = listing.map((e) => e.path);
    const oids = listing.map((e) => e.oid);
    return { count: paths.length, path: (i) => paths[i]!, oid: (i) => oids[i]!, indexOf: searchIn(paths), parse: fromGit };
  }
  // The index's entries are copied into flat arrays and let go: 100,000 entry objects, and the 7 MB
  // of paths and blob ids they point into, held through the build were ~20 MB more at its peak.
  const n = index.length;
  const paths: string[] = new Array<string>(n);
  const blobIds: string[] = new Array<string>(n);
  const offsets = new Float64Array(n);
  const lengths = new Uint32Array(n);
  const checksums = new Uint32Array(n);
  const sourceOf = new Uint16Array(n);
  const sources: TextSource[] = [];
  index.forEach((e, i) => {
    paths[i] = e.path;
    blobIds[i] = oidOf(e);
    offsets[i] = e.off;
    lengths[i] = e.len;
    checksums[i] = e.crc;
    let s = sources.indexOf(e.texts);
    if (s < 0) s = sources.push(e.texts) - 1;
    sourceOf[i] = s;
  });
  const find = searchIn(paths);
  return {
    count: n,
    path: (i) => paths[i]!,
    oid: (i) => blobIds[i]!,
    indexOf: find,
    parse: async (asked, oids) => {
      const found = new Map<string, Model>();
      const rest: number[] = [];
      const used = new Set<TextSource>();
      let unreadable: string | undefined;
      let readAhead = 0;
      asked.forEach((path, i) => {
        const at = find(path);
        if (at < 0 || blobIds[at] !== oids[i]) return void rest.push(i);
        const source = sources[sourceOf[at]!]!;
        const bytes = source.bytes(offsets[at]!, lengths[at]!);
        if (crc32(bytes) >>> 0 !== checksums[at]) return void rest.push(i); // damaged: git has it
        used.add(source);
        // The texts are read a megabyte at a time; the ones passed are let go every few megabytes
        // (an algorithm's 30 MB at 100,000 models held at once made V8 collect its old space early,
        // while most of the build was live, and the report's peak rose by as much)
        if ((readAhead += bytes.length) > TEXTS_HELD) {
          for (const s of used) s.forget?.();
          readAhead = 0;
        }
        const { model } = parseModelBlob(path, bytes.toString('utf8'), ctx.config);
        if (model) found.set(path, model);
        else unreadable ??= path;
      });
      for (const s of used) s.forget?.();
      const read = rest.length ? await fromGit(rest.map((i) => asked[i]!), rest.map((i) => oids[i]!)) : undefined;
      // in the order asked, whichever way each was read
      const models = new Map<string, Model>();
      for (const path of asked) {
        const model = found.get(path) ?? read?.models.get(path);
        if (model) models.set(path, model);
      }
      return { models, unreadable: unreadable ?? read?.unreadable, fromGit: rest.length };
    },
  };
}

/** Where a path is in sorted `paths`, or -1; asked in path order, each is found where the last one was. */
function searchIn(paths: readonly string[]): (path: string) => number {
  let next = 0;
  return (path) => {
    if (paths[next] === path) return next++;
    let lo = 0;
    let hi = paths.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (comparePaths(paths[mid]!, path) < 0) lo = mid + 1;
      else hi = mid;
    }
    if (paths[lo] !== path) return -1;
    next = lo + 1;
    return lo;
  };
}

/**
 * The models in the blobs `oids[i]` as the files `paths[i]` (the snapshot's parse), and the first
 * of them that does not read as a model, or that git does not have.
 */
async function parseModelFiles(ctx: StoreContext, paths: string[], oids: string[]): Promise<ParsedFiles> {
  const models = new Map<string, Model>();
  let unreadable: string | undefined;
  await ctx.git.forEachObject(oids, (_oid, content, i) => {
    const { model } = parseModelBlob(paths[i]!, content.toString('utf8'), ctx.config);
    if (model) models.set(paths[i]!, model);
    else unreadable ??= paths[i];
  });
  if (!unreadable && models.size !== paths.length) unreadable = paths.find((p) => !models.has(p));
  return { models, unreadable, fromGit: paths.length };
}
