import { describe, expect, it } from 'vitest';
import {
  isWithin,
  localArtifactPath,
  planArtifactDeletion,
  planRetention,
  retentionQuery,
  stageHolders,
} from '../../../src/domain/retention.js';
import { DEFAULT_CONFIG } from '../../../src/domain/config.js';
import { UsageError } from '../../../src/errors.js';
import type { Model, TestResult } from '../../../src/domain/types.js';

function model(id: string, created: string, testing: Partial<TestResult>[] = [], extra: { tags?: string[]; model_path?: string; algorithm?: string } = {}): Model {
  const algorithm = extra.algorithm ?? 'mscn';
  return {
    path: `models/${algorithm}/${id}.json`,
    metadata: {
      schema_version: 2, model_id: id, algorithm, created_at: created, testing: testing as TestResult[], tags: extra.tags ?? [],
      ...(extra.model_path ? { model_path: extra.model_path } : {}),
    },
  };
}
const r = (dataset: string, performance: Record<string, number>): Partial<TestResult> => ({ dataset, performance });
const q = { dataset: 'prod', metric: 'total_time', direction: 'min' as const };
const none = new Map<string, string[]>();

describe('planRetention', () => {
  const a = model('a', '2024-01-01T00:00:00Z', [r('prod', { total_time: 30 })]);
  const b = model('b', '2024-01-02T00:00:00Z', [r('prod', { total_time: 10 })]);
  const c = model('c', '2024-01-03T00:00:00Z', [r('prod', { total_time: 20 })]);
  const d = model('d', '2024-01-04T00:00:00Z', [r('prod', { total_time: 40 })]);
  const u1 = model('u1', '2024-01-05T00:00:00Z');
  const u2 = model('u2', '2024-01-06T00:00:00Z', [r('other', { total_time: 1 })]);

  it('keeps the top N by the metric and removes the rest, untested last (newest first)', () => {
    const p = planRetention({ models: [a, u1, b, c, u2, d], keep: 2, query: q, protectTags: [], stageHolders: none });
    expect(p.kept).toEqual(['b', 'c']);
    expect(p.removed).toEqual(['a', 'd', 'u2', 'u1']);
    expect(p.protected).toEqual([]);
    expect(p.ranked).toBe(4);
    const why = Object.fromEntries(p.decisions.map((x) => [x.model_id, x]));
    expect(why.a).toMatchObject({ decision: 'remove', rank: 3, value: 30, reason: 'rank 3 of 4 by total_time on prod (30)' });
    expect(why.u1).toMatchObject({ decision: 'remove', reason: 'untested (no total_time result on prod)' });
    expect(why.u1.rank).toBeUndefined();
  });

  it('respects direction max', () => {
    const p = planRetention({ models: [a, b, c, d], keep: 1, query: { ...q, direction: 'max' }, protectTags: [], stageHolders: none });
    expect(p.kept).toEqual(['d']);
    expect(p.removed).toEqual(['a', 'c', 'b']);
  });

  it('never removes protected or staged models, and they do not count toward N', () => {
    const tagged = model('t', '2024-01-07T00:00:00Z', [r('prod', { total_time: 99 })], { tags: ['keep', 'x'] });
    const staged = model('s', '2024-01-08T00:00:00Z');
    const holders = stageHolders({ mscn: { production: 's' }, lero: { staging: 'zzz' } });
    const p = planRetention({ models: [a, b, c, d, tagged, staged], keep: 2, query: q, protectTags: ['best', 'keep'], stageHolders: holders });
    expect(p.protected).toEqual(['s', 't']);
    expect(p.kept).toEqual(['b', 'c']); // two unprotected ones, on top of the protected
    expect(p.removed).toEqual(['a', 'd']);
    const why = Object.fromEntries(p.decisions.map((x) => [x.model_id, x.reason]));
    expect(why.t).toBe('tagged keep');
    expect(why.s).toBe('holds stage mscn/production');
  });

  it('a model holding a stage under another algorithm key is still protected', () => {
    const p = planRetention({ models: [a, b], keep: 0, query: q, protectTags: [], stageHolders: stageHolders({ other: { staging: 'a' } }) });
    expect(p.protected).toEqual(['a']);
    expect(p.removed).toEqual(['b']);
  });

  it('keeps untested models when N exceeds the tested ones, newest first', () => {
    const p = planRetention({ models: [a, u1, u2], keep: 2, query: q, protectTags: [], stageHolders: none });
    expect(p.kept).toEqual(['a', 'u2']);
    expect(p.removed).toEqual(['u1']);
    expect(p.decisions.find((x) => x.model_id === 'u2')!.reason).toMatch(/untested.*within --keep 2/);
  });

  it('without a query (nothing tested) keeps the newest N', () => {
    const p = planRetention({ models: [u1, u2, model('u0', '2023-01-01T00:00:00Z')], keep: 1, protectTags: [], stageHolders: none });
    expect(p.kept).toEqual(['u2']);
    expect(p.removed).toEqual(['u1', 'u0']);
    expect(p.decisions.find((x) => x.model_id === 'u1')!.reason).toBe('untested');
  });

  it('keep 0 removes every unprotected model; keep larger than the count removes none', () => {
    expect(planRetention({ models: [a, b], keep: 0, query: q, protectTags: [], stageHolders: none }).removed).toEqual(['b', 'a']);
    expect(planRetention({ models: [a, b], keep: 10, query: q, protectTags: [], stageHolders: none }).removed).toEqual([]);
  });

  it.each([-1, 1.5, NaN])('refuses keep %s', (keep) => {
    expect(() => planRetention({ models: [a], keep, query: q, protectTags: [], stageHolders: none })).toThrow(UsageError);
  });
});

