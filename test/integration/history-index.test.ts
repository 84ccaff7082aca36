// The history index must never change an answer: after every kind of write, a reset, another branch,
// a merge and a damaged index file, what it says equals `git log -- <path>`, and best/show answer the
// same as with every cache off.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { generateInto } from '../../bench/generate.mjs';
import {
  buildHistoryIndex,
  commitsAtHead,
  commitsChanging,
  forgetHistoryIndexes,
  historyFiles,
  historyIndexAt,
  saveHistoryIndex,
  type HistoryIndex,
} from '../../src/store/cache/history-index.js';
import { git, runCli, runCliWithEnv, tempDir } from '../helpers.js';

const gitLog = (dir: string, path: string, at = 'HEAD') => git(dir, 'log', '--format=%H', at, '--', path).split('\n').filter(Boolean);

/** Every path the history ever touched (a sample of them, to keep the test quick) and one it never did. */
function somePaths(dir: string): string[] {
  const all = [...new Set(git(dir, 'log', '--format=', '--name-only', '--no-renames').split('\n').filter(Boolean))].sort();
  return [...all.filter((_, i) => i % 7 === 0), 'stages.yaml', 'modelgit.yaml', 'models/mscn/never_there.json'];
}

function expectSameAsGit(dir: string, idx: HistoryIndex, at = 'HEAD', paths = somePaths(dir)): void {
  const commit = git(dir, 'rev-parse', at).trim();
  for (const p of paths) expect(idx.commitsChanging(p, commit), `${p} at ${at}`).toEqual(gitLog(dir, p, at));
  // Read by path from the file (its tip only): the same answers.
  if (commit === idx.tip && Buffer.compare(readFileSync(historyFiles(cacheDir(dir)).index), idx.bytes()) === 0) {
    expect(commitsAtHead({ cacheDir: cacheDir(dir), head: commit }, paths)).toEqual(paths.map((p) => gitLog(dir, p, at)));
  }
}

const cacheDir = (dir: string) => join(dir, '.git', 'modelgit');
const head = (dir: string) => git(dir, 'rev-parse', 'HEAD').trim();

async function open(dir: string, warnings: string[] = []): Promise<HistoryIndex | undefined> {
  forgetHistoryIndexes();
  // models: 0 keeps small test registries from starting background builds
  return historyIndexAt({ root: dir, cacheDir: cacheDir(dir), head: head(dir), models: () => 0, warn: (m) => warnings.push(m) });
}

async function fullBuild(dir: string): Promise<HistoryIndex> {
  const idx = await buildHistoryIndex(dir, head(dir));
  saveHistoryIndex(cacheDir(dir), idx);
  return idx;
}

function ok(r: { code: number; stderr: string; stdout: string }) {
  expect(r.code, r.stderr).toBe(0);
  return r;
}

