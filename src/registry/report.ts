// report: a static HTML site about the registry, built from HEAD and one pass over the history.
// Reads: the HEAD snapshot, stages.yaml, the stage tags (one for-each-ref), one `git log --raw`
// and one `cat-file --batch` for every model blob the first-parent line ever held. Writes nothing
// to the repository; the site goes to a directory that is either new or a previous report. A
// page whose inputs an earlier report in that directory already rendered is kept there, not made
// again (PAGES_FILE lists each page's key). A build of the whole registry keeps a report state at
// its commit, and the next build into the same directory at a descendant starts from it instead of
// the whole history and every model (report-update.ts).
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { NotFoundError, storageError, UsageError, type ErrorLocation } from '../errors.js';
import { skippedFiles, type SkippedFile } from '../domain/invalid-files.js';
import { checkInvalidFiles } from './query-options.js';
import { parseModelPath } from '../domain/config.js';
import { metricDirection } from '../domain/metrics.js';
import { assertSafeName } from '../domain/names.js';
import type { RegistryConfig } from '../domain/types.js';
import { bestOverTime, stateCommits } from '../report/best-over-time.js';
import type { HistoryCommit } from '../report/history.js';
import { filesDigests, renderPages, type SiteData, type SitePage } from '../report/pages.js';
import { buildFromState } from './report-update.js';
import { htmlPagesIn, PageList, type PageDrops } from '../report/page-list.js';
import { SiteWriter } from '../report/site-writer.js';
import { algorithmsOf } from '../report/tables.js';
import { algorithmTotals, commitEvent, encodeState, HistoryTable, isPromotion, STATE_FORMAT, type ReportState } from '../report/report-state.js';
import { promotionTimeline, stageTenures, type HistoryEvent } from '../report/timeline.js';
import type { HistoryOptions, Registry } from './registry.js';
import { VERSION } from '../version.js';

export interface ReportOptions {
  /** where the site goes; a new or empty directory, or an earlier report (replaced) */
  out: string;
  algorithm?: string;
  /** how many events the overview lists */
  latestEvents?: number;
  /** build without model files that can't be read (else they fail the report) */
  skipInvalid?: boolean;
}

export interface ReportAnswer {
  out: string;
  index: string;
  pages: number;
  algorithms: string[];
  models: number;
  commits: number;
  commit: string | null;
  /** metadata files at HEAD that could not be read (left out of the report: only with --skip-invalid) */
  problems: number;
  /** only with --skip-invalid: those files */
  skipped?: SkippedFile[];
  elapsed_ms: number;
}

/** Marks a directory as ours, so a rebuild may replace it and nothing else is ever deleted. */
export const REPORT_MARKER = '.modelgit-report';

/**
 * Beside the marker: the version of the code that made the report (`version<TAB>hash`), then one
 * line per keyed page, `path<TAB>key`. The next report into the same directory keeps the pages
 * whose key it computes again instead of making them (unless MODELGIT_NO_CACHE is set); it is
 * written on every build, so a cold and a warm build leave the same files.
 */
export const PAGES_FILE = '.modelgit-report-pages';

const ASSETS = fileURLToPath(new URL('../report/assets/', import.meta.url));

function checkOut(out: string, root: string): void {
  const rel = relative(out, root);
  if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
    throw new UsageError(`--out: ${out} is the registry or contains it; give a directory of its own (e.g. --out modelgit-report)`);
  }
  // Where it will go is made now, before the build: a place that can't be written fails at once.
  if (!existsSync(out)) return makeDirs(dirname(out));
  if (!statSync(out).isDirectory()) throw new UsageError(`--out: ${out} exists and is not a directory`);
  if (readdirSync(out).length > 0 && !existsSync(join(out, REPORT_MARKER))) {
    throw new UsageError(`--out: ${out} is not empty and is not an earlier modelgit report; refusing to write over it`, {
      hint: 'give a new directory, or an empty one',
    });
  }
}

/**
 * Creates `dir` and its missing parents one level at a time. Node's recursive mkdir loops forever
 * under a pseudo file system that says ENOENT for every new name (`--out /proc/x` spun at 100% CPU);
 * one level at a time fails at once, and the message names the directory and why.
 */
