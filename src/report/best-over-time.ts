// The best model over time: what `best --at C` answers at each commit C, for every algorithm,
// dataset and metric at once, from one walk over the history oldest → newest. Each commit only
// updates the scores of the models it changed; the full candidate list is re-scanned only when the
// reigning best got worse or went away, so the walk stays linear in the number of changes.
import { outranks, type RankedScore } from '../domain/selection.js';
import { trainedAt } from '../domain/metadata.js';
import { parseModelPath } from '../domain/config.js';
import type { Direction, ModelMetadata, RegistryConfig } from '../domain/types.js';
import type { HistoryCommit } from './history.js';
import { onlyResults } from '../domain/types.js';

/** What best over time needs of one version of a model file: its id, age and scores. */
export interface ScoreSummary {
  id: string;
  algorithm: string;
  trainedAt: string;
  /** its score (latest result) on every (dataset, metric) it has a result for */
  scores: [dataset: string, metric: string, value: number][];
}

/**
 * One model file changed by a commit: its new metadata (or just its summary), or null when
 * removed (or unreadable).
 */
export type ModelChange = { path: string; meta: ModelMetadata | null } | { path: string; summary: ScoreSummary | null };

export interface StateCommit {
  commit: string;
  date: string;
  /** unix seconds */
  time: number;
  changes: ModelChange[];
}

export interface BestStep {
  commit: string;
  date: string;
  time: number;
  /** null when no model has a result any more */
  model_id: string | null;
  value: number | null;
}

export interface BestSeries {
  algorithm: string;
  dataset: string;
  metric: string;
  direction: Direction;
  steps: BestStep[];
}

export interface SeriesKey {
  algorithm: string;
  dataset: string;
  metric: string;
}

export interface BestOverTime {
  series: BestSeries[];
  /** results on metrics whose direction nobody told us: no best can be named */
  unknownDirection: SeriesKey[];
}

type Entry = RankedScore;

interface SeriesState {
  key: SeriesKey;
  direction: Direction;
  scores: Map<string, Entry>;
  best?: Entry;
  stale: boolean;
  steps: BestStep[];
  /** the number of the last commit that touched it (see the walk) */
  touchedBy: number;
}

/**
 * The (dataset, metric) pairs a model has results for, with its score on each: what scoreOf gives
 * with the latest aggregate (the last finite value in the list's order), in one pass over the
 * results instead of one per pair (0.3 s over a 21,884-model algorithm). Pairs come in the order
 * they first appear.
 */
function scoresOf(meta: ModelMetadata): ScoreSummary['scores'] {
  const latest = new Map<string, [string, string, number] | null>();
  for (const r of onlyResults(meta.testing)) {
    const perf = r.performance;
    if (!perf || typeof perf !== 'object') continue;
    for (const metric of Object.keys(perf)) {
      const v = perf[metric];
      const key = `${r.dataset}\0${metric}`;
      const seen = latest.get(key);
      if (typeof v === 'number' && Number.isFinite(v)) {
        if (seen) seen[2] = v;
        else latest.set(key, [r.dataset, metric, v]);
      } else if (seen === undefined) latest.set(key, null);
    }
  }
  const out: ScoreSummary['scores'] = [];
  for (const s of latest.values()) if (s) out.push(s);
  return out;
}

/** The part of a model's metadata best over time looks at (small enough to cache per version). */
export function summarize(meta: ModelMetadata): ScoreSummary {
  return { id: meta.model_id, algorithm: meta.algorithm, trainedAt: trainedAt(meta), scores: scoresOf(meta) };
}

const summaryOf = (c: ModelChange): ScoreSummary | null => ('summary' in c ? c.summary : c.meta ? summarize(c.meta) : null);

/**
 * Where an earlier walk stopped (the report state, for one algorithm): its series with their steps
 * so far, the keys without a direction it met, and what each model file held then. A walk from
 * there over the commits after it gives what one walk over the whole history gives: the running
 * best of a series is always the best of its current scores (outranks is a total order), so the
 * scores alone say where the walk was.
 */
export interface BestStart {
  series: BestSeries[];
  unknownDirection: SeriesKey[];
  files: Iterable<[path: string, summary: ScoreSummary]>;
}

/** The order of series (and of keys without a direction) in a BestOverTime. */
export const seriesOrder = (a: SeriesKey, b: SeriesKey) => a.algorithm.localeCompare(b.algorithm) || a.dataset.localeCompare(b.dataset) || a.metric.localeCompare(b.metric);

