// The history the report is built from (src/report/history.ts), read from git or extended from a
// cached copy. Cache files live in <git dir>/modelgit/report/<commit>.history, one per HEAD a
// report was built at (the newest few are kept). A cached history is used only when its commit is
// on HEAD's first-parent line; then only the commits HEAD adds are scanned and only their new blobs
// read. Anything else (another branch, a reset to before it, a damaged file) means a full scan, so
// the cache can make a report faster but never different. MODELGIT_NO_CACHE=1 skips it.
import { closeSync, openSync, readdirSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { parseModelPath } from '../../domain/config.js';
import type { Model } from '../../domain/types.js';
import { canonicalOrder, scanHistory, ZERO_OID, type ScannedCommit } from '../../git/raw-log.js';
import { summarize, type ScoreSummary } from '../../report/best-over-time.js';
import { CorruptHistoryError, decodeHistory, decodeHistoryLine, encodeHistory, extendHistory, headerLine, historyFront, historyHeader, historyTail, lineOffsets, reportTrailers, type Header, type HistoryCommit, type ModelFileChange } from '../../report/history.js';
import { cacheDisabled, modelgitDir, tracer } from './policy.js';
import { cacheWriteFailed, mtime, remove, tempName, touch, writeWhole } from './files.js';
import type { StoreContext } from '../context.js';
import { parseModelBlob } from '../model-file.js';
import type { Snapshot } from '../snapshot.js';
import { openCacheFile, readCacheFile, UnsafeFileError } from '../../loading/safe-files.js';

/** How many cached histories to keep (a few branches' worth). */
const KEEP = 3;

export interface HistoryRead {
  commits: HistoryCommit[];
  /**
   * Where each commit's line begins in the body of the cache file kept for this HEAD (what the
   * report state points at); undefined when no such file was kept (caches off, a full disk).
   */
  offsets?: number[];
  /** how the history was obtained (for tests and the trace) */
  source: 'empty' | 'cache' | 'extended' | 'scanned';
  /** commits read from git this time */
  scanned: number;
}

export interface HistoryOptions {
  /** where a corrupt-cache warning goes (default stderr) */
  warn?: (message: string) => void;
}

const trace = tracer('modelgit-cache: report');

const toStderr = (m: string) => void process.stderr.write(m);
/** Where a warning went already: once per process (per warn function, for tests). */
const warned = new WeakSet<(m: string) => void>();

/** Every commit reachable from the snapshot's commit, canonical order, first-parent changes summarised. */
export async function reportHistory(ctx: StoreContext, snapshot: Snapshot, opts: HistoryOptions = {}): Promise<HistoryRead> {
  const head = snapshot.commit;
  if (!head) return { commits: [], source: 'empty', scanned: 0 };
  const modelsDir = ctx.config.models_dir;
  const useCache = !cacheDisabled();
  const dir = modelgitDir(ctx.gitDir, 'report');
  const warn = opts.warn ?? toStderr;
  const corrupt = (file: string, reason: string) => {
    if (!warned.has(warn)) {
      warned.add(warn);
      warn(`modelgit: warning: the report cache ${file} is unreadable (${reason}); rebuilding it from git\n`);
    }
    remove(file);
  };

  let base: { commit: string; commits: HistoryCommit[]; file: Buffer } | undefined;
  if (useCache) base = await loadBase(ctx, dir, head, modelsDir, corrupt);
  if (base && base.commit === head) {
    trace(`hit ${head}`);
    return { commits: base.commits, source: 'cache', scanned: 0, offsets: lineOffsets(bodyOf(base.file), base.commits.length) };
  }

  const parts = Math.min(4, availableParallelism());
  const costDirs = [...new Set(snapshot.models.map((m) => `${modelsDir}/${m.metadata.algorithm}`))];
  let read: { commits: HistoryCommit[]; pending: Pending[] } | undefined;
  let scanned = 0;
  if (base) {
    const more = await scanHistory(ctx.git, parts, 2000, { head, since: base.commit, costDirs });
    const ordered = canonicalOrder(more, head, base.commit);
    if (ordered) {
      trace(`extend ${base.commit} to ${head}: ${more.length} commits`);
      read = toHistory(ordered, head, base.commit, ctx);
      scanned = more.length;
    } else {
      trace(`${base.commit} is not on the first-parent line of ${head}: full scan`);
      base = undefined;
    }
  }
  if (!read) {
    const all = await scanHistory(ctx.git, parts, 2000, { head, costDirs });
    read = toHistory(canonicalOrder(all, head)!, head, undefined, ctx);
    scanned = all.length;
    trace(`scan ${head}: ${all.length} commits`);
  }
  await summarise(ctx, snapshot, read.pending);
  const commits = base ? base.commits.concat(read.commits) : read.commits;
  let offsets: number[] | undefined;
  if (useCache) {
    const file = base ? extendHistory(base.file, head, modelsDir, read.commits) : encodeHistory(head, modelsDir, commits);
    if (save(dir, head, file)) offsets = lineOffsets(bodyOf(file), commits.length);
  }
  return { commits, source: base ? 'extended' : 'scanned', scanned, offsets };
}

const bodyOf = (file: Buffer) => file.subarray(file.length - historyHeader(file).bytes);

export interface HistoryTail {
  /** the commits after `from` up to HEAD, canonical order, first-parent changes summarised */
  commits: HistoryCommit[];
  /** where each of them begins in the body of HEAD's cache file */
  offsets: number[];
  /** how many commits the history holds in all */
  count: number;
}

/**
 * The commits a HEAD adds to the cached history of `from`, an ancestor on its first-parent line,
 * with the cache file for HEAD written beside the old one: the old body is copied through a small
 * buffer (its checksum checked on the way) and the new lines appended, so a report state can
 * extend itself without decoding the history (129 MB and 2 s at 100,000 models). Undefined when
 * there is no intact file for `from`, `from` is not on HEAD's first-parent line, caches are off,
 * or the file for HEAD can't be written.
 */
export async function reportHistorySince(ctx: StoreContext, from: string, head: string): Promise<HistoryTail | undefined> {
  if (cacheDisabled()) return undefined;
  const modelsDir = ctx.config.models_dir;
  const dir = modelgitDir(ctx.gitDir, 'report');
  const oldFile = join(dir, `${from}.history`);
  let h: Header;
  try {
    const { head: start, size } = readHead(oldFile);
    h = historyHeader(start, size);
  } catch {
    return undefined;
  }
  if (h.commit !== from || h.models_dir !== modelsDir) return undefined;
  let read: { commits: HistoryCommit[]; pending: Pending[] } | undefined;
  if (from === head) read = { commits: [], pending: [] };
  else if (!(await ctx.git.isAncestor(from, head))) return undefined; // (a reset to before it: nothing to scan, and nothing to extend)
  else {
    const more = await scanHistory(ctx.git, 1, 2000, { head, since: from });
    const ordered = canonicalOrder(more, head, from);
    if (!ordered) return undefined;
    read = toHistory(ordered, head, from, ctx);
    await summarise(ctx, { models: [] }, read.pending);
  }
  const { tail, header, offsets } = historyTail(h, head, modelsDir, read.commits);
  if (!copyExtended(oldFile, h, from === head ? undefined : { to: join(dir, `${head}.history`), header, tail })) return undefined;
  trace(`extend ${from} to ${head} without decoding: ${read.commits.length} commits`);
  return { commits: read.commits, offsets, count: header.count };
}

/**
 * Checks the body of `from` against its checksum and, given `more`, makes `more.to`: its header,
 * that body and its tail. When the new header is as long as the old (headers are padded to one
 * width) the file itself becomes HEAD's — renamed aside, the tail appended, the header written
 * over, renamed into place — so nothing is copied and nothing is deleted; else the body is
 * copied through a small buffer. The state kept at `from` points into this file and is of no use
 * without it, but a later build starts from HEAD's. False when the body is damaged or the file
 * can't be written (in place: the file for `from` is gone then, as a damaged one would be).
 */
function copyExtended(from: string, h: Header, more?: { to: string; header: Header; tail: Buffer }): boolean {
  const tmp = more ? tempName(more.to) : '';
  const line = more ? headerLine(more.header) : undefined;
  const inPlace = line !== undefined && line.length === h.headerBytes;
  let fd: number | undefined;
  let out: number | undefined;
  try {
    if (inPlace) {
      renameSync(from, tmp);
      ({ fd } = openCacheFile(tmp, 'update'));
    } else {
      ({ fd } = openCacheFile(from));
      if (more) {
        out = openSync(tmp, 'w');
        writeSync(out, line!);
      }
    }
    const chunk = Buffer.allocUnsafe(1 << 20);
    let at = h.headerBytes!;
    let crc = 0;
    for (let left = h.bytes; left > 0; ) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, left), at);
      if (n <= 0) return failed();
      crc = crc32(chunk.subarray(0, n), crc);
      if (out !== undefined) writeSync(out, chunk, 0, n);
      at += n;
      left -= n;
    }
    if (crc >>> 0 !== h.crc) return failed();
    if (!more) return true;
    if (inPlace) {
      writeSync(fd, more.tail, 0, more.tail.length, h.headerBytes! + h.bytes);
      writeSync(fd, line!, 0, line!.length, 0);
    } else {
      writeSync(out!, more.tail);
      closeSync(out!);
      out = undefined;
    }
    renameSync(tmp, more.to);
    touch(more.to);
    prune(dirname(more.to), more.to);
    return true;
  } catch (e) {
    if (more) cacheWriteFailed(more.to, e);
    return failed();
  } finally {
    if (fd !== undefined) closeSync(fd);
    if (out !== undefined) closeSync(out);
  }
  function failed(): false {
    if (tmp) remove(tmp);
    return false;
  }
}

