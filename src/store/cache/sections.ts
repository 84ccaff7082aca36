// The summary files of the snapshot cache, which list/best/cleanup read instead of a whole index:
// a tree's manifest (its snapshot's problems and exclusions, and a section key per algorithm) and
// one algorithm's section (per model its id, blob id, summary and text; test results stored apart,
// grouped by dataset, so ranking on one dataset parses only its group). This file holds their
// shapes and the rules for their keys, items and results; SnapshotCache reads and writes them.
import { crc32 } from 'node:zlib';
import type { ErrorLocation } from '../../errors.js';
import type { ModelSummary, SummaryResult } from '../../domain/summary.js';
import { cryptoLib } from '../../lazy.js';
import { CorruptCacheError, type TextSource } from './snapshot-file.js';

// 5: as CACHE_FORMAT 5 (summaries of files past the limits must not survive).
export const SUMMARY_FORMAT = 5;
export const MANIFEST_MAGIC = 'modelgit-summary-manifest';
export const SECTION_MAGIC = 'modelgit-summary-section';

/** What list/best/cleanup need of a tree besides its models' summaries. */
export interface Manifest {
  format: number;
  tree: string;
  models_dir: string;
  /** metadata files in the tree */
  count: number;
  /** the snapshot's problems, in its order */
  problems: ErrorLocation[];
  /** per algorithm directory with a file that parsed: name, section key, how many of its models count (in path order) */
  algorithms: [name: string, key: string, models: number][];
  /** files that parsed but whose id an earlier file holds (reported among the problems) */
  excluded: string[];
  /** the index files it was made from, kept fresh so pruning keeps them */
  index: string[];
}

/** [model id, blob id, text offset, text length, text crc32, summary or 0 when the summary can't be trusted to round-trip] */
export type SectionItem = [id: string, oid: string, off: number, len: number, crc: number, summary: ModelSummary | 0];
export const ITEM_ID = 0;
export const ITEM_OID = 1;
export const ITEM_OFF = 2;
export const ITEM_LEN = 3;
export const ITEM_CRC = 4;
export const ITEM_SUMMARY = 5;

export interface SectionHeader {
  format: number;
  key: string;
  algorithm: string;
  models_dir: string;
  count: number;
  /** the items, their summaries without `testing` */
  index_bytes: number;
  crc: number;
  /** every item's `testing`, one JSON document per dataset (resultGroups): [group, bytes, crc] */
  results: [group: string, bytes: number, crc: number][];
  texts_bytes: number;
}

/** One dataset's results of a section: per item its [index in `testing`, result] pairs, or null. */
export type ResultGroup = ([number, SummaryResult][] | null)[];

/** The group a result is stored in: its dataset's, or one for results without a dataset name. */
function groupOf(r: SummaryResult): string {
  return r !== null && typeof r === 'object' && typeof r.dataset === 'string' ? `d:${r.dataset}` : '*';
}

/**
 * The items' results split by dataset (groups in order of first appearance), so a query on one
 * dataset parses only its group. `testings[i]` null (a summary that isn't stored) has no results.
 */
export function resultGroups(testings: (SummaryResult[] | null)[]): Map<string, ResultGroup> {
  const groups = new Map<string, ResultGroup>();
  testings.forEach((testing, i) => {
    testing?.forEach((r, at) => {
      const key = groupOf(r);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = new Array(testings.length).fill(null)));
      (g[i] ??= []).push([at, r]);
    });
  });
  return groups;
}

/** The items' whole `testing` arrays back from their groups (resultGroups inverted). */
export function joinResultGroups(stored: boolean[], groups: Iterable<ResultGroup>): (SummaryResult[] | null)[] {
  const out: (SummaryResult[] | null)[] = stored.map((s) => (s ? [] : null));
  for (const g of groups) {
    g.forEach((pairs, i) => {
      if (pairs && out[i]) for (const [at, r] of pairs) out[i]![at] = r;
    });
  }
  return out;
}

/** One algorithm's models (every file of its directory that parsed), in path order. */
export interface Section {
  algorithm: string;
  key: string;
  /** the summaries of a loaded section have no `testing`: that is in `results()` */
  items: SectionItem[];
  /**
   * Every item's test results (its summary's `testing`), parsed on first use — `list` by date
   * never needs them, and they are most of the summaries; undefined when damaged (after a warning).
   */
  results: () => (SummaryResult[] | null)[] | undefined;
  /** The items' results on one dataset (what ranking on it reads), parsed alone; undefined when damaged. */
  resultsOn: (dataset: string) => ResultGroup | undefined;
  texts: TextSource;
  textsAt: number;
  file: string;
}

/** Whether a summary holds its results (one built in this process) or they are the section's to read. */
export function hasResults(s: ModelSummary): boolean {
  return Object.prototype.hasOwnProperty.call(s, 'testing');
}

/** A section item's text, or undefined when it fails its checksum (the section file is damaged). */
export function sectionText(s: Section, item: SectionItem): Buffer | undefined {
  const buf = s.texts.bytes(s.textsAt + item[ITEM_OFF], item[ITEM_LEN]);
  return crc32(buf) >>> 0 === item[ITEM_CRC] ? buf : undefined;
}

/** A section's results read from its items' whole summaries (a section built in this process). */
export function resultsInMemory(items: SectionItem[]): Pick<Section, 'results' | 'resultsOn'> {
  const testings = items.map((it) => (it[ITEM_SUMMARY] === 0 ? null : it[ITEM_SUMMARY].testing));
  let groups: Map<string, ResultGroup> | undefined;
  return { results: () => testings, resultsOn: (dataset) => (groups ??= resultGroups(testings)).get(`d:${dataset}`) ?? new Array(items.length).fill(null) };
}

/** The key of a section: a hash of what it is made from (the algorithm's files and their blob ids). */
export function sectionKey(modelsDir: string, algorithm: string, files: Iterable<{ id: string; oid: string }>): string {
  const h = cryptoLib().createHash('sha1');
  h.update(`${SUMMARY_FORMAT}\0${modelsDir}\0${algorithm}\0`);
  for (const f of files) h.update(`${f.id}\0${f.oid}\n`);
  return h.digest('hex');
}

/**
 * The header of a cache file: a magic line, then one line of JSON; the body starts after it. Throws
 * CorruptCacheError (`notIt` when the magic is wrong) for anything else.
 */
export function readHeader<T>(texts: TextSource, size: number, magic: string, notIt: string): { header: T; bodyAt: number } {
  let head = texts.bytes(0, Math.min(size, 1 << 16));
  const nl1 = head.indexOf(10);
  if (nl1 < 0 || head.toString('latin1', 0, nl1) !== magic) throw new CorruptCacheError(notIt);
  let nl2 = head.indexOf(10, nl1 + 1);
  if (nl2 < 0 && size > head.length) {
    // A long header (a snapshot with many problems) is longer than the first read.
    head = texts.bytes(0, size);
    nl2 = head.indexOf(10, nl1 + 1);
  }
  if (nl2 < 0) throw new CorruptCacheError('truncated header');
  try {
    return { header: JSON.parse(head.toString('utf8', nl1 + 1, nl2)) as T, bodyAt: nl2 + 1 };
  } catch {
    throw new CorruptCacheError('unreadable header');
  }
}
