// The benchmark: whole-process time (median of N runs) and peak memory of each modelgit command on
// generated registries of 1,000 / 10,000 / 100,000 models, next to the floor the git binary sets
// for the same data. Writes bench/results.md.
//
//   npm run bench                          # sizes 1000,10000,100000, 5 runs each
//   npm run bench -- --sizes 10000 --runs 7
//   node bench/run.mjs --sizes 1000 --only best,list   (after npm run build)
//   npm run bench -- --sizes 10000 --python-only          # just the Python client's overhead
//   npm run bench -- --sizes 1000,10000 --no-beside       # without the reads beside the Python registry
//   npm run bench -- --writers 1,10,50,100 --writers-only  # concurrent writers (bench/writers.mjs)
//   npm run bench -- --remote-writes 1000,10000 --remote-writes-only   # --remote writes (bench/remote-writes.mjs)
//
// The Python client's cost over the CLI (register and record_test through `Registry`, target: the
// CLI call plus ~20 ms) is measured by python/bench/bench_client.py at the largest size up to 10,000
// and added as its own section; `--no-python` leaves it out.
//
// Commands that the built CLI doesn't have yet are shown as n/a. Writes run in the generated
// repository and are undone after each run (git reset --hard), so every run sees the same state.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedRegistry } from './generate.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const RSS_PRELOAD = join(HERE, 'rss.cjs');
const RSS_FILE = join(HERE, '.work', `rss-${process.pid}.txt`);

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const sizes = opt('--sizes', '1000,10000,100000').split(',').map(Number);
const runs = Number(opt('--runs', '5'));
const seed = Number(opt('--seed', '1'));
const only = opt('--only') ? new Set(opt('--only').split(',')) : undefined;
const out = opt('--out', join(HERE, 'results.md'));
const log = (s) => process.stderr.write(s + '\n');

// Targets from the issue (whole process, median). Writes and the hook at 100k: no slower than at 10k.
const READ_TARGET = { 10000: 150, 100000: 600 };
const TARGETS = {
  best: READ_TARGET, list: READ_TARGET, show: READ_TARGET, history: READ_TARGET,
  register: { 10000: 250 }, test: { 10000: 250 },
  'validate --staged': { 10000: 200 }, 'validate --all': { 10000: 2000 }, 'validate --all cold': { 10000: 2000 },
};
const SAME_AS_10K = new Set(['register', 'test', 'validate --staged', 'register + hook']);
const MEMORY_TARGET_MB = { 100000: 300 };

