// Are writes without a checkout flat in registry size (issue #15)? A training node runs
// `modelgit --remote URL register …` / `… test ID …` with no clone: modelgit keeps a bare partial
// clone of the remote's tip (blob:none) under $XDG_CACHE_HOME/modelgit/remotes/, builds the commit
// from trees alone and pushes. This times those two commands as whole processes on bare remotes of
// 1,000 / 10,000 / 100,000 models, beside (c) git's own floor for the same write without a checkout
// (in a warm bare partial clone: fetch --depth=1, hash-object, one mktree per directory on the path,
// commit-tree, push — what any no-checkout writer must do at least) and (d) the same write in a full
// checkout (`register --push` in a clone), which grows with size because git refreshes an index of
// every file. The ratio row (largest size ÷ smallest) is the answer: near 1 for (a), (b) and (c).
//
// The remotes are two commits made by one `git fast-import` stream (seconds, even at 100,000): the
// init commit and every model file as bench/generate.mjs makes them (its history, collapsed into
// one commit: only the tip's trees matter to a tip-only partial clone). The register-like
// commands run round-robin (a, c, d, a, c, d …) so each fetch finds the others' commits, as a
// writer in a fleet does; the test-like ones the same, each on a model of its own (so nobody
// re-fetches another's blob); and every round goes over all sizes, so a busy moment on the shared
// machine slows every column alike and the ratio between sizes holds. Then
// (a) and (c) again back to back, as one training node registers and then tests: each fetch then
// finds the writer's own last commit, which `git fetch --depth=1` checks by walking the whole tip
// tree (its objects are not in a promisor pack), a cost the round-robin rows never see.
//
//   npm run build && node bench/remote-writes.mjs [--sizes 1000,10000,100000] [--runs 7] [--keep]
//                                                 [--protocol file|daemon]
//   npm run bench -- --remote-writes 1000,10000 --remote-writes-only   (the same, through bench/run.mjs)
//
// The standalone run writes bench/results-remote.md (newest run first, earlier ones kept below).
import { BENCH_GIT_ENV } from './git-env.mjs';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { historyCommits } from './generate.mjs';
import { PackWriter } from './packwriter.mjs';
import { commitMessage } from '../dist/store/write/commit.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = join(HERE, '..', 'dist', 'cli', 'main.js');
export const RESULTS_FILE = join(HERE, 'results-remote.md');
// Pack object types (bench/packwriter.mjs stores the trees and the commit made here).
const OBJ_COMMIT = 1;
const OBJ_TREE = 2;
const TITLE = '# Writes without a checkout (--remote) benchmark';

