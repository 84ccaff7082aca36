// Deterministic registry generator for benchmarks and cache tests. One `git fast-import` stream
// builds the whole history: each model is a register commit, then 0–4 test commits on several
// datasets and sometimes a tag commit, with the same subjects, trailers and file format the CLI
// writes (so every read path sees what a real registry holds). Going through the CLI would take
// hours at 100,000 models; fast-import takes minutes.
//
//   node bench/generate.mjs --models 10000 [--seed 1] [--dir PATH]   (prints the repo path)
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serializeMetadata } from '../dist/domain/metadata.js';
import { commitMessage } from '../dist/store/write/commit.js';
import { DEFAULT_CONFIG_TEXT, DEFAULT_STAGES_TEXT } from '../dist/domain/config.js';
import { timestampId, isoSeconds } from '../dist/domain/ids.js';
import { PackWriter } from './packwriter.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const WORK_DIR = join(HERE, '.work');
// Bump when the generated history changes shape, so cached repositories are rebuilt.
export const GENERATOR_VERSION = 4;

// Weighted like a real team's registry: a few busy algorithms, a tail of rarer ones.
export const ALGORITHMS = [
  ['mscn', 0.22], ['lero', 0.16], ['bao', 0.14], ['neo', 0.1], ['balsa', 0.1],
  ['gpt2-mtp', 0.1], ['llama-mtp', 0.08], ['qwen-mtp', 0.05], ['cardest', 0.05],
];
export const DATASETS = ['production', 'job', 'stats', 'tpch', 'imdb', 'dsb'];
const LABELS = ['experiment', 'baseline', 'keep', 'ablation', 'candidate', 'best'];
const AUTHORS = [['Ada Lovelace', 'ada@example.com'], ['Grace Hopper', 'grace@example.com'], ['Alan Turing', 'alan@example.com'], ['Edsger Dijkstra', 'edsger@example.com']];

/** mulberry32: small, fast, and the same sequence on every machine for a seed. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pickWeighted(rand, table) {
  let x = rand();
  for (const [v, w] of table) {
    if ((x -= w) < 0) return v;
  }
  return table[table.length - 1][0];
}

const pick = (rand, list) => list[Math.floor(rand() * list.length)];
const round = (x, digits) => Number(x.toFixed(digits));

function hexOf(rand, n) {
  let s = '';
  while (s.length < n) s += Math.floor(rand() * 0x100000000).toString(16).padStart(8, '0');
  return s.slice(0, n);
}

function newModel(rand, algorithm, id, at) {
  const iso = isoSeconds(at);
  const meta = {
    schema_version: 2,
    model_id: id,
    algorithm,
    created_at: iso,
    model_path: `artifacts/${algorithm}/${id}`,
  };
  if (rand() < 0.3) meta.artifact = { sha256: hexOf(rand, 64), size_bytes: Math.floor(rand() * 5e8) };
  meta.training = {
    enabled: true,
    dataset: pick(rand, DATASETS),
    num_queries: 100 * (1 + Math.floor(rand() * 10)),
    hyperparams: {
      num_epoch: 10 * (1 + Math.floor(rand() * 20)),
      num_training: 100 * (1 + Math.floor(rand() * 10)),
      num_collection: 100 * (1 + Math.floor(rand() * 10)),
      learning_rate: pick(rand, [0.01, 0.005, 0.001, 0.0005, 0.0001]),
    },
    trained_at: iso,
    training_time: round(60 + rand() * 7200, 1),
  };
  meta.testing = [];
  meta.tags = rand() < 0.2 ? [pick(rand, LABELS)] : [];
  if (rand() < 0.1) meta.notes = `variant ${Math.floor(rand() * 1000)} of the ${algorithm} sweep`;
  if (algorithm.endsWith('-mtp')) {
    const base = algorithm.slice(0, -4);
    meta.role = rand() < 0.2 ? 'reference_model' : 'policy_model';
    meta.base_architecture = base;
    meta.training_algorithm = 'mtp';
    meta.loading_strategy = {
      loader_type: 'custom_mtp',
      model_class_name: 'GPTMTPForCausalLM',
      custom_module_file: 'modeling.py',
      transformers_class: 'AutoModelForCausalLM',
      state_dict_mapping: { remove_prefix: 'base_model.', add_prefix: null, key_transforms: {} },
      required_files: ['config.json', 'model.safetensors', 'modeling.py'],
    };
    meta.algorithm_compatibility = ['baseline-mtp', 'critic-wmtp', 'rho1-wmtp'];
  }
  return meta;
}

function testResult(rand, dataset, at, quality) {
  const n = 50 * (1 + Math.floor(rand() * 10));
  const avg = round((0.05 + rand() * 2) * quality, 4);
  const performance = {
    total_time: round(avg * n, 3),
    average_time: avg,
    median_time: round(avg * (0.6 + rand() * 0.35), 4),
    p95_time: round(avg * (1.5 + rand() * 2), 4),
  };
  if (rand() < 0.25) performance.accuracy = round(0.5 + rand() * 0.5, 4);
  return { dataset, num_queries: n, tested_at: isoSeconds(at), performance };
}

/**
 * The history as a list of events (register, test, tag), in time order. Tests and tags come after
 * their model's registration, interleaved with other models' registrations as in real use.
 */
