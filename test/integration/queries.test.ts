import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError, UsageError } from '../../src/errors.js';
import { best } from '../../src/registry/best.js';
import { recordBest } from '../../src/registry/record-best.js';
import { compare } from '../../src/registry/compare.js';
import { list } from '../../src/registry/list.js';
import { recordTest } from '../../src/registry/record-test.js';
import { register } from '../../src/registry/register.js';
import type { Registry } from '../../src/registry/registry.js';
import { repoState, steppingClock, tempRegistry, type TempRegistry } from '../helpers.js';

/**
 * mscn a (production, tested 45.23), b (production, tested 41.7 then on job), c (stats, untested
 * until a test adds it), lero l (untested). Commits of the test results are kept.
 */
async function seeded() {
  const r = await tempRegistry();
  const reg = await r.open(steppingClock('2024-10-19T10:30:00Z'));
  const a = (await register(reg, { algorithm: 'mscn', dataset: 'production', params: { num_epoch: 100, learning_rate: 0.001 }, trainingTime: 1800.5, modelPath: 'artifacts/mscn/a', tags: ['experiment'] })).model_id;
  const b = (await register(reg, { algorithm: 'mscn', dataset: 'production', params: { num_epoch: 200, learning_rate: 0.001 }, trainingTime: 3600, modelPath: 'artifacts/mscn/b', tags: ['experiment', 'keep'] })).model_id;
  const c = (await register(reg, { algorithm: 'mscn', dataset: 'stats', params: { num_epoch: 100 }, trainingTime: 900 })).model_id;
  const l = (await register(reg, { algorithm: 'lero', dataset: 'production' })).model_id;
  const ta = (await recordTest(reg, { id: a, dataset: 'production', metrics: ['total_time=45.23', 'accuracy=0.91'] })).commit;
  const tb = (await recordTest(reg, { id: b, dataset: 'production', metrics: ['total_time=41.7', 'accuracy=0.93'] })).commit;
  const tbJob = (await recordTest(reg, { id: b, dataset: 'job', metrics: ['total_time=120.5', 'weird=3'] })).commit;
  return { r, reg, a, b, c, l, commits: { ta, tb, tbJob } };
}

type Seeded = Awaited<ReturnType<typeof seeded>>;

const ids = (entries: { model: { metadata: { model_id: string } } }[]) => entries.map((e) => e.model.metadata.model_id);

/** Runs the CLI and asserts the exit code and that nothing in the repository changed. */
async function refused(r: TempRegistry, code: number, message: RegExp, ...args: string[]) {
  const before = repoState(r.dir);
  const res = await r.run(...args);
  expect(res.stderr).toMatch(message);
  expect(res.code).toBe(code);
  expect(res.stdout).toBe('');
  expect(repoState(r.dir)).toBe(before);
}

