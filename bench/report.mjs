#!/usr/bin/env node
// Manual benchmark: `modelgit report` on the generated benchmark registry (bench/generate.mjs, the
// same repositories `npm run bench` uses: ~3.15 commits per model). Not part of the test suite
// (CI time is limited). Times, per run, as a whole process:
//   cold  no report-history cache and no earlier report in --out (the snapshot cache is kept:
//         every command builds it, the report only reads it);
//   warm  after one new commit (`modelgit test` of one model), over the previous run's report with
//         the report-history cache and the report state present (docs/guide/report.md); the commit
//         is undone with `git reset --hard` after.
// Prints wall, user and system seconds, the peak RSS /usr/bin/time sees (the node process; git
// children are smaller) and the load average, and the site's size.
//   npm run build && node bench/report.mjs [--models 10000] [--runs 3] [--seed 1]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cachedRegistry, WORK_DIR } from './generate.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const models = Number(opt('--models', args[0] && !args[0].startsWith('--') ? args[0] : '10000'));
const runs = Number(opt('--runs', '3'));
const seed = Number(opt('--seed', '1'));
const cli = join(here, '..', 'dist', 'cli', 'main.js');
const repo = await cachedRegistry({ models, seed, log: (s) => process.stderr.write(s + '\n') });
const out = join(WORK_DIR, `report-${models}-s${seed}`);
const git = (...a) => execFileSync('git', a, { cwd: repo, encoding: 'utf8' }).trim();
const hasTime = existsSync('/usr/bin/time');

function report() {
  const argv = [cli, 'report', '--out', out, '--json'];
  const started = process.hrtime.bigint();
  const r = hasTime
    ? spawnSync('/usr/bin/time', ['-f', 'TIME %U %S %M', process.execPath, ...argv], { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, MODELGIT_CACHE_TRACE: '1' } })
    : spawnSync(process.execPath, argv, { cwd: repo, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, MODELGIT_CACHE_TRACE: '1' } });
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(r.stderr);
  const t = /TIME ([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  const kept = /report pages: (\d+) of (\d+) kept/.exec(r.stderr);
  const a = JSON.parse(r.stdout);
  return { wall, user: t ? Number(t[1]) : NaN, sys: t ? Number(t[2]) : NaN, rssMB: t ? Number(t[3]) / 1024 : NaN, pages: a.pages, kept: kept ? Number(kept[1]) : 0, fromState: /report state: from /.test(r.stderr), load: loadavg()[0] };
}

const fmt = (r) => `${r.wall.toFixed(1)} s wall, ${r.user.toFixed(1)} u + ${r.sys.toFixed(1)} s cpu, ${Math.round(r.rssMB)} MB peak, ${r.kept}/${r.pages} pages kept${r.fromState ? ' (from the report state)' : ''}, load ${r.load.toFixed(1)}`;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

git('config', 'user.name', 'Bench');
git('config', 'user.email', 'bench@example.com');
git('config', 'commit.gpgsign', 'false');
const base = git('rev-parse', 'HEAD');
const ids = git('ls-tree', '-r', '--name-only', 'HEAD', '--', 'models/mscn').split('\n');
const results = { cold: [], warm: [] };
try {
  for (let i = 0; i < runs; i++) {
    rmSync(out, { recursive: true, force: true });
    rmSync(join(repo, '.git', 'modelgit', 'report'), { recursive: true, force: true });
    const cold = report();
    results.cold.push(cold);
    console.log(`cold ${i + 1}: ${fmt(cold)}`);
    const id = ids[(i * 7919) % ids.length].replace(/^.*\//, '').replace(/\.json$/, '');
    execFileSync(process.execPath, [cli, 'test', id, '--dataset', 'production', '--metric', `total_time=${(10 + i).toFixed(1)}`], { cwd: repo, stdio: 'ignore' });
    const warm = report();
    results.warm.push(warm);
    console.log(`warm ${i + 1} (after one test of ${id}): ${fmt(warm)}`);
    git('reset', '-q', '--hard', base);
  }
} finally {
  git('reset', '-q', '--hard', base);
}
const du = spawnSync('du', ['-s', '--apparent-size', '-B1M', out], { encoding: 'utf8' }).stdout.split('\t')[0];
for (const k of ['cold', 'warm']) {
  const rs = results[k];
  console.log(`${k}: median ${median(rs.map((r) => r.wall)).toFixed(1)} s wall, ${median(rs.map((r) => r.user + r.sys)).toFixed(1)} s cpu, ${Math.round(median(rs.map((r) => r.rssMB)))} MB peak`);
}
console.log(`site: ${results.cold[0]?.pages} pages, ${du} MB, in ${out}`);
