import { describe, expect, it } from 'vitest';
import { mostTestedDataset, rejectionReasons, resolveRecipe, type RecipeQuery } from '../../../src/loading/compatibility.js';
import type { Model, ModelMetadata } from '../../../src/domain/types.js';

function model(id: string, algorithm: string, created: string, fields: Partial<ModelMetadata> = {}): Model {
  return {
    path: `models/${algorithm}/${id}.json`,
    metadata: {
      schema_version: 2, model_id: id, algorithm, created_at: created, testing: [], tags: [],
      role: 'reference_model', algorithm_compatibility: ['critic-wmtp', 'rho1-wmtp'], loading_strategy: { loader_type: 'custom_mtp' },
      ...fields,
    },
  };
}
const result = (dataset: string, total_time: number) => ({ dataset, performance: { total_time } });
const q = (over: Partial<RecipeQuery> = {}): RecipeQuery => ({
  recipe: 'critic-wmtp', stageOrder: ['production', 'staging'], metric: 'total_time', direction: 'min', dataset: 'production', ...over,
});

const old = model('ref_old', 'gpt2', '2024-01-01T00:00:00Z', { testing: [result('production', 10)] });
const fast = model('ref_fast', 'gpt2', '2024-02-01T00:00:00Z', { testing: [result('production', 5)] });
const newest = model('ref_new', 'gpt2', '2024-03-01T00:00:00Z');
const other = model('mscn_1', 'mscn', '2024-04-01T00:00:00Z', { algorithm_compatibility: undefined, role: undefined, loading_strategy: undefined });
const critic = model('critic_1', 'gpt2', '2024-05-01T00:00:00Z', { role: 'critic', algorithm_compatibility: ['critic-wmtp'] });

describe('resolveRecipe', () => {
  it('prefers the model holding the most mature stage, and says so', () => {
    const r = resolveRecipe([old, fast, newest], { gpt2: { staging: 'ref_new', production: 'ref_old' } }, q());
    expect(r.resolution).toMatchObject({ rule: 'stage', stage: 'production', reason: 'holds stage production for gpt2' });
    expect(r.resolution!.model.metadata.model_id).toBe('ref_old');
  });

  it('with --stage, prefers that stage', () => {
    const r = resolveRecipe([old, fast, newest], { gpt2: { staging: 'ref_new', production: 'ref_old' } }, q({ stageOrder: ['staging'] }));
    expect(r.resolution!.model.metadata.model_id).toBe('ref_new');
  });

  it('else takes the best on the metric, with the value and how many were tested', () => {
    const r = resolveRecipe([old, fast, newest], {}, q());
    expect(r.resolution!.model.metadata.model_id).toBe('ref_fast');
    expect(r.resolution!.reason).toBe('no compatible model holds production or staging; best total_time on production: 5 (min, 2 of 3 compatible models tested)');
  });

  it('else the newest, saying why the other rules did not apply', () => {
    const r = resolveRecipe([old, fast, newest], {}, q({ dataset: 'job' }));
    expect(r.resolution!.model.metadata.model_id).toBe('ref_new');
    expect(r.resolution!.rule).toBe('newest');
    expect(r.resolution!.reason).toMatch(/none has a total_time result on job; newest of 3 compatible models \(trained 2024-03-01/);
    expect(resolveRecipe([old, fast, newest], {}, q({ direction: undefined })).resolution!.reason).toMatch(/direction of total_time is unknown/);
  });

  it('without a dataset, judges on the one most candidates were tested on', () => {
    const r = resolveRecipe([old, fast, newest], {}, q({ dataset: undefined }));
    expect(r.dataset).toBe('production');
    expect(r.resolution!.model.metadata.model_id).toBe('ref_fast');
  });

  it('filters by role and rejects the rest with reasons', () => {
    const r = resolveRecipe([old, critic, other], {}, q({ role: 'critic', loaderProblem: (m) => (m.loading_strategy ? undefined : 'has no loading_strategy') }));
    expect(r.resolution!.model.metadata.model_id).toBe('critic_1');
    expect(r.rejected).toEqual([
      { model_id: 'mscn_1', algorithm: 'mscn', reasons: ['lists no algorithm_compatibility', 'has no role (wanted critic)', 'has no loading_strategy'] },
      { model_id: 'ref_old', algorithm: 'gpt2', reasons: ['role is reference_model, not critic'] },
    ]);
  });

  it('has no resolution when nothing fits, but every rejection', () => {
    const r = resolveRecipe([old, other], {}, q({ recipe: 'baseline-mtp' }));
    expect(r.resolution).toBeUndefined();
    expect(r.rejected.map((x) => x.reasons[0])).toEqual(['lists no algorithm_compatibility', 'compatible with critic-wmtp, rho1-wmtp, not baseline-mtp']);
  });

  it('a single compatible model is "the only" one', () => {
    const r = resolveRecipe([old, other], {}, q({ recipe: 'rho1-wmtp' }));
    expect(r.resolution).toMatchObject({ rule: 'only', reason: 'the only compatible model (it holds no production or staging stage)' });
  });

  it('a stage held by a model of another recipe does not count', () => {
    const r = resolveRecipe([old, fast, other], { mscn: { production: 'mscn_1' } }, q());
    expect(r.resolution!.rule).toBe('best');
  });
});

describe('helpers', () => {
  it('rejectionReasons lists every reason', () => {
    expect(rejectionReasons(other.metadata, { recipe: 'x', role: 'r', loaderProblem: () => 'unknown loader' })).toEqual(['lists no algorithm_compatibility', 'has no role (wanted r)', 'unknown loader']);
  });
  it('mostTestedDataset counts models, not results, and breaks ties alphabetically', () => {
    const a = model('a', 'x', '2024-01-01T00:00:00Z', { testing: [result('job', 1), result('job', 2), result('stats', 1)] });
    const b = model('b', 'x', '2024-01-01T00:00:00Z', { testing: [result('stats', 1)] });
    expect(mostTestedDataset([a, b], 'total_time')).toBe('stats');
    expect(mostTestedDataset([a], 'total_time')).toBe('job');
    expect(mostTestedDataset([a], 'accuracy')).toBeUndefined();
  });
});
