// The snapshot cache: a derived index of the metadata files under `<git dir>/modelgit/snapshots/`,
// keyed by the id of the models directory's tree. A tree id names its content exactly, so a hit
// is the same data git would give; a new tree is reached from a cached one by reading only the
// blobs `git diff-tree` reports as changed. Nothing here is ever needed for a correct answer: a
// missing, stale or corrupt file means a rebuild from git (corruption also prints a warning), and
// MODELGIT_NO_CACHE=1 skips it all.
//
// Files (all written to a temporary name and renamed, so a concurrent reader sees a whole file):
//   <tree>.full   every metadata file of that tree: path, blob id, parse outcome, and its text
//                 (texts first, then paths, records and the header, so it is written as the blobs
//                 are read: see IndexFileWriter)
//   <tree>.delta  the changes from a .full base to that tree (small; written after each commit)
//   HEAD          the tree the last read of HEAD used: the starting point for the next diff
//   <tree>.sum    that tree's summary manifest: the problems a snapshot reports, and per algorithm
//                 the key of its summary section (list/best/cleanup read these two files only)
//   <algo>.<key>.alg  one algorithm's summary section: per model its id, blob id, summary
//                 (summary.ts) and text, keyed by a hash of the algorithm's files and blob ids
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync, writeSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { ErrorLocation } from '../../errors.js';
import type { ModelSummary, SummaryResult } from '../../domain/summary.js';
import { cryptoLib } from '../../lazy.js';
import { cacheWriteFailed, mtime, remove, tempName, touch } from './files.js';
import { isMissing, openCacheFile, readCacheFile, UnsafeFileError } from '../../loading/safe-files.js';

// 5: model files past the size/depth limits (limits.ts) are problems now, not models; problems carry
// what a query needs to decide whether they could change its answer.
export const CACHE_FORMAT = 5;
const MAGIC = 'modelgit-snapshot-cache';
const MAGIC_LINE = Buffer.from(`${MAGIC}\n`);
const RECORD = 32; // per file: blob id (20 bytes), text offset, text length, text crc32 (u32 LE each)
// A .full/.delta file ends with its header (JSON) and this trailer: "\n", the header's length and
// crc32 (8 hex digits each, a space between) and "\n". The header comes last because the texts
// are written as they are read, before the paths, records and counts are known.
const TRAILER = 19;

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
  /** Bytes read now and not kept (an index or header: read once, held by its reader). */
  read(at: number, len: number): Buffer {
    if (at + len > this.size) throw new CorruptCacheError('file shorter than its header says');
    return readAt(this.fd, at, len);
  }
}

