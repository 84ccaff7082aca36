// The history index: which commits changed which files, for a linear history. "Which commit recorded
// this result" (best) and "a model's history" (show) are `git log -- <path>` questions; git answers
// each by walking every commit and diffing its tree — at 100,000 models and 315,000 commits about a
// second even with changed-path Bloom filters, whose false positives each cost a diff of a 20,000-entry
// directory. The index answers them from one file under .git/modelgit/history/ in milliseconds.
//
// Exact by construction, or not used: it holds every commit reachable from its tip (oldest first)
// with the paths each one changed against its parent (`git log --name-only`), and is built only for a
// history without merges. There `git log [--full-history] <rev> -- <path>` is exactly "the commits
// at or below <rev> that changed <path>, newest first", which is what the index returns. A merge
// anywhere (a merged pull request) makes history simplification matter, and the callers ask git.
//
// Kept current the way the snapshot cache is: when HEAD has moved on by a few commits in a line, their
// paths are read (`git log --name-only tip..HEAD`) and appended; HEAD moved back (git reset) is a
// prefix of the index; anything else (another branch, a rebase, a first read) is rebuilt in a
// detached background process — the whole log takes 2 s at 10,000 models and minutes at 100,000, so
// no command waits for it — and until then callers ask git.
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { Git } from '../../git/git.js';
import { nameOnlyLog, streamNameOnlyLog, type LogRecord } from '../../git/raw-log.js';
import { startDetachedOnce } from '../../git/background.js';
import { CorruptCacheError } from './snapshot-file.js';
import { cacheDisabled, modelgitDir, tracer } from './policy.js';
import { isMissing, readCacheFile } from '../../loading/safe-files.js';
import { withPositionedFile } from './positioned-file.js';
import { writeWhole } from './files.js';
import { packagePath } from '../../package-root.js';

// 02: paths in buckets with their commits (one path's are a small read); 01 searched a path blob.
const MAGIC = 'MGHIST02';
const HEADER = 96;
/** Commits appended in the foreground at most; a longer way from the tip is left to a rebuild. */
export const MAX_FOREGROUND_EXTENSION = 2000;
/** Below this many models `git log -- <path>` is fast anyway: no background work for small registries. */
export const HISTORY_INDEX_MIN_MODELS = 1000;
const STALE_LOCK_MS = 60 * 60_000;

/**
 * Whether `records` (newest first) are one line of single-parent commits whose oldest sits on
 * `base` (or is a root commit when there is no base).
 */
export function isLinear(records: LogRecord[], base?: string): boolean {
  for (let k = 0; k < records.length; k++) {
    const r = records[k]!;
    const below = k + 1 < records.length ? records[k + 1]!.commit : base;
    if (below === undefined ? r.parents.length !== 0 : r.parents.length !== 1 || r.parents[0] !== below) return false;
  }
  return true;
}

/**
 * The index in memory and on disk (format 2). Layout (little-endian u32s):
 *   header (96 bytes): magic(8) idBytes nCommits nPaths nChanges crc32(rest) nBuckets linear
 *     bucketBytes tip(32, zero-padded) reserved(20) crc32(header before it)
 *   commits: nCommits × idBytes, oldest first
 *   bucket table: (nBuckets + 1) × [offset in the buckets, crc32 of the bucket] (the last offset is
 *     the buckets' length)
 *   buckets: a path is in bucket crc32(path) mod nBuckets; each bucket holds its paths sorted by
 *     their bytes, each as: pathBytes, path, count, count × position (ascending), count × commit id
 * A path's commits are found by reading the header, one table entry and one bucket (a few hundred
 * bytes, each checked by its own CRC-32), so a question at the tip needn't read the whole file
 * (readPathsAtTip); parse() reads it whole and checks every byte. A non-linear index is the header
 * alone: it only records that history up to its tip has a merge.
 */
export class HistoryIndex {
  private constructor(
    private readonly buf: Buffer,
    readonly idBytes: number,
    readonly commitCount: number,
    private readonly pathCount: number,
    private readonly bucketCount: number,
    readonly linear: boolean,
    readonly tip: string,
  ) {}

  private get tableAt(): number {
    return HEADER + this.commitCount * this.idBytes;
  }
  private get bucketsAt(): number {
    return this.tableAt + (this.bucketCount + 1) * 8;
  }

