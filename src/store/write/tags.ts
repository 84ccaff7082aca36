// Decision tags (DESIGN §4): annotated, never moved, numbered; the current value is the highest n.
// Existing numbers are read with one for-each-ref call, never one call per tag. This is the one
// place that creates and deletes them, for every writer: the engine (stage tags on a promotion's
// commit), sync-tags and best --record (tag-only writes, tag-push.ts).
import { highestTagNumber as highestIn } from '../../domain/stage-tags.js';
import type { Git, RefEntry } from '../../git/git.js';

/** Every tag of a family (`stage/<algo>/<stage>`, `best/…`, `cleanup/<algo>`): `refs/tags/<family>/*`. */
export function familyTags(git: Git, family: string): Promise<RefEntry[]> {
  return git.refs(`refs/tags/${family}/`);
}

/** The highest n among `refs/tags/<prefix>/<n>`, or 0 (a BigInt: numbers past 2^53 stay exact). */
export async function highestTagNumber(git: Git, prefix: string): Promise<bigint> {
  return highestIn(await familyTags(git, prefix), prefix);
}

/** A decision tag to write: its name (numbered by the caller), the commit it names, its message. */
export interface DecisionTag {
  name: string;
  commit: string;
  message: string;
}

/**
 * Creates `tags` in order and returns their names. A decision is recorded whole or not at all:
 * when git refuses one, those made before it are deleted again and `refused(tag, gitWords)` is
 * thrown (each writer says in its own words what was and was not done).
 */
export async function createDecisionTags(git: Git, tags: DecisionTag[], refused: (tag: DecisionTag, gitWords: string) => Error): Promise<string[]> {
  const made: string[] = [];
  for (const t of tags) {
    const r = await git.createAnnotatedTag(t.name, t.commit, t.message);
    if (!r.made) {
      // A git killed after writing the tag reports a failure, yet the tag is there: on our commit, it is ours.
      const written = (await git.resolveCommit(`refs/tags/${t.name}`)) === t.commit;
      await deleteDecisionTags(git, written ? [...made, t.name] : made).catch(() => {});
      throw refused(t, r.refusal);
    }
    made.push(t.name);
  }
  return made;
}

/** Deletes local decision tags: ours from an attempt the remote rejected, or a write undone. */
export function deleteDecisionTags(git: Git, names: string[]): Promise<void> {
  return git.deleteTags(names);
}
