import { describe, expect, it } from 'vitest';
import { checkPromotions, evaluateGates, forcedKey, gateTrailers } from '../../../src/domain/gates.js';
import type { ModelMetadata, TestResult } from '../../../src/domain/types.js';

function meta(id: string, testing: Partial<TestResult>[] = [], tags: string[] = [], algorithm = 'mscn'): ModelMetadata {
  return { schema_version: 2, model_id: id, algorithm, created_at: '2024-01-01T00:00:00Z', testing: testing as TestResult[], tags };
}
const res = (dataset: string, performance: Record<string, number>): Partial<TestResult> => ({ dataset, performance });
const config = { metrics: { total_time: { direction: 'min' as const }, accuracy: { direction: 'max' as const } } };

describe('evaluateGates', () => {
  it('passes an open stage (no rule) with no results at all', () => {
    const ev = evaluateGates({ candidate: meta('a'), stage: 'staging', rule: undefined, assignments: {}, config });
    expect(ev).toEqual({ ok: true, results: [], failed: [] });
  });

  it('require_tested_on names every dataset that is missing', () => {
    const ev = evaluateGates({ candidate: meta('a', [res('job', { total_time: 1 })]), stage: 'production', rule: { require_tested_on: ['production', 'job', 'stats'] }, assignments: {}, config });
    expect(ev.ok).toBe(false);
    expect(ev.failed).toEqual([{ gate: 'require_tested_on', ok: false, detail: 'no test result on production, stats (required: production, job, stats)' }]);
  });

  it('must_beat_current passes when nobody holds the stage, and says so', () => {
    const ev = evaluateGates({ candidate: meta('a', [res('production', { total_time: 9 })]), stage: 'production', rule: { must_beat_current: 'total_time' }, assignments: {}, config });
    expect(ev.results).toEqual([{ gate: 'must_beat_current', ok: true, detail: 'nobody holds production yet' }]);
  });

  it('must_beat_current compares latest results on each required dataset both have (min metric)', () => {
    const cur = meta('cur', [res('production', { total_time: 50 }), res('job', { total_time: 10 })]);
    const better = meta('a', [res('production', { total_time: 60 }), res('production', { total_time: 40 }), res('job', { total_time: 9 })]);
    const rule = { require_tested_on: ['production', 'job'], must_beat_current: 'total_time' };
    const ok = evaluateGates({ candidate: better, stage: 'production', rule, current: cur, assignments: { production: 'cur' }, config });
    expect(ok.ok).toBe(true);
    expect(ok.results[1]!.detail).toBe('total_time 40 < 50 of cur on production; total_time 9 < 10 of cur on job');
    const worseOnJob = meta('b', [res('production', { total_time: 40 }), res('job', { total_time: 11 })]);
    const bad = evaluateGates({ candidate: worseOnJob, stage: 'production', rule, current: cur, assignments: {}, config });
    expect(bad.failed.map((g) => g.gate)).toEqual(['must_beat_current']);
    expect(bad.failed[0]!.detail).toContain('total_time 11 does not beat 10 of cur on job');
  });

  it('must_beat_current: an equal value does not beat; a max metric wants higher', () => {
    const cur = meta('cur', [res('p', { total_time: 5, accuracy: 0.8 })]);
    const tie = evaluateGates({ candidate: meta('a', [res('p', { total_time: 5 })]), stage: 's', rule: { must_beat_current: 'total_time' }, current: cur, assignments: {}, config });
    expect(tie.ok).toBe(false);
    const acc = evaluateGates({ candidate: meta('a', [res('p', { accuracy: 0.9 })]), stage: 's', rule: { must_beat_current: 'accuracy' }, current: cur, assignments: {}, config });
    expect(acc.results[0]).toEqual({ gate: 'must_beat_current', ok: true, detail: 'accuracy 0.9 > 0.8 of cur on p' });
  });

  it('must_beat_current fails clearly when there is nothing to compare or no direction', () => {
    const cur = meta('cur', [res('job', { total_time: 5 })]);
    const none = evaluateGates({ candidate: meta('a', [res('p', { total_time: 1 })]), stage: 's', rule: { must_beat_current: 'total_time' }, current: cur, assignments: {}, config });
    expect(none.failed[0]!.detail).toBe('cannot compare with cur on total_time: they share no dataset with a total_time result');
    const nodir = evaluateGates({ candidate: meta('a', [res('p', { weird: 1 })]), stage: 's', rule: { must_beat_current: 'weird' }, current: meta('cur', [res('p', { weird: 2 })]), assignments: {}, config });
    expect(nodir.failed[0]!.detail).toMatch(/direction is unknown \(set metrics\.weird\.direction/);
  });

  it('must_beat_current passes when the holder is no longer registered, naming it', () => {
    const ev = evaluateGates({ candidate: meta('a', [res('p', { total_time: 1 })]), stage: 's', rule: { must_beat_current: 'total_time' }, currentId: 'gone', assignments: {}, config });
    expect(ev.results[0]).toEqual({ gate: 'must_beat_current', ok: true, detail: 'the current holder gone is no longer registered' });
  });

  it('require_tags and from_stage for an ordered path', () => {
    const rule = { from_stage: 'staging', require_tags: ['reviewed', 'signed-off'] };
    const notYet = evaluateGates({ candidate: meta('a', [], ['reviewed']), stage: 'production', rule, assignments: { staging: 'other' }, config });
    expect(notYet.failed).toEqual([
      { gate: 'from_stage', ok: false, detail: 'must hold staging first (staging is held by other)' },
      { gate: 'require_tags', ok: false, detail: 'missing tag signed-off' },
    ]);
    const ready = evaluateGates({ candidate: meta('a', [], ['reviewed', 'signed-off']), stage: 'production', rule, assignments: { staging: 'a' }, config });
    expect(ready.ok).toBe(true);
    expect(ready.results.map((r) => r.detail)).toEqual(['holds staging', 'tagged reviewed, signed-off']);
    const nobody = evaluateGates({ candidate: meta('a'), stage: 'production', rule: { from_stage: 'staging' }, assignments: {}, config });
    expect(nobody.failed[0]!.detail).toBe('must hold staging first (staging is held by nobody)');
  });

  it('gateTrailers writes one Gate line per gate', () => {
    const ev = evaluateGates({ candidate: meta('a'), stage: 'p', rule: { require_tested_on: ['p'], require_tags: [] }, assignments: {}, config });
    expect(gateTrailers(ev)).toEqual([['Gate', 'require_tested_on FAIL: no test result on p (required: p)']]);
  });
});

describe('checkPromotions (validate --since)', () => {
  const cfg = { ...config, stages: ['staging', 'production'], promotion: { production: { require_tested_on: ['p'], must_beat_current: 'total_time' } } };
  const holder = meta('h', [res('p', { total_time: 10 })]);
  const good = meta('g', [res('p', { total_time: 5 })]);
  const slow = meta('s', [res('p', { total_time: 50 })]);
  const lero = meta('l', [res('p', { total_time: 1 })], [], 'lero');
  const models = new Map([holder, good, slow, lero].map((m) => [m.model_id, m]));

  it('evaluates each promotion against the holder it replaces', () => {
    const checks = checkPromotions({
      before: { mscn: { production: 'h' } },
      after: { mscn: { production: 'g', staging: 's' } },
      models,
      modelsBefore: models,
      config: cfg,
    });
    expect(checks.map((c) => [c.change.stage, c.change.model_id, c.evaluation?.ok])).toEqual([
      ['production', 'g', true],
      ['staging', 's', true],
    ]);
  });

  it('reports failed gates, unknown models, wrong algorithms and unknown stages; demotions need nothing', () => {
    const checks = checkPromotions({
      before: { mscn: { production: 'h', staging: 'g' } },
      after: { mscn: { production: 's', canary: 'g', qa: 'nope' }, lero: { production: 'g' } },
      models,
      modelsBefore: models,
      config: { ...cfg, stages: ['staging', 'production', 'canary'] },
    });
    const byStage = Object.fromEntries(checks.map((c) => [`${c.change.algorithm}/${c.change.stage}`, c]));
    expect(byStage['mscn/production']!.evaluation!.failed[0]!.detail).toBe('total_time 50 does not beat 10 of h on p');
    expect(byStage['mscn/qa']!.problem).toBe('stage qa is not one of the configured stages (staging, production, canary)');
    expect(byStage['lero/production']!.problem).toBe('g is a mscn model, not lero');
    expect(byStage['mscn/staging']!.change.action).toBe('demote');
    expect(byStage['mscn/staging']!.evaluation).toBeUndefined();
    const unknown = checkPromotions({ before: {}, after: { mscn: { staging: 'ghost' } }, models, modelsBefore: models, config: cfg });
    expect(unknown[0]!.problem).toBe('ghost is not a registered model');
  });

  it('marks a promotion whose commit said Forced', () => {
    const checks = checkPromotions({
      before: { mscn: { production: 'h' } },
      after: { mscn: { production: 's' } },
      models,
      modelsBefore: models,
      config: cfg,
      forced: new Set([forcedKey('mscn', 'production', 's')]),
    });
    expect(checks[0]!.forced).toBe(true);
    expect(checks[0]!.evaluation!.ok).toBe(false);
  });
});