const GIT_ENV = BENCH_GIT_ENV;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmtMs = (x) => (x === undefined ? '' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${Math.round(x)} ms`);
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

const sha1 = (type, body) => createHash('sha1').update(`${type} ${body.length}\0`).update(body).digest();

/** A tree object's body: entries in git's order (a directory sorts as its name plus '/'). */
function treeBody(entries) {
  // Names here are ASCII, so comparing strings is comparing bytes.
  const keyed = entries.map((e) => ({ e, key: e.dir ? `${e.name}/` : e.name }));
  const sorted = keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)).map((k) => k.e);
  return Buffer.concat(sorted.flatMap((e) => [Buffer.from(`${e.dir ? '40000' : '100644'} ${e.name}\0`), e.oid]));
}

/**
 * A bare remote of `models` model files: the init commit, then one commit adding every model as
 * bench/generate.mjs's history leaves it (only the tip's trees matter to a tip-only partial clone).
 * Written straight into one pack by bench/packwriter.mjs: fast-import spends ~30 s at 100,000 here
 * (one small write per object, and a linear search per entry of a 20,000-entry directory).
 */
export async function buildRemote(dir, models, env) {
  const t0 = performance.now();
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', dir], { env });
  const git = (...a) => execFileSync('git', a, { cwd: dir, env, encoding: 'utf8', maxBuffer: 1 << 30 });
  // Partial clone needs both on the serving side (a blob:none fetch, and a lazy fetch of one blob by id).
  git('config', 'uploadpack.allowFilter', 'true');
  git('config', 'uploadpack.allowAnySHA1InWant', 'true');
  const commits = historyCommits({ models });
  const init = commits.next().value;
  const files = new Map();
  let last = init;
  for (const c of commits) {
    for (const [p, text] of c.files) files.set(p, text);
    last = c;
  }
  const pack = new PackWriter(dir);
  const initOid = pack.commit(init);
  const byAlgorithm = new Map();
  for (const [p, text] of files) {
    const [, algorithm, name] = p.split('/');
    if (!byAlgorithm.has(algorithm)) byAlgorithm.set(algorithm, []);
    byAlgorithm.get(algorithm).push({ name, oid: pack.blob(text) });
  }
  const tree = (entries) => {
    const body = treeBody(entries);
    const oid = sha1('tree', body);
    pack.whole(OBJ_TREE, oid, body);
    return oid;
  };
  const initFiles = new Map(init.files.map(([p, text]) => [p, sha1('blob', Buffer.from(text, 'utf8'))]));
  const modelsDir = [...initFiles].filter(([p]) => p.startsWith('models/')).map(([p, oid]) => ({ name: p.slice('models/'.length), oid }));
  for (const [algorithm, entries] of byAlgorithm) modelsDir.push({ name: algorithm, oid: tree(entries), dir: true });
  const rootDir = [...initFiles].filter(([p]) => !p.includes('/')).map(([name, oid]) => ({ name, oid }));
  rootDir.push({ name: 'models', oid: tree(modelsDir), dir: true });
  const message = commitMessage({ subject: `import ${models} generated models`, trailers: [] });
  const body = Buffer.from(`tree ${tree(rootDir).toString('hex')}\nparent ${initOid}\nauthor ${last.author}\ncommitter ${last.committer}\n\n${message}`, 'utf8');
  const head = sha1('commit', body);
  pack.whole(OBJ_COMMIT, head, body);
  pack.finish();
  git('update-ref', 'refs/heads/main', head.toString('hex'));
  const mscn = git('ls-tree', '--name-only', 'main:models/mscn').split('\n').filter((f) => f.endsWith('.json'));
  return {
    buildMs: performance.now() - t0,
    models: files.size,
    mscnEntries: mscn.length,
    mscnTreeBytes: Number(git('cat-file', '-s', 'main:models/mscn').trim()),
    // Three models of one busy algorithm, one per tester, so no tester re-fetches another's blob.
    testIds: [0.25, 0.5, 0.75].map((q) => mscn[Math.floor(q * mscn.length)].replace(/\.json$/, '')),
  };
}

/** Runs one command as a whole process; returns wall ms, exit code and output. */
function timeOnce(cmd, argv, cwd, env) {
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 26 });
  const ms = performance.now() - t0;
  return { ms, code: r.status ?? (r.signal ? `signal ${r.signal}` : r.error?.message), stdout: r.stdout ?? '', stderr: r.stderr ?? '', shown: [cmd, ...argv].join(' ') };
}

/**
 * git's floor for one write without a checkout, in a bare partial clone with the remote as origin:
 * learn the tip (fetch --depth=1), read the file when changing one (a lazy fetch the first time),
 * write the blob, one tree per directory on models/<algo>/<file> (`--missing`: the other entries'
 * blobs are not here, and checking them would fetch each), the commit, and push it. The edit of the
 * JSON itself is done beforehand by the harness (CONTENT); every tool must do at least that much.
 */
const FLOOR_SCRIPT = `set -e
git fetch -q --depth=1 origin +refs/heads/main:refs/heads/main
if [ -n "$READ" ]; then git cat-file blob "main:models/$ALGO/$NAME" >/dev/null; fi
blob=$(git hash-object -w "$CONTENT")
algo=$( { git ls-tree main:models/$ALGO | awk -F'\\t' -v n="$NAME" '$2 != n'; printf '100644 blob %s\\t%s\\n' "$blob" "$NAME"; } | git mktree --missing)
models=$( { git ls-tree main:models | awk -F'\\t' -v n="$ALGO" '$2 != n'; printf '040000 tree %s\\t%s\\n' "$algo" "$ALGO"; } | git mktree --missing)
root=$( { git ls-tree main | awk -F'\\t' '$2 != "models"'; printf '040000 tree %s\\tmodels\\n' "$models"; } | git mktree --missing)
commit=$(git commit-tree "$root" -p main -m "$MSG")
git push -q origin "$commit:refs/heads/main"
git update-ref refs/heads/main "$commit"
`;

/** Serves the directory `base` over git:// on 127.0.0.1 (bench/writers.mjs's pattern); returns url(name) and stop(). */
async function serveDaemon(base, env) {
  const port = await new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const child = spawn('git', ['daemon', '--reuseaddr', '--listen=127.0.0.1', `--port=${port}`, `--base-path=${base}`, '--export-all', '--enable=receive-pack', '--max-connections=0', base], { env, stdio: 'ignore' });
  const until = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise((r) => {
      const c = connect(port, '127.0.0.1', () => (c.end(), r(true)));
      c.on('error', () => r(false));
    });
    if (ok) break;
    if (Date.now() > until) throw new Error(`git daemon on port ${port} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: (name) => `git://127.0.0.1:${port}/${name}`,
    stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', () => r()), child.kill('SIGTERM')))),
  };
}

