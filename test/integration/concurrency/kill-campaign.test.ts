// The kill -9 campaign of issue #15, as a test: for each write kind (register, test, promote,
// cleanup, import, and register/test/promote with --push) a seeded random sample of kill points, the CLI
// killed with SIGKILL there, then the same command run again — which must recover: exit 0, exactly
// one commit for the operation (none lost, none twice), `git fsck` clean, nothing staged or left
// on disk, and with --push the remote holding the operation once.
//
// Kill points are events, never timers: a `git` first on PATH counts the git calls of the command
// and at the chosen one signals and hangs — before that git runs, or after it did its work — and
// the hooks git runs inside the commit (pre-commit, post-commit; pre-push) do the same. The test
// waits for the signal and kills the whole process group. The seed is printed (and in the test
// names); MODELGIT_KILL_SEED=n reproduces a run's sample, MODELGIT_KILL_SAMPLE=n sets the number of
// kill points per write kind (default 2). Git calls that run at the same time (a few reads do) may
// be numbered differently from run to run, so a seed reproduces the kill points, not always the
// exact interleaving.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, git, runCli, tempDir, tempRegistry } from '../../helpers.js';
import { Registry } from '../../../src/registry/registry.js';
import { register } from '../../../src/registry/register.js';
import { recordTest } from '../../../src/registry/record-test.js';
import { olderModels, writeJson } from '../../fixtures/legacy.js';
import { cloneOf, registryRemote } from '../gitops-helpers.js';
import { tempFiles } from './fault-helpers.js';

const SEED = Number(process.env.MODELGIT_KILL_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SAMPLE = Math.max(1, Number(process.env.MODELGIT_KILL_SAMPLE ?? 2));
console.log(`kill-campaign.test.ts: MODELGIT_KILL_SEED=${SEED} MODELGIT_KILL_SAMPLE=${SAMPLE}`);

/** mulberry32: a small seeded generator, so a seed gives the same kill points everywhere. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();

/** A `git` that numbers its calls (mkdir is atomic) and at call KILL_AT signals KILL_MARKER and hangs. */
const bin = (() => {
  const d = tempDir('modelgit-kill-git-');
  writeFileSync(
    join(d, 'git'),
    `#!/bin/sh
if [ -n "$KILL_COUNTER" ]; then
  n=1; while ! mkdir "$KILL_COUNTER/$n" 2>/dev/null; do n=$((n+1)); done
  if [ "$n" = "$KILL_AT" ]; then
    [ "$KILL_WHEN" = after ] && '${realGit}' "$@"
    touch "$KILL_MARKER"; exec sleep 600
  fi
fi
exec '${realGit}' "$@"
`,
  );
  chmodSync(join(d, 'git'), 0o755);
  return d;
})();

type KillPoint = { call: number; when: 'before' | 'after' } | { hook: string };

function describePoint(p: KillPoint): string {
  return 'hook' in p ? `in the ${p.hook} hook` : `${p.when} git call ${p.call}`;
}

/** How many git calls `args` makes in `dir` (run for real: it is the kind's first operation). */
async function countCalls(dir: string, args: string[]): Promise<number> {
  const counter = tempDir('modelgit-count-');
  const res = await runCliEnv(dir, { PATH: `${bin}:${process.env.PATH}`, KILL_COUNTER: counter, KILL_AT: '0' }, args);
  expect(res.code, res.stderr).toBe(0);
  return readdirSync(counter).length;
}

function runCliEnv(dir: string, env: Record<string, string>, args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? 1, stderr }));
  });
}

/**
 * Runs the CLI in its own process group; once the kill point signals, kills the group with
 * SIGKILL. 'completed' when the command finished before reaching the point.
 */
