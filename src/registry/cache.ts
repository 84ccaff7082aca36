// The snapshot cache: a derived index of the metadata files under `<git dir>/modelgit/snapshots/`,
// keyed by the id of the models directory's tree. A tree id names its content exactly, so a hit
// is the same data git would give; a new tree is reached from a cached one by reading only the
// blobs `git diff-tree` reports as changed. Nothing here is ever needed for a correct answer: a
// missing, stale or corrupt file means a rebuild from git (corruption also prints a warning), and
// MODELGIT_NO_CACHE=1 skips it all.
//
// Files (all written to a temporary name and renamed, so a concurrent reader sees a whole file):
//   <tree>.full   every metadata file of that tree: path, blob id, parse outcome, and its text
//   <tree>.delta  the changes from a .full base to that tree (small; written after each commit)
//   HEAD          the tree the last read of HEAD used: the starting point for the next diff
//   <tree>.sum    that tree's summary manifest: the problems a snapshot reports, and per algorithm
//                 the key of its summary section (list/best/cleanup read these two files only)
//   <algo>.<key>.alg  one algorithm's summary section: per model its id, blob id, summary
//                 (summary.ts) and text, keyed by a hash of the algorithm's files and blob ids
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync, utimesSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { ErrorLocation } from '../errors.js';
import type { ModelSummary, SummaryResult } from '../domain/summary.js';
import { cryptoLib } from '../lazy.js';

export const CACHE_FORMAT = 2;
const MAGIC = 'modelgit-snapshot-cache';
const RECORD = 32; // per file: blob id (20 bytes), text offset, text length, text crc32 (u32 LE each)

/** Where texts are: in memory, or in a cache file read a chunk at a time when first needed. */
export interface TextSource {
  bytes(off: number, len: number): Buffer;
}

export class MemoryTexts implements TextSource {
  constructor(private readonly buf: Buffer) {}
  bytes(off: number, len: number): Buffer {
    return this.buf.subarray(off, off + len);
  }
}

// A query usually needs the texts of one algorithm, which lie together in the file (path
// order); reading the whole file up front would cost a 100,000-model read ~100 ms and ~100 MB.
const CHUNK = 1 << 20;

class FileTexts implements TextSource {
  private readonly chunks = new Map<number, Buffer>();
  constructor(private readonly fd: number, private readonly size: number) {}
  bytes(off: number, len: number): Buffer {
    if (off + len > this.size) throw new CorruptCacheError('text out of range');
    const first = Math.floor(off / CHUNK);
    if (Math.floor((off + len - 1) / CHUNK) === first || len === 0) {
      let chunk = this.chunks.get(first);
      if (!chunk) {
        chunk = this.read(first * CHUNK, Math.min(CHUNK, this.size - first * CHUNK));
        this.chunks.set(first, chunk);
      }
      return chunk.subarray(off - first * CHUNK, off - first * CHUNK + len);
    }
    return this.read(off, len);
  }
  private read(at: number, len: number): Buffer {
    const buf = Buffer.allocUnsafe(len);
    let done = 0;
    while (done < len) {
      const n = readSync(this.fd, buf, done, len - done, at + done);
      if (n === 0) throw new CorruptCacheError('file shorter than its header says');
      done += n;
    }
    return buf;
  }
}

/**
 * One metadata file of a tree. Its model id is its file name unless `problem` says it isn't a
 * model (parsing guarantees the two agree), so ids are never stored.
 */
export interface IndexEntry {
  path: string;
  /** the blob id: 20 raw bytes at `oidAt` */
  oids: Buffer;
  oidAt: number;
  /** the text: `len` bytes at `off` */
  texts: TextSource;
  off: number;
  len: number;
  /** crc32 of the text, checked when the text is parsed */
  crc: number;
  problem?: ErrorLocation;
}

export interface CachedIndex {
  tree: string;
  entries: IndexEntry[];
  /** for a delta: the full index it applies to, and its own changes (so a next delta can extend them) */
  base?: string;
  changes?: IndexEntry[];
  removed?: string[];
  /** the files it came from (a text failing its checksum means one of them is damaged) */
  files?: string[];
}

interface Header {
  format: number;
  kind: 'full' | 'delta';
  tree: string;
  models_dir: string;
  base?: string;
  removed?: string[];
  count: number;
  problems: [index: number, problem: ErrorLocation][];
  paths_bytes: number;
  texts_bytes: number;
  /** crc32 of the paths and records (each text has its own) */
  crc: number;
}

