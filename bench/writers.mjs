// The fleet benchmark (issue #15, DESIGN §4b): N training jobs finish at once and each, in its own
// clone of one remote, registers a model and records results with --push (or --queue): --writes W
// writes per writer, one registration and W-1 results (default 3). It serves the remote
// over a real protocol on loopback (git daemon, or git-http-backend behind Debian's lighttpd, or a
// plain file path), starts the writers together, and reports per writer count: how many writes
// landed, how many failed and with what, duplicates, fsck, commits per second and p50/p99 latency of
// one write. The server is started and stopped here, bound to 127.0.0.1 on a free port.
// A --push writer that loses two races combines (store/write/combine.ts): it queues its write and
// the oldest waiting writer drains the queue a round at a time; MODELGIT_COMBINE_AFTER=0 in the
// environment measures the direct retries alone.
// It also adds up the CPU all of it used — each write's process tree (through /usr/bin/time) and
// the server's children (the daemon's or web server's reaped children, from /proc) — since on a
// small machine a hundred writers are bound by CPU before any race: that sum over the cores is the
// least wall time any schedule could take, and the p50 write is read beside it.
//
//   node bench/writers.mjs --writers 1,10,50,100 --protocol daemon   (after npm run build)
//   node bench/writers.mjs --writers 100 --queue                     (writers queue, then drain)
//   node bench/writers.mjs --writers 100 --writes 10 --queue --protocol daemon   (1,000 queued writes)
//   node bench/writers.mjs --writers 100 --no-checkout               (writers with no clone: --remote URL)
//   npm run bench -- --writers 1,10,50                               (as a section of results.md)
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'cli', 'main.js');
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const TICKS = 100; // USER_HZ: clock ticks per second in /proc/<pid>/stat on Linux

/**
 * CPU seconds used by the process tree under `pid` so far: each live process's own time and what
 * it reaped from its exited children (`git daemon` runs git-daemon as a child, which forks one
 * process per connection); 0 when /proc can't tell.
 */
function treeCpu(pid) {
  const stats = new Map();
  try {
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        // (fields counted from the state, the third: ppid is 4th, utime 14th … cstime 17th)
        stats.set(Number(d), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / TICKS });
      } catch {}
    }
  } catch {
    return 0;
  }
  const inTree = (p) => {
    for (let q = p, hops = 0; q && hops < 64; q = stats.get(q)?.ppid, hops++) if (q === pid) return true;
    return false;
  };
  let sum = 0;
  for (const [p, s] of stats) if (inTree(p)) sum += s.cpu;
  return sum;
}

function git(cwd, ...a) {
  return execFileSync('git', a, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, ms = 10_000) {
  const { connect } = await import('node:net');
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise((r) => {
      const c = connect(port, '127.0.0.1', () => (c.end(), r(true)));
      c.on('error', () => r(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`server on port ${port} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Serves `base` (a directory holding registry.git); returns the clone URL and a stop function. */
async function serve(protocol, base) {
  if (protocol === 'file') return { url: join(base, 'registry.git'), stop: async () => {} };
  const port = await freePort();
  let child;
  let url;
  if (protocol === 'daemon') {
    child = spawn('git', ['daemon', '--reuseaddr', '--listen=127.0.0.1', `--port=${port}`, `--base-path=${base}`, '--export-all', '--enable=receive-pack', '--max-connections=0', base], { stdio: 'ignore' });
    url = `git://127.0.0.1:${port}/registry.git`;
  } else if (protocol === 'http') {
    const lighttpd = ['/usr/sbin/lighttpd', '/usr/bin/lighttpd'].find(existsSync);
    if (!lighttpd) throw new Error('--protocol http needs lighttpd (apt-get install lighttpd)');
    const backend = execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim() + '/git-http-backend';
    const conf = join(base, 'lighttpd.conf');
    writeFileSync(conf, [
      'server.modules = ("mod_alias", "mod_cgi", "mod_setenv")',
      `server.document-root = "${base}"`,
      'server.bind = "127.0.0.1"',
      `server.port = ${port}`,
      `server.errorlog = "${join(base, 'lighttpd.err')}"`,
      'server.max-connections = 1024',
      `alias.url = ("/git/" => "${backend}/")`,
      '$HTTP["url"] =~ "^/git/" {',
      '  cgi.assign = ("" => "")',
      `  setenv.add-environment = ("GIT_PROJECT_ROOT" => "${base}", "GIT_HTTP_EXPORT_ALL" => "1", "REMOTE_USER" => "bench")`,
      '}',
      '',
    ].join('\n'));
    git(join(base, 'registry.git'), 'config', 'http.receivepack', 'true');
    child = spawn(lighttpd, ['-D', '-f', conf], { stdio: 'ignore' });
    url = `http://127.0.0.1:${port}/git/registry.git`;
  } else throw new Error(`unknown --protocol ${protocol} (daemon, http or file)`);
  await waitForPort(port);
  return {
    url,
    pid: child.pid,
    stop: () => new Promise((r) => (child.exitCode !== null ? r() : (child.once('exit', () => r()), child.kill('SIGTERM')))),
  };
}

let cpuFiles = 0;
function run(cwd, argv, env) {
  const started = performance.now();
  const cpuFile = TIME ? join(tmpdir(), `modelgit-writers-cpu-${process.pid}-${cpuFiles++}`) : undefined;
  const [cmd, args] = TIME ? [TIME, ['-f', '%U %S', '-o', cpuFile, process.execPath, CLI, ...argv]] : [process.execPath, [CLI, ...argv]];
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      let cpu = 0;
      if (cpuFile) {
        try {
          const line = readFileSync(cpuFile, 'utf8').trim().split('\n').pop() ?? '';
          const [u, s] = line.split(' ').map(Number);
          cpu = (u || 0) + (s || 0);
        } catch {}
        rmSync(cpuFile, { force: true });
      }
      resolve({ code, out, err, cpu, ms: performance.now() - started });
    });
  });
}