  commitAt(c: number): string {
    const at = HEADER + c * this.idBytes;
    return this.buf.toString('hex', at, at + this.idBytes);
  }

  /** The position of a commit (0 = oldest), or -1. */
  positionOf(commit: string): number {
    if (!this.linear || commit.length !== this.idBytes * 2) return -1;
    const needle = Buffer.from(commit, 'hex');
    const end = this.tableAt;
    let at = this.buf.indexOf(needle, HEADER);
    while (at >= 0 && at < end) {
      if ((at - HEADER) % this.idBytes === 0) return (at - HEADER) / this.idBytes;
      at = this.buf.indexOf(needle, at + 1);
    }
    return -1;
  }

  /**
   * The commits that changed `path`, newest first, among those at or below `at` (default: the tip);
   * undefined when `at` is not in the index. Equals `git log --format=%H <at> -- <path>` here.
   */
  commitsChanging(path: string, at?: string): string[] | undefined {
    if (!this.linear) return undefined;
    const upto = at === undefined || at === this.tip ? this.commitCount - 1 : this.positionOf(at);
    if (upto < 0) return undefined;
    const b = bucketOf(path, this.bucketCount);
    const from = this.buf.readUInt32LE(this.tableAt + b * 8);
    const to = this.buf.readUInt32LE(this.tableAt + (b + 1) * 8);
    const found = findInBucket(this.buf.subarray(this.bucketsAt + from, this.bucketsAt + to), path, this.idBytes);
    return found ? found.commitsUpTo(upto) : [];
  }

  /** Every path with the positions of the commits that changed it (ascending). */
  private pathPositions(): Map<string, number[]> {
    const out = new Map<string, number[]>();
    const all = this.buf.subarray(this.bucketsAt);
    let at = 0;
    while (at < all.length) {
      const e = readEntry(all, at, this.idBytes);
      out.set(e.path, e.positions);
      at = e.end;
    }
    return out;
  }

  /** Every commit with its paths (sorted by code units), oldest first (to test the index). */
  records(): { commit: string; paths: string[] }[] {
    if (!this.linear) return [];
    const out: { commit: string; paths: string[] }[] = [];
    for (let c = 0; c < this.commitCount; c++) out.push({ commit: this.commitAt(c), paths: [] });
    for (const [path, positions] of this.pathPositions()) for (const p of positions) out[p]!.paths.push(path);
    for (const r of out) r.paths.sort(byCodeUnits);
    return out;
  }

  /** The index of a linear history from its commits, oldest first. */
  static build(commits: { commit: string; paths: string[] }[]): HistoryIndex {
    return HistoryIndex.fromSource({ length: commits.length, commit: (i) => commits[i]!.commit, paths: (i) => commits[i]!.paths });
  }

  /** The index of commits given one at a time, oldest first (see LogCollector for why). */
  static fromSource(src: { length: number; commit: (i: number) => string; paths: (i: number) => Iterable<string> }): HistoryIndex {
    const ids: string[] = [];
    const positions = new Map<string, number[]>();
    for (let i = 0; i < src.length; i++) {
      ids.push(src.commit(i));
      for (const path of src.paths(i)) {
        const list = positions.get(path);
        if (!list) positions.set(path, [i]);
        else if (list[list.length - 1] !== i) list.push(i); // a commit names a path once
      }
    }
    return HistoryIndex.write(ids, positions);
  }