export class CorruptCacheError extends Error {}
/** A file another version of modelgit wrote: not damage, so it is replaced without a warning. */
class OtherFormat extends Error {}

export const SUMMARY_FORMAT = 2;
const MANIFEST_MAGIC = 'modelgit-summary-manifest';
const SECTION_MAGIC = 'modelgit-summary-section';

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

interface SectionHeader {
  format: number;
  key: string;
  algorithm: string;
  models_dir: string;
  count: number;
  /** the items, their summaries without `testing` */
  index_bytes: number;
  crc: number;
  /** every item's `testing` (null where the summary is 0), one JSON array */
  results_bytes: number;
  results_crc: number;
  texts_bytes: number;
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
  texts: TextSource;
  textsAt: number;
  file: string;
}

/** A section item's text, or undefined when it fails its checksum (the section file is damaged). */
export function sectionText(s: Section, item: SectionItem): Buffer | undefined {
  const buf = s.texts.bytes(s.textsAt + item[ITEM_OFF], item[ITEM_LEN]);
  return crc32(buf) >>> 0 === item[ITEM_CRC] ? buf : undefined;
}

/** The key of a section: a hash of what it is made from (the algorithm's files and their blob ids). */
export function sectionKey(modelsDir: string, algorithm: string, files: { id: string; oid: string }[]): string {
  const h = cryptoLib().createHash('sha1');
  h.update(`${SUMMARY_FORMAT}\0${modelsDir}\0${algorithm}\0`);
  for (const f of files) h.update(`${f.id}\0${f.oid}\n`);
  return h.digest('hex');
}

export function oidOf(e: IndexEntry): string {
  return e.oids.toString('hex', e.oidAt, e.oidAt + 20);
}

export function textOf(e: IndexEntry): string {
  return e.texts.bytes(e.off, e.len).toString('utf8');
}

export function textIntact(e: IndexEntry): boolean {
  return crc32(e.texts.bytes(e.off, e.len)) >>> 0 === e.crc;
}

/**
 * The header of a cache file: a magic line, then one line of JSON; the body starts after it. Throws
 * CorruptCacheError (`notIt` when the magic is wrong) for anything else.
 */
