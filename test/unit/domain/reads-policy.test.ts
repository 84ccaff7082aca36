// The pure rules behind issue 12 items 1, 5 and 7: which unreadable files an answer depends on,
// where a broken file broke, one aggregate per metric, and the per-dataset results view.
import { describe, expect, it } from 'vitest';
import { buildComparison } from '../../../src/domain/comparison.js';
import { DEFAULT_CONFIG, DEFAULT_CONFIG_TEXT } from '../../../src/domain/config.js';
import { problemOfId, problemsInScope } from '../../../src/domain/invalid-files.js';
import { resultsOf, resultsView, sortListing } from '../../../src/domain/listing.js';
import { metricAggregate } from '../../../src/domain/metrics.js';
import { parseModelBlob } from '../../../src/store/model-file.js';
import { compileSchema } from '../../../src/schema/validator.js';
import type { ErrorLocation } from '../../../src/errors.js';
import { model, result } from './fixtures.js';

const problem = (file: string): ErrorLocation => ({ file, line: 1, column: 1, pointer: '', rule: 'json-syntax', message: 'x' });

describe('problemsInScope', () => {
  const ps = [problem('models/mscn/a.json'), problem('models/lero/b.json'), problem('elsewhere/c.json')];
  it('every problem for a query over all models', () => expect(problemsInScope(ps, 'models', { kind: 'all' })).toEqual(ps));
  it("an algorithm's directory, and a file whose algorithm the path doesn't tell", () => {
    expect(problemsInScope(ps, 'models', { kind: 'algorithm', algorithm: 'mscn' }).map((p) => p.file)).toEqual(['models/mscn/a.json', 'elsewhere/c.json']);
    expect(problemsInScope(ps, 'models', { kind: 'algorithm', algorithm: 'bao' }).map((p) => p.file)).toEqual(['elsewhere/c.json']);
  });
  it('a file naming another algorithm than its directory counts for every algorithm; a wrong id only for its own', () => {
    const moved = { ...problem('models/lero/x.json'), rule: 'id-matches-path', pointer: '/algorithm' };
    const renamed = { ...problem('models/lero/y.json'), rule: 'id-matches-path', pointer: '/model_id' };
    expect(problemsInScope([moved, renamed], 'models', { kind: 'algorithm', algorithm: 'mscn' })).toEqual([moved]);
    expect(problemsInScope([moved, renamed], 'models', { kind: 'algorithm', algorithm: 'lero' })).toEqual([moved, renamed]);
  });
  it('only the files named after the ids asked for', () => {
    expect(problemsInScope(ps, 'models', { kind: 'ids', ids: ['b', 'zz'] }).map((p) => p.file)).toEqual(['models/lero/b.json']);
    expect(problemOfId(ps, 'models', 'a')?.file).toBe('models/mscn/a.json');
    expect(problemOfId(ps, 'models', 'c')).toBeUndefined();
  });
});

describe('parseModelBlob locates what is wrong', () => {
  const cfg = { models_dir: 'models' };
  it('a syntax error at its line and column', () => {
    const text = '{\n  "model_id": "a",\n  "algorithm": "mscn",,\n  "testing": []\n}\n';
    expect(parseModelBlob('models/mscn/a.json', text, cfg).problem).toMatchObject({ line: 3, column: 23, rule: 'json-syntax' });
  });
  it('a file cut short at its end', () => {
    expect(parseModelBlob('models/mscn/a.json', '{\n  "model_id": "a"', cfg).problem).toMatchObject({ line: 2, column: 18, rule: 'json-syntax' });
  });
  it('an id or algorithm that does not match the path at its key', () => {
    const text = '{\n  "algorithm": "mscn",\n    "model_id": "b"\n}';
    expect(parseModelBlob('models/mscn/a.json', text, cfg).problem).toMatchObject({ line: 3, column: 5, pointer: '/model_id', rule: 'id-matches-path' });
    expect(parseModelBlob('models/lero/b.json', text, cfg).problem).toMatchObject({ line: 2, column: 3, pointer: '/algorithm', rule: 'id-matches-path' });
  });
  it('limits before anything else, whether the text parses or not; then the encoding; then the syntax', () => {
    const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const model = (extra: string) => `{"model_id": "a", "algorithm": "mscn", "testing": [],\n "x": ${extra}}`;
    expect(parseModelBlob('models/mscn/a.json', model(nest(63)), cfg).model).toBeDefined(); // 64 levels with the file's own
    expect(parseModelBlob('models/mscn/a.json', model(nest(64)), cfg).problem).toMatchObject({ line: 2, column: 70, rule: 'max-depth' });
    expect(parseModelBlob('models/mscn/a.json', model(nest(64)) + ',', cfg).problem).toMatchObject({ line: 2, column: 70, rule: 'max-depth' });
    expect(parseModelBlob('models/mscn/a.json', model(`"${'é'.repeat(600_000)}"`), cfg).problem).toMatchObject({ rule: 'max-file-size' });
    expect(parseModelBlob('models/mscn/a.json', model('"\ufffd"'), cfg).problem).toMatchObject({ rule: 'encoding' });
    expect(parseModelBlob('models/mscn/a.json', model('"\ufffd"') + ',', cfg).problem).toMatchObject({ rule: 'encoding' });
    expect(parseModelBlob('models/mscn/a.json', 'null', cfg).problem).toMatchObject({ rule: 'required' });
  });
});