export function bestOverTime(
  commits: StateCommit[],
  directionOf: (metric: string) => Direction | undefined,
  opts: {
    algorithm?: string;
    start?: BestStart;
    /** told when a series' best got worse or went, so that every score of it was looked at again */
    rescanned?: () => void;
  } = {},
): BestOverTime {
  const series: SeriesState[] = [];
  const unknown: SeriesKey[] = [];
  // algorithm → dataset → metric → its series (null: a metric without a direction); nested maps
  // look up the strings as they are, instead of building a key per score
  const index = new Map<string, Map<string, Map<string, SeriesState | null>>>();
  // path → the model id the file holds and the series it has a score in
  const contributions = new Map<string, { id: string; series: SeriesState[] }>();

  const seriesFor = (algorithm: string, dataset: string, metric: string): SeriesState | null => {
    let byDataset = index.get(algorithm);
    if (!byDataset) index.set(algorithm, (byDataset = new Map()));
    let byMetric = byDataset.get(dataset);
    if (!byMetric) byDataset.set(dataset, (byMetric = new Map()));
    let s = byMetric.get(metric);
    if (s !== undefined) return s;
    const key = { algorithm, dataset, metric };
    const direction = directionOf(metric);
    if (!direction) {
      unknown.push(key);
      s = null;
    } else {
      s = { key, direction, scores: new Map(), stale: false, steps: [], touchedBy: 0 };
      series.push(s);
    }
    byMetric.set(metric, s);
    return s;
  };

  // (the walk visits every first-parent change of the history — 315,000 at 100,000 models — so it
  // allocates as little as it can per change: a model's series are a short array, the series a
  // commit touched are marked with the commit's number instead of gathered in a new Set)
  const touched: SeriesState[] = [];
  let commitNo = 0;
  const apply = (path: string, meta: ScoreSummary | null) => {
    if (meta && opts.algorithm && meta.algorithm !== opts.algorithm) return;
    const before = contributions.get(path);
    const mine: SeriesState[] = [];
    if (meta) {
      const at = meta.trainedAt;
      for (const [dataset, metric, value] of meta.scores) {
        const s = seriesFor(meta.algorithm, dataset, metric);
        if (!s) continue;
        mine.push(s);
        const entry: Entry = { id: meta.id, value, trainedAt: at };
        s.scores.set(meta.id, entry);
        if (s.best?.id === entry.id) {
          // the reigning best changed its own score: worse means someone else may lead now
          if (outranks(s.best, entry, s.direction)) s.stale = true;
          s.best = entry;
        } else if (!s.best || outranks(entry, s.best, s.direction)) {
          s.best = entry;
        }
        touch(s);
      }
    }
    if (before) {
      const sameId = meta !== null && before.id === meta.id;
      for (const s of before.series) {
        if (sameId && mine.includes(s)) continue;
        s.scores.delete(before.id);
        if (s.best?.id === before.id) s.stale = true;
        touch(s);
      }
    }
    if (mine.length) contributions.set(path, { id: meta!.id, series: mine });
    else contributions.delete(path);
  };
  const touch = (s: SeriesState) => {
    if (s.touchedBy === commitNo) return;
    s.touchedBy = commitNo;
    touched.push(s);
  };

  if (opts.start) {
    const place = (k: SeriesKey, s: SeriesState | null) => {
      let byDataset = index.get(k.algorithm);
      if (!byDataset) index.set(k.algorithm, (byDataset = new Map()));
      let byMetric = byDataset.get(k.dataset);
      if (!byMetric) byDataset.set(k.dataset, (byMetric = new Map()));
      byMetric.set(k.metric, s);
    };
    for (const b of opts.start.series) {
      const s: SeriesState = { key: { algorithm: b.algorithm, dataset: b.dataset, metric: b.metric }, direction: b.direction, scores: new Map(), stale: false, steps: [...b.steps], touchedBy: 0 };
      series.push(s);
      place(s.key, s);
    }
    for (const k of opts.start.unknownDirection) {
      unknown.push({ algorithm: k.algorithm, dataset: k.dataset, metric: k.metric });
      place(k, null);
    }
    // (commit number 0: nothing is marked touched, no step is taken)
    for (const [path, summary] of opts.start.files) apply(path, summary);
  }

  for (const c of commits) {
    commitNo++;
    touched.length = 0;
    // removals first, so a model moving between files in one commit ends up present
    if (c.changes.length === 1) {
      apply(c.changes[0]!.path, summaryOf(c.changes[0]!));
    } else {
      const present: [string, ScoreSummary][] = [];
      for (const ch of c.changes) {
        const meta = summaryOf(ch);
        if (meta === null) apply(ch.path, null);
        else present.push([ch.path, meta]);
      }
      for (const [path, meta] of present) apply(path, meta);
    }
    for (const s of touched) {
      if (s.stale) {
        opts.rescanned?.();
        s.best = undefined;
        for (const e of s.scores.values()) if (!s.best || outranks(e, s.best, s.direction)) s.best = e;
        s.stale = false;
      }
      const last = s.steps[s.steps.length - 1];
      const id = s.best?.id ?? null;
      const value = s.best?.value ?? null;
      if (last ? last.model_id !== id || last.value !== value : id !== null) {
        s.steps.push({ commit: c.commit, date: c.date, time: c.time, model_id: id, value });
      }
    }
  }
  return {
    series: series.map((s) => ({ ...s.key, direction: s.direction, steps: s.steps })).sort(seriesOrder),
    unknownDirection: unknown.sort(seriesOrder),
  };
}

/**
 * What best over time walks: the first-parent commits that changed (this algorithm's) model files,
 * each with the time its chart point gets; `lastTimeBefore` is the last such time of the commits
 * before these (a walk that goes on from the report state), and `lastTime` the last of these.
 */
export function stateCommits(commits: HistoryCommit[], config: Pick<RegistryConfig, 'models_dir'>, algorithm?: string, lastTimeBefore = -Infinity): { commits: StateCommit[]; lastTime: number } {
  const out: StateCommit[] = [];
  let lastTime = lastTimeBefore;
  for (const c of commits) {
    if (!c.firstParent) continue;
    const changes: ModelChange[] = [];
    for (const ch of c.changes) {
      if (algorithm && parseModelPath(config, ch.path)?.algorithm !== algorithm) continue;
      changes.push({ path: ch.path, summary: ch.summary ?? null });
    }
    if (changes.length === 0) continue;
    // charts need increasing x; commits made within one second are kept in order by a millisecond
    const time = Math.max(c.time, lastTime + 0.001);
    lastTime = time;
    out.push({ commit: c.commit, date: c.date, time, changes });
  }
  return { commits: out, lastTime };
}