  /** The file of these commits (oldest first) and each path's positions among them (ascending). */
  private static write(ids: string[], positions: Map<string, number[]>): HistoryIndex {
    if (ids.length === 0) throw new Error('a history index needs at least one commit');
    const idBytes = ids[0]!.length / 2;
    let buckets = 1;
    while (buckets * PATHS_PER_BUCKET < positions.size) buckets *= 2;
    const byBucket: { path: Buffer; list: number[] }[][] = Array.from({ length: buckets }, () => []);
    let changes = 0;
    let bucketBytes = 0;
    for (const [path, list] of positions) {
      const bytes = Buffer.from(path, 'utf8');
      byBucket[bucketOf(bytes, buckets)]!.push({ path: bytes, list });
      changes += list.length;
      bucketBytes += 8 + bytes.length + list.length * (4 + idBytes);
    }
    const tableAt = HEADER + ids.length * idBytes;
    const bucketsAt = tableAt + (buckets + 1) * 8;
    const buf = Buffer.alloc(bucketsAt + bucketBytes);
    let at = HEADER;
    for (const id of ids) at += buf.write(id, at, 'hex');
    at = bucketsAt;
    for (let b = 0; b < buckets; b++) {
      const start = at;
      for (const { path, list } of byBucket[b]!.sort((x, y) => Buffer.compare(x.path, y.path))) {
        at = buf.writeUInt32LE(path.length, at);
        at += path.copy(buf, at);
        at = buf.writeUInt32LE(list.length, at);
        for (const p of list) at = buf.writeUInt32LE(p, at);
        for (const p of list) at += buf.write(ids[p]!, at, 'hex');
      }
      buf.writeUInt32LE(start - bucketsAt, tableAt + b * 8);
      buf.writeUInt32LE(crc32(buf.subarray(start, at)), tableAt + b * 8 + 4);
    }
    buf.writeUInt32LE(at - bucketsAt, tableAt + buckets * 8);
    const tip = ids[ids.length - 1]!;
    writeHeader(buf, { idBytes, commits: ids.length, paths: positions.size, changes, buckets, bucketBytes, linear: true, tip });
    return new HistoryIndex(buf, idBytes, ids.length, positions.size, buckets, true, tip);
  }

  /** The record that history up to `tip` has a merge (queries ask git). */
  static nonLinear(tip: string): HistoryIndex {
    const buf = Buffer.alloc(HEADER);
    writeHeader(buf, { idBytes: tip.length / 2, commits: 0, paths: 0, changes: 0, buckets: 0, bucketBytes: 0, linear: false, tip });
    return new HistoryIndex(buf, tip.length / 2, 0, 0, 0, false, tip);
  }

  /** The index up to and including the commit at `position`, with `newer` (oldest first) on top. */
  private rewritten(position: number, newer: { commit: string; paths: string[] }[]): HistoryIndex {
    const ids: string[] = [];
    for (let c = 0; c <= position; c++) ids.push(this.commitAt(c));
    const positions = new Map<string, number[]>();
    for (const [path, list] of this.pathPositions()) {
      const kept = list[list.length - 1]! <= position ? list : list.filter((p) => p <= position);
      if (kept.length) positions.set(path, kept);
    }
    for (const r of newer) {
      const p = ids.length;
      ids.push(r.commit);
      for (const path of r.paths) {
        const list = positions.get(path);
        if (!list) positions.set(path, [p]);
        else if (list[list.length - 1] !== p) list.push(p);
      }
    }
    return HistoryIndex.write(ids, positions);
  }

  /** The index up to and including the commit at `position`. */
  prefix(position: number): HistoryIndex {
    return this.rewritten(position, []);
  }

  /** This index with `newer` (oldest first, each the child of the one before) on top. */
  extend(newer: { commit: string; paths: string[] }[]): HistoryIndex {
    return newer.length ? this.rewritten(this.commitCount - 1, newer) : this;
  }

  bytes(): Buffer {
    return this.buf;
  }

  /** Reads an index, checking its layout and checksums; throws CorruptCacheError when damaged. */
  static parse(buf: Buffer): HistoryIndex {
    const h = parseHeader(buf.subarray(0, HEADER));
    const expected = h.linear ? HEADER + h.commits * h.idBytes + (h.buckets + 1) * 8 + h.bucketBytes : HEADER;
    if (buf.length !== expected) throw new CorruptCacheError(`size ${buf.length}, expected ${expected}`);
    if (crc32(buf.subarray(HEADER)) !== h.crc) throw new CorruptCacheError('checksum mismatch');
    return new HistoryIndex(buf, h.idBytes, h.commits, h.paths, h.buckets, h.linear, h.tip);
  }
}

const HEADER_CRC_AT = HEADER - 4;

/** An index another version of modelgit wrote: not damage, just not ours (replaced without a warning). */
class OtherFormat extends CorruptCacheError {}
/** Paths per bucket on average at most: a lookup reads about this many entries. */
const PATHS_PER_BUCKET = 4;
/** Largest bucket a lookup reads (a path changed by every one of millions of commits is still less). */
const MAX_BUCKET_BYTES = 256 << 20;

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function bucketOf(path: string | Buffer, buckets: number): number {
  return buckets <= 1 ? 0 : crc32(typeof path === 'string' ? Buffer.from(path, 'utf8') : path) & (buckets - 1);
}

interface Header {
  idBytes: number;
  commits: number;
  paths: number;
  changes: number;
  crc: number;
  buckets: number;
  bucketBytes: number;
  linear: boolean;
  tip: string;
}

