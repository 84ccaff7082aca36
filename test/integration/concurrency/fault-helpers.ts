// What the fault tests (issue #15 "Faults": read-only .git, a killed git child, a dropped
// connection, kill -9) all check after a write failed: one error line and no stack trace, and no
// temporary file of git's or modelgit's left behind — plus read-only bind mounts, which need root.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { CliResult } from '../../helpers.js';

/** The error line of a failed command: exactly one, then at most a hint and warnings; never a stack trace. */
export function oneErrorLine(res: CliResult): string {
  expect(res.stderr).not.toMatch(/error: unexpected|unexpected error|\n\s+at .+:\d+:\d+/);
  const lines = res.stderr.split('\n').filter(Boolean);
  const errors = lines.filter((l) => l.startsWith('modelgit: error: '));
  expect(errors, res.stderr).toHaveLength(1);
  for (const l of lines) expect(l, res.stderr).toMatch(/^(modelgit: error: |  hint: |warning: |modelgit: warning: )/);
  return errors[0]!;
}

/**
 * Temporary files a write may leave in `.git` when it stops half-way: git's locks and object temp
 * files, modelgit's kept index, write lock, crash note; [] when there are none. `bare`: `dir` is the git dir.
 */
export function tempFiles(dir: string, opts: { bare?: boolean } = {}): string[] {
  const git = opts.bare ? dir : join(dir, '.git');
  const found: string[] = [];
  const walk = (d: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(d, { withFileTypes: true }).map((e) => (e.isDirectory() ? `${e.name}/` : e.name));
    } catch {
      return;
    }
    for (const n of names) {
      if (n.endsWith('/')) walk(join(d, n), `${rel}${n}`);
      else if (/\.lock$|modelgit-before|^tmp_|^incoming-|^write\.lock|^pending-write/.test(n)) found.push(`${rel}${n}`);
    }
  };
  walk(git, '');
  const mg = join(git, 'modelgit');
  if (existsSync(mg)) for (const n of readdirSync(mg)) if (/^write\.lock\.probe/.test(n)) found.push(`modelgit/${n}`);
  return found;
}

export const isRoot = process.getuid?.() === 0;

/** Makes `dir` read-only by bind-mounting it onto itself read-only; the returned function undoes it. */
export function readOnly(dir: string): () => void {
  const bind = spawnSync('mount', ['--bind', dir, dir], { encoding: 'utf8' });
  if (bind.status !== 0) throw new Error(`mount --bind ${dir}: ${bind.stderr}`);
  const ro = spawnSync('mount', ['-o', 'remount,ro,bind', dir, dir], { encoding: 'utf8' });
  if (ro.status !== 0) {
    spawnSync('umount', [dir]);
    throw new Error(`remount ro ${dir}: ${ro.stderr}`);
  }
  return () => {
    spawnSync('umount', [dir]);
  };
}

/** Whether read-only bind mounts can be made here (root, and a kernel that lets it). */
export const canBindReadOnly = (() => {
  if (!isRoot) return false;
  const probe = spawnSync('sh', ['-c', 'd=$(mktemp -d) && mount --bind "$d" "$d" && mount -o remount,ro,bind "$d" "$d" && ! touch "$d/x" 2>/dev/null; s=$?; umount "$d" 2>/dev/null; rmdir "$d"; exit $s']);
  return probe.status === 0;
})();