async function killAt(dir: string, args: string[], point: KillPoint): Promise<'killed' | 'completed' | 'failed'> {
  const marker = join(tempDir('modelgit-kill-marker-'), 'reached');
  const env: Record<string, string> = {};
  let hookPath: string | undefined;
  if ('hook' in point) {
    hookPath = join(dir, '.git', 'hooks', point.hook);
    if (existsSync(hookPath)) rmSync(`${hookPath}.campaign`, { force: true });
    if (existsSync(hookPath)) execFileSync('mv', [hookPath, `${hookPath}.campaign`]);
    writeFileSync(hookPath, `#!/bin/sh\ntouch '${marker}'\nexec sleep 600\n`);
    chmodSync(hookPath, 0o755);
  } else {
    Object.assign(env, { PATH: `${bin}:${process.env.PATH}`, KILL_COUNTER: tempDir('modelgit-kill-counter-'), KILL_AT: String(point.call), KILL_WHEN: point.when, KILL_MARKER: marker });
  }
  const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, ...env }, detached: true, stdio: 'ignore' });
  let exited = false;
  let exitCode: number | null = null;
  const closed = new Promise<void>((res) => child.on('close', (code) => ((exited = true), (exitCode = code), res())));
  try {
    // Waiting for an event (the marker, or the command's end), bounded; the kill never races a timer.
    for (let i = 0; i < 1200 && !exited && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 50));
    // The point was past the command's last git call this time (concurrent reads and background
    // work are numbered differently from run to run): it answered, so there is nothing to recover.
    if (exited && !existsSync(marker)) return exitCode === 0 ? 'completed' : 'failed';
    expect(existsSync(marker), `the kill point (${describePoint(point)}) was never reached`).toBe(true);
    process.kill(-child.pid!, 'SIGKILL');
    await closed;
    return 'killed';
  } finally {
    if (!exited) {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    if (hookPath) {
      rmSync(hookPath, { force: true });
      if (existsSync(`${hookPath}.campaign`)) execFileSync('mv', [`${hookPath}.campaign`, hookPath]);
    }
  }
}

/** `n` kill points drawn from every git call of the command (before or after it) and its commit's hooks. */
function sample(random: () => number, calls: number, hooks: string[], n: number): KillPoint[] {
  const all: KillPoint[] = [...hooks.map((hook) => ({ hook }))];
  for (let call = 1; call <= calls; call++) for (const when of ['before', 'after'] as const) all.push({ call, when });
  const picked: KillPoint[] = [];
  for (let i = 0; i < n && all.length; i++) picked.push(all.splice(Math.floor(random() * all.length), 1)[0]!);
  return picked;
}

/** Commits reachable from `rev` carrying Model-Action `action` and Model-Id `id`. */
function commitsFor(dir: string, action: string, id: string, rev = 'HEAD'): number {
  const out = git(dir, 'log', '--format=%(trailers:key=Model-Action,valueonly,separator=%x2c)%x1f%(trailers:key=Model-Id,valueonly,separator=%x2c)', rev);
  return out
    .split('\n')
    .filter(Boolean)
    .filter((l) => {
      const [a, ids] = l.split('\x1f');
      return a!.trim() === action && ids!.split(',').map((s) => s.trim()).includes(id);
    }).length;
}

/** After recovery: fsck clean, nothing staged or left on disk, no lock, note or kept index. */
function whole(dir: string, what: string): void {
  const fsck = spawnSync('git', ['fsck', '--no-dangling'], { cwd: dir, encoding: 'utf8' });
  expect(fsck.status, `${what}: git fsck: ${fsck.stdout}${fsck.stderr}`).toBe(0);
  expect(git(dir, 'status', '--porcelain', '--untracked-files=all'), what).toBe('');
  // git's own temporary objects from a killed git (tmp_obj_*) are git's to prune (gc); modelgit's are not allowed.
  expect(tempFiles(dir).filter((f) => !/\/tmp_obj_/.test(f)), what).toEqual([]);
}

function registryOf(dir: string): Promise<Registry> {
  return Registry.open({ cwd: dir });
}

interface Kind {
  name: string;
  hooks: string[];
  /** what the i-th trial runs, after `prepare(i)` */
  args: (i: number) => string[];
  prepare?: (i: number) => Promise<void>;
  /** exactly one commit for trial i's operation (and the remote too, with --push) */
  check: (i: number, what: string) => void;
}

async function campaign(dir: string, kind: Kind): Promise<void> {
  const random = seeded(SEED ^ [...kind.name].reduce((h, c) => Math.imul(h, 31) + c.charCodeAt(0), 7));
  await kind.prepare?.(0);
  const calls = await countCalls(dir, kind.args(0));
  kind.check(0, `${kind.name} (measuring run)`);
  const points = sample(random, calls, kind.hooks, SAMPLE);
  for (const [j, point] of points.entries()) {
    const i = j + 1;
    await kind.prepare?.(i);
    const args = kind.args(i);
    const what = `${kind.name}, killed ${describePoint(point)} of ${calls} (seed ${SEED})`;
    const outcome = await killAt(dir, args, point);
    expect(outcome, `${what}: the command, not killed, failed`).not.toBe('failed');
    // A command that completed acknowledged its answer: running it again would be a second
    // operation (a second register of the same --id is refused, as it must be), so only a killed
    // one is run again.
    if (outcome === 'killed') {
      const again = await runCli(dir, ...args);
      expect(again.code, `${what} (${outcome}), run again: ${again.stderr}`).toBe(0);
    }
    kind.check(i, what);
    whole(dir, what);
  }
}