function readHeader<T>(texts: TextSource, size: number, magic: string, notIt: string): { header: T; bodyAt: number } {
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

/** Entries built in this process: blob id and text copied into shared slabs, not one buffer each. */
export class EntryWriter {
  private slab = Buffer.allocUnsafe(0);
  private source: TextSource = new MemoryTexts(this.slab);
  private used = 0;
  add(path: string, oid: string, text: string, problem?: ErrorLocation): IndexEntry {
    const len = Buffer.byteLength(text);
    if (this.used + 20 + len > this.slab.length) {
      this.slab = Buffer.allocUnsafe(Math.max(4 << 20, 20 + len));
      this.source = new MemoryTexts(this.slab);
      this.used = 0;
    }
    const oidAt = this.used;
    this.slab.write(oid, oidAt, 20, 'hex');
    const off = oidAt + 20;
    this.slab.write(text, off, len, 'utf8');
    this.used = off + len;
    const e: IndexEntry = { path, oids: this.slab, oidAt, texts: this.source, off, len, crc: crc32(this.slab.subarray(off, off + len)) >>> 0 };
    if (problem) e.problem = problem;
    return e;
  }
}

/** Byte order of paths, as git sorts them (full paths compare like git's tree order). */
export function comparePaths(a: string, b: string): number {
  if (a === b) return 0;
  // ASCII paths (the norm: names are checked) compare the same as UTF-16; others go by bytes.
  if (/^[\x00-\x7f]*$/.test(a) && /^[\x00-\x7f]*$/.test(b)) return a < b ? -1 : 1;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export class SnapshotCache {
  readonly dir: string;
  private readonly modelsDir: string;
  private warned = false;
  private readonly warn: (message: string) => void;
  /** whether the cache can be written at all (a read-only repository still reads correctly) */
  private writable = true;

  constructor(dir: string, modelsDir: string, warn: (message: string) => void = (m) => process.stderr.write(m)) {
    this.dir = dir;
    this.modelsDir = modelsDir;
    this.warn = warn;
  }

  private file(tree: string, kind: 'full' | 'delta'): string {
    return join(this.dir, `${tree}.${kind}`);
  }

  /** Warns once per process, then removes the bad files so the next run rebuilds quietly. */
  corrupt(files: string | string[], reason: string): void {
    const list = typeof files === 'string' ? [files] : files;
    if (!this.warned) {
      this.warned = true;
      this.warn(`modelgit: warning: the snapshot cache ${list.join(' + ')} is unreadable (${reason}); rebuilding it from git\n`);
    }
    list.forEach(remove);
  }

  /** Removes a file that could not be used: silently when another version wrote it, else as damage. */
  private discard(file: string, e: unknown): void {
    if (e instanceof OtherFormat) remove(file);
    else this.corrupt(file, e instanceof CorruptCacheError ? e.message : String(e));
  }

  /** The index of `tree` from a .full file or a .delta on a .full, or undefined. */
  load(tree: string): CachedIndex | undefined {
    const full = this.readFile(this.file(tree, 'full'), tree, 'full');
    if (full) return full;
    const delta = this.readFile(this.file(tree, 'delta'), tree, 'delta');
    if (!delta || !delta.base) return undefined;
    const base = this.readFile(this.file(delta.base, 'full'), delta.base, 'full');
    if (!base) return undefined; // pruned meanwhile: a miss, not a fault
    return { tree, base: delta.base, changes: delta.entries, removed: delta.removed, files: [...delta.files!, ...base.files!], entries: applyChanges(base.entries, delta.entries, delta.removed ?? []) };
  }

  /** The tree the last read of HEAD used, if any. */
  headTree(): string | undefined {
    try {
      const t = readFileSync(join(this.dir, 'HEAD'), 'utf8').trim();
      return /^[0-9a-f]{40,64}$/.test(t) ? t : undefined;
    } catch {
      return undefined;
    }
  }

  setHeadTree(tree: string): void {
    if (this.headTree() === tree) return;
    this.atomicWrite(join(this.dir, 'HEAD'), [Buffer.from(tree + '\n')]);
  }

  private readFile(file: string, tree: string, kind: 'full' | 'delta'): CachedIndex | undefined {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return undefined;
    }
    try {
      const index = this.decode(fd, tree, kind);
      index.files = [file];
      touch(file);
      return index;
    } catch (e) {
      closeSync(fd);
      this.discard(file, e);
      return undefined;
    }
  }

  /** Reads the header, paths and records (checked whole); texts stay in the file until used. */
  private decode(fd: number, tree: string, kind: 'full' | 'delta'): CachedIndex {
    const size = fstatSync(fd).size;
    const texts = new FileTexts(fd, size);
    const { header: h, bodyAt } = readHeader<Header>(texts, size, MAGIC, 'not a snapshot cache file');
    if (h.format !== CACHE_FORMAT) throw new OtherFormat();
    if (h.kind !== kind || h.tree !== tree) throw new CorruptCacheError('header names another tree');
    if (h.models_dir !== this.modelsDir) throw new CorruptCacheError('written for another models_dir');
    const pathsAt = bodyAt;
    const recordsAt = pathsAt + h.paths_bytes;
    const textsAt = recordsAt + RECORD * h.count;
    if (size !== textsAt + h.texts_bytes) throw new CorruptCacheError('truncated or padded');
    const index = texts.bytes(pathsAt, textsAt - pathsAt);
    if (crc32(index) >>> 0 !== h.crc) throw new CorruptCacheError('checksum mismatch');
    const paths = h.count ? index.toString('utf8', 0, h.paths_bytes).split('\0') : [];
    if (paths.length !== h.count) throw new CorruptCacheError('path count mismatch');
    const entries: IndexEntry[] = new Array(h.count);
    for (let i = 0, r = h.paths_bytes; i < h.count; i++, r += RECORD) {
      const off = textsAt + index.readUInt32LE(r + 20);
      const len = index.readUInt32LE(r + 24);
      if (off + len > size) throw new CorruptCacheError('text out of range');
      entries[i] = { path: paths[i]!, oids: index, oidAt: r, texts, off, len, crc: index.readUInt32LE(r + 28) };
    }
    for (const [i, problem] of h.problems) {
      const e = entries[i];
      if (!e) throw new CorruptCacheError('problem out of range');
      e.problem = problem;
    }
    return { tree, entries, base: h.base, removed: h.removed };
  }

  /** Writes the whole index of `tree`. */
  saveFull(tree: string, entries: IndexEntry[]): void {
    this.save(this.file(tree, 'full'), { kind: 'full', tree }, entries);
    this.prune(tree);
  }

  /** Writes `tree` as changes on the full index `base`. */
  saveDelta(tree: string, base: string, changes: IndexEntry[], removed: string[]): void {
    this.save(this.file(tree, 'delta'), { kind: 'delta', tree, base, removed }, changes);
  }

  private save(file: string, head: Pick<Header, 'kind' | 'tree' | 'base' | 'removed'>, entries: IndexEntry[]): void {
    if (!this.writable) return;
    const pathsBuf = Buffer.from(entries.map((e) => e.path).join('\0'), 'utf8');
    const records = Buffer.alloc(RECORD * entries.length);
    const texts: Buffer[] = [];
    const problems: Header['problems'] = [];
    let off = 0;
    entries.forEach((e, i) => {
      const r = RECORD * i;
      e.oids.copy(records, r, e.oidAt, e.oidAt + 20);
      records.writeUInt32LE(off, r + 20);
      records.writeUInt32LE(e.len, r + 24);
      records.writeUInt32LE(e.crc, r + 28);
      texts.push(e.texts.bytes(e.off, e.len));
      off += e.len;
      if (e.problem) problems.push([i, e.problem]);
    });
    const crc = crc32(records, crc32(pathsBuf)) >>> 0;
    const header: Header = { format: CACHE_FORMAT, ...head, models_dir: this.modelsDir, count: entries.length, problems, paths_bytes: pathsBuf.length, texts_bytes: off, crc };
    this.atomicWrite(file, [Buffer.from(`${MAGIC}\n${JSON.stringify(header)}\n`), pathsBuf, records, ...texts]);
  }

  private atomicWrite(file: string, parts: Buffer[]): void {
    if (!this.writable) return;
    const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    try {
      mkdirSync(this.dir, { recursive: true });
      const fd = openSync(tmp, 'w');
      try {
        // writev in batches: no copy of the texts into one big buffer.
        for (let i = 0; i < parts.length; i += 1024) writevSync(fd, parts.slice(i, i + 1024));
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
    } catch {
      // A read-only or full disk only costs speed; the answer never depended on the cache.
      this.writable = false;
      try {
        unlinkSync(tmp);
      } catch {
        /* never created */
      }
    }
  }

  // ---------- summaries ----------

  /** The summary manifest of `tree`, or undefined (a damaged one is removed with a warning). */
  loadManifest(tree: string): Manifest | undefined {
    const file = join(this.dir, `${tree}.sum`);
    let buf: Buffer;
    try {
      buf = readFileSync(file);
    } catch {
      return undefined;
    }
    try {
      const nl1 = buf.indexOf(10);
      if (nl1 < 0 || buf.toString('latin1', 0, nl1) !== MANIFEST_MAGIC) throw new CorruptCacheError('not a summary manifest');
      const sp = buf.indexOf(32, nl1 + 1);
      if (sp < 0 || buf[buf.length - 1] !== 10) throw new CorruptCacheError('truncated');
      const body = buf.subarray(sp + 1, buf.length - 1);
      if (crc32(body) >>> 0 !== Number.parseInt(buf.toString('latin1', nl1 + 1, sp), 16)) throw new CorruptCacheError('checksum mismatch');
      const m = JSON.parse(body.toString('utf8')) as Manifest;
      if (m.format !== SUMMARY_FORMAT) throw new OtherFormat();
      if (m.tree !== tree) throw new CorruptCacheError('manifest names another tree');
      if (m.models_dir !== this.modelsDir) throw new CorruptCacheError('written for another models_dir');
      // The index it was made from stays the most recently used, so pruning keeps it.
      for (const f of m.index) touch(join(this.dir, f));
      return m;
    } catch (e) {
      this.discard(file, e);
      return undefined;
    }
  }

  saveManifest(m: Manifest): void {
    const body = Buffer.from(JSON.stringify(m));
    this.atomicWrite(join(this.dir, `${m.tree}.sum`), [Buffer.from(`${MANIFEST_MAGIC}\n${(crc32(body) >>> 0).toString(16)} `), body, Buffer.from('\n')]);
  }

  private sectionFile(algorithm: string, key: string): string {
    return join(this.dir, `${Buffer.from(algorithm).toString('hex')}.${key}.alg`);
  }

  /** One algorithm's summary section, or undefined (a damaged one is removed with a warning). */
  loadSection(algorithm: string, key: string): Section | undefined {
    const file = this.sectionFile(algorithm, key);
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return undefined;
    }
    try {
      const size = fstatSync(fd).size;
      const texts = new FileTexts(fd, size);
      const { header: h, bodyAt } = readHeader<SectionHeader>(texts, size, SECTION_MAGIC, 'not a summary section');
      if (h.format !== SUMMARY_FORMAT) throw new OtherFormat();
      if (h.key !== key || h.algorithm !== algorithm || h.models_dir !== this.modelsDir) throw new CorruptCacheError('header names another section');
      const indexAt = bodyAt;
      const resultsAt = indexAt + h.index_bytes;
      const textsAt = resultsAt + h.results_bytes;
      if (size !== textsAt + h.texts_bytes) throw new CorruptCacheError('truncated or padded');
      const index = texts.bytes(indexAt, h.index_bytes);
      if (crc32(index) >>> 0 !== h.crc) throw new CorruptCacheError('checksum mismatch');
      const items = JSON.parse(index.toString('utf8')) as SectionItem[];
      if (!Array.isArray(items) || items.length !== h.count) throw new CorruptCacheError('model count mismatch');
      touch(file);
      let results: (SummaryResult[] | null)[] | undefined | null = null;
      const readResults = (): (SummaryResult[] | null)[] | undefined => {
        if (results !== null) return results;
        try {
          const bytes = texts.bytes(resultsAt, h.results_bytes);
          if (crc32(bytes) >>> 0 !== h.results_crc) throw new CorruptCacheError('checksum mismatch in the results');
          const parsed = JSON.parse(bytes.toString('utf8')) as (SummaryResult[] | null)[];
          if (!Array.isArray(parsed) || parsed.length !== items.length) throw new CorruptCacheError('results count mismatch');
          return (results = parsed);
        } catch (e) {
          this.corrupt(file, e instanceof CorruptCacheError ? e.message : String(e));
          return (results = undefined);
        }
      };
      return { algorithm, key, items, results: readResults, texts, textsAt, file };
    } catch (e) {
      closeSync(fd);
      this.discard(file, e);
      return undefined;
    }
  }

  /**
   * Writes a section: its items (offsets relative to the texts; whole summaries in, their
   * `testing` stored apart), the results, and the texts, in item order.
   */
  saveSection(algorithm: string, key: string, items: SectionItem[], texts: Buffer[]): void {
    if (!this.writable) return;
    const results = JSON.stringify(items.map((it) => (it[ITEM_SUMMARY] === 0 ? null : it[ITEM_SUMMARY].testing)));
    const heads = items.map((it): SectionItem => {
      const s = it[ITEM_SUMMARY];
      if (s === 0) return it;
      const { testing: _, ...head } = s;
      return [it[0], it[1], it[2], it[3], it[4], head as ModelSummary];
    });
    const index = Buffer.from(JSON.stringify(heads));
    const resultsBuf = Buffer.from(results);
    let bytes = 0;
    for (const t of texts) bytes += t.length;
    const h: SectionHeader = {
      format: SUMMARY_FORMAT,
      key,
      algorithm,
      models_dir: this.modelsDir,
      count: items.length,
      index_bytes: index.length,
      crc: crc32(index) >>> 0,
      results_bytes: resultsBuf.length,
      results_crc: crc32(resultsBuf) >>> 0,
      texts_bytes: bytes,
    };
    const file = this.sectionFile(algorithm, key);
    this.atomicWrite(file, [Buffer.from(`${SECTION_MAGIC}\n${JSON.stringify(h)}\n`), index, resultsBuf, ...texts]);
    this.pruneSections(algorithm, file);
  }

  /** The cache files holding the index of `tree` (a .full, or a .delta and its base). */
  indexFiles(tree: string): string[] {
    if (existsSync(this.file(tree, 'full'))) return [`${tree}.full`];
    try {
      const buf = readFileSync(this.file(tree, 'delta'));
      const nl1 = buf.indexOf(10);
      const base = (JSON.parse(buf.toString('utf8', nl1 + 1, buf.indexOf(10, nl1 + 1))) as Header).base;
      return base ? [`${tree}.delta`, `${base}.full`] : [];
    } catch {
      return [];
    }
  }

  /** An algorithm keeps its three most recently used sections (a branch switch finds its own). */
  private pruneSections(algorithm: string, keep: string): void {
    const prefix = `${Buffer.from(algorithm).toString('hex')}.`;
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.startsWith(prefix) && n.endsWith('.alg') && n.split('.').length === 3);
    } catch {
      return;
    }
    const aged = names.map((n) => ({ n, t: join(this.dir, n) === keep ? Infinity : mtime(join(this.dir, n)) }));
    aged.sort((a, b) => b.t - a.t);
    for (const a of aged.slice(3)) remove(join(this.dir, a.n));
  }

  /** Keeps the two most recently used full indexes and the deltas that apply to them. */
  private prune(keep: string): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    const stat = (n: string) => {
      try {
        return statSync(join(this.dir, n)).mtimeMs;
      } catch {
        return 0;
      }
    };
    const fulls = names.filter((n) => n.endsWith('.full')).map((n) => ({ n, t: n === `${keep}.full` ? Infinity : stat(n) }));
    fulls.sort((a, b) => b.t - a.t);
    const kept = new Set(fulls.slice(0, 2).map((f) => f.n.slice(0, -'.full'.length)));
    for (const f of fulls.slice(2)) remove(join(this.dir, f.n));
    const deltas = names.filter((n) => n.endsWith('.delta')).map((n) => ({ n, t: stat(n) }));
    deltas.sort((a, b) => b.t - a.t);
    deltas.forEach((d, i) => {
      let base: string | undefined;
      try {
        const buf = readFileSync(join(this.dir, d.n));
        const nl1 = buf.indexOf(10);
        const nl2 = buf.indexOf(10, nl1 + 1);
        base = (JSON.parse(buf.toString('utf8', nl1 + 1, nl2)) as Header).base;
      } catch {
        base = undefined;
      }
      if (i >= 64 || !base || !kept.has(base)) remove(join(this.dir, d.n));
      else kept.add(d.n.slice(0, -'.delta'.length));
    });
    // A manifest goes with the index of its tree.
    for (const n of names) if (n.endsWith('.sum') && !kept.has(n.slice(0, -'.sum'.length))) remove(join(this.dir, n));
    // Temporary files left by a killed writer.
    for (const n of names) if (n.includes('.tmp-') && Date.now() - stat(n) > 60_000) remove(join(this.dir, n));
  }
}