describe('retentionQuery', () => {
  const cfg = DEFAULT_CONFIG;
  const a = model('a', '2024-01-01T00:00:00Z', [r('prod', { total_time: 3, accuracy: 0.9, score: 1 })]);
  const b = model('b', '2024-01-02T00:00:00Z', [r('job', { total_time: 5 })]);

  it('defaults to config.default_metric and the only dataset tested, direction from config', () => {
    expect(retentionQuery([a, model('u', '2024-01-01T00:00:00Z')], cfg, {})).toEqual({ dataset: 'prod', metric: 'total_time', direction: 'min', aggregate: 'latest' });
    expect(retentionQuery([a], cfg, { metric: 'accuracy' })).toEqual({ dataset: 'prod', metric: 'accuracy', direction: 'max', aggregate: 'latest' });
    // metrics.<m>.aggregate in the config, unless the flag says otherwise
    const mean = { ...cfg, metrics: { ...cfg.metrics, accuracy: { direction: 'max' as const, aggregate: 'mean' as const } } };
    expect(retentionQuery([a], mean, { metric: 'accuracy' })?.aggregate).toBe('mean');
    expect(retentionQuery([a], mean, { metric: 'accuracy', aggregate: 'best' })?.aggregate).toBe('best');
  });
  it('is undefined when nothing was tested', () => expect(retentionQuery([model('u', '2024-01-01T00:00:00Z')], cfg, {})).toBeUndefined());
  it('asks for --dataset when several were tested, listing them', () => {
    expect(() => retentionQuery([a, b], cfg, {})).toThrow(/several datasets \(job, prod\).*--dataset/);
    expect(retentionQuery([a, b], cfg, { dataset: 'job' })?.dataset).toBe('job');
  });
  it('refuses a dataset nobody was tested on, and a metric nobody has there (a typo must not remove models)', () => {
    expect(() => retentionQuery([a, b], cfg, { dataset: 'prd' })).toThrow(/no model was tested on prd \(tested on: job, prod\)/);
    expect(() => retentionQuery([a], cfg, { metric: 'total_tim' })).toThrow(/no model has a total_tim result on prod \(metrics there: accuracy, score, total_time\)/);
  });
  it('asks for --direction when neither config nor name tells; takes it when given', () => {
    expect(() => retentionQuery([a], cfg, { metric: 'score' })).toThrow(/--direction/);
    expect(retentionQuery([a], cfg, { metric: 'score', direction: 'max' })?.direction).toBe('max');
  });
});

