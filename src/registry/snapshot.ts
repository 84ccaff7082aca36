// The one read path every query uses: all model metadata at a revision (or in the index), read in
// bulk through `git ls-tree` + one `git cat-file --batch`. Files that don't parse are reported as
// problems rather than thrown, so one bad file bypassing the hook can't take every read down.
import type { ErrorLocation } from '../errors.js';
import { parseModelPath } from '../domain/config.js';
import type { Model, ModelMetadata, RegistryConfig } from '../domain/types.js';
import type { Git, TreeEntry } from '../git/git.js';

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

export async function readSnapshot(git: Git, config: Pick<RegistryConfig, 'models_dir'>, rev: string): Promise<Snapshot> {
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