function remove(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* gone already */
  }
}

function mtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

function touch(file: string): void {
  try {
    const now = new Date();
    utimesSync(file, now, now);
  } catch {
    /* read-only: recency is only a pruning hint */
  }
}

/** `base` entries with `changes` applied (by path) and `removed` paths dropped, in git's order. */
export function applyChanges(base: IndexEntry[], changes: IndexEntry[], removed: string[]): IndexEntry[] {
  if (changes.length === 0 && removed.length === 0) return base;
  const gone = new Set(removed);
  const changed = new Map(changes.map((c) => [c.path, c]));
  const out: IndexEntry[] = [];
  for (const e of base) {
    if (gone.has(e.path)) continue;
    const c = changed.get(e.path);
    if (c) {
      out.push(c);
      changed.delete(e.path);
    } else out.push(e);
  }
  if (changed.size === 0) return out;
  // New paths go in at their sorted places (binary search; usually one or two of them).
  const added = [...changed.values()].sort((a, b) => comparePaths(a.path, b.path));
  const merged: IndexEntry[] = [];
  let from = 0;
  for (const c of added) {
    let lo = from;
    let hi = out.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (comparePaths(out[mid]!.path, c.path) < 0) lo = mid + 1;
      else hi = mid;
    }
    for (let i = from; i < lo; i++) merged.push(out[i]!);
    merged.push(c);
    from = lo;
  }
  for (let i = from; i < out.length; i++) merged.push(out[i]!);
  return merged;
}

export function cacheDisabled(): boolean {
  const v = process.env.MODELGIT_NO_CACHE;
  return v !== undefined && v !== '' && v !== '0';
}

