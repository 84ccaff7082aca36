// Decision tags (DESIGN §4): annotated, never moved, numbered; the current value is the highest n.
// Existing numbers are read with one for-each-ref call, never one call per tag.
import { GitError } from '../errors.js';
import type { Git } from '../git/git.js';

/** The highest n among `refs/tags/<prefix>/<n>`, or 0. */
export async function highestTagNumber(git: Git, prefix: string): Promise<number> {
  const base = `refs/tags/${prefix}/`;
  let max = 0;
  for (const r of await git.refs(base)) {
    const rest = r.ref.slice(base.length);
    if (/^\d+$/.test(rest)) max = Math.max(max, Number(rest));
  }
  return max;
}

/**
 * Writes `<prefix>/<n>` with n = highest + 1 on `commit`, with the real `git tag -a` (so tag
 * signing config applies). If another writer took the number meanwhile, the next one is used.
 */
export async function writeDecisionTag(git: Git, prefix: string, message: string, commit: string): Promise<string> {
  let n = (await highestTagNumber(git, prefix)) + 1;
  for (let attempt = 0; ; attempt++) {
    const name = `${prefix}/${n}`;
    const r = await git.run(['tag', '-a', '-F', '-', '--cleanup=verbatim', name, commit], { input: message });
    if (r.code === 0) return name;
    if (attempt < 5 && /already exists/.test(r.stderr)) {
      n++;
      continue;
    }
    throw new GitError(`git tag ${name} failed: ${r.stderr.trim()}`, { hint: `the commit ${commit.slice(0, 7)} stands; tag it by hand: git tag -a ${name} ${commit.slice(0, 7)}` });
  }
}
