import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SnapshotCache } from '../../../../src/store/cache/snapshot-cache.js';
import { applyChanges, comparePaths, oidOf, textIntact, textOf, type IndexEntry } from '../../../../src/store/cache/snapshot-file.js';
import { EntryWriter } from '../../../../src/store/cache/index-writer.js';
import { requestedCommand } from '../../../../src/cli/commands/index.js';
import { metadataFilesOfListing } from '../../../../src/store/cache/snapshot-fill.js';

const entry = (path: string, text = `{"p":"${path}"}`): IndexEntry => new EntryWriter().add(path, 'a'.repeat(40), text);
const paths = (es: IndexEntry[]) => es.map((e) => e.path);

describe('applyChanges', () => {
  const base = ['models/a/1.json', 'models/a/3.json', 'models/b/1.json'].map((p) => entry(p));

  it('replaces, removes and inserts in git path order', () => {
    const out = applyChanges(base, [entry('models/a/3.json', '{"new":1}'), entry('models/a/2.json'), entry('models/a-b/1.json'), entry('models/c/1.json')], ['models/b/1.json']);
    // "a-b/" sorts before "a/" in git's order ('-' < '/'), and a plain string sort agrees.
    expect(paths(out)).toEqual(['models/a-b/1.json', 'models/a/1.json', 'models/a/2.json', 'models/a/3.json', 'models/c/1.json']);
    expect(textOf(out[3]!)).toBe('{"new":1}');
  });

  it('returns the base itself when nothing changed', () => {
    expect(applyChanges(base, [], [])).toBe(base);
  });
});

describe('comparePaths', () => {
  it('orders by bytes, as git does, also for non-ASCII names', () => {
    const list = ['models/é/1.json', 'models/z/1.json', 'models/a-b/x.json', 'models/a/x.json', 'models/\u{1F600}/1.json', 'models/\uFFFD/1.json'];
    const byBytes = [...list].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect([...list].sort(comparePaths)).toEqual(byBytes);
  });
});

describe('SnapshotCache files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modelgit-cache-unit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const tree = 'b'.repeat(40);

  const writer = new EntryWriter();
  const oid = 'c'.repeat(40);

  it('round-trips paths, blob ids, texts and problems', () => {
    const cache = new SnapshotCache(dir, 'models');
    const problem = { file: 'models/x/bad.json', line: 1, column: 1, pointer: '', rule: 'json-syntax', message: 'not valid JSON' };
    cache.saveFull(tree, [writer.add('models/x/a.json', oid, '{"model_id":"a"}'), writer.add('models/x/bad.json', oid, '{', problem)]);
    const back = cache.load(tree)!;
    expect(back.entries.map((e) => [e.path, oidOf(e), e.problem, textOf(e), textIntact(e)])).toEqual([
      ['models/x/a.json', oid, undefined, '{"model_id":"a"}', true],
      ['models/x/bad.json', oid, problem, '{', true],
    ]);
  });

  it('refuses a file written for another models_dir, with a warning', () => {
    const warnings: string[] = [];
    const other = new SnapshotCache(dir, 'registry/models', (m) => warnings.push(m));
    expect(other.load(tree)).toBeUndefined();
    expect(warnings[0]).toMatch(/another models_dir/);
  });

  it('notices a changed byte anywhere: in the index or header at load, in a text when it is used', () => {
    const cache = new SnapshotCache(dir, 'models', () => {});
    const texts = '{"model_id":"a"}{"model_id":"b"}';
    cache.saveFull(tree, [writer.add('models/x/a.json', oid, '{"model_id":"a"}'), writer.add('models/x/b.json', oid, '{"model_id":"b"}')]);
    const file = join(dir, `${tree}.full`);
    const good = readFileSync(file);
    // The texts follow the magic line; paths, records, header and trailer follow them.
    const textsAt = good.indexOf(10) + 1;
    expect(good.toString('utf8', textsAt, textsAt + texts.length)).toBe(texts);
    for (let i = 0; i < good.length; i++) {
      const bad = Buffer.from(good);
      bad[i] ^= 0x01;
      writeFileSync(file, bad);
      const loaded = new SnapshotCache(dir, 'models', () => {}).load(tree);
      if (i >= textsAt && i < textsAt + texts.length) expect(loaded!.entries.every(textIntact), `byte ${i}`).toBe(false);
      else expect(loaded, `byte ${i}`).toBeUndefined();
    }
  });
});

