import { describe, expect, it } from 'vitest';
import { convertLegacy, creationTime, normalizeTimestamp, timeFromId, upgradeToVersion2 } from '../../../src/domain/legacy.js';
import { checkpointMetadata, olderModels } from '../../fixtures/legacy.js';

const FALLBACK = '2025-01-01T00:00:00Z';
const v1 = (raw: unknown, extra: Record<string, unknown> = {}) => convertLegacy({ kind: 'version1', raw, fallbackDate: FALLBACK, ...extra });

describe('normalizeTimestamp', () => {
  it.each([
    ['2024-10-19T10:30:00Z', '2024-10-19T10:30:00Z'],
    ['2024-10-19T10:30:00+02:00', '2024-10-19T10:30:00+02:00'],
    ['2024-10-19T10:30:00.412345', '2024-10-19T10:30:00.412345Z'],
    ['2024-10-19 10:30:00', '2024-10-19T10:30:00Z'],
    ['2024-10-19T10:30', '2024-10-19T10:30:00Z'],
    [1729333800, '2024-10-19T10:30:00Z'],
    ['yesterday', 'yesterday'],
  ])('%j → %j', (input, out) => expect(normalizeTimestamp(input)).toBe(out));
});

describe('timeFromId', () => {
  it('reads the default id form, with or without a clash suffix', () => {
    expect(timeFromId('mscn_20241019_103000')).toBe('2024-10-19T10:30:00Z');
    expect(timeFromId('mscn_20241019_103000_2')).toBe('2024-10-19T10:30:00Z');
  });
  it('is undefined for other ids and impossible dates', () => {
    expect(timeFromId('gpt2-mtp-ref')).toBeUndefined();
    expect(timeFromId('x_20241399_256199')).toBeUndefined();
  });
});

describe('convertLegacy (version 1)', () => {
  it('adds schema_version and created_at from trained_at, lowercases the algorithm, moves unknown fields under extra', () => {
    const { meta, problems } = v1(olderModels().mscn_20241019_103000, { id: 'mscn_20241019_103000' });
    expect(problems).toEqual([]);
    expect(meta).toMatchObject({
      schema_version: 2,
      model_id: 'mscn_20241019_103000',
      algorithm: 'mscn',
      created_at: '2024-10-19T10:30:00.412345Z',
      tags: ['experiment'],
      notes: 'trained on production data',
      extra: { gpu: 'A100' },
    });
    expect(meta!.training!.trained_at).toBe('2024-10-19T10:30:00.412345Z');
    expect(meta!.testing.map((t) => [t.tested_at, t.performance.total_time])).toEqual([['2024-10-19T12:00:00Z', 45.23], ['2024-10-20T09:00:00Z', 47.9]]);
    expect(meta).not.toHaveProperty('gpu');
  });

  it('turns a testing map keyed by dataset into a list in test order, with top-level metrics as performance', () => {
    const { meta } = v1(olderModels().mscn_20241018_090000);
    expect(meta!.testing).toEqual([
      { dataset: 'production', num_queries: 100, tested_at: '2024-10-18T11:00:00Z', performance: { total_time: 52.1 } },
      { dataset: 'job', tested_at: '2024-10-18T11:30:00Z', performance: { total_time: 8.5 } },
    ]);
  });

  it('keeps training null, drops null notes, and takes the time from the id when nothing else says', () => {
    const { meta } = v1(olderModels().lero_20241017_080000);
    expect(meta).toMatchObject({ training: null, created_at: '2024-10-17T08:00:00Z', testing: [], tags: [] });
    expect(v1(olderModels().lero_20241020_140000).meta).not.toHaveProperty('notes');
    expect(v1({ model_id: 'plain', algorithm: 'mscn' }).meta!.created_at).toBe(FALLBACK);
  });

  it('keeps unknown fields of training, results and loading_strategy under their own extra', () => {
    const { meta } = v1({
      model_id: 'a', algorithm: 'mscn',
      training: { trained_at: '2024-01-01T00:00:00Z', seed: 7 },
      testing: [{ dataset: 'prod', performance: { total_time: 1 }, machine: 'db1' }],
      loading_strategy: { loader_type: 'huggingface', transformers_class: 'AutoModel', revision: 'main' },
    });
    expect(meta!.training).toEqual({ trained_at: '2024-01-01T00:00:00Z', extra: { seed: 7 } });
    expect(meta!.testing[0]).toEqual({ dataset: 'prod', performance: { total_time: 1 }, extra: { machine: 'db1' } });
    expect(meta!.loading_strategy).toEqual({ loader_type: 'huggingface', transformers_class: 'AutoModel', extra: { revision: 'main' } });
  });

  it('refuses an unsafe id, a model_id that differs from its key, and no algorithm', () => {
    expect(v1({ algorithm: 'mscn' }, { id: '../evil' }).problems[0]).toMatchObject({ pointer: '/model_id', rule: 'safe-name' });
    expect(v1({ model_id: 'MSCN_1', algorithm: 'mscn' }).problems[0]!.message).toMatch(/"MSCN_1" is not a safe name/);
    expect(v1({ model_id: 'a', algorithm: 'mscn' }, { id: 'b' }).problems[0]).toMatchObject({ rule: 'id-matches-key' });
    expect(v1({ model_id: 'a' }).problems[0]).toMatchObject({ pointer: '/algorithm', rule: 'required' });
    expect(v1({ model_id: 'a', algorithm: 'has space' }).problems[0]).toMatchObject({ rule: 'safe-name' });
    expect(v1([1, 2]).problems[0]).toMatchObject({ rule: 'type' });
  });

  it('lets overrides set the algorithm and the id', () => {
    const { meta } = convertLegacy({ kind: 'version1', raw: { model_id: 'a', algorithm: 'MSCN' }, fallbackDate: FALLBACK }, { algorithm: 'mscn2', id: 'b' });
    expect(meta).toMatchObject({ algorithm: 'mscn2', model_id: 'b' });
  });
});