function writeHeader(buf: Buffer, h: Omit<Header, 'crc'>): void {
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(h.idBytes, 8);
  buf.writeUInt32LE(h.commits, 12);
  buf.writeUInt32LE(h.paths, 16);
  buf.writeUInt32LE(h.changes, 20);
  buf.writeUInt32LE(h.buckets, 28);
  buf.writeUInt32LE(h.linear ? 1 : 0, 32);
  buf.writeUInt32LE(h.bucketBytes, 36);
  buf.write(h.tip, 40, 'hex');
  buf.writeUInt32LE(crc32(buf.subarray(HEADER)), 24);
  buf.writeUInt32LE(crc32(buf.subarray(0, HEADER_CRC_AT)), HEADER_CRC_AT);
}

/** The header, checked on its own (its CRC, its fields' ranges); throws CorruptCacheError. */
function parseHeader(buf: Buffer): Header {
  if (buf.length >= 8 && buf.toString('latin1', 0, 6) === 'MGHIST' && buf.toString('latin1', 0, 8) !== MAGIC) throw new OtherFormat();
  if (buf.length < HEADER || buf.toString('latin1', 0, 8) !== MAGIC) throw new CorruptCacheError('not a history index');
  if (crc32(buf.subarray(0, HEADER_CRC_AT)) !== buf.readUInt32LE(HEADER_CRC_AT)) throw new CorruptCacheError('checksum mismatch');
  const idBytes = buf.readUInt32LE(8);
  if (idBytes !== 20 && idBytes !== 32) throw new CorruptCacheError('bad object id size');
  const h: Header = {
    idBytes,
    commits: buf.readUInt32LE(12),
    paths: buf.readUInt32LE(16),
    changes: buf.readUInt32LE(20),
    crc: buf.readUInt32LE(24),
    buckets: buf.readUInt32LE(28),
    linear: buf.readUInt32LE(32) === 1,
    bucketBytes: buf.readUInt32LE(36),
    tip: buf.toString('hex', 40, 40 + idBytes),
  };
  if (h.linear && (h.commits === 0 || h.buckets === 0 || (h.buckets & (h.buckets - 1)) !== 0)) throw new CorruptCacheError('bad layout');
  return h;
}

interface Entry {
  path: string;
  positions: number[];
  end: number;
  commitsUpTo(upto: number): string[];
}

/** The entry at `at` of a bucket (bounds checked: a damaged length reads as damage, not a crash). */
function readEntry(bucket: Buffer, at: number, idBytes: number): Entry {
  const fail = () => new CorruptCacheError('bad bucket');
  if (at + 4 > bucket.length) throw fail();
  const pathBytes = bucket.readUInt32LE(at);
  const pathAt = at + 4;
  if (pathAt + pathBytes + 4 > bucket.length) throw fail();
  const count = bucket.readUInt32LE(pathAt + pathBytes);
  const posAt = pathAt + pathBytes + 4;
  const idsAt = posAt + count * 4;
  const end = idsAt + count * idBytes;
  if (end > bucket.length) throw fail();
  const positions: number[] = [];
  for (let k = 0; k < count; k++) positions.push(bucket.readUInt32LE(posAt + k * 4));
  return {
    path: bucket.toString('utf8', pathAt, pathAt + pathBytes),
    positions,
    end,
    commitsUpTo(upto) {
      const out: string[] = [];
      for (let k = count - 1; k >= 0; k--) {
        if (positions[k]! > upto) continue;
        out.push(bucket.toString('hex', idsAt + k * idBytes, idsAt + (k + 1) * idBytes));
      }
      return out;
    },
  };
}

/** The entry of `path` in one bucket, or undefined when the bucket has none. */
function findInBucket(bucket: Buffer, path: string, idBytes: number): Entry | undefined {
  const want = Buffer.from(path, 'utf8');
  let at = 0;
  while (at < bucket.length) {
    const e = readEntry(bucket, at, idBytes);
    const pathBytes = bucket.readUInt32LE(at);
    if (pathBytes === want.length && bucket.compare(want, 0, want.length, at + 4, at + 4 + pathBytes) === 0) return e;
    at = e.end;
  }
  return undefined;
}

