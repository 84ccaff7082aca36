// Is a write without a checkout flat in registry size (issue #15)? This times commitTree
// (src/git/tree-edit.ts: the trees on the changed path, one unpack-objects, one commit-tree) adding
// one model file and modifying one, at 1k, 10k and 100k models, beside what a full checkout pays
// for the same change (`git add` + `git commit`, which refresh an index of every file: git's floor).
// The registries are one commit made by `git fast-import` (seconds, even at 100k), with model files
// spread as modelgit writes them: models/<algo>/<id>.json over three algorithms of unequal size.
//
//   npm run build && node bench/tree-edit.mjs [--sizes 1000,10000,100000] [--runs 9] [--keep]
import { BENCH_GIT_ENV } from './git-env.mjs';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Git } from '../dist/git/git.js';
import { commitTree } from '../dist/git/tree-edit.js';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const SIZES = arg('sizes', '1000,10000,100000').split(',').map(Number);
const RUNS = Number(arg('runs', '9'));
const KEEP = process.argv.includes('--keep');
// Busy algorithms and a rarer one, as a real registry has them.
const ALGOS = [['mscn', 0.5], ['lero', 0.3], ['bao', 0.2]];

// Nothing from the user's own git config may colour the timings (git-env.mjs).
const ENV = { ...process.env, ...BENCH_GIT_ENV };
Object.assign(process.env, ENV);
const git = (dir, ...args) => execFileSync('git', args, { cwd: dir, env: ENV, encoding: 'utf8', maxBuffer: 1 << 28 });

const algoOf = (i) => {
  const x = (i * 0.618033988749895) % 1;
  let acc = 0;
  for (const [name, share] of ALGOS) if (x < (acc += share)) return name;
  return ALGOS[0][0];
};
const idOf = (algo, i) => `${algo}_${String(20240101 + Math.floor(i / 86400) % 28).padStart(8, '0')}_${String(i % 86400).padStart(6, '0')}`;
const modelFile = (algo, id, extra = '') =>
  `${JSON.stringify({ id, algorithm: algo, created_at: '2024-01-01T00:00:00Z', hyperparameters: { lr: 0.001, layers: 4 }, metrics: {}, results: [], labels: ['experiment'], extra }, null, 2)}\n`;

/** A registry of `n` model files in one commit, made by fast-import; then checked out when `checkout`. */
async function makeRegistry(n, checkout) {
  const dir = mkdtempSync(join(tmpdir(), `tree-edit-bench-${n}-`));
  git(dir, 'init', '-q', '-b', 'main');
  const fi = spawn('git', ['fast-import', '--quiet'], { cwd: dir, env: ENV, stdio: ['pipe', 'inherit', 'inherit'] });
  const done = new Promise((res, rej) => fi.on('close', (code) => (code === 0 ? res() : rej(new Error(`fast-import exit ${code}`)))));
  const chunks = [];
  const data = (s) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  chunks.push(`commit refs/heads/main\ncommitter Bench <bench@example.com> 1704067200 +0000\n${data('seed')}`);
  chunks.push(`M 100644 inline modelgit.yaml\n${data('version: 1\n')}`);
  for (let i = 0; i < n; i++) {
    const algo = algoOf(i);
    const id = idOf(algo, i);
    chunks.push(`M 100644 inline models/${algo}/${id}.json\n${data(modelFile(algo, id))}`);
    if (chunks.length > 5000) fi.stdin.write(chunks.splice(0).join(''));
  }
  chunks.push('\n');
  fi.stdin.end(chunks.join(''));
  await done;
  if (checkout) git(dir, 'checkout', '-q', '-f', 'main');
  return dir;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function time(fn) {
  const times = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    await fn(r);
    times.push(performance.now() - t0);
  }
  return median(times);
}

const rows = [];
for (const n of SIZES) {
  const dir = await makeRegistry(n, true);
  const g = new Git(dir);
  const existing = `models/mscn/${idOf('mscn', [...Array(n).keys()].find((i) => algoOf(i) === 'mscn'))}.json`;
  git(dir, 'cat-file', '-e', `HEAD:${existing}`);
  const entries = Number(git(dir, 'ls-tree', 'HEAD:models/mscn').split('\n').length - 1);

  // Without a checkout: each run on the same base, a file new to git each time (nothing is reused).
  const add = await time((r) => commitTree(g, { base: 'main', changes: [{ path: `models/mscn/new_${r}.json`, content: modelFile('mscn', `new_${r}`) }], message: `register new_${r}` }));
  const modify = await time((r) => commitTree(g, { base: 'main', changes: [{ path: existing, content: modelFile('mscn', 'x', `run ${r}`) }], message: `test ${r}` }));

  // A full checkout: write the file, `git add` it, `git commit` (HEAD moves each run).
  git(dir, 'status', '--porcelain'); // a first index refresh, as any earlier command would have done
  const byGit = (path, content, msg) => {
    writeFileSync(join(dir, path), content);
    git(dir, 'add', '--', path);
    git(dir, 'commit', '-q', '-m', msg);
  };
  const gitAdd = await time((r) => byGit(`models/mscn/git_new_${r}.json`, modelFile('mscn', `git_new_${r}`), `register git_new_${r}`));
  const gitModify = await time((r) => byGit(existing, modelFile('mscn', 'x', `git run ${r}`), `test git ${r}`));
  git(dir, 'fsck', '--no-dangling', '--connectivity-only');

  rows.push({ n, entries, add, modify, gitAdd, gitModify });
  console.error(`${n} models done`);
  if (!KEEP) rmSync(dir, { recursive: true, force: true });
  else console.error(`kept ${dir}`);
}

const ms = (x) => `${x.toFixed(1)} ms`;
console.log(`\nMedian of ${RUNS} runs; ${process.platform}, node ${process.version}, ${git('.', '--version').trim()}.\n`);
console.log('| models | entries in models/mscn | commitTree: add one | commitTree: modify one | full checkout git add + commit: add one | full checkout: modify one |');
console.log('|---:|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.n.toLocaleString('en')} | ${r.entries.toLocaleString('en')} | ${ms(r.add)} | ${ms(r.modify)} | ${ms(r.gitAdd)} | ${ms(r.gitModify)} |`);
