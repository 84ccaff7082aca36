// The snapshot cache must never change an answer: after every kind of write, a branch switch, a
// reset and a corrupted cache file, the cached snapshot equals the one read straight from git.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateInto } from '../../bench/generate.mjs';
import { algorithmOf } from '../../src/domain/metadata.js';
import { commitGraphUpdating, maintainCommitGraph } from '../../src/git/commit-graph.js';
import { Registry } from '../../src/registry/registry.js';
import { readSnapshotUncached, type Snapshot } from '../../src/store/snapshot.js';
import { readModels, readSnapshot } from '../../src/store/models.js';
import { modelsOf } from '../../src/domain/selection.js';
import { summarize, summaryOf } from '../../src/domain/summary.js';
import type { ModelMetadata } from '../../src/domain/types.js';
import { git, runCli, tempDir, tempRegistry, type CliResult } from '../helpers.js';

/** Everything a query can see in a snapshot, in order (JSON.stringify runs the lazy parsers). */
function canon(s: Snapshot): string {
  return JSON.stringify({
    commit: s.commit,
    models: s.models.map((m) => ({ path: m.path, metadata: m.metadata })),
    ids: [...s.byId.entries()].map(([id, m]) => [id, m.path]),
    // what modelsOf filters on: from the directory for cached models, from the JSON otherwise
    algorithms: s.models.map(algorithmOf),
    problems: s.problems,
  });
}

interface Read {
  snap: Snapshot;
  events: string[];
  warnings: string[];
}

async function cachedRead(dir: string, rev = 'HEAD'): Promise<Read> {
  const reg = await Registry.open({ cwd: dir });
  const events: string[] = [];
  const warnings: string[] = [];
  const prev = process.env.MODELGIT_CACHE_TRACE;
  process.env.MODELGIT_CACHE_TRACE = '1';
  const write = process.stderr.write.bind(process.stderr);
  // Capture the trace lines the cache writes; everything else passes through.
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = String(chunk);
    if (text.startsWith('modelgit-cache: ')) {
      events.push(text.slice('modelgit-cache: '.length).split(' ')[0]!);
      return true;
    }
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    const snap = await readSnapshot(reg.git, reg.config, rev, { cacheDir: join(reg.gitDir, 'modelgit'), warn: (m) => warnings.push(m) });
    return { snap, events, warnings };
  } finally {
    process.stderr.write = write;
    if (prev === undefined) delete process.env.MODELGIT_CACHE_TRACE;
    else process.env.MODELGIT_CACHE_TRACE = prev;
  }
}

async function uncachedRead(dir: string, rev = 'HEAD'): Promise<Snapshot> {
  const reg = await Registry.open({ cwd: dir });
  return readSnapshotUncached(reg.git, reg.config, rev);
}

/** Asserts the cached answer equals git's, and returns how the cache produced it. */
async function expectSame(dir: string, rev = 'HEAD'): Promise<Read> {
  const cached = await cachedRead(dir, rev);
  const plain = await uncachedRead(dir, rev);
  // Point lookups first, while the snapshot is unassembled (they answer without assembling it).
  const ids = [...plain.byId.keys()];
  for (const id of [...ids, 'no-such-model', `mscn/${ids[0]}`]) {
    expect(cached.snap.byId.get(id)?.path, id).toBe(plain.byId.get(id)?.path);
    expect(JSON.stringify(cached.snap.byId.get(id)?.metadata), id).toBe(JSON.stringify(plain.byId.get(id)?.metadata));
  }
  expect(canon(cached.snap)).toBe(canon(plain));
  expect(cached.snap.models.length).toBe(plain.models.length);
  if (ids.length) expect(cached.snap.byId.get(ids[0]!)).toBe(cached.snap.models.find((m) => m.path === plain.byId.get(ids[0]!)!.path));
  await expectSameModels(dir, rev, plain);
  return cached;
}

/** What list/best/cleanup see (one algorithm's models from the summary files, or all): git's answer. */
function modelsCanon(models: Snapshot['models'], withMetadata: boolean): string {
  return JSON.stringify(
    models.map((m) => ({
      path: m.path,
      algorithm: algorithmOf(m),
      metadata: withMetadata ? m.metadata : undefined,
    })),
  );
}