describe('list', () => {
  let s: Seeded;
  beforeAll(async () => {
    s = await seeded();
  });

  it('lists every model newest first', async () => {
    const ans = await list(s.reg);
    expect(ids(ans.entries)).toEqual([s.l, s.c, s.b, s.a]);
    expect(ans.total).toBe(4);
    expect(ans.sort).toEqual({ by: 'date' });
  });

  it('filters by algorithm, training dataset and all given tags', async () => {
    expect(ids((await list(s.reg, { algorithm: 'lero' })).entries)).toEqual([s.l]);
    expect(ids((await list(s.reg, { dataset: 'production' })).entries)).toEqual([s.l, s.b, s.a]);
    expect(ids((await list(s.reg, { tags: ['experiment'] })).entries)).toEqual([s.b, s.a]);
    expect(ids((await list(s.reg, { tags: ['experiment', 'keep'] })).entries)).toEqual([s.b]);
    expect((await list(s.reg, { algorithm: 'xgboost' })).entries).toEqual([]);
  });

  it('sorts best first on a metric, untested last, with the dataset from --on or --dataset', async () => {
    const on = await list(s.reg, { algorithm: 'mscn', sort: 'total_time', on: 'production' });
    expect(ids(on.entries)).toEqual([s.b, s.a, s.c]);
    expect(on.entries.map((e) => e.score?.value)).toEqual([41.7, 45.23, undefined]);
    expect(on.sort).toEqual({ by: 'metric', metric: 'total_time', dataset: 'production', direction: 'min', aggregate: 'latest' });
    // --dataset is the training filter and the default sort dataset
    expect(ids((await list(s.reg, { dataset: 'production', sort: 'accuracy' })).entries)).toEqual([s.b, s.a, s.l]);
    // accuracy was recorded on production only: that dataset is taken without asking
    expect(ids((await list(s.reg, { sort: 'accuracy' })).entries)).toEqual([s.b, s.a, s.l, s.c]);
  });

  it('refuses an ambiguous sort dataset, listing the datasets', async () => {
    await expect(list(s.reg, { algorithm: 'mscn', sort: 'total_time' })).rejects.toThrow(UsageError);
    await expect(list(s.reg, { algorithm: 'mscn', sort: 'total_time' })).rejects.toThrow(/\(job, production\).*--on/);
  });

  it('asks for --direction when the metric direction is unknown, and uses it when given', async () => {
    await expect(list(s.reg, { sort: 'weird' })).rejects.toThrow(/--direction/);
    const ans = await list(s.reg, { sort: 'weird', direction: 'max' });
    expect(ids(ans.entries)[0]).toBe(s.b);
  });

  it('says so when nobody has the sort metric, and sorts by date', async () => {
    const ans = await list(s.reg, { sort: 'p95_time' });
    expect(ids(ans.entries)).toEqual([s.l, s.c, s.b, s.a]);
    expect(ans.notes).toEqual(['no listed model has a p95_time result; sorted by date']);
  });

  it('limits after sorting and keeps the total', async () => {
    const ans = await list(s.reg, { algorithm: 'mscn', sort: 'total_time', on: 'production', limit: 2 });
    expect(ids(ans.entries)).toEqual([s.b, s.a]);
    expect(ans.total).toBe(3);
  });

  it.each([
    [['--algo', '../x'], /algorithm/],
    [['--dataset', 'a b'], /dataset/],
    [['--tag', 'ok', '--tag', '--upload-pack=x'], /tag/],
    [['--sort=../total_time'], /--sort: metric/],
    [['--sort', 'total_time', '--on', '../etc'], /--on: dataset/],
    [['--on', 'production'], /--on .*--sort METRIC/],
    [['--sort', 'total_time', '--direction', 'up'], /--direction/],
    [['--limit', 'ten'], /--limit/],
    [['--limit', '0'], /--limit must be/],
    [['--algo', 'mscn', '--sort', 'total_time'], /several datasets \(job, production\)/],
    [['--sort', 'weird'], /--direction min/],
  ])('list %j is a usage error (exit 2) and changes nothing', async (args, message) => {
    await refused(s.r, 2, message, 'list', ...args);
  });

  it('prints a table with the sort metric, and a summary on stderr', async () => {
    const res = await s.r.run('list', '--algo', 'mscn', '--sort', 'total_time', '--on', 'production');
    expect(res.code).toBe(0);
    const lines = res.stdout.split('\n');
    expect(lines[0]).toMatch(/^id +algorithm +trained \(UTC\) +training dataset +tags +total_time \(production\)$/);
    const order = [s.b, s.a, s.c].map((id) => res.stdout.indexOf(id));
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect(res.stdout).toMatch(new RegExp(`${s.b} .*experiment, keep +41\\.7\n`));
    expect(res.stderr).toMatch(/3 models, best total_time on production first \(lower is better\), untested last/);
  });
});

