// The .full/.delta file format of the snapshot cache, and its readers. A file is a magic line,
// the texts of a models tree's metadata files (written as they are read from git), their paths
// and fixed-size records (blob id, text offset, length, crc32), then a JSON header and a trailer
// that says where the header starts and guards it. The texts stay in the file until used
// (FileTexts reads them a chunk at a time); an entry (IndexEntry) is where one file's text lies.
// The writer is index-writer.ts; SnapshotCache (snapshot-cache.ts) decides what to read and keep.
import { closeSync, fstatSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { ErrorLocation } from '../../errors.js';
import { openCacheFile } from '../../loading/safe-files.js';

// 5: model files past the size/depth limits (limits.ts) are problems now, not models; problems carry
// what a query needs to decide whether they could change its answer.
export const CACHE_FORMAT = 5;
const MAGIC = 'modelgit-snapshot-cache';
export const MAGIC_LINE = Buffer.from(`${MAGIC}\n`);
export const RECORD = 32; // per file: blob id (20 bytes), text offset, text length, text crc32 (u32 LE each)
// A .full/.delta file ends with its header (JSON) and this trailer: "\n", the header's length and
// crc32 (8 hex digits each, a space between) and "\n". The header comes last because the texts
// are written as they are read, before the paths, records and counts are known.
const TRAILER = 19;

/** Where texts are: in memory, or in a cache file read a chunk at a time when first needed. */
export interface TextSource {
  bytes(off: number, len: number): Buffer;
  /** lets go of what it has read ahead (its texts are read again if asked for) */
  forget?(): void;
}

export class MemoryTexts implements TextSource {
  constructor(private readonly buf: Buffer) {}
  bytes(off: number, len: number): Buffer {
    return this.buf.subarray(off, off + len);
  }
}

// A query usually needs the texts of one algorithm, which lie together in the file (path
// order); reading the whole file up front would cost a 100,000-model read ~100 ms and ~100 MB.
export const CHUNK = 1 << 20;

export class FileTexts implements TextSource {
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
  forget(): void {
    this.chunks.clear();
  }
  /** Bytes read now and not kept (an index or header: read once, held by its reader). */
  read(at: number, len: number): Buffer {
    if (at + len > this.size) throw new CorruptCacheError('file shorter than its header says');
    return readAt(this.fd, at, len);
  }
}

export function readAt(fd: number, at: number, len: number): Buffer {
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
export interface Header {
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
export class OtherFormat extends Error {}

export function oidOf(e: IndexEntry): string {
  return e.oids.toString('hex', e.oidAt, e.oidAt + 20);
}

export function textOf(e: IndexEntry): string {
  return e.texts.bytes(e.off, e.len).toString('utf8');
}

export function textIntact(e: IndexEntry): boolean {
  return crc32(e.texts.bytes(e.off, e.len)) >>> 0 === e.crc;
}

/** The end of a .full/.delta file: says where its header starts and guards it with a crc32. */
export function indexTrailer(header: Buffer): Buffer {
  const hex = (n: number) => n.toString(16).padStart(8, '0');
  return Buffer.from(`\n${hex(header.length)} ${hex(crc32(header) >>> 0)}\n`, 'latin1');
}

/** The header length and crc32 an index trailer holds, or undefined when it isn't one. */
function parseIndexTrailer(bytes: Buffer): { length: number; crc: number } | undefined {
  const m = /^\n([0-9a-f]{8}) ([0-9a-f]{8})\n$/.exec(bytes.toString('latin1'));
  return m ? { length: Number.parseInt(m[1]!, 16), crc: Number.parseInt(m[2]!, 16) } : undefined;
}

/** Byte order of paths, as git sorts them (full paths compare like git's tree order). */
export function comparePaths(a: string, b: string): number {
  if (a === b) return 0;
  // ASCII paths (the norm: names are checked) compare the same as UTF-16; others go by bytes.
  if (/^[\x00-\x7f]*$/.test(a) && /^[\x00-\x7f]*$/.test(b)) return a < b ? -1 : 1;
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
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

/** The index in an open .full/.delta file: header, paths and records read and checked whole; texts stay in the file until used. */
export function decodeIndex(fd: number, tree: string, kind: 'full' | 'delta', modelsDir: string): CachedIndex {
  const size = fstatSync(fd).size;
  const texts = new FileTexts(fd, size);
  const { header: h, headerAt } = readIndexHeader(texts, size);
  if (h.format !== CACHE_FORMAT) throw new OtherFormat();
  if (h.kind !== kind || h.tree !== tree) throw new CorruptCacheError('header names another tree');
  if (h.models_dir !== modelsDir) throw new CorruptCacheError('written for another models_dir');
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

/** The header of the .full/.delta file `file`, or undefined when it is missing or damaged. */
export function headerOf(file: string): Header | undefined {
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