const percentile = (xs, p) => {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** The datasets of one writer's results: `writes - 1` of them (stats and job first, as before). */
function datasetsFor(writes) {
  return Array.from({ length: Math.max(0, writes - 1) }, (_, k) => ['stats', 'job'][k] ?? `d${k + 1}`);
}

/** The queue refs left on the bare remote. */
function queueLeft(bare) {
  return git(bare, 'for-each-ref', '--format=%(refname)', 'refs/modelgit/queue/').split('\n').filter(Boolean).length;
}

/** How many drains at most until the queue is empty: one should do; more would be reported. */
const MAX_DRAINS = 5;

/**
 * One round: `writers` clones, each registers and records `writes - 1` results with --push, all at
 * once. With `queue`: each queues a registration and its results (on a model seeded before the
 * round: a queued write plans on the branch, where its own queued model is not yet); then drain,
 * run again while queue refs are left (at most MAX_DRAINS times; the count is reported).
 */
async function round(writers, protocol, env, queue = false, writes = 3, noCheckout = false) {
  const datasets = datasetsFor(writes);
  const results = writers * datasets.length;
  const base = mkdtempSync(join(tmpdir(), 'modelgit-writers-'));
  const server = { stop: async () => {} };
  try {
    const seed = join(base, 'seed');
    mkdirSync(seed);
    git(seed, 'init', '-q', '-b', 'main');
    for (const [k, v] of [['user.name', 'bench'], ['user.email', 'bench@example.com'], ['commit.gpgsign', 'false']]) git(seed, 'config', k, v);
    execFileSync(process.execPath, [CLI, 'init', '--no-hook'], { cwd: seed, stdio: 'ignore' });
    if (queue) execFileSync(process.execPath, [CLI, 'register', '--algo', 'mscn', '--id', 'seeded'], { cwd: seed, stdio: 'ignore' });
    git(base, 'clone', '-q', '--bare', seed, 'registry.git');
    Object.assign(server, await serve(protocol, base));
    const clones = [];
    // Without a checkout (--remote URL): each writer is an empty directory with a cache of its own,
    // as on separate training nodes; the identity comes from the environment.
    if (noCheckout) git(join(base, 'registry.git'), 'config', 'uploadpack.allowFilter', 'true');
    const envOf = (i) => (noCheckout ? { ...env, XDG_CACHE_HOME: join(base, `w${i}`, 'cache'), GIT_AUTHOR_NAME: `writer ${i}`, GIT_AUTHOR_EMAIL: `w${i}@example.com`, GIT_COMMITTER_NAME: `writer ${i}`, GIT_COMMITTER_EMAIL: `w${i}@example.com` } : env);
    const how = (i) => (noCheckout ? ['--remote', server.url] : []);
    const push = noCheckout ? [] : ['--push'];
    for (let i = 0; i < writers; i++) {
      const dir = join(base, `w${i}`);
      if (noCheckout) mkdirSync(dir);
      else {
        git(base, 'clone', '-q', server.url, dir);
        for (const [k, v] of [['user.name', `writer ${i}`], ['user.email', `w${i}@example.com`], ['commit.gpgsign', 'false']]) git(dir, 'config', k, v);
      }
      clones.push(dir);
    }
    const latencies = [];
    let clientCpu = 0;
    const serverCpuBefore = server.pid ? treeCpu(server.pid) : 0;
    const failures = new Map();
    const fail = (r) => {
      const line = (r.err.trim().split('\n').find((l) => l.startsWith('modelgit:')) ?? r.err.trim().split('\n')[0] ?? `exit ${r.code}`).slice(0, 160);
      failures.set(line, (failures.get(line) ?? 0) + 1);
    };
    const started = performance.now();
    let drainMs = 0;
    let drains = 0;
    let drainApplied = 0;
    const ids = queue ? await queued() : await Promise.all(
      clones.map(async (dir, i) => {
        const reg = await run(dir, [...how(i), 'register', '--algo', 'mscn', '--param', `writer=${i}`, ...push, '--json'], envOf(i));
        latencies.push(reg.ms);
        clientCpu += reg.cpu;
        if (reg.code !== 0) return fail(reg), undefined;
        const id = JSON.parse(reg.out).model_id;
        for (const dataset of datasets) {
          const t = await run(dir, [...how(i), 'test', id, '--dataset', dataset, '--metric', `total_time=${i + 1}`, ...push, '--json'], envOf(i));
          latencies.push(t.ms);
          clientCpu += t.cpu;
          if (t.code !== 0) fail(t);
        }
        return id;
      }),
    );
    async function queued() {
      const out = await Promise.all(
        clones.map(async (dir, i) => {
          const reg = await run(dir, ['register', '--algo', 'mscn', '--param', `writer=${i}`, '--queue', '--json'], env);
          latencies.push(reg.ms);
          if (reg.code !== 0) return fail(reg), undefined;
          for (const dataset of datasets) {
            const t = await run(dir, ['test', 'seeded', '--dataset', `${dataset}_${i}`, '--metric', `total_time=${i + 1}`, '--queue', '--json'], env);
            latencies.push(t.ms);
            if (t.code !== 0) fail(t);
          }
          return JSON.parse(reg.out).model_id;
        }),
      );
      const bare = join(base, 'registry.git');
      while (drains < MAX_DRAINS && (drains === 0 || queueLeft(bare) > 0)) {
        const d = await run(clones[drains % clones.length], ['drain', '--json'], env);
        drains++;
        drainMs += d.ms;
        if (d.code !== 0) fail(d);
        else drainApplied += JSON.parse(d.out).applied;
      }
      return out;
    }
    const wall = (performance.now() - started) / 1000;
    const serverCpu = server.pid ? treeCpu(server.pid) - serverCpuBefore : 0;
    const bare = join(base, 'registry.git');
    const log = git(bare, 'log', '--format=%(trailers:key=Model-Action,valueonly)%x1f%(trailers:key=Model-Id,valueonly)%x1e', 'main');
    const actions = log.split('\x1e').map((r) => r.trim()).filter(Boolean).map((r) => r.split('\x1f').map((x) => x.trim()));
    const registered = actions.filter(([a]) => a === 'register').map(([, id]) => id).filter((id) => !(queue && id === 'seeded'));
    const tested = queue
      ? actions.filter(([a]) => a === 'test').map(() => 'seeded')
      : actions.filter(([a]) => a === 'test').map(([, id]) => id);
    // queued: each result has its own dataset, so the seeded model's file holds each once or not at all
    const seededResults = queue ? JSON.parse(git(bare, 'show', 'main:models/mscn/seeded.json')).testing.map((t) => t.dataset) : [];
    const refusals = actions.filter(([a]) => /-refused$/.test(a)).length;
    const wanted = ids.filter(Boolean);
    const testCounts = new Map();
    for (const id of tested) testCounts.set(id, (testCounts.get(id) ?? 0) + 1);
    const duplicates = registered.length - new Set(registered).size + (queue
      ? Math.max(0, tested.length - results) + seededResults.length - new Set(seededResults).size
      : [...testCounts.values()].filter((n) => n > datasets.length).length);
    let fsck = 'clean';
    try {
      const out = execFileSync('git', ['fsck', '--strict', '--no-dangling', '--no-progress'], { cwd: bare, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      if (out.trim()) fsck = out.trim().split('\n')[0];
    } catch (e) {
      fsck = String(e.stderr ?? e).trim().split('\n')[0];
    }
    const commits = registered.length + tested.length;
    return {
      writers,
      writes,
      landed: `${new Set(registered).size}/${writers} registered, ${tested.length}/${results} results`,
      allLanded: new Set(registered).size === writers && tested.length === results && wanted.length === writers && (!queue || new Set(seededResults).size === results),
      queueLeft: queue ? queueLeft(bare) : 0,
      refusals,
      drains,
      drainApplied,
      failed: [...failures.values()].reduce((a, b) => a + b, 0),
      failures: [...failures].map(([m, n]) => `${n} × ${m}`),
      duplicates,
      fsck,
      perSecond: commits / wall,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      wall,
      drainMs,
      clientCpu,
      serverCpu,
      cores: cpus().length,
      writesRun: latencies.length,
    };
  } finally {
    await server.stop();
    rmSync(base, { recursive: true, force: true });
  }
}

export async function writersSection({ counts, protocol = 'daemon', env = process.env, log = (s) => process.stderr.write(s + '\n'), queue = false, writes = 3, noCheckout = false }) {
  const rows = [];
  for (const n of counts) {
    log(`writers: ${n} × ${writes} writes over ${protocol}${queue ? ' (--queue, then drain until the queue is empty)' : ''}…`);
    const r = await round(n, protocol, env, queue, writes, noCheckout);
    log(`  ${r.landed}; ${r.failed} failed; ${r.wall.toFixed(1)} s${queue ? `; ${r.drains} drain(s), ${(r.drainMs / 1000).toFixed(1)} s; ${r.queueLeft} queue refs left` : ''}`);
    rows.push(r);
  }
  const load = loadavg().map((x) => x.toFixed(2)).join(' ');
  const lines = [
    `## Concurrent writers (${protocol}${queue ? ', --queue' : ''}${noCheckout ? ', no checkout: --remote URL' : ''}${writes === 3 ? '' : `, ${writes} writes each`})`,
    '',
    queue
      ? `Each writer: its own clone of one remote served on 127.0.0.1 (${protocol}); \`register --queue\` then ${writes - 1} \`test --queue\` (on a seeded model), all writers started together; then \`modelgit drain\`, again while queue refs are left (${rows.map((r) => `${r.writers}: ${r.drains} drain(s) applying ${r.drainApplied} in ${(r.drainMs / 1000).toFixed(1)} s, ${r.queueLeft} queue refs left, ${r.refusals} refusal records`).join('; ')}; latencies below are the queued writes'). Load average at the end: ${load}.`
      : noCheckout
        ? `Each writer: no clone, an empty directory and a cache of its own; \`modelgit --remote URL register\` then ${writes - 1} \`--remote URL test\` against one remote served on 127.0.0.1 (${protocol}), all writers started together. Load average at the end: ${load}.`
        : `Each writer: its own clone of one remote served on 127.0.0.1 (${protocol}); \`register --push\` then ${writes - 1} \`test --push\`, all writers started together. Load average at the end: ${load}.`,
    '',
    '| writers | landed | failed | duplicates | fsck | commits/s | p50 write | p99 write | wall | CPU (writes + server) | CPU ÷ cores |',
    '|---:|---|---:|---:|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.writers} | ${r.landed} | ${r.failed} | ${r.duplicates} | ${r.fsck} | ${r.perSecond.toFixed(1)} | ${Math.round(r.p50)} ms | ${Math.round(r.p99)} ms | ${r.wall.toFixed(1)} s | ${(r.clientCpu + r.serverCpu).toFixed(1)} s (${r.clientCpu.toFixed(1)} + ${r.serverCpu.toFixed(1)}; ${((r.clientCpu + r.serverCpu) / Math.max(1, r.writesRun)).toFixed(2)} s a write) | ${((r.clientCpu + r.serverCpu) / r.cores).toFixed(1)} s |`),
    '',
    `"CPU ÷ cores" is the least wall time in which this machine's ${rows[0]?.cores ?? cpus().length} cores could run all the writes' work, however well they were scheduled (the CPU of each write's process tree, measured with /usr/bin/time, and of the server's children).`,
    '',
  ];
  const failures = rows.filter((r) => r.failures.length);
  if (failures.length) lines.push('Failures:', '', ...failures.flatMap((r) => r.failures.map((f) => `- ${r.writers} writers: ${f}`)), '');
  return { markdown: lines.join('\n'), rows };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => {
    const i = args.indexOf(name);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
  };
  // --writers-only is accepted (and means nothing more here): this script runs only the writers
  // section, as `npm run bench -- --writers … --writers-only` does through bench/run.mjs.
  const counts = opt('--writers', '1,10,50,100').split(',').map(Number);
  const writes = Number(opt('--writes', '3'));
  if (!Number.isInteger(writes) || writes < 1) throw new Error(`--writes: ${opt('--writes')} is not a whole number of writes per writer (1 or more)`);
  const { markdown, rows } = await writersSection({ counts, protocol: opt('--protocol', 'daemon'), queue: args.includes('--queue'), writes, noCheckout: args.includes('--no-checkout') });
  process.stdout.write(markdown + '\n');
  process.exitCode = rows.every((r) => r.allLanded && r.duplicates === 0 && r.fsck === 'clean' && r.queueLeft === 0) ? 0 : 1;
}
