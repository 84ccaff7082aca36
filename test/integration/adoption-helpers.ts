// What the adoption tests share: this checkout as another machine would get it (a git repository
// holding exactly the files of this work tree, committed, so a `rev` exists), a PATH on which no
// `modelgit` can be found, and a shell run with a clean environment. modelgit is installed from
// its own source, never from a package registry; these helpers let the tests do it for real.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, copyFileSync, existsSync, lstatSync, mkdirSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { git, tempDir } from '../helpers.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A fresh repository with this work tree's files (tracked and new, not ignored) in one commit. */
export function sourceSnapshot(): { dir: string; rev: string } {
  const dir = join(tempDir('modelgit-source-'), 'modelgit');
  mkdirSync(dir);
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter((f) => f && existsSync(join(ROOT, f)) && !lstatSync(join(ROOT, f)).isDirectory());
  for (const f of new Set(files)) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(dir, f));
  }
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '--no-verify', '-m', 'modelgit source under test');
  return { dir, rev: git(dir, 'rev-parse', 'HEAD').trim() };
}

function hasModelgit(dir: string): boolean {
  try {
    accessSync(join(dir, 'modelgit'), constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** process.env.PATH without any directory that holds a `modelgit`. */
export function pathWithoutModelgit(extra: string[] = []): string {
  return [...extra, ...(process.env.PATH ?? '').split(delimiter).filter((d) => d && !hasModelgit(d))].join(delimiter);
}

/** The environment of a machine with no modelgit: no $MODELGIT, no npm_* from the test runner. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k === 'MODELGIT' || /^npm_/i.test(k) || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  return { ...env, PATH: pathWithoutModelgit(), ...extra };
}

export function sh(cwd: string, env: Record<string, string>, cmd: string, args: string[], timeout = 420_000): { code: number; out: string; stdout: string } {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout });
  return { code: r.status ?? 1, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`, stdout: r.stdout ?? '' };
}