/**
 * `commitsChanging(path)` at the index's tip for each path, reading only the header and each path's
 * bucket from the file (each checked by its CRC-32): undefined when the file is missing or its tip
 * is not `tip` or it is not linear (then open the index whole: historyIndexAt). Throws
 * CorruptCacheError when what it read is damaged.
 */
export function readPathsAtTip(file: string, tip: string, paths: string[]): string[][] | undefined {
  return withPositionedFile(file, ({ size, read, bucket }) => {
    const h = parseHeader(read(0, HEADER));
    if (!h.linear || h.tip !== tip) return undefined;
    const expected = HEADER + h.commits * h.idBytes + (h.buckets + 1) * 8 + h.bucketBytes;
    if (size !== expected) throw new CorruptCacheError(`size ${size}, expected ${expected}`);
    const tableAt = HEADER + h.commits * h.idBytes;
    const bucketsAt = tableAt + (h.buckets + 1) * 8;
    return paths.map((path) => {
      const bytes = bucket(tableAt + bucketOf(path, h.buckets) * 8, bucketsAt, h.bucketBytes, MAX_BUCKET_BYTES);
      return findInBucket(bytes, path, h.idBytes)?.commitsUpTo(h.commits - 1) ?? [];
    });
  });
}

/** Whether an index file is on disk (for any tip; it may be stale or damaged). */
export function historyIndexOnDisk(cacheDir: string): boolean {
  return existsSync(historyFiles(cacheDir).index);
}

/**
 * Whether the index on disk was built for a history with merges (whatever its tip): then the
 * history is asked of git, and a walk that only stands for git's answer on a linear history
 * (named-history.ts) needn't start. False when there is no readable index.
 */
export function indexSaysMerges(cacheDir: string): boolean {
  if (cacheDisabled()) return false;
  try {
    return withPositionedFile(historyFiles(cacheDir).index, ({ read }) => !parseHeader(read(0, HEADER)).linear) ?? false;
  } catch {
    return false;
  }
}

/** The index for `head`, built from the whole log (what the background process runs). */
export async function buildHistoryIndex(root: string, head: string): Promise<HistoryIndex> {
  // A merge anywhere makes the index inapplicable; finding one is cheap, reading the log is not.
  const git = new Git(root);
  if (await git.anyMerge(head)) return HistoryIndex.nonLinear(head);
  // git keeps what it parsed for the whole walk (680 MB for 315,000 commits whose trees hold
  // 20,000 entries), so the log is read in ranges of SEGMENT commits, each by its own process.
  const ids = await git.reachableCommits(head);
  const log = new LogCollector();
  for (let k = 0; k < ids.length; k += SEGMENT) {
    const older = ids[k + SEGMENT];
    await streamNameOnlyLog(root, [older ? `${older}..${ids[k]}` : ids[k]!], (r) => log.add(r));
  }
  return log.linear() ? log.index() : HistoryIndex.nonLinear(head);
}

/**
 * The records of a whole log (newest first) kept compactly — each path once, as a number — and
 * checked for linearity as they come: 315,000 record objects would take 380 MB.
 */
export class LogCollector {
  private readonly ids: string[] = [];
  private readonly paths: string[] = [];
  private readonly numbers = new Map<string, number>();
  private readonly starts: number[] = [0];
  private readonly changes: number[] = [];
  private straight = true;
  private parentOfLast: string | undefined;

  add(r: LogRecord): void {
    if (this.ids.length && this.parentOfLast !== r.commit) this.straight = false;
    if (r.parents.length > 1) this.straight = false;
    this.parentOfLast = r.parents[0];
    this.ids.push(r.commit);
    for (const p of r.paths) {
      let n = this.numbers.get(p);
      if (n === undefined) {
        n = this.paths.length;
        this.paths.push(p);
        this.numbers.set(p, n);
      }
      this.changes.push(n);
    }
    this.starts.push(this.changes.length);
  }

  /** One line of single-parent commits down to a root commit (isLinear without a base). */
  linear(): boolean {
    return this.ids.length > 0 && this.straight && this.parentOfLast === undefined;
  }

  /** The same index HistoryIndex.build makes of the records, oldest first. */
  index(): HistoryIndex {
    const n = this.ids.length;
    const { ids, paths, starts, changes } = this;
    return HistoryIndex.fromSource({
      length: n,
      commit: (i) => ids[n - 1 - i]!,
      paths: function* (i) {
        const k = n - 1 - i;
        for (let j = starts[k]!; j < starts[k + 1]!; j++) yield paths[changes[j]!]!;
      },
    });
  }
}