describe('best', () => {
  let s: Seeded;
  beforeAll(async () => {
    s = await seeded();
  });

  it('answers with the default metric, the commit that recorded the winning result, and the runner-up', async () => {
    const { answer, metadata } = await best(s.reg, { algorithm: 'mscn', dataset: 'production' });
    expect(answer).toMatchObject({
      model_id: s.b, algorithm: 'mscn', dataset: 'production', metric: 'total_time', direction: 'min', aggregate: 'latest',
      value: 41.7, model_path: 'artifacts/mscn/b', candidates: 2, runner_up: { model_id: s.a, value: 45.23 },
    });
    // b was tested again (on job) afterwards: the commit is still the one that recorded 41.7
    expect(answer.commit).toBe(s.commits.tb);
    expect(answer.revision).toBe(s.r.git('rev-parse', 'HEAD').trim());
    expect(answer).not.toHaveProperty('tag');
    expect(metadata.model_id).toBe(s.b);
  });

  it('takes the only dataset that has the metric', async () => {
    const { answer } = await best(s.reg, { algorithm: 'mscn', metric: 'accuracy' });
    expect(answer).toMatchObject({ model_id: s.b, dataset: 'production', direction: 'max', value: 0.93 });
  });

  it('refuses to guess between several datasets, listing them', async () => {
    const e = await best(s.reg, { algorithm: 'mscn' }).catch((x) => x);
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toMatch(/several datasets \(job, production\); say which with --dataset/);
  });

  it('not found when no model has a result there', async () => {
    const e = await best(s.reg, { algorithm: 'lero', dataset: 'production' }).catch((x) => x);
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.message).toBe('no lero model has a total_time result on production');
    await expect(best(s.reg, { algorithm: 'mscn', dataset: 'stats' })).rejects.toThrow('no mscn model has a total_time result on stats');
    await expect(best(s.reg, { algorithm: 'lero' })).rejects.toThrow('no lero model has a total_time result on any dataset');
    await expect(best(s.reg, { algorithm: 'xgboost' })).rejects.toThrow('no xgboost model in the registry');
  });

  it('asks for --direction for a metric it cannot place, and honours it', async () => {
    await expect(best(s.reg, { algorithm: 'mscn', metric: 'weird', dataset: 'job' })).rejects.toThrow(/--direction/);
    const { answer } = await best(s.reg, { algorithm: 'mscn', metric: 'weird', dataset: 'job', direction: 'max' });
    expect(answer).toMatchObject({ model_id: s.b, value: 3, direction: 'max', candidates: 1, runner_up: null });
  });

  it('answers from an older revision with --at', async () => {
    const { answer } = await best(s.reg, { algorithm: 'mscn', dataset: 'production', at: s.commits.ta });
    expect(answer).toMatchObject({ model_id: s.a, value: 45.23, candidates: 1, commit: s.commits.ta, revision: s.commits.ta });
    s.r.git('tag', 'before-b', `${s.commits.tb}~1`);
    expect((await best(s.reg, { algorithm: 'mscn', dataset: 'production', at: 'before-b' })).answer.model_id).toBe(s.a);
    s.r.git('tag', '-d', 'before-b');
  });

  it('refuses an unknown revision and one that looks like an option, without passing it to git', async () => {
    await expect(best(s.reg, { algorithm: 'mscn', dataset: 'production', at: 'no-such-rev' })).rejects.toThrow(/unknown revision "no-such-rev"/);
    await refused(s.r, 1, /unknown revision "nope"/, 'best', '--algo', 'mscn', '--dataset', 'production', '--at', 'nope');
    await refused(s.r, 1, /unknown revision "--output=x"/, 'best', '--algo', 'mscn', '--dataset', 'production', '--at=--output=x');
    expect(existsSync(join(s.r.dir, 'x'))).toBe(false);
  });

  it.each([
    [['--algo', '../mscn'], /algorithm/],
    [['--algo', 'mscn', '--dataset', '../production'], /--dataset: dataset/],
    [['--algo', 'mscn', '--metric', 'bad metric'], /--metric: metric/],
    [['--algo', 'mscn', '--dataset', 'production', '--direction', 'down'], /--direction/],
    [['--algo', 'mscn', '--dataset', 'production', '--aggregate', 'median'], /--aggregate/],
    [['--algo', 'mscn', '--dataset', 'job', '--metric', 'weird'], /--direction min/],
    [['--algo', 'mscn'], /several datasets \(job, production\)/],
    [['--algo', 'mscn', '--dataset', 'production', '--record', '--at', 'HEAD'], /--record .* --at/],
    [['--algo', 'mscn', '--dataset', 'production', '--json', '--field', 'value'], /--json or --field/],
    [['--algo', 'mscn', '--dataset', 'production', '--field', 'a..b'], /--field/],
    [['--dataset', 'production'], /--algo/],
  ])('best %j is a usage error (exit 2) and changes nothing', async (args, message) => {
    await refused(s.r, 2, message, 'best', ...args);
  });

  it('exits 1 with the not-found sentence when there is no candidate', async () => {
    await refused(s.r, 1, /no lero model has a total_time result on production/, 'best', '--algo', 'lero', '--dataset', 'production');
    await refused(s.r, 1, /no mscn model has a accuracy result on job/, 'best', '--algo', 'mscn', '--dataset', 'job', '--metric', 'accuracy');
  });

  it('prints one value with --field, from the answer first, then the metadata; a missing one exits 1', async () => {
    const field = async (f: string) => (await s.r.run('best', '--algo', 'mscn', '--dataset', 'production', '--field', f));
    expect((await field('model_path')).stdout).toBe('artifacts/mscn/b\n');
    expect((await field('value')).stdout).toBe('41.7\n');
    expect((await field('runner_up.model_id')).stdout).toBe(`${s.a}\n`);
    expect((await field('training.hyperparams.num_epoch')).stdout).toBe('200\n');
    expect((await field('tags')).stdout).toBe('["experiment","keep"]\n');
    const missing = await field('training.hyperparams.dropout');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/no field "training\.hyperparams\.dropout"/);
  });
});