describe('history index', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('modelgit-history-');
    await generateInto(dir, { models: 120, seed: 11 });
  });
  beforeEach(() => forgetHistoryIndexes());

  it('built from the whole log, it says what git log -- <path> says, at HEAD and at older commits', async () => {
    const idx = await fullBuild(dir);
    expect(idx.linear).toBe(true);
    expect(idx.tip).toBe(head(dir));
    expectSameAsGit(dir, idx);
    expectSameAsGit(dir, idx, 'HEAD~17');
    expectSameAsGit(dir, idx, git(dir, 'rev-list', '--max-parents=0', 'HEAD').trim());
  });

  it('follows CLI writes and hand-made commits by appending, and equals a fresh build after each', async () => {
    const some = git(dir, 'ls-tree', '--name-only', 'HEAD', 'models/mscn/').split('\n')[2]!;
    const id = some.split('/').pop()!.replace(/\.json$/, '');
    const steps: (() => Promise<unknown> | void)[] = [
      async () => ok(await runCli(dir, 'register', '--algo', 'mscn', '--param', 'num_epoch=5', '--dataset', 'job')),
      async () => ok(await runCli(dir, 'test', id, '--dataset', 'stats', '--metric', 'total_time=3.25')),
      async () => ok(await runCli(dir, 'tag', id, 'keep')),
      async () => ok(await runCli(dir, 'note', id, 'checked')),
      () => {
        writeFileSync(join(dir, some), readFileSync(join(dir, some), 'utf8').replace('"notes"', '"notes" '));
        git(dir, 'commit', '-qam', 'hand edit');
      },
      () => {
        git(dir, 'rm', '-q', some);
        git(dir, 'commit', '-qm', 'hand delete');
      },
      () => void git(dir, 'commit', '-q', '--allow-empty', '-m', 'nothing changed'),
      () => {
        // two commits at once: the index extends by both
        writeFileSync(join(dir, 'README.md'), 'x\n');
        git(dir, 'add', 'README.md');
        git(dir, 'commit', '-qm', 'readme');
        git(dir, 'revert', '--no-edit', 'HEAD~2'); // brings the deleted file back
      },
    ];
    for (const step of steps) {
      await step();
      const idx = await open(dir);
      expect(idx, 'extended in the foreground').toBeDefined();
      expect(idx!.tip).toBe(head(dir));
      expectSameAsGit(dir, idx!, 'HEAD', [...somePaths(dir), some]);
      const fresh = await buildHistoryIndex(dir, head(dir));
      expect(Buffer.compare(readFileSync(historyFiles(cacheDir(dir)).index), fresh.bytes())).toBe(0);
    }
  });

  it('answers after git reset (a prefix of the index) and back', async () => {
    const tip = head(dir);
    await fullBuild(dir);
    git(dir, 'reset', '-q', '--hard', 'HEAD~5');
    const back = await open(dir);
    expect(back).toBeDefined();
    expectSameAsGit(dir, back!);
    git(dir, 'reset', '-q', '--hard', tip);
    const again = await open(dir);
    expect(again?.tip).toBe(tip);
    expectSameAsGit(dir, again!);
  });

  it('follows a branch from an older commit, the way back, and an orphan branch, without a rebuild', async () => {
    const main = git(dir, 'rev-parse', '--abbrev-ref', 'HEAD').trim();
    await fullBuild(dir);
    git(dir, 'checkout', '-q', '-b', 'side', 'HEAD~9');
    ok(await runCli(dir, 'register', '--algo', 'lero'));
    const side = await open(dir);
    expect(side?.tip).toBe(head(dir));
    const path = git(dir, 'ls-tree', '-r', '--name-only', 'HEAD', 'models/lero/').split('\n')[0]!;
    expectSameAsGit(dir, side!, 'HEAD', [...somePaths(dir), path]);
    expect(Buffer.compare(side!.bytes(), (await buildHistoryIndex(dir, head(dir))).bytes())).toBe(0);
    git(dir, 'checkout', '-q', main);
    const back = await open(dir);
    expect(back?.tip).toBe(head(dir));
    expectSameAsGit(dir, back!);
    git(dir, 'checkout', '-q', '--orphan', 'fresh');
    git(dir, 'commit', '-qm', 'orphan root');
    const orphan = await open(dir);
    expect(orphan?.commitCount).toBe(1);
    expectSameAsGit(dir, orphan!);
    git(dir, 'checkout', '-q', '-f', main);
    git(dir, 'branch', '-q', '-D', 'fresh');
    // main shares nothing with the orphan: its whole line (under 2,000 commits here) is read anew
    const whole = await open(dir);
    expect(Buffer.compare(whole!.bytes(), (await buildHistoryIndex(dir, head(dir))).bytes())).toBe(0);
    expectSameAsGit(dir, whole!);
  });

  it('a merge makes it inapplicable: git answers, also for commits made on top', async () => {
    const main = git(dir, 'rev-parse', '--abbrev-ref', 'HEAD').trim();
    git(dir, 'merge', '-q', '--no-ff', '-m', 'merge side', 'side');
    const idx = await fullBuild(dir);
    expect(idx.linear).toBe(false);
    expect(await open(dir)).toBeUndefined();
    ok(await runCli(dir, 'register', '--algo', 'mscn'));
    expect(await open(dir)).toBeUndefined();
    for (const p of somePaths(dir)) {
      expect(await commitsChanging({ root: dir, gitDir: join(dir, '.git'), head: head(dir), models: () => 0 }, p, head(dir))).toEqual(gitLog(dir, p));
    }
    git(dir, 'reset', '-q', '--hard', 'HEAD~2');
    expect(git(dir, 'rev-parse', '--abbrev-ref', 'HEAD').trim()).toBe(main);
  });

  it('a damaged index file is reported once, removed, and git answers', async () => {
    await fullBuild(dir);
    const file = historyFiles(cacheDir(dir)).index;
    const bytes = readFileSync(file);
    bytes[bytes.length >> 1] ^= 0x01;
    writeFileSync(file, bytes);
    const warnings: string[] = [];
    expect(await open(dir, warnings)).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/history index .* is unreadable \(checksum mismatch\)/);
    expect(existsSync(file)).toBe(false);
  });

  it('damage in the bucket of a path read by path is reported once, removed, and git answers', async () => {
    const idx = await fullBuild(dir);
    const file = historyFiles(cacheDir(dir)).index;
    const path = somePaths(dir)[3]!;
    // the last byte of one of this path's commit ids, in its bucket
    const bytes = readFileSync(file);
    const at = bytes.lastIndexOf(Buffer.from(idx.commitsChanging(path)![0]!, 'hex'));
    expect(at).toBeGreaterThan(idx.commitCount * 20 + 96);
    bytes[at + 19] ^= 0x01;
    writeFileSync(file, bytes);
    const warnings: string[] = [];
    forgetHistoryIndexes();
    expect(commitsAtHead({ cacheDir: cacheDir(dir), head: head(dir), warn: (m) => warnings.push(m) }, [path])).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/history index .* is unreadable \(checksum mismatch\)/);
    expect(existsSync(file)).toBe(false);
    expect(await commitsChanging({ root: dir, gitDir: join(dir, '.git'), head: head(dir), models: () => 0 }, path, head(dir))).toEqual(gitLog(dir, path));
  });

  it('best and show answer the same with the index as with every cache off', async () => {
    await fullBuild(dir);
    const best = ['best', '--algo', 'mscn', '--dataset', 'job', '--json'];
    const id = JSON.parse(ok(await runCli(dir, ...best)).stdout).model_id as string;
    // (the answer shelf would answer the repeated question without the history index)
    rmSync(join(cacheDir(dir), 'answers-best'), { force: true });
    const traced = ok(await runCliWithEnv(dir, { MODELGIT_CACHE_TRACE: '1' }, ...best));
    expect(traced.stderr).toMatch(/modelgit-history: hit/);
    const off = { MODELGIT_NO_CACHE: '1' };
    expect(traced.stdout).toBe(ok(await runCliWithEnv(dir, off, ...best)).stdout);
    const at = ['best', '--algo', 'mscn', '--dataset', 'job', '--json', '--at', 'HEAD~30'];
    expect(ok(await runCli(dir, ...at)).stdout).toBe(ok(await runCliWithEnv(dir, off, ...at)).stdout);
    const show = ['show', id, '--json'];
    const shown = ok(await runCliWithEnv(dir, { MODELGIT_CACHE_TRACE: '1' }, ...show));
    expect(shown.stderr).toMatch(/modelgit-history: hit .* \(read by path\)/);
    expect(shown.stdout).toBe(ok(await runCliWithEnv(dir, off, ...show)).stdout);
    ok(await runCli(dir, 'promote', id, '--stage', 'staging'));
    const promoted = ok(await runCliWithEnv(dir, { MODELGIT_CACHE_TRACE: '1' }, ...show));
    expect(promoted.stderr).toMatch(/modelgit-history: extended/);
    expect(JSON.parse(promoted.stdout).history[0].action).toBe('promote');
    expect(promoted.stdout).toBe(ok(await runCliWithEnv(dir, off, ...show)).stdout);
    // The commits' log entries and the stage assignments it remembered, damaged: warnings, same answer.
    const again = ok(await runCli(dir, ...show));
    expect(again.stdout).toBe(promoted.stdout);
    for (const memo of ['commits', 'stages']) {
      const file = join(cacheDir(dir), memo);
      const text = readFileSync(file, 'utf8');
      writeFileSync(file, text.replace(/"promote/, '"demote').replace(/staging/, 'stagin9'));
      const damaged = ok(await runCli(dir, ...show));
      expect(damaged.stderr, memo).toMatch(new RegExp(`${memo} is damaged; asking git again`));
      expect(damaged.stdout, memo).toBe(promoted.stdout);
    }
  });
});