/** Commits per `git log` process of a full build. */
const SEGMENT = 5000;

/** Where the index lives, and its background builder's lock. */
export function historyFiles(cacheDir: string): { index: string; lock: string } {
  return { index: join(cacheDir, 'history', 'index'), lock: join(cacheDir, 'history', 'build.lock') };
}

export function saveHistoryIndex(cacheDir: string, index: HistoryIndex): void {
  // Written whole under a temporary name and renamed: a reader sees the old file or the new one;
  // a full disk leaves no temporary file behind.
  writeWhole(historyFiles(cacheDir).index, index.bytes());
}

let warned = false;

function loadHistoryIndex(cacheDir: string, warn: (m: string) => void): HistoryIndex | undefined {
  const { index: file } = historyFiles(cacheDir);
  let buf: Buffer;
  try {
    // Not followed if a link, never blocking, a regular file (safe-files.ts).
    buf = readCacheFile(file);
  } catch (e) {
    if (isMissing(e)) return undefined;
    buf = Buffer.alloc(0); // odd (a FIFO, a link): damaged, so warned about and removed below
  }
  try {
    return HistoryIndex.parse(buf);
  } catch (e) {
    if (!(e instanceof CorruptCacheError)) throw e;
    if (e instanceof OtherFormat) return undefined;
    dropDamaged(file, e, warn);
    return undefined;
  }
}

/** A damaged index: said once on stderr and removed (the answer comes from git, and a rebuild follows). */
function dropDamaged(file: string, e: CorruptCacheError, warn: (m: string) => void): void {
  if (!warned) {
    warned = true;
    warn(`modelgit: warning: the history index ${file} is unreadable (${e.message}); asking git, and rebuilding it\n`);
  }
  try {
    unlinkSync(file);
  } catch {
    // already gone (another reader)
  }
}

/**
 * `commitsChanging(path)` at HEAD for each path, when the index's tip is HEAD: from the file's header
 * and each path's bucket alone (a few hundred bytes, not the whole file: 20 MB at 100,000 models).
 * Undefined when that can't answer (no index, another tip, a merge, damage, caches off): then
 * historyIndexAt, which extends or rebuilds.
 */
export function commitsAtHead(ctx: { cacheDir: string; head: string; warn?: (m: string) => void }, paths: string[]): string[][] | undefined {
  if (cacheDisabled()) return undefined;
  const { index: file } = historyFiles(ctx.cacheDir);
  try {
    const lists = readPathsAtTip(file, ctx.head, paths);
    if (lists) trace(`hit ${ctx.head} (read by path)`);
    return lists;
  } catch (e) {
    if (!(e instanceof CorruptCacheError)) throw e;
    if (!(e instanceof OtherFormat)) dropDamaged(file, e, ctx.warn ?? ((m: string) => process.stderr.write(m)));
    return undefined;
  }
}

export interface HistoryContext {
  root: string;
  /** <git dir>/modelgit */
  cacheDir: string;
  /** the commit HEAD is at */
  head: string;
  /** counts the models at HEAD (asked only when there is no index): small registries don't start a background build */
  models: () => number | Promise<number>;
  warn?: (message: string) => void;
}

const trace = tracer('modelgit-history');

/**
 * The index for HEAD when one can be had without reading the whole log, else undefined (and a
 * background build started when the registry is big enough to need one).
 */
export function historyIndexAt(ctx: HistoryContext): Promise<HistoryIndex | undefined> {
  // Once per process and HEAD: show asks for two paths at once.
  const key = `${ctx.cacheDir}\0${ctx.head}`;
  let p = opened.get(key);
  if (!p) {
    p = openHistoryIndex(ctx);
    opened.set(key, p);
    p.catch(() => opened.delete(key));
  }
  return p;
}

const opened = new Map<string, Promise<HistoryIndex | undefined>>();

/** Forgets the indexes read so far in this process (tests rewrite history under one process). */
export function forgetHistoryIndexes(): void {
  opened.clear();
  warned = false;
}

