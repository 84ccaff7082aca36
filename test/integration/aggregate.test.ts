// "Best" means one thing: a model's score on a dataset is the aggregate set per metric in
// modelgit.yaml (metrics.<m>.aggregate: latest | best | mean, latest when absent), --aggregate
// overrides it, and every answer says which it used: best, list --sort, list --results, cleanup,
// compare. Also `list --results`, each model's score per dataset (issue 12, items 5 and 7).
import { beforeAll, describe, expect, it } from 'vitest';
import { best } from '../../src/registry/best.js';
import { cleanup } from '../../src/registry/cleanup.js';
import { compare } from '../../src/registry/compare.js';
import { list } from '../../src/registry/list.js';
import { recordTest } from '../../src/registry/record-test.js';
import { register } from '../../src/registry/register.js';
import { Registry } from '../../src/registry/registry.js';
import { runCliWithEnv, steppingClock, tempRegistry, type TempRegistry } from '../helpers.js';

interface Setup {
  r: TempRegistry;
  a: string;
  b: string;
}

/** mscn a: total_time 50 then 60 on production (latest 60, best 50, mean 55), 7 on job; b: 54 on production. */
async function setup(): Promise<Setup> {
  const r = await tempRegistry();
  const reg = await r.open(steppingClock('2024-10-19T10:30:00Z'));
  const a = (await register(reg, { algorithm: 'mscn', dataset: 'production' })).model_id;
  const b = (await register(reg, { algorithm: 'mscn', dataset: 'production' })).model_id;
  await recordTest(reg, { id: a, dataset: 'production', metrics: ['total_time=50'] });
  await recordTest(reg, { id: b, dataset: 'production', metrics: ['total_time=54'] });
  await recordTest(reg, { id: a, dataset: 'production', metrics: ['total_time=60'] });
  await recordTest(reg, { id: a, dataset: 'job', metrics: ['total_time=7'] });
  return { r, a, b };
}

/** modelgit.yaml with total_time's aggregate set (or its line as init wrote it), committed. */
async function withAggregate(r: TempRegistry, aggregate: string | undefined): Promise<Registry> {
  const text = r.read('modelgit.yaml').replace(/^  total_time: \{[^}]*\}/m, `  total_time: { direction: min${aggregate ? `, aggregate: ${aggregate}` : ''} }`);
  r.write('modelgit.yaml', text);
  r.git('commit', '-qam', `total_time aggregate: ${aggregate ?? 'unset'}`);
  return Registry.open({ cwd: r.dir });
}

describe('metrics.<m>.aggregate', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup();
  });

  it('init writes it explicitly for each metric', () => {
    const text = s.r.read('modelgit.yaml');
    expect(text).toMatch(/^  total_time: \{ direction: min, aggregate: latest \}/m);
    expect(text).toMatch(/^  accuracy: +\{ direction: max, aggregate: latest \}/m);
  });

  it('absent means latest; set, every query ranks by it and says so; --aggregate overrides it', async () => {
    let reg = await withAggregate(s.r, undefined);
    expect((await best(reg, { algorithm: 'mscn', dataset: 'production' })).answer).toMatchObject({ model_id: s.b, value: 54, aggregate: 'latest' });

    reg = await withAggregate(s.r, 'best');
    expect((await best(reg, { algorithm: 'mscn', dataset: 'production' })).answer).toMatchObject({ model_id: s.a, value: 50, aggregate: 'best' });
    expect((await best(reg, { algorithm: 'mscn', dataset: 'production', aggregate: 'latest' })).answer).toMatchObject({ model_id: s.b, aggregate: 'latest' });

    const sorted = await list(reg, { sort: 'total_time', on: 'production' });
    expect(sorted.sort).toMatchObject({ aggregate: 'best' });
    expect(sorted.entries.map((e) => e.model.metadata.model_id)).toEqual([s.a, s.b]);
    expect((await list(reg, { sort: 'total_time', on: 'production', aggregate: 'mean' })).entries.map((e) => e.score?.value)).toEqual([54, 55]);

    const plan = await cleanup(reg, { algorithm: 'mscn', keep: 1, dataset: 'production', dryRun: true });
    expect(plan).toMatchObject({ kept: [s.a], removed: [s.b], aggregate: 'best' });
    expect((await cleanup(reg, { algorithm: 'mscn', keep: 1, dataset: 'production', dryRun: true, aggregate: 'latest' })).kept).toEqual([s.b]);

    const c = await compare(reg, { ids: [s.a, s.b], dataset: 'production' });
    expect(c.aggregate).toBe('best');
    expect(c.rows.map((r) => r.results.production?.total_time)).toEqual([50, 54]);

    reg = await withAggregate(s.r, 'mean');
    expect((await best(reg, { algorithm: 'mscn', dataset: 'production' })).answer).toMatchObject({ model_id: s.b, aggregate: 'mean' });
    expect((await best(reg, { algorithm: 'mscn', dataset: 'production', aggregate: 'best' })).answer).toMatchObject({ model_id: s.a, value: 50 });
  });

  it('through the binary: --json answers carry aggregate, text says which', async () => {
    await withAggregate(s.r, 'best');
    const b = await s.r.run('best', '--algo', 'mscn', '--dataset', 'production', '--json');
    expect(b.json()).toMatchObject({ model_id: s.a, aggregate: 'best', value: 50 });
    const l = await s.r.run('list', '--sort', 'total_time', '--on', 'production', '--json');
    expect(l.json().map((m: { model_id: string; score: unknown }) => [m.model_id, m.score])).toEqual([
      [s.a, { metric: 'total_time', dataset: 'production', direction: 'min', aggregate: 'best', value: 50, count: 2 }],
      [s.b, { metric: 'total_time', dataset: 'production', direction: 'min', aggregate: 'best', value: 54, count: 1 }],
    ]);
    const c = await s.r.run('cleanup', '--algo', 'mscn', '--keep', '1', '--dataset', 'production', '--dry-run');
    expect(c.stdout).toMatch(/by total_time on production \(min, best\)/);
    const cmp = await s.r.run('compare', s.a, s.b, '--dataset', 'production', '--json');
    expect(cmp.json()).toMatchObject({ aggregate: 'best', metric_columns: [{ metric: 'total_time', aggregate: 'best' }] });
    const table = await s.r.run('compare', s.a, s.b, '--dataset', 'production');
    expect(table.stdout).toMatch(/each value: a model's best result on the dataset/);
  });

  it('a value outside latest|best|mean is refused where the config is read, naming the field', async () => {
    const res = await s.r.run('--cwd', s.r.dir, 'best', '--algo', 'mscn', '--dataset', 'production', '--aggregate', 'median');
    expect(res.code).toBe(2);
    s.r.write('modelgit.yaml', s.r.read('modelgit.yaml').replace(/aggregate: best/, 'aggregate: median'));
    const bad = await s.r.run('best', '--algo', 'mscn', '--dataset', 'production');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/modelgit\.yaml:\d+:\d+: \/metrics\/total_time\/aggregate/);
    s.r.git('checkout', '--', 'modelgit.yaml');
  });
});