describe('metricAggregate', () => {
  it('the flag, else the metric setting, else latest', () => {
    const config = { metrics: { total_time: { direction: 'min' as const, aggregate: 'best' as const }, accuracy: { direction: 'max' as const } } };
    expect(metricAggregate(config, 'total_time')).toBe('best');
    expect(metricAggregate(config, 'total_time', 'mean')).toBe('mean');
    expect(metricAggregate(config, 'accuracy')).toBe('latest');
    expect(metricAggregate(undefined, 'x')).toBe('latest');
  });
  it('init writes it for every metric it writes, and the config schema takes it (and nothing else)', () => {
    for (const [name, m] of Object.entries(DEFAULT_CONFIG.metrics)) {
      expect(m.aggregate, name).toBe('latest');
      expect(DEFAULT_CONFIG_TEXT).toMatch(new RegExp(`^  ${name}:\\s+\\{ direction: (min|max), aggregate: latest \\}`, 'm'));
    }
    const validate = compileSchema('config');
    expect(validate({ schema_version: 1, metrics: { t: { direction: 'min', aggregate: 'mean' } } })).toBe(true);
    expect(validate({ schema_version: 1, metrics: { t: { direction: 'min', aggregate: 'median' } } })).toBe(false);
  });
});

describe('aggregates in rankings and views', () => {
  // a: 50 then 60 (latest 60, best 50, mean 55); b: 54
  const a = model('a', { created_at: '2024-01-01T00:00:00Z', testing: [result('prod', { t: 50 }), result('prod', { t: 60 }), result('job', { t: 7 })] });
  const b = model('b', { created_at: '2024-01-02T00:00:00Z', testing: [result('prod', { t: 54 })] });
  const order = (aggregate: 'latest' | 'best' | 'mean') =>
    sortListing([a, b], { by: 'metric', metric: 't', dataset: 'prod', direction: 'min', aggregate }).map((e) => `${e.model.metadata.model_id}=${e.score?.value}`);
  it('list --sort ranks by the aggregate', () => {
    expect(order('latest')).toEqual(['b=54', 'a=60']);
    expect(order('best')).toEqual(['a=50', 'b=54']);
    expect(order('mean')).toEqual(['b=54', 'a=55']);
  });
  it('compare shows each metric by its aggregate, and says which', () => {
    const config = { metrics: { t: { direction: 'min' as const, aggregate: 'best' as const } } };
    const c = buildComparison([a, b], { config, datasets: ['prod'] });
    expect(c.rows.map((r) => r.results.prod?.t)).toEqual([50, 54]);
    expect(c.columns[0]).toMatchObject({ aggregate: 'best', best_model_ids: ['a'] });
    expect(c.aggregate).toBe('best');
    expect(buildComparison([a, b], { config, datasets: ['prod'], aggregate: 'mean' }).rows.map((r) => r.results.prod?.t)).toEqual([55, 54]);
    // best needs a direction: without one the latest is shown, with a note
    const blind = buildComparison([a, b], { config: { metrics: { t: { aggregate: 'best' } as never } }, datasets: ['prod'] });
    expect(blind.columns[0]!.aggregate).toBe('latest');
    expect(blind.notes.join('\n')).toMatch(/t: the latest result is shown, not the best/);
  });
  it('--results: one column per dataset with the metric, each model scored by the aggregate', () => {
    const view = resultsView([a, b], { metric: 't', aggregate: 'mean', direction: 'min' });
    expect(view.datasets).toEqual(['job', 'prod']);
    expect(Object.fromEntries([...resultsOf(a, view)].map(([d, s]) => [d, s.value]))).toEqual({ job: 7, prod: 55 });
    expect([...resultsOf(b, view).keys()]).toEqual(['prod']);
    expect(resultsView([a, b], { metric: 't', aggregate: 'latest', only: 'prod' }).datasets).toEqual(['prod']);
  });
});
