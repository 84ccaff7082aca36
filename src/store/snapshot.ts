// The reference reader: all model metadata at a revision, read from git in bulk through
// `git ls-tree` + one `git cat-file --batch`, nothing remembered. Every cached answer (models.ts)
// must equal this one (tests compare them; MODELGIT_NO_CACHE=1 uses it alone). Files that don't
// parse are reported as problems (located at their line and column) rather than thrown, so one bad
// file bypassing the hook can't take every read down; each query then decides whether its answer
// could depend on them, and refuses unless --skip-invalid (domain/invalid-files.ts,
// checkInvalidFiles in query-options.ts).
import type { ErrorLocation } from '../errors.js';
import { parseModelPath } from '../domain/config.js';
import type { Model, RegistryConfig } from '../domain/types.js';
import type { Git, TreeEntry } from '../git/git.js';
import { isFileMode, parseModelBlob } from './model-file.js';

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