describe('history index in the background', () => {
  it('a big registry without an index starts one build, asks git meanwhile, and then hits', async () => {
    const dir = tempDir('modelgit-history-bg-');
    await generateInto(dir, { models: 1000, seed: 3 });
    const best = ['best', '--algo', 'mscn', '--dataset', 'job', '--json'];
    const id = JSON.parse(ok(await runCli(dir, ...best)).stdout).model_id as string;
    const show = ['show', id, '--json'];
    // show looks at the whole registry (1,000 models): that starts the build
    const first = ok(await runCliWithEnv(dir, { MODELGIT_CACHE_TRACE: '1' }, ...show));
    expect(first.stderr).toMatch(/modelgit-history: background build for [0-9a-f]{40} started/);
    const lock = historyFiles(cacheDir(dir)).lock;
    for (let i = 0; i < 600 && existsSync(lock); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(lock)).toBe(false);
    const second = ok(await runCliWithEnv(dir, { MODELGIT_CACHE_TRACE: '1' }, ...show));
    expect(second.stderr).toMatch(/modelgit-history: hit/);
    expect(second.stdout).toBe(first.stdout);
    const off = { MODELGIT_NO_CACHE: '1' };
    expect(second.stdout).toBe(ok(await runCliWithEnv(dir, off, ...show)).stdout);
    rmSync(join(cacheDir(dir), 'answers-best'), { force: true });
    const bestHit = ok(await runCliWithEnv(dir, { MODELGIT_CACHE_TRACE: '1' }, ...best));
    expect(bestHit.stderr).toMatch(/modelgit-history: hit/);
    expect(bestHit.stdout).toBe(ok(await runCliWithEnv(dir, off, ...best)).stdout);
  }, 120_000);
});
