// The report after a few commits: built from the report state an earlier build kept at its commit
// P (src/report/report-state.ts) instead of the whole history and every model. At 100,000 models
// the whole build reads 315,000 commits and parses 100,000 files (22 s, 1.6 GB) to remake the few
// pages a commit is about; from the state it reads the commits P..HEAD, the model files they
// changed, and the files of the algorithms whose pages change. Everything is derived the way the
// whole build derives it (the same functions, the state holding their results at P), and the
// test builds both after every step of random histories and compares every byte. Anything this
// build can't be sure of — HEAD not on P's first-parent line, a file other than model files and
// stages.yaml changed, a model file that doesn't parse, an id in two algorithms, a state or cache
// file missing or damaged — means undefined: the caller builds the whole report.
import { parseModelPath, STAGES_FILE } from '../domain/config.js';
import { ModelgitError } from '../errors.js';
import { parseRawDiff, type PathChange } from '../domain/validation.js';
import { metricDirection } from '../domain/metrics.js';
import type { Model } from '../domain/types.js';
import { bestOverTime, seriesOrder, stateCommits, summarize, type BestSeries, type ScoreSummary, type SeriesKey } from '../report/best-over-time.js';
import { algorithmKeys, algorithmPagePaths, filesDigest, paths, type Lookup, type RenderOnly, type SiteData } from '../report/pages.js';
import { commitEvent, decodeState, eventsOnward, isPromotion, modelPagesToMake, STATE_FORMAT, tenureChanges, type ReportState } from '../report/report-state.js';
import { summarizeAlgorithm, type AlgorithmSummary } from '../report/tables.js';
import { promotionTimeline, stageTenures, type HistoryEvent } from '../report/timeline.js';
import type { ModelFiles, Registry } from './registry.js';
import type { PageDrops, PageList } from '../report/page-list.js';

export interface StateBuild {
  site: SiteData;
  /** the pages to make; every other page is as the earlier report left it */
  only: RenderOnly;
  /** the earlier report's pages that go (a model gone; the pages of an algorithm remade or gone) unless made again */
  drop: PageDrops;
  /**
   * The report state at HEAD, given the digest of the page list written with it, made when asked
   * (after the pages: its lists of 100,000 pairs are not held while the pages are made, when the
   * build's memory peaks)
   */
  state: (pages: string) => ReportState;
  commits: number;
}

class NotSure extends Error {}

/**
 * The build from the state kept at `from`, the commit the report being built over was made at, or
 * undefined when there is none this build can use. `earlier` holds that report's page keys; `key`
 * names the code, configuration and options (a state written under another key is not used);
 * `version` is what page keys name of the code.
 */
export async function buildFromState(reg: Registry, opts: { algorithm?: string; latestEvents?: number }, from: string | undefined, key: string, version: string, earlier: PageList): Promise<StateBuild | undefined> {
  const trace = reg.cacheTrace('modelgit-cache: report state');
  if (opts.algorithm !== undefined || reg.cachesOff() || earlier.size === 0 || from === undefined) return undefined;
  const state = await readState(reg, from, key, trace);
  if (!state) return undefined;
  try {
    const built = await fromState(reg, opts, state, earlier, version, trace);
    trace(built ? `from ${from}` : `${from}: the whole build decides (see above)`);
    return built;
  } catch (e) {
    // modelgit's own errors (git failed, stages.yaml invalid) are the whole build's too; anything
    // else is a state that is not what this code wrote (damaged, or from elsewhere): not used
    if (e instanceof ModelgitError) throw e;
    trace(`${from}: ${e instanceof NotSure ? e.message : `the state is unusable (${(e as Error).message})`}; the whole build`);
    if (!(e instanceof NotSure)) await reg.reportStore.drop(from);
    return undefined;
  }
}

// (its own function: the 10 MB text is garbage once decoded, not kept for the whole build)
async function readState(reg: Registry, from: string, key: string, trace: (m: string) => void): Promise<ReportState | undefined> {
  const text = await reg.reportStore.read(from);
  const state = text === undefined ? undefined : decodeState(text, { commit: from, key });
  if (!state) trace(text === undefined ? `none at ${from}` : `${from}: written by other code or options, or damaged`);
  return state;
}

