import { describe, expect, it } from 'vitest';
import { firstParentLine, parseRawLog, RAW_LOG_ARGS } from '../../../src/git/raw-log.js';
import { metricAggregate, metricDirection } from '../../../src/domain/metrics.js';
import { rankModels, scoreOf, selectBest } from '../../../src/domain/selection.js';
import type { Model, ModelMetadata, RegistryConfig } from '../../../src/domain/types.js';
import { bestOverTime, summarize, type StateCommit } from '../../../src/report/best-over-time.js';
import { esc, fileSlug, fmtBytes, fmtNum, safeJson, table } from '../../../src/report/html.js';
import { algorithmSummary, bestOf, compareData, leaderboard, resultsByDataset, standings, summarizeAlgorithm } from '../../../src/report/tables.js';
import { promotionTimeline, stageTenures, type StageTag } from '../../../src/report/timeline.js';
import type { ScannedCommit } from '../../../src/git/raw-log.js';

const config = { metrics: { total_time: { direction: 'min' as const }, accuracy: { direction: 'max' as const } }, default_metric: 'total_time' };
const dir = (m: string) => metricDirection(config, m);

function meta(id: string, results: [string, Record<string, number>][], extra: Partial<ModelMetadata> = {}): ModelMetadata {
  return {
    model_id: id,
    algorithm: 'mscn',
    created_at: `2024-10-01T00:00:${id.slice(-2).padStart(2, '0')}Z`,
    testing: results.map(([dataset, performance]) => ({ dataset, performance })),
    tags: [],
    ...extra,
  };
}

let n = 0;
const commit = (changes: StateCommit['changes']): StateCommit => ({ commit: `c${++n}`, date: `2024-10-${String(n).padStart(2, '0')}`, time: n, changes });
const put = (m: ModelMetadata) => ({ path: `models/${m.algorithm}/${m.model_id}.json`, meta: m });
const drop = (id: string, algorithm = 'mscn') => ({ path: `models/${algorithm}/${id}.json`, meta: null });