/** Waits (up to 10 minutes) while modelgit's background work holds a lock under `dir`; returns the seconds waited. */
function waitForBackground(dir) {
  const t0 = Date.now();
  const locks = () => {
    if (!existsSync(dir)) return false;
    return readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.lock') && String(f).includes('modelgit'));
  };
  while (locks() && Date.now() - t0 < 600_000) spawnSync('sleep', ['0.5']);
  return (Date.now() - t0) / 1000;
}

/**
 * One size, made ready to time: its remote, the (c) floor's partial clone and the (d) checkout, the
 * one-off cold runs, and a warm-up of each writer. Returns its writers (each one whole process,
 * timed) for the timed phases, which go round all sizes at once (remoteWritesSection).
 */
async function prepareSize(models, { runs, base, env, url, log }) {
  const name = `remote-${models}.git`;
  const remoteDir = join(base, name);
  log(`remote writes: building a ${models.toLocaleString('en-US')}-model remote …`);
  const fixture = await buildRemote(remoteDir, models, env);
  log(`  ${fixture.models} models in ${(fixture.buildMs / 1000).toFixed(1)} s; models/mscn: ${fixture.mscnEntries} entries, ${fixture.mscnTreeBytes} bytes`);
  const remoteUrl = url(name);
  const [testA, testC, testD] = fixture.testIds;
  const work = join(base, `work-${models}`);
  mkdirSync(work);
  const cell = {};
  const failures = [];
  let registered = 0;
  /** Times `fn` once; a failed run is kept (exit code, output) and counted as a failure of its row. */
  const once = (row, fn) => {
    const r = fn();
    if (r.code !== 0) failures.push({ row, ...r });
    return r;
  };
  const record = (row, samples) => {
    const ok = samples.filter((s) => s.code === 0);
    cell[row] = ok.length === samples.length ? { ms: median(ok.map((s) => s.ms)), min: Math.min(...ok.map((s) => s.ms)) } : { error: `exit ${samples.find((s) => s.code !== 0).code}` };
  };
  const single = (row, r) => {
    cell[row] = r.code === 0 ? { ms: r.ms, single: true } : { error: `exit ${r.code}` };
  };

  const cli = (...a) => [process.execPath, [CLI, ...a]];
  const remoteRegister = () => {
    const [cmd, argv] = cli('--remote', remoteUrl, 'register', '--algo', 'mscn', '--param', 'lr=0.1', '--dataset', 'production', '--json');
    const r = timeOnce(cmd, argv, work, env);
    if (r.code === 0) registered++;
    return r;
  };
  let metric = 0;
  const remoteTest = () => {
    const [cmd, argv] = cli('--remote', remoteUrl, 'test', testA, '--dataset', 'job', '--metric', `total_time=${(12.5 + metric++).toFixed(1)}`, '--json');
    return timeOnce(cmd, argv, work, env);
  };

  // (c) the floor's cache: a bare, tip-only, blob:none clone, as the product's is.
  const floorDir = join(work, 'floor.git');
  const floorClone = timeOnce('git', ['clone', '-q', '--bare', '--filter=blob:none', '--depth=1', remoteUrl, floorDir], work, env);
  if (floorClone.code !== 0) throw new Error(`${floorClone.shown}: exit ${floorClone.code}\n${floorClone.stderr}`);
  const floorContent = join(work, 'floor-content.json');
  const testOriginal = execFileSync('git', ['cat-file', 'blob', `main:models/mscn/${testC}.json`], { cwd: remoteDir, env, encoding: 'utf8' });
  let floorRun = 0;
  const floor = (kind) => {
    const n = floorRun++;
    let fileName;
    if (kind === 'register') {
      const id = `mscn_20990101_${String(n).padStart(6, '0')}`;
      fileName = `${id}.json`;
      writeFileSync(floorContent, JSON.stringify({ schema_version: 2, model_id: id, algorithm: 'mscn', created_at: '2099-01-01T00:00:00Z', model_path: `artifacts/mscn/${id}`, training: { enabled: true, dataset: 'production', hyperparams: { lr: 0.1 } }, testing: [], tags: [] }, null, 2) + '\n');
    } else {
      fileName = `${testC}.json`;
      const meta = JSON.parse(testOriginal);
      meta.testing.push({ dataset: 'job', tested_at: '2099-01-01T00:00:00Z', performance: { total_time: 12.5 + n } });
      writeFileSync(floorContent, JSON.stringify(meta, null, 2) + '\n');
    }
    const r = timeOnce('sh', ['-c', FLOOR_SCRIPT], floorDir, { ...env, READ: kind === 'test' ? '1' : '', ALGO: 'mscn', NAME: fileName, CONTENT: floorContent, MSG: `${kind} ${fileName} (floor)` });
    if (r.code === 0 && kind === 'register') registered++;
    return r;
  };

  // (d) a full checkout: a clone with every file in its work tree, pushing to the same remote.
  const checkout = join(work, 'checkout');
  execFileSync('git', ['clone', '-q', remoteDir, checkout], { env });
  execFileSync('git', ['remote', 'set-url', 'origin', remoteUrl], { cwd: checkout, env });
  const checkoutRegister = () => {
    const [cmd, argv] = cli('register', '--algo', 'mscn', '--param', 'lr=0.1', '--dataset', 'production', '--push', '--json');
    const r = timeOnce(cmd, argv, checkout, env);
    if (r.code === 0) registered++;
    return r;
  };
  const checkoutTest = () => {
    const [cmd, argv] = cli('test', testD, '--dataset', 'job', '--metric', `total_time=${(12.5 + metric++).toFixed(1)}`, '--push', '--json');
    return timeOnce(cmd, argv, checkout, env);
  };

  log(`  ${models}: cold runs and warm-ups`);
  single('a cold', once('a cold', remoteRegister));
  single('c cold', floorClone);
  once('a', remoteRegister); // the first warm run may still finish what the cold one began
  once('c', () => floor('register'));
  once('d', checkoutRegister); // builds the checkout's caches
  waitForBackground(join(checkout, '.git'));
  waitForBackground(join(env.XDG_CACHE_HOME, 'modelgit'));

  const samples = {};
  /** The sample lists recorded at the end: each row's runs, from the phases. */
  const run = (row, fn) => (samples[row] ??= []).push(once(row, fn));
  /** Nothing lost, nothing broken: every successful register is a model file at the remote's tip. */
  const finish = () => {
    for (const [row, list] of Object.entries(samples)) record(row, list);
    const git = (...a) => execFileSync('git', a, { cwd: remoteDir, env, encoding: 'utf8', maxBuffer: 1 << 30 });
    const atTip = git('ls-tree', '-r', '--name-only', 'main', 'models').split('\n').filter((f) => f.endsWith('.json')).length;
    const fsck = spawnSync('git', ['fsck', '--connectivity-only', '--no-dangling'], { cwd: remoteDir, env, encoding: 'utf8' });
    const check = { added: atTip - fixture.models, registered, fsck: fsck.status === 0 ? 'clean' : `exit ${fsck.status}: ${fsck.stderr.trim().split('\n')[0]}` };
    log(`  ${models}: ${check.added} models added at the tip for ${registered} successful registers; fsck ${check.fsck}`);
    return { models, fixture, cell, failures, check };
  };
  return {
    models,
    run,
    once,
    single,
    finish,
    startup: () => timeOnce(process.execPath, ['-e', '0'], work, env),
    remoteRegister,
    remoteTest,
    floorRegister: () => floor('register'),
    floorTest: () => floor('test'),
    checkoutRegister,
    checkoutTest,
  };
}

