// The report's pages as HTML strings. Pure: site data in, {path, html} out. Tables that can grow
// to thousands of rows (leaderboards, model lists) are embedded as JSON and paged by assets/report.js;
// what moves with every commit elsewhere (a model's rank, who holds a stage, HEAD's time) is in one
// small script per algorithm, or for the site, that the pages load; everything else is rendered here
// so it reads without scripts. Each page can carry a key over its inputs, so a rebuild over an
// earlier report makes only the pages whose inputs changed (registry/report.ts).
import { hash } from 'node:crypto';
import type { Direction, Model, ModelMetadata, RegistryConfig, StageAssignments } from '../domain/types.js';
import type { BestOverTime, BestSeries } from './best-over-time.js';
import { emptyNote, esc, escText, fileSlug, fmtBytes, fmtDate, fmtNum, jsonScript, page, shortCommit, table } from './html.js';
import { loadPlanSection } from './load-plan.js';
import { compareData, leaderboard, resultsByDataset, summarizeAlgorithm, modelList, rankedRows, type AlgorithmSummary, type Leaderboard } from './tables.js';
import type { HistoryEvent, PromotionEvent, Tenure } from './timeline.js';
import { resultsIn } from '../domain/types.js';

export interface SiteData {
  generated: string;
  head: string | null;
  config: Pick<RegistryConfig, 'metrics' | 'default_metric'>;
  /** models at HEAD (already restricted to --algo) */
  models: Model[];
  stages: StageAssignments;
  algorithms: string[];
  /** newest first */
  events: HistoryEvent[];
  /** oldest first */
  timeline: PromotionEvent[];
  tenures: Map<string, Tenure[]>;
  best: BestOverTime;
  /** model id → its events, newest first */
  modelHistory: Map<string, HistoryEvent[]>;
  /** time of HEAD (unix seconds): where best-over-time lines end */
  endTime: number;
  latestEvents?: number;
  /**
   * model file path → its blob id at HEAD. When given, every model page carries a key naming all
   * it is made from, so a rebuild can keep an earlier report's page whose key is the same.
   */
  oids?: Lookup;
  /**
   * A build that renders only some pages (the report state, registry/report-update.ts) holds only
   * those pages' models in `models`; these then say what the whole registry at HEAD is: every model
   * id and its algorithm, the digest of each algorithm's model files (filesDigest: what its pages'
   * key is computed over), and the overview's counts (each algorithm's summary is in `summaries`).
   */
  whole?: WholeRegistry;
  /** each algorithm's summary, when the caller has them (else computed from `models`) */
  summaries?: ReadonlyMap<string, AlgorithmSummary>;
}

/** A lookup by name: a map, or a search (the build from the state looks up 100,000 files, not a map of them). */
export interface Lookup {
  get(name: string): string | undefined;
}

export interface WholeRegistry {
  known: Lookup;
  /** algorithm → filesDigest of its model files at HEAD */
  files: ReadonlyMap<string, string>;
  models: number;
  results: number;
}

export interface SitePage {
  path: string;
  /** undefined for a page kept from an earlier report (renderPages' `keep` said so) */
  html?: string;
  /** what the page is made from (model pages, when the site has blob ids) */
  key?: string;
}

export interface RenderOptions {
  /**
   * Asked for each keyed page before it is made: true when the caller has that page, made from
   * the same inputs, already (it is then not made). The key leaves out only the "Generated" time.
   */
  keep?: (path: string, key: string) => boolean;
  /** goes into every key: the version of the code that renders (a new one remakes every page) */
  version?: string;
}

export const paths = {
  overview: () => 'index.html',
  algorithm: (a: string) => `a/${a}/index.html`,
  dataset: (a: string, d: string) => `a/${a}/d/${fileSlug(d)}.html`,
  model: (a: string, id: string) => `m/${a}/${id}.html`,
  /** the compare view; the models to compare go in the fragment: compare.html#ids=a,b */
  compare: (a: string) => `a/${a}/compare.html`,
  /** where each model of the algorithm ranks, and who holds its stages: a script the model pages load */
  standing: (a: string) => `a/${a}/standing.js`,
  /** what changes with every commit (HEAD's time, where best-over-time lines end): a script the dataset pages load */
  site: () => 'site.js',
};

