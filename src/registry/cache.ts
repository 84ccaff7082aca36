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
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { ErrorLocation } from '../errors.js';

export const CACHE_FORMAT = 1;
const MAGIC = 'modelgit-snapshot-cache';

/** One metadata file of a tree: where it is, its blob, what parsing it gave, and its text. */
export interface IndexEntry {
  path: string;
  oid: string;
  /** the model id when the file parsed into a model */
  id?: string;
  /** why it did not (then there is no id) */
  problem?: ErrorLocation;
  /** the blob's bytes: `len` bytes of `buf` from `off` */
  buf: Buffer;
  off: number;
  len: number;
}

export interface CachedIndex {
  tree: string;
  entries: IndexEntry[];
  /** for a delta: the full index it applies to, and its own changes (so a next delta can extend them) */
  base?: string;
  changes?: IndexEntry[];
  /** removed paths, for deltas */
  removed?: string[];
}

type WireEntry = [path: string, oid: string, id: string | null, problem: ErrorLocation | null, off: number, len: number];

interface Header {
  format: number;
  kind: 'full' | 'delta';
  tree: string;
  models_dir: string;
  base?: string;
  removed?: string[];
  entries_bytes: number;
  texts_bytes: number;
  crc: number;
}

export class CorruptCacheError extends Error {}

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

  /** Warns once per process, then removes the bad file so the next run rebuilds it quietly. */
  private corrupt(file: string, reason: string): void {
    if (!this.warned) {
      this.warned = true;
      this.warn(`modelgit: warning: the snapshot cache ${file} is unreadable (${reason}); rebuilding it from git\n`);
    }
    try {
      unlinkSync(file);
    } catch {
      /* already gone, or read-only: the rebuild overwrites it */
    }
  }

  /** The index of `tree` from a .full file or a .delta on a .full, or undefined. */
  load(tree: string): CachedIndex | undefined {
    const full = this.readFile(this.file(tree, 'full'), tree, 'full');
    if (full) return full;
    const delta = this.readFile(this.file(tree, 'delta'), tree, 'delta');
    if (!delta || !delta.base) return undefined;
    const base = this.readFile(this.file(delta.base, 'full'), delta.base, 'full');
    if (!base) return undefined; // pruned meanwhile: a miss, not a fault
    return { tree, base: delta.base, changes: delta.entries, removed: delta.removed, entries: applyChanges(base.entries, delta.entries, delta.removed ?? []) };
  }

  /** The tree the last read of HEAD used, if its index is still here. */
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
    let buf: Buffer;
    try {
      buf = readFileSync(file);
    } catch {
      return undefined;
    }
    try {
      const index = this.decode(buf, tree, kind);
      touch(file);
      return index;
    } catch (e) {
      this.corrupt(file, e instanceof CorruptCacheError ? e.message : String(e));
      return undefined;
    }
  }

  private decode(buf: Buffer, tree: string, kind: 'full' | 'delta'): CachedIndex {
    const nl1 = buf.indexOf(10);
    if (nl1 < 0 || buf.toString('latin1', 0, nl1) !== MAGIC) throw new CorruptCacheError('not a snapshot cache file');
    const nl2 = buf.indexOf(10, nl1 + 1);
    if (nl2 < 0) throw new CorruptCacheError('truncated header');
    let h: Header;
    try {
      h = JSON.parse(buf.toString('utf8', nl1 + 1, nl2)) as Header;
    } catch {
      throw new CorruptCacheError('unreadable header');
    }
    if (h.format !== CACHE_FORMAT) throw new CorruptCacheError(`format ${h.format}, expected ${CACHE_FORMAT}`);
    if (h.kind !== kind || h.tree !== tree) throw new CorruptCacheError('header names another tree');
    if (h.models_dir !== this.modelsDir) throw new CorruptCacheError('written for another models_dir');
    const start = nl2 + 1;
    if (buf.length !== start + h.entries_bytes + h.texts_bytes) throw new CorruptCacheError('truncated or padded');
    if (crc32(buf.subarray(start)) >>> 0 !== h.crc) throw new CorruptCacheError('checksum mismatch');
    const textsAt = start + h.entries_bytes;
    let wire: WireEntry[];
    try {
      wire = JSON.parse(buf.toString('utf8', start, textsAt)) as WireEntry[];
    } catch {
      throw new CorruptCacheError('unreadable entries');
    }
    const entries: IndexEntry[] = new Array(wire.length);
    for (let i = 0; i < wire.length; i++) {
      const [path, oid, id, problem, off, len] = wire[i]!;
      const e: IndexEntry = { path, oid, buf, off: textsAt + off, len };
      if (id !== null) e.id = id;
      if (problem !== null) e.problem = problem;
      entries[i] = e;
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
    const wire: WireEntry[] = [];
    let off = 0;
    for (const e of entries) {
      wire.push([e.path, e.oid, e.id ?? null, e.problem ?? null, off, e.len]);
      off += e.len;
    }
    const entriesBuf = Buffer.from(JSON.stringify(wire), 'utf8');
    // The checksum runs over entries then texts, continued part by part: no joined copy.
    let crc = crc32(entriesBuf);
    const texts = entries.map((e) => {
      const t = e.buf.subarray(e.off, e.off + e.len);
      crc = crc32(t, crc);
      return t;
    });
    const header: Header = { format: CACHE_FORMAT, ...head, models_dir: this.modelsDir, entries_bytes: entriesBuf.length, texts_bytes: off, crc: crc >>> 0 };
    this.atomicWrite(file, [Buffer.from(`${MAGIC}\n${JSON.stringify(header)}\n`), entriesBuf, ...texts]);
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
    });
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

