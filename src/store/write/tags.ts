// Decision tags (DESIGN §4): annotated, never moved, numbered; the current value is the highest n.
// Existing numbers are read with one for-each-ref call, never one call per tag.
import { highestTagNumber as highestIn } from '../../domain/stage-tags.js';
import type { Git } from '../../git/git.js';

/** The highest n among `refs/tags/<prefix>/<n>`, or 0 (a BigInt: numbers past 2^53 stay exact). */
export async function highestTagNumber(git: Git, prefix: string): Promise<bigint> {
  return highestIn(await git.refs(`refs/tags/${prefix}/`), prefix);
}