export function makeDirs(dir: string, shownAs?: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  while (!existsSync(at)) {
    missing.unshift(at);
    const up = dirname(at);
    if (up === at) break;
    at = up;
  }
  if (existsSync(at) && !statSync(at).isDirectory()) throw new UsageError(`--out: ${at} is not a directory, so nothing can be created under it`);
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && statSync(d).isDirectory()) continue;
      const storage = storageError(e, 'the report directory', shownAs ?? d);
      if (storage) throw storage;
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      throw new UsageError(`--out: could not create ${shownAs ?? d}: ${code === 'ENOENT' ? `${dirname(d)} does not take new directories` : (e as Error).message}`, {
        hint: 'give a directory on an ordinary, writable file system',
      });
    }
  }
}

export interface ReportData {
  site: SiteData;
  /** the report state at HEAD, given the key it is for and its page list's digest (undefined when none can be kept) */
  state?: (key: string, pages: string) => ReportState;
  commits: number;
  problems: number;
  /** the unreadable files left out (--skip-invalid) */
  skipped: ErrorLocation[];
}

/** Everything the site shows, derived from HEAD and one pass over the history. */
export async function reportData(reg: Registry, opts: Pick<ReportOptions, 'algorithm' | 'latestEvents' | 'skipInvalid'> & HistoryOptions = {}): Promise<ReportData> {
  const algorithm = opts.algorithm !== undefined ? assertSafeName('algorithm', opts.algorithm, '--algo') : undefined;
  const snapshotRead = reg.snapshot();
  const [snapshot, stages, tags, { commits, offsets }, files] = await Promise.all([
    snapshotRead,
    reg.stages(),
    reg.git.refs('refs/tags/stage/'),
    snapshotRead.then((snap) => reg.reportHistory(snap, opts)),
    // the blob ids name each model page's metadata in its key (one ls-tree, ~0.3 s at 100,000)
    snapshotRead.then((snap) => (snap.commit ? reg.git.lsTree(snap.commit, [reg.config.models_dir]) : [])),
  ]);
  const oids = new Map<string, string>();
  for (const f of files) oids.set(f.path, f.oid);
  const head = snapshot.commit ?? null;
  // Leaderboards and best-over-time rank the models: an unreadable file could top one.
  const skipped = checkInvalidFiles(snapshot.problems, reg.config, algorithm !== undefined ? { kind: 'algorithm', algorithm } : { kind: 'all' }, opts.skipInvalid);

  // Every model id the history ever named a file for, so removed models still get an algorithm.
  const algorithmOf = new Map<string, string>();
  for (const c of commits) for (const ch of c.changes) {
    const where = parseModelPath(reg.config, ch.path)!;
    algorithmOf.set(where.id, where.algorithm);
  }
  for (const m of snapshot.models) algorithmOf.set(m.metadata.model_id, m.metadata.algorithm);

  const models = algorithm ? snapshot.models.filter((m) => m.metadata.algorithm === algorithm) : snapshot.models;
  const everyAlgorithm = algorithmsOf(snapshot.models, stages);
  if (algorithm && !everyAlgorithm.includes(algorithm) && ![...algorithmOf.values()].includes(algorithm)) {
    throw new NotFoundError(`--algo: no ${algorithm} model in the registry or its history`, {
      hint: everyAlgorithm.length ? `algorithms: ${everyAlgorithm.join(', ')}` : 'the registry has no models yet',
    });
  }
  const scopedStages = algorithm ? (stages[algorithm] ? { [algorithm]: stages[algorithm]! } : {}) : stages;
  const inScope = (e: { model_ids: string[] }) => !algorithm || e.model_ids.some((id) => algorithmOf.get(id) === algorithm);

  const events: HistoryEvent[] = [];
  const modelHistory = new Map<string, HistoryEvent[]>();
  // where each id's events are in the history cache (newest first), for the report state
  const history = new Map<string, number[]>();
  const idOf = (path: string) => parseModelPath(reg.config, path)!.id;
  for (let i = commits.length - 1; i >= 0; i--) {
    const found = commitEvent(commits[i]!, idOf);
    if (!found || !inScope(found.event)) continue;
    events.push(found.event);
    for (const id of found.ids) {
      const list = modelHistory.get(id);
      if (list) list.push(found.event);
      else modelHistory.set(id, [found.event]);
      if (offsets) {
        const at = history.get(id);
        if (at) at.push(offsets[i]!);
        else history.set(id, [offsets[i]!]);
      }
    }
  }

  const fullTimeline = promotionTimeline(commits, tags, (id) => algorithmOf.get(id));
  const timeline = algorithm ? fullTimeline.filter((e) => e.algorithm === algorithm) : fullTimeline;
  const walked = stateCommits(commits, reg.config, algorithm);
  const best = bestOverTime(walked.commits, (m) => metricDirection(reg.config, m), { algorithm });
  let headCommit: HistoryCommit | undefined;
  for (let i = commits.length - 1; i >= 0 && !headCommit; i--) if (commits[i]!.commit === head) headCommit = commits[i];

  const tenures = stageTenures(fullTimeline, stages);
  const algorithms = algorithm ? [algorithm] : everyAlgorithm;
  const totals = algorithmTotals(models, algorithms, stages, reg.config);
  const site: SiteData = {
    generated: reg.now().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    head,
    config: reg.config,
    models,
    stages: scopedStages,
    algorithms,
    summaries: new Map([...totals].map(([a, [summary]]) => [a, summary])),
    events,
    timeline,
    tenures,
    best,
    modelHistory,
    endTime: headCommit?.time ?? Math.floor(reg.now().getTime() / 1000),
    latestEvents: opts.latestEvents,
    oids,
  };
  // what the next build can start from (a whole-registry report of a readable registry only)
  // (an id with a tab or a newline can't be a line of the state's history table: then none is kept)
  const table = offsets && head && !algorithm && snapshot.problems.length === 0 ? HistoryTable.of(history) : undefined;
  const state =
    table && head
      ? (key: string, pages: string): ReportState => ({
          format: STATE_FORMAT,
          commit: head,
          key,
          pages,
          commits: commits.length,
          lastTime: Number.isFinite(walked.lastTime) ? walked.lastTime : null,
          endTime: site.endTime,
          algorithms: site.algorithms,
          files: [...(filesDigests(site) ?? [])],
          removed: [...algorithmOf].filter(([id]) => !snapshot.byId.has(id)),
          parentOf: models.filter((m) => typeof m.metadata.parent === 'string').map((m) => [m.path, m.metadata.parent!]),
          summaries: site.algorithms.map((a) => totals.get(a)!),
          best,
          events: events.slice(0, site.latestEvents ?? 20),
          promotions: commits.filter(isPromotion),
          tenures: [...tenures],
          history: table,
        })
      : undefined;
  return { site, commits: commits.length, problems: skipped.length, skipped, state };
}