function readAt(fd: number, at: number, len: number): Buffer {
  const buf = Buffer.allocUnsafe(len);
  let done = 0;
  while (done < len) {
    const n = readSync(fd, buf, done, len - done, at + done);
    if (n === 0) throw new CorruptCacheError('file shorter than its header says');
    done += n;
  }
  return buf;
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

/** The header of a .full or .delta file: after its magic line, texts, paths and records; before its trailer. */
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

// 5: as CACHE_FORMAT 5 (summaries of files past the limits must not survive).
export const SUMMARY_FORMAT = 5;
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

/** Where the entries of texts read from git go: memory (EntryWriter) or a cache file (IndexFileWriter). */
export interface EntrySink {
  add(path: string, oid: string, text: string, problem?: ErrorLocation): IndexEntry;
}

/** Entries built in this process: blob id and text copied into shared slabs, not one buffer each. */
export class EntryWriter implements EntrySink {
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

/** The end of a .full/.delta file: says where its header starts and guards it with a crc32. */
function indexTrailer(header: Buffer): Buffer {
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  return Buffer.from(`\n${hex(header.length)} ${hex(crc32(header) >>> 0)}\n`, 'latin1');
}

/** The header length and crc32 an index trailer holds, or undefined when it isn't one. */
function parseIndexTrailer(bytes: Buffer): { length: number; crc: number } | undefined {
  const m = /^\n([0-9a-f]{8}) ([0-9a-f]{8})\n$/.exec(bytes.toString('latin1'));
  return m ? { length: Number.parseInt(m[1]!, 16), crc: Number.parseInt(m[2]!, 16) } : undefined;
}

/** Writing a cache file failed (disk full, read-only): the cache is given up, never the answer. */
export class CacheWriteError extends Error {}

const RECORDS_PER_SLAB = 4096;

/**
 * Writes a .full or .delta file as its entries come: each text goes to the file (through a 1 MB
 * buffer) when it is added, and the entries returned read it back from there, so indexing
 * 100,000 models never holds all their texts (~90 MB) at once. `finish` appends the paths,
 * records and header and renames the file into place; the entries stay readable after that.
 */
export class IndexFileWriter implements EntrySink, TextSource {
  private readonly pending = Buffer.allocUnsafe(CHUNK);
  private pendingBytes = 0;
  /** bytes already in the file; the pending ones follow them */
  private fileBytes = 0;
  private readonly paths: string[] = [];
  private readonly slabs: Buffer[] = [];
  private slabUsed = RECORD * RECORDS_PER_SLAB;
  private readonly problems: Header['problems'] = [];
  private written?: FileTexts;

  constructor(
    private readonly fd: number,
    private readonly tmp: string,
    readonly file: string,
    private readonly head: Pick<Header, 'kind' | 'tree' | 'models_dir' | 'base' | 'removed'>,
  ) {
    this.out(MAGIC_LINE);
  }

  /** A text read from git; its crc32 is taken here. */
  add(path: string, oid: string, text: string, problem?: ErrorLocation): IndexEntry {
    const len = Buffer.byteLength(text);
    const { off, bytes } = this.put(len, (into) => into.write(text, 0, len, 'utf8'));
    return this.entry(path, Buffer.from(oid, 'hex'), 0, off, len, crc32(bytes) >>> 0, problem);
  }

  /** An entry of another index, with its recorded crc32 (so a damaged text stays detectable). */
  copy(e: IndexEntry): void {
    const text = e.texts.bytes(e.off, e.len);
    const { off } = this.put(e.len, (into) => text.copy(into));
    this.entry(e.path, e.oids, e.oidAt, off, e.len, e.crc, e.problem);
  }

  bytes(off: number, len: number): Buffer {
    if (this.written) return this.written.bytes(off, len);
    if (off + len > this.fileBytes) this.flush();
    return readAt(this.fd, off, len);
  }

  /** Writes the index and header and puts the file in place. */
  finish(): void {
    this.flush();
    const textsBytes = this.fileBytes - MAGIC_LINE.length;
    const paths = Buffer.from(this.paths.join('\0'), 'utf8');
    const records = this.slabs.map((slab, i) => (i === this.slabs.length - 1 ? slab.subarray(0, this.slabUsed) : slab));
    let crc = crc32(paths);
    for (const r of records) crc = crc32(r, crc);
    const { kind, tree, models_dir, base, removed } = this.head;
    const header: Header = { format: CACHE_FORMAT, kind, tree, base, removed, models_dir, count: this.paths.length, problems: this.problems, paths_bytes: paths.length, texts_bytes: textsBytes, crc: crc >>> 0 };
    const json = Buffer.from(JSON.stringify(header));
    for (const part of [paths, ...records, json, indexTrailer(json)]) this.out(part);
    this.io(() => renameSync(this.tmp, this.file));
    this.written = new FileTexts(this.fd, this.fileBytes);
  }

  /** Done with the file (its entries can't be read any more). */
  close(): void {
    closeSync(this.fd);
  }

  /** Drops the unfinished file. */
  abandon(): void {
    try {
      closeSync(this.fd);
    } catch {
      /* closed already */
    }
    remove(this.tmp);
  }

  /** Puts the next text in the file, through the write buffer; where it is and its bytes (valid until the next put). */
  private put(len: number, fill: (into: Buffer) => void): { off: number; bytes: Buffer } {
    if (len > CHUNK) {
      // Bigger than the buffer: written around it.
      this.flush();
      const bytes = Buffer.allocUnsafe(len);
      fill(bytes);
      const off = this.fileBytes;
      this.out(bytes);
      return { off, bytes };
    }
    if (this.pendingBytes + len > CHUNK) this.flush();
    const off = this.fileBytes + this.pendingBytes;
    const bytes = this.pending.subarray(this.pendingBytes, this.pendingBytes + len);
    fill(bytes);
    this.pendingBytes += len;
    return { off, bytes };
  }

  private entry(path: string, oids: Buffer, oidAt: number, off: number, len: number, crc: number, problem?: ErrorLocation): IndexEntry {
    if (this.slabUsed === RECORD * RECORDS_PER_SLAB) {
      this.slabs.push(Buffer.alloc(RECORD * RECORDS_PER_SLAB));
      this.slabUsed = 0;
    }
    // Offsets and lengths are 32-bit.
    if (off - MAGIC_LINE.length + len > 0xffffffff) throw new CacheWriteError('texts past 4 GiB');
    const slab = this.slabs[this.slabs.length - 1]!;
    const r = this.slabUsed;
    oids.copy(slab, r, oidAt, oidAt + 20);
    slab.writeUInt32LE(off - MAGIC_LINE.length, r + 20);
    slab.writeUInt32LE(len, r + 24);
    slab.writeUInt32LE(crc, r + 28);
    this.slabUsed += RECORD;
    if (problem) this.problems.push([this.paths.length, problem]);
    this.paths.push(path);
    const e: IndexEntry = { path, oids: slab, oidAt: r, texts: this, off, len, crc };
    if (problem) e.problem = problem;
    return e;
  }

  private flush(): void {
    if (this.pendingBytes === 0) return;
    const n = this.pendingBytes;
    this.pendingBytes = 0;
    this.out(this.pending.subarray(0, n));
  }

  private out(bytes: Buffer): void {
    this.io(() => {
      for (let done = 0; done < bytes.length; ) done += writeSync(this.fd, bytes, done, bytes.length - done, this.fileBytes + done);
    });
    this.fileBytes += bytes.length;
  }

  private io(f: () => void): void {
    try {
      f();
    } catch (e) {
      throw new CacheWriteError((e as Error).message, { cause: e });
    }
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
    else this.corrupt(file, e instanceof CorruptCacheError || e instanceof UnsafeFileError ? e.message : String(e));
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
      const t = readCacheFile(join(this.dir, 'HEAD'), 4096).toString('utf8').trim();
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
      // Not followed if a link, never blocking, a regular file (safe-files.ts); else damage.
      fd = openCacheFile(file).fd;
    } catch (e) {
      if (!isMissing(e)) this.discard(file, e);
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
    const { header: h, headerAt } = readIndexHeader(texts, size);
    if (h.format !== CACHE_FORMAT) throw new OtherFormat();
    if (h.kind !== kind || h.tree !== tree) throw new CorruptCacheError('header names another tree');
    if (h.models_dir !== this.modelsDir) throw new CorruptCacheError('written for another models_dir');
    const textsAt = MAGIC_LINE.length;
    const pathsAt = textsAt + h.texts_bytes;
    if (pathsAt + h.paths_bytes + RECORD * h.count !== headerAt) throw new CorruptCacheError('truncated or padded');
    const index = texts.read(pathsAt, headerAt - pathsAt);
    if (crc32(index) >>> 0 !== h.crc) throw new CorruptCacheError('checksum mismatch');
    const paths = h.count ? index.toString('utf8', 0, h.paths_bytes).split('\0') : [];
    if (paths.length !== h.count) throw new CorruptCacheError('path count mismatch');
    const entries: IndexEntry[] = new Array(h.count);
    for (let i = 0, r = h.paths_bytes; i < h.count; i++, r += RECORD) {
      const at = index.readUInt32LE(r + 20);
      const len = index.readUInt32LE(r + 24);
      if (at + len > h.texts_bytes) throw new CorruptCacheError('text out of range');
      entries[i] = { path: paths[i]!, oids: index, oidAt: r, texts, off: textsAt + at, len, crc: index.readUInt32LE(r + 28) };
    }
    for (const [i, problem] of h.problems) {
      const e = entries[i];
      if (!e) throw new CorruptCacheError('problem out of range');
      e.problem = problem;
    }
    return { tree, entries, base: h.base, removed: h.removed };
  }

  /**
   * A writer of the whole index of `tree`, streamed as its texts are read (see IndexFileWriter),
   * or undefined when the cache can't be written. End it with `finishFull` or `abandon`.
   */
  fullWriter(tree: string): IndexFileWriter | undefined {
    return this.indexWriter(tree, 'full', {});
  }

  /** Puts a streamed .full file in place; false (the cache given up) when that fails. */
  finishFull(writer: IndexFileWriter, tree: string): boolean {
    try {
      writer.finish();
    } catch (e) {
      if (!(e instanceof CacheWriteError)) throw e;
      this.writeFailed(writer, e);
      return false;
    }
    this.prune(tree);
    return true;
  }

  /** A write of `writer` failed: drop its file and stop writing (a full or read-only disk only costs speed). */
  writeFailed(writer: IndexFileWriter, e?: unknown): void {
    writer.abandon();
    this.writable = false;
    cacheWriteFailed(this.dir, (e as CacheWriteError | undefined)?.cause ?? e);
  }

  /** Writes the whole index of `tree`. */
  saveFull(tree: string, entries: IndexEntry[]): void {
    if (this.save(this.indexWriter(tree, 'full', {}), entries)) this.prune(tree);
  }

  /** Writes `tree` as changes on the full index `base`. */
  saveDelta(tree: string, base: string, changes: IndexEntry[], removed: string[]): void {
    this.save(this.indexWriter(tree, 'delta', { base, removed }), changes);
  }

  private save(writer: IndexFileWriter | undefined, entries: IndexEntry[]): boolean {
    if (!writer) return false;
    try {
      for (const e of entries) writer.copy(e);
      writer.finish();
      writer.close();
      return true;
    } catch (e) {
      writer.abandon();
      if (!(e instanceof CacheWriteError)) throw e;
      this.writable = false;
      cacheWriteFailed(this.dir, e.cause);
      return false;
    }
  }

  private indexWriter(tree: string, kind: 'full' | 'delta', extra: Pick<Header, 'base' | 'removed'>): IndexFileWriter | undefined {
    if (!this.writable) return undefined;
    const file = this.file(tree, kind);
    const tmp = tempName(file);
    let fd: number;
    try {
      mkdirSync(this.dir, { recursive: true });
      fd = openSync(tmp, 'w+');
    } catch (e) {
      this.writable = false;
      cacheWriteFailed(file, e);
      return undefined;
    }
    try {
      return new IndexFileWriter(fd, tmp, file, { kind, tree, models_dir: this.modelsDir, ...extra });
    } catch {
      closeSync(fd);
      remove(tmp);
      this.writable = false;
      return undefined;
    }
  }

  /** Writes `file` whole or not at all; with `keepOpen`, the written file's descriptor (open for reading). */
  private atomicWrite(file: string, parts: Buffer[], keepOpen = false): number | undefined {
    if (!this.writable) return undefined;
    const tmp = tempName(file);
    try {
      mkdirSync(this.dir, { recursive: true });
      const fd = openSync(tmp, keepOpen ? 'w+' : 'w');
      try {
        // writev in batches: no copy of the texts into one big buffer.
        for (let i = 0; i < parts.length; i += 1024) writevSync(fd, parts.slice(i, i + 1024));
        renameSync(tmp, file);
      } catch (e) {
        closeSync(fd);
        throw e;
      }
      if (keepOpen) return fd;
      closeSync(fd);
      return undefined;
    } catch (e) {
      // A read-only or full disk only costs speed; the answer never depended on the cache.
      this.writable = false;
      cacheWriteFailed(file, e);
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
      buf = readCacheFile(file);
    } catch (e) {
      if (!isMissing(e)) this.discard(file, e);
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
      fd = openCacheFile(file).fd;
    } catch (e) {
      if (!isMissing(e)) this.discard(file, e);
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
      if (!Array.isArray(h.results)) throw new CorruptCacheError('no results in the header');
      const textsAt = resultsAt + h.results.reduce((n, [, bytes]) => n + bytes, 0);
      if (size !== textsAt + h.texts_bytes) throw new CorruptCacheError('truncated or padded');
      const index = texts.bytes(indexAt, h.index_bytes);
      if (crc32(index) >>> 0 !== h.crc) throw new CorruptCacheError('checksum mismatch');
      const items = JSON.parse(index.toString('utf8')) as SectionItem[];
      if (!Array.isArray(items) || items.length !== h.count) throw new CorruptCacheError('model count mismatch');
      touch(file);
      const starts = new Map<string, [at: number, bytes: number, crc: number]>();
      let at = resultsAt;
      for (const [group, bytes, crc] of h.results) {
        starts.set(group, [at, bytes, crc]);
        at += bytes;
      }
      if (at !== textsAt) throw new CorruptCacheError('results out of place');
      const parsed = new Map<string, ResultGroup | undefined>();
      const group = (name: string): ResultGroup | undefined => {
        if (parsed.has(name)) return parsed.get(name);
        const where = starts.get(name);
        let g: ResultGroup | undefined = new Array(items.length).fill(null);
        if (where) {
          try {
            const bytes = texts.bytes(where[0], where[1]);
            if (crc32(bytes) >>> 0 !== where[2]) throw new CorruptCacheError('checksum mismatch in the results');
            g = JSON.parse(bytes.toString('utf8')) as ResultGroup;
            if (!Array.isArray(g) || g.length !== items.length) throw new CorruptCacheError('results count mismatch');
          } catch (e) {
            this.corrupt(file, e instanceof CorruptCacheError ? e.message : String(e));
            g = undefined;
          }
        }
        parsed.set(name, g);
        return g;
      };
      let all: (SummaryResult[] | null)[] | undefined | null = null;
      const results = (): (SummaryResult[] | null)[] | undefined => {
        if (all !== null) return all;
        const groups = [...starts.keys()].map(group);
        return (all = groups.every(Boolean) ? joinResultGroups(items.map((it) => it[ITEM_SUMMARY] !== 0), groups as ResultGroup[]) : undefined);
      };
      return { algorithm, key, items, results, resultsOn: (dataset) => group(`d:${dataset}`), texts, textsAt, file };
    } catch (e) {
      closeSync(fd);
      this.discard(file, e);
      return undefined;
    }
  }

  /**
   * Writes a section: its items (offsets relative to the texts; whole summaries in, their
   * `testing` stored apart), the results, and the texts, in item order. Returns it with its texts
   * read from the file (the items as given: a stored summary round-trips through JSON), or
   * undefined when the cache can't be written.
   */
  saveSection(algorithm: string, key: string, items: SectionItem[], texts: Buffer[]): Section | undefined {
    if (!this.writable) return undefined;
    const groups = resultGroups(items.map((it) => (it[ITEM_SUMMARY] === 0 ? null : it[ITEM_SUMMARY].testing)));
    const docs = [...groups].map(([name, g]) => [name, Buffer.from(JSON.stringify(g))] as const);
    const heads = items.map((it): SectionItem => {
      const s = it[ITEM_SUMMARY];
      if (s === 0) return it;
      const { testing: _, ...head } = s;
      return [it[0], it[1], it[2], it[3], it[4], head as ModelSummary];
    });
    const index = Buffer.from(JSON.stringify(heads));
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
      results: docs.map(([name, doc]) => [name, doc.length, crc32(doc) >>> 0]),
      texts_bytes: bytes,
    };
    const file = this.sectionFile(algorithm, key);
    const head = Buffer.from(`${SECTION_MAGIC}\n${JSON.stringify(h)}\n`);
    const fd = this.atomicWrite(file, [head, index, ...docs.map(([, doc]) => doc), ...texts], true);
    if (fd === undefined) return undefined;
    this.pruneSections(algorithm, file);
    const textsAt = head.length + index.length + docs.reduce((n, [, doc]) => n + doc.length, 0);
    return { algorithm, key, items, ...resultsInMemory(items), texts: new FileTexts(fd, textsAt + bytes), textsAt, file };
  }

  /** The cache files holding the index of `tree` (a .full, or a .delta and its base). */
  indexFiles(tree: string): string[] {
    if (existsSync(this.file(tree, 'full'))) return [`${tree}.full`];
    const base = headerOf(this.file(tree, 'delta'))?.base;
    return base ? [`${tree}.delta`, `${base}.full`] : [];
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
      const base = headerOf(join(this.dir, d.n))?.base;
      if (i >= 64 || !base || !kept.has(base)) remove(join(this.dir, d.n));
      else kept.add(d.n.slice(0, -'.delta'.length));
    });
    // A manifest goes with the index of its tree.
    for (const n of names) if (n.endsWith('.sum') && !kept.has(n.slice(0, -'.sum'.length))) remove(join(this.dir, n));
    // Temporary files left by a killed writer.
    for (const n of names) if (n.includes('.tmp-') && Date.now() - stat(n) > 60_000) remove(join(this.dir, n));
  }
}


