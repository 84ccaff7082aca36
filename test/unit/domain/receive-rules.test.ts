// The server hook's own rules (domain/receive-rules.ts), without a server: which ref updates are
// refused outright or checked how, which commits may remove a model file, when forcing a
// promotion is refused, and how a refusal reads.
import { describe, expect, it } from 'vitest';
import type { PromotionCheck } from '../../../src/domain/gates.js';
import { branchTipsAfter, disallowedForcing, parseRefUpdates, refCheckOf, refusalLine, removedByCommit, strayDecisionTagProblem, unauthorisedRemovals } from '../../../src/domain/receive-rules.js';

const Z = '0'.repeat(40);
const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const config = { models_dir: 'models', stages: ['staging', 'production'], promotion: { production: { require_tested_on: ['production'], allow_force: false }, staging: {} } };

describe('parseRefUpdates', () => {
  it('reads the `old new ref` lines git gives a pre-receive hook, skipping what is not one', () => {
    expect(parseRefUpdates(`${Z} ${A} refs/heads/main\n\n${A} ${B} refs/tags/x\nnot a line\n`)).toEqual([
      { old: Z, new: A, ref: 'refs/heads/main' },
      { old: A, new: B, ref: 'refs/tags/x' },
    ]);
  });
});

describe('refCheckOf', () => {
  const check = (old: string, nu: string, ref: string, def: string | undefined = 'main') => refCheckOf({ old, new: nu, ref }, def);
  it('creates decision tags (on a branch\'s commit) but never moves or deletes them', () => {
    for (const family of ['stage/mscn/production/1', 'best/mscn/3', 'cleanup/mscn/2']) {
      expect(check(Z, A, `refs/tags/${family}`)).toEqual({ kind: 'decision-tag', new: A });
      expect(check(A, B, `refs/tags/${family}`)).toMatchObject({ kind: 'refuse', rule: 'decision-tag', message: expect.stringMatching(/never moved/) });
      expect(check(A, Z, `refs/tags/${family}`)).toMatchObject({ kind: 'refuse', rule: 'decision-tag', message: expect.stringMatching(/never deleted/) });
    }
    // other tags are not decisions
    expect(check(A, B, 'refs/tags/v1.0')).toEqual({ kind: 'accept' });
    expect(check(A, B, 'refs/tags/staged/x')).toEqual({ kind: 'accept' });
  });
  it('checks branch updates as ranges and new branches from the default branch; deletes all but the default branch', () => {
    expect(check(A, B, 'refs/heads/main')).toEqual({ kind: 'range', old: A, new: B });
    expect(check(Z, B, 'refs/heads/promote/x-production')).toEqual({ kind: 'new-branch', new: B });
    expect(check(A, Z, 'refs/heads/promote/x-production')).toEqual({ kind: 'accept' });
    expect(check(A, Z, 'refs/heads/main')).toMatchObject({ kind: 'refuse', rule: 'default-branch' });
    expect(check(A, Z, 'refs/heads/main', 'trunk')).toEqual({ kind: 'accept' });
    expect(refCheckOf({ old: A, new: Z, ref: 'refs/heads/main' }, undefined)).toEqual({ kind: 'accept' });
  });
  it('checks a queued write against its parent and lets drain delete it', () => {
    expect(check(Z, A, 'refs/modelgit/queue/20260101T000000000Z-op')).toEqual({ kind: 'queued', new: A });
    expect(check(A, Z, 'refs/modelgit/queue/20260101T000000000Z-op')).toEqual({ kind: 'accept' });
  });
  it('leaves refs modelgit does not know alone', () => {
    expect(check(A, B, 'refs/notes/commits')).toEqual({ kind: 'accept' });
  });
});

describe('decision tags on branches', () => {
  it('branchTipsAfter applies the push to the branches there were', () => {
    const C = 'c'.repeat(40);
    const existing = [
      { ref: 'refs/heads/main', target: A },
      { ref: 'refs/heads/old', target: C },
      { ref: 'refs/tags/x', target: C },
    ];
    const updates = [
      { old: A, new: B, ref: 'refs/heads/main' },
      { old: C, new: Z, ref: 'refs/heads/old' },
      { old: Z, new: C, ref: 'refs/heads/promote/x' },
      { old: Z, new: A, ref: 'refs/tags/stage/m/p/1' },
    ];
    expect(branchTipsAfter(existing, updates)).toEqual([B, C]);
  });
  it('strayDecisionTagProblem says which commit no branch holds', () => {
    expect(strayDecisionTagProblem({ old: Z, new: A, ref: 'refs/tags/best/mscn/2' }, B)).toEqual({ rule: 'decision-tag', message: expect.stringMatching(/^best\/mscn\/2 points at bbbbbbbbbb, which is on no branch/) });
    expect(strayDecisionTagProblem({ old: Z, new: A, ref: 'refs/tags/best/mscn/2' }, undefined).message).toMatch(/does not point at a commit/);
  });
});