function git(dir, ...a) {
  return execFileSync('git', a, { cwd: dir, encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Runs a command once as a whole process; returns wall ms, the modelgit process's own peak RSS
 * (KB, from bench/rss.cjs), the peak of the process tree with git (KB, /usr/bin/time) and the exit code.
 */
function timeOnce(cmd, argv, cwd, env = {}) {
  const isNode = cmd === process.execPath && argv[0] === CLI;
  const args = isNode ? ['--require', RSS_PRELOAD, ...argv] : argv;
  const full = TIME ? [TIME, ['-f', '%M', cmd, ...args]] : [cmd, args];
  rmSync(RSS_FILE, { force: true });
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full[1], { cwd, env: { ...process.env, ...env, MODELGIT_BENCH_RSS: RSS_FILE }, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 28 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  let treeKb;
  let stderr = r.stderr?.toString('utf8') ?? '';
  if (TIME) {
    const lines = stderr.trimEnd().split('\n');
    treeKb = Number(lines.pop());
    stderr = lines.join('\n');
  }
  // The first line is the measured process (a pre-commit hook's modelgit has no preload).
  const rssKb = existsSync(RSS_FILE) ? Number(readFileSync(RSS_FILE, 'utf8').split('\n')[0]) : treeKb;
  return { ms, rssKb, treeKb, code: r.status, stderr };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Runs `spec` (warm-up once, then `runs` times) with `before`/`after` hooks around each run. With
 * `floor`, the floor's runs alternate with the command's, so a busy moment on the shared machine
 * slows both alike and the ratio stays meaningful.
 */
function measure(spec, cwd, floor) {
  const once = (x) => () => {
    x.before?.();
    const r = timeOnce(x.cmd, x.argv, cwd, x.env);
    x.after?.();
    return r;
  };
  const one = once(spec);
  const oneFloor = floor && once(floor);
  const warm = one();
  if (warm.code !== 0 && !spec.allowFail) return { error: `exit ${warm.code}: ${warm.stderr.split('\n').filter(Boolean).slice(-2).join(' | ').slice(0, 200)}` };
  oneFloor?.();
  const samples = [];
  const floors = [];
  for (let i = 0; i < runs; i++) {
    samples.push(one());
    if (oneFloor) floors.push(oneFloor());
  }
  return {
    ms: median(samples.map((s) => s.ms)),
    min: Math.min(...samples.map((s) => s.ms)),
    rssMb: Math.max(...samples.map((s) => s.rssKb ?? 0)) / 1024,
    treeMb: Math.max(...samples.map((s) => s.treeKb ?? 0)) / 1024,
    floorMs: floors.length ? median(floors.map((s) => s.ms)) : undefined,
  };
}

let cliCommands;
/** Whether the built CLI has `name` (others' commands land later; missing ones show as n/a). */
function hasCommand(name) {
  if (!cliCommands) {
    const help = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }).stdout ?? '';
    // Commands are listed in groups ("Setting up:", …) after the options; options start with "-".
    const section = help.split(/^Options:$/m)[1] ?? help;
    cliCommands = new Set([...section.matchAll(/^ {2}([a-z][\w-]*)/gm)].map((m) => m[1]));
  }
  return cliCommands.has(name);
}

const sh = (script) => ['sh', ['-c', script]];
/** git's reading of one algorithm's model files: the floor of best, list and cleanup. */
const readAlgo = 'git ls-tree -r --format="%(objectname)" HEAD -- models/mscn | git cat-file --batch > /dev/null';
const node = (...a) => [process.execPath, [CLI, ...a]];

/** Picks ids and paths for the commands from the registry itself, deterministically. */
function fixtures(dir) {
  const files = git(dir, 'ls-tree', '-r', '--name-only', 'HEAD', '--', 'models/mscn').split('\n').filter((p) => p.endsWith('.json'));
  const pickTested = (from) => {
    for (let i = from; i < files.length; i++) {
      const meta = JSON.parse(readFileSync(join(dir, files[i]), 'utf8'));
      if (meta.testing.length >= 2) return files[i];
    }
    return files[from];
  };
  const mid = pickTested(Math.floor(files.length / 2));
  const compare = [];
  for (let i = Math.floor(files.length / 3); compare.length < 5 && i < files.length; i += 7) compare.push(files[i]);
  const idOf = (p) => p.split('/').pop().replace(/\.json$/, '');
  return { showPath: mid, showId: idOf(mid), compareIds: compare.map(idOf), testId: idOf(mid) };
}

function benchSize(size) {
  const dir = cachedRegistryDir(size);
  const head = git(dir, 'rev-parse', 'HEAD').trim();
  const reset = () => {
    git(dir, 'reset', '-q', '--hard', head);
    git(dir, 'clean', '-q', '-fd', '--', 'models');
  };
  reset();
  const f = fixtures(dir);
  const metaFile = join(dir, f.showPath);
  const original = readFileSync(metaFile, 'utf8');
  const stageOne = () => {
    const meta = JSON.parse(original);
    meta.testing.push({ dataset: 'job', num_queries: 10, tested_at: '2025-01-01T00:00:00Z', performance: { total_time: 1.5 } });
    writeFileSync(metaFile, JSON.stringify(meta, null, 2) + '\n');
    git(dir, 'add', '--', f.showPath);
  };
  const unstage = () => {
    git(dir, 'reset', '-q', '--', f.showPath);
    writeFileSync(metaFile, original);
  };
  const hookPath = join(dir, '.git', 'hooks', 'pre-commit');
  const installHook = () => {
    mkdirSync(dirname(hookPath), { recursive: true });
    writeFileSync(hookPath, `#!/bin/sh\nexec "${process.execPath}" "${CLI}" validate --staged\n`, { mode: 0o755 });
  };
  const removeHook = () => rmSync(hookPath, { force: true });
  const forgetValidated = () => rmSync(join(dir, '.git', 'modelgit', 'validated'), { recursive: true, force: true });

  const readAll = 'git ls-tree -r --format="%(objectname)" HEAD -- models | git cat-file --batch > /dev/null';
  const rows = [
    { name: 'startup (--version)', run: node('--version'), floor: ['node -e ""', [process.execPath, ['-e', '']]] },
    { name: 'best', need: 'best', run: node('best', '--algo', 'mscn', '--dataset', 'production'), floor: ['ls-tree + cat-file --batch (models/mscn)', sh(readAlgo)] },
    { name: 'list', need: 'list', run: node('list', '--algo', 'mscn'), floor: ['ls-tree + cat-file --batch (models/mscn)', sh(readAlgo)] },
    { name: 'show', need: 'show', run: node('show', f.showId), floor: ['cat-file blob + log -- path', sh(`git cat-file blob HEAD:${f.showPath} >/dev/null && git log --format=%H%x1f%s -- ${f.showPath} >/dev/null`)] },
    { name: 'history', label: 'history --limit 20', need: 'history', run: node('history', '--limit', '20'), floor: ['git log -n 20', sh('git log -n 20 --format=%H%x1f%an%x1f%aI%x1f%s%x1f%b >/dev/null')] },
    { name: 'compare', label: 'compare (5 models)', need: 'compare', run: node('compare', ...f.compareIds), floor: ['cat-file --batch (5 blobs)', sh(`printf '${f.compareIds.map((id) => `HEAD:models/mscn/${id}.json\\n`).join('')}' | git cat-file --batch >/dev/null`)] },
    { name: 'validate --all', need: 'validate', run: node('validate', '--all'), floor: ['ls-tree + cat-file --batch (all models)', sh(readAll)], allowFail: true },
    // The same with no cache of clean files (a fresh clone, a new config or schema): every blob read and checked.
    { name: 'validate --all cold', label: 'validate --all, no cache of clean files', need: 'validate', run: node('validate', '--all'), before: forgetValidated, floor: ['ls-tree + cat-file --batch (all models)', sh(readAll)], allowFail: true },
    { name: 'validate --staged', label: 'validate --staged (1 file)', need: 'validate', run: node('validate', '--staged'), before: stageOne, after: unstage, floor: ['diff --cached + cat-file (1 blob)', sh(`git diff --cached --name-only >/dev/null && git cat-file blob :${f.showPath} >/dev/null`)], floorBefore: stageOne, floorAfter: unstage },
    { name: 'cleanup', label: 'cleanup --dry-run', need: 'cleanup', run: node('cleanup', '--algo', 'mscn', '--dataset', 'production', '--keep', '10', '--dry-run'), floor: ['ls-tree + cat-file --batch (models/mscn)', sh(readAlgo)] },
    { name: 'register', need: 'register', run: node('register', '--algo', 'mscn', '--param', 'num_epoch=100', '--dataset', 'production'), after: reset, floor: ['git add + commit (1 new file)', sh('echo "{}" > models/mscn/zz_bench.json && git add models/mscn/zz_bench.json && git commit -q -m bench')], floorAfter: reset },
    { name: 'test', need: 'test', run: node('test', f.testId, '--dataset', 'job', '--metric', 'total_time=12.5'), after: reset, floor: ['git add + commit (1 changed file)', sh(`echo " " >> ${f.showPath} && git add ${f.showPath} && git commit -q -m bench`)], floorAfter: reset },
    { name: 'register + hook', need: 'validate', run: node('register', '--algo', 'mscn', '--param', 'num_epoch=100'), before: installHook, after: () => (reset(), removeHook()), floor: ['git add + commit (1 new file)', sh('echo "{}" > models/mscn/zz_bench.json && git add models/mscn/zz_bench.json && git commit -q -m bench')], floorAfter: reset },
  ];

  const results = [];
  // The first read of a tree builds the snapshot cache (timed once, cold); it also starts the
  // one-time background commit-graph update, which the timed runs must not compete with.
  waitForBackground(dir); // a commit-graph update still running from an earlier run
  rmSync(join(dir, '.git', 'modelgit', 'snapshots'), { recursive: true, force: true });
  rmSync(join(dir, '.git', 'modelgit', 'yaml'), { recursive: true, force: true });
  // The answers remembered about commits (memo-file.ts) go too: a cold read has nothing.
  for (const memo of ['recorded', 'commits', 'stages']) rmSync(join(dir, '.git', 'modelgit', memo), { force: true });
  const readCmd = hasCommand('best') ? ['best', '--algo', 'mscn', '--dataset', 'production'] : ['tag', f.testId, 'bench-cold'];
  const cold = timeOnce(process.execPath, [CLI, ...readCmd], dir);
  results.push({ label: `${readCmd[0]}, cold cache (builds it)`, ms: cold.ms, rssMb: (cold.rssKb ?? 0) / 1024, treeMb: (cold.treeKb ?? 0) / 1024, floorName: 'ls-tree + cat-file --batch (all models)', floorMs: measure({ cmd: 'sh', argv: ['-c', readAll] }, dir).ms, single: true });
  reset();
  const graphSeconds = waitForBackground(dir);
  if (graphSeconds > 1) log(`  ${size}: waited ${graphSeconds.toFixed(0)} s for the background commit-graph update`);
  for (const row of rows) {
    if (only && !only.has(row.name)) continue;
    const label = row.label ?? row.name;
    if (row.need && !hasCommand(row.need)) {
      results.push({ label, missing: true });
      continue;
    }
    log(`  ${size}: ${label}`);
    const r = measure({ cmd: row.run[0], argv: row.run[1], before: row.before, after: row.after, allowFail: row.allowFail }, dir, { cmd: row.floor[1][0], argv: row.floor[1][1], before: row.floorBefore, after: row.floorAfter });
    results.push({ name: row.name, label, ...r, floorName: row.floor[0] });
    reset();
    removeHook();
  }
  const beside = args.includes('--no-beside') ? [] : besideRows(dir, f, results);
  const models = Number(git(dir, 'ls-files', '--', 'models').split('\n').filter((p) => p.endsWith('.json')).length);
  const commits = Number(git(dir, 'rev-list', '--count', 'HEAD').trim());
  return { size, models, commits, results, graphSeconds, beside };
}

/**
 * The reads beside what they replace (issue #18): the seed's single-file Python registry on the same
 * models (bench/seed_registry.py over one model_registry.json), plain files read from the working
 * tree (the filesystem floor), and Node's own startup; plus the first answer on a fresh clone.
 */
function besideRows(dir, f, results) {
  const py = '/usr/bin/python3';
  const seedFile = seedRegistryFile(dir);
  const seedPy = join(HERE, 'seed_registry.py');
  const nodeMs = results.find((r) => r.label === 'startup (--version)')?.floorMs ?? measure({ cmd: process.execPath, argv: ['-e', ''] }, dir).ms;
  const cat = (paths) => sh(`cat ${paths.join(' ')} >/dev/null`);
  const catAlgo = sh('find models/mscn -name "*.json" -print0 | xargs -0 cat >/dev/null');
  const compareFiles = f.compareIds.map((id) => `models/mscn/${id}.json`);
  const specs = [
    { name: 'best', run: node('best', '--algo', 'mscn', '--dataset', 'production'), python: ['best', 'mscn', 'production', 'total_time'], fs: catAlgo },
    { name: 'list --limit 20', run: node('list', '--algo', 'mscn', '--limit', '20'), python: ['list', 'mscn'], fs: catAlgo },
    { name: 'list --json', run: node('list', '--algo', 'mscn', '--json'), python: ['list', 'mscn'], fs: catAlgo },
    { name: 'show', run: node('show', f.showId), python: ['show', f.showId], fs: cat([f.showPath]) },
    { name: 'history --limit 20', run: node('history', '--limit', '20') },
    { name: 'compare (5 models)', run: node('compare', ...f.compareIds), python: ['compare', ...f.compareIds], fs: cat(compareFiles) },
    { name: 'resolve', run: node('resolve', f.showId) },
  ];
  const rows = [];
  for (const spec of specs) {
    if (only && !only.has(spec.name.split(' ')[0])) continue;
    log(`  beside: ${spec.name}`);
    const mg = measure({ cmd: spec.run[0], argv: spec.run[1], allowFail: true }, dir, spec.python && existsSync(py) ? { cmd: py, argv: [seedPy, seedFile, ...spec.python] } : undefined);
    const fs = spec.fs ? measure({ cmd: spec.fs[0], argv: spec.fs[1] }, dir) : undefined;
    rows.push({ name: spec.name, ms: mg.ms, error: mg.error, pythonMs: mg.floorMs, fsMs: fs?.ms, nodeMs });
  }
  // The git floor of a first answer: the same reads by git in the fresh clone (no commit-graph, no
  // index), timed before modelgit runs there: the model files of the algorithm or the one file,
  // and `git log -- path` of the file whose history the answer names.
  const bestPath = (() => {
    const r = spawnSync(process.execPath, [CLI, 'best', '--algo', 'mscn', '--dataset', 'production', '--json'], { cwd: dir, encoding: 'utf8' });
    try {
      return `models/mscn/${JSON.parse(r.stdout).model_id}.json`;
    } catch {
      return f.showPath;
    }
  })();
  const logOf = (path) => `git log --format=%H%x1f%s -- ${path} >/dev/null`;
  for (const kind of ['best', 'show']) {
    if (only && !only.has(kind)) continue;
    log(`  beside: ${kind} on a fresh clone`);
    const argv = kind === 'best' ? ['best', '--algo', 'mscn', '--dataset', 'production'] : ['show', f.showId];
    const floor = kind === 'best' ? `${readAlgo} && ${logOf(bestPath)}` : `git cat-file blob HEAD:${f.showPath} >/dev/null && ${logOf(f.showPath)}`;
    rows.push({ name: `${kind}, fresh clone (first answer)`, ...freshClone(dir, argv, floor), nodeMs, pythonMs: kind === 'best' ? rows.find((r) => r.name === 'best')?.pythonMs : rows.find((r) => r.name === 'show')?.pythonMs });
  }
  return rows;
}

/** `model_registry.json` of the seed's registry with the same models (built once per generated registry). */
function seedRegistryFile(dir) {
  const file = `${dir}.seed-registry.json`;
  if (existsSync(file)) return file;
  const registry = {};
  for (const p of git(dir, 'ls-files', '--', 'models').split('\n')) {
    if (!p.endsWith('.json')) continue;
    const meta = JSON.parse(readFileSync(join(dir, p), 'utf8'));
    registry[meta.model_id] = meta;
  }
  writeFileSync(file, JSON.stringify(registry, null, 2));
  return file;
}

/**
 * The first answer on a fresh clone: each run clones `dir` (untimed; git's local clone, without the
 * commit-graph a fresh clone from a server would not have either), times one command, then waits for
 * the background work it started and removes the clone.
 */
function freshClone(dir, argv, floorScript) {
  const samples = [];
  const floors = [];
  for (let i = 0; i < Math.max(3, Math.min(runs, 5)); i++) {
    const clone = join(HERE, '.work', `fresh-${process.pid}`);
    rmSync(clone, { recursive: true, force: true });
    execFileSync('git', ['clone', '-q', dir, clone], { stdio: 'ignore' });
    rmSync(join(clone, '.git', 'objects', 'info', 'commit-graph'), { force: true });
    rmSync(join(clone, '.git', 'objects', 'info', 'commit-graphs'), { recursive: true, force: true });
    if (floorScript) floors.push(timeOnce('sh', ['-c', floorScript], clone).ms);
    const r = timeOnce(process.execPath, [CLI, ...argv], clone);
    waitForBackground(clone);
    rmSync(clone, { recursive: true, force: true });
    if (r.code !== 0) return { error: `exit ${r.code}: ${r.stderr.trim().split('\n').pop()}` };
    samples.push(r.ms);
  }
  return { ms: median(samples), gitMs: floors.length ? median(floors) : undefined };
}

/** Waits for modelgit's background work in `dir` (commit-graph, history index); returns the seconds waited. */
function waitForBackground(dir) {
  const t0 = Date.now();
  const locks = [join(dir, '.git', 'modelgit', 'commit-graph.lock'), join(dir, '.git', 'modelgit', 'history', 'build.lock')];
  while (locks.some((l) => existsSync(l)) && Date.now() - t0 < 60 * 60_000) spawnSync('sleep', ['0.5']);
  return (Date.now() - t0) / 1000;
}

const dirs = new Map();
function cachedRegistryDir(size) {
  return dirs.get(size);
}

function fmtMs(x) {
  return x === undefined ? '' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${Math.round(x)} ms`;
}

function verdict(size, r, bySize) {
  const t = TARGETS[r.name]?.[size];
  const parts = [];
  if (t !== undefined) parts.push(`${r.ms <= t ? 'ok' : 'MISSED'} (≤ ${fmtMs(t)})`);
  if (size === 100000 && SAME_AS_10K.has(r.name)) {
    const at10k = bySize.get(10000)?.results.find((x) => x.name === r.name);
    if (at10k?.ms !== undefined) parts.push(`${r.ms <= at10k.ms * 1.15 ? 'ok' : 'MISSED'} (vs ${fmtMs(at10k.ms)} at 10k)`);
  }
  const mt = MEMORY_TARGET_MB[size];
  if (mt !== undefined && r.rssMb !== undefined && r.rssMb > mt) parts.push(`memory MISSED (> ${mt} MB)`);
  return parts.join(', ');
}

function render(all, meta) {
  const bySize = new Map(all.map((s) => [s.size, s]));
  const lines = [
    '# modelgit benchmark results',
    '',
    `Generated by \`npm run bench${meta.argsText}\` on ${meta.date}.`,
    '',
    `Machine: ${meta.cpus}× ${meta.cpu}, ${meta.memGb} GB RAM; Node ${process.version}; ${meta.git}. Load average at start ${meta.loadStart}, at end ${meta.loadEnd}` +
      ' — the machine is shared, so single numbers are noisy; medians of ' + `${runs} runs after one warm-up run.`,
    '',
    'Each time is the whole process (spawn to exit, as a user or CI sees it). "Floor" is what the git binary alone takes to read',
    'the same data; "×" is modelgit time / floor. "RSS" is the peak resident set of the modelgit process itself; "with git" is',
    'the largest of it and the git processes it ran.',
    'A command\'s runs alternate with its floor\'s, so a busy moment slows both. Writes run in the generated repository and',
    'are undone after each run. Repositories come from `bench/generate.mjs`',
    '(each model a register commit, 0–4 test commits, sometimes a tag commit).',
    '',
  ];
  for (const s of all) {
    lines.push(`## ${s.size.toLocaleString('en-US')} models (${s.commits.toLocaleString('en-US')} commits)`, '');
    if (s.graphSeconds > 1) lines.push(`The first read started the one-time background commit-graph update (changed-path Bloom filters); it took ${Math.round(s.graphSeconds)} s and was waited for before timing.`, '');
    lines.push('| command | median | min | RSS | with git | floor | floor time | × | target |', '|---|---:|---:|---:|---:|---|---:|---:|---|');
    for (const r of s.results) {
      if (r.missing) {
        lines.push(`| ${r.label} | n/a | | | | | | | not in this build |`);
        continue;
      }
      if (r.error) {
        lines.push(`| ${r.label} | error | | | | | | | ${r.error.replaceAll('|', '\\|')} |`);
        continue;
      }
      const ratio = r.floorMs ? (r.ms / r.floorMs).toFixed(1) : '';
      const mb = (x) => (x ? `${Math.round(x)} MB` : '');
      lines.push(`| ${r.label} | ${fmtMs(r.ms)} | ${r.single ? '' : fmtMs(r.min)} | ${mb(r.rssMb)} | ${mb(r.treeMb)} | ${r.floorName} | ${fmtMs(r.floorMs)} | ${ratio} | ${verdict(s.size, r, bySize)} |`);
    }
    lines.push('');
    if (s.beside?.length) {
      lines.push(
        `### Reads at ${s.size.toLocaleString('en-US')} models beside what they replace`,
        '',
        'The seed\'s single-file Python registry on the same models (`bench/seed_registry.py`, its runs alternating with modelgit\'s), the plain files read from the working tree, and `node -e ""`.',
        '',
        '| read | modelgit | Python single-file registry | modelgit ÷ Python | plain files | git, same reads | ÷ node startup | 1k → this size |',
        '|---|---:|---:|---:|---:|---:|---:|---:|',
      );
      const small = bySize.get(Math.min(...bySize.keys()));
      for (const r of s.beside) {
        if (r.error) {
          lines.push(`| ${r.name} | error | | | | | | ${r.error.replaceAll('|', '\\|')} |`);
          continue;
        }
        const at1k = small && small !== s ? small.beside?.find((x) => x.name === r.name)?.ms : undefined;
        const x = (a, b) => (a && b ? `${(a / b).toFixed(2)}×` : '');
        lines.push(`| ${r.name} | ${fmtMs(r.ms)} | ${fmtMs(r.pythonMs)} | ${x(r.ms, r.pythonMs)} | ${fmtMs(r.fsMs)} | ${fmtMs(r.gitMs)} | ${x(r.ms, r.nodeMs)} | ${x(r.ms, at1k)} |`);
      }
      lines.push('');
    }
  }
  return lines.join('\n');
}

// The fleet benchmark (bench/writers.mjs): concurrent writers over a real protocol on loopback.
// `--writers 1,10,50,100` adds its section; `--writers-only` runs just it into bench/results-writers.md.
if (opt('--writers')) {
  const { writersSection } = await import('./writers.mjs');
  const counts = opt('--writers').split(',').map(Number);
  var writers = await writersSection({ counts, protocol: opt('--protocol', 'daemon'), log, queue: args.includes('--queue'), writes: Number(opt('--writes', '3')), noCheckout: args.includes('--no-checkout') });
  if (args.includes('--writers-only')) {
    // Newest run first, earlier runs kept below it (they are the record the docs cite).
    const file = join(HERE, 'results-writers.md');
    const title = '# Writers benchmark\n\n';
    const earlier = existsSync(file) ? readFileSync(file, 'utf8').replace(/^# Writers benchmark\s*/, '') : '';
    writeFileSync(file, `${title}${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`npm run bench -- ${args.join(' ')}\`\n\n${writers.markdown}\n${earlier ? `\n${earlier}` : ''}`);
    process.stdout.write(writers.markdown + '\n');
    process.exit(writers.rows.every((r) => r.allLanded && r.duplicates === 0 && r.fsck === 'clean') ? 0 : 1);
  }
}

// Writes without a checkout (bench/remote-writes.mjs, issue #15): `--remote-writes 1000,10000`
// adds its section; `--remote-writes-only` runs just it into bench/results-remote.md.
if (opt('--remote-writes')) {
  const { remoteWritesSection, remoteWritesOk, writeResults } = await import('./remote-writes.mjs');
  const remoteSizes = opt('--remote-writes').split(',').map(Number);
  var remoteWrites = await remoteWritesSection({ sizes: remoteSizes, runs: Number(opt('--runs', '7')), protocol: opt('--protocol', 'file'), keep: args.includes('--keep'), log });
  if (args.includes('--remote-writes-only')) {
    writeResults(remoteWrites.markdown, `npm run bench -- ${args.join(' ')}`);
    process.stdout.write(remoteWrites.markdown + '\n');
    process.exit(remoteWritesOk(remoteWrites.results) ? 0 : 1);
  }
}

const loadStart = loadavg().map((x) => x.toFixed(1)).join(' ');
const all = [];
const pythonOnly = args.includes('--python-only');
if (!pythonOnly) {
  for (const size of sizes) {
    dirs.set(size, await cachedRegistry({ models: size, seed, log }));
    log(`benchmarking ${size} models …`);
    all.push(benchSize(size));
  }
}
/** The Python client's overhead section (its own script: it drives the client as a user would). */
function pythonSection() {
  const py = '/usr/bin/python3';
  const size = Math.max(...sizes.filter((n) => n <= 10000), 0);
  if (args.includes('--no-python') || !size || !existsSync(py)) return '';
  log(`benchmarking the Python client at ${size} models …`);
  const r = spawnSync(py, [join(ROOT, 'python', 'bench', 'bench_client.py'), '--models', String(size), '--runs', String(runs)], { encoding: 'utf8', cwd: ROOT });
  const body = r.status === 0 ? r.stdout.trim() : `failed (exit ${r.status}): ${(r.stderr || '').trim().split('\n').pop()}`;
  return ['## Python client overhead', '', 'python/bench/bench_client.py: `register` and `record_test` through `modelgit.Registry` against the same CLI command, alternating; target: the CLI call plus ~20 ms.', '', '```', body, '```', ''].join('\n');
}
const md = render(all, {
  date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  argsText: args.length ? ` -- ${args.join(' ')}` : '',
  cpus: cpus().length,
  cpu: cpus()[0]?.model ?? 'unknown CPU',
  memGb: Math.round(totalmem() / 2 ** 30),
  git: execFileSync('git', ['--version'], { encoding: 'utf8' }).trim(),
  loadStart,
  loadEnd: loadavg().map((x) => x.toFixed(1)).join(' '),
});
const full = md + '\n' + pythonSection() + (writers ? '\n' + writers.markdown : '') + (remoteWrites ? '\n' + remoteWrites.markdown : '');
writeFileSync(out, full + '\n');
process.stdout.write(full + '\n');
log(`wrote ${out}`);
