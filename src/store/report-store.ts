// What the report's build from a state (registry/report-update.ts) asks of the store: the state
// file, the history a later HEAD adds (without decoding the cached history), and single commits of
// the cached history by where they are in it. Loaded on use: only `report` needs it.
import type { HistoryTail } from './cache/report-history.js';
import type { StoreContext } from './context.js';
import type { HistoryCommit } from '../report/history.js';
import type { Model } from '../domain/types.js';
import type { TreeEntry } from '../git/git.js';
import { parseModelBlob } from './model-file.js';
import { metadataEntries } from './snapshot.js';

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

/** The model files at `commit` (blob id and path, file order), as the snapshot reads them. */
export async function modelFilesAt(ctx: StoreContext, commit: string): Promise<TreeEntry[]> {
  return metadataEntries(await ctx.git.lsTree(commit, [ctx.config.models_dir]), ctx.config);
}

/**
 * The models in the blobs `oids[i]` as the files `paths[i]` (the snapshot's parse), and the first
 * of them that does not read as a model, or that git does not have.
 */
export async function parseModelFiles(ctx: StoreContext, paths: string[], oids: string[]): Promise<{ models: Map<string, Model>; unreadable?: string }> {
  const models = new Map<string, Model>();
  let unreadable: string | undefined;
  await ctx.git.forEachObject(oids, (_oid, content, i) => {
    const { model } = parseModelBlob(paths[i]!, content.toString('utf8'), ctx.config);
    if (model) models.set(paths[i]!, model);
    else unreadable ??= paths[i];
  });
  if (!unreadable && models.size !== paths.length) unreadable = paths.find((p) => !models.has(p));
  return { models, unreadable };
}
