import { describe, expect, it } from 'vitest';
import { CorruptCacheError } from '../../../../src/store/cache/snapshot-file.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HistoryIndex, isLinear, LogCollector, readPathsAtTip } from '../../../../src/store/cache/history-index.js';
import { parseNameOnlyLog, type LogRecord } from '../../../../src/git/raw-log.js';

const id = (n: number) => n.toString(16).padStart(40, '0');

function logOutput(records: LogRecord[]): Buffer {
  return Buffer.concat(
    records.map((r) => Buffer.from(`\x01${[r.commit, ...r.parents].join(' ')}\0${r.paths.length ? '\n' + r.paths.map((p) => p + '\0').join('') : ''}`, 'utf8')),
  );
}

describe('parseNameOnlyLog', () => {
  it('reads commits, parents and NUL-terminated paths, including commits that changed nothing', () => {
    const records: LogRecord[] = [
      { commit: id(3), parents: [id(2)], paths: ['models/mscn/a.json', 'stages.yaml'] },
      { commit: id(2), parents: [id(1)], paths: [] },
      { commit: id(1), parents: [], paths: ['modelgit.yaml', 'odd\tname with\nnewline.json'] },
    ];
    expect(parseNameOnlyLog(logOutput(records))).toEqual(records);
  });

  it('refuses output that is not what it asked git for', () => {
    expect(() => parseNameOnlyLog(Buffer.from('commit abc\n'))).toThrow(/unexpected git log output/);
    expect(() => parseNameOnlyLog(Buffer.from(`\x01${id(1)}`))).toThrow(/truncated/);
  });
});

describe('isLinear', () => {
  const chain: LogRecord[] = [
    { commit: id(3), parents: [id(2)], paths: [] },
    { commit: id(2), parents: [id(1)], paths: [] },
    { commit: id(1), parents: [], paths: [] },
  ];
  it('accepts a single line down to a root commit, or onto a given base', () => {
    expect(isLinear(chain)).toBe(true);
    expect(isLinear(chain.slice(0, 2), id(1))).toBe(true);
  });
  it('refuses a merge, a gap, or a line that does not sit on the base', () => {
    expect(isLinear([{ commit: id(3), parents: [id(2), id(9)], paths: [] }, ...chain.slice(1)])).toBe(false);
    expect(isLinear([chain[0]!, chain[2]!])).toBe(false);
    expect(isLinear(chain.slice(0, 2), id(7))).toBe(false);
    expect(isLinear(chain.slice(0, 2))).toBe(false); // its oldest has a parent, and no base was given
  });
});

describe('HistoryIndex', () => {
  const oldestFirst = [
    { commit: id(1), paths: ['modelgit.yaml', 'stages.yaml'] },
    { commit: id(2), paths: ['models/mscn/a.json'] },
    { commit: id(3), paths: ['models/mscn/ba.json'] },
    { commit: id(4), paths: ['models/mscn/a.json', 'stages.yaml'] },
    { commit: id(5), paths: [] },
    { commit: id(6), paths: ['x\nmodels/mscn/a.json\ny'] },
  ];

  it('answers which commits changed a path, newest first, at the tip or an older commit', () => {
    const idx = HistoryIndex.build(oldestFirst);
    expect(idx.tip).toBe(id(6));
    expect(idx.commitsChanging('models/mscn/a.json')).toEqual([id(4), id(2)]);
    // a path that contains another as a substring is a different path
    expect(idx.commitsChanging('models/mscn/ba.json')).toEqual([id(3)]);
    expect(idx.commitsChanging('stages.yaml', id(3))).toEqual([id(1)]);
    expect(idx.commitsChanging('never/there.json')).toEqual([]);
    expect(idx.commitsChanging('models/mscn/a.json', id(99))).toBeUndefined();
    expect(idx.positionOf(id(5))).toBe(4);
  });

  it('round-trips through bytes, and extending equals building the whole line at once', () => {
    const idx = HistoryIndex.build(oldestFirst);
    const again = HistoryIndex.parse(Buffer.from(idx.bytes()));
    expect(again.records()).toEqual(oldestFirst);
    const extended = HistoryIndex.build(oldestFirst.slice(0, 3)).extend(oldestFirst.slice(3));
    expect(Buffer.compare(extended.bytes(), idx.bytes())).toBe(0);
  });

  it('records a history with merges as not applicable', () => {
    const n = HistoryIndex.parse(Buffer.from(HistoryIndex.nonLinear(id(8)).bytes()));
    expect(n.linear).toBe(false);
    expect(n.tip).toBe(id(8));
    expect(n.commitsChanging('stages.yaml')).toBeUndefined();
  });

  it('notices any damage: a flipped byte anywhere, truncation, a wrong magic', () => {
    const good = HistoryIndex.build(oldestFirst).bytes();
    for (let at = 0; at < good.length; at += 7) {
      const bad = Buffer.from(good);
      bad[at] = bad[at]! ^ 0x20;
      expect(() => HistoryIndex.parse(bad), `byte ${at}`).toThrow(CorruptCacheError);
    }
    expect(() => HistoryIndex.parse(good.subarray(0, good.length - 1))).toThrow(CorruptCacheError);
    expect(() => HistoryIndex.parse(Buffer.from('garbage'))).toThrow(CorruptCacheError);
  });
});