describe('removedByCommit', () => {
  it('is what the commit removed against every parent (a merge keeps the removals its other side made)', () => {
    expect(removedByCommit([])).toEqual([]);
    expect(removedByCommit([['models/a/x.json']])).toEqual(['models/a/x.json']);
    expect(removedByCommit([['models/a/x.json', 'models/a/y.json'], ['models/a/y.json']])).toEqual(['models/a/y.json']);
    expect(removedByCommit([['models/a/x.json'], []])).toEqual([]);
  });
});

describe('unauthorisedRemovals', () => {
  const commit = 'c'.repeat(40);
  it('refuses a model removed by a commit that is not a cleanup', () => {
    const found = unauthorisedRemovals({ commit, action: 'test', modelIds: ['x'], removed: ['models/mscn/x.json'], added: [] }, config);
    expect(found).toEqual([expect.objectContaining({ file: 'models/mscn/x.json', rule: 'removed-by-cleanup', message: expect.stringMatching(/^commit cccccccccc removes model x, but it is not a cleanup commit/) })]);
    expect(unauthorisedRemovals({ commit, modelIds: [], removed: ['models/mscn/x.json'], added: [] }, config)).toHaveLength(1);
  });
  it('allows a cleanup to remove the models it names, and only those', () => {
    expect(unauthorisedRemovals({ commit, action: 'cleanup', modelIds: ['x', 'y'], removed: ['models/mscn/x.json', 'models/mscn/y.json'], added: [] }, config)).toEqual([]);
    const found = unauthorisedRemovals({ commit, action: 'cleanup', modelIds: ['x'], removed: ['models/mscn/x.json', 'models/mscn/y.json'], added: [] }, config);
    expect(found).toEqual([expect.objectContaining({ file: 'models/mscn/y.json', message: expect.stringMatching(/without naming it in a Model-Id trailer/) })]);
  });
  it('is not about files that are not models, nor a model moved within the commit', () => {
    expect(unauthorisedRemovals({ commit, modelIds: [], removed: ['models/.gitkeep', 'models/README.md', 'docs/x.json'], added: [] }, config)).toEqual([]);
    expect(unauthorisedRemovals({ commit, modelIds: [], removed: ['models/mscn/x.json'], added: ['models/other/x.json'] }, config)).toEqual([]);
  });
});

describe('disallowedForcing', () => {
  const failed = { ok: false, results: [], failed: [{ gate: 'require_tested_on' as const, ok: false, detail: 'no test result on production' }] };
  const promote = (stage: string, forced: boolean, extra: Partial<PromotionCheck> = {}): PromotionCheck => ({
    change: { action: 'promote', algorithm: 'mscn', stage, model_id: 'x', previous: null },
    evaluation: failed,
    forced,
    ...extra,
  });
  it('refuses a promotion forced past a failed gate where allow_force is false', () => {
    expect(disallowedForcing([promote('production', true)], config)).toEqual([
      { pointer: '/mscn/production', algorithm: 'mscn', stage: 'production', rule: 'allow-force', message: 'promoting x to mscn/production was forced past require_tested_on (no test result on production), and promotion.production.allow_force is false' },
    ]);
  });
  it('lets force through where the config allows it, and is not about unforced or passing promotions', () => {
    expect(disallowedForcing([promote('staging', true)], config)).toEqual([]);
    expect(disallowedForcing([promote('production', false)], config)).toEqual([]);
    expect(disallowedForcing([promote('production', true, { evaluation: { ok: true, results: [], failed: [] } })], config)).toEqual([]);
  });
  it('refuses forcing onto a stage the config does not have, whatever allow_force says', () => {
    expect(disallowedForcing([promote('canary', true, { evaluation: undefined, problem: 'stage canary is not one of the configured stages' })], config)).toMatchObject([{ rule: 'promotion-target' }]);
    expect(disallowedForcing([promote('production', true, { evaluation: undefined, problem: 'x is not a registered model' })], config)).toEqual([]);
  });
});

describe('refusalLine', () => {
  it('names the ref, the place, the pointer, the message and the rule on one line', () => {
    expect(refusalLine('refs/heads/main', { file: 'models/mscn/x.json', line: 12, column: 5, pointer: '/testing/0/performance/total_time', rule: 'append-only', message: 'changed\n from 1 to 2' })).toBe(
      'modelgit: refused refs/heads/main: models/mscn/x.json:12:5: /testing/0/performance/total_time: changed from 1 to 2 [append-only]',
    );
    expect(refusalLine('refs/tags/stage/a/b/1', { rule: 'decision-tag', message: 'never moved' })).toBe('modelgit: refused refs/tags/stage/a/b/1: never moved [decision-tag]');
  });
});