export function planHistory(models, seed = 1) {
  const rand = prng(seed);
  const events = [];
  const ids = new Set();
  let t = Date.parse('2023-01-02T08:00:00Z');
  for (let i = 0; i < models; i++) {
    t += 1000 * (1 + Math.floor(rand() * 600));
    const algorithm = pickWeighted(rand, ALGORITHMS);
    let id = timestampId(algorithm, new Date(t));
    for (let n = 2; ids.has(id); n++) id = `${timestampId(algorithm, new Date(t))}_${n}`;
    ids.add(id);
    const seq = events.length;
    events.push({ at: t, seq, kind: 'register', algorithm, id });
    const tests = Math.floor(rand() * 5); // 0–4
    let when = t;
    for (let k = 0; k < tests; k++) {
      when += 1000 * (60 + Math.floor(rand() * 86400));
      events.push({ at: when, seq: events.length, kind: 'test', id, dataset: k === 0 && rand() < 0.7 ? 'production' : pick(rand, DATASETS) });
    }
    if (rand() < 0.15) events.push({ at: when + 1000 * Math.floor(1 + rand() * 3600), seq: events.length, kind: 'tag', id, tag: pick(rand, LABELS) });
  }
  events.sort((a, b) => a.at - b.at || a.seq - b.seq);
  return events;
}

/**
 * The commits of the history, oldest first: { author, committer, message, files: [[path, text]] }.
 * Both writers below consume the same stream, so they produce the same commit ids.
 */
export function* historyCommits({ models, seed = 1 }) {
  const rand = prng(seed * 7919 + 17);
  const events = planHistory(models, seed);
  const person = (unix) => {
    const [name, email] = pick(rand, AUTHORS);
    return `${name} <${email}> ${unix} +0000`;
  };
  const commit = (unix, spec, files) => {
    const who = person(unix);
    return { author: who, committer: who, message: commitMessage(spec), files };
  };
  const start = Math.floor(events[0].at / 1000) - 3600;
  yield commit(start, { subject: 'init modelgit registry', trailers: [['Model-Action', 'init']] }, [
    ['modelgit.yaml', DEFAULT_CONFIG_TEXT],
    ['stages.yaml', DEFAULT_STAGES_TEXT],
    ['models/.gitkeep', ''],
  ]);
  const live = new Map();
  const quality = new Map();
  for (const e of events) {
    const unix = Math.floor(e.at / 1000);
    if (e.kind === 'register') {
      const meta = newModel(rand, e.algorithm, e.id, new Date(e.at));
      live.set(e.id, meta);
      quality.set(e.id, 0.5 + rand());
      yield commit(unix, { subject: `register ${e.id}`, trailers: [['Model-Action', 'register'], ['Model-Id', e.id]] }, [[path(meta), serializeMetadata(meta)]]);
    } else if (e.kind === 'test') {
      const meta = live.get(e.id);
      const result = testResult(rand, e.dataset, new Date(e.at), quality.get(e.id));
      meta.testing.push(result);
      const summary = Object.entries(result.performance).slice(0, 3).map(([k, v]) => `${k}=${v}`).join(' ');
      yield commit(unix, { subject: `test ${e.id} on ${e.dataset}: ${summary}`, trailers: [['Model-Action', 'test'], ['Model-Id', e.id], ['Dataset', e.dataset]] }, [[path(meta), serializeMetadata(meta)]]);
    } else {
      const meta = live.get(e.id);
      if (meta.tags.includes(e.tag)) continue;
      meta.tags.push(e.tag);
      yield commit(unix, { subject: `tag ${e.id}: ${e.tag}`, trailers: [['Model-Action', 'tag'], ['Model-Id', e.id]] }, [[path(meta), serializeMetadata(meta)]]);
    }
  }
}

