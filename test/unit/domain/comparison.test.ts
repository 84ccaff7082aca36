import { describe, expect, it } from 'vitest';
import { buildComparison, deltaOf, tidy } from '../../../src/domain/comparison.js';
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