describe('readPathsAtTip', () => {
  // Enough paths for several buckets, a path changed by many commits, empty commits, odd names.
  const commits = Array.from({ length: 60 }, (_, i) => ({
    commit: id(i + 1),
    paths: i % 9 === 4 ? [] : [`models/mscn/m${i % 23}.json`, ...(i % 5 === 0 ? ['stages.yaml'] : []), ...(i === 7 ? ['x\nmodels/mscn/m1.json\ny'] : [])],
  }));
  const idx = HistoryIndex.build(commits);
  const paths = [...new Set(commits.flatMap((c) => c.paths)), 'never/there.json', 'models/mscn/m1.jso'];
  const file = join(mkdtempSync(join(tmpdir(), 'modelgit-hist-')), 'index');

  it('reads from the file what the whole index says at its tip, and nothing at another tip', () => {
    writeFileSync(file, idx.bytes());
    expect(readPathsAtTip(file, id(60), paths)).toEqual(paths.map((p) => idx.commitsChanging(p)));
    expect(readPathsAtTip(file, id(59), paths)).toBeUndefined();
    expect(readPathsAtTip(join(file, '..', 'missing'), id(60), paths)).toBeUndefined();
    writeFileSync(file, HistoryIndex.nonLinear(id(60)).bytes());
    expect(readPathsAtTip(file, id(60), paths)).toBeUndefined();
  });

  it('a flipped byte anywhere is noticed or lies outside what was read: never a wrong answer', () => {
    const good = idx.bytes();
    const right = paths.map((p) => idx.commitsChanging(p));
    let unread = 0;
    for (let at = 0; at < good.length; at++) {
      const bad = Buffer.from(good);
      bad[at] = bad[at]! ^ 0x10;
      writeFileSync(file, bad);
      let answer: string[][] | undefined;
      try {
        answer = readPathsAtTip(file, id(60), paths);
      } catch (e) {
        expect(e, `byte ${at}`).toBeInstanceOf(CorruptCacheError);
        continue;
      }
      // not read by path (the commits table, the last table slot's spare word): found when the
      // file is opened whole
      unread++;
      expect(answer, `byte ${at}`).toEqual(right);
    }
    expect(unread).toBe(60 * 20 + 4);
    writeFileSync(file, good.subarray(0, good.length - 1));
    expect(() => readPathsAtTip(file, id(60), paths)).toThrow(CorruptCacheError);
  });
});

describe('LogCollector', () => {
  const newestFirst: LogRecord[] = [
    { commit: id(4), parents: [id(3)], paths: ['models/mscn/a.json', 'stages.yaml'] },
    { commit: id(3), parents: [id(2)], paths: [] },
    { commit: id(2), parents: [id(1)], paths: ['models/mscn/a.json', 'models/mscn/a.json'] },
    { commit: id(1), parents: [], paths: ['modelgit.yaml', 'stages.yaml'] },
  ];
  const collect = (records: LogRecord[]) => {
    const c = new LogCollector();
    records.forEach((r) => c.add(r));
    return c;
  };

  it('makes the index build() makes of the same records, oldest first', () => {
    const c = collect(newestFirst);
    expect(c.linear()).toBe(true);
    expect(Buffer.compare(c.index().bytes(), HistoryIndex.build([...newestFirst].reverse()).bytes())).toBe(0);
  });

  it('agrees with isLinear on merges, gaps and a missing root', () => {
    const cases: LogRecord[][] = [
      newestFirst,
      [{ ...newestFirst[0]!, parents: [id(3), id(9)] }, ...newestFirst.slice(1)],
      [newestFirst[0]!, ...newestFirst.slice(2)],
      newestFirst.slice(0, 3),
    ];
    for (const records of cases) expect(collect(records).linear()).toBe(isLinear(records));
  });
});