export async function buildReport(reg: Registry, opts: ReportOptions & HistoryOptions): Promise<ReportAnswer> {
  const started = Date.now();
  if (opts.algorithm !== undefined) assertSafeName('algorithm', opts.algorithm, '--algo');
  const out = resolve(opts.out);
  checkOut(out, reg.root);
  // the writer thread starts while the history is read, so it is ready when the pages are
  const writer = new SiteWriter();
  try {
    const version = renderVersion(reg);
    const earlier = reg.cachesOff() ? PageList.empty(versionLine(version)) : readPageKeys(out, version);
    // the report state names the code, the configuration and the overview's length it was made with
    const stateKey = createHash('sha1').update(JSON.stringify([version, reg.config, opts.latestEvents ?? 20])).digest('base64url');
    const fromState = await buildFromState(reg, opts, reportCommit(out), stateKey, version, earlier);
    if (fromState) {
      collectGarbage();
      const { site, only, drop, state, commits } = fromState;
      const keep = (path: string, key: string) => earlier.get(path) === key && existsSync(join(out, path));
      const { pages, kept, listDigest } = await writeFromState(out, renderPages(site, { keep, version, only }), earlier, drop, writer, { generated: site.generated, commit: site.head }, version);
      await reg.reportStore.save(site.head!, encodeState(state(listDigest)));
      reg.cacheTrace('modelgit-cache: report pages')(`${kept} of ${pages} kept from the earlier report`);
      return answer(pages, site.algorithms, site.whole!.models, commits, site.head, 0);
    }
    const { site, commits, problems, skipped, state } = await reportData(reg, opts);
    const { pages, kept, listDigest } = await writeSite(out, (keep) => renderPages(site, { keep, version }), earlier, writer, { generated: site.generated, commit: site.head }, version);
    if (state) await reg.reportStore.save(site.head!, encodeState(state(stateKey, listDigest)));
    reg.cacheTrace('modelgit-cache: report pages')(`${kept} of ${pages} kept from the earlier report`);
    return answer(pages, site.algorithms, site.models.length, commits, site.head, problems, skipped);

    function answer(pages: number, algorithms: string[], models: number, commits: number, commit: string | null, problems: number, skipped: ErrorLocation[] = []): ReportAnswer {
      return {
        out,
        index: join(out, 'index.html'),
        pages,
        algorithms,
        models,
        commits,
        commit,
        problems,
        ...(opts.skipInvalid && { skipped: skippedFiles(skipped) }),
        elapsed_ms: Date.now() - started,
      };
    }
  } finally {
    writer.close();
  }
}

