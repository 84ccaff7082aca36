// `git cat-file --batch` output arrives in pipe-sized chunks; a big object is thousands of them.
// Joining the buffer on every chunk made reading a 50 MB model file quadratic (two minutes for
// `show`); BatchRecords keeps the chunks aside and joins each object once.
import { describe, expect, it } from 'vitest';
import { BatchRecords } from '../../../src/git/objects.js';

function record(oid: string, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${oid} blob ${body.length}\n`), body, Buffer.from('\n')]);
}

function feed(stream: Buffer, chunk: number): { header: string; body?: Buffer }[] {
  const got: { header: string; body?: Buffer }[] = [];
  const r = new BatchRecords((header, body) => got.push({ header, body: body && Buffer.from(body) }));
  for (let at = 0; at < stream.length; at += chunk) r.push(stream.subarray(at, at + chunk));
  return got;
}

describe('BatchRecords', () => {
  it('splits records wherever the chunks break, including inside headers and bodies', () => {
    const a = Buffer.from('{"a":1}');
    const b = Buffer.from('line one\nline two\n');
    const stream = Buffer.concat([record('1'.repeat(40), a), Buffer.from(`${'2'.repeat(40)} missing\n`), record('3'.repeat(40), b), record('4'.repeat(40), Buffer.alloc(0))]);
    for (const chunk of [1, 2, 3, 7, 64, stream.length]) {
      const got = feed(stream, chunk);
      expect(got.map((g) => g.header.split(' ')[0]!.slice(0, 1))).toEqual(['1', '2', '3', '4']);
      expect(got[0]!.body!.equals(a)).toBe(true);
      expect(got[1]!.body).toBeUndefined();
      expect(got[2]!.body!.equals(b)).toBe(true);
      expect(got[3]!.body!.length).toBe(0);
    }
  });

  it('reads a 24 MB object in 4 KB chunks in linear time (joining per chunk would copy ~70 GB)', () => {
    const body = Buffer.alloc(24 * 1024 * 1024, 0x61);
    body[body.length - 1] = 0x62;
    const stream = Buffer.concat([record('5'.repeat(40), body), record('6'.repeat(40), Buffer.from('tail'))]);
    const started = Date.now();
    const got = feed(stream, 4096);
    const elapsed = Date.now() - started;
    expect(got).toHaveLength(2);
    expect(got[0]!.body!.length).toBe(body.length);
    expect(got[0]!.body!.equals(body)).toBe(true);
    expect(got[1]!.body!.toString()).toBe('tail');
    // Linear: ~6,000 pushes and one 24 MB join take milliseconds; the quadratic reader took minutes.
    expect(elapsed).toBeLessThan(5000);
  });
});
