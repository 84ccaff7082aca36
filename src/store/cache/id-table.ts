// The id table of a models tree (`<tree>.ids` beside its manifest): for each model id, the files
// named `<algorithm>/<id>.json` in the tree, in the tree's order, with their blob ids. `compare ID…`
// and other reads of a few models by id used to ask git for `<algorithm tree>:<id>.json` in every
// algorithm directory, which makes git parse directories of 22,000 entries (~150 ms at 100,000
// models); with this table a warm read looks up each id in one small bucket and asks git only for
// the blobs, by id — content-addressed, so what it reads is exactly what the tree holds.
//
// Layout: header (96 bytes: magic, bucket count, bytes of the buckets, bytes of an object id, the
// tree id, reserved, CRC-32 of the header), a table of (bucket count + 1) × [offset, CRC-32 of the
// bucket], then the buckets: an id goes in bucket fnv1a(id) mod count, and a bucket is its ids one
// after another, each as u16 length, id (UTF-8), u8 file count, and per file u8 length, algorithm
// (UTF-8), blob id (raw bytes). A lookup reads the header, one table slot and one bucket per id,
// each checked by its CRC-32. Binary, written into one buffer: at 100,000 models the table is made
// in tens of milliseconds beside the manifest (JSON per bucket took a second).
import { crc32 } from 'node:zlib';
import { CorruptCacheError, OtherFormat } from './snapshot-file.js';
import { withPositionedFile } from './positioned-file.js';

const MAGIC = 'MGIDS002';
const HEADER = 96;
const HEADER_CRC_AT = HEADER - 4;
const TREE_AT = 24;
const IDS_PER_BUCKET = 8;
const MAX_BUCKET_BYTES = 64 << 20;

/** One file named after an id: its algorithm directory and blob id (hex). */
export type IdFile = [algorithm: string, oid: string];

/** FNV-1a over the UTF-16 code units: a string hash without allocating. */
function hashOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** The file's parts for `tree`, from its files in the tree's order: id, algorithm, raw blob id. */
export function encodeIdTable(tree: string, files: { id: string; algorithm: string; oid: Buffer }[]): Buffer[] {
  const byId = new Map<string, number[]>();
  files.forEach((f, i) => {
    const list = byId.get(f.id);
    if (list) list.push(i);
    else byId.set(f.id, [i]);
  });
  let buckets = 1;
  while (buckets * IDS_PER_BUCKET < byId.size) buckets *= 2;
  const oidBytes = files.length ? files[0]!.oid.length : 20;
  // Sizes per bucket, then each id's place (a counting sort by bucket).
  const ids = [...byId.keys()];
  const bucketOfId = new Uint32Array(ids.length);
  const sizes = new Float64Array(buckets);
  ids.forEach((id, k) => {
    const b = hashOf(id) & (buckets - 1);
    bucketOfId[k] = b;
    let size = 2 + Buffer.byteLength(id, 'utf8') + 1;
    for (const i of byId.get(id)!) size += 1 + Buffer.byteLength(files[i]!.algorithm, 'utf8') + oidBytes;
    sizes[b] = sizes[b]! + size;
  });
  const starts = new Float64Array(buckets + 1);
  for (let b = 0; b < buckets; b++) starts[b + 1] = starts[b]! + sizes[b]!;
  const body = Buffer.alloc(starts[buckets]!);
  const next = Float64Array.from(starts.subarray(0, buckets));
  ids.forEach((id, k) => {
    const b = bucketOfId[k]!;
    let at = next[b]!;
    const list = byId.get(id)!;
    const idLength = body.write(id, at + 2, 'utf8');
    if (idLength > 0xffff || list.length > 0xff) throw new Error(`id table: ${id} is too long or has too many files`);
    body.writeUInt16LE(idLength, at);
    at += 2 + idLength;
    body[at++] = list.length;
    for (const i of list) {
      const f = files[i]!;
      const n = body.write(f.algorithm, at + 1, 'utf8');
      if (n > 0xff) throw new Error(`id table: algorithm ${f.algorithm} is too long`);
      body[at] = n;
      at += 1 + n;
      at += f.oid.copy(body, at);
    }
    next[b] = at;
  });
  const table = Buffer.alloc((buckets + 1) * 8);
  for (let b = 0; b <= buckets; b++) {
    table.writeUInt32LE(starts[b]!, b * 8);
    if (b < buckets) table.writeUInt32LE(crc32(body.subarray(starts[b]!, starts[b + 1]!)), b * 8 + 4);
  }
  const header = Buffer.alloc(HEADER);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(buckets, 8);
  header.writeUInt32LE(body.length, 12);
  header.writeUInt32LE(oidBytes, 16);
  header.write(tree, TREE_AT, 'latin1');
  header.writeUInt32LE(crc32(header.subarray(0, HEADER_CRC_AT)), HEADER_CRC_AT);
  return [header, table, body];
}