/**
 * One full garbage collection, now. Between a build from the report state and its pages most of
 * what it read (the earlier state, the page keys' text, the largest algorithm's texts) is garbage,
 * and V8's next collections are sized from the live set of its last full one: at 100,000 models
 * that one came either before this point (the peak then 405–425 MiB) or after it (370–385 MiB),
 * by timing alone. Collected here, it is the lower one every time, for ~90 ms. The collector is
 * reached through a new V8 context once --expose-gc is turned on at run time (as the expose-gc
 * package does; the process's own global gets no `gc`); where that is refused, nothing is done (the
 * build is the same, only its peak may be higher).
 */
function collectGarbage(): void {
  try {
    setFlagsFromString('--expose-gc');
    (runInNewContext('gc') as () => void)();
  } catch {
    // (no collector to call: V8 collects when it decides)
  }
}

/**
 * What a page's key covers besides its own inputs: this code (the modelgit version and this
 * module's text, so a rebuilt modelgit remakes every page) and where model files live.
 */
function renderVersion(reg: Registry): string {
  let code = '';
  try {
    // this module (with the pages' code beside it in a build) and the scripts kept pages run
    const hash = createHash('sha1').update(readFileSync(fileURLToPath(import.meta.url)));
    for (const f of ['report.js', 'report.css']) hash.update(readFileSync(join(ASSETS, f)));
    code = hash.digest('base64url');
  } catch {
    code = String(Date.now()); // unreadable: nothing is kept
  }
  return `${VERSION}\0${code}\0${reg.config.models_dir}`;
}

/**
 * The page keys an earlier report in `out` was written with: empty when there is none, it is
 * unreadable, or it was made by other code (its first line names the version: then no page could
 * be kept, and a fresh directory swapped in is quicker than rewriting every page in place).
 */
function readPageKeys(out: string, version: string): PageList {
  const line = versionLine(version);
  try {
    if (!existsSync(join(out, REPORT_MARKER))) return PageList.empty(line);
    return PageList.parse(readFileSync(join(out, PAGES_FILE), 'utf8'), line);
  } catch {
    return PageList.empty(line);
  }
}

/** The commit the report in `out` was made at (its marker says), if it says one. */
function reportCommit(out: string): string | undefined {
  try {
    const commit = (JSON.parse(readFileSync(join(out, REPORT_MARKER), 'utf8')) as { commit?: unknown }).commit;
    return typeof commit === 'string' ? commit : undefined;
  } catch {
    return undefined;
  }
}

const versionLine = (version: string) => `version\t${createHash('sha1').update(version).digest('base64url')}`;

