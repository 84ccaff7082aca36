#!/usr/bin/env node
// Manual benchmark: `modelgit report` on a generated 10,000-model registry (~30,000 commits,
// promotions with stage tags). Not part of the test suite (CI time is limited).
//   npm run build && node bench/report.mjs [models=10000]
// The registry is generated once with `git fast-import` under bench/.work/ and reused.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const N = Number(process.argv[2] ?? 10_000);
const work = join(here, '.work');
const repo = join(work, `registry-${N}`);
const cli = join(here, '..', 'dist', 'cli', 'main.js');

function generate() {
  rmSync(repo, { recursive: true, force: true });
  mkdirSync(repo, { recursive: true });
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo });
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const chunks = [];
  let mark = 0;
  let t = Date.UTC(2023, 0, 1) / 1000;
  const blob = (s) => `data ${Buffer.byteLength(s)}\n${s}\n`; // the LF after the data is optional, so one is enough
  const commit = (msg, files) => {
    mark++;
    t += 60;
    chunks.push(`commit refs/heads/main\nmark :${mark}\ncommitter Bench <bench@example.com> ${t} +0000\n${blob(msg)}`);
    for (const [path, content] of files) chunks.push(`M 100644 inline ${path}\n${blob(content)}`);
    return mark;
  };
  commit('init modelgit registry\n\nModel-Action: init\n', [
    ['modelgit.yaml', 'schema_version: 1\nmodels_dir: models\ndefault_metric: total_time\nmetrics:\n  total_time: { direction: min }\n  accuracy: { direction: max }\nstages: [staging, production]\n'],
    ['stages.yaml', '{}\n'],
  ]);
  const algos = ['mscn', 'lero', 'bao'];
  const best = {};
  const stages = {};
  let promotions = 0;
  for (let i = 0; i < N; i++) {
    const algorithm = algos[i % algos.length];
    const id = `${algorithm}_${String(i).padStart(6, '0')}`;
    const path = `models/${algorithm}/${id}.json`;
    const meta = {
      schema_version: 2, model_id: id, algorithm, created_at: new Date(t * 1000).toISOString().replace(/\.\d+Z/, 'Z'),
      training: { enabled: true, dataset: rand() < 0.5 ? 'production' : 'stats', num_queries: 500, hyperparams: { num_epoch: 50 + Math.floor(rand() * 150), learning_rate: Number((rand() / 100).toFixed(5)) }, training_time: Math.round(rand() * 3600) },
      testing: [], tags: rand() < 0.1 ? ['experiment'] : [],
    };
    commit(`register ${id}\n\nModel-Action: register\nModel-Id: ${id}\n`, [[path, JSON.stringify(meta, null, 2) + '\n']]);
    for (const dataset of ['production', rand() < 0.5 ? 'job' : 'production']) {
      const total = Number((20 + rand() * 100).toFixed(2));
      meta.testing.push({ dataset, num_queries: 100, tested_at: meta.created_at, performance: { total_time: total, average_time: total / 100, accuracy: Number(rand().toFixed(3)) } });
      const m = commit(`test ${id} on ${dataset}\n\nModel-Action: test\nModel-Id: ${id}\nDataset: ${dataset}\n`, [[path, JSON.stringify(meta, null, 2) + '\n']]);
      if (dataset === 'production' && (!best[algorithm] || total < best[algorithm].v)) {
        best[algorithm] = { id, v: total };
        if (rand() < 0.3) {
          const previous = stages[algorithm]?.production ?? 'none';
          stages[algorithm] = { production: id };
          const yaml = Object.entries(stages).map(([a, s]) => `${a}:\n  production: ${s.production}`).join('\n') + '\n';
          const trailers = `Model-Id: ${id}\nStage: production\nPrevious-Model-Id: ${previous}\n`;
          const pm = commit(`promote ${id} to production\n\nModel-Action: promote\n${trailers}`, [['stages.yaml', yaml]]);
          promotions++;
          chunks.push(`tag stage/${algorithm}/production/${promotions}\nfrom :${pm}\ntagger Bench <bench@example.com> ${t} +0000\n${blob(`${id} → ${algorithm} production\n\n${trailers}`)}`);
        }
      }
      void m;
    }
  }
  const r = spawnSync('git', ['fast-import', '--quiet'], { cwd: repo, input: chunks.join(''), maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  execFileSync('git', ['checkout', '-q', '-f', 'main'], { cwd: repo });
  console.log(`generated ${N} models, ${mark} commits, ${promotions} promotions in ${repo}`);
}

if (!existsSync(join(repo, 'modelgit.yaml'))) generate();
const out = join(work, `report-${N}`);
rmSync(out, { recursive: true, force: true }); // time a fresh build, not the deletion of the last one
const started = process.hrtime.bigint();
const r = spawnSync(process.execPath, [cli, 'report', '--out', out, '--json'], { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 26 });
const ms = Number(process.hrtime.bigint() - started) / 1e6;
if (r.status !== 0) {
  console.error(r.stderr);
  process.exit(1);
}
const a = JSON.parse(r.stdout);
console.log(`report: ${a.models} models, ${a.commits} commits, ${a.pages} pages — ${Math.round(ms)} ms whole process (${a.elapsed_ms} ms inside)`);
console.log(`open ${a.index}`);