describe('best --aggregate', () => {
  it('latest, best and mean score the same results differently; commit follows the scoring result', async () => {
    const r = await tempRegistry();
    const reg = await r.open(steppingClock());
    const a = (await register(reg, { algorithm: 'mscn' })).model_id;
    const b = (await register(reg, { algorithm: 'mscn' })).model_id;
    await recordTest(reg, { id: b, dataset: 'p', metrics: ['total_time=45'] });
    const a40 = (await recordTest(reg, { id: a, dataset: 'p', metrics: ['total_time=40'] })).commit;
    const a60 = (await recordTest(reg, { id: a, dataset: 'p', metrics: ['total_time=60'] })).commit;
    const latest = (await best(reg, { algorithm: 'mscn', dataset: 'p' })).answer;
    expect(latest).toMatchObject({ model_id: b, value: 45, runner_up: { model_id: a, value: 60 } });
    const bestOf = (await best(reg, { algorithm: 'mscn', dataset: 'p', aggregate: 'best' })).answer;
    expect(bestOf).toMatchObject({ model_id: a, value: 40, aggregate: 'best', commit: a40 });
    const mean = (await best(reg, { algorithm: 'mscn', dataset: 'p', aggregate: 'mean', direction: 'max' })).answer;
    expect(mean).toMatchObject({ model_id: a, value: 50, commit: a60 });
  });
});

describe('best --record', () => {
  const tagsOf = (r: TempRegistry) => r.git('for-each-ref', '--format=%(refname:short) %(objecttype) %(*objectname)', 'refs/tags/best/').trim().split('\n').filter(Boolean);

  it('writes one annotated tag per change of the best, at the commit that recorded the winning result', async () => {
    const s = await seeded();
    const family = 'best/mscn/production/total_time';
    const first = (await recordBest(s.reg, { algorithm: 'mscn', dataset: 'production' })).answer;
    expect(first).toMatchObject({ model_id: s.b, tag: `${family}/1`, current_tag: `${family}/1`, commit: s.commits.tb });
    expect(tagsOf(s.r)).toEqual([`${family}/1 tag ${s.commits.tb}`]);
    const msg = s.r.git('tag', '-l', '--format=%(contents)', `${family}/1`);
    expect(msg.split('\n')[0]).toBe(`best mscn on production by total_time: ${s.b} (41.7)`);
    expect(msg).toContain(`\n\nModel-Id: ${s.b}\n`);
    for (const t of ['Metric: total_time', 'Dataset: production', 'Direction: min', 'Value: 41.7', `Runner-Up-Model-Id: ${s.a}`, 'Runner-Up-Value: 45.23', 'Candidates: 2']) {
      expect(msg).toContain(`\n${t}\n`);
    }

    // unchanged: no tag, and the same answer again
    const before = repoState(s.r.dir);
    const again = (await recordBest(s.reg, { algorithm: 'mscn', dataset: 'production' })).answer;
    expect(again).toMatchObject({ tag: null, current_tag: `${family}/1` });
    expect(repoState(s.r.dir)).toBe(before);

    // another result elsewhere doesn't change the best on production
    await recordTest(s.reg, { id: s.c, dataset: 'job', metrics: ['total_time=1'] });
    expect((await recordBest(s.reg, { algorithm: 'mscn', dataset: 'production' })).answer.tag).toBeNull();

    // a better result: tag /2 at the commit that recorded it; /1 is never moved
    const better = (await recordTest(s.reg, { id: s.c, dataset: 'production', metrics: ['total_time=30'] })).commit;
    await recordTest(s.reg, { id: s.a, dataset: 'job', metrics: ['total_time=99'] }); // HEAD moves on
    const second = (await recordBest(s.reg, { algorithm: 'mscn', dataset: 'production' })).answer;
    expect(second).toMatchObject({ model_id: s.c, value: 30, tag: `${family}/2`, commit: better, candidates: 3 });
    expect(tagsOf(s.r)).toEqual([`${family}/1 tag ${s.commits.tb}`, `${family}/2 tag ${better}`]);
    expect(s.r.git('tag', '-l', '--format=%(contents)', `${family}/2`)).toContain(`Previous-Model-Id: ${s.b}`);
  });

  it('the same model with a new value is a change; numbering continues from the highest tag', async () => {
    const s = await seeded();
    const family = 'best/mscn/production/total_time';
    // a tag numbered by hand (or by another machine) sets the numbering
    s.r.git('tag', '-a', '-m', `best\n\nModel-Id: ${s.b}\nValue: 41.7`, `${family}/7`, s.commits.tb);
    expect((await recordBest(s.reg, { algorithm: 'mscn', dataset: 'production' })).answer.tag).toBeNull();
    const newer = (await recordTest(s.reg, { id: s.b, dataset: 'production', metrics: ['total_time=41'] })).commit;
    const ans = (await recordBest(s.reg, { algorithm: 'mscn', dataset: 'production' })).answer;
    expect(ans).toMatchObject({ model_id: s.b, value: 41, tag: `${family}/8`, commit: newer });
  });

  it('via the CLI: --json carries tag, stderr says whether it was written', async () => {
    const s = await seeded();
    const one = await s.r.run('best', '--algo', 'mscn', '--dataset', 'production', '--record', '--json');
    expect(one.code).toBe(0);
    expect(one.json()).toMatchObject({ model_id: s.b, tag: 'best/mscn/production/total_time/1', commit: s.commits.tb });
    expect(one.stderr).toMatch(/recorded best\/mscn\/production\/total_time\/1/);
    const two = await s.r.run('best', '--algo', 'mscn', '--dataset', 'production', '--record', '--json');
    expect(two.code).toBe(0);
    expect(two.json().tag).toBeNull();
    expect(two.stderr).toMatch(/best unchanged since best\/mscn\/production\/total_time\/1 .*no tag written/);
    expect(tagsOf(s.r)).toHaveLength(1);
  });
});