describe('kill -9 between a commit and its tag (a fixed point, whatever the seed)', () => {
  it('promote and cleanup killed in their post-commit hook: the next command writes the missing tag; never a commit without it', { timeout: 90_000 }, async () => {
    const r = await tempRegistry({ hook: true });
    const reg = await r.open();
    for (const [id, algo, t] of [['m1', 'mscn', 2], ['k1', 'lero', 1], ['k2', 'lero', 9]] as const) {
      await register(reg, { algorithm: algo, id });
      await recordTest(reg, { id, dataset: 'production', metrics: [`total_time=${t}`] });
    }
    for (const [args, tag] of [
      [['promote', 'm1', '--stage', 'staging'], 'stage/mscn/staging/1'],
      [['cleanup', '--algo', 'lero', '--keep', '1', '--dataset', 'production'], 'cleanup/lero/1'],
    ] as const) {
      expect(await killAt(r.dir, [...args], { hook: 'post-commit' })).toBe('killed');
      expect(r.git('tag', '-l', tag).trim()).toBe(''); // the commit is there, its tag not yet
      const again = await runCli(r.dir, ...args);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stderr).toContain(`was interrupted after its commit was made; it is kept, and its tag ${tag} was written now`);
      expect(r.git('rev-parse', `${tag}^{commit}`).trim()).toBe(r.git('rev-parse', 'HEAD').trim());
      whole(r.dir, args[0]);
    }
  });
});

