import { describe, expect, it } from 'vitest';
import { buildComparison, deltaOf, filterComparison, globRegExp, tidy, verdictOf } from '../../../src/domain/comparison.js';
import { DEFAULT_CONFIG } from '../../../src/domain/config.js';
import { model, result } from './fixtures.js';

const a = model('a', {
  training: { dataset: 'production', training_time: 100, hyperparams: { num_epoch: 100, lr: 0.001 } },
  testing: [result('production', { total_time: 50, accuracy: 0.9 }), result('production', { total_time: 40 }), result('job', { total_time: 0 })],
});
const b = model('b', {
  training: { dataset: 'production', training_time: 200, hyperparams: { num_epoch: 200, lr: 0.001 } },
  testing: [result('production', { total_time: 30, accuracy: 0.95, weird: 2 }), result('job', { total_time: 5 })],
});
const c = model('c', { training: null, testing: [result('production', { total_time: 30, accuracy: 0.8 })] });
const config = DEFAULT_CONFIG;

describe('buildComparison', () => {
  const cmp = buildComparison([a, b, c], { config });
  const col = (dataset: string, metric: string) => cmp.columns.findIndex((x) => x.dataset === dataset && x.metric === metric);

  it('has one column per recorded (dataset, metric), datasets then metrics sorted', () => {
    expect(cmp.columns.map((x) => `${x.dataset}/${x.metric}`)).toEqual(['job/total_time', 'production/accuracy', 'production/total_time', 'production/weird']);
  });
  it('uses the latest result per dataset', () => {
    expect(cmp.rows[0]!.results).toEqual({ job: { total_time: 0 }, production: { accuracy: 0.9, total_time: 40 } });
    expect(cmp.rows[2]!.results).toEqual({ production: { total_time: 30, accuracy: 0.8 } });
  });
  it('marks every model holding the best value, in the metric direction', () => {
    const tt = cmp.columns[col('production', 'total_time')]!;
    expect(tt).toMatchObject({ direction: 'min', best_value: 30, best_model_ids: ['b', 'c'] });
    expect(cmp.rows.map((r) => r.cells[col('production', 'total_time')]!.best)).toEqual([false, true, true]);
    expect(cmp.columns[col('production', 'accuracy')]).toMatchObject({ direction: 'max', best_value: 0.95, best_model_ids: ['b'] });
  });
  it('marks nothing where the direction is unknown, and says so', () => {
    const w = cmp.columns[col('production', 'weird')]!;
    expect(w.direction).toBeUndefined();
    expect(w.best_model_ids).toEqual([]);
    expect(cmp.rows[1]!.cells[col('production', 'weird')]).toEqual({ value: 2, best: false });
    expect(cmp.notes.join('\n')).toMatch(/no best marked for weird/);
  });
  it('gives deltas against the first model, absolute and percent', () => {
    expect(cmp.rows[0]!.cells[col('production', 'total_time')]!.delta).toBeUndefined();
    expect(cmp.rows[1]!.cells[col('production', 'total_time')]!.delta).toEqual({ absolute: -10, percent: -25 });
    expect(cmp.rows[1]!.cells[col('production', 'accuracy')]!.delta).toEqual({ absolute: 0.05, percent: tidy((0.05 / 0.9) * 100) });
    // the first model's value is 0: no percentage
    expect(cmp.rows[1]!.cells[col('job', 'total_time')]!.delta).toEqual({ absolute: 5, percent: null });
    // no value in this row: no delta
    expect(cmp.rows[2]!.cells[col('job', 'total_time')]).toEqual({ best: false });
  });
  it('splits hyperparameters into differing and shared', () => {
    const two = buildComparison([a, b], { config });
    expect(two.hyperparams).toEqual(['num_epoch']);
    expect(two.shared_hyperparams).toEqual({ lr: 0.001 });
    // c has none, so nothing is shared
    expect(cmp.hyperparams).toEqual(['lr', 'num_epoch']);
    expect(cmp.shared_hyperparams).toEqual({});
  });
  it('shows all hyperparameters of a single model', () => {
    expect(buildComparison([a], { config }).hyperparams).toEqual(['lr', 'num_epoch']);
  });
});