/** Every file below `dir` (relative paths) and its directories, deepest first; undefined when it holds anything else (a link). */
function listReport(dir: string): { files: Set<string>; dirs: string[] } | undefined {
  const files = new Set<string>();
  const dirs: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const rel = relative(dir, join(e.parentPath ?? e.path, e.name));
    if (e.isFile()) files.add(rel);
    else if (e.isDirectory()) dirs.push(rel);
    else return undefined;
  }
  dirs.sort((a, b) => b.length - a.length);
  return { files, dirs };
}

/** What copyAssets puts in `assets/` (an in-place update keeps them). */
const ASSET_FILES = ['uPlot.iife.min.js', 'uPlot.min.css', 'uPlot.LICENSE.txt', 'report.js', 'report.css'];

function copyAssets(to: string): void {
  const require = createRequire(import.meta.url);
  const uplot = dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
  copyFileSync(join(uplot, 'uPlot.iife.min.js'), join(to, 'assets', 'uPlot.iife.min.js'));
  copyFileSync(join(uplot, 'uPlot.min.css'), join(to, 'assets', 'uPlot.min.css'));
  copyFileSync(join(uplot, '..', 'LICENSE'), join(to, 'assets', 'uPlot.LICENSE.txt'));
  for (const f of ['report.js', 'report.css']) copyFileSync(join(ASSETS, f), join(to, 'assets', f));
}

/**
 * Writes the site. With no earlier report to build on, into a fresh sibling directory swapped in
 * when whole, so a failed build leaves the old report. Over an earlier report whose page keys are
 * known, in place: only the pages whose key changed are written, files no page names any more are
 * deleted, and PAGES_FILE is removed first and written last, so a build stopped half-way leaves
 * pages from two commits that the next build does not trust (it then builds afresh). At 100,000
 * models that is the difference between writing 700 MB in 100,000 files and writing the few
 * pages a commit changes (each written beside its place and renamed over it, so a reader of the
 * site never sees half a page); linking the unchanged pages into a fresh directory instead
 * costs a link and an unlink per page, seconds on their own.
 * Pages are written by another thread as they are made: creating 10,000 files is mostly kernel
 * time, which then overlaps the rendering instead of following it.
 */
