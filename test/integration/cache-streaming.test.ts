// The .full file of a first read is written while the blobs are read (IndexFileWriter). It must
// hold what a file written from finished entries holds, keep a missing blob in its place, and,
// when the disk fails part-way, leave no file behind and still give git's answer.
import { existsSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { generateInto } from '../../bench/generate.mjs';
import { algorithmOf } from '../../src/domain/metadata.js';
import { modelsOf } from '../../src/domain/selection.js';
import { SnapshotCache } from '../../src/store/cache/snapshot-cache.js';
import { Registry } from '../../src/registry/registry.js';
import { readSnapshotUncached, type Snapshot } from '../../src/store/snapshot.js';
import { readModels, readSnapshot } from '../../src/store/models.js';
import { git, tempDir } from '../helpers.js';

// Writes to a .full file being streamed fail from the `failAt`-th one on (ENOSPC), once.
const disk = vi.hoisted(() => ({ fds: new Set<number>(), writes: 0, failAt: Infinity }));
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    openSync: (...args: Parameters<typeof fs.openSync>) => {
      const fd = fs.openSync(...args);
      if (String(args[0]).includes('.full.tmp-')) disk.fds.add(fd);
      else disk.fds.delete(fd);
      return fd;
    },
    writeSync: (...args: Parameters<typeof fs.writeSync>) => {
      if (disk.fds.has(args[0]) && ++disk.writes >= disk.failAt) {
        disk.failAt = Infinity;
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      return (fs.writeSync as (...a: unknown[]) => number)(...args);
    },
  };
});

const snapshots = (dir: string) => join(dir, '.git', 'modelgit', 'snapshots');
const cacheFiles = (dir: string) => (existsSync(snapshots(dir)) ? readdirSync(snapshots(dir)).sort() : []);

function canon(s: Snapshot): string {
  return JSON.stringify({ commit: s.commit, models: s.models.map((m) => [m.path, m.metadata]), problems: s.problems });
}

/** A cached read (the snapshot, then one algorithm's summaries unless `snapshotOnly`) against git's, with its trace and warnings. */
async function expectGitsAnswer(dir: string, snapshotOnly = false): Promise<{ events: string[]; warnings: string[] }> {
  const reg = await Registry.open({ cwd: dir });
  const cacheDir = join(reg.gitDir, 'modelgit');
  const warnings: string[] = [];
  const events: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.env.MODELGIT_CACHE_TRACE = '1';
  process.stderr.write = ((chunk: string) => (String(chunk).startsWith('modelgit-cache: ') ? events.push(String(chunk).split(' ')[1]!) > 0 : write(chunk))) as typeof process.stderr.write;
  try {
    const plain = await readSnapshotUncached(reg.git, reg.config, 'HEAD');
    const cached = await readSnapshot(reg.git, reg.config, 'HEAD', { cacheDir, warn: (m) => warnings.push(m) });
    expect(canon(cached)).toBe(canon(plain));
    if (snapshotOnly) return { events, warnings };
    const view = await readModels(reg.git, reg.config, 'HEAD', 'bao', { cacheDir, warn: (m) => warnings.push(m) });
    expect(JSON.stringify(view.models.map((m) => [m.path, algorithmOf(m), m.metadata]))).toBe(JSON.stringify(modelsOf(plain.models, 'bao').map((m) => [m.path, algorithmOf(m), m.metadata])));
    expect(view.problems).toEqual(plain.problems);
    return { events, warnings };
  } finally {
    process.stderr.write = write;
    delete process.env.MODELGIT_CACHE_TRACE;
  }
}

describe('the .full file streamed on a first read', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('modelgit-stream-');
    // Enough metadata (~1.6 MB minified) that the write buffer (1 MB) is flushed while blobs are still read.
    await generateInto(dir, { models: 2000, seed: 11 });
  });

  it('equals the file written from its entries, with a missing blob in its place', async () => {
    // A blob the object store doesn't have (a partial clone): read as an empty text, in path order.
    writeFileSync(join(dir, 'models/bao/bao_zz_gone.json'), '{"model_id":"bao_zz_gone","algorithm":"bao"}\n');
    git(dir, 'add', 'models/bao/bao_zz_gone.json');
    git(dir, 'commit', '-qm', 'a model whose blob goes missing');
    const blob = git(dir, 'rev-parse', 'HEAD:models/bao/bao_zz_gone.json').trim();
    unlinkSync(join(dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));

    const first = await expectGitsAnswer(dir);
    expect(first.events[0]).toBe('rebuild');
    expect(first.warnings).toEqual([]);
    const tree = git(dir, 'rev-parse', 'HEAD:models').trim();
    const streamed = readFileSync(join(snapshots(dir), `${tree}.full`));
    const entries = new SnapshotCache(snapshots(dir), 'models').load(tree)!.entries;
    expect(entries.find((e) => e.path === 'models/bao/bao_zz_gone.json')!.problem?.rule).toBe('json-syntax');
    const other = tempDir('modelgit-stream-copy-');
    new SnapshotCache(other, 'models').saveFull(tree, entries);
    expect(readFileSync(join(other, `${tree}.full`)).equals(streamed)).toBe(true);
    expect((await expectGitsAnswer(dir)).events[0]).toBe('hit');
  });

  it('leaves no file when a write fails part-way or at the end, and answers from git', async () => {
    // How many writes a whole .full file takes here; then fail the second (the first flush, while
    // blobs are still being read) and the last (the trailer, after the last blob).
    rmCache(dir);
    disk.writes = 0;
    await expectGitsAnswer(dir);
    const writes = disk.writes;
    expect(writes).toBeGreaterThan(4);
    for (const failAt of [2, writes]) {
      rmCache(dir);
      disk.writes = 0;
      disk.failAt = failAt;
      const failed = await expectGitsAnswer(dir, true);
      expect(disk.failAt, `write ${failAt}`).toBe(Infinity); // it did fail
      expect(failed.events[0]).toBe('rebuild');
      expect(failed.warnings).toEqual([]); // a full disk costs speed, not a warning
      expect(cacheFiles(dir).filter((f) => f.includes('.full')), `write ${failAt}`).toEqual([]);
      // The next read writes the file and hits it after.
      expect((await expectGitsAnswer(dir)).events[0]).toBe('rebuild');
      expect((await expectGitsAnswer(dir)).events[0]).toBe('hit');
    }
  });
});

function rmCache(dir: string): void {
  for (const f of cacheFiles(dir)) unlinkSync(join(snapshots(dir), f));
}
