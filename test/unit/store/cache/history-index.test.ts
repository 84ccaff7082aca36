import { describe, expect, it } from 'vitest';
import { CorruptCacheError } from '../../../../src/store/cache/snapshot-file.js';
import { HistoryIndex, isLinear, LogCollector } from '../../../../src/store/cache/history-index.js';
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
