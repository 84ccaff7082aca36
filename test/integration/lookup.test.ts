// A write's lookup by path must give exactly the model the snapshot gives, or none when it has none.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSnapshotUncached } from '../../src/store/snapshot.js';
import { modelsAtHead } from '../../src/store/lookup.js';
import { freeId } from '../../src/registry/register.js';
import { Git, parseTreeObject } from '../../src/git/git.js';
import { show } from '../../src/registry/show.js';
import { git, tempDir, tempRegistry, tempRepo } from '../helpers.js';

const config = { models_dir: 'models' };
const meta = (algorithm: string, id: string, extra: object = {}) => JSON.stringify({ schema_version: 2, model_id: id, algorithm, testing: [], tags: [], ...extra }, null, 2) + '\n';

function put(dir: string, rel: string, text: string): void {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  writeFileSync(join(dir, rel), text);
}

async function agree(dir: string, ids: string[]): Promise<Map<string, unknown>> {
  const g = new Git(dir);
  const snap = await readSnapshotUncached(g, config, 'HEAD');
  const found = await modelsAtHead(g, config, ids);
  for (const id of ids) {
    const want = snap.byId.get(id);
    const got = found.get(id);
    expect(got && { path: got.path, metadata: got.metadata }, id).toEqual(want && { path: want.path, metadata: want.metadata });
  }
  return found;
}

describe('modelsAtHead', () => {
  it('finds what the snapshot finds: duplicates, broken files, mismatched ids, tree order, odd entries', async () => {
    const dir = tempRepo();
    put(dir, 'models/mscn/m1.json', meta('mscn', 'm1', { notes: 'x', testing: [{ dataset: 'd', tested_at: '2024-01-01T00:00:00Z', performance: { t: -0, big: 1e300 } }] }));
    put(dir, 'models/lero/l1.json', meta('lero', 'l1'));
    // The same id under "a" and "a-b": git orders a-b/ before a/, and the first parsing file wins.
    put(dir, 'models/a/dup.json', meta('a', 'dup'));
    put(dir, 'models/a-b/dup.json', meta('a-b', 'dup'));
    // A broken file first, a good one after it: the good one is the model.
    put(dir, 'models/b/half.json', '{ "model_id": "half", ');
    put(dir, 'models/c/half.json', meta('c', 'half'));
    // Files that are not models: a wrong id, a wrong algorithm, no testing array, too deep, not json.
    put(dir, 'models/mscn/wrongid.json', meta('mscn', 'other'));
    put(dir, 'models/mscn/wrongalgo.json', meta('lero', 'wrongalgo'));
    put(dir, 'models/mscn/notesting.json', JSON.stringify({ model_id: 'notesting', algorithm: 'mscn' }));
    put(dir, 'models/mscn/deep/d1.json', meta('deep', 'd1'));
    put(dir, 'models/mscn/t1.txt', 'x');
    put(dir, 'models/top.json', meta('models', 'top'));
    symlinkSync('m1.json', join(dir, 'models/mscn/link.json'));
    symlinkSync('mscn', join(dir, 'models/linkdir'));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'fixtures');
    const found = await agree(dir, ['m1', 'l1', 'dup', 'half', 'wrongid', 'other', 'wrongalgo', 'notesting', 'd1', 't1', 'top', 'link', 'nope', 'm1.json', 'mscn/m1', '']);
    expect([...found.keys()].sort()).toEqual(['dup', 'half', 'l1', 'm1', 'notesting']);
    expect((found.get('dup') as { path: string }).path).toBe('models/a-b/dup.json');
    expect((found.get('half') as { path: string }).path).toBe('models/c/half.json');
  });

  it('reads HEAD, not the working tree or the index', async () => {
    const dir = tempRepo();
    put(dir, 'models/mscn/m1.json', meta('mscn', 'm1'));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'one');
    put(dir, 'models/mscn/m2.json', meta('mscn', 'm2'));
    git(dir, 'add', '-A');
    put(dir, 'models/mscn/m1.json', meta('mscn', 'm1', { notes: 'edited' }));
    const found = await agree(dir, ['m1', 'm2']);
    expect([...found.keys()]).toEqual(['m1']);
  });

  it('has nothing in an empty repository or one without a models directory', async () => {
    const dir = tempRepo();
    expect((await modelsAtHead(new Git(dir), config, ['m1'])).size).toBe(0);
    put(dir, 'models', 'a file, not a directory');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'one');
    await agree(dir, ['m1', 'models']);
  });

  it('finds models in a sha256 repository', async () => {
    const dir = tempDir();
    git(dir, 'init', '-q', '--object-format=sha256');
    put(dir, 'models/mscn/m1.json', meta('mscn', 'm1'));
    git(dir, 'add', '-A');
    git(dir, '-c', 'user.name=t', '-c', 'user.email=t@e', 'commit', '-qm', 'one');
    expect([...(await agree(dir, ['m1', 'm2'])).keys()]).toEqual(['m1']);
  });
});