async function expectSameModels(dir: string, rev: string, plain: Snapshot, expectWarnings = 0): Promise<{ warnings: string[] }> {
  const reg = await Registry.open({ cwd: dir });
  const warnings: string[] = [];
  const algorithms = [...new Set(plain.models.map(algorithmOf))].sort();
  for (const algorithm of [...algorithms, undefined, 'no-such-algo']) {
    // Twice: the first read may build the summary files, the second reads them.
    for (let i = 0; i < 2; i++) {
      const view = await readModels(reg.git, reg.config, rev, algorithm, { cacheDir: join(reg.gitDir, 'modelgit'), warn: (m) => warnings.push(m) });
      const want = modelsOf(plain.models, algorithm);
      // Summaries first (before any metadata is parsed): a stored summary reads as the summary of git's metadata.
      // (A model without a stored summary reads its metadata; summarize picks the same fields of either.)
      expect(JSON.stringify(view.models.map((m) => summarize(summaryOf(m) as ModelMetadata))), `${algorithm}`).toBe(JSON.stringify(want.map((m) => summarize(m.metadata))));
      expect(modelsCanon(view.models, true), `${algorithm}`).toBe(modelsCanon(want, true));
      expect(view.problems).toEqual(plain.problems);
      expect(view.algorithms).toEqual(algorithms);
      expect(view.commit).toBe(plain.commit);
    }
  }
  expect(warnings).toHaveLength(expectWarnings);
  return { warnings };
}

function cacheFiles(dir: string): string[] {
  const d = join(dir, '.git', 'modelgit', 'snapshots');
  return existsSync(d) ? readdirSync(d).sort() : [];
}

function ok(r: CliResult): CliResult {
  if (r.code !== 0) throw new Error(`modelgit failed (${r.code}): ${r.stderr}`);
  return r;
}

