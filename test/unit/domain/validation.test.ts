import { describe, expect, it } from 'vitest';
import {
  classifyPath,
  danglingStages,
  duplicateIds,
  finishReport,
  idClashes,
  parseRawDiff,
  reportFormatOf,
  stagedModelPaths,
  summaryLine,
  validateModeOf,
} from '../../../src/domain/validation.js';
import { changeProblems, firstDifference } from '../../../src/domain/integrity.js';
import type { ModelMetadata } from '../../../src/domain/types.js';

const cfg = { models_dir: 'models' };

describe('classifyPath', () => {
  it('knows the config, the stages file and model files', () => {
    expect(classifyPath(cfg, 'modelgit.yaml')).toEqual({ kind: 'config' });
    expect(classifyPath(cfg, 'stages.yaml')).toEqual({ kind: 'stages' });
    expect(classifyPath(cfg, 'models/mscn/mscn_1.json')).toEqual({ kind: 'model', algorithm: 'mscn', id: 'mscn_1', problems: [] });
  });

  it('ignores files outside the models directory and housekeeping files inside it', () => {
    for (const p of ['README.md', 'src/models/x.json', 'modelsx/a/b.json', 'models/.gitkeep', 'models/mscn/.gitkeep', 'models/README.md']) {
      expect(classifyPath(cfg, p)).toEqual({ kind: 'other' });
    }
  });

  it.each([
    ['models/x.json', /not directly in models\//],
    ['models/mscn/sub/x.json', /1 directory too deep/],
    ['models/a/b/c/x.json', /2 directories too deep/],
    ['models/mscn/x.yaml', /"x.yaml" does not end in .json/],
    ['models/mscn/x.JSON', /does not end in .json/],
    ['models/mscn/.gitkeep/x', /too deep/],
  ])('reports %s as misplaced', (path, reason) => {
    const k = classifyPath(cfg, path);
    expect(k.kind).toBe('misplaced');
    expect(k.kind === 'misplaced' && k.reason).toMatch(reason);
  });

  it('flags unsafe directory and file names on a model path', () => {
    const k = classifyPath(cfg, 'models/MSCN/Bad Name.json');
    expect(k.kind).toBe('model');
    if (k.kind !== 'model') return;
    expect(k.problems).toHaveLength(2);
    expect(k.problems[0]).toMatch(/directory: algorithm "MSCN" is not a safe name/);
    expect(k.problems[1]).toMatch(/file name: model id "Bad Name" is not a safe name/);
  });

  it('follows the configured models directory', () => {
    expect(classifyPath({ models_dir: 'registry' }, 'registry/a/b.json').kind).toBe('model');
    expect(classifyPath({ models_dir: 'registry' }, 'models/a/b.json').kind).toBe('other');
  });
});

describe('parseRawDiff', () => {
  const z = (n: string) => n.repeat(40);
  const line = (a: string, b: string, o1: string, o2: string, st: string, path: string) => `:${a} ${b} ${o1} ${o2} ${st}\0${path}\0`;
  it('reads -z --raw output with blob ids, leaving out the all-zero ones', () => {
    const out =
      line('000000', '100644', z('0'), z('a'), 'A', 'models/a/x.json') +
      line('100644', '100644', z('b'), z('0'), 'M', 'stages.yaml') +
      line('100644', '000000', z('c'), z('0'), 'D', 'models/a/y.json') +
      line('100644', '120000', z('d'), z('e'), 'T', 'models/a/z.json') +
      line('000000', '000000', z('0'), z('0'), 'U', 'modelgit.yaml');
    expect(parseRawDiff(out)).toEqual([
      { path: 'models/a/x.json', status: 'A', mode: '100644', oid: z('a') },
      { path: 'stages.yaml', status: 'M', mode: '100644', baseOid: z('b') },
      { path: 'models/a/y.json', status: 'D', baseOid: z('c') },
      { path: 'models/a/z.json', status: 'M', mode: '120000', oid: z('e'), baseOid: z('d') },
      { path: 'modelgit.yaml', status: 'M' },
    ]);
  });

  it('keeps paths with spaces, tabs and newlines intact', () => {
    expect(parseRawDiff(line('000000', '100644', z('0'), z('1'), 'A', 'models/a/we ird\tna\nme.json'))[0]!.path).toBe('models/a/we ird\tna\nme.json');
  });

  it('reads nothing from empty output', () => {
    expect(parseRawDiff('')).toEqual([]);
  });
});

describe('duplicateIds', () => {
  it('finds one id under two algorithms and ignores non-model paths', () => {
    const d = duplicateIds(cfg, ['models/b/x.json', 'models/a/x.json', 'models/a/y.json', 'models/x.json', 'stages.yaml']);
    expect([...d]).toEqual([['x', ['models/a/x.json', 'models/b/x.json']]]);
  });
});

describe('idClashes', () => {
  it('keeps only ids named more than once, paths sorted, skipping non-models', () => {
    const d = idClashes([
      ['x', 'models/c/x.json'],
      ['y', 'models/a/y.json'],
      [undefined, 'models/x.json'],
      ['x', 'models/a/x.json'],
      ['x', 'models/b/x.json'],
    ]);
    expect([...d]).toEqual([['x', ['models/a/x.json', 'models/b/x.json', 'models/c/x.json']]]);
    expect(idClashes([]).size).toBe(0);
  });
});

describe('stages', () => {
  const stages = { mscn: { production: 'm1', staging: 'm2' }, lero: { production: 'l1' } };
  it('lists the model files the assignments point at', () => {
    expect(stagedModelPaths(cfg, stages)).toEqual(['models/mscn/m1.json', 'models/mscn/m2.json', 'models/lero/l1.json']);
  });
  it('reports each assignment whose model file is missing, with its pointer', () => {
    const have = new Set(['models/mscn/m1.json', 'models/mscn/l1.json']);
    const p = danglingStages(cfg, stages, (x) => have.has(x));
    expect(p.map((x) => x.pointer)).toEqual(['/mscn/staging', '/lero/production']);
    expect(p[1]!.message).toBe('lero production is assigned to l1, but there is no models/lero/l1.json');
    expect(p.every((x) => x.rule === 'stage-model-exists')).toBe(true);
  });
  it('accepts an empty stages document', () => {
    expect(danglingStages(cfg, {}, () => false)).toEqual([]);
  });
});

describe('flags', () => {
  it('picks one mode and refuses two', () => {
    expect(validateModeOf({})).toBe('worktree');
    expect(validateModeOf({ staged: true })).toBe('staged');
    expect(validateModeOf({ all: true })).toBe('all');
    expect(validateModeOf({ since: 'main' })).toBe('since');
    expect(() => validateModeOf({ staged: true, since: 'x' })).toThrow(/one of --staged, --all, --since \(got --staged and --since\)/);
    expect(() => validateModeOf({ since: ' ' })).toThrow(/needs a revision/);
  });
  it('treats --json as --format json and refuses a contradiction', () => {
    expect(reportFormatOf({})).toBe('text');
    expect(reportFormatOf({ json: true })).toBe('json');
    expect(reportFormatOf({ format: 'github' })).toBe('github');
    expect(reportFormatOf({ json: true, format: 'json' })).toBe('json');
    expect(() => reportFormatOf({ json: true, format: 'github' })).toThrow(/disagree/);
  });
});

describe('finishReport', () => {
  const e = (file: string, line: number, column = 1) => ({ file, line, column, pointer: '', rule: 'r', message: 'm' });
  it('sorts errors, drops exact repeats and counts distinct files', () => {
    const r = finishReport('staged', ['b', 'a', 'b'], [e('b', 2), e('a', 9), e('b', 1, 5), e('b', 2)]);
    expect(r.errors.map((x) => `${x.file}:${x.line}`)).toEqual(['a:9', 'b:1', 'b:2']);
    expect(r.checked).toBe(2);
    expect(r.ok).toBe(false);
    expect(summaryLine(r)).toBe('modelgit validate: 3 errors in 2 files (2 files checked, staged)');
  });
  it('says ok with the count when nothing is wrong', () => {
    expect(summaryLine(finishReport('all', ['x'], []))).toBe('ok: 1 file checked (all files)');
    expect(summaryLine(finishReport('since', [], [], 'abcdef0123456789'))).toBe('ok: 0 files checked (since abcdef012345)');
  });
});

describe('changeProblems', () => {
  const base: ModelMetadata = {
    schema_version: 2, model_id: 'm', algorithm: 'a', created_at: '2024-01-01T00:00:00Z',
    training: { dataset: 'p', hyperparams: { lr: 0.1 } },
    testing: [{ dataset: 'p', performance: { total_time: 4 } }], tags: [],
  };
  it('allows appending results, tags and notes', () => {
    expect(changeProblems(base, { ...base, tags: ['x'], notes: 'n', testing: [...base.testing, { dataset: 'q', performance: { total_time: 1 } }] })).toEqual([]);
  });
  it('points at the edited number of a recorded result', () => {
    const p = changeProblems(base, { ...base, testing: [{ dataset: 'p', performance: { total_time: 3 } }] });
    expect(p).toEqual([{ pointer: '/testing/0/performance/total_time', rule: 'append-only', message: '"testing" is append-only: the recorded result #0 (p) was changed from 4 to 3' }]);
  });
  it('refuses a removed result and a changed hyperparameter', () => {
    const p = changeProblems(base, { ...base, testing: [], training: { dataset: 'p', hyperparams: { lr: 0.2 } } });
    expect(p.map((x) => [x.pointer, x.rule])).toEqual([
      ['/training/hyperparams/lr', 'immutable'],
      ['/testing', 'append-only'],
    ]);
  });
  it('lets migration add created_at to a version 1 file, and nothing else', () => {
    const v1 = { ...base, schema_version: undefined, created_at: undefined } as ModelMetadata;
    expect(changeProblems(v1, { ...v1, schema_version: 2, created_at: '2024-01-01T00:00:00Z' })).toEqual([]);
    expect(changeProblems(base, { ...base, created_at: '2025-01-01T00:00:00Z' })[0]!.pointer).toBe('/created_at');
  });
});

describe('firstDifference', () => {
  it('finds the deepest differing place, including removed keys and type changes', () => {
    expect(firstDifference({ a: { b: 1 } }, { a: { b: 1 } })).toBeUndefined();
    expect(firstDifference({ a: { b: 1, c: 2 } }, { a: { b: 1 } })).toEqual({ pointer: '/a/c', was: 2, now: undefined });
    expect(firstDifference({ a: [1, 2] }, { a: [1, 2, 3] })).toEqual({ pointer: '/a/2', was: undefined, now: 3 });
    expect(firstDifference({ a: [1] }, { a: { 0: 1 } })).toEqual({ pointer: '/a', was: [1], now: { 0: 1 } });
    expect(firstDifference({ 'x/y': 1 }, { 'x/y': 2 })).toEqual({ pointer: '/x~1y', was: 1, now: 2 });
  });
});

describe('pathProblems', async () => {
  const { pathProblems } = await import('../../../src/domain/integrity.js');
  it('compares id and algorithm with the path, leaving missing fields to the schema', () => {
    expect(pathProblems({ model_id: 'a', algorithm: 'x' }, { id: 'a', algorithm: 'x' })).toEqual([]);
    expect(pathProblems({ model_id: 'b', algorithm: 'y' }, { id: 'a', algorithm: 'x' }).map((p) => p.rule)).toEqual(['id-matches-file', 'algorithm-matches-directory']);
    expect(pathProblems({} as any, { id: 'a', algorithm: 'x' })).toEqual([]);
  });
});