describe('show', () => {
  it('shows the model the snapshot has for the id, and says so when there is none', async () => {
    const r = await tempRegistry();
    r.write('models/a/dup.json', meta('a', 'dup'));
    r.write('models/a-b/dup.json', meta('a-b', 'dup', { notes: 'this one' }));
    r.write('models/b/half.json', '{ "model_id": "half", ');
    r.write('models/c/half.json', meta('c', 'half'));
    r.write('models/mscn/wrongid.json', meta('mscn', 'other'));
    // Ids that begin with an algorithm's name, which show looks for in that algorithm's cached
    // summaries first: a duplicate that loses to an earlier directory, a broken file, a normal one.
    r.write('models/a/a_dup.json', meta('a', 'a_dup'));
    r.write('models/a-b/a_dup.json', meta('a-b', 'a_dup', { notes: 'the first in tree order' }));
    r.write('models/b/b_half.json', '{ "model_id": "b_half", ');
    r.write('models/c/b_half.json', meta('c', 'b_half'));
    r.write('models/mscn/mscn_1.json', meta('mscn', 'mscn_1', { notes: 'plain' }));
    git(r.dir, 'add', '-A');
    git(r.dir, 'commit', '-qm', 'fixtures');
    const reg = await r.open();
    const snap = await readSnapshotUncached(reg.git, reg.config, 'HEAD');
    const ids = ['dup', 'half', 'wrongid', 'other', 'nope', 'a_dup', 'b_half', 'mscn_1', 'mscn_2', 'c_x'];
    const check = async () => {
      for (const id of ids) {
        const want = snap.byId.get(id);
        const got = await show(reg, id).catch((e: Error) => e);
        if (want) expect(got, id).toMatchObject({ path: want.path, metadata: want.metadata });
        // A file named after the id that can't be read: show says it is there but invalid.
        else if (snap.problems.some((p) => p.file.endsWith(`/${id}.json`))) expect((got as Error).message, id).toMatch(/exists .* but its file is invalid/);
        else expect((got as Error).message, id).toMatch(/no model .* in the registry/);
      }
    };
    await check();
    // Now with every algorithm's summaries and the tree's id table cached (list builds them): the
    // model's blob named by the id table.
    expect((await r.run('list', '--skip-invalid')).code).toBe(0);
    const snapshots = join(r.dir, '.git', 'modelgit', 'snapshots');
    expect(readdirSync(snapshots).some((n) => n.endsWith('.ids'))).toBe(true);
    await check();
    // Without the id table, and no index of the tree to make one from: the algorithm's summaries.
    for (const n of readdirSync(snapshots)) if (/\.(ids|full|delta)$/.test(n)) rmSync(join(snapshots, n));
    await check();
    expect(readdirSync(snapshots).some((n) => n.endsWith('.ids'))).toBe(false);
  });
});

describe('parseTreeObject', () => {
  it('reads modes, names and ids as ls-tree prints them', () => {
    const dir = tempRepo();
    put(dir, 'x/a b.json', '1');
    put(dir, 'x/ü.json', '2');
    put(dir, 'x/sub/c', '3');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'one');
    const rawBytes = execFileSync('git', ['cat-file', 'tree', 'HEAD:x'], { cwd: dir });
    const listed = git(dir, '-c', 'core.quotePath=false', 'ls-tree', 'HEAD:x')
      .trim()
      .split('\n')
      .map((l) => {
        const [info, name] = l.split('\t');
        const [mode, , oid] = info!.split(' ');
        return { mode: mode!.replace(/^0+/, ''), name: name!, oid: oid! };
      });
    expect(parseTreeObject(rawBytes, 20)).toEqual(listed);
  });
});

describe('freeId', () => {
  it('is firstFreeId, asking about a few candidates at a time', async () => {
    const asked: string[][] = [];
    const taken = new Set(['m', 'm_2', 'm_3', 'm_4', 'm_5']);
    const id = await freeId('m', async (c) => (asked.push(c), (x) => taken.has(x)));
    expect(id).toBe('m_6');
    expect(asked).toEqual([['m'], ['m', 'm_2', 'm_3', 'm_4', 'm_5', 'm_6', 'm_7', 'm_8']]);
    taken.add('m_6').add('m_7').add('m_8');
    expect(await freeId('m', async (c) => (x) => taken.has(x))).toBe('m_9');
    expect(await freeId('n', async () => () => false)).toBe('n');
  });
});