describe('IndexFileWriter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'modelgit-cache-writer-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('streams texts of every size (past its 1 MB buffer too), readable before and after the file is in place', () => {
    const cache = new SnapshotCache(dir, 'models');
    const tree = 'd'.repeat(40);
    const writer = cache.fullWriter(tree)!;
    const sizes = [10, (1 << 20) - 5, 3 << 20, 7, 600 << 10, 600 << 10, 0, 1 << 20];
    const texts = sizes.map((n, i) => String.fromCharCode(97 + i).repeat(n).replace(/^a/, 'é'));
    const problem = { file: 'models/x/e.json', line: 1, column: 1, pointer: '', rule: 'json-syntax', message: 'not valid JSON' };
    const entries = texts.map((t, i) => writer.add(`models/x/${String.fromCharCode(97 + i)}.json`, `${i}`.repeat(40), t, i === 4 ? problem : undefined));
    expect(entries.map(textOf)).toEqual(texts); // before finish: flushed as needed, read back
    expect(cache.finishFull(writer, tree)).toBe(true);
    expect(entries.map(textOf)).toEqual(texts);
    const back = new SnapshotCache(dir, 'models').load(tree)!.entries;
    expect(back.map((e) => [e.path, oidOf(e), e.problem, textOf(e), textIntact(e)])).toEqual(entries.map((e, i) => [e.path, `${i}`.repeat(40), i === 4 ? problem : undefined, texts[i], true]));
    expect(readdirSync(dir)).toEqual([`${tree}.full`]);
  });
});

describe('requestedCommand', () => {
  it.each([
    [['best', '--algo', 'x'], { command: 'best' }],
    [['-C', 'dir', 'list'], { command: 'list' }],
    [['--cwd', 'dir', '--json', 'show', 'id'], { command: 'show' }],
    [['--version'], { version: true }],
    [['--help', 'best'], {}],
    [[], {}],
  ])('%j → %j', (argv, want) => {
    expect(requestedCommand(argv)).toEqual(want);
  });
});

describe('metadataFilesOfListing', () => {
  it('keeps the metadata blobs of an ls-tree -r -z listing, with full paths of their own', () => {
    const long = `${'x'.repeat(300)}.json`;
    const records = [
      `100644 blob ${'1'.repeat(40)}\tmscn/a.json`,
      `160000 commit ${'2'.repeat(40)}\tmscn/sub.json`, // a submodule is no metadata file
      `100644 blob ${'3'.repeat(40)}\tmscn/deeper/b.json`, // nor is a file below an algorithm directory
      `100644 blob ${'4'.repeat(40)}\tREADME.md`,
      `100755 blob ${'5'.repeat(40)}\tétoile/ü b.json`,
      `100644 blob ${'6'.repeat(40)}\tlero/${long}`,
      `120000 blob ${'7'.repeat(40)}\tlero/link.json`, // nor a symbolic link (validate refuses it)
    ];
    const files = metadataFilesOfListing(Buffer.from(records.join('\0') + '\0'), { models_dir: 'reg/models' });
    expect(files).toEqual({
      paths: ['reg/models/mscn/a.json', 'reg/models/étoile/ü b.json', `reg/models/lero/${long}`],
      oids: ['1'.repeat(40), '5'.repeat(40), '6'.repeat(40)],
    });
    // The same without the final NUL, and nothing from an empty listing.
    expect(metadataFilesOfListing(Buffer.from(records.join('\0')), { models_dir: 'reg/models' })).toEqual(files);
    expect(metadataFilesOfListing(Buffer.alloc(0), { models_dir: 'models' })).toEqual({ paths: [], oids: [] });
  });
});

describe('result groups of a summary section', () => {
  it('split by dataset and joined back give every testing array, odd results included', async () => {
    const { resultGroups, joinResultGroups } = await import('../../../../src/store/cache/sections.js');
    const r = (dataset: unknown, t: number) => ({ dataset, performance: { total_time: t } }) as never;
    const testings = [
      [r('prod', 1), r('job', 2), r('prod', 3)],
      null,
      [],
      [null, r(7, 4), r('job', 5), { dataset: 'prod' }] as never,
      [r('stats', 6)],
    ];
    const groups = resultGroups(testings);
    expect([...groups.keys()]).toEqual(['d:prod', 'd:job', '*', 'd:stats']);
    expect(groups.get('d:prod')).toEqual([[[0, r('prod', 1)], [2, r('prod', 3)]], null, null, [[3, { dataset: 'prod' }]], null]);
    expect(joinResultGroups(testings.map((t) => t !== null), groups.values())).toEqual(testings);
    // Through JSON, as stored.
    const stored = [...groups.values()].map((g) => JSON.parse(JSON.stringify(g)));
    expect(joinResultGroups(testings.map((t) => t !== null), stored)).toEqual(JSON.parse(JSON.stringify(testings)));
  });
});