describe('buildComparison with a dataset and metrics', () => {
  it('keeps only the dataset and the metrics, in the given order', () => {
    const cmp = buildComparison([a, b], { config, datasets: ['production'], metrics: ['total_time', 'accuracy'] });
    expect(cmp.columns.map((x) => x.metric)).toEqual(['total_time', 'accuracy']);
    expect(cmp.rows[1]!.results).toEqual({ production: { total_time: 30, accuracy: 0.95 } });
    expect(cmp.notes).toEqual([]);
  });
  it('notes a requested metric or dataset nobody has', () => {
    const cmp = buildComparison([a, b], { config, datasets: ['stats'], metrics: ['total_time'] });
    expect(cmp.columns).toEqual([]);
    expect(cmp.notes).toEqual(['no compared model has a result on stats', 'no compared model has a total_time result on stats']);
  });
});

describe('deltaOf', () => {
  it('removes float noise', () => expect(deltaOf(47.1, 45.23).absolute).toBe(1.87));
  it('uses the magnitude of a negative base for the percentage', () => expect(deltaOf(-5, -10)).toEqual({ absolute: 5, percent: 50 }));
});

describe('better or worse', () => {
  it('follows the direction: lower is better for min, higher for max; none without a direction', () => {
    expect(verdictOf({ absolute: -0.4, percent: -3.2 }, 'min')).toBe('better');
    expect(verdictOf({ absolute: 0.4, percent: 3.2 }, 'min')).toBe('worse');
    expect(verdictOf({ absolute: 0.05, percent: 5 }, 'max')).toBe('better');
    expect(verdictOf({ absolute: -0.05, percent: -5 }, 'max')).toBe('worse');
    expect(verdictOf({ absolute: 0, percent: 0 }, 'max')).toBe('same');
    expect(verdictOf({ absolute: 1, percent: null }, undefined)).toBeUndefined();
  });
  it('is on every cell with a delta and a direction', () => {
    const cmp = buildComparison([a, b, c], { config });
    const at = (d: string, m: string) => cmp.columns.findIndex((x) => x.dataset === d && x.metric === m);
    expect(cmp.rows[1]!.cells[at('production', 'total_time')]).toMatchObject({ delta: { absolute: -10 }, verdict: 'better' });
    expect(cmp.rows[2]!.cells[at('production', 'accuracy')]).toMatchObject({ delta: { absolute: -0.1 }, verdict: 'worse' });
    expect(cmp.rows[1]!.cells[at('job', 'total_time')]!.verdict).toBe('worse');
    expect(cmp.rows[0]!.cells.every((cell) => cell.verdict === undefined)).toBe(true);
  });
});

describe('globRegExp', () => {
  it('matches whole names, * any run, ? one character, the rest literal', () => {
    expect(globRegExp('q_error*').test('q_error on job-light')).toBe(true);
    expect(globRegExp('lr').test('lr')).toBe(true);
    expect(globRegExp('lr').test('lr_decay')).toBe(false);
    expect(globRegExp('p??_time').test('p95_time')).toBe(true);
    expect(globRegExp('a.b').test('axb')).toBe(false);
    expect(globRegExp('job-light').test('job-light')).toBe(true);
    expect(globRegExp('(x)+').test('(x)+')).toBe(true);
  });
});