async function writeSite(
  out: string,
  render: (keep: (path: string, key: string) => boolean) => Iterable<SitePage>,
  earlier: PageList,
  writer: SiteWriter,
  marker: Record<string, unknown>,
  version: string,
): Promise<WriteAnswer> {
  const existing = earlier.size > 0 ? listReport(out) : undefined;
  if (existing) return updateSite(out, render, earlier, existing, writer, marker, version);
  const tmp = `${out}.tmp-${process.pid}-${Date.now()}`;
  makeDirs(join(tmp, 'assets'), out);
  try {
    let count = 0;
    const keys = new Map<string, string>();
    for (const p of render(() => false)) {
      writer.write(join(tmp, p.path), p.html!);
      if (p.key !== undefined) keys.set(p.path, p.key);
      if (p.path.endsWith('.html')) count++; // (the standing scripts are files, not pages)
    }
    const list = PageList.format(versionLine(version), keys);
    writer.write(join(tmp, PAGES_FILE), list);
    await writer.finish();
    copyAssets(tmp);
    writeFileSync(join(tmp, REPORT_MARKER), JSON.stringify(marker) + '\n');
    // swap first, delete the old report after: the new one is in place as soon as it is complete
    const old = existsSync(out) ? `${out}.old-${process.pid}-${Date.now()}` : undefined;
    if (old) renameSync(out, old);
    renameSync(tmp, out);
    if (old) await rm(old, { recursive: true, force: true });
    return { pages: count, kept: 0, listDigest: PageList.digestOf(list) };
  } catch (e) {
    await writer.finish().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** The in-place half of writeSite: an earlier report, its page keys and its files. */
async function updateSite(
  out: string,
  render: (keep: (path: string, key: string) => boolean) => Iterable<SitePage>,
  earlier: PageList,
  existing: { files: Set<string>; dirs: string[] },
  writer: SiteWriter,
  marker: Record<string, unknown>,
  version: string,
): Promise<WriteAnswer> {
  const wanted = new Set<string>([REPORT_MARKER, PAGES_FILE, ...ASSET_FILES.map((f) => join('assets', f))]);
  const keep = (path: string, key: string) => earlier.get(path) === key && existing.files.has(path);
  let count = 0;
  let kept = 0;
  const keys = new Map<string, string>();
  await writeInPlace(out, render(keep), writer, (p) => {
    if (p.html === undefined && p.path.endsWith('.html')) kept++;
    if (p.key !== undefined) keys.set(p.path, p.key);
    wanted.add(p.path);
    if (p.path.endsWith('.html')) count++; // (the standing scripts are files, not pages)
  });
  for (const f of existing.files) if (!wanted.has(f)) rmSync(join(out, f), { force: true });
  for (const d of existing.dirs) {
    try {
      if (readdirSync(join(out, d)).length === 0) rmSync(join(out, d), { recursive: true });
    } catch {
      // (gone already, or not ours to remove)
    }
  }
  const list = PageList.format(versionLine(version), keys);
  sealInPlace(out, marker, list);
  return { pages: count, kept, listDigest: PageList.digestOf(list) };
}

/** Bytes of pages a build in place lets wait for the writer thread (see SiteWriter.settle). */
const IN_FLIGHT_BYTES = 4 << 20;

/**
 * What both in-place updates do with the pages: the page list goes first (from here until it is
 * back, the directory is not a report the next build builds on), each page made is written
 * beside its place and renamed over it, and `each` hears of every page, made or kept.
 */
async function writeInPlace(out: string, pages: Iterable<SitePage>, writer: SiteWriter, each: (p: SitePage) => void): Promise<void> {
  rmSync(join(out, PAGES_FILE), { force: true });
  writer.replace = true;
  try {
    for (const p of pages) {
      if (p.html !== undefined) {
        writer.write(join(out, p.path), p.html);
        // pages made faster than the disk takes them wait in memory: a few megabytes of them, not
        // (from the state) all of the largest algorithm's 30 MB at once
        await writer.settle(IN_FLIGHT_BYTES);
      }
      each(p);
    }
    await writer.finish();
  } catch (e) {
    await writer.finish().catch(() => {});
    throw e;
  }
}

/** ...and what they write last: the assets, the marker and the page list (its text). */
function sealInPlace(out: string, marker: Record<string, unknown>, list: string): void {
  mkdirSync(join(out, 'assets'), { recursive: true });
  copyAssets(out);
  writeFileSync(join(out, REPORT_MARKER), JSON.stringify(marker) + '\n');
  writeFileSync(join(out, PAGES_FILE), list);
}

/** What a write of the site says: its pages, those kept from the earlier report, and its page list's digest (for the report state). */
interface WriteAnswer {
  pages: number;
  kept: number;
  listDigest: string;
}

/**
 * Writes a build from the report state over the report it started from: the pages it made, its
 * page list (the earlier one less the pages `drop` names, with the keys of the pages it made), and
 * deletes the pages of the earlier list the new one does not have (a removed model, a dataset with
 * no results left, an algorithm gone), as updateSite does without listing the directory.
 */
async function writeFromState(
  out: string,
  pages: Iterable<SitePage>,
  earlier: PageList,
  drop: PageDrops,
  writer: SiteWriter,
  marker: Record<string, unknown>,
  version: string,
): Promise<WriteAnswer> {
  const made = new Map<string, string>();
  let written = 0;
  await writeInPlace(out, pages, writer, (p) => {
    if (p.html !== undefined && p.path.endsWith('.html')) written++;
    if (p.key !== undefined) made.set(p.path, p.key);
  });
  const { text, removed } = earlier.update(versionLine(version), made, drop);
  for (const path of removed) {
    rmSync(join(out, path), { force: true });
    // and the directories that held only it (the whole build makes none empty)
    for (let dir = dirname(path); dir !== '.' && dir !== ''; dir = dirname(dir)) {
      try {
        if (readdirSync(join(out, dir)).length > 0) break;
        rmSync(join(out, dir), { recursive: true });
      } catch {
        break;
      }
    }
  }
  sealInPlace(out, marker, text);
  const count = 1 + htmlPagesIn(text); // (the overview has no key)
  return { pages: count, kept: count - written, listDigest: PageList.digestOf(text) };
}
