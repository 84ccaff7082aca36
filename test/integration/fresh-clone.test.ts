// The first answer on a fresh clone (no .git/modelgit: every CI job, every new training machine)
// takes short cuts — best reads only its algorithm's models (store/models.ts readAlgorithmFirst), and
// best and show find a model's commits by the commits that mention it (store/named-history.ts)
// instead of `git log -- <path>` — and they must never change an answer: after every kind of
// history (CLI writes, hand commits with and without trailers, a removal and a restore, a file made
// with its results, a merge, files another directory's answer must refuse) each answer equals the
// one with every cache off, and the trace shows when the short cut answered.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateInto } from '../../bench/generate.mjs';
import { git, runCli, runCliWithEnv, tempDir } from '../helpers.js';

let dir: string;

/** The first answer after the caches are gone, beside the uncached reference; returns the first one's trace. */
async function sameAsReference(...args: string[]): Promise<string> {
  rmSync(join(dir, '.git', 'modelgit'), { recursive: true, force: true });
  const first = await runCliWithEnv(dir, { MODELGIT_CACHE_TRACE: '1' }, ...args, '--json');
  const reference = await runCliWithEnv(dir, { MODELGIT_NO_CACHE: '1' }, ...args, '--json');
  expect(first.stdout, `${args.join(' ')}: ${first.stderr}`).toBe(reference.stdout);
  expect(first.code, args.join(' ')).toBe(reference.code);
  return first.stderr;
}

function commitByHand(message: string, edit: () => void): string {
  edit();
  git(dir, 'add', '-A', 'models');
  git(dir, 'commit', '-q', '--no-verify', '-m', message);
  return git(dir, 'rev-parse', 'HEAD').trim();
}

const modelFile = (id: string) => join(dir, 'models', 'mscn', `${id}.json`);
const winnerOn = async (dataset: string): Promise<{ model_id: string; commit: string }> => JSON.parse((await runCli(dir, 'best', '--algo', 'mscn', '--dataset', dataset, '--json')).stdout);

