import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { metricDirection } from '../../src/domain/metrics.js';
import { metricsOf, datasetsOf, selectBest } from '../../src/domain/selection.js';
import { Git } from '../../src/git/git.js';
import { canonicalOrder, scanHistory } from '../../src/git/raw-log.js';
import { promote } from '../../src/registry/promote.js';
import { recordTest } from '../../src/registry/record-test.js';
import { register } from '../../src/registry/register.js';
import type { Registry } from '../../src/registry/registry.js';
import { buildReport, PAGES_FILE, reportData } from '../../src/registry/report.js';
import { reportHistory } from '../../src/store/cache/report-history.js';
import { frozenClock, repoState, steppingClock, tempDir, tempRegistry, type TempRegistry } from '../helpers.js';
import { nextDay, richRegistry, type RichRegistry } from '../report-fixture.js';

/** The slow, obviously-right answer: a full snapshot and selectBest at each first-parent commit. */
async function bestAtEveryCommit(reg: Registry, git: (...args: string[]) => string) {
  const line = git('rev-list', '--first-parent', '--reverse', 'HEAD').trim().split('\n');
  const expected = new Map<string, { commit: string; model_id: string | null; value: number | null }[]>();
  for (const commit of line) {
    const snap = await reg.snapshot(commit);
    const keys = new Set<string>(expected.keys());
    for (const a of new Set(snap.models.map((m) => m.metadata.algorithm))) {
      const own = snap.models.filter((m) => m.metadata.algorithm === a);
      for (const d of datasetsOf(own)) for (const m of metricsOf(own, d)) keys.add(`${a}\0${d}\0${m}`);
    }
    for (const key of keys) {
      const [a, d, m] = key.split('\0') as [string, string, string];
      const direction = metricDirection(reg.config, m);
      if (!direction) continue;
      const pick = selectBest(snap.models.filter((x) => x.metadata.algorithm === a), { dataset: d, metric: m, direction });
      const now = { commit, model_id: pick?.best.model.metadata.model_id ?? null, value: pick?.best.score.value ?? null };
      const steps = expected.get(key) ?? [];
      const last = steps[steps.length - 1];
      if (last ? last.model_id !== now.model_id || last.value !== now.value : now.model_id !== null) steps.push(now);
      expected.set(key, steps);
    }
  }
  return expected;
}

const stepsOf = (series: { algorithm: string; dataset: string; metric: string; steps: { commit: string; model_id: string | null; value: number | null }[] }[]) =>
  new Map(series.map((s) => [`${s.algorithm}\0${s.dataset}\0${s.metric}`, s.steps.map(({ commit, model_id, value }) => ({ commit, model_id, value }))]));

let rich: RichRegistry;
beforeAll(async () => {
  rich = await richRegistry();
}, 120_000);