async function openHistoryIndex(ctx: HistoryContext): Promise<HistoryIndex | undefined> {
  if (cacheDisabled()) return undefined;
  const warn = ctx.warn ?? ((m: string) => process.stderr.write(m));
  const idx = loadHistoryIndex(ctx.cacheDir, warn);
  if (idx && idx.tip === ctx.head) {
    trace(`hit ${ctx.head}${idx.linear ? '' : ' (history has merges: asking git)'}`);
    return idx.linear ? idx : undefined;
  }
  if (idx) {
    // The commits HEAD has that the tip hasn't: usually a few on top of it.
    const git = new Git(ctx.root);
    const newer = await nameOnlyLog(git, [`${idx.tip}..${ctx.head}`], MAX_FOREGROUND_EXTENSION + 1);
    const fork = newer.length ? newer[newer.length - 1]!.parents[0] : undefined;
    if (newer.length > MAX_FOREGROUND_EXTENSION) {
      // too far: a rebuild
    } else if (!idx.linear) {
      // Descendants of a merge still have it; anything else is decided by a rebuild.
      if (newer.length > 0 && (isLinear(newer, idx.tip) || (await git.isAncestor(idx.tip, ctx.head)))) {
        trySave(ctx.cacheDir, HistoryIndex.nonLinear(ctx.head));
        return undefined;
      }
    } else if (newer.length === 0) {
      // HEAD went back (git reset): the index up to it answers; the file keeps the longer line.
      if (idx.positionOf(ctx.head) >= 0) {
        trace(`prefix ${ctx.head} of ${idx.tip}`);
        return idx;
      }
    } else if (isLinear(newer, fork)) {
      // A line of commits on the tip, or on an older commit of the index (a reset and new commits,
      // a branch from the past, back to a branch after working on another): the index up to where
      // they start, plus them. An orphan line is a whole new index.
      const at = fork === undefined ? -1 : fork === idx.tip ? idx.commitCount - 1 : idx.positionOf(fork);
      if (fork === undefined || at >= 0) {
        const kept = fork === undefined ? undefined : at === idx.commitCount - 1 ? idx : idx.prefix(at);
        const next = kept ? kept.extend(newer.reverse()) : HistoryIndex.build(newer.reverse());
        trySave(ctx.cacheDir, next);
        trace(`extended ${fork ?? 'nothing'} → ${ctx.head} by ${newer.length} commit(s)`);
        return next;
      }
    }
  }
  if ((await ctx.models()) >= HISTORY_INDEX_MIN_MODELS) {
    const started = startBackgroundBuild(ctx.root, ctx.cacheDir, ctx.head);
    trace(started ? `background build for ${ctx.head} started` : `no index for ${ctx.head} (a build is running)`);
  } else trace(`no index for ${ctx.head}`);
  return undefined;
}

function trySave(cacheDir: string, idx: HistoryIndex): void {
  try {
    saveHistoryIndex(cacheDir, idx);
  } catch {
    // read-only repository: the answer is the same, the next read extends again
  }
}

/** Starts the detached builder unless one is running; returns whether it started. */
export function startBackgroundBuild(root: string, cacheDir: string, head: string): boolean {
  // From the package root, so the path holds in the CLI bundle (dist/cli) as in dist/store/cache.
  const script = packagePath('dist/store/cache/history-index-build.js');
  return startDetachedOnce({ lock: historyFiles(cacheDir).lock, staleMs: STALE_LOCK_MS, args: [script, root, cacheDir, head], cwd: root });
}

/**
 * The commits at or below `at` that changed `path`, newest first: `git log --format=%H <at> -- <path>`,
 * from the index when it covers HEAD, else from git. `head` is HEAD's commit; `models` counts the
 * models at HEAD (asked only when no index exists, to decide on a background build).
 */
export async function commitsChanging(
  ctx: { root: string; gitDir: string; head: string; models: () => number | Promise<number> },
  path: string,
  at: string,
): Promise<string[]> {
  return (await indexedCommitsChanging(ctx, path, at)) ?? new Git(ctx.root).commitsChangingPath(at, path);
}

/** commitsChanging when the index answers; undefined when only git could (and a background build may have been started). */
export async function indexedCommitsChanging(
  ctx: { root: string; gitDir: string; head: string; models: () => number | Promise<number> },
  path: string,
  at: string,
): Promise<string[] | undefined> {
  const cacheDir = modelgitDir(ctx.gitDir);
  const quick = at === ctx.head ? commitsAtHead({ cacheDir, head: ctx.head }, [path]) : undefined;
  if (quick) return quick[0]!;
  const idx = await historyIndexAt({ root: ctx.root, cacheDir, head: ctx.head, models: ctx.models });
  return idx?.commitsChanging(path, at);
}
