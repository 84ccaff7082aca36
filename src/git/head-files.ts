// HEAD's commit read from the files git keeps it in, for the write path, which needs HEAD twice
// (before and after its commit) and would otherwise spawn `git rev-parse` for each. Only the
// plain layout is read: HEAD naming a loose branch ref, or a detached HEAD. Anything else (a
// packed or missing ref, an unborn branch, reftable, GIT_DIR-style overrides) answers undefined,
// and the caller asks git, so the answer is always git's.
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/** A whole object id, sha1 or sha256. */
export const OID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
// refs/heads/… as git spells branch names: no `..`, no control characters, no leading dash or dot segments.
const BRANCH_REF = /^refs\/heads\/(?!.*\.\.)(?!.*\/\.)(?!\.)[^\0-\x20~^:?*[\\]+$/;

/**
 * The commit HEAD names, given how to read a file of the git dir (`worktree`: HEAD and friends)
 * and of the common dir (`common`: refs shared by all worktrees); undefined when not certain.
 */
export function headFromFiles(read: (where: 'worktree' | 'common', rel: string) => string | undefined): string | undefined {
  const head = read('worktree', 'HEAD')?.trim();
  if (head === undefined) return undefined;
  if (OID.test(head)) return head;
  const m = /^ref: (\S+)$/.exec(head);
  if (!m || !BRANCH_REF.test(m[1]!)) return undefined;
  const oid = read('common', m[1]!)?.trim();
  return oid !== undefined && OID.test(oid) ? oid : undefined;
}

/** The git dir and common dir of the work tree at `root`, or undefined for anything unusual. */
export function gitDirsOf(root: string): { gitDir: string; commonDir: string } | undefined {
  // Git's own environment can point elsewhere; then only git knows.
  if (process.env.GIT_DIR || process.env.GIT_COMMON_DIR || process.env.GIT_WORK_TREE) return undefined;
  let gitDir = join(root, '.git');
  const file = readText(gitDir);
  if (file !== undefined) {
    // A linked worktree (or submodule): `.git` is a file naming the real git dir.
    const m = /^gitdir: (.+)$/m.exec(file);
    if (!m) return undefined;
    gitDir = isAbsolute(m[1]!) ? m[1]! : join(root, m[1]!);
  }
  const common = readText(join(gitDir, 'commondir'))?.trim();
  const commonDir = common === undefined ? gitDir : isAbsolute(common) ? common : join(gitDir, common);
  return { gitDir, commonDir };
}

/** The file's text, or undefined when it is not a readable file (missing, a directory…). */
export function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