describe('bestOverTime', () => {
  it('steps only when the best model or its value changes', () => {
    const commits = [
      commit([put(meta('a01', [['p', { total_time: 10 }]]))]),
      commit([put(meta('b02', [['p', { total_time: 8 }]]))]), // b leads
      commit([put(meta('a01', [['p', { total_time: 10 }], ['p', { total_time: 12 }]]))]), // a worse: no step
      commit([put(meta('b02', [['p', { total_time: 8 }], ['p', { total_time: 9 }]]))]), // b worse but still best: step (value)
      commit([put(meta('c03', [['q', { total_time: 1 }]]))]), // another dataset: no step on p
      commit([drop('b02')]), // best removed: a takes over
      commit([drop('a01')]), // nobody left
    ];
    const { series } = bestOverTime(commits, dir);
    const p = series.find((s) => s.dataset === 'p')!;
    expect(p.steps.map((s) => [s.commit, s.model_id, s.value])).toEqual([
      [commits[0]!.commit, 'a01', 10],
      [commits[1]!.commit, 'b02', 8],
      [commits[3]!.commit, 'b02', 9],
      [commits[5]!.commit, 'a01', 12],
      [commits[6]!.commit, null, null],
    ]);
    expect(series.find((s) => s.dataset === 'q')!.steps).toHaveLength(1);
  });

  it('respects the direction, keeps the incumbent on a tie, and names metrics it cannot rank', () => {
    const commits = [
      commit([put(meta('a01', [['p', { accuracy: 0.8, weird: 1 }]]))]),
      commit([put(meta('b02', [['p', { accuracy: 0.8 }]]))]), // tie: created later, no step
      commit([put(meta('c03', [['p', { accuracy: 0.9 }]]))]),
    ];
    const r = bestOverTime(commits, dir);
    expect(r.series.map((s) => [s.metric, s.steps.map((x) => x.model_id)])).toEqual([['accuracy', ['a01', 'c03']]]);
    expect(r.unknownDirection).toEqual([{ algorithm: 'mscn', dataset: 'p', metric: 'weird' }]);
  });

  it('keeps to one algorithm when asked', () => {
    const other = meta('z09', [['p', { total_time: 1 }]], { algorithm: 'lero' });
    const r = bestOverTime([commit([put(other), put(meta('a01', [['p', { total_time: 5 }]]))])], dir, { algorithm: 'mscn' });
    expect(r.series.map((s) => s.algorithm)).toEqual(['mscn']);
  });

  it("summarize scores each (dataset, metric) as scoreOf does (the latest finite value), in one pass", () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const values = [1, 2.5, NaN, Infinity, 'x', null, -3];
    for (let round = 0; round < 300; round++) {
      const testing: unknown[] = [];
      for (let k = Math.floor(rand() * 6); k > 0; k--) {
        const perf: Record<string, unknown> = {};
        for (const m of ['total_time', 'accuracy', 'q']) if (rand() < 0.6) perf[m] = values[Math.floor(rand() * values.length)];
        testing.push(rand() < 0.1 ? { note: 'not a result' } : { dataset: rand() < 0.5 ? 'p' : 'q', performance: perf });
      }
      const m = meta('m01', []);
      m.testing = testing as ModelMetadata['testing'];
      const expected: [string, string, number][] = [];
      const pairs = new Set<string>();
      for (const r of testing as { dataset?: string; performance?: Record<string, unknown> }[]) if (r.dataset) for (const k of Object.keys(r.performance ?? {})) pairs.add(`${r.dataset}\0${k}`);
      for (const pair of pairs) {
        const [dataset, metric] = pair.split('\0') as [string, string];
        const s = scoreOf(m, { dataset, metric, direction: 'min' });
        if (s) expected.push([dataset, metric, s.value]);
      }
      expect(summarize(m).scores).toEqual(expected);
    }
  });

  it('agrees with selectBest on the full state after every commit (random histories)', () => {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 25; round++) {
      const state = new Map<string, ModelMetadata>();
      const commits: StateCommit[] = [];
      const expected: Record<string, [string | null, number | null][]> = {};
      for (let i = 0; i < 60; i++) {
        const changes: StateCommit['changes'] = [];
        const touched = new Set<string>();
        for (let k = 0; k < 1 + Math.floor(rand() * 3); k++) {
          const id = `m${String(Math.floor(rand() * 12)).padStart(2, '0')}`;
          if (touched.has(id)) continue; // git reports one change per file per commit
          touched.add(id);
          const old = state.get(id);
          if (old && rand() < 0.15) {
            state.delete(id);
            changes.push(drop(id));
          } else {
            const ds = rand() < 0.7 ? 'p' : 'q';
            const perf: Record<string, number> = { total_time: Math.floor(rand() * 20) };
            if (rand() < 0.5) perf.accuracy = Math.floor(rand() * 10) / 10;
            const m = meta(id, [...(old?.testing ?? []).map((t) => [t.dataset, t.performance] as [string, Record<string, number>]), [ds, perf]]);
            state.set(id, m);
            changes.push(put(m));
          }
        }
        commits.push(commit(changes));
        const models: Model[] = [...state.values()].map((m) => ({ path: '', metadata: m }));
        for (const ds of ['p', 'q']) {
          for (const metric of ['total_time', 'accuracy']) {
            const key = `${ds}/${metric}`;
            const pick = selectBest(models, { dataset: ds, metric, direction: dir(metric)! });
            const now: [string | null, number | null] = [pick?.best.model.metadata.model_id ?? null, pick?.best.score.value ?? null];
            const list = (expected[key] ??= []);
            const last = list[list.length - 1];
            if (last ? last[0] !== now[0] || last[1] !== now[1] : now[0] !== null) list.push(now);
          }
        }
      }
      const actual: Record<string, [string | null, number | null][]> = {};
      for (const s of bestOverTime(commits, dir).series) actual[`${s.dataset}/${s.metric}`] = s.steps.map((x) => [x.model_id, x.value]);
      for (const k of Object.keys(expected)) if (expected[k]!.length === 0) delete expected[k];
      expect(actual).toEqual(expected);

      // from where a walk over the first k commits stopped (the report state) on to the end: the same
      const whole = bestOverTime(commits, dir);
      for (const k of [0, 1, Math.floor(rand() * 60), 59, 60]) {
        const before = bestOverTime(commits.slice(0, k), dir);
        const files = new Map<string, ReturnType<typeof summarize>>();
        for (const c of commits.slice(0, k)) for (const ch of c.changes) {
          if ('meta' in ch && ch.meta) files.set(ch.path, summarize(ch.meta));
          else files.delete(ch.path);
        }
        const resumed = bestOverTime(commits.slice(k), dir, { start: { series: before.series, unknownDirection: before.unknownDirection, files } });
        expect(resumed).toEqual(whole);
      }
    }
  });
});