/**
 * The timed runs, each round going over every size in turn, so a busy moment on the shared machine
 * falls on all sizes alike and the ratio between sizes stays meaningful.
 */
function timedPhases(sizes, runs, log) {
  const rounds = (what, steps) => {
    log(`remote writes: ${what} × ${runs}, round-robin over ${sizes.map((s) => s.models).join(', ')} models`);
    for (let i = 0; i < runs; i++) for (const s of sizes) for (const [row, fn] of steps(s)) s.run(row, fn);
  };
  rounds('startup', (s) => [['node -e 0', s.startup]]);
  // Round-robin writers on one remote: each fetch finds the other two's new commits, as in a fleet.
  rounds('register (--remote, floor, checkout)', (s) => [['a', s.remoteRegister], ['c', s.floorRegister], ['d', s.checkoutRegister]]);
  // Back to back: the same cache writes again with nobody writing between (a training node's
  // register, then its test), so the tip it fetches is the commit it made itself last time.
  for (const s of sizes) s.once('a', s.remoteRegister); // its fetch still finds (d)'s commit
  rounds('register back to back (--remote)', (s) => [['a seq', s.remoteRegister]]);
  for (const s of sizes) s.once('c', s.floorRegister);
  rounds('register back to back (floor)', (s) => [['c seq', s.floorRegister]]);
  for (const s of sizes) {
    s.single('b first', s.once('b first', s.remoteTest)); // reads a blob the cache does not have yet
    s.once('c test', s.floorTest);
    s.once('d test', s.checkoutTest);
  }
  rounds('test (--remote, floor, checkout)', (s) => [['b', s.remoteTest], ['c test', s.floorTest], ['d test', s.checkoutTest]]);
  return sizes.map((s) => s.finish());
}