const BASE = { overview: '', algorithm: '../../', dataset: '../../../', model: '../../' };

type Linker = (id: string | null | undefined) => string;
/** model id at HEAD → its algorithm (what a link to a model needs) */
type Known = Lookup;

function modelLinker(known: Known, base: string): Linker {
  return (id) => {
    if (!id) return '<span class="muted">none</span>';
    const a = known.get(id);
    return a !== undefined ? `<a class="model" href="${base}${esc(paths.model(a, id))}">${esc(id)}</a>` : `<span class="removed" title="not in the registry at HEAD">${esc(id)}</span>`;
  };
}

const commitCell = (c: string | null | undefined) => (c ? `<code title="${esc(c)}">${esc(shortCommit(c))}</code>` : '');
const dirLabel = (d: Direction | null | undefined) => (d === 'min' ? 'lower is better' : d === 'max' ? 'higher is better' : 'direction unknown');

function eventsTable(events: HistoryEvent[], link: Linker, showModels = true): string {
  if (events.length === 0) return emptyNote('No history yet.');
  const head = ['When (UTC)', 'Action', ...(showModels ? ['Models'] : []), 'Subject', 'Commit', 'Author'];
  const rows = events.map((e) => [
    `<time datetime="${esc(e.date)}">${esc(fmtDate(e.date))}</time>`,
    e.action ? `<span class="action action-${esc(e.action)}">${esc(e.action)}</span>` : '<span class="muted">commit</span>',
    ...(showModels ? [e.model_ids.slice(0, 5).map(link).join(' ') + (e.model_ids.length > 5 ? ` <span class="muted">+${e.model_ids.length - 5}</span>` : '')] : []),
    esc(e.subject),
    commitCell(e.commit),
    esc(e.author),
  ]);
  return table(head, rows, 'events');
}

/** "1 h 23 min (4980 s)" for a training time in seconds; the seconds stay, for exactness. */
function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const s = `${fmtNum(seconds)} s`;
  if (seconds < 90) return s;
  const m = Math.round(seconds / 60);
  const human = m < 90 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
  return `${human} (${fmtNum(seconds)} s)`;
}

/** A promotion forced past failed gates: an override the reader must see (issue #16). */
const FORCED_BADGE = '<span class="badge forced" title="promoted with --force past failed gates (modelgit audit ID lists them)">forced</span>';

function timelineList(events: PromotionEvent[], link: Linker, showAlgorithm: boolean): string {
  if (events.length === 0) return emptyNote('No promotions yet.', 'modelgit promote ID --stage S records one as a commit and a stage tag.');
  const items = [...events].reverse().map((e) => {
    const what =
      e.action === 'promote'
        ? `${link(e.model_id)} → <b>${esc(e.stage)}</b>${e.forced ? ` ${FORCED_BADGE}` : ''}${e.previous ? ` <span class="muted">(replacing ${link(e.previous)})</span>` : ''}`
        : `${link(e.model_id)} left <b>${esc(e.stage)}</b>`;
    return `<li class="tl-${esc(e.action)}"><time datetime="${esc(e.date)}">${esc(fmtDate(e.date))} UTC</time>
<div>${showAlgorithm && e.algorithm ? `<span class="algo">${esc(e.algorithm)}</span> ` : ''}${what}
<div class="muted small">${e.tag ? `tag <code>${esc(e.tag)}</code> ` : ''}${e.commit ? `commit ${commitCell(e.commit)}` : ''}</div></div></li>`;
  });
  return `<ol class="timeline">${items.join('\n')}</ol>`;
}

function stageHolders(stages: Record<string, string>, link: Linker): string {
  const entries = Object.entries(stages);
  if (entries.length === 0) return '<span class="muted">no stage held</span>';
  return entries.map(([stage, id]) => `<span class="stage">${esc(stage)}</span> ${link(id)}`).join('<br>');
}