/**
 * The models at HEAD from its tree alone, without a map of its 100,000 files (at 100,000 models
 * making one, with each id, blob and `path:blob`, was ~0.3 s of the build): each algorithm's
 * files are together in path order, so an id is found by a search in each algorithm's part, and
 * a file's blob by a search for its path. The listing holds model files only (metadataEntries).
 */
class HeadTree implements Lookup {
  /** algorithm → where its files are: [first, end) */
  private readonly parts = new Map<string, [number, number]>();
  private readonly memo = new Map<string, string | undefined>();

  constructor(
    private readonly files: ModelFiles,
    private readonly dir: string,
    where: (path: string) => { algorithm: string; id: string } | undefined,
  ) {
    let prefix: string | undefined;
    let algorithm = '';
    let first = 0;
    for (let i = 0; i < files.count; i++) {
      if (prefix !== undefined && files.path(i).startsWith(prefix)) continue;
      if (prefix !== undefined) this.parts.set(algorithm, [first, i]);
      const at = where(files.path(i));
      if (!at) throw new NotSure(`${files.path(i)} is not a model file`);
      if (this.parts.has(at.algorithm)) throw new NotSure(`the files of ${at.algorithm} are not listed together`);
      algorithm = at.algorithm;
      prefix = `${dir}/${algorithm}/`;
      first = i;
    }
    if (prefix !== undefined) this.parts.set(algorithm, [first, files.count]);
  }

  get size(): number {
    return this.files.count;
  }

  algorithms(): string[] {
    return [...this.parts.keys()];
  }

  /** the algorithms that have a file for `id` (one, or none: the caller checks new ids for two) */
  holders(id: string): string[] {
    return [...this.parts.keys()].filter((a) => this.files.indexOf(`${this.dir}/${a}/${id}.json`) >= 0);
  }

