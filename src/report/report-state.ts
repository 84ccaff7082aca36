// The report state: what a report build at commit H knows that the next build, at a descendant of
// H on its first-parent line, can start from instead of the whole history and every model (at
// 100,000 models that history is 315,000 commits and 129 MB, the models 1.5 GB parsed). Written
// beside the history cache file it points into (store/cache/report-state.ts), used by
// registry/report-update.ts; this file is its shape and the pure pieces both builds share, so the
// whole build and the build from a state derive everything the same way.
import type { BestOverTime } from './best-over-time.js';
import type { HistoryCommit } from './history.js';
import type { Model, RegistryConfig, StageAssignments } from '../domain/types.js';
import { summarizeAlgorithm, type AlgorithmSummary } from './tables.js';
import { historyEvent, type HistoryEvent, type Tenure } from './timeline.js';
import { lineKey, SortedLines } from './sorted-lines.js';

export const STATE_FORMAT = 3;

export interface ReportState {
  format: number;
  /** the commit the report was built at */
  commit: string;
  /** the code, configuration and options it was built with (another key: not usable) */
  key: string;
  /**
   * the digest of the page list the report was written with (page-list.ts): the next build into
   * that report knows it is the same list — sorted, and a page for every model at this commit
   */
  pages: string;
  /** commits in the history */
  commits: number;
  /** the time best over time gave its last commit (commits within one second are kept apart); null before any */
  lastTime: number | null;
  /** HEAD's commit time */
  endTime: number;
  /** every algorithm at HEAD (with models or stages) */
  algorithms: string[];
  /** each algorithm with models and the digest of its files (pages.ts, filesDigest) */
  files: [string, string][];
  /**
   * every model id the history named that has no file at HEAD, and its algorithm (the last one the
   * history named for it). An id at HEAD has its file's algorithm; those are 100,000 pairs at
   * 100,000 models that the tree gives anyway, so the state keeps only the others.
   */
  removed: [string, string][];
  /** model file at HEAD → the parent id it names (those that name one) */
  parentOf: [string, string][];
  /** each algorithm's summary at HEAD and its test results count (the overview) */
  summaries: [AlgorithmSummary, number][];
  best: BestOverTime;
  /** the newest events, as many as the overview lists */
  events: HistoryEvent[];
  /** the promote and demote commits, oldest first (the promotion timeline is made from them) */
  promotions: HistoryCommit[];
  /** each model's stage tenures */
  tenures: [string, Tenure[]][];
  /** model id → where the commits of its history are in the history cache body, newest first */
  history: HistoryTable;
}

/**
 * Each model id's history as lines `id<TAB>offset,offset,…` sorted by id (sorted-lines.ts): at
 * 100,000 models 100,000 lines (5.7 MB), of which a build from the state reads and changes the few
 * its new commits name. (Decoded into a map and encoded back, they were ~0.2 s of that build.)
 */
export class HistoryTable extends SortedLines {
  /** From every id's offsets; undefined when an id can't be a line's key (then no state is kept). */
  static of(history: ReadonlyMap<string, number[]>): HistoryTable | undefined {
    const lines = new Map<string, string>();
    for (const [id, list] of history) {
      if (!lineKey(id)) return undefined;
      lines.set(id, list.join(','));
    }
    return HistoryTable.written(SortedLines.linesOf(lines));
  }

  /** A table's text as this code wrote it (the state checks its digest before it is used). */
  static written(text: string): HistoryTable {
    return new HistoryTable(text, SortedLines.lineStarts(text, 0), true);
  }

  get body(): string {
    return this.text;
  }

  offsetsOf(id: string): number[] | undefined {
    const v = this.get(id);
    return v === undefined ? undefined : v === '' ? [] : v.split(',').map(Number);
  }

  /** Every id and its offsets (tests). */
  toMap(): Map<string, number[]> {
    return new Map([...this.entries()].map(([id, v]) => [id, v === '' ? [] : v.split(',').map(Number)]));
  }

  /** The table with each of these ids' new offsets (newest first) in front of its list. */
  extended(gained: ReadonlyMap<string, number[]>): HistoryTable {
    const made = new Map<string, string>();
    for (const [id, list] of gained) {
      if (!lineKey(id)) throw new Error(`model id ${JSON.stringify(id)} can't be kept in the report state`);
      const old = this.get(id);
      made.set(id, old ? `${list.join(',')},${old}` : list.join(','));
    }
    return HistoryTable.written(this.splice('', made, { paths: new Set(), prefixes: [] }).text);
  }
}

/**
 * A commit's event and the model ids whose history it belongs to, or undefined when it is no
 * event (neither an action nor a model file change). A promotion that replaced a model belongs to
 * that model's story too.
 */
export function commitEvent(c: HistoryCommit, idOf: (path: string) => string): { event: HistoryEvent; ids: string[] } | undefined {
  if (!c.trailers['Model-Action'] && c.changes.length === 0) return undefined;
  const event = historyEvent(c, c.changes.map((ch) => idOf(ch.path)));
  const previous = (c.trailers['Previous-Model-Id'] ?? []).map((v) => v.trim()).filter((v) => v && !/^(none|null|-)$/i.test(v) && !event.model_ids.includes(v));
  return { event, ids: [...event.model_ids, ...previous] };
}

/**
 * The state's events and model histories after `commits` (the commits HEAD adds, oldest first, and
 * where each is in the history cache body): the new events are the newest, so they go in front of
 * the overview's list (kept `latest` long) and in front of each named id's history. `named` is
 * every id the new commits name (their pages gain a history row).
 */