const ROWS = [
  ['node -e 0', '`node -e 0` (startup floor)'],
  ['a cold', '(a) `--remote` register, cold cache (first run: makes the partial clone)'],
  ['a', '(a) `--remote` register, warm cache'],
  ['a seq', "(a) `--remote` register, back to back (the tip is this cache's own last commit)"],
  ['b first', '(b) `--remote` test, first on this model (fetches its blob)'],
  ['b', '(b) `--remote` test, warm'],
  ['c cold', '(c) floor, cold: `git clone --bare --filter=blob:none --depth=1`'],
  ['c', '(c) floor: register (fetch + hash-object + 3 mktree + commit-tree + push)'],
  ['c seq', '(c) floor: register, back to back'],
  ['c test', '(c) floor: test (the same + cat-file of the model)'],
  ['d', '(d) full checkout: `register --push`'],
  ['d test', '(d) full checkout: `test --push`'],
];

/** Runs the benchmark; returns its markdown section and the per-size results. */
export async function remoteWritesSection({ sizes = [1000, 10000, 100000], runs = 7, keep = false, protocol = 'file', log = (s) => process.stderr.write(s + '\n') } = {}) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  const base = mkdtempSync(join(tmpdir(), 'modelgit-remote-writes-'));
  const env = { ...process.env, ...GIT_ENV, XDG_CACHE_HOME: join(base, 'xdg-cache') };
  delete env.MODELGIT_CACHE_DIR; // it would take the caches out of the temporary XDG_CACHE_HOME
  mkdirSync(env.XDG_CACHE_HOME);
  const loadStart = load();
  const server = protocol === 'daemon' ? await serveDaemon(base, env) : { url: (name) => pathToFileURL(join(base, name)).href, stop: async () => {} };
  const results = [];
  try {
    const prepared = [];
    for (const models of sizes) prepared.push(await prepareSize(models, { runs, base, env, url: server.url, log }));
    results.push(...timedPhases(prepared, runs, log));
  } finally {
    await server.stop();
    if (keep) log(`kept ${base}`);
    else rmSync(base, { recursive: true, force: true });
  }
  return { markdown: render(results, { runs, protocol, loadStart, loadEnd: load() }), results };
}

