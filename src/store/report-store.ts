// What the report's build from a state (registry/report-update.ts) asks of the store: the state
// file, the history a later HEAD adds (without decoding the cached history), and single commits of
// the cached history by where they are in it, and the model files at HEAD (from the snapshot
// cache's index when it has one). Loaded on use: only `report` needs it.
import type { HistoryTail } from './cache/report-history.js';
import type { StoreContext } from './context.js';
import type { HistoryCommit } from '../report/history.js';
import type { Model } from '../domain/types.js';
import { parseModelBlob } from './model-file.js';
import { metadataEntries } from './snapshot.js';
import { cachedModelIndex } from './models.js';
import { comparePaths, oidOf, textIntact, textOf, type IndexEntry, type TextSource } from './cache/snapshot-file.js';

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
  /** each file's path and blob id, in file order (once: nothing of the listing is kept for a second pass) */
  forEach(each: (path: string, oid: string) => void): void;
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
export async function modelFilesAt(ctx: StoreContext, commit: string): Promise<ModelFiles> {
  const index = await cachedModelIndex(ctx, commit);
  const fromGit = (paths: string[], oids: string[]) => parseModelFiles(ctx, paths, oids);
  if (!index) {
    let listing: { path: string; oid: string }[] | undefined = metadataEntries(await ctx.git.lsTree(commit, [ctx.config.models_dir]), ctx.config);
    return {
      forEach: (each) => {
        for (const e of listing ?? []) each(e.path, e.oid);
        listing = undefined;
      },
      parse: fromGit,
    };
  }
  let next = 0; // where the last text asked for was: an algorithm's files are asked for in file order
  const find = (path: string): IndexEntry | undefined => {
    if (index[next]?.path === path) return index[next++];
    let lo = 0;
    let hi = index.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (comparePaths(index[mid]!.path, path) < 0) lo = mid + 1;
      else hi = mid;
    }
    if (index[lo]?.path !== path) return undefined;
    next = lo + 1;
    return index[lo];
  };
  return {
    forEach: (each) => {
      for (const e of index) each(e.path, oidOf(e));
    },
    parse: async (paths, oids) => {
      const found = new Map<string, Model>();
      const rest: number[] = [];
      const sources = new Set<TextSource>();
      let unreadable: string | undefined;
      paths.forEach((path, i) => {
        const e = find(path);
        if (!e || oidOf(e) !== oids[i] || !textIntact(e)) return void rest.push(i);
        sources.add(e.texts);
        const { model } = parseModelBlob(path, textOf(e), ctx.config);
        if (model) found.set(path, model);
        else unreadable ??= path;
      });
      // (the texts read ahead, an algorithm's 30 MB at 100,000 models, are not kept for the rest of the build)
      for (const s of sources) s.forget?.();
      const read = rest.length ? await fromGit(rest.map((i) => paths[i]!), rest.map((i) => oids[i]!)) : undefined;
      // in the order asked, whichever way each was read
      const models = new Map<string, Model>();
      for (const path of paths) {
        const model = found.get(path) ?? read?.models.get(path);
        if (model) models.set(path, model);
      }
      return { models, unreadable: unreadable ?? read?.unreadable, fromGit: rest.length };
    },
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
