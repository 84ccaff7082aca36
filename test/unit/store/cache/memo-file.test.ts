import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoFile, parseMemo, withMemo, type MemoEntry } from '../../../../src/store/cache/memo-file.js';

const e = (n: number, key = `k${n}`): MemoEntry => [key, `v${n}`];

describe('memo file', () => {
  it('reads back what it wrote, newest first, whatever the strings hold', () => {
    let text = '';
    for (const x of [e(1), e(2, 'a key with spaces, "quotes"\tand\nlines'), e(3)]) text = withMemo(parseMemo(text).entries, x, 16);
    expect(parseMemo(text)).toEqual({ entries: [e(3), e(2, 'a key with spaces, "quotes"\tand\nlines'), e(1)], damaged: false });
  });

  it('keeps one value per key, and the newest few', () => {
    let text = '';
    for (let i = 0; i < 20; i++) text = withMemo(parseMemo(text).entries, e(i, `k${i % 18}`), 16);
    const { entries } = parseMemo(text);
    expect(entries).toHaveLength(16);
    expect(entries[0]).toEqual(e(19, 'k1'));
    expect(new Set(entries.map(([k]) => k)).size).toBe(16);
  });

  it('drops a line whose CRC or shape is wrong, and says so', () => {
    const good = withMemo([], e(7), 16);
    expect(parseMemo(good.replace('v7', 'v8'))).toEqual({ entries: [], damaged: true });
    expect(parseMemo(good + 'garbage\n')).toEqual({ entries: [e(7)], damaged: true });
    expect(parseMemo(good.slice(0, 12))).toEqual({ entries: [], damaged: true });
    expect(parseMemo('')).toEqual({ entries: [], damaged: false });
  });

  it('warns once about a damaged file and rewrites it without the damaged lines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelgit-memo-'));
    const warnings: string[] = [];
    new MemoFile(dir, 'm', 4).set('a', '1');
    writeFileSync(join(dir, 'm'), readFileSync(join(dir, 'm'), 'utf8') + 'junk\n');
    const memo = new MemoFile(dir, 'm', 4, (w) => warnings.push(w));
    expect(memo.get('a')).toBe('1');
    expect(memo.get('b')).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(parseMemo(readFileSync(join(dir, 'm'), 'utf8'))).toEqual({ entries: [['a', '1']], damaged: false });
  });
});
