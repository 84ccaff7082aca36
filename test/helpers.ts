// Every integration test gets a real git repository with an identity set and signing off,
// so tests pass on a CI machine with no global git config.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { init } from '../src/registry/init.js';
import { Registry } from '../src/registry/registry.js';

export const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

const created: string[] = [];
afterAll(() => {
  if (process.env.MODELGIT_KEEP_TEMP) return;
  for (const d of created.splice(0)) rmSync(d, { recursive: true, force: true });
});

// Isolate tests from the developer's own git config (hooksPath, signing, templates).
export const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test Author',
  GIT_COMMITTER_EMAIL: 'test@example.com',
};
Object.assign(process.env, GIT_ENV);

export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env }, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function tempDir(prefix = 'modelgit-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  created.push(d);
  return d;
}

/** A fresh git repository with identity and signing configured locally. */
export function tempRepo(): string {
  const dir = tempDir();
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.name', 'Test Author');
  git(dir, 'config', 'user.email', 'test@example.com');
  git(dir, 'config', 'commit.gpgsign', 'false');
  git(dir, 'config', 'tag.gpgsign', 'false');
  return dir;
}

export interface TempRegistry {
  dir: string;
  open: (now?: () => Date) => Promise<Registry>;
  run: (...args: string[]) => Promise<CliResult>;
  write: (rel: string, content: string) => string;
  read: (rel: string) => string;
  git: (...args: string[]) => string;
}

/** A registry made by `init` (API), with or without the pre-commit hook. */
export async function tempRegistry(opts: { hook?: boolean } = {}): Promise<TempRegistry> {
  const dir = tempRepo();
  await init({ dir, noHook: !opts.hook });
  return {
    dir,
    open: (now) => Registry.open({ cwd: dir, now }),
    run: (...args) => runCli(dir, ...args),
    write: (rel, content) => {
      const p = join(dir, rel);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, content);
      return p;
    },
    read: (rel) => readFileSync(join(dir, rel), 'utf8'),
    git: (...args) => git(dir, ...args),
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json: () => any;
}

/** Runs the built binary as a subprocess, the way a user does. */
export function runCli(cwd: string, ...args: string[]): Promise<CliResult> {
  return runCliWithEnv(cwd, {}, ...args);
}

/** The built binary with extra environment (another author, a default branch override…). */
export function runCliWithEnv(cwd: string, env: Record<string, string>, ...args: string[]): Promise<CliResult> {
  return spawnCli(cwd, env, args);
}

/** The built binary with `input` on its standard input (a pipe, as from a script). */
export function runCliWithInput(cwd: string, input: string, ...args: string[]): Promise<CliResult> {
  return spawnCli(cwd, {}, args, input);
}

function spawnCli(cwd: string, env: Record<string, string>, args: string[], input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env }, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr, json: () => JSON.parse(stdout) }));
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Everything a command could change: HEAD, refs, index, working tree status, file contents. */
export function repoState(dir: string): string {
  const parts = [
    git(dir, 'rev-parse', 'HEAD'),
    git(dir, 'for-each-ref', '--format=%(refname) %(objectname)'),
    git(dir, 'ls-files', '-s'),
    git(dir, 'status', '--porcelain', '--untracked-files=all', '--ignored'),
    git(dir, 'stash', 'list'),
  ];
  // Content of tracked and untracked files, so an edit that status can't see still shows.
  const files = git(dir, 'ls-files', '-co', '--exclude-standard').split('\n').filter(Boolean);
  for (const f of files) {
    try {
      parts.push(f + '\n' + readFileSync(join(dir, f), 'utf8'));
    } catch {
      parts.push(f + ' (missing)');
    }
  }
  return parts.join('\n--\n');
}

/** A clock that advances one second per call, so generated ids are predictable. */
export function steppingClock(startIso = '2024-10-19T10:30:00Z'): () => Date {
  let t = Date.parse(startIso);
  return () => {
    const d = new Date(t);
    t += 1000;
    return d;
  };
}

/** A clock stuck at one instant, for same-second clash tests. */
export function frozenClock(iso = '2024-10-19T10:30:00Z'): () => Date {
  return () => new Date(iso);
}

/**
 * What a command said on stderr, as a person would have read it. With --json, stderr is one JSON
 * object (`{"error"?, "warnings"?}`); its messages come back one per line, the error last.
 */
export function stderrText(res: Pick<CliResult, 'stderr'>): string {
  let v: { warnings?: string[]; error?: { message: string; hint?: string } } | undefined;
  try {
    v = JSON.parse(res.stderr);
  } catch {
    return res.stderr;
  }
  if (!v || typeof v !== 'object') return res.stderr;
  const lines = [...(v.warnings ?? [])];
  if (v.error) lines.push(`modelgit: error: ${v.error.message}`, ...(v.error.hint ? [`  hint: ${v.error.hint}`] : []));
  return lines.map((l) => `${l}\n`).join('');
}

/** An Ed25519 SSH key pair made by ssh-keygen in `dir` (no passphrase), for the signing tests. */
export function sshKey(dir: string, name: string): { key: string; pub: string } {
  const key = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key]);
  return { key, pub: readFileSync(`${key}.pub`, 'utf8').trim() };
}