function dataBlock(text) {
  const buf = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from(`data ${buf.length}\n`), buf, Buffer.from('\n')]);
}

/** The reference writer: one `git fast-import` stream (about 40 minutes at 100,000 models here). */
async function writeWithFastImport(dir, commits) {
  const child = spawn('git', ['fast-import', '--quiet', '--done'], { cwd: dir, stdio: ['pipe', 'inherit', 'inherit'] });
  const done = new Promise((res, rej) => child.on('close', (code) => (code === 0 ? res() : rej(new Error(`git fast-import exited ${code}`)))));
  const out = child.stdin;
  let pending = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (!pending.length) return;
    const chunk = Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
  };
  for (const c of commits) {
    pending.push(Buffer.from(`commit refs/heads/main\nauthor ${c.author}\ncommitter ${c.committer}\n`), dataBlock(c.message));
    for (const [p, text] of c.files) pending.push(Buffer.from(`M 100644 inline ${p}\n`), dataBlock(text));
    pending.push(Buffer.from('\n'));
    pendingBytes += 2000;
    if (pendingBytes > 1 << 20) await flush();
  }
  pending.push(Buffer.from('done\n'));
  await flush();
  out.end();
  await done;
}

/** The fast writer: objects straight into one pack (bench/packwriter.mjs explains why). */
function writeWithPackWriter(dir, commits) {
  const w = new PackWriter(join(dir, '.git'));
  for (const c of commits) w.commit(c);
  const head = w.finish();
  writeFileSync(join(dir, '.git', 'refs', 'heads', 'main'), head + '\n');
}

/** Generates the registry into `dir` (a fresh repository); engine: 'pack' (default) or 'fast-import'. */
export async function generateInto(dir, { models, seed = 1, engine = 'pack' }) {
  mkdirSync(dir, { recursive: true });
  const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 }).toString();
  git('init', '-q', '-b', 'main');
  git('config', 'user.name', 'Bench');
  git('config', 'user.email', 'bench@example.com');
  git('config', 'commit.gpgsign', 'false');
  git('config', 'tag.gpgsign', 'false');
  const commits = historyCommits({ models, seed });
  if (engine === 'fast-import') await writeWithFastImport(dir, commits);
  else writeWithPackWriter(dir, commits);
  // Fill the index and working tree, and write the commit-graph `git gc` would write.
  git('reset', '--hard', '-q', 'main');
  git('commit-graph', 'write', '--reachable');
  return { commits: Number(git('rev-list', '--count', 'HEAD').trim()), head: git('rev-parse', 'HEAD').trim() };
}

function path(meta) {
  return `models/${meta.algorithm}/${meta.model_id}.json`;
}

/** A generated registry for (models, seed), built once and reused from bench/.work/. */
export async function cachedRegistry({ models, seed = 1, engine = 'pack', log = () => {} }) {
  const dir = join(WORK_DIR, `registry-${models}-s${seed}${engine === 'pack' ? '' : `-${engine}`}`);
  const stamp = join(dir, '.git', 'bench-generated');
  const want = JSON.stringify({ version: GENERATOR_VERSION, models, seed, engine });
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === want) return dir;
  // Built under a temporary name and renamed when complete, so an interrupted or concurrent
  // run never leaves (or uses) a half-written registry.
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  log(`generating a ${models}-model registry in ${dir} …`);
  const t0 = Date.now();
  const info = await generateInto(tmp, { models, seed, engine });
  log(`  ${models} models, ${info.commits} commits in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  writeFileSync(join(tmp, '.git', 'bench-generated'), want);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const models = Number(opt('--models', '1000'));
  const seed = Number(opt('--seed', '1'));
  const engine = opt('--engine', 'pack');
  const dir = opt('--dir');
  if (dir) {
    const t0 = Date.now();
    const info = await generateInto(resolve(dir), { models, seed, engine });
    process.stderr.write(`${models} models, ${info.commits} commits, HEAD ${info.head}, ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    process.stdout.write(resolve(dir) + '\n');
  } else {
    process.stdout.write((await cachedRegistry({ models, seed, engine, log: (s) => process.stderr.write(s + '\n') })) + '\n');
  }
}