describe('convertLegacy (checkpoint metadata.json)', () => {
  const cp = (raw: unknown, id = 'gpt2-mtp-ref') => convertLegacy({ kind: 'checkpoint', raw, id, fallbackDate: FALLBACK });
  it('wmtp_type becomes role, storage_version goes under extra, the algorithm is base_architecture, the id the directory name', () => {
    const { meta, problems } = cp(checkpointMetadata());
    expect(problems).toEqual([]);
    expect(meta).toMatchObject({
      model_id: 'gpt2-mtp-ref', algorithm: 'gpt2', role: 'reference_model', base_architecture: 'gpt2', training_algorithm: 'mtp',
      created_at: '2024-11-02T08:15:00Z', extra: { storage_version: '2.0' }, algorithm_compatibility: ['baseline-mtp', 'critic-wmtp', 'rho1-wmtp'],
    });
    expect(meta).not.toHaveProperty('wmtp_type');
    expect(meta!.loading_strategy!.state_dict_mapping).toEqual({ remove_prefix: 'base_model.', add_prefix: null, key_transforms: {} });
  });
  it('an unsafe directory name gives <algorithm>_<timestamp>', () => {
    expect(cp(checkpointMetadata(), 'GPT2 MTP (final)').meta!.model_id).toBe('gpt2_20241102_081500');
  });
  it('refuses a role that contradicts wmtp_type, and no base_architecture without --algo', () => {
    expect(cp(checkpointMetadata({ role: 'policy' })).problems[0]).toMatchObject({ rule: 'role-conflict' });
    expect(cp(checkpointMetadata({ base_architecture: undefined })).problems[0]!.message).toMatch(/no base_architecture; give --algo/);
  });
});

describe('upgradeToVersion2', () => {
  it('changes only schema_version and created_at', () => {
    const before = { model_id: 'a', algorithm: 'mscn', training: { trained_at: '2024-01-02T03:04:05Z' }, testing: [], tags: ['x'] };
    expect(upgradeToVersion2(before, FALLBACK)).toEqual({ ...before, schema_version: 2, created_at: '2024-01-02T03:04:05Z' });
    expect(upgradeToVersion2({ model_id: 'b', algorithm: 'mscn', testing: [], tags: [] }, FALLBACK).created_at).toBe(FALLBACK);
  });
  it('creationTime prefers trained_at, then created_at, then the fallback', () => {
    expect(creationTime({ training: { trained_at: 'garbage' }, created_at: '2024-05-05T00:00:00Z' }, FALLBACK)).toBe('2024-05-05T00:00:00Z');
    expect(creationTime({ training: null }, FALLBACK)).toBe(FALLBACK);
  });
});