export function eventsOnward(
  state: Pick<ReportState, 'events' | 'history'>,
  commits: HistoryCommit[],
  offsets: number[],
  idOf: (path: string) => string,
  latest: number,
): { events: HistoryEvent[]; history: HistoryTable; named: Set<string> } {
  const events: HistoryEvent[] = [];
  const named = new Set<string>();
  const gained = new Map<string, number[]>();
  for (let i = commits.length - 1; i >= 0; i--) {
    const found = commitEvent(commits[i]!, idOf);
    if (!found) continue;
    events.push(found.event);
    for (const id of found.ids) {
      named.add(id);
      const list = gained.get(id);
      if (list) list.push(offsets[i]!);
      else gained.set(id, [offsets[i]!]);
    }
  }
  return { events: events.concat(state.events).slice(0, latest), history: state.history.extended(gained), named };
}

/**
 * Each algorithm's summary (the overview's row, its page's header) and its count of test results,
 * from one pass that groups the models by algorithm: what both builds keep in the state, and what
 * the pages are rendered from (algorithmSummary on its own filters every model per algorithm).
 */
export function algorithmTotals(models: Model[], algorithms: string[], stages: StageAssignments, config: Pick<RegistryConfig, 'metrics' | 'default_metric'>): Map<string, [AlgorithmSummary, number]> {
  const own = new Map<string, Model[]>(algorithms.map((a) => [a, []]));
  for (const m of models) own.get(m.metadata.algorithm)?.push(m);
  const out = new Map<string, [AlgorithmSummary, number]>();
  for (const [a, list] of own) {
    const { summary, results } = summarizeAlgorithm(list, a, stages, config);
    out.set(a, [summary, results]);
  }
  return out;
}

/** A commit the promotion timeline reads. */
export const isPromotion = (c: HistoryCommit) => c.trailers['Model-Action']?.[0] === 'promote' || c.trailers['Model-Action']?.[0] === 'demote';

/** The models whose stage tenures differ between two builds (a promotion, a demotion, a stage tag deleted, stages.yaml edited). */
export function tenureChanges(before: ReadonlyMap<string, Tenure[]>, after: ReadonlyMap<string, Tenure[]>): Set<string> {
  const out = new Set<string>();
  for (const id of new Set([...before.keys(), ...after.keys()])) {
    if (JSON.stringify(before.get(id) ?? []) !== JSON.stringify(after.get(id) ?? [])) out.add(id);
  }
  return out;
}

/**
 * The model pages (model files at HEAD) a build from the state makes: everything a model page is
 * made from (pages.ts, modelPageKey) is its file, its history rows, its stage tenures and whether
 * its parent exists, so: the files that changed; the models the new commits name (a new history
 * row) and those whose tenures changed (`named`); the models whose parent came or went; and any the
 * earlier report has no page for. Ids not at HEAD have no page.
 */
export function modelPagesToMake(input: {
  /** the model files that changed: A added, D removed, anything else modified */
  changed: { path: string; id: string; status: string }[];
  named: Iterable<string>;
  /** model file at HEAD → the parent id it names */
  parentOf: ReadonlyMap<string, string>;
  /** model id at HEAD → its algorithm */
  known: { has(id: string): boolean };
  /** every model id at HEAD and its algorithm (asked for only with hasPage) */
  models: () => Iterable<[string, string]>;
  pathOf: (id: string) => string;
  /** whether the earlier report has a page for a model; not given when it has one for every model at HEAD that did not change */
  hasPage?: (id: string, algorithm: string) => boolean;
}): Set<string> {
  const pages = new Set<string>();
  const cameOrWent = new Set<string>();
  for (const c of input.changed) {
    if (c.status !== 'D') pages.add(c.path);
    if (c.status === 'A' || c.status === 'D') cameOrWent.add(c.id);
  }
  for (const id of input.named) if (input.known.has(id)) pages.add(input.pathOf(id));
  for (const [path, parent] of input.parentOf) if (cameOrWent.has(parent)) pages.add(path);
  if (input.hasPage) for (const [id, a] of input.models()) if (!input.hasPage(id, a)) pages.add(input.pathOf(id));
  return pages;
}

/**
 * The state as text, and back (undefined when it is not a state of this format, commit and key):
 * one line of JSON, whose `history` is the digest of the history table that follows it.
 */
export function encodeState(s: ReportState): string {
  const body = s.history.body;
  return `${JSON.stringify({ ...s, history: SortedLines.digestOf(body) })}\n${body}`;
}

export function decodeState(text: string, expect: { commit: string; key: string }): ReportState | undefined {
  try {
    const nl = text.indexOf('\n');
    if (nl < 0) return undefined;
    const s = JSON.parse(text.slice(0, nl)) as Omit<ReportState, 'history'> & { history: unknown };
    if (s?.format !== STATE_FORMAT || s.commit !== expect.commit || s.key !== expect.key) return undefined;
    // the table is searched as sorted: only the text written, whole
    const body = text.slice(nl + 1);
    if (typeof s.history !== 'string' || s.history !== SortedLines.digestOf(body)) return undefined;
    // (the shape, not every value: what does not fit is caught where it is used, and the whole build runs)
    const lists = [s.algorithms, s.files, s.removed, s.parentOf, s.summaries, s.events, s.promotions, s.tenures, s.best?.series, s.best?.unknownDirection];
    if (!lists.every(Array.isArray) || typeof s.commits !== 'number' || typeof s.pages !== 'string' || typeof s.endTime !== 'number' || (s.lastTime !== null && typeof s.lastTime !== 'number')) return undefined;
    return { ...s, history: HistoryTable.written(body) };
  } catch {
    return undefined;
  }
}
