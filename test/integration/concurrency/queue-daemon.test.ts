// The write queue over a real protocol (issue #15): queue.test.ts drives --queue and drain against a
// remote on a file path; a fleet talks to its remote over the network. Here a `git daemon` with
// receive-pack on loopback serves the bare registry, several clones queue a registration and a
// result each as separate CLI processes, all at once, and then two `modelgit drain` run at the same
// time from two clones. What must hold whatever the interleaving: every queued write is on the
// remote's main exactly once (its Operation-Id once, its trailers once, the seeded model's results
// once each), no queue ref is left, fsck is clean, and status sees nothing queued. Nothing here
// races a timer: the daemon's start is awaited by a bounded loop, and every step awaits processes.
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, stderrText } from '../../helpers.js';
import { cloneOf, registryRemote, remoteActions, type Clone } from '../gitops-helpers.js';
import { startGitDaemon, type GitDaemon } from './git-daemon.js';

const WRITERS = 8;
const QUEUE = 'refs/modelgit/queue/';

let daemon: GitDaemon | undefined;
let bare: string;
let url: string;

/** A clone of the registry whose origin is the daemon (its own identity, signing off). */
function overDaemon(name: string): Clone {
  return cloneOf(bare, name, url);
}

async function ok(c: Clone, ...args: string[]) {
  const r = await c.run(...args);
  if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${stderrText(r)}`);
  return r;
}

function queueRefs(): string[] {
  return git(bare, 'for-each-ref', '--format=%(refname)', QUEUE).split('\n').filter(Boolean);
}

/** Operation-Id trailers on the remote's main. */
function operationIds(): string[] {
  return git(bare, 'log', '--format=%(trailers:key=Operation-Id,valueonly)', 'main').split('\n').map((l) => l.trim()).filter(Boolean);
}

function seededResults(): { dataset: string; performance: { total_time: number } }[] {
  return JSON.parse(git(bare, 'show', 'main:models/mscn/seeded.json')).testing;
}

beforeAll(async () => {
  const remote = await registryRemote();
  bare = remote.bare;
  const seed = remote.seed;
  // a queued test plans on the branch: the model it tests is there before the fleet starts
  const r = await seed.run('register', '--algo', 'mscn', '--id', 'seeded', '--push');
  if (r.code !== 0) throw new Error(`seeding the remote failed: ${stderrText(r)}`);
  daemon = await startGitDaemon(dirname(bare));
  url = daemon.url('registry.git');
}, 60_000);

afterAll(() => {
  daemon?.stop();
});

describe('--queue and drain over git daemon', () => {
  it(`${WRITERS} clones queue a registration and a result each at once; two drains at once apply each exactly once`, { timeout: 180_000 }, async () => {
    const clones = Array.from({ length: WRITERS }, (_, i) => overDaemon(`w${i}`));
    const before = remoteActions(bare);
    expect(before.map((x) => x.action)).toEqual(['init', 'register']);

    // The fleet: each writer a separate CLI process per write, all writers at once. Generated ids
    // (no --id): writers in the same second queue the same id, and drain gives the later ones the
    // next free id.
    const queued = await Promise.all(
      clones.map(async (c, i) => {
        const reg = (await ok(c, 'register', '--algo', 'mscn', '--param', `writer=${i}`, '--queue', '--json')).json();
        const test = (await ok(c, 'test', 'seeded', '--dataset', `d_${i}`, '--metric', `total_time=${i + 1}`, '--queue', '--json')).json();
        return [reg.queued, test.queued] as { remote: string; ref: string; commit: string }[];
      }),
    );
    const refs = queued.flat();
    for (const q of refs) expect(q).toMatchObject({ remote: 'origin', ref: expect.stringMatching(/^refs\/modelgit\/queue\//) });
    expect(new Set(refs.map((q) => q.ref)).size).toBe(2 * WRITERS);
    expect(queueRefs().sort()).toEqual(refs.map((q) => q.ref).sort());
    // nothing reached the branch yet
    expect(remoteActions(bare)).toEqual(before);

    const pending = (await ok(clones[WRITERS - 1]!, 'status', '--json')).json().queued;
    expect(pending.count).toBe(2 * WRITERS);
    const ops = pending.writes.map((w: { operation_id: string | null }) => w.operation_id);
    expect(ops.every((o: unknown) => typeof o === 'string' && o)).toBe(true);
    expect(new Set(ops).size).toBe(2 * WRITERS);

    // Two drains at once, from two clones: one moves the branch; the other is rejected as a whole,
    // fetches again and finds the queue gone (or finds the first's operations on the branch).
    const drains = await Promise.all([clones[0]!.run('drain', '--json'), clones[1]!.run('drain', '--json')]);
    for (const d of drains) expect(d.code, stderrText(d)).toBe(0);
    const items = drains.flatMap((d) => d.json().items as { outcome: string; operation_id: string; action: string }[]);
    const applied = items.filter((i) => i.outcome === 'applied');
    expect(applied.map((i) => i.operation_id).sort()).toEqual([...ops].sort());
    expect(items.filter((i) => i.outcome === 'refused')).toEqual([]);

    // The remote's main: each queued write once, by its Operation-Id and by its trailers.
    const onMain = operationIds();
    expect(new Set(onMain).size).toBe(onMain.length);
    for (const op of ops) expect(onMain.filter((o) => o === op), op).toHaveLength(1);
    const actions = remoteActions(bare).slice(before.length);
    expect(actions).toHaveLength(2 * WRITERS);
    expect(actions.filter((a) => a.action === 'test').map((a) => a.ids.join())).toEqual(Array(WRITERS).fill('seeded'));
    const registered = actions.filter((a) => a.action === 'register').map((a) => a.ids.join());
    expect(registered).toHaveLength(WRITERS);
    expect(new Set(registered).size).toBe(WRITERS);
    // each writer's registration is one model, with its own parameters
    const writersSeen = registered.map((id) => JSON.parse(git(bare, 'show', `main:models/mscn/${id}.json`)).training.hyperparams.writer).sort((a: number, b: number) => a - b);
    expect(writersSeen).toEqual(Array.from({ length: WRITERS }, (_, i) => i));
    // the seeded model holds each writer's result once, with its value
    const results = seededResults().map((t) => [t.dataset, t.performance.total_time]).sort(([a], [b]) => String(a).localeCompare(String(b)));
    expect(results).toEqual(Array.from({ length: WRITERS }, (_, i) => [`d_${i}`, i + 1]));

    expect(queueRefs()).toEqual([]);
    expect(git(bare, 'fsck', '--strict', '--no-dangling', '--no-progress')).toBe('');
    for (const c of [clones[0]!, clones[1]!, overDaemon('reader')]) {
      const st = (await ok(c, 'status', '--json')).json();
      expect(st.queued).toMatchObject({ remote: 'origin', count: 0, writes: [] });
    }
    // drained again: nothing left to apply, the branch stays
    const tip = git(bare, 'rev-parse', 'main').trim();
    expect((await ok(clones[2]!, 'drain', '--json')).json().items).toEqual([]);
    expect(git(bare, 'rev-parse', 'main').trim()).toBe(tip);
  });
});