function overviewPage(site: SiteData, summaries: AlgorithmSummary[], link: Linker): SitePage {
  const base = BASE.overview;
  const results = site.whole?.results ?? site.models.reduce((n, m) => n + m.metadata.testing.length, 0);
  const cards = [
    ['algorithms', summaries.length],
    ['models', site.whole?.models ?? site.models.length],
    ['test results', results],
    ['promotions', site.timeline.filter((e) => e.action === 'promote').length],
  ]
    .map(([k, v]) => `<div class="card"><div class="num">${esc(v)}</div><div class="label">${esc(k)}</div></div>`)
    .join('');
  let algos: string;
  if (summaries.length === 0) {
    algos = emptyNote('No models registered yet.', 'Register one with: modelgit register --algo NAME, then record a result with modelgit test ID --dataset D --metric total_time=12.3');
  } else {
    algos = table(
      ['Algorithm', 'Models', 'Tested', 'Datasets (best now)', 'Stages'],
      summaries.map((s) => [
        `<a href="${base}${esc(paths.algorithm(s.algorithm))}"><b>${esc(s.algorithm)}</b></a>`,
        esc(s.models),
        esc(s.tested),
        s.datasets.length
          ? s.datasets
              .map((d) => `<a href="${base}${esc(paths.dataset(s.algorithm, d.dataset))}">${esc(d.dataset)}</a>${d.best ? ` <span class="muted">${link(d.best.model_id)} ${esc(d.metric)} ${esc(fmtNum(d.best.value))}</span>` : ''}`)
              .join('<br>')
          : '<span class="muted">no results yet</span>',
        stageHolders(s.stages, link),
      ]),
      'algorithms',
      new Set([1, 2]),
    );
  }
  const holders: string[][] = [];
  for (const s of summaries) {
    for (const [stage, id] of Object.entries(s.stages)) {
      const since = site.tenures.get(id)?.find((t) => t.current && t.algorithm === s.algorithm && t.stage === stage)?.from;
      holders.push([esc(s.algorithm), `<span class="stage">${esc(stage)}</span>`, link(id), since ? esc(fmtDate(since)) : '<span class="muted">unknown</span>']);
    }
  }
  const latest = site.events.slice(0, site.latestEvents ?? 20);
  const body = `<h1>Registry overview</h1>
<p class="muted">At ${site.head ? `commit ${commitCell(site.head)}` : 'an empty history'}.</p>
<section class="cards">${cards}</section>
<section><h2>Algorithms</h2>${algos}</section>
<section><h2>Who holds each stage</h2>${holders.length ? table(['Algorithm', 'Stage', 'Model', 'Since (UTC)'], holders, 'holders') : emptyNote('No stage is held.', 'modelgit promote ID --stage production assigns one.')}</section>
<section><h2>Latest events</h2>${eventsTable(latest, link)}</section>
<section><h2>Promotion timeline</h2>${timelineList(site.timeline.slice(-50), link, true)}</section>`;
  return { path: paths.overview(), html: page({ title: 'Registry overview', base, body, generated: site.generated }) };
}

