import { describe, expect, it } from 'vitest';
import { chooseDataset, datasetsWithMetric } from '../../../src/domain/datasets.js';
import { filterModels, sortListing } from '../../../src/domain/listing.js';
import { model, result } from './fixtures.js';

const ids = (ms: { metadata: { model_id: string } }[]) => ms.map((m) => m.metadata.model_id);

describe('filterModels', () => {
  const a = model('a', { tags: ['experiment', 'keep'], training: { dataset: 'production' } });
  const b = model('b', { tags: ['experiment'], training: { dataset: 'stats' } });
  const c = model('c', { algorithm: 'lero', tags: ['keep'], training: null });
  const all = [a, b, c];
  it('keeps everything with no filter', () => expect(ids(filterModels(all, {}))).toEqual(['a', 'b', 'c']));
  it('filters by algorithm', () => expect(ids(filterModels(all, { algorithm: 'lero' }))).toEqual(['c']));
  it('filters by training dataset, not test datasets', () => {
    const tested = model('d', { training: { dataset: 'job' }, testing: [result('production', { total_time: 1 })] });
    expect(ids(filterModels([...all, tested], { dataset: 'production' }))).toEqual(['a']);
  });
  it('requires every tag when several are given', () => {
    expect(ids(filterModels(all, { tags: ['experiment'] }))).toEqual(['a', 'b']);
    expect(ids(filterModels(all, { tags: ['experiment', 'keep'] }))).toEqual(['a']);
  });
});

describe('sortListing', () => {
  const old = model('old', { created_at: '2024-01-01T00:00:00Z', training: { trained_at: '2024-03-01T00:00:00Z' }, testing: [result('prod', { total_time: 30 })] });
  const mid = model('mid', { created_at: '2024-02-01T00:00:00Z', testing: [result('prod', { total_time: 10 }), result('prod', { total_time: 50 })] });
  const fresh = model('fresh', { created_at: '2024-04-01T00:00:00Z', testing: [result('job', { total_time: 1 })] });
  const twin = model('fresh_2', { created_at: '2024-04-01T00:00:00Z' });

  it('newest first by trained_at, else created_at; the later id first on equal times', () => {
    expect(ids(sortListing([old, mid, fresh, twin], { by: 'date' }).map((e) => e.model))).toEqual(['fresh_2', 'fresh', 'old', 'mid']);
  });
  it('best first on a metric (latest result counts), untested last', () => {
    const entries = sortListing([old, mid, fresh, twin], { by: 'metric', metric: 'total_time', dataset: 'prod', direction: 'min', aggregate: 'latest' });
    expect(ids(entries.map((e) => e.model))).toEqual(['old', 'mid', 'fresh_2', 'fresh']);
    expect(entries.map((e) => e.score?.value)).toEqual([30, 50, undefined, undefined]);
  });
  it('direction max reverses the tested part only', () => {
    const entries = sortListing([old, mid, fresh], { by: 'metric', metric: 'total_time', dataset: 'prod', direction: 'max', aggregate: 'latest' });
    expect(ids(entries.map((e) => e.model))).toEqual(['mid', 'old', 'fresh']);
  });
  it('a metric sort without a dataset orders by date', () => {
    expect(ids(sortListing([old, fresh], { by: 'metric', metric: 'x', direction: 'min', aggregate: 'latest' }).map((e) => e.model))).toEqual(['fresh', 'old']);
  });
});

describe('chooseDataset', () => {
  const a = model('a', { testing: [result('production', { total_time: 1, accuracy: 0.9 }), result('job', { accuracy: 0.8 })] });
  const b = model('b', { testing: [result('stats', { total_time: 2 })] });
  it('lists datasets that carry the metric', () => {
    expect(datasetsWithMetric([a, b], 'total_time')).toEqual(['production', 'stats']);
    expect(datasetsWithMetric([a, b], 'accuracy')).toEqual(['job', 'production']);
  });
  it('uses the given dataset as is', () => expect(chooseDataset([a], 'total_time', 'zzz')).toEqual({ kind: 'given', dataset: 'zzz' }));
  it('picks the only dataset with the metric, ignoring datasets without it', () => {
    expect(chooseDataset([a], 'total_time')).toEqual({ kind: 'only', dataset: 'production' });
  });
  it('is ambiguous with several, none with none', () => {
    expect(chooseDataset([a, b], 'total_time')).toEqual({ kind: 'ambiguous', datasets: ['production', 'stats'] });
    expect(chooseDataset([a, b], 'p95_time')).toEqual({ kind: 'none' });
  });
});
