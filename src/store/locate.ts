// Where the registry is: the work tree and git dir for a directory, found without a git process
// when the layout is the plain one (most commands start here, and git costs a few milliseconds).
// Moved out of registry.ts so that store/ owns every file modelgit reads under .git.
import { existsSync, lstatSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { NotARegistryError } from '../errors.js';
import { Git } from '../git/git.js';

export async function locateRepo(cwd: string): Promise<{ root: string; gitDir: string }> {
  if (!existsSync(cwd)) throw new NotARegistryError(`${cwd} does not exist`);
  const plain = plainRepoOf(cwd);
  if (plain) return plain;
  const found = await Git.topLevel(cwd);
  if (!found) throw new NotARegistryError(`${cwd} is not inside a git repository`, { hint: 'modelgit init [dir] creates a registry' });
  return found;
}

/**
 * What `git rev-parse --show-toplevel --absolute-git-dir` answers, found without a process when the
 * layout is the plain one: the nearest enclosing directory with a `.git` directory that we own, whose
 * config sets no work tree, bareness or includes, with none of git's discovery variables set.
 * Anything else is git's to decide (undefined).
 */
export function plainRepoOf(cwd: string): { root: string; gitDir: string } | undefined {
  const env = process.env;
  if (env.GIT_DIR || env.GIT_WORK_TREE || env.GIT_COMMON_DIR || env.GIT_CEILING_DIRECTORIES || env.GIT_DISCOVERY_ACROSS_FILESYSTEM) return undefined;
  let dir: string;
  try {
    dir = realpathSync(cwd);
  } catch {
    return undefined;
  }
  // Inside a git dir git finds no work tree; let it say so.
  if (dir.split(sep).includes('.git')) return undefined;
  for (;;) {
    const gitDir = join(dir, '.git');
    let st: Stats | undefined;
    try {
      st = lstatSync(gitDir);
    } catch {
      st = undefined;
    }
    if (st) {
      if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid())) return undefined;
      let config: string;
      try {
        config = readFileSync(join(gitDir, 'config'), 'utf8');
        if (!statSync(join(gitDir, 'HEAD')).isFile() || !statSync(join(gitDir, 'objects')).isDirectory()) return undefined;
      } catch {
        return undefined;
      }
      if (/^\s*worktree\s*=|^\s*bare\s*=\s*(true|yes|on|1)\s*$|^\s*\[\s*include/im.test(config)) return undefined;
      return { root: dir, gitDir };
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}