describe('snapshot cache', () => {
  let dir: string;
  const run = (...args: string[]) => runCli(dir, ...args);
  const someId = (algo: string, n = 0) =>
    git(dir, 'ls-tree', '-r', '--name-only', 'HEAD', '--', `models/${algo}`)
      .split('\n')
      .filter(Boolean)
      [n]!.split('/')
      .pop()!
      .replace(/\.json$/, '');

  beforeAll(async () => {
    dir = tempDir('modelgit-cache-');
    await generateInto(dir, { models: 150, seed: 7 });
  });

  it('builds on first read, then hits, with the same answer as git', async () => {
    expect(cacheFiles(dir)).toEqual([]);
    const first = await expectSame(dir);
    expect(first.events).toEqual(['rebuild']);
    expect(first.snap.models.length).toBe(150);
    const second = await expectSame(dir);
    expect(second.events).toEqual(['hit']);
    expect(cacheFiles(dir).filter((f) => f.endsWith('.full'))).toHaveLength(1);
  });

  it('follows register, test, tag, untag and note from the CLI incrementally', async () => {
    const id = someId('mscn', 3);
    const steps: string[][] = [
      ['register', '--algo', 'mscn', '--param', 'num_epoch=5', '--dataset', 'job'],
      ['test', id, '--dataset', 'stats', '--metric', 'total_time=3.25'],
      ['tag', id, 'keep', 'cache-test'],
      ['untag', id, 'keep'],
      ['note', id, 'checked by the cache test'],
      ['register', '--algo', 'new-algo'],
    ];
    for (const step of steps) {
      // The CLI itself reads through the cache (the trace shows it), and its answer is git's.
      const r = ok(await runCli(dir, ...step));
      void r;
      const read = await expectSame(dir);
      expect(read.events).toEqual(['incremental']);
      expect(read.warnings).toEqual([]);
    }
    const traced = await runCliTraced(dir, 'tag', id, 'traced');
    expect(traced.stderr).toMatch(/modelgit-cache: hit/);
    await expectSame(dir);
  });

  it('keeps answers right after manual commits that edit, delete, break and duplicate files', async () => {
    const a = someId('lero', 0);
    const b = someId('lero', 1);
    const path = `models/lero/${a}.json`;
    const meta = JSON.parse(readFileSync(join(dir, path), 'utf8'));
    meta.notes = 'edited by hand';
    writeFileSync(join(dir, path), JSON.stringify(meta, null, 2) + '\n');
    git(dir, 'commit', '-qam', 'hand edit');
    expect((await expectSame(dir)).events).toEqual(['incremental']);

    git(dir, 'rm', '-q', `models/lero/${b}.json`);
    git(dir, 'commit', '-qm', 'hand delete');
    const afterDelete = await expectSame(dir);
    expect(afterDelete.events).toEqual(['incremental']);
    expect(afterDelete.snap.byId.has(b)).toBe(false);

    // A file that isn't JSON, one whose id doesn't match its name, and an id used twice: problems, in file order.
    writeFileSync(join(dir, 'models/lero/broken.json'), '{ not json');
    writeFileSync(join(dir, 'models/bao/wrong_name.json'), JSON.stringify({ ...meta, model_id: 'other', algorithm: 'bao' }));
    mkdirSync(join(dir, 'models/aaa'));
    writeFileSync(join(dir, `models/aaa/${a}.json`), JSON.stringify({ ...meta, algorithm: 'aaa' }));
    // a broken file sorting before a good one with the same name: the good one is the model
    const shadowed = someId('lero', 2);
    writeFileSync(join(dir, `models/aaa/${shadowed}.json`), '{ broken');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'bad files');
    const bad = await expectSame(dir);
    expect(bad.events).toEqual(['incremental']);
    expect(bad.snap.problems.map((p) => p.rule).sort()).toEqual(['id-matches-path', 'json-syntax', 'json-syntax', 'unique-id']);
    expect(bad.snap.byId.get(shadowed)!.path).toBe(`models/lero/${shadowed}.json`);
    // The duplicate sorts first (models/aaa), so it is the lero file that is reported.
    expect(bad.snap.byId.get(a)!.path).toBe(`models/aaa/${a}.json`);
    // compare reads its few models by blob id from the tree's id table (by path without one) and the
    // problems from the cached manifest: as the snapshot answers. Each way: the id table the listing
    // wrote, one made from the cached index (an older cache had none), a damaged one, and by path.
    await run('list', '--algo', 'lero'); // refused (invalid files), after writing the manifest and id table
    const idsFile = join(dir, '.git', 'modelgit', 'snapshots', `${git(dir, 'rev-parse', 'HEAD:models').trim()}.ids`);
    expect(existsSync(idsFile)).toBe(true);
    const compares = [['compare', a, someId('lero', 2)], ['compare', a, someId('lero', 2), '--skip-invalid', '--json'], ['compare', 'broken', a], ['compare', 'wrong_name', 'other'], ['compare', someId('mscn', 0), someId('mscn', 1), '--json'], ['compare', shadowed, a, 'no-such'], ['compare', shadowed, a, '--json']];
    for (const way of ['table', 'made', 'damaged', 'path']) {
      if (way === 'made') rmSync(idsFile, { force: true });
      if (way === 'damaged') {
        // every bucket's bytes (after the header and the table of bucket count + 1 slots)
        const bytes = readFileSync(idsFile);
        for (let at = 96 + (bytes.readUInt32LE(8) + 1) * 8; at < bytes.length; at++) bytes[at] ^= 0x04;
        writeFileSync(idsFile, bytes);
      }
      if (way === 'path') {
        // no id table, and no index of the tree to make one from: the manifest's problems and lookup by path
        const snapshots = join(dir, '.git', 'modelgit', 'snapshots');
        for (const n of readdirSync(snapshots)) if (/\.(ids|full|delta)$/.test(n)) rmSync(join(snapshots, n));
      }
      // every comparison from the table; the other ways, a few (each CLI run costs here)
      for (const [k, c] of compares.entries()) {
        if (way !== 'table' && k % 2 === 1) continue;
        const plain = await runCliEnv(dir, { MODELGIT_NO_CACHE: '1' }, ...c);
        // traced (which way it went; --json carries the trace among its warnings), then as a user runs it
        const traced = await runCliEnv(dir, { MODELGIT_CACHE_TRACE: '1' }, ...c);
        expect({ code: traced.code, stdout: traced.stdout }, `${way}: ${c.join(' ')}`).toEqual({ code: plain.code, stdout: plain.stdout });
        if (way === 'path') expect(traced.stderr, `${way}: ${c.join(' ')}`).not.toMatch(/modelgit-cache: ids-hit/);
        else expect(traced.stderr, `${way}: ${c.join(' ')}`).toMatch(/modelgit-cache: ids-hit/);
        if (way === 'damaged' && k === 0) expect(traced.stderr).toMatch(/\.ids is unreadable \(checksum mismatch\)/);
        if (way !== 'table') continue;
        const cached = await runCli(dir, ...c);
        expect({ code: cached.code, stdout: cached.stdout, stderr: cached.stderr }, `${way}: ${c.join(' ')}`).toEqual({ code: plain.code, stdout: plain.stdout, stderr: plain.stderr });
      }
    }

    // Values a summary can't carry through JSON (-0, an overflow) and odd shapes it must read the same.
    const odd = { ...meta, model_id: 'lero_odd', testing: [null, { dataset: 'job', performance: { total_time: -0, accuracy: 1e400 } }, { dataset: 'job' }], training: 'by hand', tags: ['x', 3] };
    writeFileSync(join(dir, 'models/lero/lero_odd.json'), JSON.stringify(odd).replace('"total_time":0', '"total_time":-0').replace('"accuracy":null', '"accuracy":1e400'));
    const odd2 = { ...meta, model_id: 'lero_odd2', training: null, created_at: undefined, testing: [{ dataset: 'job', tested_at: null, performance: null }] };
    writeFileSync(join(dir, 'models/lero/lero_odd2.json'), JSON.stringify(odd2));
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'odd files');
    const oddRead = await expectSame(dir);
    expect(oddRead.snap.byId.get('lero_odd')!.metadata.testing[1]!.performance.total_time).toBe(-0);
    // A -0 that wins is not kept on the answer shelf (JSON would bring it back as 0): asked twice, as git answers.
    for (const c of [['best', '--algo', 'lero', '--dataset', 'job', '--skip-invalid'], ['best', '--algo', 'lero', '--dataset', 'job', '--skip-invalid', '--field', 'value'], ['list', '--algo', 'lero', '--limit', '3', '--sort', 'total_time', '--on', 'job', '--skip-invalid']]) {
      for (let i = 0; i < 2; i++) {
        const cached = await runCli(dir, ...c);
        const plain = await runCliEnv(dir, { MODELGIT_NO_CACHE: '1' }, ...c);
        expect({ code: cached.code, stdout: cached.stdout }, c.join(' ')).toEqual({ code: plain.code, stdout: plain.stdout });
        expect(cached.code, `${c.join(' ')}: ${cached.stderr}`).toBe(0);
      }
    }

    git(dir, 'rm', '-q', 'models/lero/broken.json', 'models/bao/wrong_name.json', `models/aaa/${a}.json`, `models/aaa/${shadowed}.json`, 'models/lero/lero_odd.json', 'models/lero/lero_odd2.json');
    git(dir, 'commit', '-qm', 'clean up');
    expect((await expectSame(dir)).snap.problems).toEqual([]);
  }, 240_000);

  it('answers for another branch, after switching back, and after git reset --hard', async () => {
    const main = git(dir, 'rev-parse', 'HEAD').trim();
    git(dir, 'checkout', '-q', '-b', 'experiment', 'HEAD~6');
    ok(await run('register', '--algo', 'bao', '--id', 'bao_on_branch'));
    const onBranch = await expectSame(dir);
    expect(onBranch.snap.byId.has('bao_on_branch')).toBe(true);

    git(dir, 'checkout', '-q', 'main');
    const back = await expectSame(dir);
    expect(back.events).toEqual(['hit']); // main's tree is still cached
    expect(back.snap.byId.has('bao_on_branch')).toBe(false);

    git(dir, 'reset', '-q', '--hard', 'HEAD~4');
    const reset = await expectSame(dir);
    expect(reset.events[0]).toMatch(/hit|incremental/);
    git(dir, 'reset', '-q', '--hard', main);
    await expectSame(dir);
  });

  it('reads other revisions and an empty models tree the same way', async () => {
    for (const rev of ['HEAD~1', 'HEAD~10', 'experiment', git(dir, 'rev-list', '--max-parents=0', 'HEAD').trim()]) {
      await expectSame(dir, rev);
    }
    const none = await cachedRead(dir, 'no-such-branch');
    expect(none.snap.models).toEqual([]);
    expect(canon(none.snap)).toBe(canon(await uncachedRead(dir, 'no-such-branch')));
  });

  it('rebuilds a damaged cache file (full or delta) with one warning and the same answer', async () => {
    const snapDir = join(dir, '.git', 'modelgit', 'snapshots');
    const damage = (file: string, what: string) => writeFileSync(file, damaged(readFileSync(file), what));
    // Index damage is found when the file is loaded; text damage when that model is parsed
    // (then it is read from git). Either way: one warning, git's answer, a clean file next time.
    for (const what of ['flipped text byte', 'flipped index byte', 'truncated', 'garbage', 'empty']) {
      for (const f of cacheFiles(dir)) rmSync(join(snapDir, f));
      expect((await cachedRead(dir)).events).toEqual(['rebuild']);
      const tree = git(dir, 'rev-parse', 'HEAD:models').trim();
      damage(join(snapDir, `${tree}.full`), what);
      const read = await expectSame(dir);
      expect(read.warnings, what).toHaveLength(1);
      expect(read.warnings[0]).toMatch(/snapshot cache .* is unreadable \(.*\); rebuilding it from git/);
      expect(read.events, what).toEqual([what === 'flipped text byte' ? 'hit' : 'rebuild']);
      const next = await expectSame(dir);
      expect(next.warnings, what).toEqual([]);
      expect((await expectSame(dir)).events, what).toEqual(['hit']);
    }
    // A delta file: written by the first read after a commit.
    ok(await run('note', someId('neo'), 'one more commit'));
    expect((await expectSame(dir)).events).toEqual(['incremental']);
    const tree = git(dir, 'rev-parse', 'HEAD:models').trim();
    expect(cacheFiles(dir)).toContain(`${tree}.delta`);
    damage(join(snapDir, `${tree}.delta`), 'flipped index byte');
    const read = await expectSame(dir);
    expect(read.warnings).toHaveLength(1);
    expect((await expectSame(dir)).warnings).toEqual([]);
  });

  it('rebuilds a damaged summary manifest or section with a warning (per damaged file) and the same answer', async () => {
    const snapDir = join(dir, '.git', 'modelgit', 'snapshots');
    const reg = await Registry.open({ cwd: dir });
    const plain = await uncachedRead(dir);
    for (const kind of ['.sum', '.alg']) {
      for (const what of ['flipped index byte', 'flipped results byte', 'flipped text byte', 'truncated', 'garbage', 'empty']) {
        if (kind === '.sum' && (what === 'flipped text byte' || what === 'flipped results byte')) continue; // a manifest has neither
        // Just HEAD's summary files, so each damaged one is read.
        for (const f of readdirSync(snapDir)) if (f.endsWith('.sum') || f.endsWith('.alg')) rmSync(join(snapDir, f));
        await expectSameModels(dir, 'HEAD', plain);
        const files = readdirSync(snapDir).filter((f) => f.endsWith(kind));
        expect(files.length, kind).toBeGreaterThan(0);
        for (const f of files) {
          const buf = readFileSync(join(snapDir, f));
          // A manifest is two lines: its "index" is the JSON after the first.
          if (kind === '.sum' && what === 'flipped index byte') buf[buf.indexOf(10) + 20] ^= 0x01;
          writeFileSync(join(snapDir, f), kind === '.sum' && what === 'flipped index byte' ? buf : damaged(buf, what));
        }
        // Text damage shows when a model's metadata is parsed (then git answers); the rest at load.
        // One warning per damaged file (each read here is a process of its own).
        const { warnings } = await expectSameModels(dir, 'HEAD', plain, files.length);
        expect(warnings[0], `${kind} ${what}`).toMatch(/snapshot cache .* is unreadable \(.*\); rebuilding it from git/);
        await expectSameModels(dir, 'HEAD', plain, 0);
      }
    }
    void reg;
  });

  // (some forty CLI runs: a slow, shared machine must not decide it by the default timeout)
  it('builds a changed algorithm\'s section from the previous one, and the CLI answers as without a cache', { timeout: 180_000 }, async () => {
    const id = someId('mscn', 5);
    ok(await run('list', '--algo', 'mscn'));
    ok(await run('test', id, '--dataset', 'production', '--metric', 'total_time=0.001'));
    const traced = await runCliTraced(dir, 'best', '--algo', 'mscn', '--dataset', 'production', '--json');
    expect(traced.stderr).toMatch(/modelgit-cache: summary-build mscn \(incremental\)/);
    expect(JSON.parse(traced.stdout).model_id).toBe(id);
    await expectSame(dir);
    const commands: string[][] = [
      ['list', '--algo', 'mscn'],
      ['list'],
      ['list', '--algo', 'lero', '--sort', 'total_time', '--on', 'production'],
      ['list', '--tag', 'best', '--dataset', 'production', '--json'],
      ['best', '--algo', 'mscn', '--dataset', 'production', '--json'],
      ['best', '--algo', 'bao', '--dataset', 'job', '--aggregate', 'mean'],
      ['best', '--algo', 'lero', '--dataset', 'production', '--field', 'training.hyperparams'],
      ['best', '--algo', 'mscn', '--dataset', 'production', '--at', 'HEAD~3', '--json'],
      ['best', '--algo', 'no-such-algo'],
      ['cleanup', '--algo', 'mscn', '--dataset', 'production', '--keep', '3', '--dry-run', '--json'],
      ['cleanup', '--algo', 'nope', '--keep', '3', '--dry-run'],
      ['compare', someId('mscn', 1), someId('mscn', 2), someId('lero', 0), '--json'],
      ['compare', someId('mscn', 1), 'no-such-model'],
      ['compare', someId('bao', 0), someId('bao', 1), '--dataset', 'job'],
    ];
    for (const c of commands) {
      const cached = await run(...c);
      const plain = await runCliEnv(dir, { MODELGIT_NO_CACHE: '1' }, ...c);
      expect({ code: cached.code, stdout: cached.stdout, stderr: cached.stderr }, c.join(' ')).toEqual({ code: plain.code, stdout: plain.stdout, stderr: plain.stderr });
    }
  });

  it('remembers which models tree HEAD has, and asks git again when that file is damaged or objects are replaced', async () => {
    const file = join(dir, '.git', 'modelgit', 'snapshots', 'commit-trees');
    await expectSame(dir);
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    const tree = git(dir, 'rev-parse', 'HEAD:models').trim();
    expect(readFileSync(file, 'utf8')).toContain(JSON.stringify([`${head}:models`, tree]));
    // Damage: a flipped byte fails the line's CRC; one warning, git's answer, a clean file after.
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, text.replace(tree, tree.slice(0, -1) + (tree.endsWith('0') ? '1' : '0')));
    const read = await expectSame(dir);
    expect(read.warnings).toHaveLength(1);
    expect(read.warnings[0]).toMatch(/commit-trees is damaged; asking git again/);
    expect((await expectSame(dir)).warnings).toEqual([]);
    writeFileSync(file, 'garbage\n\0\0\0');
    expect((await expectSame(dir)).warnings).toHaveLength(1);
    expect(readFileSync(file, 'utf8')).toContain(JSON.stringify([`${head}:models`, tree]));
    // A replace ref changes what HEAD holds without moving it: the remembered tree is not used.
    const other = git(dir, 'rev-parse', 'HEAD~3').trim();
    git(dir, 'replace', head, other);
    try {
      const replaced = await expectSame(dir);
      expect(replaced.snap.byId.size).toBe((await uncachedRead(dir)).byId.size);
      expect(git(dir, 'rev-parse', 'HEAD:models').trim()).not.toBe(tree);
    } finally {
      git(dir, 'replace', '-d', head);
    }
    await expectSame(dir);
  });

  it('remembers the commit that recorded the best result by the commits it read, and answers as git after writes and damage', async () => {
    const file = join(dir, '.git', 'modelgit', 'recorded');
    const best = ['best', '--algo', 'mscn', '--dataset', 'production', '--json'];
    const same = async () => {
      const cached = ok(await run(...best));
      const plain = ok(await runCliEnv(dir, { MODELGIT_NO_CACHE: '1' }, ...best));
      expect(JSON.parse(cached.stdout)).toEqual(JSON.parse(plain.stdout));
      return cached;
    };
    await same();
    const winner = JSON.parse((await same()).stdout);
    expect(readFileSync(file, 'utf8')).toContain(winner.commit);
    // The winner tested again on another dataset: its file has a new commit, so a new key.
    ok(await run('test', winner.model_id, '--dataset', 'job', '--metric', 'total_time=1'));
    await same();
    // A new winner, then the old one back on top by a hand edit.
    ok(await run('test', someId('mscn', 7), '--dataset', 'production', '--metric', 'total_time=0.0001'));
    expect(JSON.parse((await same()).stdout).model_id).toBe(someId('mscn', 7));
    git(dir, 'revert', '--no-edit', 'HEAD');
    await same();
    writeFileSync(file, readFileSync(file, 'utf8').replace(/[0-9a-f]{40}"\]/, `${'0'.repeat(40)}"]`));
    const damaged = await same();
    expect(damaged.stderr).toMatch(/recorded is damaged; asking git again/);
    expect((await same()).stderr).toBe('');
  });

  // (some forty CLI runs: a slow, shared machine must not decide it by the default timeout)
  it('keeps a best answer by the models tree: asked again it is read from the shelf, and always as without a cache', { timeout: 180_000 }, async () => {
    const shelf = join(dir, '.git', 'modelgit', 'answers-best');
    const best = ['best', '--algo', 'lero', '--dataset', 'production', '--json'];
    const same = async (args = best) => {
      const cached = await runCliTraced(dir, ...args);
      const plain = await runCliEnv(dir, { MODELGIT_NO_CACHE: '1' }, ...args);
      expect({ code: cached.code, stdout: cached.stdout }, args.join(' ')).toEqual({ code: plain.code, stdout: plain.stdout });
      return { hit: /modelgit-cache: answer-hit best/.test(cached.stderr), answer: cached.code === 0 && args.includes('--json') ? JSON.parse(cached.stdout) : undefined };
    };
    await same();
    expect((await same()).hit).toBe(true);
    // Another question is another shelf entry; the text is the same as without a cache.
    expect((await same(['best', '--algo', 'lero', '--dataset', 'production', '--aggregate', 'mean', '--json'])).hit).toBe(false);
    expect((await same(['best', '--algo', 'lero', '--dataset', 'production'])).hit).toBe(true);
    // A commit that leaves the models tree alone: the answer is kept, its revision follows HEAD.
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'nothing about models');
    const moved = await same();
    expect(moved.hit).toBe(true);
    expect(moved.answer.revision).toBe(git(dir, 'rev-parse', 'HEAD').trim());
    // A write to a model: a new tree, a new answer (this one wins).
    const winner = someId('lero', 4);
    ok(await run('test', winner, '--dataset', 'production', '--metric', 'total_time=0.00001'));
    const after = await same();
    expect(after.hit).toBe(false);
    expect(after.answer.model_id).toBe(winner);
    // Earlier revisions, and the config deciding the direction: each answered as git would.
    expect((await same([...best, '--at', 'HEAD~2'])).answer.model_id).not.toBe(winner);
    const cfg = join(dir, 'modelgit.yaml');
    const before = readFileSync(cfg, 'utf8');
    writeFileSync(cfg, before.replace('total_time: { direction: min', 'total_time: { direction: max'));
    git(dir, 'commit', '-qam', 'bigger is better');
    expect((await same()).answer.model_id).not.toBe(winner);
    writeFileSync(cfg, before);
    git(dir, 'commit', '-qam', 'smaller is better again');
    expect((await same()).answer.model_id).toBe(winner);
    // Short listings are kept the same way, each exactly as without a cache.
    const listings = [
      ['list', '--algo', 'lero', '--limit', '5'],
      ['list', '--algo', 'lero', '--limit', '5', '--json'],
      ['list', '--limit', '7', '--sort', 'total_time', '--on', 'production', '--results', '--json'],
      ['list', '--algo', 'mscn', '--tag', 'best', '--limit', '3'],
    ];
    for (const l of listings) {
      await same(l);
      const again = await runCliTraced(dir, ...l);
      expect(again.stderr, l.join(' ')).toMatch(/answer-hit list/);
      expect(again.stdout).toBe((await runCliEnv(dir, { MODELGIT_NO_CACHE: '1' }, ...l)).stdout);
    }
    ok(await run('tag', someId('lero', 2), 'fresh-label'));
    // (the first two are one question: the output format is not part of it)
    for (const l of listings.filter((_, i) => i !== 1)) expect((await runCliTraced(dir, ...l)).stderr, l.join(' ')).not.toMatch(/answer-hit/);
    for (const l of listings) await same(l);
    // A damaged shelf: one warning, the answer as git gives it, a clean shelf after.
    writeFileSync(shelf, readFileSync(shelf, 'utf8').replace(/"model_id\\":\\"[^\\]+/, '"model_id\\":\\"someone_else'));
    const damaged = await runCliTraced(dir, ...best);
    expect(damaged.stderr).toMatch(/answers-best is damaged; asking git again/);
    expect(JSON.parse(damaged.stdout).model_id).toBe(winner);
    expect((await same()).hit).toBe(true);
  });

  it('is skipped entirely with MODELGIT_NO_CACHE=1', async () => {
    const fresh = tempDir('modelgit-nocache-');
    await generateInto(fresh, { models: 20, seed: 3 });
    const r = await runCli(fresh, 'tag', someIdIn(fresh), 'x');
    expect(r.code).toBe(0);
    expect(cacheFiles(fresh)).not.toEqual([]); // the normal path caches
    const other = tempDir('modelgit-nocache-');
    await generateInto(other, { models: 20, seed: 3 });
    const r2 = await runCliEnv(other, { MODELGIT_NO_CACHE: '1' }, 'tag', someIdIn(other), 'x');
    expect(r2.code).toBe(0);
    expect(cacheFiles(other)).toEqual([]);
  });
});

function damaged(buf: Buffer, what: string): Buffer {
  const b = Buffer.from(buf);
  // A .full/.delta file is magic line, texts, paths, records, header, trailer; a summary file is
  // magic line, header, index, texts.
  const index = b.toString('latin1', 0, b.indexOf(10)) === 'modelgit-snapshot-cache';
  const indexAt = index ? pathsAt(b) + 2 : b.indexOf(10, b.indexOf(10) + 1) + 3;
  switch (what) {
    case 'flipped text byte':
      // inside the last model's text
      b[index ? pathsAt(b) - 20 : b.length - 20] ^= 0x01;
      return b;
    case 'flipped index byte':
      b[indexAt] ^= 0x01;
      return b;
    case 'flipped results byte': {
      // A section's results (every model's test results) lie between its items and its texts.
      const nl1 = b.indexOf(10);
      const nl2 = b.indexOf(10, nl1 + 1);
      const header = JSON.parse(b.toString('utf8', nl1 + 1, nl2));
      b[nl2 + 1 + header.index_bytes + 5] ^= 0x01;
      return b;
    }
    case 'truncated':
      return b.subarray(0, Math.floor(b.length / 2));
    case 'garbage':
      return Buffer.from('hello\nworld\n');
    default:
      return Buffer.alloc(0);
  }
}

/** Where the paths of a .full/.delta file start: after the texts, whose length its header gives. */
function pathsAt(b: Buffer): number {
  const headerLength = Number.parseInt(b.toString('latin1', b.length - 18, b.length - 10), 16);
  const header = JSON.parse(b.toString('utf8', b.length - 19 - headerLength, b.length - 19)) as { texts_bytes: number };
  return b.indexOf(10) + 1 + header.texts_bytes;
}

function someIdIn(dir: string): string {
  return git(dir, 'ls-tree', '-r', '--name-only', 'HEAD', '--', 'models/mscn').split('\n')[0]!.split('/').pop()!.replace(/\.json$/, '');
}

function runCliEnv(cwd: string, env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  const p = runCli(cwd, ...args);
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return p;
}

function runCliTraced(cwd: string, ...args: string[]): Promise<CliResult> {
  return runCliEnv(cwd, { MODELGIT_CACHE_TRACE: '1' }, ...args);
}

describe('config and stages parse cache', () => {
  const yamlDir = (dir: string) => join(dir, '.git', 'modelgit', 'yaml');
  const files = (dir: string) => (existsSync(yamlDir(dir)) ? readdirSync(yamlDir(dir)) : []);

  it('remembers a valid config by content, follows edits, and never remembers an invalid one', async () => {
    const r = await tempRegistry();
    const first = await Registry.open({ cwd: r.dir });
    expect(files(r.dir)).toHaveLength(1);
    const again = await Registry.open({ cwd: r.dir });
    expect(again.config).toEqual(first.config);

    r.write('modelgit.yaml', r.read('modelgit.yaml').replace('default_metric: total_time', 'default_metric: accuracy'));
    expect((await Registry.open({ cwd: r.dir })).config.default_metric).toBe('accuracy');
    expect(files(r.dir)).toHaveLength(2);

    r.write('modelgit.yaml', 'schema_version: 1\nmodels_dir: [not, a, string]\n');
    for (let i = 0; i < 2; i++) await expect(Registry.open({ cwd: r.dir })).rejects.toThrow(/modelgit.yaml is invalid/);
    expect(files(r.dir)).toHaveLength(2);
    const res = await r.run('tag', 'x', 'y');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/modelgit\.yaml:2:13: \/models_dir/);
  });

  it('re-reads a damaged entry with a warning and the same config', async () => {
    const r = await tempRegistry();
    const good = (await Registry.open({ cwd: r.dir })).config;
    const [name] = files(r.dir);
    const file = join(yamlDir(r.dir), name!);
    // The stored value damaged (not the text it was made from, which would only miss).
    const entry = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...entry, value: entry.value.replace('total_time', 'total_tim3') }));
    const res = await r.run('tag', 'nope', 'x');
    expect(res.stderr).toMatch(/warning: the cached modelgit.yaml .* is unreadable \(checksum mismatch\)/);
    expect(res.stderr).toMatch(/no model "nope"/);
    expect((await Registry.open({ cwd: r.dir })).config).toEqual(good);
  });
});

describe('commit-graph upkeep', () => {
  it('writes changed-path Bloom filters in the background, once per HEAD', async () => {
    const dir = tempDir('modelgit-graph-');
    await generateInto(dir, { models: 30, seed: 5 });
    const modelgitDir = join(dir, '.git', 'modelgit');
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    expect(maintainCommitGraph({ root: dir, dir: modelgitDir, head })).toBe(true);
    expect(maintainCommitGraph({ root: dir, dir: modelgitDir, head })).toBe(false); // one at a time
    for (let i = 0; i < 200 && commitGraphUpdating(modelgitDir); i++) await new Promise((r) => setTimeout(r, 50));
    expect(commitGraphUpdating(modelgitDir)).toBe(false);
    expect(readFileSync(join(modelgitDir, 'commit-graph'), 'utf8').trim()).toBe(head);
    const graphs = join(dir, '.git', 'objects', 'info', 'commit-graphs');
    const chunks = readdirSync(graphs).filter((f) => f.endsWith('.graph')).map((f) => readFileSync(join(graphs, f)));
    expect(chunks.some((b) => b.includes('BDAT'))).toBe(true); // the Bloom filter data chunk
    expect(maintainCommitGraph({ root: dir, dir: modelgitDir, head })).toBe(false); // HEAD covered
  });
});
