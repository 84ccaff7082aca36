// A real `git daemon` on loopback for the tests that need a network protocol (a dropped connection,
// the queue over the network): started on a free port with a bounded wait for it to listen, and
// stopped with its whole process group. One copy, so every such test starts and stops it alike.
import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';

export interface GitDaemon {
  port: number;
  /** `git://127.0.0.1:<port>/<repo>` for a repository under the served base */
  url(repo: string): string;
  stop(): void;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection({ port, host: '127.0.0.1' }, () => {
      c.destroy();
      resolve(true);
    });
    c.on('error', () => resolve(false));
  });
}

/** `git daemon` runs git-daemon as its child (and that forks one per connection): the whole group goes. */
function stopGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** `git daemon` serving `base` read-write on a free loopback port, once it accepts connections. */
export async function startGitDaemon(base: string): Promise<GitDaemon> {
  for (let tries = 0; tries < 5; tries++) {
    const port = await freePort();
    const child = spawn('git', ['daemon', '--reuseaddr', '--listen=127.0.0.1', `--port=${port}`, `--base-path=${base}`, '--export-all', '--enable=receive-pack', '--informative-errors', base], { stdio: 'ignore', detached: true });
    let exited = false;
    child.on('exit', () => (exited = true));
    // Startup only: a bounded wait for the daemon to listen (another process may have taken the port).
    for (let i = 0; i < 100 && !exited; i++) {
      if (await accepts(port)) return { port, url: (repo) => `git://127.0.0.1:${port}/${repo}`, stop: () => stopGroup(child) };
      await new Promise((r) => setTimeout(r, 100));
    }
    stopGroup(child);
  }
  throw new Error('git daemon did not start on loopback');
}
