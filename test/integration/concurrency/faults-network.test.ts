// A network that drops in the middle of a push (issue #15 "Faults"). A real `git daemon` with
// receive-pack on loopback holds the remote; the clone talks to it through a tiny TCP proxy, also
// on loopback, that cuts a push's connection at a chosen point of the protocol — never on a timer:
// in the middle of the pack (the remote never gets the commit), or just as the remote answers
// "unpack ok" (the remote did update its branch; the client never hears it). Either way the write
// says in one line that the push to origin/main failed, exits 1, keeps its commit on the local
// branch and says so (DESIGN §4b retries only a push rejected because the remote moved); the same
// command run again once the network is back pushes that commit or finds it there — never a second
// one. Both servers are started and stopped by this file.
import { dirname, join } from 'node:path';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { git, runCliWithEnv, tempDir } from '../../helpers.js';
import { cloneOf, registryRemote, remoteActions, type Clone } from '../gitops-helpers.js';
import { oneErrorLine, tempFiles } from './fault-helpers.js';
import { startGitDaemon, type GitDaemon } from './git-daemon.js';

type Cut = 'none' | 'mid-pack' | 'at-report';

let daemon: GitDaemon | undefined;
let proxy: Server | undefined;
let cut: Cut = 'none';
let cuts = 0;
/** cut only the next push, then let the network be */
let once = false;
const sockets = new Set<Socket>();

/**
 * A loopback proxy in front of `target` that cuts a receive-pack connection where `cut` says: after
 * the first bytes of the pack the client sends, or instead of the remote's "unpack ok" report.
 */
function startProxy(target: number): Promise<number> {
  proxy = createServer((client) => {
    const server = createConnection({ port: target, host: '127.0.0.1' });
    sockets.add(client).add(server);
    let push = false;
    const drop = () => {
      cuts++;
      if (once) cut = 'none';
      client.destroy();
      server.destroy();
    };
    client.on('data', (d: Buffer) => {
      if (d.includes('git-receive-pack')) push = true;
      const pack = d.indexOf('PACK');
      if (push && cut === 'mid-pack' && pack >= 0) {
        server.write(d.subarray(0, pack + 20), drop); // the header and a few bytes of the first object
        return;
      }
      server.write(d);
    });
    server.on('data', (d: Buffer) => {
      if (push && cut === 'at-report' && d.includes('unpack ok')) return drop();
      client.write(d);
    });
    for (const [a, b] of [[client, server], [server, client]] as const) {
      a.on('end', () => b.end());
      a.on('error', () => b.destroy());
      a.on('close', () => sockets.delete(a));
    }
  });
  return new Promise((resolve) => proxy!.listen(0, '127.0.0.1', () => resolve((proxy!.address() as { port: number }).port)));
}

let url: (repo: string) => string;
let bare: string;

beforeAll(async () => {
  ({ bare } = await registryRemote());
  daemon = await startGitDaemon(dirname(bare));
  const port = await startProxy(daemon.port);
  url = (repo) => `git://127.0.0.1:${port}/${repo}`;
}, 60_000);

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => (proxy ? proxy.close(() => r()) : r()));
  daemon?.stop();
});

function throughProxy(): Clone {
  return cloneOf(bare, 'trainer', url('registry.git'));
}

function errorLine(stderr: string): string {
  return JSON.parse(stderr).error.message as string;
}

