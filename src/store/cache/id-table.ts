// The id table of a models tree (`<tree>.ids` beside its manifest): for each model id, the files
// named `<algorithm>/<id>.json` in the tree, in the tree's order, with their blob ids. `compare ID…`
// and other reads of a few models by id used to ask git for `<algorithm tree>:<id>.json` in every
// algorithm directory, which makes git parse directories of 22,000 entries (~150 ms at 100,000
// models); with this table a warm read looks up each id in one small bucket and asks git only for
// the blobs, by id — content-addressed, so what it reads is exactly what the tree holds.
//
// Layout: header (96 bytes: magic, bucket count, the tree id, reserved, CRC-32 of the header), a
// table of (bucket count + 1) × [offset, CRC-32 of the bucket], then the buckets: an id goes in
// bucket crc32(id) mod count, and a bucket is the JSON text [[id, [[algorithm, blob id], …]], …].
// A lookup reads the header, one table slot and one bucket per id, each checked by its CRC-32.
import { closeSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { CorruptCacheError } from './snapshot-file.js';
import { isMissing, openCacheFile } from '../../loading/safe-files.js';

const MAGIC = 'MGIDS001';
const HEADER = 96;
const HEADER_CRC_AT = HEADER - 4;
const IDS_PER_BUCKET = 8;
const MAX_BUCKET_BYTES = 64 << 20;

/** One file named after an id: its algorithm directory and blob id. */
export type IdFile = [algorithm: string, oid: string];

function bucketOf(id: string, buckets: number): number {
  return buckets <= 1 ? 0 : crc32(Buffer.from(id, 'utf8')) & (buckets - 1);
}

/** The file's parts for `tree`, from its files as (id, algorithm, blob id) in the tree's order. */
export function encodeIdTable(tree: string, files: Iterable<{ id: string; algorithm: string; oid: string }>): Buffer[] {
  const byId = new Map<string, IdFile[]>();
  for (const f of files) {
    const list = byId.get(f.id);
    if (list) list.push([f.algorithm, f.oid]);
    else byId.set(f.id, [[f.algorithm, f.oid]]);
  }
  let buckets = 1;
  while (buckets * IDS_PER_BUCKET < byId.size) buckets *= 2;
  const rows: [string, IdFile[]][][] = Array.from({ length: buckets }, () => []);
  for (const row of byId) rows[bucketOf(row[0], buckets)]!.push(row);
  const table = Buffer.alloc((buckets + 1) * 8);
  const parts: Buffer[] = [];
  let at = 0;
  rows.forEach((bucket, b) => {
    const bytes = bucket.length ? Buffer.from(JSON.stringify(bucket), 'utf8') : Buffer.alloc(0);
    table.writeUInt32LE(at, b * 8);
    table.writeUInt32LE(crc32(bytes), b * 8 + 4);
    parts.push(bytes);
    at += bytes.length;
  });
  table.writeUInt32LE(at, buckets * 8);
  const header = Buffer.alloc(HEADER);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(buckets, 8);
  header.writeUInt32LE(at, 12);
  header.write(tree, 16, 'latin1');
  header.writeUInt32LE(crc32(header.subarray(0, HEADER_CRC_AT)), HEADER_CRC_AT);
  return [header, table, ...parts];
}

/**
 * The files named after each id (in the tree's order; none: an empty list), from the table of
 * `tree` at `file`; undefined when there is no such file. Throws CorruptCacheError when what it
 * read is damaged or is another tree's table.
 */
export function lookUpIds(file: string, tree: string, ids: string[]): Map<string, IdFile[]> | undefined {
  let opened: { fd: number; size: number };
  try {
    opened = openCacheFile(file);
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw new CorruptCacheError((e as Error).message);
  }
  const { fd, size } = opened;
  try {
    const read = (at: number, length: number): Buffer => {
      if (at + length > size) throw new CorruptCacheError('truncated');
      const b = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, b, done, length - done, at + done);
        if (n === 0) throw new CorruptCacheError('truncated');
        done += n;
      }
      return b;
    };
    const header = read(0, HEADER);
    if (header.toString('latin1', 0, 8) !== MAGIC) throw new CorruptCacheError('not an id table');
    if (crc32(header.subarray(0, HEADER_CRC_AT)) !== header.readUInt32LE(HEADER_CRC_AT)) throw new CorruptCacheError('checksum mismatch');
    const buckets = header.readUInt32LE(8);
    const bytes = header.readUInt32LE(12);
    if (header.toString('latin1', 16, 16 + tree.length) !== tree || header[16 + tree.length] !== 0) throw new CorruptCacheError('another tree');
    if (buckets === 0 || (buckets & (buckets - 1)) !== 0) throw new CorruptCacheError('bad layout');
    const bucketsAt = HEADER + (buckets + 1) * 8;
    if (size !== bucketsAt + bytes) throw new CorruptCacheError(`size ${size}, expected ${bucketsAt + bytes}`);
    const out = new Map<string, IdFile[]>();
    const parsed = new Map<number, [string, IdFile[]][]>();
    for (const id of ids) {
      const b = bucketOf(id, buckets);
      let rows = parsed.get(b);
      if (!rows) {
        const slot = read(HEADER + b * 8, 12);
        const from = slot.readUInt32LE(0);
        const to = slot.readUInt32LE(8);
        if (to < from || to > bytes || to - from > MAX_BUCKET_BYTES) throw new CorruptCacheError('bad bucket table');
        const text = read(bucketsAt + from, to - from);
        if (crc32(text) !== slot.readUInt32LE(4)) throw new CorruptCacheError('checksum mismatch');
        rows = text.length ? (JSON.parse(text.toString('utf8')) as [string, IdFile[]][]) : [];
        parsed.set(b, rows);
      }
      out.set(id, rows.find((r) => r[0] === id)?.[1] ?? []);
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