function algorithmPage(site: SiteData, s: AlgorithmSummary, own: Model[], link: Linker): SitePage {
  const base = BASE.algorithm;
  const a = s.algorithm;
  const datasets = s.datasets.length
    ? table(
        ['Dataset', 'Models tested', 'Metric', 'Best now', 'Value'],
        s.datasets.map((d) => [
          `<a href="${base}${esc(paths.dataset(a, d.dataset))}"><b>${esc(d.dataset)}</b></a>`,
          esc(d.models),
          d.metric ? `${esc(d.metric)} <span class="muted small">${esc(dirLabel(d.direction))}</span>` : '',
          d.best ? link(d.best.model_id) : '<span class="muted">—</span>',
          d.best ? esc(fmtNum(d.best.value)) : '—',
        ]),
        'datasets',
        new Set([1, 4]),
      )
    : emptyNote(s.models ? `No test results for ${a} yet, so there is nothing to rank.` : `No ${a} model at HEAD.`, `Record one with: modelgit test ID --dataset D --metric total_time=12.3`);
  const list = modelList(own, a, site.stages);
  const models = list.length
    ? `<div class="datatable" data-table="models" data-source="models-data"></div>${jsonScript('models-data', { base, algorithm: a, rows: list })}`
    : emptyNote('No models.');
  const body = `<h1>${esc(a)}</h1>
<section class="cards"><div class="card"><div class="num">${esc(s.models)}</div><div class="label">models</div></div><div class="card"><div class="num">${esc(s.tested)}</div><div class="label">tested</div></div><div class="card"><div class="num">${esc(s.models - s.tested)}</div><div class="label">without results</div></div><div class="card wide"><div class="label">stages</div><div>${stageHolders(s.stages, link)}</div></div></section>
<section><h2>Datasets</h2>${datasets}</section>
<section><h2>Promotion timeline</h2>${timelineList(site.timeline.filter((e) => e.algorithm === a), link, false)}</section>
<section><h2>Models</h2>${list.length ? `<p><a href="${base}${esc(paths.compare(a))}">Compare models side by side</a> <span class="muted small">(or tick models on a dataset's leaderboard)</span></p>` : ''}${models}</section>`;
  return { path: paths.algorithm(a), html: page({ title: a, base, crumbs: [[a, null]], body, scripts: list.length > 0, generated: site.generated }) };
}

function datasetPage(site: SiteData, lb: Leaderboard, seriesIndex: Map<string, BestSeries>): SitePage {
  const base = BASE.dataset;
  const { algorithm: a, dataset } = lb;
  const series: Record<string, { direction: Direction; steps: BestSeries['steps'] }> = {};
  for (const m of lb.metrics) {
    const s = seriesIndex.get(`${a}\0${dataset}\0${m.name}`);
    if (s) series[m.name] = { direction: s.direction, steps: s.steps };
  }
  const data = {
    algorithm: a,
    dataset,
    base,
    modelBase: `${base}m/${a}/`,
    compare: `${base}${paths.compare(a)}`,
    defaultMetric: lb.defaultMetric,
    metrics: lb.metrics,
    hyperparams: lb.hyperparams,
    params: lb.params,
    stages: site.stages[a] ?? {},
    rows: lb.rows,
    points: lb.points,
    series,
  };
  const options = lb.metrics.map((m) => `<option value="${esc(m.name)}"${m.name === lb.defaultMetric ? ' selected' : ''}>${esc(m.name)} (${esc(dirLabel(m.direction))})</option>`).join('');
  const partial = lb.metrics.filter((m) => m.models < lb.rows.length);
  const body = `<h1>${esc(a)} on ${esc(dataset)}</h1>
<p class="muted">${esc(lb.rows.length)} model${lb.rows.length === 1 ? '' : 's'} with results on ${esc(dataset)}. A model's score is its latest result here, as <code>modelgit best</code> computes it; <b>#</b> is its rank by the chosen metric. Dates are UTC.</p>
<div class="controls"><label>Rank by <select id="metric">${options}</select></label></div>
${partial.length ? `<p class="note">${partial.map((m) => `${esc(m.name)} is recorded for ${esc(m.models)} of ${esc(lb.rows.length)} models`).join('; ')}; the others show —.</p>` : ''}
<section><h2>Leaderboard</h2><div class="datatable" data-table="leaderboard" data-source="report-data"></div></section>
<section><h2>Best over time</h2><p class="muted small">The answer <code>modelgit best --at C</code> gives at each commit C that changed it (the line), and every individual result (the dots behind it). Times are UTC.</p><div class="controls"><label><input type="checkbox" id="best-log"> log scale</label></div><div id="best-chart" class="chart"></div><div id="best-steps"></div></section>
<section><h2>Scatter</h2><div class="controls"><label>Against <select id="scatter-x"><option value="training_time">training time (s)</option>${lb.hyperparams.map((h) => `<option value="hp:${esc(h)}">${esc(h)}</option>`).join('')}</select></label><label>Colour by <select id="scatter-colour"><option value="">nothing</option><option value="trained_on">training dataset</option><option value="tag">tag</option></select></label><label><input type="checkbox" id="scatter-logx"> log x</label><label><input type="checkbox" id="scatter-logy"> log y</label></div><p class="muted small">Point at a model to name it; click to open it.</p><div id="scatter-chart" class="chart"></div></section>
${jsonScript('report-data', data)}`;
  return {
    path: paths.dataset(a, dataset),
    html: page({ title: `${a} on ${dataset}`, base, crumbs: [[a, `${base}${paths.algorithm(a)}`], [dataset, null]], body, scripts: true, data: [`${base}${paths.site()}`], generated: site.generated }),
  };
}

function comparePage(site: SiteData, a: string, own: Model[], boards: Leaderboard[]): SitePage {
  const base = BASE.algorithm;
  const data = { ...compareData(own, a, site.stages, site.config, boards), base, modelBase: `${base}m/${a}/`, datasetBase: `${base}a/${a}/d/` };
  const body = `<h1>Compare ${esc(a)} models</h1>
<p class="muted">Side by side, as <code>modelgit compare</code> shows them: each model's score per dataset and metric, the best of each row marked, and the change against the first model (better or worse by the metric's direction). Tick models on a dataset's leaderboard to compare them, or add them here.</p>
<div id="compare" class="compare"></div>
${jsonScript('compare-data', data)}`;
  return {
    path: paths.compare(a),
    html: page({ title: `Compare ${a} models`, base, crumbs: [[a, `${base}${paths.algorithm(a)}`], ['compare', null]], body, scripts: true, generated: site.generated }),
  };
}

function resultsSection(meta: ModelMetadata, base: string): string {
  if (meta.testing.length === 0) return emptyNote('No test results yet.', `modelgit test ${meta.model_id} --dataset D --metric total_time=12.3 records one.`);
  const byDataset = new Map<string, { r: ModelMetadata['testing'][number]; i: number }[]>();
  resultsIn(meta.testing).forEach(([r, i]) => byDataset.set(r.dataset, [...(byDataset.get(r.dataset) ?? []), { r, i }]));
  const parts: string[] = [];
  for (const [dataset, results] of [...byDataset].sort((x, y) => x[0].localeCompare(y[0]))) {
    const metrics = [...new Set(results.flatMap(({ r }) => Object.keys(r.performance ?? {})))].sort();
    const rows = results.map(({ r }, k) => [
      esc(fmtDate(r.tested_at)) + (k === results.length - 1 ? ' <span class="badge">score</span>' : ''),
      esc(r.num_queries ?? ''),
      ...metrics.map((m) => esc(fmtNum(r.performance?.[m]))),
      esc(r.notes ?? ''),
    ]);
    const numeric = new Set(metrics.map((_, i) => i + 2).concat(1));
    parts.push(`<h3><a href="${base}${esc(paths.dataset(meta.algorithm, dataset))}">${esc(dataset)}</a></h3>${table(['Tested (UTC)', 'Queries', ...metrics.map(esc), 'Notes'], rows, 'results', numeric)}`);
  }
  return parts.join('\n');
}

/**
 * What the model pages of one algorithm show under "Standing", as a script they all load: each
 * dataset's ranking by its default metric (ids best first, and their scores) and the holder of each
 * stage. Rendered on the page by assets/report.js. A new result moves the rank of every model
 * below it, and a promotion changes every page's "compare with the holder" link; kept in one file
 * per algorithm, neither remakes thousands of model pages (a rebuild writes only the pages whose
 * own inputs changed).
 */
export interface StandingData {
  algorithm: string;
  /** one per leaderboard with a ranking (a default metric whose direction is known) */
  datasets: { dataset: string; href: string; metric: string; direction: Direction; ids: string[]; values: number[] }[];
  /** [stage, model id, the model page (from the site root), or null when the model is not at HEAD] */
  holders: [string, string, string | null][];
}

function standingScript(a: string, boards: Leaderboard[], holders: Record<string, string>, known: Known): SitePage {
  const datasets: StandingData['datasets'] = [];
  for (const lb of boards) {
    const ranked = rankedRows(lb);
    if (!ranked) continue;
    datasets.push({ dataset: lb.dataset, href: paths.dataset(a, lb.dataset), metric: ranked.metric, direction: ranked.direction, ids: ranked.rows.map((r) => r.id), values: ranked.rows.map((r) => r.v[ranked.metric]!) });
  }
  const data: StandingData = {
    algorithm: a,
    datasets,
    holders: Object.entries(holders).map(([stage, id]) => {
      const at = known.get(id);
      return [stage, id, at !== undefined ? paths.model(at, id) : null];
    }),
  };
  // JSON is JavaScript; the file is loaded by <script src>, which works from file:// (fetch does not)
  return { path: paths.standing(a), html: `window.modelgitStanding = ${JSON.stringify(data)};\n` };
}

function modelPage(site: SiteData, meta: ModelMetadata, link: Linker): SitePage {
  const base = BASE.model;
  const id = meta.model_id;
  const tr = meta.training;
  const kv: [string, string][] = [
    ['algorithm', `<a href="${base}${esc(paths.algorithm(meta.algorithm))}">${esc(meta.algorithm)}</a>`],
    ['created', `${esc(fmtDate(meta.created_at))} UTC`],
    ['model path', meta.model_path ? `<code>${esc(meta.model_path)}</code>` : '<span class="muted">none</span>'],
  ];
  if (meta.parent) kv.push(['parent', link(meta.parent)]);
  if (meta.artifact?.sha256) {
    const size = meta.artifact.size_bytes;
    // (a regex, not toLocaleString, which costs three times as much through ICU)
    const bytes = typeof size === 'number' && size >= 1000 ? ` <span class="muted">(${esc(String(size).replace(/\B(?=(\d{3})+(?!\d))/g, ','))} bytes)</span>` : '';
    kv.push(['artifact', `<code>sha256:${esc(meta.artifact.sha256.slice(0, 16))}…</code> ${esc(typeof size === 'number' ? fmtBytes(size) : (size ?? ''))}${bytes}`]);
  }
  if (meta.artifact?.files?.length) kv.push(['artifact files', esc(meta.artifact.files.length)]);
  if (tr) {
    if (tr.dataset) kv.push(['trained on', esc(tr.dataset)]);
    if (tr.trained_at) kv.push(['trained at', `${esc(fmtDate(tr.trained_at))} UTC`]);
    if (tr.training_time !== undefined) kv.push(['training time', esc(fmtDuration(tr.training_time))]);
    if (tr.num_queries !== undefined) kv.push(['training queries', esc(tr.num_queries)]);
    const hp = Object.entries(tr.hyperparams ?? {});
    if (hp.length) kv.push(['hyperparameters', hp.map(([k, v]) => `<code>${esc(k)}=${esc(typeof v === 'string' ? v : JSON.stringify(v))}</code>`).join(' ')]);
  } else {
    kv.push(['training', '<span class="muted">not recorded</span>']);
  }
  kv.push(['tags', meta.tags.length ? meta.tags.map((t) => `<span class="tag">${esc(t)}</span>`).join(' ') : '<span class="muted">none</span>']);
  if (meta.notes) kv.push(['notes', esc(meta.notes)]);
  const tenures = site.tenures.get(id) ?? [];
  const now = tenures.filter((t) => t.current);
  const stages = tenures.length
    ? table(
        ['Algorithm', 'Stage', 'From (UTC)', 'Until (UTC)', 'Tag'],
        tenures.map((t) => [esc(t.algorithm), `<span class="stage">${esc(t.stage)}</span>${t.forced ? ` ${FORCED_BADGE}` : ''}`, t.from ? esc(fmtDate(t.from)) : '<span class="muted">unknown</span>', t.current ? '<b>now</b>' : t.to ? esc(fmtDate(t.to)) : '<span class="muted">unknown</span>', t.tag ? `<code>${esc(t.tag)}</code>` : '']),
        'tenures',
      )
    : emptyNote('Never held a stage.');
  const body = `<h1>${esc(id)} ${now.map((t) => `<span class="stage big">${esc(t.stage)}</span>`).join(' ')}</h1>
<section><h2>Metadata</h2><dl class="kv">${kv.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl></section>
<section><h2>Standing</h2><div id="standing" data-model="${esc(id)}" data-base="${base}"></div><noscript>${emptyNote('Where this model ranks is shown with JavaScript.', "The dataset pages' leaderboards rank every model without it.")}</noscript></section>
<section><h2>Results</h2>${resultsSection(meta, base)}</section>
<section><h2>Stages held</h2>${stages}</section>
<section><h2>History</h2>${eventsTable(site.modelHistory.get(id) ?? [], link, false)}</section>
<section><h2>Load plan</h2>${loadPlanSection(meta)}</section>
<section><details><summary>Raw metadata</summary><pre>${escText(JSON.stringify(meta, null, 2))}</pre></details></section>`;
  return {
    path: paths.model(meta.algorithm, id),
    html: page({ title: id, base, crumbs: [[meta.algorithm, `${base}${paths.algorithm(meta.algorithm)}`], [id, null]], body, data: [`${base}${paths.standing(meta.algorithm)}`], generated: site.generated }),
  };
}

/**
 * Everything a model page is made from but the "Generated" time, hashed: its file's blob (the
 * metadata, id and algorithm), its stage tenures, its history as the page lists it, and whether
 * (and under which algorithm) the parent it links to exists. modelPage reads nothing else; when a
 * new input is added there, it must be added here. (Its standing and the stage holders are in the
 * algorithm's standing script, so results and promotions elsewhere leave the page as it is.)
 */
function modelPageKey(site: SiteData, meta: ModelMetadata, oid: string, known: Known, version: string): string {
  const id = meta.model_id;
  const parent = meta.parent ? `${meta.parent}:${known.get(meta.parent) ?? ''}` : '';
  const history = (site.modelHistory.get(id) ?? []).map((e) => [e.commit, e.action, e.author, e.date, e.subject]);
  const inputs = JSON.stringify([version, oid, id, meta.algorithm, parent, site.tenures.get(id) ?? [], history]);
  // (one-shot hash: a third cheaper than createHash at 100,000 pages)
  return hash('sha1', inputs, 'base64url');
}

/**
 * One key for all of an algorithm's pages (its page, compare view, standing script and dataset
 * pages), over everything they are made from but the "Generated" time: the blob of each of its
 * model files (the metadata every table and chart is computed from), its stage holders and whether
 * each model those pages link to exists (and under which algorithm), its promotion timeline and
 * best-over-time series, and the metrics' directions. HEAD's time is in site.js. When a new input
 * is added to one of those pages, it must be added here.
 */
function algorithmKey(site: SiteData, a: string, files: string, known: Known, version: string): string {
  const holders = site.stages[a] ?? {};
  const timeline = site.timeline.filter((e) => e.algorithm === a);
  const linked = new Set<string>(Object.values(holders));
  for (const e of timeline) {
    if (e.model_id) linked.add(e.model_id);
    if (e.previous) linked.add(e.previous);
  }
  const inputs = JSON.stringify([
    version,
    a,
    files,
    holders,
    [...linked].sort().map((id) => `${id}:${known.get(id) ?? ''}`),
    timeline,
    site.best.series.filter((s) => s.algorithm === a),
    site.best.unknownDirection.filter((k) => k.algorithm === a),
    site.config,
  ]);
  return hash('sha1', inputs, 'base64url');
}

/**
 * What an algorithm's page key says of its model files: the digest of each file's path and blob
 * (`path:blob`, file order). A build from the state takes an algorithm's from the state when none
 * of its files changed, so it need not list them.
 */
export function filesDigest(files: readonly string[]): string {
  return hash('sha1', JSON.stringify(files), 'base64url');
}

/** Each algorithm's filesDigest; undefined without blob ids. */
export function filesDigests(site: SiteData): ReadonlyMap<string, string> | undefined {
  if (site.whole) return site.whole.files;
  if (!site.oids) return undefined;
  const files = new Map<string, string[]>();
  for (const m of site.models) {
    const oid = site.oids.get(m.path);
    if (!oid) return undefined;
    const list = files.get(m.metadata.algorithm);
    if (list) list.push(`${m.path}:${oid}`);
    else files.set(m.metadata.algorithm, [`${m.path}:${oid}`]);
  }
  return new Map([...files].map(([a, list]) => [a, filesDigest(list)]));
}

/** The key of each algorithm's pages (all of them share one), as renderPages computes it. */
export function algorithmKeys(site: SiteData, opts: RenderOptions = {}): Map<string, string> {
  const files = filesDigests(site) ?? new Map<string, string>();
  const known = knownOf(site);
  const version = hash('sha1', opts.version ?? '', 'base64url');
  return new Map(site.algorithms.map((a) => [a, algorithmKey(site, a, files.get(a) ?? NO_FILES, known, version)]));
}

const NO_FILES = filesDigest([]);

const knownOf = (site: SiteData): Known => site.whole?.known ?? new Map(site.models.map((m) => [m.metadata.model_id, m.metadata.algorithm]));

/** The pages of one algorithm, in the order renderPages makes them (what a key covers). */
export function algorithmPagePaths(s: Pick<AlgorithmSummary, 'algorithm' | 'models' | 'datasets'>): string[] {
  const a = s.algorithm;
  return [paths.algorithm(a), ...(s.models > 0 ? [paths.compare(a)] : []), paths.standing(a), ...s.datasets.map((d) => paths.dataset(a, d.dataset))];
}

/**
 * Which pages to make when not all of them (a build from the report state): the overview and
 * site.js always; the pages of these algorithms and of the models at these paths. The caller
 * knows every other page is as an earlier build left it.
 */
export interface RenderOnly {
  algorithms: ReadonlySet<string>;
  models: ReadonlySet<string>;
}

/** Every page of the site, made one at a time (so they can be written while the rest are made). */
export function* renderPages(site: SiteData, opts: RenderOptions & { only?: RenderOnly } = {}): Generator<SitePage> {
  const known = knownOf(site);
  const ownModels = new Map<string, Model[]>();
  for (const m of site.models) {
    const list = ownModels.get(m.metadata.algorithm);
    if (list) list.push(m);
    else ownModels.set(m.metadata.algorithm, [m]);
  }
  const summaries = site.algorithms.map((a) => site.summaries?.get(a) ?? summarizeAlgorithm(ownModels.get(a) ?? [], a, site.stages, site.config).summary);
  const seriesIndex = new Map(site.best.series.map((s) => [`${s.algorithm}\0${s.dataset}\0${s.metric}`, s]));
  const version = hash('sha1', opts.version ?? '', 'base64url');
  const files = opts.keep || opts.only ? filesDigests(site) : undefined;
  yield overviewPage(site, summaries, modelLinker(known, BASE.overview));
  yield { path: paths.site(), html: `window.modelgitSite = ${JSON.stringify({ head: site.head, endTime: site.endTime })};\n` };
  const algoLink = modelLinker(known, BASE.algorithm);
  for (const s of summaries) {
    const a = s.algorithm;
    if (opts.only && !opts.only.algorithms.has(a)) continue;
    const key = files ? algorithmKey(site, a, files.get(a) ?? NO_FILES, known, version) : undefined;
    const made = algorithmPagePaths(s);
    if (key !== undefined && opts.keep && made.every((path) => opts.keep!(path, key))) {
      for (const path of made) yield { path, key };
      continue;
    }
    const keyed = (p: SitePage): SitePage => (key === undefined ? p : { ...p, key });
    const own = ownModels.get(a) ?? [];
    yield keyed(algorithmPage(site, s, own, algoLink));
    const results = resultsByDataset(own);
    const boards = s.datasets.map((d) => leaderboard(own, a, d.dataset, site.config, results.get(d.dataset)));
    if (s.models > 0) yield keyed(comparePage(site, a, own, boards));
    yield keyed(standingScript(a, boards, site.stages[a] ?? {}, known));
    for (const lb of boards) yield keyed(datasetPage(site, lb, seriesIndex));
  }
  const modelLink = modelLinker(known, BASE.model);
  for (const m of site.models) {
    if (opts.only && !opts.only.models.has(m.path)) continue;
    const oid = site.oids?.get(m.path);
    if (!oid) {
      yield modelPage(site, m.metadata, modelLink);
      continue;
    }
    const key = modelPageKey(site, m.metadata, oid, known, version);
    const path = paths.model(m.metadata.algorithm, m.metadata.model_id);
    if (opts.keep?.(path, key)) yield { path, key };
    else yield { ...modelPage(site, m.metadata, modelLink), key };
  }
}