describe('the first answer on a fresh clone', () => {
  let datasets: string[];
  beforeAll(async () => {
    dir = tempDir('modelgit-fresh-');
    await generateInto(dir, { models: 150, seed: 5 });
    // Like a clone from a server: no commit-graph either.
    rmSync(join(dir, '.git', 'objects', 'info', 'commit-graph'), { force: true });
    const all = git(dir, 'ls-tree', '-r', '--name-only', 'HEAD', 'models/mscn').split('\n').filter(Boolean);
    const seen = new Set<string>();
    for (const p of all) for (const t of JSON.parse(readFileSync(join(dir, p), 'utf8')).testing ?? []) seen.add(t.dataset);
    datasets = [...seen].sort();
  }, 120_000);

  it('best and show answer as with every cache off, by the short cuts', async () => {
    expect(datasets.length).toBeGreaterThan(1);
    for (const d of datasets) {
      const trace = await sameAsReference('best', '--algo', 'mscn', '--dataset', d);
      expect(trace).toMatch(/first read of mscn/);
      expect(trace).toMatch(/by name: [0-9a-f]{12} recorded the result/);
    }
    const ids = git(dir, 'ls-tree', '--name-only', 'HEAD', 'models/mscn/').split('\n').filter(Boolean).slice(0, 4);
    for (const p of ids) {
      const trace = await sameAsReference('show', p.split('/').pop()!.replace(/\.json$/, ''));
      expect(trace).toMatch(/by name: \d+ commit\(s\) mention/);
    }
  }, 180_000);

  it('a result recorded by a hand commit without trailers: git is asked, the same answer', async () => {
    const { model_id: id } = await winnerOn(datasets[0]!);
    commitByHand('fix a result by hand', () => {
      const m = JSON.parse(readFileSync(modelFile(id), 'utf8'));
      m.testing.push({ dataset: datasets[0], performance: { total_time: 0.001 }, tested_at: '2030-01-01T00:00:00Z' });
      writeFileSync(modelFile(id), JSON.stringify(m, null, 2) + '\n');
    });
    const trace = await sameAsReference('best', '--algo', 'mscn', '--dataset', datasets[0]!);
    expect(trace).not.toMatch(/recorded the result/);
    await sameAsReference('show', id);
    // A commit that only mentions the model in its body, without trailers, changing its file.
    commitByHand(`touch ${id} by hand\n\nabout ${id}`, () => {
      const m = JSON.parse(readFileSync(modelFile(id), 'utf8'));
      m.tags = [...(m.tags ?? []), 'by-hand'];
      writeFileSync(modelFile(id), JSON.stringify(m, null, 2) + '\n');
    });
    await sameAsReference('show', id);
    await sameAsReference('best', '--algo', 'mscn', '--dataset', datasets[0]!);
  }, 120_000);

  it('a model removed by a cleanup and restored: the result recorded in its first life', async () => {
    const { model_id: id } = await winnerOn(datasets[1]!);
    commitByHand(`cleanup mscn: remove ${id}\n\nModel-Action: cleanup\nModel-Id: ${id}\nAlgorithm: mscn`, () => rmSync(modelFile(id)));
    const r = await runCli(dir, 'restore', id);
    expect(r.code, r.stderr).toBe(0);
    const trace = await sameAsReference('best', '--algo', 'mscn', '--dataset', datasets[1]!);
    expect(trace).toMatch(/recorded the result/);
    await sameAsReference('show', id);
  }, 120_000);

  it('a file made with its result (an import): that commit, unless an older commit mentions the model', async () => {
    const id = 'mscn_20991231_000000';
    const made = commitByHand(`import ${id}\n\nModel-Action: import\nModel-Id: ${id}`, () => {
      const template = JSON.parse(readFileSync(join(dir, git(dir, 'ls-tree', '--name-only', 'HEAD', 'models/mscn/').split('\n')[0]!), 'utf8'));
      writeFileSync(modelFile(id), JSON.stringify({ ...template, model_id: id, testing: [{ dataset: datasets[0], performance: { total_time: 0.0001 }, tested_at: '2031-01-01T00:00:00Z' }], tags: [] }, null, 2) + '\n');
    });
    expect((await winnerOn(datasets[0]!)).model_id).toBe(id);
    let trace = await sameAsReference('best', '--algo', 'mscn', '--dataset', datasets[0]!);
    expect(trace).toMatch(new RegExp(`by name: ${made.slice(0, 12)} recorded the result`));
    // Once an older commit mentions it, the file may have had an earlier life: git decides.
    git(dir, 'reset', '-q', '--hard', 'HEAD~1');
    git(dir, 'commit', '-q', '--allow-empty', '-m', `plan ${id}`);
    commitByHand(`import ${id}\n\nModel-Action: import\nModel-Id: ${id}`, () => {
      const template = JSON.parse(readFileSync(join(dir, git(dir, 'ls-tree', '--name-only', 'HEAD', 'models/mscn/').split('\n')[0]!), 'utf8'));
      writeFileSync(modelFile(id), JSON.stringify({ ...template, model_id: id, testing: [{ dataset: datasets[0], performance: { total_time: 0.0001 }, tested_at: '2031-01-01T00:00:00Z' }], tags: [] }, null, 2) + '\n');
    });
    trace = await sameAsReference('best', '--algo', 'mscn', '--dataset', datasets[0]!);
    expect(trace).not.toMatch(/recorded the result/);
    await sameAsReference('show', id);
  }, 120_000);

  it('files of other directories that concern every answer refuse it the same way; a shared id reads the whole index', async () => {
    const other = git(dir, 'ls-tree', '-d', '--name-only', 'HEAD', 'models/').split('\n').filter((p) => p && p !== 'models/mscn')[0]!;
    const algo = other.split('/').pop()!;
    const sample = git(dir, 'ls-tree', '--name-only', 'HEAD', `${other}/`).split('\n')[0]!;
    const text = readFileSync(join(dir, sample), 'utf8');
    // Names mscn from another directory: could be mscn's, so mscn's answer is refused.
    commitByHand('misplaced', () => writeFileSync(join(dir, sample), text.replace(`"algorithm": "${algo}"`, '"algorithm": "mscn"')));
    await sameAsReference('best', '--algo', 'mscn', '--dataset', datasets[0]!);
    expect((await runCli(dir, 'best', '--algo', 'mscn', '--dataset', datasets[0]!)).code).toBe(1);
    // The key spelled with an escape, and a second "algorithm" key: parsed, not guessed.
    commitByHand('escaped', () => writeFileSync(join(dir, sample), text.replace(`"algorithm": "${algo}"`, `"\\u0061lgorithm": "${algo}"`)));
    await sameAsReference('best', '--algo', 'mscn', '--dataset', datasets[0]!);
    commitByHand('twice', () => writeFileSync(join(dir, sample), text.replace(`"algorithm": "${algo}"`, `"algorithm": "${algo}", "algorithm": "mscn"`)));
    await sameAsReference('best', '--algo', 'mscn', '--dataset', datasets[0]!);
    commitByHand('restored', () => writeFileSync(join(dir, sample), text));
    // An mscn id that is also a file name in another directory: the whole index decides who keeps it.
    const { model_id: id } = await winnerOn(datasets[0]!);
    commitByHand('shared id', () => {
      mkdirSync(join(dir, other), { recursive: true });
      writeFileSync(join(dir, other, `${id}.json`), '{ not json');
    });
    const trace = await sameAsReference('best', '--algo', 'mscn', '--dataset', datasets[0]!);
    expect(trace).not.toMatch(/first read of/);
    git(dir, 'rm', '-q', join(other, `${id}.json`));
    git(dir, 'commit', '-q', '--no-verify', '-m', 'unshare');
  }, 120_000);

  it('a message holding the walk\'s separators can\'t pass one commit off as another: git walks', async () => {
    const { model_id: id } = await winnerOn(datasets[0]!);
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    const message = join(dir, '..', 'message.txt');
    writeFileSync(message, `crafted\n\n\x1e${head}\x1f${head}\x1fModel-Id: ${id}\n`);
    commitByHand('placeholder', () => {
      const m = JSON.parse(readFileSync(modelFile(id), 'utf8'));
      m.tags = [...(m.tags ?? []), 'crafted'];
      writeFileSync(modelFile(id), JSON.stringify(m, null, 2) + '\n');
    });
    git(dir, 'commit', '-q', '--amend', '--no-verify', '-F', message);
    expect(await sameAsReference('show', id)).not.toMatch(/by name/);
    expect(await sameAsReference('best', '--algo', 'mscn', '--dataset', datasets[0]!)).not.toMatch(/by name/);
    git(dir, 'reset', '-q', '--hard', 'HEAD~1');
  }, 120_000);

  it('a merge in the history: git walks, the same answers', async () => {
    const { model_id: id } = await winnerOn(datasets[0]!);
    git(dir, 'checkout', '-q', '-b', 'side', 'HEAD~3');
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'side work');
    git(dir, 'checkout', '-q', 'main');
    git(dir, 'merge', '-q', '--no-ff', '--no-edit', 'side');
    const trace = await sameAsReference('best', '--algo', 'mscn', '--dataset', datasets[0]!);
    expect(trace).not.toMatch(/by name/);
    expect(await sameAsReference('show', id)).not.toMatch(/by name/);
  }, 120_000);
});
