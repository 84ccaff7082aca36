// Whether a path a write is about to overwrite holds edits of the user's, decided without git when
// the answer is certain. `git status -- <path>` gives the same answer but reads the whole index and
// builds its name hash (~60 ms at 100,000 models); here the common cases need one lstat and, for a
// tracked file, one hash of its bytes. Everything unusual (untracked files, ignored ones, symlinks,
// executable bits, content that differs and may only look different because of a filter) is left
// to git, so the answer is always git's own.
import { cryptoLib } from '../lazy.js';

/** The path in HEAD (from ls-tree), or undefined when HEAD does not have it. */
export interface HeadEntry {
  mode: string;
  oid: string;
}

/** The path on disk: what lstat saw, and the bytes when it is a regular file. */
export type DiskEntry = { kind: 'missing' } | { kind: 'other' } | { kind: 'file'; executable: boolean; content: Buffer };

export type PathState = 'clean' | 'ask-git';

/** The id git gives `content` as a blob, in the hash of `like` (sha1: 40 hex digits, sha256: 64). */
export function blobId(content: Buffer, like: string): string {
  return cryptoLib().createHash(like.length === 64 ? 'sha256' : 'sha1')
    .update(`blob ${content.length}\0`)
    .update(content)
    .digest('hex');
}

/**
 * Clean when the working tree certainly matches HEAD (the index is known to match HEAD: the
 * staged check ran first): absent from both, or a plain file whose bytes are HEAD's blob.
 * Anything else may or may not be an edit as git sees it: ask git.
 */
export function quickPathState(head: HeadEntry | undefined, disk: DiskEntry): PathState {
  if (!head) return disk.kind === 'missing' ? 'clean' : 'ask-git';
  if (disk.kind !== 'file' || disk.executable || head.mode !== '100644') return 'ask-git';
  return blobId(disk.content, head.oid) === head.oid ? 'clean' : 'ask-git';
}
