// stages: who holds which stage now, and who put them there when — read from the history of
// stages.yaml, so a promotion that arrived by a merged pull request (or a hand edit) counts too.
import { parseYamlText } from '../schema/yaml-input.js';
import { STAGES_FILE } from '../domain/config.js';
import { assertSafeName } from '../domain/names.js';
import { parseStageTag, STAGE_TAG_NAMESPACE } from '../domain/stage-tags.js';
import type { StageAssignments } from '../domain/types.js';
import { parseTrailers, type LogEntry } from '../git/git.js';
import { resolveAt } from './query-options.js';
import type { Registry } from './registry.js';

export interface StageRow {
  algorithm: string;
  stage: string;
  model_id: string;
  /** the commit that made this assignment, its author and date */
  commit: string | null;
  promoted_by: string | null;
  promoted_at: string | null;
  forced: boolean;
  /** the newest stage tag naming this holder, when there is one */
  tag: string | null;
}

function parseStages(text: string | undefined): StageAssignments {
  if (text === undefined) return {};
  // Aliases capped and depth bounded (yaml-input.ts); an unreadable file holds no assignments here.
  const v = parseYamlText('stages.yaml', text).value as StageAssignments | null | undefined;
  return v && typeof v === 'object' ? v : {};
}

/** `at`: the stages as of this revision or date (who held what then, and who had put them there). */
export async function listStages(reg: Registry, opts: { algorithm?: string; at?: string } = {}): Promise<StageRow[]> {
  if (opts.algorithm !== undefined) assertSafeName('algorithm', opts.algorithm, '--algo');
  const rev = opts.at === undefined ? 'HEAD' : await resolveAt(reg, opts.at);
  const current = await reg.stages(rev);
  const order = (s: string) => {
    const i = reg.config.stages.indexOf(s);
    return i < 0 ? reg.config.stages.length : i;
  };
  const rows: { algorithm: string; stage: string; model_id: string }[] = [];
  for (const algorithm of Object.keys(current).sort()) {
    if (opts.algorithm && algorithm !== opts.algorithm) continue;
    const stages = Object.keys(current[algorithm] ?? {}).sort((a, b) => order(b) - order(a) || a.localeCompare(b));
    for (const stage of stages) rows.push({ algorithm, stage, model_id: current[algorithm]![stage]! });
  }
  if (rows.length === 0) return [];

  // Newest first, one version of stages.yaml per commit, read in one batch.
  const history = await reg.git.log([rev, '--', STAGES_FILE]);
  const blobs = await reg.git.readBlobs(history.map((h) => `${h.commit}:${STAGES_FILE}`));
  const versions = history.map((h) => ({ entry: h, stages: parseStages(blobs.get(`${h.commit}:${STAGES_FILE}`)?.toString('utf8')) }));
  const tags = await reg.git.refs(STAGE_TAG_NAMESPACE);

  return rows.map((row) => {
    // The assignment was made by the oldest commit of the newest unbroken run that has it.
    let setBy: LogEntry | undefined;
    for (const v of versions) {
      if (v.stages?.[row.algorithm]?.[row.stage] !== row.model_id) break;
      setBy = v.entry;
    }
    let best: { n: bigint; ref: string } | undefined;
    for (const t of tags) {
      const p = parseStageTag(t.ref);
      if (!p || p.algorithm !== row.algorithm || p.stage !== row.stage) continue;
      const trailers = parseTrailers(t.contents);
      if (trailers['Model-Action']?.[0] !== 'promote' || trailers['Model-Id']?.[0] !== row.model_id) continue;
      if (!best || p.n > best.n) best = { n: p.n, ref: t.ref.replace(/^refs\/tags\//, '') };
    }
    return {
      ...row,
      commit: setBy?.commit ?? null,
      promoted_by: setBy?.author ?? null,
      promoted_at: setBy?.date ?? null,
      forced: setBy?.trailers['Forced']?.[0] === 'true',
      tag: best?.ref ?? null,
    };
  });
}
