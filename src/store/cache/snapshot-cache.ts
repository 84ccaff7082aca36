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
//   <tree>.ids    that tree's id table (id-table.ts): per id its files and blob ids, so a few models
//                 are read by blob id without git reading the algorithm directories (compare)
//
// SnapshotCache loads, saves and prunes these files; their formats are snapshot-file.ts (.full,
// .delta), index-writer.ts (writing them) and sections.ts (.sum, .alg); building them from git is
// snapshot-fill.ts.
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, renameSync, statSync, unlinkSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { ModelSummary, SummaryResult } from '../../domain/summary.js';
import { cacheWriteFailed, mtime, remove, tempName, touch } from './files.js';
import { isMissing, openCacheFile, readCacheFile, UnsafeFileError } from '../../loading/safe-files.js';
import { applyChanges, CorruptCacheError, decodeIndex, FileTexts, headerOf, oidOf, OtherFormat, type CachedIndex, type Header, type IndexEntry } from './snapshot-file.js';
import { CacheWriteError, IndexFileWriter } from './index-writer.js';
import { encodeIdTable, lookUpIds, type IdFile } from './id-table.js';
import {
  ITEM_SUMMARY,
  joinResultGroups,
  MANIFEST_MAGIC,
  readHeader,
  resultGroups,
  resultsInMemory,
  SECTION_MAGIC,
  SUMMARY_FORMAT,
  type Manifest,
  type ResultGroup,
  type Section,
  type SectionHeader,
  type SectionItem,
} from './sections.js';

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

  /**
   * Whether the cache has nothing a read of `tree` could start from: no index or manifest of it and
   * no tree of a last read to diff against (a fresh clone). Looks at file names only.
   */
  holdsNothingFor(tree: string): boolean {
    return !existsSync(join(this.dir, 'HEAD')) && !existsSync(this.file(tree, 'full')) && !existsSync(this.file(tree, 'delta')) && !existsSync(join(this.dir, `${tree}.sum`));
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

  /** A cache file opened for reading, or undefined: missing, or damaged (then removed with a warning). */
  private openOrDiscard(file: string): number | undefined {
    try {
      // Not followed if a link, never blocking, a regular file (safe-files.ts); else damage.
      return openCacheFile(file).fd;
    } catch (e) {
      if (!isMissing(e)) this.discard(file, e);
      return undefined;
    }
  }

  private readFile(file: string, tree: string, kind: 'full' | 'delta'): CachedIndex | undefined {
    const fd = this.openOrDiscard(file);
    if (fd === undefined) return undefined;
    try {
      const index = decodeIndex(fd, tree, kind, this.modelsDir);
      index.files = [file];
      touch(file);
      return index;
    } catch (e) {
      closeSync(fd);
      this.discard(file, e);
      return undefined;
    }
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

  /** Writes the id table of `tree` (id-table.ts) from its index entries, in their (the tree's) order. */
  saveIds(tree: string, entries: IndexEntry[]): void {
    const dirLength = this.modelsDir.length + 1;
    const files = entries.map((e) => {
      const slash = e.path.lastIndexOf('/');
      return { id: e.path.slice(slash + 1, -'.json'.length), algorithm: e.path.slice(dirLength, slash), oid: e.oids.subarray(e.oidAt, e.oidAt + 20) };
    });
    this.atomicWrite(join(this.dir, `${tree}.ids`), encodeIdTable(tree, files));
  }

  /** The files named after each id in `tree`, from its id table; undefined without one (a damaged one is removed with a warning). */
  loadIds(tree: string, ids: string[]): Map<string, IdFile[]> | undefined {
    const file = join(this.dir, `${tree}.ids`);
    try {
      const found = lookUpIds(file, tree, ids);
      if (found) touch(file);
      return found;
    } catch (e) {
      this.discard(file, e);
      return undefined;
    }
  }

  private sectionFile(algorithm: string, key: string): string {
    return join(this.dir, `${Buffer.from(algorithm).toString('hex')}.${key}.alg`);
  }

  /** One algorithm's summary section, or undefined (a damaged one is removed with a warning). */
  loadSection(algorithm: string, key: string): Section | undefined {
    const file = this.sectionFile(algorithm, key);
    const fd = this.openOrDiscard(file);
    if (fd === undefined) return undefined;
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
    for (const n of names) if (n.endsWith('.ids') && !kept.has(n.slice(0, -'.ids'.length))) remove(join(this.dir, n));
    // Temporary files left by a killed writer.
    for (const n of names) if (n.includes('.tmp-') && Date.now() - stat(n) > 60_000) remove(join(this.dir, n));
  }
}
