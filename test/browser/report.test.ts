// The report opened in a real headless Chromium (Debian's package, driven by playwright-core).
// Skipped only when /usr/bin/chromium is missing; .ci/run installs it.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rankModels } from '../../src/domain/selection.js';
import { buildReport } from '../../src/registry/report.js';
import { tempDir, tempRegistry } from '../helpers.js';
import { richRegistry, type RichRegistry } from '../report-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`SKIPPED browser tests: ${CHROMIUM} is missing (apt-get install -y chromium; .ci/run installs it when missing)`);

const SHOTS = process.env.MODELGIT_SCREENSHOTS ?? join(tmpdir(), 'modelgit-report-screenshots');

function htmlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? htmlFiles(p) : f.endsWith('.html') ? [p] : [];
  });
}

describe.skipIf(!hasChromium)('the report in headless Chromium', () => {
  let browser: Browser;
  let rich: RichRegistry;
  let site: string;

  beforeAll(async () => {
    [rich, browser] = await Promise.all([
      richRegistry(),
      chromium.launch({
        executablePath: CHROMIUM,
        // playwright gives each launch a fresh temporary --user-data-dir
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      }),
    ]);
    site = join(tempDir(), 'site');
    await buildReport(rich.reg, { out: site });
    mkdirSync(SHOTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** A page that records console errors, script errors, dialogs and any request that is not a local file. */
  async function watchedPage(): Promise<{ page: Page; problems: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('request', (r) => {
      if (!/^(file|data):/.test(r.url())) problems.push(`network request: ${r.url()}`);
    });
    page.on('requestfailed', (r) => problems.push(`failed to load ${r.url()}`));
    return { page, problems };
  }

  async function visit(page: Page, root: string, path: string): Promise<void> {
    await page.goto(pathToFileURL(join(root, path)).href);
    if (await page.locator('script[src$="report.js"]').count()) await page.waitForSelector('html[data-ready="true"]');
  }

  async function open(root: string, path: string): Promise<{ page: Page; problems: string[] }> {
    const w = await watchedPage();
    await visit(w.page, root, path);
    return w;
  }

  async function shot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  }

  const leaderboardIds = (page: Page) => page.locator('[data-table="leaderboard"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
  const sortButton = (page: Page, label: string) => page.locator('[data-table="leaderboard"] th button.sort', { hasText: label });

  it('renders every page with no console error, no script error, no network request; saves screenshots', async () => {
    const files = htmlFiles(site);
    expect(files.length).toBe(42);
    const { page: p, problems } = await watchedPage();
    for (const f of files) {
      await visit(p, site, relative(site, f));
      expect(problems, f).toEqual([]);
      expect(await p.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss), f).toBeUndefined();
      // every link, including the ones the scripts drew, leads to a page that exists
      const hrefs = await p.locator('a[href]').evaluateAll((as) => as.map((a) => (a as unknown as { href: string }).href));
      for (const h of hrefs) expect(existsSync(fileURLToPath(h.split('#')[0]!)), `${f} links to ${h}`).toBe(true);
    }
    await p.close();
    for (const [name, path] of [
      ['overview', 'index.html'],
      ['algorithm-mscn', 'a/mscn/index.html'],
      ['leaderboard-mscn-production', 'a/mscn/d/production.html'],
      ['leaderboard-bulk-production', 'a/bulk/d/production.html'],
      ['model-m4', `m/mscn/${rich.ids.m4}.html`],
      ['model-l1', `m/lero/${rich.ids.l1}.html`],
    ]) {
      const { page } = await open(site, path!);
      await shot(page, name!);
      await page.close();
    }
    const { page: dark, problems: darkProblems } = await watchedPage();
    await dark.emulateMedia({ colorScheme: 'dark' });
    await visit(dark, site, 'a/mscn/d/production.html');
    await shot(dark, 'leaderboard-mscn-production-dark');
    expect(darkProblems).toEqual([]);
    await dark.close();
    console.log(`report screenshots: ${SHOTS}`);
  });

  it('the leaderboard shows the models, best first, as `best` ranks them', async () => {
    const { page } = await open(site, 'a/mscn/d/production.html');
    const snap = await rich.reg.snapshot();
    const ranked = rankModels(snap.models.filter((m) => m.metadata.algorithm === 'mscn'), { dataset: 'production', metric: 'total_time', direction: 'min' });
    const expected = ranked.ranked.map((r) => r.model.metadata.model_id);
    expect(expected).toEqual([rich.ids.m4, rich.ids.m3, rich.ids.m2, rich.ids.m1]);
    expect(await leaderboardIds(page)).toEqual(expected);
    const first = page.locator('[data-table="leaderboard"] tbody tr').first();
    await expect(first.locator('a.model').textContent()).resolves.toBe(rich.ids.m4);
    await expect(first.locator('.badge.best').textContent()).resolves.toBe('best total_time');
    await expect(first.locator('td.best').textContent()).resolves.toBe('35');
    await page.close();
  });

  it('sorting by any column changes the rows, respecting each metric direction', async () => {
    const { page } = await open(site, 'a/mscn/d/production.html');
    const { m1, m2, m3, m4 } = rich.ids;
    await sortButton(page, 'Model').click();
    expect(await leaderboardIds(page)).toEqual([m1, m2, m3, m4]);
    await sortButton(page, 'Model').click();
    expect(await leaderboardIds(page)).toEqual([m4, m3, m2, m1]);
    // accuracy is higher-is-better: 0.9 before 0.8; models without it go last
    await sortButton(page, 'accuracy').click();
    const byAccuracy = await leaderboardIds(page);
    expect(byAccuracy.slice(0, 2)).toEqual([m3, m1]);
    expect(await page.locator('th[data-key="accuracy"]').getAttribute('aria-sort')).toBe('descending');
    await sortButton(page, 'total_time').click();
    expect(await leaderboardIds(page)).toEqual([m4, m3, m2, m1]);
    await sortButton(page, 'total_time').click();
    expect(await leaderboardIds(page)).toEqual([m1, m2, m3, m4]);
    await sortButton(page, 'Training time').click();
    expect(await leaderboardIds(page)).toEqual([m4, m1, m3, m2]); // 50, 100, 200, 300 s
    await page.close();
  });

  it('filtering by tag, training dataset and id changes the rows', async () => {
    const { page } = await open(site, 'a/mscn/d/production.html');
    const { m1, m2, m3, m4 } = rich.ids;
    await page.selectOption('[data-table="leaderboard"] select[data-filter="tag"]', 'experiment');
    expect(await leaderboardIds(page)).toEqual([m3, m1]);
    await page.selectOption('[data-table="leaderboard"] select[data-filter="tag"]', '');
    await page.selectOption('[data-table="leaderboard"] select[data-filter="trained_on"]', 'stats');
    expect(await leaderboardIds(page)).toEqual([m4, m2]);
    await expect(page.locator('[data-table="leaderboard"] .status').textContent()).resolves.toBe('showing 1–2 of 2 (filtered from 4)');
    await page.selectOption('[data-table="leaderboard"] select[data-filter="trained_on"]', '');
    await page.fill('[data-table="leaderboard"] input[data-filter="search"]', 'no-such-model');
    await expect(page.locator('[data-table="leaderboard"] tbody').textContent()).resolves.toBe('No model matches these filters.');
    await page.fill('[data-table="leaderboard"] input[data-filter="search"]', '');
    expect(await leaderboardIds(page)).toEqual([m4, m3, m2, m1]);
    await page.close();
  });

  it('pages long tables', async () => {
    const { page } = await open(site, 'a/bulk/d/production.html');
    const ids = await leaderboardIds(page);
    expect(ids).toEqual([...rich.bulk].reverse().slice(0, 25)); // total_time = 100 - i: bulk_30 is best
    await expect(page.locator('[data-table="leaderboard"] .page-info').textContent()).resolves.toBe('page 1 of 2');
    await page.click('[data-table="leaderboard"] button[data-page="next"]');
    expect(await leaderboardIds(page)).toEqual([...rich.bulk].reverse().slice(25));
    await page.selectOption('[data-table="leaderboard"] select[data-filter="tag"]', 'third');
    expect(await leaderboardIds(page)).toHaveLength(10);
    await expect(page.locator('[data-table="leaderboard"] .page-info').textContent()).resolves.toBe('page 1 of 1');
    await page.close();
  });

  it('the best-over-time chart has one step per change of best, for the chosen metric', async () => {
    const { page, problems } = await open(site, 'a/mscn/d/production.html');
    const chart = () => page.evaluate(() => {
      const u = (globalThis as unknown as { modelgitCharts: { best: { data: (number | null)[][] } | null } }).modelgitCharts.best;
      return u ? { xs: u.data[0]!.length, ys: u.data[1] } : null;
    });
    const stepRows = () => page.locator('#best-steps tbody tr').evaluateAll((rows) => rows.map((r) => [r.children[2]!.textContent, Number(r.children[3]!.textContent)]));
    expect(await page.getAttribute('#best-chart', 'data-steps')).toBe(String(rich.totalTimeBests.length));
    expect(await stepRows()).toEqual(rich.totalTimeBests);
    const drawn = (await chart())!;
    // one point per step, plus the last value carried to HEAD
    expect(drawn.xs).toBe(rich.totalTimeBests.length + 1);
    expect(drawn.ys.slice(0, -1)).toEqual(rich.totalTimeBests.map(([, v]) => v));
    expect(await page.locator('#best-chart canvas').count()).toBe(1);

    await page.selectOption('#metric', 'accuracy');
    expect(await page.getAttribute('#best-chart', 'data-steps')).toBe('2');
    expect(await stepRows()).toEqual([[rich.ids.m1, 0.8], [rich.ids.m3, 0.9]]);
    // choosing a metric also ranks the leaderboard by it
    expect((await leaderboardIds(page)).slice(0, 2)).toEqual([rich.ids.m3, rich.ids.m1]);

    await page.selectOption('#metric', 'foo_score');
    await expect(page.locator('#best-chart .empty').textContent()).resolves.toMatch(/Which foo_score is better is unknown.*metrics\.foo_score\.direction/);
    expect(await page.locator('#best-chart canvas').count()).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the scatter plots a metric against training time or a hyperparameter, saying what is missing', async () => {
    const { page, problems } = await open(site, 'a/mscn/d/production.html');
    expect(await page.getAttribute('#scatter-chart', 'data-points')).toBe('4');
    await page.selectOption('#scatter-x', 'hp:lr');
    expect(await page.getAttribute('#scatter-chart', 'data-points')).toBe('3');
    await expect(page.locator('#scatter-chart .note').textContent()).resolves.toBe('3 of 4 models have both lr and total_time.');
    await page.selectOption('#metric', 'accuracy');
    expect(await page.getAttribute('#scatter-chart', 'data-points')).toBe('2');
    await shot(page, 'scatter-lr-accuracy');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the overview, algorithm and model pages show stages, timeline, history and load plan', async () => {
    const { m2, m3, m4, l1 } = rich.ids;
    const { page } = await open(site, 'index.html');
    const holders = await page.locator('table.holders tbody tr').evaluateAll((rows) => rows.map((r) => [...r.children].slice(0, 3).map((c) => c.textContent)));
    expect(holders).toEqual([['mscn', 'production', m4], ['mscn', 'staging', m2]]);
    await expect(page.locator('ol.timeline').textContent()).resolves.toContain('stage/mscn/production/2');
    await expect(page.locator('table.events').textContent()).resolves.toContain(`promote ${m3} <img src=x onerror="window.__xss=2">`);

    await page.goto(pathToFileURL(join(site, `m/mscn/${m4}.html`)).href);
    await expect(page.locator('h1 .stage').textContent()).resolves.toBe('production');
    await expect(page.locator('table.tenures').textContent()).resolves.toContain('stage/mscn/production/2');
    expect(await page.locator('table.events tbody tr td:nth-child(2)').allTextContents()).toEqual(['promote', 'test', 'register']);
    await page.goto(pathToFileURL(join(site, `m/lero/${l1}.html`)).href);
    await expect(page.locator('dl.kv').last().textContent()).resolves.toMatch(/loadercustom_mtp.*required filesconfig\.json model\.safetensors modeling\.py/);
    await page.goto(pathToFileURL(join(site, 'a/lero/index.html')).href);
    await expect(page.locator('.empty').first().textContent()).resolves.toMatch(/No test results for lero yet/);
    await page.close();
  });

  it('an empty registry and a registry with models but no results render messages, not broken charts', async () => {
    const empty = await tempRegistry();
    const out = join(tempDir(), 'empty');
    await buildReport(await empty.open(), { out });
    let { page, problems } = await open(out, 'index.html');
    await expect(page.locator('.empty').first().textContent()).resolves.toMatch(/No models registered yet/);
    await shot(page, 'empty-overview');
    expect(problems).toEqual([]);
    await page.close();

    const untested = join(tempDir(), 'untested');
    await buildReport(rich.reg, { out: untested, algorithm: 'lero' });
    ({ page, problems } = await open(untested, 'a/lero/index.html'));
    await expect(page.locator('.empty').first().textContent()).resolves.toMatch(/No test results for lero yet/);
    expect(await page.locator('[data-table="models"] tbody tr').count()).toBe(1);
    await shot(page, 'untested-algorithm');
    expect(problems).toEqual([]);
    await page.close();
  });
});