describe('report data', () => {
  it('best over time equals `best --at C` at every first-parent commit (checked against a snapshot per commit)', async () => {
    const { reg, r } = rich;
    const { site } = await reportData(reg);
    const expected = await bestAtEveryCommit(reg, r.git);
    expect(stepsOf(site.best.series)).toEqual(expected);
    const tt = site.best.series.find((s) => s.algorithm === 'mscn' && s.dataset === 'production' && s.metric === 'total_time')!;
    expect(tt.steps.map((s) => [s.model_id, s.value])).toEqual(rich.totalTimeBests);
    expect(site.best.unknownDirection).toEqual([{ algorithm: 'mscn', dataset: 'production', metric: 'foo_score' }]);
  });

  it('follows the first-parent line through merges, and a history read in parallel parts is the same history', async () => {
    const r = await tempRegistry();
    const reg = await r.open(steppingClock());
    const a = (await nextDay(() => register(reg, { algorithm: 'mscn' }))).model_id;
    await nextDay(() => recordTest(reg, { id: a, dataset: 'p', metrics: ['total_time=10'] }));
    r.git('checkout', '-q', '-b', 'side');
    const b = (await nextDay(() => register(reg, { algorithm: 'mscn' }))).model_id;
    await nextDay(() => recordTest(reg, { id: b, dataset: 'p', metrics: ['total_time=5'] }));
    r.git('checkout', '-q', 'main');
    const c = (await nextDay(() => register(reg, { algorithm: 'mscn' }))).model_id;
    await nextDay(() => recordTest(reg, { id: c, dataset: 'p', metrics: ['total_time=7'] }));
    await nextDay(() => r.git('merge', '-q', '--no-ff', '-m', 'merge side', 'side'));
    const merge = r.git('rev-parse', 'HEAD').trim();

    const { site } = await reportData(await r.open());
    const series = site.best.series.find((s) => s.metric === 'total_time')!;
    expect(series.steps.map((s) => [s.model_id, s.value])).toEqual([[a, 10], [c, 7], [b, 5]]);
    expect(series.steps[2]!.commit).toBe(merge); // b became best on main when side was merged
    expect(stepsOf(site.best.series)).toEqual(await bestAtEveryCommit(reg, r.git));
    // side's own commits are in the history even though the best follows main
    expect(site.modelHistory.get(b)!.map((e) => e.action)).toEqual([null, 'test', 'register']);

    const git = new Git(r.dir);
    const whole = canonicalOrder(await scanHistory(git, 1), merge)!;
    for (const parts of [2, 3, 4]) {
      const split = canonicalOrder(await scanHistory(git, parts, 1), merge)!;
      // the same commits in the same order, whatever ranges they were read in
      expect(split.map((c) => c.commit)).toEqual(whole.map((c) => c.commit));
      const seen = new Set<string>();
      for (const c of split) {
        for (const p of c.parents) expect(seen.has(p), `parent of ${c.subject} comes first`).toBe(true);
        seen.add(c.commit);
      }
      expect(new Map(split.map((c) => [c.commit, c.changes]))).toEqual(new Map(whole.map((c) => [c.commit, c.changes])));
    }
    // side's commits come right before the merge that brought them in
    expect(whole.slice(-3).map((c) => c.subject)).toEqual([expect.stringContaining(`register ${b}`), expect.stringContaining(`test ${b}`), 'merge side']);
  });

  it('joins promote commits with their stage tags and knows who held what', async () => {
    const { site } = await reportData(rich.reg);
    const { m2, m3, m4 } = rich.ids;
    expect(site.timeline.map((e) => [e.action, e.algorithm, e.stage, e.model_id, e.previous, e.tag])).toEqual([
      ['promote', 'mscn', 'production', m3, null, 'stage/mscn/production/1'],
      ['promote', 'mscn', 'staging', m2, null, 'stage/mscn/staging/1'],
      ['promote', 'mscn', 'production', m4, m3, 'stage/mscn/production/2'],
    ]);
    expect(site.tenures.get(m3)).toEqual([expect.objectContaining({ stage: 'production', current: false, to: site.timeline[2]!.date })]);
    expect(site.tenures.get(m4)).toEqual([expect.objectContaining({ stage: 'production', current: true, to: null, tag: 'stage/mscn/production/2' })]);
    // a model's history: its own commits and the promotions that named it, or replaced it
    expect(site.modelHistory.get(m3)!.map((e) => e.action)).toEqual(['promote', 'test', 'promote', 'test', 'register']);
    expect(site.events[0]).toMatchObject({ action: 'import', model_ids: rich.bulk });
  });

  it('--algo keeps one algorithm and refuses an unknown or unsafe one', async () => {
    const { site } = await reportData(rich.reg, { algorithm: 'lero' });
    expect(site.algorithms).toEqual(['lero']);
    expect(site.models.map((m) => m.metadata.model_id)).toEqual([rich.ids.l1]);
    expect(site.timeline).toEqual([]);
    expect(site.events.every((e) => e.model_ids.includes(rich.ids.l1))).toBe(true);
    await expect(reportData(rich.reg, { algorithm: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(reportData(rich.reg, { algorithm: '../x' })).rejects.toMatchObject({ code: 'USAGE' });
  });
});

describe('modelgit report', () => {
  it('writes the site outside the repository, answers --json, and leaves the repository as it was', async () => {
    const out = join(tempDir(), 'site');
    const before = repoState(rich.r.dir);
    const res = await rich.r.run('report', '--out', out, '--json');
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const a = res.json();
    expect(a).toMatchObject({ out, index: join(out, 'index.html'), algorithms: ['bulk', 'lero', 'mscn'], models: 35, problems: 0 });
    expect(a.pages).toBe(1 + 3 + 3 + 3 + 35); // overview, 3 algorithms, their 3 compare views, 3 datasets (bulk/production, mscn/production, mscn/JOB), 35 models
    expect(repoState(rich.r.dir)).toBe(before);
    for (const f of ['index.html', 'assets/uPlot.iife.min.js', 'assets/uPlot.min.css', 'assets/report.js', 'assets/report.css', 'a/mscn/d/production.html', 'a/mscn/d/~j~o~b.html', `m/mscn/${rich.ids.m3}.html`]) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    // nothing is fetched at view time: every script and stylesheet is a relative file
    for (const html of [readFileSync(join(out, 'index.html'), 'utf8'), readFileSync(join(out, 'a/mscn/d/production.html'), 'utf8')]) {
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
  });

  it('escapes registry strings in pages and in embedded data', async () => {
    const out = join(tempDir(), 'site');
    expect((await rich.r.run('report', '--out', out)).code).toBe(0);
    const model = readFileSync(join(out, `m/mscn/${rich.ids.m3}.html`), 'utf8');
    expect(model).toContain('&lt;/script&gt;&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;');
    expect(model).not.toContain('<img src=x');
    const overview = readFileSync(join(out, 'index.html'), 'utf8');
    expect(overview).toContain(`promote ${rich.ids.m3} &lt;img src=x onerror=&quot;window.__xss=2&quot;&gt;`);
    for (const f of ['a/mscn/d/production.html', 'a/mscn/index.html']) {
      const html = readFileSync(join(out, f), 'utf8');
      const data = /<script type="application\/json" id="[^"]+">([^]*?)<\/script>/.exec(html)![1]!;
      expect(data).not.toContain('<');
      expect(() => JSON.parse(data)).not.toThrow();
    }
  });

  it('replaces an earlier report but refuses any other non-empty directory, exit 2, touching nothing', async () => {
    const dir = tempDir();
    const out = join(dir, 'site');
    expect((await rich.r.run('report', '--out', out)).code).toBe(0);
    writeFileSync(join(out, 'stale.html'), 'old');
    expect((await rich.r.run('report', '--out', out, '--algo', 'lero')).code).toBe(0);
    expect(existsSync(join(out, 'stale.html'))).toBe(false);
    expect(existsSync(join(out, 'a/mscn'))).toBe(false);
    expect(readdirSync(dir)).toEqual(['site']); // no temporary directory left behind

    const foreign = join(dir, 'mine');
    mkdirSync(foreign);
    writeFileSync(join(foreign, 'notes.txt'), 'keep me');
    const res = await rich.r.run('report', '--out', foreign);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--out: .*mine is not empty and is not an earlier modelgit report/);
    expect(readdirSync(foreign)).toEqual(['notes.txt']);
  });

  it.each([
    [['--out', '.'], 2, /is the registry or contains it/],
    [['--out', '..'], 2, /is the registry or contains it/],
    [['--out', 'models/mscn'], 2, /not empty/],
    [['--algo', 'nope', '--out', '/tmp/x-never-written'], 1, /no nope model/],
    [['--algo', 'Bad Name'], 2, /--algo: algorithm "Bad Name" is not a safe name/],
    [['--bogus'], 2, /unknown option/],
    // A pseudo file system that says ENOENT to every new name: a one-line refusal, at once (it spun before).
    [['--out', '/proc/modelgit-report'], 2, /^modelgit: error: --out: could not create \/proc\/modelgit-report: \/proc does not take new directories$/m],
    [['--out', '/proc/modelgit/a/b'], 2, /^modelgit: error: --out: could not create \/proc\/modelgit: \/proc does not take new directories$/m],
    [['--out', '/etc/passwd/site'], 2, /^modelgit: error: --out: \/etc\/passwd is not a directory, so nothing can be created under it$/m],
  ])('refuses %j', async (args, code, message) => {
    const before = repoState(rich.r.dir);
    const res = await rich.r.run('report', ...args);
    expect(res.code).toBe(code);
    expect(res.stderr).toMatch(message);
    expect(repoState(rich.r.dir)).toBe(before);
    expect(existsSync('/tmp/x-never-written')).toBe(false);
  });

  it('reports on an empty registry with a clear message', async () => {
    const r = await tempRegistry();
    const out = join(tempDir(), 'site');
    const res = await r.run('report', '--out', out);
    expect(res.code).toBe(0);
    expect(res.stdout.trim()).toBe(join(out, 'index.html'));
    expect(res.stderr).toMatch(/wrote 1 page for 0 models/);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toContain('No models registered yet.');
  });

  it('reports on a repository with no commits at all', async () => {
    const r = await tempRegistry();
    r.git('update-ref', '-d', 'HEAD');
    const res = await r.run('report', '--out', join(tempDir(), 'site'), '--json');
    expect(res.code).toBe(0);
    expect(res.json()).toMatchObject({ commit: null, commits: 0, models: 0 });
  });
});

/** Every file under `dir` (relative path → bytes). */
function readTree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

/** The two sites hold the same files with the same bytes (names the first difference). */
function expectSameSite(a: string, b: string): void {
  const x = readTree(a);
  const y = readTree(b);
  expect([...y.keys()]).toEqual([...x.keys()]);
  for (const [f, bytes] of x) {
    // (the page list and the scripts as text: a failure then shows the lines that differ)
    if (f === PAGES_FILE || f.endsWith('.js')) expect(y.get(f)!.toString('utf8'), `${f} differs`).toEqual(bytes.toString('utf8'));
    else expect(y.get(f)!.equals(bytes), `${f} differs`).toBe(true);
  }
}

/** A report into `out` at a pinned clock, and what it traced about its caches. */
async function tracedReport(r: TempRegistry, out: string): Promise<string> {
  const trace: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.env.MODELGIT_CACHE_TRACE = '1';
  process.stderr.write = ((m: string) => (trace.push(String(m)), true)) as typeof process.stderr.write;
  try {
    await buildReport(await r.open(frozenClock()), { out });
  } finally {
    process.stderr.write = write;
    delete process.env.MODELGIT_CACHE_TRACE;
  }
  return trace.join('');
}

/** A report with every cache off, into a new directory, at the same pinned clock. */
async function coldReport(r: TempRegistry): Promise<string> {
  const o = join(tempDir(), 'site');
  process.env.MODELGIT_NO_CACHE = '1';
  try {
    await buildReport(await r.open(frozenClock()), { out: o });
  } finally {
    delete process.env.MODELGIT_NO_CACHE;
  }
  return o;
}

/** A registry on a stepping clock with one mscn model, tested once on `dataset` (total_time=10). */
async function oneTestedModel(dataset: string): Promise<{ r: TempRegistry; reg: Awaited<ReturnType<TempRegistry['open']>>; a: string }> {
  const r = await tempRegistry();
  const reg = await r.open(steppingClock());
  const a = (await nextDay(() => register(reg, { algorithm: 'mscn' }))).model_id;
  await nextDay(() => recordTest(reg, { id: a, dataset, metrics: ['total_time=10'] }));
  return { r, reg, a };
}

describe('the report history cache', () => {
  const cacheDir = (r: TempRegistry) => join(r.dir, '.git', 'modelgit', 'report');

  /** A report built with the cache and one built with every cache off, at the same pinned time. */
  async function buildBoth(r: TempRegistry, warn?: (m: string) => void): Promise<{ cached: string; cold: string }> {
    const cached = join(tempDir(), 'site');
    await buildReport(await r.open(frozenClock()), { out: cached, warn });
    return { cached, cold: await coldReport(r) };
  }

  const source = async (r: TempRegistry) => {
    const reg = await r.open();
    return (await reportHistory(reg, await reg.snapshot())).source;
  };

  it('a rebuild from the cache equals a cold build, byte for byte, whatever happened in between', async () => {
    const { r, reg, a } = await oneTestedModel('production');
    const b = (await nextDay(() => register(reg, { algorithm: 'mscn' }))).model_id;
    await nextDay(() => recordTest(reg, { id: b, dataset: 'production', metrics: ['total_time=8'] }));
    await nextDay(() => promote(reg, { id: b, stage: 'production', force: true }));
    const early = r.git('rev-parse', 'HEAD').trim();

    // first build: a full scan, which leaves the cache
    let both = await buildBoth(r);
    expectSameSite(both.cold, both.cached);
    expect(readdirSync(cacheDir(r)).sort()).toEqual([`${early}.history`, `${early}.state`]);
    expect(await source(r)).toBe('cache');

    // more writes, a hand edit and a hand removal: the cache is extended
    const c = (await nextDay(() => register(reg, { algorithm: 'lero' }))).model_id;
    await nextDay(() => recordTest(reg, { id: c, dataset: 'job', metrics: ['total_time=3'] }));
    await nextDay(() => recordTest(reg, { id: a, dataset: 'production', metrics: ['total_time=5'] }));
    await nextDay(() => promote(reg, { id: a, stage: 'production', force: true }));
    const path = `models/mscn/${b}.json`;
    const meta = JSON.parse(r.read(path));
    meta.testing.push({ dataset: 'production', tested_at: '2024-10-30T00:00:00Z', performance: { total_time: 1 } });
    r.write(path, JSON.stringify(meta, null, 2) + '\n');
    await nextDay(() => r.git('commit', '-qam', 'hand edit'));
    await nextDay(() => r.git('rm', '-q', `models/lero/${c}.json`));
    await nextDay(() => r.git('commit', '-qm', 'hand removal'));
    expect(await source(r)).toBe('extended');
    both = await buildBoth(r);
    expectSameSite(both.cold, both.cached);

    // a merge on the first-parent line (its side branch is in the extension)
    r.git('checkout', '-q', '-b', 'side');
    const d = (await nextDay(() => register(reg, { algorithm: 'mscn' }))).model_id;
    await nextDay(() => recordTest(reg, { id: d, dataset: 'production', metrics: ['total_time=0.5'] }));
    r.git('checkout', '-q', 'main');
    await nextDay(() => recordTest(reg, { id: a, dataset: 'production', metrics: ['total_time=4'] }));
    await nextDay(() => r.git('merge', '-q', '--no-ff', '-m', 'merge side', 'side'));
    expect(await source(r)).toBe('extended');
    both = await buildBoth(r);
    expectSameSite(both.cold, both.cached);

    // another branch, started before the cached commits: its history is scanned afresh
    r.git('checkout', '-q', '-b', 'other', early);
    const e = (await nextDay(() => register(reg, { algorithm: 'mscn' }))).model_id;
    await nextDay(() => recordTest(reg, { id: e, dataset: 'production', metrics: ['total_time=2'] }));
    expect(await source(r)).toBe('extended'); // from the first build's cache, an ancestor
    both = await buildBoth(r);
    expectSameSite(both.cold, both.cached);

    // a reset to before every cached commit but the first
    r.git('checkout', '-q', 'main');
    r.git('reset', '-q', '--hard', 'HEAD~3');
    both = await buildBoth(r);
    expectSameSite(both.cold, both.cached);

    // the side branch is not on main's first-parent line: a cache made there is not used for main
    r.git('checkout', '-q', 'side');
    await buildReport(await r.open(frozenClock()), { out: join(tempDir(), 'site') });
    r.git('checkout', '-q', 'main');
    await nextDay(() => r.git('merge', '-q', '--no-ff', '-m', 'merge side again', 'side'));
    both = await buildBoth(r);
    expectSameSite(both.cold, both.cached);
    expect(readdirSync(cacheDir(r)).filter((n) => n.endsWith('.history')).length).toBeLessThanOrEqual(3); // old ones are pruned
  }, 120_000);

  it('a damaged cache file is reported once, not used, and rebuilt', async () => {
    const { r, reg, a } = await oneTestedModel('production');
    await buildReport(await r.open(frozenClock()), { out: join(tempDir(), 'site') });
    const head = r.git('rev-parse', 'HEAD').trim();
    const file = join(cacheDir(r), `${head}.history`);
    const good = readFileSync(file);

    // one flipped byte in a score: only the checksum can tell
    const bad = Buffer.from(good);
    const at = bad.indexOf('total_time') + 'total_time'.length + 1;
    bad[at] = bad[at] === 0x31 ? 0x32 : 0x31;
    writeFileSync(file, bad);
    const warnings: string[] = [];
    const both = await buildBoth(r, (m) => warnings.push(m));
    expectSameSite(both.cold, both.cached);
    expect(warnings).toEqual([expect.stringMatching(/warning: the report cache .*\.history is unreadable \(checksum mismatch\); rebuilding it from git/)]);
    expect(readFileSync(file).equals(good)).toBe(true); // rebuilt

    // through the CLI: a truncated file, one warning on stderr, and the report is written
    truncateSync(file, good.length - 10);
    const res = await r.run('report', '--out', join(tempDir(), 'site'));
    expect(res.code).toBe(0);
    expect(res.stderr.match(/warning: the report cache/g)).toHaveLength(1);
    expect(res.stderr).toMatch(/truncated or padded/);
    expect(readFileSync(file).equals(good)).toBe(true);
    const again = await r.run('report', '--out', join(tempDir(), 'site'));
    expect(again.stderr).not.toMatch(/warning/);
  }, 60_000);

  it('a report built from the state of an earlier one equals a cold build, byte for byte, after every step of random histories', async () => {
    let fromState = 0;
    for (const seed of [7, 21, 1234]) {
      let x = seed;
      const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
      const pick = <T,>(list: T[]): T => list[Math.floor(rnd() * list.length)]!;
      const r = await tempRegistry();
      const reg = await r.open(steppingClock());
      const ids: Record<string, string[]> = { mscn: [], lero: [] };
      const gone: [string, string][] = [];
      const add = async (algo: string) => ids[algo]!.push((await nextDay(() => register(reg, { algorithm: algo }))).model_id);
      await add('mscn');
      await add('lero');
      await nextDay(() => recordTest(reg, { id: ids.mscn![0]!, dataset: 'job', metrics: ['total_time=10'] }));
      const out = join(tempDir(), 'site');
      await tracedReport(r, out);
      const any = () => {
        const algo = pick(['mscn', 'lero'].filter((a) => ids[a]!.length > 0));
        return [algo, pick(ids[algo]!)] as const;
      };
      // a model whose parent goes away (or comes back) in a later step than the one naming it
      let orphan: [string, string] | undefined;
      for (let step = 0; step < 14; step++) {
        if (orphan && ids[orphan[0]]!.length > 1 && ids[orphan[0]]!.includes(orphan[1])) {
          await nextDay(() => r.git('rm', '-q', `models/${orphan![0]}/${orphan![1]}.json`));
          await nextDay(() => r.git('commit', '-qm', 'hand removal of a parent'));
          ids[orphan[0]] = ids[orphan[0]]!.filter((m) => m !== orphan![1]);
          gone.push(orphan);
        }
        orphan = undefined;
        // one to three changes between builds
        for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) {
          const what = pick(['register', 'test', 'test', 'test', 'promote', 'demote', 'edit', 'parent', 'remove', 'restore', 'other-file', 'reset', 'merge', 'untag', 'stages']);
          const [algo, id] = any();
          const file = `models/${algo}/${id}.json`;
          if (process.env.DEBUG_STEPS) console.log(seed, step, what, algo, id);
          if (what === 'register') await add(pick(['mscn', 'lero']));
          else if (what === 'test') await nextDay(() => recordTest(reg, { id, dataset: pick(['job', 'stats', 'tpch']), metrics: [`total_time=${Math.floor(rnd() * 20)}`, ...(rnd() < 0.3 ? [`q_error=${Math.floor(rnd() * 5)}`] : [])] }));
          else if (what === 'promote') await nextDay(() => promote(reg, { id, stage: pick(['production', 'staging']), force: true }));
          else if (what === 'demote') {
            const stages = r.read('stages.yaml');
            const held = Object.entries(ids).flatMap(([a, list]) => list.filter((m) => stages.includes(m)).map((m) => [a, m] as const));
            if (held.length) {
              const [, m] = pick(held);
              const { demote } = await import('../../src/registry/promote.js');
              const stage = /production:\s*(\S+)/.exec(stages)?.[1] === m ? 'production' : 'staging';
              await nextDay(() => demote(reg, { id: m, stage })).catch(() => undefined);
            }
          } else if (what === 'edit' || what === 'parent') {
            const meta = JSON.parse(r.read(file));
            if (what === 'edit') meta.testing.push({ dataset: pick(['job', 'stats']), tested_at: `2024-1${Math.floor(rnd() * 3)}-1${Math.floor(rnd() * 9)}T00:00:00Z`, performance: { total_time: Math.floor(rnd() * 20) } });
            else {
              meta.parent = pick([...ids.mscn!, ...ids.lero!, ...gone.map(([, g]) => g), 'never-was']);
              const of = (['mscn', 'lero'] as const).find((a) => ids[a]!.includes(meta.parent));
              if (of && meta.parent !== id && rnd() < 0.7) orphan = [of, meta.parent];
            }
            r.write(file, JSON.stringify(meta, null, 2) + '\n');
            // (nothing to commit, or the hook refuses it: left as it was)
            await nextDay(() => r.git('commit', '-qam', `hand ${what}`)).catch(() => r.git('checkout', '--', file));
          } else if (what === 'remove' && ids[algo]!.length > 1) {
            await nextDay(() => r.git('rm', '-q', file));
            await nextDay(() => r.git('commit', '-qm', 'hand removal'));
            ids[algo] = ids[algo]!.filter((m) => m !== id);
            gone.push([algo, id]);
          } else if (what === 'restore' && gone.length) {
            const [a, g] = gone.pop()!;
            const at = r.git('log', '--format=%H', '-1', '--', `models/${a}/${g}.json`).trim();
            r.git('checkout', `${at}~1`, '--', `models/${a}/${g}.json`);
            await nextDay(() => r.git('commit', '-qm', 'hand restore'));
            ids[a]!.push(g);
          } else if (what === 'other-file') {
            r.write('NOTES.md', `step ${step} ${rnd()}\n`);
            r.git('add', 'NOTES.md');
            await nextDay(() => r.git('commit', '-qm', 'notes'));
          } else if (what === 'merge') {
            r.git('checkout', '-q', '-b', `side-${seed}-${step}-${n}`);
            await add(algo);
            await nextDay(() => recordTest(reg, { id: ids[algo]!.at(-1)!, dataset: 'job', metrics: [`total_time=${Math.floor(rnd() * 20)}`] }));
            r.git('checkout', '-q', 'main');
            await nextDay(() => recordTest(reg, { id, dataset: 'stats', metrics: [`total_time=${Math.floor(rnd() * 20)}`] }));
            await nextDay(() => r.git('merge', '-q', '--no-ff', '-m', 'merge side', `side-${seed}-${step}-${n}`));
          } else if (what === 'untag') {
            // a stage tag deleted: no commit, and the promotion timeline changes
            const tags = r.git('tag', '--list', 'stage/*').trim().split('\n').filter(Boolean);
            if (tags.length) r.git('tag', '-d', pick(tags));
          } else if (what === 'stages') {
            // a hand edit naming who holds a stage (no tag, no trailers)
            r.write('stages.yaml', `${algo}:\n  production: ${id}\n`);
            r.git('add', 'stages.yaml');
            await nextDay(() => r.git('commit', '-qm', 'hand edit of stages.yaml')).catch(() => r.git('checkout', 'HEAD', '--', 'stages.yaml'));
          } else if (what === 'reset' && step % 5 === 4) {
            r.git('reset', '-q', '--hard', 'HEAD~1');
            // (the ids the lost commit added or removed: read them again from HEAD)
            for (const a of ['mscn', 'lero']) ids[a] = readdirSync(join(r.dir, 'models', a)).map((f) => f.replace(/\.json$/, ''));
            gone.splice(0, gone.length, ...gone.filter(([a, g]) => !ids[a]!.includes(g)));
          }
        }
        const trace = await tracedReport(r, out);
        expectSameSite(await coldReport(r), out);
        if (trace.includes('report state: from ')) {
          fromState++;
          // (the state was written with this report's page list: it is searched, not asked about every model)
          expect(trace).toContain("the earlier page list is the state's");
        }
      }
    }
    expect(fromState).toBeGreaterThan(20); // (the rest: resets, other files, a first build)
  }, 300_000);

  it('best over time from the state: several commits between builds, the best changed last (its old score seeds the walk)', async () => {
    const r = await tempRegistry();
    const reg = await r.open(steppingClock());
    const a = (await nextDay(() => register(reg, { algorithm: 'mscn' }))).model_id;
    const b = (await nextDay(() => register(reg, { algorithm: 'mscn' }))).model_id;
    await nextDay(() => recordTest(reg, { id: a, dataset: 'job', metrics: ['total_time=10'] }));
    await nextDay(() => recordTest(reg, { id: b, dataset: 'job', metrics: ['total_time=8'] }));
    const c = (await nextDay(() => register(reg, { algorithm: 'lero' }))).model_id;
    await nextDay(() => recordTest(reg, { id: c, dataset: 'job', metrics: ['total_time=3'] }));
    const out = join(tempDir(), 'site');
    await buildReport(await r.open(frozenClock()), { out });
    // a gets better but not best (no step), then the best, b, gets worse (a leads from here)
    await nextDay(() => recordTest(reg, { id: a, dataset: 'job', metrics: ['total_time=9'] }));
    await nextDay(() => recordTest(reg, { id: b, dataset: 'job', metrics: ['total_time=12'] }));
    const trace = await tracedReport(r, out);
    expect(trace).toMatch(/report state: from /);
    // only mscn's pages and the two models' pages are made again; lero's files are not even read
    // (the two at HEAD from the snapshot cache's index, kept current by every read; the two as they were at the state's commit from git)
    expect(trace).toMatch(/report state: 2 model files read, 4 parsed \(2 read by git\); algorithms remade: mscn; model pages: 2 \(the earlier page list is the state's\)\n/);
    expectSameSite(await coldReport(r), out);
    expect(readFileSync(join(out, 'a', 'mscn', 'd', 'job.html'), 'utf8')).toContain(`"model_id":"${a}","value":9`);
  }, 60_000);

  it('best over time from the state: the best gets worse and a model no commit since touched leads (every score looked at again)', async () => {
    const r = await tempRegistry();
    const reg = await r.open(steppingClock());
    const a = (await nextDay(() => register(reg, { algorithm: 'mscn' }))).model_id;
    const b = (await nextDay(() => register(reg, { algorithm: 'mscn' }))).model_id;
    const c = (await nextDay(() => register(reg, { algorithm: 'mscn' }))).model_id;
    await nextDay(() => recordTest(reg, { id: a, dataset: 'job', metrics: ['total_time=11'] }));
    await nextDay(() => recordTest(reg, { id: c, dataset: 'job', metrics: ['total_time=10'] }));
    await nextDay(() => recordTest(reg, { id: b, dataset: 'job', metrics: ['total_time=8'] }));
    const out = join(tempDir(), 'site');
    await buildReport(await r.open(frozenClock()), { out });
    // b leads; it gets worse, and c — untouched since the state — leads, not a
    await nextDay(() => recordTest(reg, { id: b, dataset: 'job', metrics: ['total_time=12'] }));
    expect(await tracedReport(r, out)).toMatch(/report state: from /);
    expectSameSite(await coldReport(r), out);
    expect(readFileSync(join(out, 'a', 'mscn', 'd', 'job.html'), 'utf8')).toContain(`"model_id":"${c}","value":10`);
  }, 60_000);

  it("a promotion recorded by hand names its model's algorithm from the history once the model is gone, from the state as in the whole build", async () => {
    const r = await tempRegistry();
    const reg = await r.open(steppingClock());
    const a = (await nextDay(() => register(reg, { algorithm: 'mscn' }))).model_id;
    await nextDay(() => register(reg, { algorithm: 'mscn' }));
    // no Algorithm trailer and no stage tag: only the model id says whose it is
    r.git('commit', '-q', '--allow-empty', '-m', `promote ${a} by hand`, '-m', `Model-Action: promote\nModel-Id: ${a}\nStage: production`);
    const out = join(tempDir(), 'site');
    await tracedReport(r, out);
    r.git('rm', '-q', `models/mscn/${a}.json`);
    r.git('commit', '-q', '-m', `remove ${a}`);
    // the id's algorithm from the commit that removed it, then from the state kept after that
    expect(await tracedReport(r, out)).toMatch(/report state: from /);
    expectSameSite(await coldReport(r), out);
    expect(readFileSync(join(out, 'index.html'), 'utf8')).toMatch(new RegExp(`<span class="algo">mscn</span> <span class="removed"[^>]*>${a}</span> → <b>production</b>`));
    await nextDay(() => register(reg, { algorithm: 'lero' }));
    expect(await tracedReport(r, out)).toMatch(/report state: from /);
    expectSameSite(await coldReport(r), out);
  }, 60_000);

  it('after a reset to a commit whose cache file was extended in place, its history is the front of the newer file', async () => {
    const { r, reg, a } = await oneTestedModel('job');
    const out = join(tempDir(), 'site');
    await tracedReport(r, out);
    const early = r.git('rev-parse', 'HEAD').trim();
    await nextDay(() => recordTest(reg, { id: a, dataset: 'job', metrics: ['total_time=9'] }));
    expect(await tracedReport(r, out)).toMatch(/report state: from /);
    const later = r.git('rev-parse', 'HEAD').trim();
    // the file of the first build became the second's
    expect(readdirSync(cacheDir(r)).filter((n) => n.endsWith('.history'))).toEqual([`${later}.history`]);
    r.git('reset', '-q', '--hard', early);
    const trace = await tracedReport(r, out);
    expect(trace).toContain(`${early}: the front of the history of ${later}`);
    expect(trace).not.toMatch(/report: scan /);
    expectSameSite(await coldReport(r), out);
    expect(await source(r)).toBe('cache');
    // and the next commit's report goes on from there as usual
    await nextDay(() => recordTest(reg, { id: a, dataset: 'job', metrics: ['total_time=8'] }));
    expect(await tracedReport(r, out)).toMatch(/report state: from /);
    expectSameSite(await coldReport(r), out);
  }, 60_000);

  it("a report built from a state another report's build wrote (an --algo report at the same commit) makes every page it lacks, and equals a cold build", async () => {
    const { r, reg, a } = await oneTestedModel('job');
    const b = (await nextDay(() => register(reg, { algorithm: 'lero' }))).model_id;
    await nextDay(() => recordTest(reg, { id: b, dataset: 'stats', metrics: ['total_time=3'] }));
    const mine = join(tempDir(), 'site');
    await buildReport(await r.open(frozenClock()), { out: mine, algorithm: 'mscn' });
    // another directory's whole build at the same commit writes the state
    await tracedReport(r, join(tempDir(), 'site'));
    await nextDay(() => recordTest(reg, { id: a, dataset: 'job', metrics: ['total_time=8'] }));
    const trace = await tracedReport(r, mine);
    expect(trace).toMatch(/report state: from /);
    expect(trace).toContain('the earlier page list asked about every model');
    expectSameSite(await coldReport(r), mine);
    // and the next build into it, from the state this one wrote, searches its list
    await nextDay(() => recordTest(reg, { id: b, dataset: 'stats', metrics: ['total_time=2'] }));
    expect(await tracedReport(r, mine)).toContain("the earlier page list is the state's");
    expectSameSite(await coldReport(r), mine);
  });

  it('a new file with an id another algorithm has: not built from the state; the whole build says what is wrong', async () => {
    const { r, a } = await oneTestedModel('job');
    const out = join(tempDir(), 'site');
    await tracedReport(r, out);
    const meta = JSON.parse(r.read(`models/mscn/${a}.json`));
    r.write(`models/lero/${a}.json`, JSON.stringify({ ...meta, algorithm: 'lero' }, null, 2) + '\n');
    r.git('add', '.');
    r.git('commit', '-qm', 'the same id twice');
    const trace: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.env.MODELGIT_CACHE_TRACE = '1';
    process.stderr.write = ((m: string) => (trace.push(String(m)), true)) as typeof process.stderr.write;
    try {
      await expect(buildReport(await r.open(frozenClock()), { out })).rejects.toThrow(/could change this/);
    } finally {
      process.stderr.write = write;
      delete process.env.MODELGIT_CACHE_TRACE;
    }
    expect(trace.join('')).toContain(`model id ${a} is in two files; the whole build`);
  });

  it('a damaged or foreign report state is not used: the whole build runs, and its report is the same', async () => {
    const { r, reg, a } = await oneTestedModel('job');
    const out = join(tempDir(), 'site');
    const damage = [
      (t: string) => t.slice(0, t.length / 2), // truncated
      (t: string) => t.replace(/"summaries":\[\[\{/, '"summaries":[[null,{'), // wrong inside
      (t: string) => t.replace(/\n([^\t\n]+)\t\d+/, '\n$1\t123456789'), // a model's history pointing elsewhere (its table's digest no longer fits)
      (t: string) => t.replace(/"key":"[^"]+"/, '"key":"other"'), // written by other code
      // the history the state points into, one byte of its body changed (the file is extended where it is: the checksum is checked first)
      Object.assign((t: string) => t.slice(0, -3) + (t.at(-3) === '1' ? '2' : '1') + t.slice(-2), { history: true }),
    ];
    for (const [i, spoil] of damage.entries()) {
      await tracedReport(r, out);
      const head = r.git('rev-parse', 'HEAD').trim();
      const file = join(r.dir, '.git', 'modelgit', 'report', `${head}.${'history' in spoil ? 'history' : 'state'}`);
      writeFileSync(file, spoil(readFileSync(file, 'utf8')));
      await nextDay(() => recordTest(reg, { id: a, dataset: 'job', metrics: [`total_time=${9 - i}`] }));
      const trace = await tracedReport(r, out);
      expect(trace, `damage ${i}`).not.toMatch(/report state: from /);
      expectSameSite(await coldReport(r), out);
      expect(readdirSync(join(r.dir, '.git', 'modelgit', 'report')).filter((n) => n.includes('.tmp-'))).toEqual([]);
    }
  }, 60_000);

  it('a report rebuilt over an earlier one writes only the pages that changed, and equals a cold build byte for byte', async () => {
    const { r, reg, a } = await oneTestedModel('production');
    const b = (await nextDay(() => register(reg, { algorithm: 'mscn' }))).model_id;
    await nextDay(() => recordTest(reg, { id: b, dataset: 'job', metrics: ['total_time=8'] }));
    const c = (await nextDay(() => register(reg, { algorithm: 'lero' }))).model_id;
    await nextDay(() => recordTest(reg, { id: c, dataset: 'job', metrics: ['total_time=3'] }));
    const d = (await nextDay(() => register(reg, { algorithm: 'lero' }))).model_id;
    const out = join(tempDir(), 'site');
    const build = async (o = out, extra: { algorithm?: string } = {}) => buildReport(await r.open(frozenClock()), { out: o, ...extra });
    const cold = () => coldReport(r);
    const page = (id: string, algo: string) => join(out, 'm', algo, `${id}.html`);
    // a page not written again keeps the time set here
    const mark = (id: string, algo: string) => utimesSync(page(id, algo), 1000, 1000);
    const marked = (id: string, algo: string) => statSync(page(id, algo)).mtimeMs === 1_000_000;
    await build();
    for (const [id, algo] of [[a, 'mscn'], [b, 'mscn'], [c, 'lero']] as const) mark(id, algo);
    const before = readFileSync(page(a, 'mscn'));

    // a new result for a, and d removed by hand: a's and d's pages change, b's and c's do not
    await nextDay(() => recordTest(reg, { id: a, dataset: 'production', metrics: ['total_time=7'] }));
    await nextDay(() => r.git('rm', '-q', `models/lero/${d}.json`));
    await nextDay(() => r.git('commit', '-qm', 'hand removal'));
    await build();
    expectSameSite(await cold(), out);
    expect(marked(b, 'mscn')).toBe(true); // kept: not written again
    expect(marked(c, 'lero')).toBe(true);
    expect(marked(a, 'mscn')).toBe(false);
    expect(readFileSync(page(a, 'mscn')).equals(before)).toBe(false);
    expect(existsSync(join(out, 'm', 'lero', `${d}.html`))).toBe(false);

    // a new best on job moves b's rank, and a promotion changes who every page compares with: both
    // are in mscn's standing script, so b's page stays as it was; the new model's page is new
    for (const [id, algo] of [[a, 'mscn'], [b, 'mscn'], [c, 'lero']] as const) mark(id, algo);
    // an algorithm's pages are kept whole when nothing they are made from changed
    const lero = ['a/lero/index.html', 'a/lero/compare.html', 'a/lero/standing.js', 'a/lero/d/job.html', 'a/mscn/index.html'].map((f) => join(out, f));
    for (const f of lero) utimesSync(f, 1000, 1000);
    const standing = () => readFileSync(join(out, 'a', 'mscn', 'standing.js'), 'utf8');
    expect(standing()).toContain(`"ids":["${b}"]`);
    const e = (await nextDay(() => register(reg, { algorithm: 'mscn' }))).model_id;
    await nextDay(() => recordTest(reg, { id: e, dataset: 'job', metrics: ['total_time=5'] }));
    await nextDay(() => promote(reg, { id: e, stage: 'production', force: true }));
    await build();
    expectSameSite(await cold(), out);
    expect(marked(b, 'mscn')).toBe(true);
    expect(marked(c, 'lero')).toBe(true);
    expect(marked(a, 'mscn')).toBe(true);
    expect(standing()).toContain(`"ids":["${e}","${b}"]`);
    expect(standing()).toContain(`"holders":[["production","${e}","m/mscn/${e}.html"]]`);
    expect(existsSync(page(e, 'mscn'))).toBe(true);
    expect(lero.map((f) => statSync(f).mtimeMs === 1_000_000)).toEqual([true, true, true, true, false]);
    expect(readdirSync(join(out, 'm', 'mscn')).filter((f) => f.endsWith('.modelgit-tmp'))).toEqual([]);

    // one algorithm, then all again: pages of the algorithm left out go, and come back
    await build(out, { algorithm: 'lero' });
    expect(existsSync(join(out, 'a', 'mscn'))).toBe(false);
    await build();
    expectSameSite(await cold(), out);

    // a build stopped half-way leaves no page list: the next build makes every page afresh
    rmSync(join(out, PAGES_FILE));
    writeFileSync(join(out, 'm', 'lero', `${c}.html`), 'edited by hand');
    await build();
    expectSameSite(await cold(), out);

    // a report made by other code (another version of modelgit): nothing is kept, the new site is
    // made in a fresh directory and swapped in
    const list = readFileSync(join(out, PAGES_FILE), 'utf8');
    expect(list.split('\n')[0]).toMatch(/^version\t[\w-]{27}$/);
    writeFileSync(join(out, PAGES_FILE), list.replace(/^version\t[^\n]*/, 'version\tolder'));
    mark(b, 'mscn');
    const inode = statSync(out).ino;
    await build();
    expectSameSite(await cold(), out);
    expect(marked(b, 'mscn')).toBe(false);
    expect(statSync(out).ino).not.toBe(inode);
  }, 120_000);
});