describe('parseRawLog', () => {
  it('reads commits, trailers and changed blobs; the format asks git for what it parses', () => {
    const z = '0'.repeat(40);
    const a = 'a'.repeat(40);
    const text =
      `\x1e${'1'.repeat(40)}\x1f\x1fAnn\x1fann@x\x1f2024-10-01T10:00:00+00:00\x1f1727776800\x1fregister m1\x1fModel-Action: register\nModel-Id: m1\n\x1f\n\n` +
      `:000000 100644 ${z} ${a} A\tmodels/mscn/m1.json\n` +
      `\x1e${'2'.repeat(40)}\x1f${'1'.repeat(40)}\x1fBob\x1fbob@x\x1f2024-10-02T10:00:00+00:00\x1f1727863200\x1fcleanup\x1fbody text\n\nModel-Action: cleanup\nModel-Id: m1\nModel-Id: m2\n\x1f\n\n` +
      `:100644 000000 ${a} ${z} D\tmodels/mscn/m1.json\n:100644 100644 ${a} ${'b'.repeat(40)} M\tstages.yaml\n`;
    const commits = parseRawLog(text);
    expect(commits).toHaveLength(2);
    expect(commits[0]).toMatchObject({ parents: [], author: 'Ann', time: 1727776800, subject: 'register m1', trailers: { 'Model-Action': ['register'], 'Model-Id': ['m1'] } });
    expect(commits[0]!.changes).toEqual([{ status: 'A', oid: a, path: 'models/mscn/m1.json' }]);
    expect(commits[1]!.trailers['Model-Id']).toEqual(['m1', 'm2']);
    expect(commits[1]!.changes.map((c) => [c.status, c.path])).toEqual([['D', 'models/mscn/m1.json'], ['M', 'stages.yaml']]);
    expect(firstParentLine(commits, '2'.repeat(40))).toEqual(new Set(['2'.repeat(40), '1'.repeat(40)]));
    expect(RAW_LOG_ARGS).toEqual(expect.arrayContaining(['--raw', '--root', '--no-abbrev', '--diff-merges=first-parent', '--reverse']));
  });
});

describe('promotion timeline and tenures', () => {
  const c = (id: string, date: string, trailers: Record<string, string[]>, subject = 's'): ScannedCommit => ({
    commit: id, parents: [], author: 'a', authorEmail: 'a@x', date, time: Date.parse(date) / 1000, subject, trailers, changes: [],
  });
  const tag = (ref: string, target: string, date: string, body: string): StageTag => ({ ref: `refs/tags/${ref}`, target, taggerDate: date, contents: body });

  it('joins commits and tags, keeps tag-only promotions, and ends tenures', () => {
    const commits = [
      c('c1', '2024-10-01T10:00:00Z', { 'Model-Action': ['promote'], 'Model-Id': ['m1'], Stage: ['production'], 'Previous-Model-Id': ['none'] }),
      c('c2', '2024-10-03T10:00:00Z', { 'Model-Action': ['promote'], 'Model-Id': ['m2'], Stage: ['production'], 'Previous-Model-Id': ['m1'] }),
      c('c3', '2024-10-04T10:00:00Z', { 'Model-Action': ['demote'], 'Model-Id': ['m3'], Stage: ['staging'] }),
      c('c4', '2024-10-05T10:00:00Z', { 'Model-Action': ['register'], 'Model-Id': ['m4'] }),
    ];
    const tags = [
      tag('stage/mscn/production/1', 'c1', '2024-10-01T10:00:01Z', 'm1 → production\n\nModel-Id: m1\n'),
      tag('stage/mscn/staging/1', 'elsewhere', '2024-10-02T10:00:00+02:00', 'm3 → staging\n\nModel-Id: m3\nPrevious-Model-Id: none\n'),
      tag('stage/mscn/production/2', 'c2', '2024-10-03T10:00:01Z', 'm2 → production\n\nModel-Id: m2\nPrevious-Model-Id: m1\n'),
    ];
    const algo = (id: string) => (id.startsWith('m') ? 'mscn' : undefined);
    const t = promotionTimeline(commits, tags, algo);
    expect(t.map((e) => [e.action, e.stage, e.model_id, e.previous, e.commit, e.tag])).toEqual([
      ['promote', 'production', 'm1', null, 'c1', 'stage/mscn/production/1'],
      ['promote', 'staging', 'm3', null, 'elsewhere', 'stage/mscn/staging/1'],
      ['promote', 'production', 'm2', 'm1', 'c2', 'stage/mscn/production/2'],
      ['demote', 'staging', 'm3', null, 'c3', null],
    ]);
    const tenures = stageTenures(t, { mscn: { production: 'm2', staging: 'm9' } });
    expect(tenures.get('m1')).toEqual([{ algorithm: 'mscn', stage: 'production', from: '2024-10-01T10:00:00Z', to: '2024-10-03T10:00:00Z', current: false, tag: 'stage/mscn/production/1' }]);
    expect(tenures.get('m2')![0]).toMatchObject({ current: true, to: null });
    expect(tenures.get('m3')![0]).toMatchObject({ from: '2024-10-02T10:00:00+02:00', to: '2024-10-04T10:00:00Z', current: false });
    // stages.yaml names a holder no promotion recorded (a hand edit): still shown, start unknown
    expect(tenures.get('m9')).toEqual([{ algorithm: 'mscn', stage: 'staging', from: null, to: null, current: true, tag: null }]);
  });
});

