// Where the entries of texts read from git go while a models tree is indexed: into memory
// (EntryWriter) or straight into a .full/.delta file (IndexFileWriter, streaming: the texts are
// written as they come and read back from the file, so indexing 100,000 models never holds them
// all). The format itself is snapshot-file.ts's.
import { closeSync, renameSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { ErrorLocation } from '../../errors.js';
import { remove } from './files.js';
import { CACHE_FORMAT, CHUNK, FileTexts, indexTrailer, MAGIC_LINE, MemoryTexts, readAt, RECORD, type Header, type IndexEntry, type TextSource } from './snapshot-file.js';

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