  /** the algorithm of the model `id` at HEAD */
  get(id: string): string | undefined {
    if (!this.memo.has(id)) this.memo.set(id, this.holders(id)[0]);
    return this.memo.get(id);
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** the blob of the file `path` at HEAD */
  oidOf(path: string): string | undefined {
    const i = this.files.indexOf(path);
    return i < 0 ? undefined : this.files.oid(i);
  }

  pathsOf(algorithm: string): string[] {
    const [first, end] = this.parts.get(algorithm) ?? [0, 0];
    const out: string[] = [];
    for (let i = first; i < end; i++) out.push(this.files.path(i));
    return out;
  }

  /** what an algorithm's page key says of its files (pages.ts, filesDigest) */
  filesDigest(algorithm: string): string {
    const [first, end] = this.parts.get(algorithm) ?? [0, 0];
    const list: string[] = [];
    for (let i = first; i < end; i++) list.push(`${this.files.path(i)}:${this.files.oid(i)}`);
    return filesDigest(list);
  }

  /** every model at HEAD: [id, algorithm] */
  *models(): Generator<[string, string]> {
    for (const [a, [first, end]] of this.parts) {
      const skip = this.dir.length + a.length + 2;
      for (let i = first; i < end; i++) yield [this.files.path(i).slice(skip, -'.json'.length), a];
    }
  }
}

async function fromState(reg: Registry, opts: { latestEvents?: number }, state: ReportState, earlier: PageList, version: string, trace: (m: string) => void): Promise<StateBuild | undefined> {
  const config = reg.config;
  const from = state.commit;
  // (first: a list the state vouches for is searched, not read into a map)
  const trusted = earlier.trust(state.pages);
  const head = await reg.git.resolveCommit('HEAD');
  if (!head) return undefined;
  const where = (path: string) => parseModelPath(config, path)!;

  // git's reads at once: what changed, the model files at HEAD (the snapshot cache's index of its
  // tree, whose texts then spare git reading the blobs again), the commits HEAD adds (appended to the
  // history cache), the stages and the tags.
  const [diffText, blobs, tail, stages, tags] = await Promise.all([
    from === head ? '' : reg.git.treeDiff(from, head),
    reg.reportStore.modelFiles(head),
    reg.reportStore.since(from, head),
    reg.stages(),
    reg.git.refs('refs/tags/stage/'),
  ]);
  // Only model files and stages.yaml may have changed (the configuration, a schema, anything else
  // could change what every page says).
  const changed = new Map<string, PathChange>();
  for (const c of parseRawDiff(diffText)) {
    if (c.path === STAGES_FILE) continue;
    if (!parseModelPath(config, c.path)) throw new NotSure(`${c.path} changed`);
    // a link or a submodule where a model file is: the whole build decides about it
    if (c.status !== 'D' && !(c.mode ?? '').startsWith('100')) throw new NotSure(`${c.path} is not a file`);
    changed.set(c.path, c);
  }

  const known = new HeadTree(blobs, config.models_dir, (path) => parseModelPath(config, path));
  // A new file's id may be another algorithm's too (the state's commit had no id twice: a build
  // with an unreadable registry keeps no state, and this one keeps none with an id twice).
  for (const c of changed.values()) {
    if (c.status === 'A' && known.holders(where(c.path).id).length > 1) throw new NotSure(`model id ${where(c.path).id} is in two files`);
  }
  const pathOf = (id: string) => `${config.models_dir}/${known.get(id)}/${id}.json`;

  // The commits HEAD adds (undefined: HEAD is not on the first-parent line of the state's commit).
  if (!tail) throw new NotSure('no cached history to extend, or HEAD is not on its first-parent line');

  const models = new Map<string, Model>();
  const read = Object.assign(async (wanted: string[], oidOf: (path: string) => string): Promise<Map<string, Model>> => {
    read.count += wanted.length;
    const { models: got, unreadable, fromGit } = await blobs.parse(wanted, wanted.map(oidOf));
    read.fromGit += fromGit;
    if (unreadable) throw new NotSure(`${unreadable} can't be read`);
    return got;
  }, { count: 0, fromGit: 0 });
  const load = async (paths: string[]) => {
    for (const [p, m] of await read(paths.filter((p) => !models.has(p)), (p) => known.oidOf(p)!)) models.set(p, m);
  };
  const ofAlgorithm = (a: string) => known.pathsOf(a);
  // every file the commits changed must read (the whole build would refuse or skip it)
  await load([...changed.values()].filter((c) => c.status !== 'D').map((c) => c.path));

  // Every id the history named, and its algorithm: HEAD's file's, else the last the history named.
  const removed = new Map(state.removed);
  // (an id of the state's `removed` had no file at its commit: one at HEAD was added since, and named)
  const namedIds = new Set([...changed.values()].map((c) => where(c.path).id));
  for (const c of tail.commits) {
    for (const ch of c.changes) {
      const { id, algorithm } = where(ch.path);
      removed.set(id, algorithm);
      namedIds.add(id);
    }
  }
  for (const id of namedIds) if (known.has(id)) removed.delete(id);
  const algorithmOf = (id: string) => known.get(id) ?? removed.get(id);

  // Events: the new ones are the newest; each id's history gains them at its front.
  let onward: ReturnType<typeof eventsOnward>;
  try {
    onward = eventsOnward(state, tail.commits, tail.offsets, (p) => where(p).id, opts.latestEvents ?? 20);
  } catch (e) {
    throw new NotSure((e as Error).message); // (an id the history table can't hold)
  }
  const { events, history, named } = onward;

  // Promotions and who held what: remade whole (a few hundred commits), and compared.
  const promotions = state.promotions.concat(tail.commits.filter(isPromotion));
  const timeline = promotionTimeline(promotions, tags, algorithmOf);
  const tenures = stageTenures(timeline, stages);
  const tenureChanged = tenureChanges(new Map(state.tenures), tenures);

  // Best over time: each algorithm the new commits touched walks on from where the state stopped.
  const walked = stateCommits(tail.commits, config, undefined, state.lastTime ?? -Infinity);
  const touched = new Set<string>();
  for (const c of walked.commits) for (const ch of c.changes) touched.add(where(ch.path).algorithm);
  let series: BestSeries[] = state.best.series.filter((s) => !touched.has(s.algorithm));
  let unknownDirection: SeriesKey[] = state.best.unknownDirection.filter((k) => !touched.has(k.algorithm));
  for (const a of [...touched].sort()) {
    const mine = ofAlgorithm(a);
    await load(mine);
    // what each of its files held at the state's commit: HEAD's, or the old blob where it changed
    const before = [...changed.values()].filter((c) => where(c.path).algorithm === a && c.status !== 'A');
    const old = await read(
      before.map((c) => c.path),
      (p) => changed.get(p)!.baseOid!,
    ).catch((e: unknown) => {
      throw e instanceof NotSure ? new NotSure('a model file at the state commit does not read') : e;
    });
    const atState = (paths: Iterable<string>): [string, ScoreSummary][] => {
      const start: [string, ScoreSummary][] = [];
      for (const p of paths) {
        const m = old.get(p) ?? (changed.has(p) ? undefined : models.get(p));
        if (m) start.push([p, summarize(m.metadata)]);
      }
      return start;
    };
    const seriesThen = state.best.series.filter((s) => s.algorithm === a);
    const walkFrom = (files: [string, ScoreSummary][], rescanned?: () => void) =>
      bestOverTime(walked.commits, (m) => metricDirection(config, m), {
        algorithm: a,
        start: { series: seriesThen, unknownDirection: state.best.unknownDirection.filter((k) => k.algorithm === a), files },
        rescanned,
      });
    // First from the files that changed and each series' best at the state's commit alone: while
    // no best gets worse or goes, the walk needs no other score (a new score is compared with the
    // best only), and summarizing the algorithm's 21,884 files at 100,000 models was ~0.35 s. A
    // best that gets worse means a rescan of every score: then the walk is made from all of them.
    const bests = seriesThen.map((s) => s.steps.at(-1)?.model_id).filter((id): id is string => typeof id === 'string');
    let rescan = false;
    let walk = walkFrom(atState(new Set([...old.keys(), ...bests.map((id) => `${config.models_dir}/${a}/${id}.json`)])), () => (rescan = true));
    if (rescan) walk = walkFrom(atState(new Set([...mine, ...old.keys()])));
    series = series.concat(walk.series);
    unknownDirection = unknownDirection.concat(walk.unknownDirection);
  }
  series.sort(seriesOrder);
  unknownDirection.sort(seriesOrder);

  // Which algorithms' pages change: their keys, computed as the whole build computes them.
  const algorithms = [...new Set([...Object.keys(stages ?? {}), ...known.algorithms()])].sort();
  // each algorithm's files digest: the state's where none of its files changed
  const changedIn = new Set([...changed.values()].map((c) => where(c.path).algorithm));
  const digests = new Map(state.files);
  const files = new Map<string, string>();
  for (const a of known.algorithms()) files.set(a, !changedIn.has(a) && digests.has(a) ? digests.get(a)! : known.filesDigest(a));
  const oldSummaries = new Map(state.summaries.map(([s, n]) => [s.algorithm, [s, n] as const]));
  let headTime = state.endTime;
  if (from !== head) headTime = tail.commits.find((c) => c.commit === head)?.time ?? Math.floor(reg.now().getTime() / 1000);
  const summaries = new Map<string, AlgorithmSummary>();
  const whole = { known, files, models: known.size, results: 0 };
  const site: SiteData = {
    generated: reg.now().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    head,
    config,
    models: [],
    stages,
    algorithms,
    events,
    timeline,
    tenures,
    best: { series, unknownDirection },
    modelHistory: new Map(),
    endTime: headTime,
    latestEvents: opts.latestEvents,
    oids: { get: (path) => known.oidOf(path) },
    whole,
    summaries,
  };
  const keys = algorithmKeys(site, { version });
  const remade = new Set<string>();
  const results = new Map<string, number>();
  for (const a of algorithms) {
    const old = oldSummaries.get(a);
    const same = old && algorithmPagePaths(old[0]).every((p) => earlier.get(p) === keys.get(a));
    if (same) {
      summaries.set(a, old[0]);
      results.set(a, old[1]);
      continue;
    }
    remade.add(a);
    const mine = ofAlgorithm(a);
    await load(mine);
    const made = summarizeAlgorithm(mine.map((p) => models.get(p)!), a, stages, config);
    summaries.set(a, made.summary);
    results.set(a, made.results);
  }
  whole.results = [...results.values()].reduce((x, y) => x + y, 0);

  // Which model pages change (report-state.ts).
  const parentOf = new Map(state.parentOf);
  for (const c of changed.values()) {
    const parent = c.status === 'D' ? undefined : models.get(c.path)!.metadata.parent;
    if (typeof parent === 'string') parentOf.set(c.path, parent);
    else parentOf.delete(c.path);
  }
  const pages = modelPagesToMake({
    changed: [...changed.values()].map((c) => ({ path: c.path, id: where(c.path).id, status: c.status })),
    named: [...named, ...tenureChanged],
    parentOf,
    known,
    models: () => known.models(),
    pathOf,
    // the report the state was written with has a page for every model at its commit; any other
    // (built with --algo, or another build's at that commit) is asked about each model at HEAD
    hasPage: trusted ? undefined : (id, a) => earlier.has(paths.model(a, id)),
  });
  await load([...pages]);
  const lines = new Map<number, HistoryEvent>();
  const wanted = [...new Set([...pages].flatMap((p) => history.offsetsOf(where(p).id) ?? []))];
  let commits: Awaited<ReturnType<Registry['reportStore']['lines']>>;
  try {
    commits = await reg.reportStore.lines(head, wanted);
  } catch (e) {
    throw new NotSure(`the cached history can't be read (${(e as Error).message})`);
  }
  commits.forEach((c, i) => lines.set(wanted[i]!, commitEvent(c, (p) => where(p).id)!.event));
  for (const p of pages) {
    const id = where(p).id;
    site.modelHistory.set(
      id,
      (history.offsetsOf(id) ?? []).map((at) => lines.get(at)!),
    );
  }
  site.models = [...models.values()].filter((m) => known.oidOf(m.path) !== undefined).sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));

  // The earlier report's pages that go unless made again: the removed models', and every page of
  // an algorithm remade or gone.
  const drop: PageDrops = {
    paths: new Set([...changed.values()].filter((c) => c.status === 'D').map((c) => paths.model(where(c.path).algorithm, where(c.path).id))),
    prefixes: earlier
      .algorithms()
      .filter((a) => remade.has(a) || !summaries.has(a))
      .map((a) => `a/${a}/`),
  };

  trace(`${models.size} model files read, ${read.count} parsed (${read.fromGit} read by git); algorithms remade: ${[...remade].join(', ') || 'none'}; model pages: ${pages.size} (${trusted ? "the earlier page list is the state's" : 'the earlier page list asked about every model'})`);
  const next = stateLater({
    format: STATE_FORMAT,
    commit: head,
    key: state.key,
    commits: tail.count,
    lastTime: Number.isFinite(walked.lastTime) ? walked.lastTime : null,
    endTime: headTime,
    algorithms,
    files: [...files],
    removed,
    parentOf,
    summaries: algorithms.map((a) => [summaries.get(a)!, results.get(a)!]),
    best: site.best,
    events,
    promotions,
    tenures,
    history,
  });
  return { site, only: { algorithms: remade, models: pages }, drop, state: next, commits: tail.count };
}

type Pairs = 'removed' | 'parentOf' | 'tenures';
/** The report state with its lists of pairs still maps. */
type StateParts = Omit<ReportState, Pairs> & { [K in Pairs]: Map<ReportState[K][number][0], ReportState[K][number][1]> };

/**
 * The report state from its maps, made into its lists when asked. (Its own function, so the
 * closure holds these parts and nothing else of the build: not the earlier state it was made from.)
 */
function stateLater(parts: Omit<StateParts, 'pages'>): (pages: string) => ReportState {
  return (pages) => ({
    ...parts,
    pages,
    removed: [...parts.removed],
    parentOf: [...parts.parentOf],
    tenures: [...parts.tenures],
  });
}