describe('compare', () => {
  let s: Seeded;
  let reg: Registry;
  beforeAll(async () => {
    s = await seeded();
    reg = s.reg;
  });

  it('puts the models side by side on their latest results', async () => {
    const c = await compare(reg, { ids: [s.a, s.b, s.c] });
    expect(c.columns.map((x) => `${x.dataset}/${x.metric}`)).toEqual(['job/total_time', 'job/weird', 'production/accuracy', 'production/total_time']);
    expect(c.rows.map((r) => r.model_id)).toEqual([s.a, s.b, s.c]);
    expect(c.rows[1]!.results).toEqual({ job: { total_time: 120.5, weird: 3 }, production: { accuracy: 0.93, total_time: 41.7 } });
    expect(c.rows[2]!.results).toEqual({});
    expect(c.rows[1]!.training).toMatchObject({ dataset: 'production', training_time: 3600 });
    expect(c.columns[3]).toMatchObject({ best_model_ids: [s.b], best_value: 41.7 });
    expect(c.rows[1]!.cells[3]!.delta).toEqual({ absolute: -3.53, percent: -7.80455449923 });
  });

  it('keeps to --dataset and --metric', async () => {
    const c = await compare(reg, { ids: [s.b, s.a], dataset: 'production', metrics: ['total_time'] });
    expect(c.columns.map((x) => `${x.dataset}/${x.metric}`)).toEqual(['production/total_time']);
    expect(c.rows[1]!.cells[0]!.delta).toEqual({ absolute: 3.53, percent: 8.46522781775 });
  });

  it('names every unknown id', async () => {
    const e = await compare(reg, { ids: [s.a, 'ghost', 'phantom'] }).catch((x) => x);
    expect(e).toBeInstanceOf(NotFoundError);
    expect(e.message).toBe('no model "ghost", "phantom" in the registry');
  });

  it.each([
    [[], /missing required argument 'ids'/],
    [['../etc'], /model id/],
    [['--format', 'xml', 'ID'], /--format.*table, md, csv, json/],
    [['--json', '--format', 'md', 'ID'], /--json and --format md disagree/],
    [['--dataset', 'a/b', 'ID'], /--dataset: dataset/],
    [['--metric', '-x', 'ID'], /--metric: metric "-x" is not a safe name/],
  ])('compare %j is a usage error (exit 2) and changes nothing', async (args, message) => {
    await refused(s.r, 2, message, 'compare', ...args.map((x) => (x === 'ID' ? s.a : x)));
  });

  it('an unknown id exits 1 naming it', async () => {
    await refused(s.r, 1, /no model "ghost" in the registry/, 'compare', s.a, 'ghost');
  });

  it('marks the best in bold in markdown and with * in the table, with deltas and footnotes', async () => {
    const md = await s.r.run('compare', s.a, s.b, '--dataset', 'production', '--format', 'md');
    expect(md.code).toBe(0);
    expect(md.stdout).toMatch(/^\| model \| trained on \| training_time \| num_epoch \| accuracy on production \| total_time on production \|\n\| --- \| --- \| ---: \|/);
    expect(md.stdout).toContain(`| ${s.b} | production | 3600 | 200 | **0.93** (+0.02, +2.2%) | **41.7** (-3.53, -7.8%) |`);
    expect(md.stdout).toContain('- same for all: learning_rate=0.001');
    // Through a pipe this table is wider than a log shows (PIPE_WIDTH), so it is drawn a column per model.
    const table = await s.r.run('compare', s.a, s.b, '--dataset', 'production');
    expect(table.stdout).toMatch(/ total_time[ │]+45\.23[ │]+41\.7 \* \(-3\.53, -7\.8%, better\)/);
    expect(table.stdout).toContain('* best in row (higher is better: accuracy; lower is better: total_time)');
    const wide = await s.r.run('compare', s.a, s.b, '--dataset', 'production', '--layout', 'wide');
    expect(wide.stdout).toMatch(/41\.7 \* \(-3\.53, -7\.8%, better\)\s*│?\n/);
    expect(wide.stdout).toContain('* best in column (higher is better: accuracy; lower is better: total_time)');
  });

  it('footnotes a column it cannot mark', async () => {
    const res = await s.r.run('compare', s.a, s.b, '--dataset', 'job');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/no best marked for weird/);
    expect(res.stdout).not.toMatch(/3 \*/);
  });
});