describe('filterComparison', () => {
  // a and b share lr and the training dataset; accuracy on production differs; total_time on job
  // differs; d has the same results as a everywhere.
  const d = model('d', {
    training: { dataset: 'production', training_time: 100, hyperparams: { num_epoch: 300, lr: 0.001 } },
    testing: [result('production', { total_time: 40, accuracy: 0.9 }), result('job', { total_time: 0 })],
  });
  const cmp = buildComparison([a, d], { config });
  const names = (x: ReturnType<typeof filterComparison>) => ({
    fields: x.comparison.fields,
    hyperparams: x.comparison.hyperparams,
    columns: x.comparison.columns.map((col) => `${col.metric} on ${col.dataset}`),
  });

  it('without a filter changes nothing', () => {
    const x = filterComparison(cmp, {});
    expect(x.comparison).toEqual(cmp);
    expect(x.unmatched).toEqual([]);
  });

  it('--only-changed hides what every model has alike and lists it as the same for all', () => {
    const x = filterComparison(cmp, { onlyChanged: true });
    expect(names(x)).toEqual({ fields: [], hyperparams: ['num_epoch'], columns: [] });
    expect(x.comparison.same_for_all).toEqual({ algorithm: 'mscn', 'trained on': 'production', training_time: 100, 'total_time on job': 0, 'accuracy on production': 0.9, 'total_time on production': 40 });
    expect(x.comparison.shared_hyperparams).toEqual({ lr: 0.001 });
    const three = filterComparison(buildComparison([a, d, b], { config }), { onlyChanged: true });
    expect(names(three)).toEqual({ fields: ['training_time'], hyperparams: ['num_epoch'], columns: ['total_time on job', 'accuracy on production', 'total_time on production', 'weird on production'] });
    expect(three.comparison.same_for_all).toEqual({ algorithm: 'mscn', 'trained on': 'production' });
  });

  it('--only-changed with one model hides nothing: nothing is compared', () => {
    const one = buildComparison([a], { config });
    expect(filterComparison(one, { onlyChanged: true }).comparison).toEqual(one);
  });

  it('--drop hides rows by hyperparameter, metric, dataset or "metric on dataset"; the rows keep their values aligned', () => {
    const x = filterComparison(cmp, { drop: ['num_epoch', 'total_time on job', 'accuracy'] });
    expect(names(x)).toEqual({ fields: ['algorithm', 'trained on', 'training_time'], hyperparams: [], columns: ['total_time on production'] });
    expect(x.comparison.rows.map((r) => r.results)).toEqual([{ production: { total_time: 40 } }, { production: { total_time: 40 } }]);
    expect(x.comparison.rows[1]!.cells).toEqual([{ value: 40, best: true, delta: { absolute: 0, percent: 0 }, verdict: 'same' }]);
    expect(names(filterComparison(cmp, { drop: ['production', 'training_*', 'trained on'] }))).toEqual({ fields: ['algorithm'], hyperparams: ['num_epoch'], columns: ['total_time on job'] });
  });

  it('--drop takes a shared hyperparameter out of the "same for all" line too', () => {
    expect(filterComparison(cmp, { drop: ['lr'] }).comparison.shared_hyperparams).toEqual({});
  });

  it('--keep wins over --drop and --only-changed (as in DVC)', () => {
    expect(names(filterComparison(cmp, { drop: ['*'], keep: ['total_time'] }))).toEqual({ fields: [], hyperparams: [], columns: ['total_time on job', 'total_time on production'] });
    const x = filterComparison(cmp, { onlyChanged: true, keep: ['trained on', 'accuracy on production'] });
    expect(names(x)).toEqual({ fields: ['trained on'], hyperparams: ['num_epoch'], columns: ['accuracy on production'] });
    expect(Object.keys(x.comparison.same_for_all!)).toEqual(['algorithm', 'training_time', 'total_time on job', 'total_time on production']);
  });

  it('--keep alone shows only the rows it names', () => {
    const x = filterComparison(cmp, { keep: ['q_*', 'accuracy'] });
    expect(names(x)).toEqual({ fields: [], hyperparams: [], columns: ['accuracy on production'] });
    expect(x.comparison.shared_hyperparams).toEqual({});
    expect(x.unmatched).toEqual([{ flag: '--keep', pattern: 'q_*' }]);
  });

  it('names every pattern that matched nothing, and the names there were', () => {
    const x = filterComparison(cmp, { drop: ['lrr', 'lr'], keep: ['accurcy'] });
    expect(x.unmatched).toEqual([{ flag: '--keep', pattern: 'accurcy' }, { flag: '--drop', pattern: 'lrr' }]);
    expect(x.names).toEqual(['algorithm', 'trained on', 'training_time', 'num_epoch', 'lr', 'total_time', 'job', 'accuracy', 'production']);
  });

  it('drops the notes about a metric no longer shown', () => {
    const withWeird = buildComparison([a, b], { config });
    expect(withWeird.notes.join('\n')).toMatch(/no best marked for weird/);
    expect(filterComparison(withWeird, { drop: ['weird'] }).comparison.notes).toEqual([]);
  });
});
