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
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { endianness } from 'node:os';
import { Git } from '../../git/git.js';
import { nameOnlyLog, streamNameOnlyLog, type LogRecord } from '../../git/raw-log.js';
import { startDetachedOnce } from '../../git/background.js';
import { CorruptCacheError } from './snapshot-file.js';
import { cacheDisabled, modelgitDir, tracer } from './policy.js';
import { isMissing, readCacheFile } from '../../loading/safe-files.js';
import { writeWhole } from './files.js';
import { packagePath } from '../../package-root.js';

const MAGIC = 'MGHIST01';
const LITTLE_ENDIAN = endianness() === 'LE';
const HEADER = 40;
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
 * The index in memory and on disk. Layout (little-endian u32s):
 *   magic(8) idBytes nCommits nPaths nChanges crc32(rest) pathBlobLength linear reserved
 *   commits: nCommits × idBytes, oldest first
 *   changeStart: (nCommits + 1) × u32 — commit c changed paths changes[changeStart[c] … changeStart[c+1])
 *   changes: nChanges × u32 path numbers
 *   pathStart: (nPaths + 1) × u32 — offsets in the path blob
 *   path blob: "\n" + path + "\n" for each path (searched for "\n<path>\n")
 * A non-linear index has no commits: it only records that history up to its tip has a merge.
 */
export class HistoryIndex {
  private constructor(
    private readonly buf: Buffer,
    readonly idBytes: number,
    readonly commitCount: number,
    private readonly pathCount: number,
    private readonly changeCount: number,
    readonly linear: boolean,
  ) {}

  private get commitsAt(): number {
    return HEADER;
  }
  private get changeStartAt(): number {
    return HEADER + this.commitCount * this.idBytes;
  }
  private get changesAt(): number {
    return this.changeStartAt + (this.commitCount + 1) * 4;
  }
  private get pathStartAt(): number {
    return this.changesAt + this.changeCount * 4;
  }
  private get blobAt(): number {
    return this.pathStartAt + (this.pathCount + 1) * 4;
  }

  /** The newest commit the index covers. */
  get tip(): string {
    if (!this.linear) return this.buf.toString('hex', HEADER, HEADER + this.idBytes);
    return this.commitAt(this.commitCount - 1);
  }

  commitAt(c: number): string {
    const at = this.commitsAt + c * this.idBytes;
    return this.buf.toString('hex', at, at + this.idBytes);
  }

  /** The position of a commit (0 = oldest), or -1. */
  positionOf(commit: string): number {
    if (!this.linear || commit.length !== this.idBytes * 2) return -1;
    const needle = Buffer.from(commit, 'hex');
    const start = this.commitsAt;
    const end = this.changeStartAt;
    let at = this.buf.indexOf(needle, start);
    while (at >= 0 && at < end) {
      if ((at - start) % this.idBytes === 0) return (at - start) / this.idBytes;
      at = this.buf.indexOf(needle, at + 1);
    }
    return -1;
  }

