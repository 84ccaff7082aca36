import { describe, expect, it } from 'vitest';
import { diffRegistry, isEmptyDiff } from '../../../src/domain/diff.js';
import { DEFAULT_CONFIG } from '../../../src/domain/config.js';
import type { Model, ModelMetadata, TestResult } from '../../../src/domain/types.js';

function model(id: string, over: Partial<ModelMetadata> = {}, algorithm = 'mscn'): Model {
  return { path: `models/${algorithm}/${id}.json`, metadata: { schema_version: 2, model_id: id, algorithm, created_at: '2024-01-01T00:00:00Z', testing: [], tags: [], ...over } };
}
const r = (dataset: string, performance: Record<string, number>, tested_at = '2024-02-01T00:00:00Z'): TestResult => ({ dataset, performance, tested_at });

describe('diffRegistry', () => {
  const holder = model('h', { testing: [r('production', { total_time: 50 })] });
  const old = model('old');
  const a = model('a', { testing: [r('production', { total_time: 60 })] });

  it('reports registered, removed, new results with the change against the stage holder, promotions and other edits', () => {
    const a2 = model('a', { testing: [r('production', { total_time: 60 }), r('production', { total_time: 40 }), r('job', { total_time: 3 })], tags: ['best'] });
    const fresh = model('n', { training: { dataset: 'stats' }, testing: [r('production', { total_time: 55, accuracy: 0.5 })] });
    const d = diffRegistry({
      before: [holder, old, a],
      after: [holder, a2, fresh],
      stagesBefore: { mscn: { production: 'h' } },
      stagesAfter: { mscn: { production: 'a' } },
      config: DEFAULT_CONFIG,
    });
    expect(d.registered).toEqual([{ model_id: 'n', algorithm: 'mscn', path: 'models/mscn/n.json', training_dataset: 'stats', tags: [] }]);
    expect(d.removed).toEqual([{ model_id: 'old', algorithm: 'mscn', path: 'models/mscn/old.json' }]);
    expect(d.promotions).toEqual([{ algorithm: 'mscn', stage: 'production', model_id: 'a', previous: 'h', action: 'promote' }]);
    expect(d.changed).toEqual([{ path: 'models/mscn/a.json', model_id: 'a', fields: ['tags'] }]);
    expect(d.results.map((x) => [x.model_id, x.dataset, x.metric, x.value])).toEqual([
      ['a', 'production', 'total_time', 40],
      ['a', 'job', 'total_time', 3],
      ['n', 'production', 'total_time', 55],
    ]);
    expect(d.results[0]!.comparison).toEqual({ stage: 'production', holder: 'h', holder_value: 50, delta: -10, delta_pct: -20, direction: 'min', better: true });
    expect(d.results[1]!.comparison).toBeNull(); // the holder has no job result
    expect(d.results[2]!.comparison).toMatchObject({ delta: 5, better: false });
    expect(isEmptyDiff(d)).toBe(false);
  });

  it('a rewritten result is not a new result: it shows as a change to testing', () => {
    const edited = model('h', { testing: [r('production', { total_time: 5 })] });
    const d = diffRegistry({ before: [holder], after: [edited], stagesBefore: {}, stagesAfter: {}, config: DEFAULT_CONFIG });
    expect(d.results).toEqual([]);
    expect(d.changed).toEqual([{ path: 'models/mscn/h.json', model_id: 'h', fields: ['testing'] }]);
  });

  it("compares on the top stage's must_beat_current metric, and reports demotions", () => {
    const config = { ...DEFAULT_CONFIG, metrics: { accuracy: { direction: 'max' as const } }, promotion: { production: { must_beat_current: 'accuracy' } } };
    const h = model('h', { testing: [r('p', { accuracy: 0.8 })] });
    const b = model('b', { testing: [r('p', { accuracy: 0.9, total_time: 1 })] });
    const d = diffRegistry({ before: [h, model('b')], after: [h, b], stagesBefore: { mscn: { production: 'h', staging: 'b' } }, stagesAfter: { mscn: { production: 'h' } }, config });
    expect(d.results[0]).toMatchObject({ metric: 'accuracy', value: 0.9, comparison: { holder: 'h', better: true, direction: 'max' } });
    expect(d.results[0]!.comparison!.delta).toBeCloseTo(0.1);
    expect(d.promotions).toEqual([{ algorithm: 'mscn', stage: 'staging', model_id: null, previous: 'b', action: 'demote' }]);
  });

  it('is empty between identical states', () => {
    const d = diffRegistry({ before: [holder, a], after: [holder, a], stagesBefore: { mscn: { production: 'h' } }, stagesAfter: { mscn: { production: 'h' } }, config: DEFAULT_CONFIG });
    expect(isEmptyDiff(d)).toBe(true);
  });
});
