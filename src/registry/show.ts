// show: one model — its metadata at HEAD, the stages it holds and its history.
import { NotFoundError } from '../errors.js';
import { absoluteArtifactPath } from '../domain/artifacts.js';
import { assertSafeName } from '../domain/names.js';
import type { ModelMetadata } from '../domain/types.js';
import { modelHistory, type HistoryEntry } from './history.js';
import type { Registry } from './registry.js';
import { resolveAt } from './query-options.js';
import { findRemoval } from './restore.js';

export interface ShowAnswer {
  metadata: ModelMetadata;
  /** the stages this model holds for its algorithm, e.g. ["production"] */
  stages: string[];
  history: HistoryEntry[];
  path: string;
  /** model_path as an absolute local path (null when remote or none recorded) */
  artifact_path: string | null;
}

/** `at`: the model as it was at this revision or date (its metadata, stages and history up to then). */
export async function show(reg: Registry, id: string, opts: { at?: string } = {}): Promise<ShowAnswer> {
  assertSafeName('model id', id, 'ID');
  const head = opts.at === undefined ? await reg.git.headNow() : await resolveAt(reg, opts.at);
  // Stage assignments are read beside the lookup (their own git process); only awaited once found.
  const assignments = reg.stages(head ?? 'HEAD');
  assignments.catch(() => {});
  // The model from the tree's cached id table (its blob read by id), else from its algorithm's cached
  // summaries, else by its path (lookup.ts): one model needn't load the index of all, nor (at
  // 100,000 models) the 22,000 summaries of its algorithm.
  const byIds = head ? await reg.cachedModelsByIds([id], head) : undefined;
  const cached = byIds?.found.get(id) ?? (head && !byIds ? reg.cachedModel(id, head) : undefined);
  const lookup = head && !cached ? await reg.lookup([id], head) : undefined;
  const model = cached ?? lookup?.found.get(id);
  if (!model) {
    // A file that is there but can't be read is not a missing model.
    const invalid = reg.invalidModel(id, lookup?.invalid.get(id));
    if (invalid) throw invalid;
    if (opts.at !== undefined) throw new NotFoundError(`no model ${JSON.stringify(id)} in the registry at ${opts.at} (${head!.slice(0, 10)})`, { hint: 'it may have been registered later: modelgit show ID without --at' });
    const removal = await findRemoval(reg, id);
    if (removal) {
      throw new NotFoundError(
        `model ${id} is not in the registry: it was removed in ${removal.commit.slice(0, 7)} on ${removal.date.slice(0, 10)} (${removal.subject})`,
        { hint: `modelgit restore ${id} brings it back`, data: { removed_in: removal.commit, path: removal.path } },
      );
    }
    throw new NotFoundError(`no model ${JSON.stringify(id)} in the registry, and none was ever removed`, { hint: 'modelgit list shows the ids' });
  }
  const meta = model.metadata;
  // The model count decides on a background history-index build; needed only when there is no index
  // (a fresh clone), when the snapshot of every model is not built yet either: count the tree's files.
  const count = () => reg.modelFileCount(head!);
  const [byAlgorithm, entries] = await Promise.all([assignments, modelHistory(reg, id, model.path, { head: head!, models: count })]);
  const byStage = byAlgorithm[meta.algorithm] ?? Object.create(null);
  const stages = Object.keys(byStage).filter((s) => byStage[s] === id);
  return { metadata: meta, stages, history: entries, path: model.path, artifact_path: absoluteArtifactPath(meta.model_path, reg.root) };
}