describe(`kill -9 at a seeded random sample of points per write kind (seed ${SEED}, ${SAMPLE} per kind)`, () => {
  it('register, test, promote, cleanup', { timeout: 240_000 }, async () => {
    const r = await tempRegistry({ hook: true });
    const reg = await r.open();
    await register(reg, { algorithm: 'mscn', id: 'm0' });
    await recordTest(reg, { id: 'm0', dataset: 'production', metrics: ['total_time=1'] });
    await register(reg, { algorithm: 'lero', id: 'keeper' });
    await recordTest(reg, { id: 'keeper', dataset: 'production', metrics: ['total_time=1'] });
    const hooks = ['pre-commit', 'post-commit'];
    const kinds: Kind[] = [
      {
        name: 'register',
        hooks,
        args: (i) => ['register', '--algo', 'mscn', '--id', `r${i}`],
        check: (i, what) => expect(commitsFor(r.dir, 'register', `r${i}`), what).toBe(1),
      },
      {
        name: 'test',
        hooks,
        args: (i) => ['test', 'm0', '--dataset', `d${i}`, '--metric', `total_time=${i + 2}`],
        check: (i, what) => {
          const meta = JSON.parse(r.read('models/mscn/m0.json'));
          expect(meta.testing.filter((t: { dataset: string }) => t.dataset === `d${i}`), what).toHaveLength(1);
        },
      },
      {
        name: 'promote',
        hooks,
        prepare: async (i) => {
          const reg = await r.open();
          await register(reg, { algorithm: 'mscn', id: `p${i}` });
          await recordTest(reg, { id: `p${i}`, dataset: 'production', metrics: ['total_time=2'] });
        },
        args: (i) => ['promote', `p${i}`, '--stage', 'staging'],
        check: (i, what) => {
          expect(commitsFor(r.dir, 'promote', `p${i}`), what).toBe(1);
          // A promotion is its commit and its stage tag: never one without the other.
          const promotions = git(r.dir, 'log', '--format=%(trailers:key=Model-Action,valueonly)').split('\n').filter((a) => a.trim() === 'promote').length;
          expect(git(r.dir, 'tag', '-l', 'stage/mscn/staging/*').split('\n').filter(Boolean), what).toHaveLength(promotions);
        },
      },
      {
        name: 'cleanup',
        hooks,
        prepare: async (i) => {
          const reg = await r.open();
          await register(reg, { algorithm: 'lero', id: `c${i}` });
          await recordTest(reg, { id: `c${i}`, dataset: 'production', metrics: [`total_time=${100 + i}`] });
        },
        args: () => ['cleanup', '--algo', 'lero', '--keep', '1', '--dataset', 'production'],
        check: (i, what) => {
          expect(commitsFor(r.dir, 'cleanup', `c${i}`), what).toBe(1);
          expect(existsSync(join(r.dir, 'models', 'lero', `c${i}.json`)), what).toBe(false);
          const cleanups = git(r.dir, 'log', '--format=%(trailers:key=Model-Action,valueonly)').split('\n').filter((a) => a.trim() === 'cleanup').length;
          expect(git(r.dir, 'tag', '-l', 'cleanup/lero/*').split('\n').filter(Boolean), what).toHaveLength(cleanups);
        },
      },
    ];
    for (const kind of kinds) await campaign(r.dir, kind);
  });

  it('import (a series of commits, all or nothing)', { timeout: 120_000 }, async () => {
    const r = await tempRegistry({ hook: true });
    const template = Object.values(olderModels())[0]!;
    const ids = (i: number) => [`imp${i}_a`, `imp${i}_b`];
    const files = new Map<number, string>();
    await campaign(r.dir, {
      name: 'import',
      hooks: ['pre-commit', 'post-commit'],
      prepare: async (i) => {
        const models = Object.fromEntries(ids(i).map((id) => [id, { ...template, model_id: id, model_path: `MSCN/Model/${id}.pt` }]));
        const dir = tempDir('modelgit-import-');
        mkdirSync(dir, { recursive: true });
        files.set(i, writeJson(join(dir, 'model_registry.json'), models));
      },
      args: (i) => ['import', files.get(i)!, '--operation-id', `campaign-import-${SEED}-${i}`],
      check: (i, what) => {
        for (const id of ids(i)) expect(git(r.dir, 'log', '--format=%H', '--', `models/mscn/${id}.json`).split('\n').filter(Boolean), `${what}: ${id}`).toHaveLength(1);
      },
    });
  });

  it('register --push, test --push, promote --push', { timeout: 240_000 }, async () => {
    const { bare, seed } = await registryRemote();
    const reg = await seed.open();
    await register(reg, { algorithm: 'mscn', id: 'm0' });
    seed.git('push', '-q', 'origin', 'main');
    const a = cloneOf(bare, 'alice');
    const hooks = ['pre-commit', 'post-commit', 'pre-push'];
    const onBoth = (action: string, id: string, what: string, subject?: RegExp) => {
      // The remote has what the local branch has, and the operation once.
      expect(git(bare, 'rev-parse', 'main').trim(), what).toBe(a.git('rev-parse', 'HEAD').trim());
      if (subject) expect(git(bare, 'log', '--format=%s', 'main').split('\n').filter((s) => subject.test(s)), what).toHaveLength(1);
      else expect(commitsFor(bare, action, id, 'main'), what).toBe(1);
    };
    for (const kind of [
      { name: 'register --push', hooks, args: (i: number) => ['register', '--algo', 'mscn', '--id', `rp${i}`, '--push'], check: (i: number, what: string) => onBoth('register', `rp${i}`, what) },
      { name: 'test --push', hooks, args: (i: number) => ['test', 'm0', '--dataset', `dp${i}`, '--metric', 'total_time=4', '--push'], check: (i: number, what: string) => onBoth('test', 'm0', what, new RegExp(`^test m0 on dp${i}: `)) },
      {
        name: 'promote --push',
        hooks,
        prepare: async (i: number) => {
          const reg = await registryOf(a.dir);
          await register(reg, { algorithm: 'mscn', id: `pp${i}` });
          await recordTest(reg, { id: `pp${i}`, dataset: 'production', metrics: ['total_time=2'] });
          a.git('push', '-q', 'origin', 'main');
        },
        args: (i: number) => ['promote', `pp${i}`, '--stage', 'staging', '--push'],
        check: (i: number, what: string) => {
          onBoth('promote', `pp${i}`, what);
          // Its stage tag went out with it: as many stage tags on the remote as promotions.
          const promotions = git(bare, 'log', '--format=%(trailers:key=Model-Action,valueonly)', 'main').split('\n').filter((x) => x.trim() === 'promote').length;
          expect(git(bare, 'tag', '-l', 'stage/mscn/staging/*').split('\n').filter(Boolean), what).toHaveLength(promotions);
        },
      },
    ]) {
      await campaign(a.dir, kind);
    }
  });
});