describe('artifact deletion plan', () => {
  const root = '/srv/reg';
  const gitDir = '/srv/reg/.git';
  const m = (id: string, model_path?: string) => model(id, '2024-01-01T00:00:00Z', [], { model_path });

  it('resolves relative, absolute and file:// paths; leaves remote URIs alone', () => {
    expect(localArtifactPath('artifacts/x', root)).toEqual({ path: '/srv/reg/artifacts/x', explicit: false });
    expect(localArtifactPath('/data/x', root)).toEqual({ path: '/data/x', explicit: true });
    expect(localArtifactPath('file:///data/y', root)).toEqual({ path: '/data/y', explicit: true });
    expect(localArtifactPath('s3://bucket/x', root)).toEqual({ reason: expect.stringMatching(/s3:\/\/ artifacts are not local/) });
    expect(isWithin('/a/b', '/a')).toBe(true);
    expect(isWithin('/a', '/a')).toBe(true);
    expect(isWithin('/ab', '/a')).toBe(false);
  });

  it('deletes only what is safe, and says why for each skip', () => {
    const removed = [
      m('rel', 'artifacts/rel'),
      m('abs', '/data/abs'),
      m('file', 'file:///data/file'),
      m('s3', 's3://b/k'),
      m('https', 'https://example.com/w.bin'),
      m('none'),
      m('escape', '../outside'),
      m('root', '.'),
      m('git', '.git/objects'),
      m('parent', '/srv'),
      m('fsroot', '/'),
      m('home', '/home/ada'),
      m('shared', 'artifacts/shared'),
      m('insidekept', 'artifacts/kept/sub'),
      m('dup1', 'artifacts/dup'),
      m('dup2', 'artifacts/dup/'),
    ];
    const remaining = [m('k1', 'artifacts/shared'), m('k2', '/srv/reg/artifacts/kept'), m('k3', 's3://b/k')];
    const plan = planArtifactDeletion({ removed, remaining, root, gitDir, home: '/home/ada' });
    const by = Object.fromEntries(plan.map((t) => [t.model_id, t]));
    expect(plan.filter((t) => t.action === 'delete').map((t) => [t.model_id, t.path])).toEqual([
      ['rel', '/srv/reg/artifacts/rel'],
      ['abs', '/data/abs'],
      ['file', '/data/file'],
      ['dup1', '/srv/reg/artifacts/dup'],
    ]);
    expect(by.s3.reason).toMatch(/s3:\/\//);
    expect(by.https.reason).toMatch(/https:\/\//);
    expect(by.none.reason).toMatch(/no model_path/);
    expect(by.escape.reason).toMatch(/leaves the registry root/);
    expect(by.root.reason).toMatch(/registry root/);
    expect(by.git.reason).toMatch(/\.git/);
    expect(by.parent.reason).toMatch(/directory containing it/);
    expect(by.fsroot.action).toBe('skip');
    expect(by.home.action).toBe('skip');
    expect(by.shared.reason).toMatch(/also used by k1 \(same path\)/);
    expect(by.insidekept.reason).toMatch(/also used by k2 \(overlapping path\)/);
    expect(by.dup2.reason).toMatch(/same path deleted for dup1/);
  });

  it('a removed directory that contains a kept artifact is not deleted', () => {
    const plan = planArtifactDeletion({ removed: [m('big', 'artifacts')], remaining: [m('k', 'artifacts/k')], root, gitDir });
    expect(plan[0]).toMatchObject({ action: 'skip', reason: expect.stringMatching(/also used by k/) });
  });
});