describe('list --results', () => {
  let s: Setup;
  beforeAll(async () => {
    s = await setup();
  });

  it("shows each model's score per dataset: a column per dataset, the aggregate named under the table", async () => {
    const reg = await s.r.open();
    const ans = await list(reg, { algorithm: 'mscn', results: true });
    expect(ans.results).toEqual({ metric: 'total_time', aggregate: 'latest', direction: 'min', datasets: ['job', 'production'] });
    const res = await s.r.run('list', '--algo', 'mscn', '--results');
    expect(res.code).toBe(0);
    // Through a pipe: plain columns, numbers right-aligned (an empty cell is blank space).
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^id +algorithm +trained \(UTC\) +job +production$/);
    expect(lines.find((l) => l.startsWith(`${s.a} `))).toMatch(/ +7 +60$/);
    expect(lines.find((l) => l.startsWith(`${s.b} `))).toMatch(/:\d\d {6,}54$/);
    // At a terminal: the box, one cell per column.
    const boxed = await runCliWithEnv(s.r.dir, { MODELGIT_FORCE_TTY: '200', NO_COLOR: '1' }, 'list', '--algo', 'mscn', '--results');
    const cells = boxed.stdout.split('\n').filter((l) => l.includes('│')).map((l) => l.split('│').slice(1, -1).map((c) => c.trim()));
    const [head, ...rows] = cells;
    expect(head).toEqual(['id', 'algorithm', 'trained (UTC)', 'job', 'production']);
    expect(rows.find((r) => r[0] === s.a)!.slice(3)).toEqual(['7', '60']);
    expect(rows.find((r) => r[0] === s.b)!.slice(3)).toEqual(['', '54']);
    expect(res.stderr).toMatch(/total_time per dataset, latest result of each model \(lower is better\)/);
    // --aggregate and --on
    const mean = await list(reg, { algorithm: 'mscn', results: true, aggregate: 'mean', on: 'production' });
    expect(mean.results).toMatchObject({ aggregate: 'mean', datasets: ['production'] });
    // with a sort, --on is the dataset it ranks on; every dataset stays in view
    const sorted = await list(reg, { algorithm: 'mscn', results: true, sort: 'total_time', on: 'production' });
    expect(sorted.results!.datasets).toEqual(['job', 'production']);
    expect(sorted.entries.map((e) => e.model.metadata.model_id)).toEqual([s.b, s.a]);
  });

  it('--json stays an array of metadata objects, each with its "scores"', async () => {
    const res = await s.r.run('list', '--algo', 'mscn', '--results', '--aggregate', 'best', '--json');
    const byId = new Map<string, { testing: unknown[]; scores: unknown }>(res.json().map((m: { model_id: string }) => [m.model_id, m]));
    expect(byId.get(s.a)!.testing).toHaveLength(3);
    expect(byId.get(s.a)!.scores).toEqual({ metric: 'total_time', aggregate: 'best', direction: 'min', datasets: { job: { value: 7, count: 1 }, production: { value: 50, count: 2 } } });
    expect(byId.get(s.b)!.scores).toMatchObject({ datasets: { production: { value: 54, count: 1 } } });
    // a plain listing is the metadata as it is
    const plain = await s.r.run('list', '--algo', 'mscn', '--json');
    expect(plain.json()[0]).not.toHaveProperty('scores');
    expect(plain.json()[0]).not.toHaveProperty('score');
  });

  it('refuses --metric or --aggregate where nothing uses them', async () => {
    const reg = await s.r.open();
    await expect(list(reg, { metric: 'total_time' })).rejects.toThrow(/--metric .* use it with --results/);
    await expect(list(reg, { aggregate: 'best' })).rejects.toThrow(/--aggregate .* use it with --sort METRIC or --results/);
  });
});
