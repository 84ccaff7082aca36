// Reading a cache file a few byte ranges at a time: the history index and the id table are read by
// bucket, so that one answer at 100,000 models costs a header, a slot and a bucket rather than the
// whole file. The file is opened as every cache file is (no symlink, a regular file); a range that
// is not all there, a slot that points outside the buckets and a bucket whose CRC-32 does not
// match are damage (CorruptCacheError), as a whole-file read would find them.
import { closeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { isMissing, openCacheFile } from '../../loading/safe-files.js';
import { CorruptCacheError, readAt } from './snapshot-file.js';

export interface PositionedFile {
  size: number;
  /** exactly `length` bytes at `at` */
  read(at: number, length: number): Buffer;
  /**
   * The bucket whose 12-byte slot is at `slotAt` (its start, its CRC-32, and the next slot's start
   * as its end, each a little-endian u32), its bytes `bucketsAt` + start: checked before use.
   */
  bucket(slotAt: number, bucketsAt: number, bucketBytes: number, maxBytes: number): Buffer;
}

/** `use` on `file` opened for positioned reads, closed after; undefined when there is no such file. */
export function withPositionedFile<T>(file: string, use: (f: PositionedFile) => T): T | undefined {
  let opened: { fd: number; size: number };
  try {
    opened = openCacheFile(file);
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw new CorruptCacheError((e as Error).message);
  }
  const { fd, size } = opened;
  const read = (at: number, length: number): Buffer => {
    if (at + length > size) throw new CorruptCacheError(`size ${size}, expected more than ${at + length}`);
    return readAt(fd, at, length);
  };
  const bucket = (slotAt: number, bucketsAt: number, bucketBytes: number, maxBytes: number): Buffer => {
    const slot = read(slotAt, 12);
    const from = slot.readUInt32LE(0);
    const to = slot.readUInt32LE(8);
    if (to < from || to > bucketBytes || to - from > maxBytes) throw new CorruptCacheError('bad bucket table');
    const bytes = read(bucketsAt + from, to - from);
    if (crc32(bytes) !== slot.readUInt32LE(4)) throw new CorruptCacheError('checksum mismatch');
    return bytes;
  };
  try {
    return use({ size, read, bucket });
  } finally {
    closeSync(fd);
  }
}