describe('leaderboard', () => {
  it('scores with the latest result, counts partial metrics, names the best per metric', () => {
    const models: Model[] = [
      meta('a01', [['p', { total_time: 5, accuracy: 0.7 }], ['p', { total_time: 9 }]], { training: { dataset: 'stats', training_time: 10, hyperparams: { lr: 0.1, opt: 'adam' } }, tags: ['x'] }),
      meta('b02', [['p', { total_time: 7 }]]),
      meta('c03', [['q', { total_time: 1 }]]),
      meta('d04', [['p', { total_time: 1 }]], { algorithm: 'lero' }),
    ].map((m) => ({ path: '', metadata: m }));
    const lb = leaderboard(models, 'mscn', 'p', config);
    expect(lb.rows.map((r) => [r.id, r.v, r.results])).toEqual([['a01', { total_time: 9, accuracy: 0.7 }, 2], ['b02', { total_time: 7 }, 1]]);
    expect(lb.metrics).toEqual([
      { name: 'accuracy', direction: 'max', models: 1, best: 'a01' },
      { name: 'total_time', direction: 'min', models: 2, best: 'b02' },
    ]);
    expect(lb.defaultMetric).toBe('total_time');
    expect(lb.rows[0]).toMatchObject({ trained_on: 'stats', training_time: 10, hp: { lr: 0.1 }, tags: ['x'] });
    expect(lb.hyperparams).toEqual(['lr']);
    expect(lb.params).toEqual(['lr', 'opt']);
    expect(lb.rows[0]!.hp).toEqual({ lr: 0.1, opt: 'adam' });
  });

  it('keeps every individual result for best over time, and ranks as best does', () => {
    const models: Model[] = [
      meta('a01', [['p', { total_time: 5 }], ['p', { total_time: 9 }]]),
      meta('b02', [['p', { total_time: 7 }]]),
      meta('c03', [['p', { total_time: 7 }]]),
      meta('d04', [['p', { accuracy: 0.5 }]]),
    ].map((m, i) => {
      m.testing.forEach((r, k) => (r.tested_at = `2024-10-0${i + 1}T00:0${k}:00Z`));
      return { path: '', metadata: m };
    });
    const lb = leaderboard(models, 'mscn', 'p', config);
    expect(lb.points.total_time).toEqual([
      [Date.parse('2024-10-01T00:00:00Z') / 1000, 5, 0],
      [Date.parse('2024-10-01T00:01:00Z') / 1000, 9, 0],
      [Date.parse('2024-10-02T00:00:00Z') / 1000, 7, 1],
      [Date.parse('2024-10-03T00:00:00Z') / 1000, 7, 2],
    ]);
    const st = standings(lb);
    // a tie goes to the model created first, as rankModels orders; d04 has no total_time
    expect([...st].map(([id, s]) => [id, s.rank, s.of])).toEqual([['b02', 1, 3], ['c03', 2, 3], ['a01', 3, 3]]);
    expect(st.get('a01')).toMatchObject({ best: 'b02', runnerUp: 'c03', value: 9, metric: 'total_time', direction: 'min' });
    expect(rankModels(models, { dataset: 'p', metric: 'total_time', direction: 'min' }).ranked.map((r) => r.model.metadata.model_id)).toEqual(['b02', 'c03', 'a01']);
  });

  it('summarizeAlgorithm gives what algorithmSummary gives, in one pass (random registries)', () => {
    let cases = 0;
    for (const { models, cfg } of randomRegistries(11)) {
      const own = models.filter((m) => m.metadata.algorithm === 'mscn');
      const stages = { mscn: { production: 'm01a' } };
      const summary = algorithmSummary(models, 'mscn', stages, cfg);
      const results = own.reduce((n, m) => n + m.metadata.testing.length, 0);
      // the same values, and the same key order (the pages embed them as JSON)
      expect(JSON.stringify(summarizeAlgorithm(own, 'mscn', stages, cfg))).toBe(JSON.stringify({ summary, results }));
      if (summary.datasets.some((d) => d.best !== null)) cases++;
    }
    expect(cases).toBeGreaterThan(60); // (rounds where some dataset has a best to find)
  });

  it('a leaderboard from the results grouped by dataset is the one made by going through every model (random registries)', () => {
    let rows = 0;
    for (const { models, cfg } of randomRegistries(31)) {
      const own = models.filter((m) => m.metadata.algorithm === 'mscn');
      const grouped = resultsByDataset(own);
      for (const dataset of ['job', 'stats', 'imdb']) {
        const lb = leaderboard(models, 'mscn', dataset, cfg);
        // (the same values and key order: the pages embed them as JSON)
        expect(JSON.stringify(leaderboard(own, 'mscn', dataset, cfg, grouped.get(dataset) ?? { names: new Set(), entries: [] })), dataset).toBe(JSON.stringify(lb));
        rows += lb.rows.length;
      }
    }
    expect(rows).toBeGreaterThan(500);
  });

  it("a leaderboard's best per metric is what bestOf names (random registries)", () => {
    let named = 0;
    for (const { models, cfg } of randomRegistries(23)) {
      for (const dataset of ['job', 'stats', 'imdb']) {
        const lb = leaderboard(models, 'mscn', dataset, cfg);
        const own = models.filter((m) => m.metadata.algorithm === 'mscn');
        for (const col of lb.metrics) {
          const direction = metricDirection(cfg, col.name);
          const expected = direction ? (bestOf(own, { dataset, metric: col.name, direction, aggregate: metricAggregate(cfg, col.name) })?.model.metadata.model_id ?? null) : null;
          expect(col.best, `${dataset} ${col.name}`).toBe(expected);
          if (expected !== null) named++;
        }
      }
    }
    expect(named).toBeGreaterThan(200);
  });

  it('compare data: every model of the algorithm with its scores per dataset and its params', () => {
    const models: Model[] = [
      meta('a01', [['p', { total_time: 5 }], ['q', { total_time: 3, accuracy: 0.9 }]], { training: { dataset: 'stats', hyperparams: { lr: 0.1, layers: [64, 32] } } }),
      meta('b02', []),
      meta('d04', [['p', { total_time: 1 }]], { algorithm: 'lero' }),
    ].map((m) => ({ path: '', metadata: m }));
    const data = compareData(models, 'mscn', { mscn: { production: 'b02' } }, config);
    expect(data.datasets).toEqual(['p', 'q']);
    expect(data.metrics).toEqual([{ name: 'accuracy', direction: 'max' }, { name: 'total_time', direction: 'min' }]);
    expect(data.models.map((m) => [m.id, m.r, m.hp, m.stages])).toEqual([
      ['a01', { p: { total_time: 5 }, q: { total_time: 3, accuracy: 0.9 } }, { lr: 0.1, layers: '[64,32]' }, []],
      ['b02', {}, {}, ['production']],
    ]);
  });
});

