import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArtifactError } from '../../../src/errors.js';
import { headerLengthOf, parseHeaderJson, readSafetensorsHeader, tensorBytes } from '../../../src/loading/safetensors.js';
import { safetensorsBytes, WRAPPED_TENSORS } from '../../fixtures/legacy.js';
import { tempDir } from '../../helpers.js';

function file(bytes: Buffer): string {
  const p = join(tempDir(), 'model.safetensors');
  writeFileSync(p, bytes);
  return p;
}

describe('safetensors header', () => {
  it('reads the tensors and __metadata__ of a real file', async () => {
    const bytes = safetensorsBytes(WRAPPED_TENSORS, { metadata: { format: 'pt' } });
    const h = await readSafetensorsHeader(file(bytes));
    expect(Object.keys(h.tensors)).toEqual(Object.keys(WRAPPED_TENSORS));
    expect(h.tensors['base_model.transformer.h.0.mlp.c_fc.weight']).toEqual({ dtype: 'F16', shape: [8, 32], data_offsets: [16 * 8 * 4 + 8 * 24 * 4, 16 * 8 * 4 + 8 * 24 * 4 + 8 * 32 * 2] });
    expect(h.metadata).toEqual({ format: 'pt' });
    expect(h.headerLength).toBe(bytes.readUInt32LE(0));
    expect(h.dataBytes).toBe(bytes.length - 8 - h.headerLength);
  });

  it('reads only the header bytes: a huge sparse data region costs nothing', async () => {
    // 2 GB of declared data; the file is sparse, so only reading it would take time and memory.
    const header = Buffer.from(JSON.stringify({ w: { dtype: 'F32', shape: [536870912], data_offsets: [0, 2147483648] } }));
    const len = Buffer.alloc(8);
    len.writeUInt32LE(header.length, 0);
    const p = join(tempDir(), 'big.safetensors');
    writeFileSync(p, Buffer.concat([len, header]));
    const { truncateSync } = await import('node:fs');
    truncateSync(p, 8 + header.length + 2147483648);
    const before = process.memoryUsage().rss;
    const h = await readSafetensorsHeader(p);
    expect(h.tensors.w!.shape).toEqual([536870912]);
    expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
  });

  it('says "truncated" when tensor data runs past the end of the file', async () => {
    const p = file(safetensorsBytes(WRAPPED_TENSORS, { truncateBy: 10 }));
    await expect(readSafetensorsHeader(p)).rejects.toThrow(/truncated safetensors file: tensor "base_model.lm_head.weight" ends at byte \d+ of the data, but the file holds only \d+/);
  });

  it('says "truncated" when the file stops inside the header or the length', async () => {
    const full = safetensorsBytes(WRAPPED_TENSORS);
    await expect(readSafetensorsHeader(file(full.subarray(0, 40)))).rejects.toThrow(/truncated safetensors file: the header says \d+ bytes of JSON but only 32 bytes follow/);
    await expect(readSafetensorsHeader(file(full.subarray(0, 5)))).rejects.toThrow(/truncated safetensors file: 5 bytes, shorter than the 8-byte header length/);
  });

  it('refuses a header that is not JSON, an absurd length, and bad tensor entries', async () => {
    const junk = Buffer.concat([Buffer.from([5, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{nope')]);
    await expect(readSafetensorsHeader(file(junk))).rejects.toThrow(/the 5-byte header is not JSON/);
    const huge = Buffer.alloc(16, 0xff);
    await expect(readSafetensorsHeader(file(huge))).rejects.toThrow(/header length \d+ is out of range/);
    expect(() => parseHeaderJson('f', '{"w": {"dtype": "F32", "shape": [2]}}', 10, 100)).toThrow(/needs "dtype", "shape" and "data_offsets"/);
    expect(() => parseHeaderJson('f', '{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}', 10, 100)).toThrow(/should take 8 bytes but data_offsets give 4/);
    expect(() => parseHeaderJson('f', '{"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}', 10, 100)).toThrow(/bad shape/);
    expect(() => parseHeaderJson('f', '[1]', 3, 100)).toThrow(ArtifactError);
  });

  it('names the file in every error, and a missing file', async () => {
    await expect(readSafetensorsHeader('/nonexistent/x.safetensors')).rejects.toThrow(/\/nonexistent\/x.safetensors: cannot open: ENOENT/);
  });

  it('knows dtype sizes and the 8-byte length', () => {
    expect(tensorBytes('BF16', [3, 4])).toBe(24);
    expect(tensorBytes('F4', [3])).toBeUndefined();
    expect(headerLengthOf(Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]))).toBe(257);
    expect(headerLengthOf(Buffer.alloc(7))).toBeUndefined();
  });
});
