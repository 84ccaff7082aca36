// The built binary as a user's script sees it: --json shapes (DESIGN §5b), --field, csv.
import { beforeAll, describe, expect, it } from 'vitest';
import { recordTest } from '../../src/registry/record-test.js';
import { register } from '../../src/registry/register.js';
import { steppingClock, tempRegistry, type TempRegistry } from '../helpers.js';

let r: TempRegistry;
let a: string;
let b: string;
let testB: string;

beforeAll(async () => {
  r = await tempRegistry();
  const reg = await r.open(steppingClock('2024-10-19T10:30:00Z'));
  a = (await register(reg, { algorithm: 'mscn', dataset: 'production', params: { lr: 0.001 }, trainingTime: 10, modelPath: 'artifacts/a', tags: ['x'] })).model_id;
  b = (await register(reg, { algorithm: 'mscn', dataset: 'production', params: { lr: 0.01 }, trainingTime: 20, modelPath: 's3://bucket/b, "quoted"', notes: 'n' })).model_id;
  await recordTest(reg, { id: a, dataset: 'production', metrics: ['total_time=50', 'accuracy=0.5'] });
  testB = (await recordTest(reg, { id: b, dataset: 'production', metrics: ['total_time=40'] })).commit;
});

describe('list --json', () => {
  it('is an array of the metadata objects as committed', async () => {
    const res = await r.run('list', '--json');
    expect(res.code).toBe(0);
    const out = res.json();
    expect(Array.isArray(out)).toBe(true);
    expect(out).toEqual([JSON.parse(r.read(`models/mscn/${b}.json`)), JSON.parse(r.read(`models/mscn/${a}.json`))]);
  });
  it('follows --sort and --limit; an empty match is []', async () => {
    const res = await r.run('list', '--sort', 'accuracy', '--limit', '1', '--json');
    expect(res.json().map((m: any) => m.model_id)).toEqual([a]);
    const none = await r.run('list', '--tag', 'nothing', '--json');
    expect(none.code).toBe(0);
    expect(none.json()).toEqual([]);
  });
});

describe('best --json', () => {
  it('has the documented fields', async () => {
    const res = await r.run('best', '--algo', 'mscn', '--json');
    expect(res.code).toBe(0);
    const out = res.json();
    for (const k of ['model_id', 'algorithm', 'dataset', 'metric', 'direction', 'value', 'model_path', 'candidates', 'commit']) expect(out).toHaveProperty(k);
    expect(out).toMatchObject({
      model_id: b, algorithm: 'mscn', dataset: 'production', metric: 'total_time', direction: 'min', value: 40,
      model_path: 's3://bucket/b, "quoted"', candidates: 2, commit: testB, runner_up: { model_id: a, value: 50 },
    });
    expect(out).not.toHaveProperty('tag'); // only with --record
  });
  it('--field prints the bare value for scripts', async () => {
    expect((await r.run('best', '--algo', 'mscn', '--field', 'model_path')).stdout).toBe('s3://bucket/b, "quoted"\n');
    expect((await r.run('best', '--algo', 'mscn', '--field', 'training.hyperparams.lr')).stdout).toBe('0.01\n');
    expect((await r.run('best', '--algo', 'mscn', '--field', 'commit')).stdout).toBe(`${testB}\n`);
  });
  it('a failure with --json also writes a JSON error on stderr', async () => {
    const res = await r.run('best', '--algo', 'lero', '--json');
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(JSON.parse(res.stderr.trim().split('\n').pop()!)).toMatchObject({ error: { code: 'NOT_FOUND', message: 'no lero model in the registry' } });
  });
});

describe('compare --json and csv', () => {
  it('--json has metric_columns and rows with model_id, training, results', async () => {
    const res = await r.run('compare', a, b, '--json');
    expect(res.code).toBe(0);
    const out = res.json();
    expect(out.metric_columns).toEqual([
      { dataset: 'production', metric: 'accuracy', direction: 'max', aggregate: 'latest', best_value: 0.5, best_model_ids: [a] },
      { dataset: 'production', metric: 'total_time', direction: 'min', aggregate: 'latest', best_value: 40, best_model_ids: [b] },
    ]);
    expect(out.rows).toHaveLength(2);
    expect(out.rows[0]).toMatchObject({ model_id: a, results: { production: { total_time: 50, accuracy: 0.5 } }, best: { production: ['accuracy'] }, deltas: {} });
    expect(out.rows[0].training).toEqual(JSON.parse(r.read(`models/mscn/${a}.json`)).training);
    expect(out.rows[1]).toMatchObject({ model_id: b, results: { production: { total_time: 40 } }, deltas: { production: { total_time: { absolute: -10, percent: -20 } } } });
    expect((await r.run('compare', a, b, '--format', 'json')).json()).toEqual(out);
  });
  it('csv has one header row and one row per model, numbers unmarked', async () => {
    const res = await r.run('compare', a, b, '--format', 'csv', '--metric', 'total_time');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(
      [
        'model_id,algorithm,training_dataset,training_time,hyperparams.lr,production/total_time,production/total_time best,production/total_time delta,production/total_time delta %',
        `${a},mscn,production,10,0.001,50,,,`,
        `${b},mscn,production,20,0.01,40,*,-10,-20`,
        '',
      ].join('\n'),
    );
  });
});