describe('html', () => {
  it('sizes in human units; tables scroll in their own box with numbers right-aligned', () => {
    expect([fmtBytes(512), fmtBytes(5_645_033), fmtBytes(1_000), fmtBytes(2.5e12), fmtBytes(undefined)]).toEqual(['512 bytes', '5.65 MB', '1 kB', '2.5 TB', '']);
    expect(table(['a', 'n'], [['x', '1']], 't', new Set([1]))).toBe('<div class="scroll"><table class="t"><thead><tr><th>a</th><th class="num">n</th></tr></thead><tbody><tr><td>x</td><td class="num">1</td></tr></tbody></table></div>');
  });

  it('escapes markup and keeps embedded JSON from closing its script', () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    const hostile = { s: '</script><script>alert(1)</script><!--', u: '\u2028' };
    const json = safeJson(hostile);
    expect(json).not.toMatch(/<|\u2028/);
    expect(JSON.parse(json)).toEqual(hostile);
  });

  it('gives datasets distinct file names on case-insensitive file systems', () => {
    expect(fileSlug('Prod')).toBe('~prod');
    expect(fileSlug('prod')).toBe('prod');
    expect(new Set(['JOB', 'job', 'Job', 'jOB'].map((d) => fileSlug(d).toLowerCase())).size).toBe(4);
  });

  it('formats numbers for people', () => {
    expect([fmtNum(3), fmtNum(0.123456789), fmtNum(1e-7), fmtNum(null), fmtNum(NaN)]).toEqual(['3', '0.123457', '1.000e-7', '—', '—']);
  });
});