/** The files of `id` in one bucket (none: an empty list); throws CorruptCacheError on a bad record. */
function findInBucket(bucket: Buffer, id: string, oidBytes: number): IdFile[] {
  const fail = () => new CorruptCacheError('bad bucket');
  const want = Buffer.from(id, 'utf8');
  let at = 0;
  while (at < bucket.length) {
    if (at + 3 > bucket.length) throw fail();
    const idLength = bucket.readUInt16LE(at);
    const idAt = at + 2;
    if (idAt + idLength + 1 > bucket.length) throw fail();
    const count = bucket[idAt + idLength]!;
    at = idAt + idLength + 1;
    const found = idLength === want.length && bucket.compare(want, 0, want.length, idAt, idAt + idLength) === 0;
    const out: IdFile[] = [];
    for (let k = 0; k < count; k++) {
      if (at + 1 > bucket.length) throw fail();
      const n = bucket[at]!;
      if (at + 1 + n + oidBytes > bucket.length) throw fail();
      if (found) out.push([bucket.toString('utf8', at + 1, at + 1 + n), bucket.toString('hex', at + 1 + n, at + 1 + n + oidBytes)]);
      at += 1 + n + oidBytes;
    }
    if (found) return out;
  }
  return [];
}

/**
 * The files named after each id (in the tree's order; none: an empty list), from the table of
 * `tree` at `file`; undefined when there is no such file. Throws CorruptCacheError when what it
 * read is damaged or is another tree's table, OtherFormat when another version wrote it.
 */
export function lookUpIds(file: string, tree: string, ids: string[]): Map<string, IdFile[]> | undefined {
  return withPositionedFile(file, ({ size, read, bucket }) => {
    const header = read(0, HEADER);
    const magic = header.toString('latin1', 0, 8);
    if (magic.startsWith('MGIDS') && magic !== MAGIC) throw new OtherFormat('another format');
    if (magic !== MAGIC) throw new CorruptCacheError('not an id table');
    if (crc32(header.subarray(0, HEADER_CRC_AT)) !== header.readUInt32LE(HEADER_CRC_AT)) throw new CorruptCacheError('checksum mismatch');
    const buckets = header.readUInt32LE(8);
    const bytes = header.readUInt32LE(12);
    const oidBytes = header.readUInt32LE(16);
    if (header.toString('latin1', TREE_AT, TREE_AT + tree.length) !== tree || header[TREE_AT + tree.length] !== 0) throw new CorruptCacheError('another tree');
    if (buckets === 0 || (buckets & (buckets - 1)) !== 0 || (oidBytes !== 20 && oidBytes !== 32)) throw new CorruptCacheError('bad layout');
    const bucketsAt = HEADER + (buckets + 1) * 8;
    if (size !== bucketsAt + bytes) throw new CorruptCacheError(`size ${size}, expected ${bucketsAt + bytes}`);
    const out = new Map<string, IdFile[]>();
    const read1 = new Map<number, Buffer>();
    for (const id of ids) {
      const b = hashOf(id) & (buckets - 1);
      let found = read1.get(b);
      if (!found) read1.set(b, (found = bucket(HEADER + b * 8, bucketsAt, bytes, MAX_BUCKET_BYTES)));
      out.set(id, findInBucket(found, id, oidBytes));
    }
    return out;
  });
}