  private pathNumber(path: string): number {
    const needle = Buffer.from(`\n${path}\n`, 'utf8');
    const blob = this.blobAt;
    const end = this.buf.length;
    let at = this.buf.indexOf(needle, blob);
    while (at >= 0 && at < end) {
      // A path holding a newline could contain the needle; only a match at a path's start counts.
      const off = at - blob;
      let lo = 0;
      let hi = this.pathCount;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (this.u32(this.pathStartAt + mid * 4) < off) lo = mid + 1;
        else hi = mid;
      }
      if (lo < this.pathCount && this.u32(this.pathStartAt + lo * 4) === off) return lo;
      at = this.buf.indexOf(needle, at + 1);
    }
    return -1;
  }

  private u32(at: number): number {
    return this.buf.readUInt32LE(at);
  }

  /**
   * The commits that changed `path`, newest first, among those at or below `at` (default: the tip);
   * undefined when `at` is not in the index. Equals `git log --format=%H <at> -- <path>` here.
   */
  commitsChanging(path: string, at?: string): string[] | undefined {
    if (!this.linear) return undefined;
    const upto = at === undefined || at === this.tip ? this.commitCount - 1 : this.positionOf(at);
    if (upto < 0) return undefined;
    const p = this.pathNumber(path);
    if (p < 0) return [];
    // One pass over the flat change list (a typed view when aligned), then each hit's commit by
    // bisecting the commits' start offsets: a path has a handful of hits among 300,000 changes.
    const cs = this.changeStartAt;
    const end = this.u32(cs + (upto + 1) * 4);
    const changes = this.view(this.changesAt, end);
    const out: string[] = [];
    let last = -1;
    for (let k = end - 1; k >= 0; k--) {
      if (changes[k] !== p) continue;
      let lo = 0;
      let hi = upto;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (this.u32(cs + mid * 4) <= k) lo = mid;
        else hi = mid - 1;
      }
      // a commit's paths are distinct, but its start can be shared with empty commits before it
      if (lo !== last) out.push(this.commitAt(lo));
      last = lo;
    }
    return out;
  }

  /** `length` little-endian u32s at `at`: a view when aligned on a little-endian machine, else a copy. */
  private view(at: number, length: number): Uint32Array {
    const offset = this.buf.byteOffset + at;
    if (offset % 4 === 0 && LITTLE_ENDIAN) return new Uint32Array(this.buf.buffer, offset, length);
    const copy = new Uint32Array(length);
    for (let k = 0; k < length; k++) copy[k] = this.buf.readUInt32LE(at + k * 4);
    return copy;
  }

  /** Every commit with its paths, oldest first (to extend or test the index). */
  records(): { commit: string; paths: string[] }[] {
    if (!this.linear) return [];
    const paths: string[] = [];
    for (let p = 0; p < this.pathCount; p++) {
      const from = this.u32(this.pathStartAt + p * 4);
      const to = this.u32(this.pathStartAt + (p + 1) * 4);
      paths.push(this.buf.toString('utf8', this.blobAt + from + 1, this.blobAt + to - 1));
    }
    const out: { commit: string; paths: string[] }[] = [];
    for (let c = 0; c < this.commitCount; c++) {
      const from = this.u32(this.changeStartAt + c * 4);
      const to = this.u32(this.changeStartAt + (c + 1) * 4);
      const ps: string[] = [];
      for (let k = from; k < to; k++) ps.push(paths[this.u32(this.changesAt + k * 4)]!);
      out.push({ commit: this.commitAt(c), paths: ps });
    }
    return out;
  }

  /** The index of a linear history from its commits, oldest first. */
  static build(commits: { commit: string; paths: string[] }[]): HistoryIndex {
    return HistoryIndex.fromSource({ length: commits.length, commit: (i) => commits[i]!.commit, paths: (i) => commits[i]!.paths });
  }

  /** The index of commits given one at a time, oldest first (see LogCollector for why). */
  static fromSource(src: { length: number; commit: (i: number) => string; paths: (i: number) => Iterable<string> }): HistoryIndex {
    if (src.length === 0) throw new Error('a history index needs at least one commit');
    const idBytes = src.commit(0).length / 2;
    const numbers = new Map<string, number>();
    const blobParts: Buffer[] = [];
    const pathStart: number[] = [0];
    let blobLength = 0;
    const changeStart: number[] = [0];
    const changes: number[] = [];
    for (let i = 0; i < src.length; i++) {
      for (const path of new Set(src.paths(i))) {
        let n = numbers.get(path);
        if (n === undefined) {
          n = numbers.size;
          numbers.set(path, n);
          const b = Buffer.from(`\n${path}\n`, 'utf8');
          blobParts.push(b);
          blobLength += b.length;
          pathStart.push(blobLength);
        }
        changes.push(n);
      }
      changeStart.push(changes.length);
    }
    // pathStart[p] is where path p's "\n…\n" starts; the last entry is the blob's length.
    const size = HEADER + src.length * idBytes + 4 * (changeStart.length + changes.length + pathStart.length) + blobLength;
    const buf = Buffer.alloc(size);
    let at = HEADER;
    for (let i = 0; i < src.length; i++) at += buf.write(src.commit(i), at, 'hex');
    for (const v of changeStart) at = buf.writeUInt32LE(v, at);
    for (const v of changes) at = buf.writeUInt32LE(v, at);
    for (const v of pathStart) at = buf.writeUInt32LE(v, at);
    for (const b of blobParts) at += b.copy(buf, at);
    writeHeader(buf, { idBytes, commits: src.length, paths: numbers.size, changes: changes.length, blob: blobLength, linear: true });
    return new HistoryIndex(buf, idBytes, src.length, numbers.size, changes.length, true);
  }

  /** The record that history up to `tip` has a merge (queries ask git). */
  static nonLinear(tip: string): HistoryIndex {
    const idBytes = tip.length / 2;
    const buf = Buffer.alloc(HEADER + idBytes);
    buf.write(tip, HEADER, 'hex');
    writeHeader(buf, { idBytes, commits: 0, paths: 0, changes: 0, blob: 0, linear: false });
    return new HistoryIndex(buf, idBytes, 0, 0, 0, false);
  }

  /** The index up to and including the commit at `position`. */
  prefix(position: number): HistoryIndex {
    return HistoryIndex.build(this.records().slice(0, position + 1));
  }

  /** This index with `newer` (oldest first, each the child of the one before) on top. */
  extend(newer: { commit: string; paths: string[] }[]): HistoryIndex {
    return newer.length ? HistoryIndex.build([...this.records(), ...newer]) : this;
  }

  bytes(): Buffer {
    return this.buf;
  }

  /** Reads an index, checking its layout and checksum; throws CorruptCacheError when damaged. */
  static parse(buf: Buffer): HistoryIndex {
    if (buf.length < HEADER || buf.toString('latin1', 0, 8) !== MAGIC) throw new CorruptCacheError('not a history index');
    const idBytes = buf.readUInt32LE(8);
    const commits = buf.readUInt32LE(12);
    const paths = buf.readUInt32LE(16);
    const changes = buf.readUInt32LE(20);
    const crc = buf.readUInt32LE(24);
    const blob = buf.readUInt32LE(28);
    const linear = buf.readUInt32LE(32) === 1;
    if (idBytes !== 20 && idBytes !== 32) throw new CorruptCacheError('bad object id size');
    const expected = linear ? HEADER + commits * idBytes + 4 * (commits + 1 + changes + paths + 1) + blob : HEADER + idBytes;
    if (buf.length !== expected) throw new CorruptCacheError(`size ${buf.length}, expected ${expected}`);
    if (crc32(buf.subarray(HEADER)) !== crc) throw new CorruptCacheError('checksum mismatch');
    if (linear && commits === 0) throw new CorruptCacheError('no commits');
    return new HistoryIndex(buf, idBytes, commits, paths, changes, linear);
  }
}

function writeHeader(buf: Buffer, h: { idBytes: number; commits: number; paths: number; changes: number; blob: number; linear: boolean }): void {
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(h.idBytes, 8);
  buf.writeUInt32LE(h.commits, 12);
  buf.writeUInt32LE(h.paths, 16);
  buf.writeUInt32LE(h.changes, 20);
  buf.writeUInt32LE(h.blob, 28);
  buf.writeUInt32LE(h.linear ? 1 : 0, 32);
  buf.writeUInt32LE(crc32(buf.subarray(HEADER)), 24);
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
    if (!warned) {
      warned = true;
      warn(`modelgit: warning: the history index ${file} is unreadable (${e.message}); asking git, and rebuilding it\n`);
    }
    try {
      unlinkSync(file);
    } catch {
      // already gone (another reader)
    }
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
  const idx = await historyIndexAt({ root: ctx.root, cacheDir: modelgitDir(ctx.gitDir), head: ctx.head, models: ctx.models });
  const known = idx?.commitsChanging(path, at);
  if (known) return known;
  return new Git(ctx.root).commitsChangingPath(at, path);
}