/**
 * 180 small random registries (three configs: aggregates mean and best, unknown directions, no
 * metrics at all) with odd values, non-results, ties in value and date: what the one-pass
 * derivations are held to their definitions on.
 */
function* randomRegistries(start: number): Generator<{ models: Model[]; cfg: Pick<RegistryConfig, 'metrics' | 'default_metric'> }> {
  let seed = start;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = <T,>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const aggregates = { metrics: { total_time: { direction: 'min' as const, aggregate: 'mean' as const }, accuracy: { direction: 'max' as const, aggregate: 'best' as const }, q_err: { direction: 'min' as const }, odd: { aggregate: 'best' as const } }, default_metric: 'total_time' };
  const values: unknown[] = [1, 2.5, 2.5, 7, NaN, Infinity, 'x', null, -3, 0.1 + 0.2];
  for (const cfg of [config, aggregates, { metrics: {}, default_metric: 'nothing' }]) {
    for (let round = 0; round < 60; round++) {
      const models: Model[] = [];
      for (let k = Math.floor(rand() * 14); k > 0; k--) {
        const testing: unknown[] = [];
        for (let r = Math.floor(rand() * 5); r > 0; r--) {
          const perf: Record<string, unknown> = {};
          for (const m of ['total_time', 'accuracy', 'q_err', 'odd']) if (rand() < 0.5) perf[m] = pick(values);
          const result: Record<string, unknown> = { dataset: pick(['job', 'stats', 'imdb']), performance: perf };
          if (rand() < 0.8) result.tested_at = pick(['2024-10-01T00:00:00Z', '2024-10-02T10:00:00+02:00', 'not a date']);
          if (rand() < 0.1) delete result.performance;
          testing.push(rand() < 0.08 ? { note: 'not a result' } : result);
        }
        const id = `m${String(k).padStart(2, '0')}${pick(['a', 'b'])}`;
        const m = meta(id, [], {
          algorithm: rand() < 0.8 ? 'mscn' : 'lero',
          created_at: pick(['2024-10-01T00:00:00Z', '2024-10-03T00:00:00Z']),
          training: rand() < 0.5 ? { dataset: pick(['job', 'stats']), training_time: pick([3, NaN, 12]) as number, hyperparams: { lr: pick([0.1, 0.01]), layers: [64, 32], opt: pick(['adam', true]) } } : undefined,
          tags: rand() < 0.3 ? ['x'] : [],
        });
        m.testing = testing as ModelMetadata['testing'];
        models.push({ path: `models/${m.algorithm}/${id}.json`, metadata: m });
      }
      yield { models, cfg };
    }
  }
}