describe('robustness', () => {
  it('two concurrent best --record runs write one tag', async () => {
    const s = await seeded();
    const runs = await Promise.all([1, 2, 3].map(() => s.r.run('best', '--algo', 'mscn', '--dataset', 'production', '--record', '--json')));
    expect(runs.map((x) => x.code)).toEqual([0, 0, 0]);
    expect(runs.map((x) => x.json().tag).filter(Boolean)).toEqual(['best/mscn/production/total_time/1']);
    expect(s.r.git('tag', '-l', 'best/*').trim().split('\n')).toEqual(['best/mscn/production/total_time/1']);
  });

  it('an unreadable model file fails the query (it could be the answer); --skip-invalid answers and names it', async () => {
    const s = await seeded();
    s.r.write('models/mscn/broken.json', '{ not json');
    s.r.git('add', 'models/mscn/broken.json');
    s.r.git('commit', '-qm', 'bypass the hook', '--no-verify');
    const refused = await s.r.run('list', '--algo', 'mscn', '--json');
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(JSON.parse(refused.stderr).error).toMatchObject({
      code: 'INVALID',
      data: { errors: [expect.objectContaining({ file: 'models/mscn/broken.json', line: 1, column: 3, rule: 'json-syntax', message: expect.stringMatching(/^not valid JSON/) })] },
    });
    const human = await s.r.run('list', '--algo', 'mscn');
    expect([human.code, human.stdout]).toEqual([1, '']);
    expect(human.stderr).toMatch(/models\/mscn\/broken\.json:1:3: \/: not valid JSON/);
    const res = await s.r.run('list', '--algo', 'mscn', '--json', '--skip-invalid');
    expect(res.code).toBe(0);
    expect(res.json()).toHaveLength(3);
    expect(res.stderr).toMatch(/warning: skipped models\/mscn\/broken\.json:1:3: not valid JSON/);
    const b = await s.r.run('best', '--algo', 'mscn', '--dataset', 'production', '--field', 'model_id', '--skip-invalid');
    expect(b.stdout).toBe(`${s.b}\n`);
  });
});
