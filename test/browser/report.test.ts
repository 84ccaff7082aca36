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

// The page functions below run in the browser; the test's TypeScript has no DOM library.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const location: any;
declare function getComputedStyle(e: unknown): { textAlign: string };

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
    // a fragment (compare.html#ids=…) is not part of the file's path
    const [file, fragment] = path.split('#') as [string, string | undefined];
    await page.goto(pathToFileURL(join(root, file)).href + (fragment === undefined ? '' : `#${fragment}`));
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

  /** A page at a given viewport (1400×900 desktop, 390×844 phone). */
  async function openAt(root: string, path: string, width: number, height: number): Promise<{ page: Page; problems: string[] }> {
    const w = await watchedPage();
    await w.page.setViewportSize({ width, height });
    await visit(w.page, root, path);
    return w;
  }

  const headKeys = (page: Page) => page.locator('[data-table="leaderboard"] thead th').evaluateAll((ths) => ths.map((th) => th.getAttribute('data-key')));
  const column = (page: Page, key: string) =>
    page.evaluate((k) => {
      const ths = [...document.querySelectorAll('[data-table="leaderboard"] thead th')];
      const i = ths.findIndex((th) => th.getAttribute('data-key') === k);
      return [...document.querySelectorAll('[data-table="leaderboard"] tbody tr')].map((tr) => tr.children[i]!.textContent);
    }, key);
  const hash = (page: Page) => page.evaluate(() => decodeURIComponent(location.hash));

  const leaderboardIds = (page: Page) => page.locator('[data-table="leaderboard"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));
  const sortButton = (page: Page, label: string) => page.locator('[data-table="leaderboard"] th button.sort', { hasText: label });

  // (45 pages in a real browser: a slow, shared machine must not decide it by the default timeout)
  it('renders every page with no console error, no script error, no network request; saves screenshots', { timeout: 180_000 }, async () => {
    const files = htmlFiles(site);
    expect(files.length).toBe(45);
    const { page: p, problems } = await watchedPage();
    for (const f of files) {
      await visit(p, site, relative(site, f));
      expect(problems, f).toEqual([]);
      expect(await p.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss), f).toBeUndefined();
      // every control a keyboard or a screen reader reaches has a name (axe-core is not a
      // dependency here; this is the check of its that the new controls could fail)
      const unnamed = await p.evaluate(() =>
        [...document.querySelectorAll('input, select, button, textarea')]
          .filter((e: any) => !((e.getAttribute('aria-label') || '').trim() || (e.labels && [...e.labels].some((l: any) => l.textContent.trim())) || (e.tagName === 'BUTTON' && e.textContent.trim())))
          .map((e: any) => e.outerHTML.slice(0, 100)),
      );
      expect(unnamed, f).toEqual([]);
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
    await visit(dark, site, `a/mscn/compare.html#ids=${rich.ids.m4},${rich.ids.m3}`);
    await shot(dark, 'compare-mscn-dark');
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

  it('the leaderboard puts the ranking metric next to the model, # is the rank, columns can be chosen', async () => {
    const { page, problems } = await openAt(site, 'a/mscn/d/production.html', 1400, 900);
    const { m1, m2, m3, m4 } = rich.ids;
    const keys = await headKeys(page);
    expect(keys.slice(0, 4)).toEqual([null, '#', 'id', 'total_time']); // the first is the compare tick box
    expect(keys).toContain('tested_at');
    expect(keys).not.toContain('hp:lr'); // hyperparameters only when chosen
    expect(await column(page, '#')).toEqual(['1', '2', '3', '4']);
    // the ranking column is on screen at 1400 px
    const box = await page.locator('[data-table="leaderboard"] th[data-key="total_time"]').boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(1400);
    // sorting by another column keeps # as the rank by total_time
    await sortButton(page, 'Model').click();
    expect(await leaderboardIds(page)).toEqual([m1, m2, m3, m4]);
    expect(await column(page, '#')).toEqual(['4', '3', '2', '1']);
    // ranking by accuracy moves it next to the model; models without it have no rank
    await page.selectOption('#metric', 'accuracy');
    expect((await headKeys(page)).slice(0, 4)).toEqual([null, '#', 'id', 'accuracy']);
    expect((await leaderboardIds(page)).slice(0, 2)).toEqual([m3, m1]);
    expect((await column(page, '#')).slice(0, 3)).toEqual(['1', '2', '—']);
    // choose columns: a hyperparameter in, tags out
    await page.click('[data-table="leaderboard"] details.columns summary');
    await page.check('[data-table="leaderboard"] input[data-column="hp:lr"]');
    await page.uncheck('[data-table="leaderboard"] input[data-column="tags"]');
    const chosen = await headKeys(page);
    expect(chosen).toContain('hp:lr');
    expect(chosen).not.toContain('tags');
    expect(await column(page, 'hp:lr')).toEqual(['0.005', '0.01', '0.001', '—']);
    await shot(page, 'leaderboard-columns-1400');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('on a 390 px phone no page scrolls sideways; wide tables scroll in their own box and the score is in view', async () => {
    const { m3, m4 } = rich.ids;
    const kinds: [string, string][] = [
      ['overview', 'index.html'],
      ['algorithm', 'a/mscn/index.html'],
      ['leaderboard', 'a/mscn/d/production.html'],
      ['leaderboard-bulk', 'a/bulk/d/production.html'],
      ['model', `m/mscn/${m3}.html`],
      ['model-lero', `m/lero/${rich.ids.l1}.html`],
      ['compare', `a/mscn/compare.html#ids=${m4},${m3}`],
      ['compare-empty', 'a/mscn/compare.html'],
    ];
    for (const [name, path] of kinds) {
      for (const [w, h] of [[390, 844], [1400, 900]] as const) {
        const { page, problems } = await openAt(site, path, w, h);
        const width = await page.evaluate(() => document.scrollingElement!.scrollWidth);
        expect(width, `${path} at ${w} px`).toBeLessThanOrEqual(w);
        await shot(page, `${name}-${w}x${h}`);
        expect(problems).toEqual([]);
        if (name === 'leaderboard' && w === 390) {
          // the score is visible without scrolling the table
          const cell = await page.locator('[data-table="leaderboard"] tbody tr').first().locator('td.best').boundingBox();
          expect(cell!.x + cell!.width).toBeLessThanOrEqual(390);
        }
        await page.close();
      }
    }
  });

  it('models ticked on the leaderboard open side by side in the compare view, with deltas against the first', async () => {
    const { page, problems } = await open(site, 'a/mscn/d/production.html');
    const { m2, m3, m4 } = rich.ids;
    await page.check(`[data-table="leaderboard"] tr[data-id="${m4}"] td.pick input`);
    await page.check(`[data-table="leaderboard"] tr[data-id="${m3}"] td.pick input`);
    await expect(page.locator('.selection a.compare-selected').textContent()).resolves.toBe('Compare 2 selected');
    expect(await hash(page)).toContain(`sel=${m4},${m3}`);
    // the selection survives paging and sorting
    await sortButton(page, 'Model').click();
    expect(await page.locator('td.pick input:checked').count()).toBe(2);
    await page.click('.selection a.compare-selected');
    await page.waitForSelector('#compare[data-models="2"]');
    expect(await page.locator('table.compare-results thead th[data-id]').evaluateAll((ths) => ths.map((t) => t.getAttribute('data-id')))).toEqual([m4, m3]);
    const row = page.locator('table.compare-results tr[data-row="production/total_time"]');
    expect(await row.locator('td.num').allTextContents()).toEqual(['35', '38+3 (+8.57%) worse']);
    await expect(row.locator('td.best').textContent()).resolves.toBe('35');
    await expect(page.locator('table.compare-params tr[data-field="lr"]').getAttribute('class')).resolves.toBe('differs');
    await expect(page.locator('table.compare-params tr[data-field="trained on"] td').allTextContents()).resolves.toEqual(['stats', 'production']);
    // measure against the other model: the delta turns round
    await page.click(`table.compare-results th[data-id="${m3}"] button.baseline`);
    expect(await page.locator('table.compare-results tr[data-row="production/total_time"] td.num').allTextContents()).toEqual(['38', '35-3 (-7.89%) better']);
    // add one by id; back undoes it
    await page.fill('input[data-compare="add"]', m2);
    await page.click('#compare button:text("Add")');
    await page.waitForSelector('#compare[data-models="3"]');
    await page.goBack();
    await page.waitForSelector('#compare[data-models="2"]');
    await shot(page, 'compare-view');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('sort, filters (thresholds, hyperparameters), page, columns and selection live in the URL; a link restores them; back/forward work', async () => {
    const { page, problems } = await open(site, 'a/mscn/d/production.html');
    const { m1, m2, m3, m4 } = rich.ids;
    await page.fill('[data-table="leaderboard"] input[data-filter="where"]', 'total_time<=40');
    expect(await leaderboardIds(page)).toEqual([m4, m3, m2]);
    await page.fill('[data-table="leaderboard"] input[data-filter="where"]', 'total_time<=40, lr=0.005');
    expect(await leaderboardIds(page)).toEqual([m3]);
    await page.fill('[data-table="leaderboard"] input[data-filter="where"]', 'lr>=0.005');
    expect(await leaderboardIds(page)).toEqual([m3, m1]);
    await page.fill('[data-table="leaderboard"] input[data-filter="where"]', 'nonsense<3');
    await expect(page.locator('[data-table="leaderboard"] .where-error').textContent()).resolves.toMatch(/unknown column nonsense/);
    await page.fill('[data-table="leaderboard"] input[data-filter="where"]', 'total_time<45');
    await page.check(`[data-table="leaderboard"] tr[data-id="${m2}"] td.pick input`);
    await page.selectOption('#metric', 'accuracy');
    await sortButton(page, 'Model').click();
    const url = page.url();
    expect(await hash(page)).toMatch(/metric=accuracy/);
    expect(await hash(page)).toMatch(/where=total_time<45/);
    expect(await hash(page)).toMatch(/sort=id/);
    expect(await hash(page)).toMatch(new RegExp(`sel=${m2}`));
    const rows = await leaderboardIds(page);
    expect(rows).toEqual([m2, m3, m4]);

    // the link, opened afresh, shows the same view
    const { page: again } = await watchedPage();
    await again.goto(url);
    await again.waitForSelector('html[data-ready="true"]');
    expect(await leaderboardIds(again)).toEqual(rows);
    expect(await again.inputValue('#metric')).toBe('accuracy');
    expect(await again.inputValue('[data-table="leaderboard"] input[data-filter="where"]')).toBe('total_time<45');
    expect(await again.locator('td.pick input:checked').count()).toBe(1);
    await again.close();

    // back: the sort before the last click; forward: again
    await page.goBack();
    expect(await hash(page)).not.toMatch(/sort=id/);
    expect((await leaderboardIds(page)).slice(0, 1)).toEqual([m3]); // by accuracy again
    await page.goForward();
    expect(await leaderboardIds(page)).toEqual(rows);

    // the page number, on a long table
    const { page: bulk } = await open(site, 'a/bulk/d/production.html');
    await bulk.click('[data-table="leaderboard"] button[data-page="next"]');
    expect(await hash(bulk)).toMatch(/page=2/);
    const second = await leaderboardIds(bulk);
    await bulk.reload();
    await bulk.waitForSelector('html[data-ready="true"]');
    expect(await leaderboardIds(bulk)).toEqual(second);
    await expect(bulk.locator('[data-table="leaderboard"] .page-info').textContent()).resolves.toBe('page 2 of 2');
    await bulk.goBack();
    await expect(bulk.locator('[data-table="leaderboard"] .page-info').textContent()).resolves.toBe('page 1 of 2');
    await bulk.close();
    expect(problems).toEqual([]);
    await page.close();
  });

  it('best over time: a log-scale toggle, every result drawn behind the line, times in UTC', async () => {
    const { page, problems } = await open(site, 'a/mscn/d/production.html');
    // every total_time result on production: m1 50 and 45, m2 40, m3 30 and 38, m4 35
    expect(await page.getAttribute('#best-chart', 'data-results')).toBe('6');
    const distr = () => page.evaluate(() => (globalThis as unknown as { modelgitCharts: { best: { scales: { y: { distr: number } } } } }).modelgitCharts.best.scales.y.distr);
    expect(await distr()).toBe(1);
    await page.check('#best-log');
    expect(await page.getAttribute('#best-chart', 'data-log')).toBe('true');
    expect(await distr()).toBe(3);
    expect(await hash(page)).toMatch(/log=1/);
    await expect(page.locator('#best-chart').textContent()).resolves.toContain('commit time (UTC)');
    expect(await page.locator('#best-steps thead th').allTextContents()).toContain('Since (UTC)');
    await expect(page.locator('#best-chart .chart-caption').textContent()).resolves.toMatch(/ UTC$/);
    await shot(page, 'best-over-time-log');
    await page.goBack();
    expect(await distr()).toBe(1);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('scatter: hover names the point nearest in x and y, click opens it, log axes, colour groups, best and stage holder marked', async () => {
    const { page, problems } = await open(site, 'a/bulk/d/production.html');
    await page.selectOption('#scatter-x', 'hp:lr');
    expect(await page.getAttribute('#scatter-chart', 'data-points')).toBe('30');
    // 15 models share lr=0.01: only a nearest-in-both-axes hover can tell them apart
    const at = (id: string) =>
      page.evaluate((want) => {
        type U = { valToPos: (v: number, s: string) => number; over: { getBoundingClientRect: () => { left: number; top: number } } };
        const u = (globalThis as unknown as { modelgitCharts: { scatter: U } }).modelgitCharts.scatter;
        const data = JSON.parse(document.getElementById('report-data')!.textContent!) as { rows: { id: string; hp: Record<string, number>; v: Record<string, number> }[] };
        const r = data.rows.find((x) => x.id === want)!;
        const rect = u.over.getBoundingClientRect();
        return { x: rect.left + u.valToPos(r.hp.lr!, 'x'), y: rect.top + u.valToPos(r.v.total_time!, 'y') };
      }, id);
    await page.locator('#scatter-chart').scrollIntoViewIfNeeded();
    for (const id of ['bulk_07', 'bulk_21', 'bulk_08']) {
      const p = await at(id);
      await page.mouse.move(p.x + 2, p.y - 2);
      expect(await page.getAttribute('#scatter-chart', 'data-hover')).toBe(id);
    }
    await expect(page.locator('#scatter-chart .chart-caption').textContent()).resolves.toMatch(/^bulk_08: lr 0\.001, total_time 92/);
    // log x, colour by training dataset
    await page.check('#scatter-logx');
    expect(await page.evaluate(() => (globalThis as unknown as { modelgitCharts: { scatter: { scales: { x: { distr: number } } } } }).modelgitCharts.scatter.scales.x.distr)).toBe(3);
    await page.selectOption('#scatter-colour', 'trained_on');
    expect(await page.locator('#scatter-chart ul.scatter-legend li').allTextContents()).toEqual(['even', 'odd', 'best total_time: bulk_30']);
    expect(await hash(page)).toMatch(/colour=trained_on/);
    await shot(page, 'scatter-bulk-lr-log-colour');
    await page.locator('#scatter-chart').scrollIntoViewIfNeeded();
    const p = await at('bulk_21');
    await page.mouse.move(p.x, p.y);
    await page.mouse.down();
    await page.mouse.up();
    await page.waitForURL(/\/m\/bulk\/bulk_21\.html$/);
    expect(problems).toEqual([]);
    await page.close();

    // the best and the production holder are named in the legend on mscn
    const { page: mscn } = await open(site, 'a/mscn/d/production.html');
    expect(await mscn.locator('#scatter-chart ul.scatter-legend li').allTextContents()).toEqual([`best total_time: ${rich.ids.m4}`, `production: ${rich.ids.m4}`, `staging: ${rich.ids.m2}`]);
    await mscn.selectOption('#scatter-colour', 'tag');
    expect(await mscn.locator('#scatter-chart ul.scatter-legend li').allTextContents()).toContain('experiment');
    await mscn.close();
  });

  it('the model page: rank per dataset, compare links to the best, runner-up and stage holders, human sizes, numbers right-aligned', async () => {
    const { m2, m3, m4 } = rich.ids;
    const { page, problems } = await open(site, `m/mscn/${m3}.html`);
    const standing = await page.locator('table.standing tbody tr').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)));
    expect(standing).toEqual([['production', 'total_time ↓', '38', '2 of 4', 'compare with the best']]);
    expect(await page.locator('table.standing a.compare-link').getAttribute('href')).toBe(`../../a/mscn/compare.html#ids=${m3},${m4}`);
    expect(await page.locator('ul.compare-links a.compare-link').allTextContents()).toEqual(['compare with the production holder', 'compare with the staging holder']);
    expect(await page.locator('ul.compare-links a.compare-link').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual([`../../a/mscn/compare.html#ids=${m3},${m4}`, `../../a/mscn/compare.html#ids=${m3},${m2}`]);
    const align = await page.locator('table.results td.num').first().evaluate((td) => getComputedStyle(td).textAlign);
    expect(align).toBe('right');
    await expect(page.locator('dl.kv').first().textContent()).resolves.toMatch(/training time3 min \(200 s\)/);
    await page.click('table.standing a.compare-link');
    await page.waitForSelector('#compare[data-models="2"]');
    // the best's page offers the runner-up
    await page.goto(pathToFileURL(join(site, `m/mscn/${m4}.html`)).href);
    await expect(page.locator('table.standing a.compare-link').textContent()).resolves.toBe('compare with the runner-up');
    expect(await page.locator('table.standing a.compare-link').getAttribute('href')).toBe(`../../a/mscn/compare.html#ids=${m4},${m3}`);
    await shot(page, 'model-m4-standing');
    expect(problems).toEqual([]);
    await page.close();
  });
});
