// The safetensors header, read the way the format defines it: 8 bytes little-endian header length N,
// then N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {…}},
// then the tensor bytes. Only the 8 + N header bytes are read, never the tensors, so a 10 GB
// checkpoint costs one small read. A header that doesn't parse, or offsets that run past the end of
// the file (a truncated download), is an ArtifactError naming the file and what is wrong.
import { open } from 'node:fs/promises';
import { ArtifactError } from '../errors.js';

export interface TensorInfo {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsHeader {
  /** N, the JSON header's byte length */
  headerLength: number;
  /** tensor name → info, in the header's order */
  tensors: Record<string, TensorInfo>;
  /** the free-form "__metadata__" map, when present */
  metadata?: Record<string, string>;
  /** bytes after the header (the tensor data region) */
  dataBytes: number;
}

// The format's own cap (safetensors refuses headers over 100 MB); a larger N means a corrupt file.
export const MAX_HEADER_BYTES = 100_000_000;

const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, F8_E4M3FN: 1,
  I16: 2, U16: 2, F16: 2, BF16: 2,
  I32: 4, U32: 4, F32: 4,
  I64: 8, U64: 8, F64: 8,
};

/** Bytes a tensor of this dtype and shape occupies, or undefined for a dtype this reader doesn't know. */
export function tensorBytes(dtype: string, shape: number[]): number | undefined {
  const size = DTYPE_BYTES[dtype];
  return size === undefined ? undefined : shape.reduce((n, d) => n * d, size);
}

/** The header length from the first 8 bytes; undefined when the file is shorter than that. */
export function headerLengthOf(prefix: Buffer): number | undefined {
  if (prefix.length < 8) return undefined;
  const n = prefix.readBigUInt64LE(0);
  return n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);
}

/**
 * Checks a header's JSON against the file it came from. Pure: `json` is the header bytes as text,
 * `fileSize` the whole file's size. Throws ArtifactError naming `file`.
 */
export function parseHeaderJson(file: string, json: string, headerLength: number, fileSize: number): SafetensorsHeader {
  const fail = (why: string) => new ArtifactError(`${file}: not a valid safetensors file: ${why}`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw fail(`the ${headerLength}-byte header is not JSON (${(e as Error).message})`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw fail('the header is not a JSON object');
  const dataBytes = fileSize - 8 - headerLength;
  const tensors: Record<string, TensorInfo> = {};
  let metadata: Record<string, string> | undefined;
  for (const [name, info] of Object.entries(value as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (!info || typeof info !== 'object' || Array.isArray(info)) throw fail('"__metadata__" must be an object of strings');
      metadata = info as Record<string, string>;
      continue;
    }
    const t = info as Partial<TensorInfo> | null;
    if (!t || typeof t !== 'object' || typeof t.dtype !== 'string' || !Array.isArray(t.shape) || !Array.isArray(t.data_offsets)) {
      throw fail(`tensor ${JSON.stringify(name)} needs "dtype", "shape" and "data_offsets"`);
    }
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw fail(`tensor ${JSON.stringify(name)} has a bad shape ${JSON.stringify(t.shape)}`);
    const [begin, end] = t.data_offsets;
    if (t.data_offsets.length !== 2 || !Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin! < 0 || end! < begin!) {
      throw fail(`tensor ${JSON.stringify(name)} has bad data_offsets ${JSON.stringify(t.data_offsets)}`);
    }
    const expected = tensorBytes(t.dtype, t.shape);
    if (expected !== undefined && end! - begin! !== expected) {
      throw fail(`tensor ${JSON.stringify(name)} (${t.dtype} ${JSON.stringify(t.shape)}) should take ${expected} bytes but data_offsets give ${end! - begin!}`);
    }
    if (end! > dataBytes) {
      throw new ArtifactError(
        `${file}: truncated safetensors file: tensor ${JSON.stringify(name)} ends at byte ${end} of the data, but the file holds only ${dataBytes} data bytes (${fileSize} bytes in all)`,
        { hint: 'the download or copy was cut short; fetch the file again' },
      );
    }
    tensors[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [begin!, end!] };
  }
  return { headerLength, tensors, metadata, dataBytes };
}

/** Reads and checks the header of a .safetensors file, reading only the header bytes. */
export async function readSafetensorsHeader(file: string): Promise<SafetensorsHeader> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new ArtifactError(`${file}: cannot open: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const { size } = await fh.stat();
    const prefix = Buffer.alloc(8);
    const { bytesRead } = await fh.read(prefix, 0, 8, 0);
    const n = headerLengthOf(prefix.subarray(0, bytesRead));
    if (n === undefined) throw new ArtifactError(`${file}: truncated safetensors file: ${size} bytes, shorter than the 8-byte header length`);
    if (n === 0 || n > MAX_HEADER_BYTES) throw new ArtifactError(`${file}: not a valid safetensors file: header length ${n} is out of range (1…${MAX_HEADER_BYTES})`);
    if (8 + n > size) {
      throw new ArtifactError(`${file}: truncated safetensors file: the header says ${n} bytes of JSON but only ${size - 8} bytes follow`, {
        hint: 'the download or copy was cut short; fetch the file again',
      });
    }
    const header = Buffer.alloc(n);
    await fh.read(header, 0, n, 8);
    return parseHeaderJson(file, header.toString('utf8'), n, size);
  } finally {
    await fh.close();
  }
}