/** The header of a .full/.delta file, found through its trailer and checked against its crc32. */
function readIndexHeader(texts: FileTexts, size: number): { header: Header; headerAt: number } {
  if (size < MAGIC_LINE.length || !texts.read(0, MAGIC_LINE.length).equals(MAGIC_LINE)) throw new CorruptCacheError('not a snapshot cache file');
  const trailer = size >= MAGIC_LINE.length + TRAILER ? parseIndexTrailer(texts.read(size - TRAILER, TRAILER)) : undefined;
  if (!trailer) {
    if (olderFormat(texts, size)) throw new OtherFormat();
    throw new CorruptCacheError('truncated or unreadable trailer');
  }
  const headerAt = size - TRAILER - trailer.length;
  if (headerAt < MAGIC_LINE.length) throw new CorruptCacheError('truncated');
  const raw = texts.read(headerAt, trailer.length);
  if (crc32(raw) >>> 0 !== trailer.crc) throw new CorruptCacheError('checksum mismatch');
  try {
    return { header: JSON.parse(raw.toString('utf8')) as Header, headerAt };
  } catch {
    throw new CorruptCacheError('unreadable header');
  }
}

/** Whether the file has an older layout (its header right after the magic line). */
function olderFormat(texts: FileTexts, size: number): boolean {
  const head = texts.read(MAGIC_LINE.length, Math.min(size - MAGIC_LINE.length, 32)).toString('latin1');
  const m = /^\{"format":(\d+),/.exec(head);
  return !!m && Number(m[1]) !== CACHE_FORMAT;
}

/** The header of the .full/.delta file `file`, or undefined when it is missing or damaged. */
function headerOf(file: string): Header | undefined {
  let fd: number;
  try {
    fd = openCacheFile(file).fd;
  } catch {
    return undefined;
  }
  try {
    return readIndexHeader(new FileTexts(fd, fstatSync(fd).size), fstatSync(fd).size).header;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
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