describe('a connection cut in the middle of a push (git daemon behind a loopback proxy)', () => {
  it('at-report, once: the remote took it; the next try finds it there: exit 0, on the remote once', { timeout: 120_000 }, async () => {
    const a = throughProxy();
    const id = 'net-at-report-once';
    cut = 'at-report';
    once = true;
    const cutsBefore = cuts;
    let res;
    try {
      res = await a.run('register', '--algo', 'mscn', '--id', id, '--push', '--json');
    } finally {
      cut = 'none';
      once = false;
    }
    expect(cuts, 'the proxy never cut the push').toBeGreaterThan(cutsBefore);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/failed on the way .*; trying again/);
    expect(res.stderr).toMatch(/the connection dropped after the remote took it/);
    expect(res.json()).toMatchObject({ model_id: id });
    expect(git(bare, 'rev-parse', 'main').trim()).toBe(a.git('rev-parse', 'HEAD').trim());
    expect(remoteActions(bare).filter((x) => x.ids.includes(id)).map((x) => x.action)).toEqual(['register']);
    expect(a.git('status', '--porcelain')).toBe('');
  });

  // Every push cut: a few drops are tried again (a busy server resets connections), then said.
  for (const [where, landed] of [['mid-pack', false]] as const) {
    it(`${where}, every time: one line naming the push and the remote, exit 1, the commit kept and said so; run again: on the remote once`, { timeout: 120_000 }, async () => {
      const a = throughProxy();
      const id = `net-${where}`;
      const args = ['register', '--algo', 'mscn', '--id', id, '--push', '--json'];
      const remoteBefore = git(bare, 'rev-parse', 'main').trim();
      cut = where;
      const cutsBefore = cuts;
      let res;
      try {
        res = await a.run(...args);
      } finally {
        cut = 'none';
      }
      expect(cuts, 'the proxy never cut the push').toBeGreaterThan(cutsBefore);
      expect(res.code, res.stderr).toBe(1);
      const line = errorLine(res.stderr);
      expect(line).toMatch(/^committed [0-9a-f]{10} locally, but the push to origin\/main failed: /);
      expect(line).not.toMatch(/\n/);
      expect(line).toMatch(/hung up|disconnect|connection|early EOF|unexpected/i);
      expect(res.stderr).not.toMatch(/\s+at .+:\d+:\d+/);
      const kept = a.git('rev-parse', 'HEAD').trim();
      expect(line).toContain(kept.slice(0, 10));
      expect(git(bare, 'rev-parse', 'main').trim()).toBe(landed ? kept : remoteBefore);
      expect(a.git('status', '--porcelain')).toBe('');
      expect(tempFiles(a.dir)).toEqual([]);
      expect(tempFiles(bare, { bare: true })).toEqual([]); // no quarantine or lock left on the remote either

      // The network is back: the same command pushes the kept commit, or finds it already there.
      const again = await a.run(...args);
      expect(again.code, again.stderr).toBe(0);
      expect(again.json()).toMatchObject({ model_id: id, replayed: true });
      expect(git(bare, 'rev-parse', 'main').trim()).toBe(kept);
      expect(remoteActions(bare).filter((x) => x.ids.includes(id)).map((x) => x.action)).toEqual(['register']);
      // A later write from the same clone publishes nothing more of it.
      const next = await a.run('tag', id, 'keep', '--push');
      expect(next.code, next.stderr).toBe(0);
      expect(next.stderr).not.toMatch(/earlier local commit/);
      expect(remoteActions(bare).filter((x) => x.ids.includes(id)).map((x) => x.action)).toEqual(['register', 'tag']);
      a.git('fsck', '--no-dangling'); // throws when fsck fails
      git(bare, 'fsck', '--no-dangling');
    });
  }

  it('a one-line error even without --json', { timeout: 60_000 }, async () => {
    const a = throughProxy();
    cut = 'mid-pack';
    let res;
    try {
      res = await a.run('register', '--algo', 'mscn', '--id', 'net-text', '--push');
    } finally {
      cut = 'none';
    }
    expect(res.code).toBe(1);
    // the tries before it say so, one line each
    const tries = res.stderr.split('\n').filter((l) => /failed on the way .*; trying again$/.test(l));
    expect(tries).toHaveLength(3);
    const rest = { ...res, stderr: res.stderr.split('\n').filter((l) => !tries.includes(l)).join('\n') };
    expect(oneErrorLine(rest)).toMatch(/^modelgit: error: committed [0-9a-f]{10} locally, but the push to origin\/main failed: /);
  });
});

describe('--remote (no checkout): a connection cut is tried again within the deadline, never written twice', () => {
  for (const where of ['mid-pack', 'at-report'] as const) {
    it(`${where}: exit 0, on the remote once`, { timeout: 120_000 }, async () => {
      git(bare, 'config', 'uploadpack.allowFilter', 'true');
      const home = tempDir('modelgit-node-');
      const id = `net_${where.replace('-', '_')}`;
      const before = cuts;
      cut = where;
      once = true;
      try {
        const r = await runCliWithEnv(home, { XDG_CACHE_HOME: join(home, 'cache') }, '--remote', url('registry.git'), 'register', '--algo', 'mscn', '--id', id, '--json');
        expect(r.code, r.stderr).toBe(0);
        expect(r.json().model_id).toBe(id);
      } finally {
        cut = 'none';
        once = false;
      }
      expect(cuts).toBe(before + 1);
      expect(remoteActions(bare).filter((a) => a.ids.includes(id))).toHaveLength(1);
      expect(git(bare, 'fsck', '--strict', '--no-dangling', '--no-progress')).toBe('');
    });
  }
});