/** The commits at `offsets` of the body of HEAD's cache file (what a report state points at). */
export function historyLines(ctx: StoreContext, head: string, offsets: number[]): HistoryCommit[] {
  const file = join(modelgitDir(ctx.gitDir, 'report'), `${head}.history`);
  const { fd, size } = openCacheFile(file);
  try {
    const start = Buffer.allocUnsafe(Math.min(size, 4096));
    const h = historyHeader(start.subarray(0, readSync(fd, start, 0, start.length, 0)), size);
    if (h.commit !== head) throw new CorruptHistoryError('header names another commit');
    const out: HistoryCommit[] = [];
    for (const offset of offsets) {
      if (offset < 0 || offset >= h.bytes) throw new CorruptHistoryError('a line outside the body');
      const parts: Buffer[] = [];
      for (let at = h.headerBytes! + offset; ; ) {
        const chunk = Buffer.allocUnsafe(16384);
        const n = readSync(fd, chunk, 0, chunk.length, at);
        const nl = chunk.subarray(0, n).indexOf(10);
        parts.push(chunk.subarray(0, nl >= 0 ? nl : n));
        if (nl >= 0 || n === 0 || at + n >= size) break;
        at += n;
      }
      out.push(decodeHistoryLine(Buffer.concat(parts).toString('utf8'), ctx.config.models_dir));
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

interface Pending {
  change: ModelFileChange;
  oid: string;
  gone: boolean;
}

/**
 * What the report keeps of each commit: model file changes, the trailers it reads, and whether it
 * is on the first-parent line (from head down to `stop`). Returns the first-parent changes too,
 * whose summaries are still to be filled in.
 */
function toHistory(ordered: ScannedCommit[], head: string, stop: string | undefined, ctx: StoreContext): { commits: HistoryCommit[]; pending: Pending[] } {
  const byId = new Map(ordered.map((c) => [c.commit, c]));
  const line = new Set<string>();
  for (let c = byId.get(head); c && c.commit !== stop && !line.has(c.commit); c = c.parents[0] ? byId.get(c.parents[0]) : undefined) line.add(c.commit);
  const pending: Pending[] = [];
  const commits = ordered.map((c): HistoryCommit => {
    const firstParent = line.has(c.commit);
    const changes: ModelFileChange[] = [];
    for (const ch of c.changes) {
      if (!parseModelPath(ctx.config, ch.path)) continue;
      const change: ModelFileChange = { path: ch.path };
      changes.push(change);
      if (firstParent) pending.push({ change, oid: ch.oid, gone: ch.status === 'D' || ZERO_OID.test(ch.oid) });
    }
    return { commit: c.commit, author: c.author, date: c.date, time: c.time, subject: c.subject, trailers: reportTrailers(c.trailers), firstParent, changes };
  });
  return { commits, pending };
}

/**
 * Fills in what each first-parent change left in its file. A file's last change holds what HEAD
 * has, which the snapshot already parsed; every other version is read from git, one
 * `cat-file --batch` per core on a big history.
 */
async function summarise(ctx: StoreContext, snapshot: Pick<Snapshot, 'models'>, pending: Pending[]): Promise<void> {
  const last = new Map<string, Pending>();
  for (const p of pending) last.set(p.change.path, p);
  const atHead = new Map<string, Model>();
  for (const m of snapshot.models) atHead.set(m.path, m);
  const wanted = new Map<string, Pending[]>();
  for (const p of pending) {
    if (p.gone) {
      p.change.summary = null;
      continue;
    }
    const model = last.get(p.change.path) === p ? atHead.get(p.change.path) : undefined;
    if (model) {
      p.change.summary = summarize(model.metadata);
      continue;
    }
    const list = wanted.get(p.oid);
    if (list) list.push(p);
    else wanted.set(p.oid, [p]);
  }
  const oids = [...wanted.keys()];
  const summaries = new Map<string, ScoreSummary | null>();
  const read = (oid: string, content: Buffer) => {
    const text = content.toString('utf8');
    for (const p of wanted.get(oid)!) {
      // the same blob at two paths parses differently (the id must match the file name)
      const key = `${p.change.path}\0${oid}`;
      if (!summaries.has(key)) {
        const meta = parseModelBlob(p.change.path, text, ctx.config).model?.metadata;
        summaries.set(key, meta ? summarize(meta) : null);
      }
    }
  };
  const half = oids.length > 4000 ? Math.ceil(oids.length / 2) : oids.length;
  await Promise.all([ctx.git.forEachObject(oids.slice(0, half), read), ctx.git.forEachObject(oids.slice(half), read)]);
  // a blob git does not have (a partial clone) reads as nothing, as the snapshot reader does
  for (const [oid, list] of wanted) for (const p of list) p.change.summary = summaries.get(`${p.change.path}\0${oid}`) ?? null;
}

/** The newest cached history whose commit is HEAD or an ancestor of it, or undefined. */
async function loadBase(ctx: StoreContext, dir: string, head: string, modelsDir: string, corrupt: (file: string, reason: string) => void): Promise<{ commit: string; commits: HistoryCommit[]; file: Buffer } | undefined> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.history'));
  } catch {
    return undefined;
  }
  const candidates: { file: string; commit: string; mtime: number }[] = [];
  for (const n of names) {
    const file = join(dir, n);
    try {
      const { head: start, size } = readHead(file);
      const h = historyHeader(start, size);
      if (`${h.commit}.history` !== n) throw new CorruptHistoryError('header names another commit');
      if (h.models_dir !== modelsDir) continue; // written before models_dir changed: not ours to use
      candidates.push({ file, commit: h.commit, mtime: statSync(file).mtimeMs });
    } catch (e) {
      // a FIFO or a link planted here is damage too: warned about, removed, rebuilt from git
      if (e instanceof CorruptHistoryError || e instanceof UnsafeFileError) corrupt(file, e.message);
    }
  }
  candidates.sort((a, b) => (a.commit === head ? -1 : b.commit === head ? 1 : b.mtime - a.mtime));
  for (const c of candidates) {
    if (c.commit !== head) {
      if (!(await ctx.git.isAncestor(c.commit, head))) continue;
    }
    try {
      const file = readCacheFile(c.file);
      const commits = decodeHistory(file, { commit: c.commit, modelsDir });
      touch(c.file);
      return { commit: c.commit, commits, file };
    } catch (e) {
      // a file pruned by another report meanwhile is a miss, not damage
      if (e instanceof CorruptHistoryError || e instanceof UnsafeFileError) corrupt(c.file, e.message);
    }
  }
  // HEAD behind a cached commit on that commit's first-parent line (a reset, or a report made there
  // again): a file is extended where it is, so the older commit's file is gone, but its history is
  // the front of the newer one's (canonical order) — taken from it, and kept under HEAD's name.
  for (const c of candidates) {
    if (!(await ctx.git.isAncestor(head, c.commit))) continue;
    try {
      const newer = readCacheFile(c.file);
      const all = decodeHistory(newer, { commit: c.commit, modelsDir });
      const at = all.findIndex((x) => x.commit === head);
      if (at < 0 || !all[at]!.firstParent) continue;
      const commits = all.slice(0, at + 1);
      const file = historyFront(newer, commits.length, head, modelsDir);
      trace(`${head}: the front of the history of ${c.commit}`);
      save(dir, head, file);
      return { commit: head, commits, file };
    } catch (e) {
      if (e instanceof CorruptHistoryError || e instanceof UnsafeFileError) corrupt(c.file, e.message);
    }
  }
  return undefined;
}

/** The first bytes of a file (enough for the header) and its size. */
function readHead(file: string): { head: Buffer; size: number } {
  // Not followed if a link, never blocking, a regular file (safe-files.ts).
  const { fd, size } = openCacheFile(file);
  try {
    const buf = Buffer.allocUnsafe(Math.min(size, 4096));
    const n = readSync(fd, buf, 0, buf.length, 0);
    return { head: buf.subarray(0, n), size };
  } finally {
    closeSync(fd);
  }
}

function save(dir: string, head: string, bytes: Buffer): boolean {
  const file = join(dir, `${head}.history`);
  // (a read-only or full disk only costs the next report its speed)
  if (!writeWhole(file, bytes)) return false;
  prune(dir, file);
  return true;
}

/** Keeps the KEEP most recently used histories (and drops temporary files a killed writer left). */
function prune(dir: string, keep: string): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const files = names.filter((n) => n.endsWith('.history')).map((n) => join(dir, n));
  files.sort((a, b) => (a === keep ? -1 : b === keep ? 1 : mtime(b) - mtime(a)));
  for (const f of files.slice(KEEP)) remove(f);
  // a report state points into the history of its commit: without it, it is of no use
  const kept = new Set(files.slice(0, KEEP).map((f) => f.slice(0, -'.history'.length)));
  for (const n of names) if (n.endsWith('.state') && !kept.has(join(dir, n.slice(0, -'.state'.length)))) remove(join(dir, n));
  for (const n of names) if (n.includes('.tmp-') && Date.now() - mtime(join(dir, n)) > 60_000) remove(join(dir, n));
}