function render(results, { runs, protocol, loadStart, loadEnd }) {
  const head = (r) => r.models.toLocaleString('en-US');
  const first = results[0];
  const last = results[results.length - 1];
  // The answer to "flat in registry size?": largest size over smallest, for every row.
  const ratio = (key) => {
    const a = first.cell[key]?.ms;
    const b = last.cell[key]?.ms;
    return a && b ? `${(b / a).toFixed(2)}×` : 'n/a';
  };
  const ratioHead = results.length > 1 ? ` ${head(last)} ÷ ${head(first)} |` : '';
  const lines = [
    `## Writes without a checkout (\`--remote\`, ${protocol === 'daemon' ? 'git:// on 127.0.0.1' : 'file://'})`,
    '',
    `Machine: ${cpus().length}× ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GB RAM; Node ${process.version}; ${execFileSync('git', ['--version'], { encoding: 'utf8' }).trim()}. ` +
      `Load average at start ${loadStart}, at end ${loadEnd} (the machine is shared).`,
    '',
    `Whole-process wall time, median of ${runs} runs after one untimed warm-up; "cold" and "first" rows are one run. Each round of runs goes over every size in turn, so load on the shared machine falls on all columns alike. ` +
      'The register rows (a, c, d) run round-robin, so each fetch finds the other two\'s new commits, as in a fleet; the test rows likewise, ' +
      'each on a model of its own. "Back to back" rows: the same writer again with nobody writing between, so its fetch finds its own last commit. ' +
      '(c) is git alone doing the same write in a warm bare tip-only blob:none clone: what any writer without a checkout pays at least.',
    '',
    `| command | ${results.map((r) => `${head(r)} models`).join(' | ')} |${ratioHead}`,
    `|---|${results.map(() => '---:').join('|')}|${results.length > 1 ? '---:|' : ''}`,
  ];
  for (const [key, label] of ROWS) {
    const cells = results.map((r) => (r.cell[key]?.error ? `error (${r.cell[key].error})` : fmtMs(r.cell[key]?.ms)));
    lines.push(`| ${label} | ${cells.join(' | ')} |${results.length > 1 ? ` ${ratio(key)} |` : ''}`);
  }
  const over = (x, y) => results.map((r) => (r.cell[x]?.ms && r.cell[y]?.ms ? `${(r.cell[x].ms / r.cell[y].ms).toFixed(1)}×` : 'n/a')).join(' | ');
  const blank = results.length > 1 ? ' |' : '';
  lines.push(`| (a) ÷ (c): register over git's floor | ${over('a', 'c')} |${blank}`, `| (b) ÷ (c): test over git's floor | ${over('b', 'c test')} |${blank}`, '');
  lines.push(
    '| remote | models/mscn entries | models/mscn tree | built in | registers landed | fsck |',
    '|---:|---:|---:|---:|---|---|',
    ...results.map((r) => `| ${head(r)} | ${r.fixture.mscnEntries.toLocaleString('en-US')} | ${(r.fixture.mscnTreeBytes / 1024).toFixed(0)} KiB | ${(r.fixture.buildMs / 1000).toFixed(1)} s | ${r.check.added} at the tip / ${r.check.registered} succeeded | ${r.check.fsck} |`),
    '',
  );
  const failed = results.flatMap((r) => r.failures.map((f) => ({ models: r.models, ...f })));
  if (failed.length) {
    lines.push(`Failures (${failed.length}; the first of each row and size shown):`, '');
    const seen = new Set();
    for (const f of failed) {
      const k = `${f.models} ${f.row}`;
      if (seen.has(k)) continue;
      seen.add(k);
      const output = `${f.stdout}${f.stderr}`.trim().split('\n').slice(-8).join('\n');
      lines.push(`- ${head(f)} models, row ${f.row}: exit ${f.code}`, '', '  ```', `  ${f.shown.replaceAll(CLI, 'dist/cli/main.js')}`, ...output.split('\n').map((l) => `  ${l}`), '  ```', '');
    }
  }
  return lines.join('\n');
}

/** Every timed command succeeded, every register landed, and the remotes are sound. */
export function remoteWritesOk(results) {
  return results.every((r) => r.failures.length === 0 && r.check.fsck === 'clean' && r.check.added === r.check.registered);
}

/** Writes bench/results-remote.md: this run first, earlier runs kept below (the record the docs cite). */
export function writeResults(markdown, commandLine) {
  const earlier = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, 'utf8').replace(TITLE, '').trim() : '';
  const stamp = `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`${commandLine}\``;
  writeFileSync(RESULTS_FILE, `${TITLE}\n\n${stamp}\n\n${markdown}\n${earlier ? `\n${earlier}\n` : ''}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(name);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
  };
  const sizes = opt('--sizes', '1000,10000,100000').split(',').map(Number);
  const runs = Number(opt('--runs', '7'));
  if (!sizes.every((n) => Number.isInteger(n) && n > 0) || !Number.isInteger(runs) || runs < 1) throw new Error('--sizes takes whole numbers (1000,10000), --runs a whole number ≥ 1');
  const { markdown, results } = await remoteWritesSection({ sizes, runs, keep: args.includes('--keep'), protocol: opt('--protocol', 'file') });
  writeResults(markdown, `node bench/remote-writes.mjs${args.length ? ` ${args.join(' ')}` : ''}`);
  process.stdout.write(markdown + '\n');
  process.exitCode = remoteWritesOk(results) ? 0 : 1;
}
