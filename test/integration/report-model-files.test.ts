// The report's build from its state reads the model files at HEAD from the snapshot cache's index
// when there is one (store/report-store.ts, modelFilesAt): the listing and the models it gives must
// be git's, whichever way each file was read — from the index, from git because the index holds
// another blob for that path or none, or from git because the text in the index is damaged.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateInto } from '../../bench/generate.mjs';
import { Registry } from '../../src/registry/registry.js';
import { metadataEntries, readSnapshotUncached } from '../../src/store/snapshot.js';
import { modelFilesAt, type ModelFiles } from '../../src/store/report-store.js';
import { git, tempDir } from '../helpers.js';

function listing(files: ModelFiles): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i < files.count; i++) {
    out.push([files.path(i), files.oid(i)]);
    expect(files.indexOf(files.path(i))).toBe(i);
  }
  expect(files.indexOf('models/none/none.json')).toBe(-1);
  return out;
}

/** What git says: every model file at HEAD (path, blob) and its parsed metadata. */
async function fromGit(dir: string, rev = 'HEAD') {
  const reg = await Registry.open({ cwd: dir });
  const entries = metadataEntries(await reg.git.lsTree(rev, [reg.config.models_dir]), reg.config).map((e): [string, string] => [e.path, e.oid]);
  const snap = await readSnapshotUncached(reg.git, reg.config, rev);
  return { reg, entries, models: new Map(snap.models.map((m) => [m.path, JSON.stringify(m.metadata)])) };
}

const snapshots = (dir: string) => join(dir, '.git', 'modelgit', 'snapshots');

describe("the report's model files at HEAD", () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('modelgit-report-files-');
    await generateInto(dir, { models: 40, seed: 5 });
  });

  it('without a cached index: git lists and reads them, and nothing is built', async () => {
    const { reg, entries, models } = await fromGit(dir);
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    const files = await modelFilesAt(reg, head);
    expect(listing(files)).toEqual(entries);
    const got = await files.parse(entries.map((e) => e[0]), entries.map((e) => e[1]));
    expect(got.unreadable).toBeUndefined();
    expect(got.fromGit).toBe(entries.length);
    expect([...got.models].map(([p, m]) => [p, JSON.stringify(m.metadata)])).toEqual([...models]);
    expect(readdirSync(join(dir, '.git', 'modelgit')).includes('snapshots') ? readdirSync(snapshots(dir)).filter((f) => f.endsWith('.full')) : []).toEqual([]);
  });

  it("from the cached index: the same listing and models, in the order asked; another blob of a path comes from git", async () => {
    const before = await fromGit(dir);
    await before.reg.snapshot(); // builds the index of HEAD's tree
    expect(readdirSync(snapshots(dir)).filter((f) => f.endsWith('.full'))).toHaveLength(1);
    // one commit on: the index reaches HEAD by a small diff
    const path = before.entries[3]![0];
    const meta = JSON.parse(readFileSync(join(dir, path), 'utf8'));
    meta.notes = 'changed for the report test';
    writeFileSync(join(dir, path), JSON.stringify(meta, null, 2) + '\n');
    git(dir, 'commit', '-qam', 'change one model');
    const { reg, entries, models } = await fromGit(dir);
    const files = await modelFilesAt(reg, git(dir, 'rev-parse', 'HEAD').trim());
    expect(listing(files)).toEqual(entries);
    const asked = [...entries].reverse();
    const got = await files.parse(asked.map((e) => e[0]), asked.map((e) => e[1]));
    expect(got.unreadable).toBeUndefined();
    expect(got.fromGit).toBe(0);
    // and in file order (each found where the last one was)
    expect((await files.parse(entries.map((e) => e[0]), entries.map((e) => e[1]))).fromGit).toBe(0);
    expect([...got.models].map(([p, m]) => [p, JSON.stringify(m.metadata)])).toEqual([...models].reverse());
    // the file as it was a commit ago: its old blob, which the index of HEAD does not hold
    const old = before.entries[3]!;
    const then = await files.parse([old[0]], [old[1]]);
    expect(then.fromGit).toBe(1);
    expect(JSON.stringify(then.models.get(old[0])?.metadata)).toBe(before.models.get(old[0]));
    expect(then.models.get(old[0])?.metadata.notes).not.toBe('changed for the report test');
    // a blob git does not have is unreadable, not a model
    const missing = await files.parse([old[0]], ['0'.repeat(40)]);
    expect(missing.unreadable).toBe(old[0]);
  });

  it('a damaged text in the index is read from git instead', async () => {
    const { reg, entries, models } = await fromGit(dir);
    await reg.snapshot();
    const tree = git(dir, 'rev-parse', 'HEAD:models').trim();
    const full = join(snapshots(dir), `${tree}.full`);
    // (a .full of HEAD's tree: written here if the last read left a delta)
    const index = readdirSync(snapshots(dir)).includes(`${tree}.full`) ? full : undefined;
    if (!index) {
      const { SnapshotCache } = await import('../../src/store/cache/snapshot-cache.js');
      const cache = new SnapshotCache(snapshots(dir), 'models');
      cache.saveFull(tree, cache.load(tree)!.entries);
    }
    const bytes = readFileSync(full);
    // the first text starts right after the magic line; change one character of it
    const at = bytes.indexOf(10) + 1 + 20;
    bytes[at] = bytes[at] === 0x61 ? 0x62 : 0x61;
    writeFileSync(full, bytes);
    const files = await modelFilesAt(reg, git(dir, 'rev-parse', 'HEAD').trim());
    const got = await files.parse(entries.map((e) => e[0]), entries.map((e) => e[1]));
    expect(got.unreadable).toBeUndefined();
    expect(got.fromGit).toBe(1);
    expect([...got.models].map(([p, m]) => [p, JSON.stringify(m.metadata)])).toEqual([...models]);
  });
});
