// A write in progress leaves a note in .git/modelgit/ until its commit is made. When a writer is
// killed between writing files and committing, the next write (which holds the lock, so the
// killed one is gone) finds the note and puts the touched paths back the way HEAD has them, so
// the command can simply be run again and lands exactly once. A series (import) killed between
// two of its commits is undone as a whole: the commits it made go too.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { DirtyStateError, GitError, LockedError, storageError } from '../../errors.js';
import { createDecisionTags, type DecisionTag } from './tags.js';
import type { Git } from '../../git/git.js';
import { dropKeptIndex, rollback, writeBase, type WriteBase } from './commit.js';
import { modelgitDir } from '../cache/policy.js';

interface PendingWrite {
  pid: number;
  started: string;
  /** HEAD when the write began; if HEAD is still there, the commit never landed */
  head: string | undefined;
  paths: string[];
  existedInHead: string[];
  subject: string;
  /** --branch writes: the branch made for the commit and the one to go back to */
  branch?: string;
  returnTo?: string;
  /** a series: the subjects of its commits, in order */
  series?: string[];
  /** annotated tags the commit gets once made (a promotion's stage tag) */
  tags?: { name: string; message: string }[];
}

function file(gitDir: string): string {
  return modelgitDir(gitDir, 'pending-write.json');
}

/** Records the write about to happen; returns the base it read so the commit needn't read it again. */
export async function beginWrite(
  git: Git,
  gitDir: string,
  w: { paths: string[]; subject: string; branch?: string; returnTo?: string; series?: string[]; staged?: Promise<string[]>; tags?: { name: string; message: string }[] },
): Promise<WriteBase> {
  const base = await writeBase(git, w.paths, w.series ? false : (w.staged ?? true));
  const head = base.head;
  const existed = [...base.existedInHead];
  const note: PendingWrite = { pid: process.pid, started: new Date().toISOString(), head, paths: w.paths, existedInHead: existed, subject: w.subject, branch: w.branch, returnTo: w.returnTo, series: w.series, ...(w.tags?.length ? { tags: w.tags } : {}) };
  try {
    mkdirSync(modelgitDir(gitDir), { recursive: true });
    writeFileSync(file(gitDir), JSON.stringify(note, null, 2) + '\n');
  } catch (e) {
    // Nothing is written yet: a full or read-only disk is said in one line, no half note stays.
    try {
      endWrite(gitDir);
    } catch {
      /* read-only: nothing was written there either */
    }
    throw storageError(e, "the write's crash note", file(gitDir)) ?? e;
  }
  return base;
}

/** Whether a write was interrupted here (cheap: no lock, no git). */
export function hasInterruptedWrite(gitDir: string): boolean {
  return existsSync(file(gitDir));
}

export function endWrite(gitDir: string): void {
  rmSync(file(gitDir), { force: true });
}

/** Undoes what an interrupted write left behind; returns a sentence for the user, or undefined. */
export async function recoverInterruptedWrite(git: Git, gitDir: string): Promise<string | undefined> {
  const path = file(gitDir);
  if (!existsSync(path)) return undefined;
  let note: PendingWrite;
  try {
    note = JSON.parse(readFileSync(path, 'utf8')) as PendingWrite;
  } catch {
    endWrite(gitDir); // a note cut off mid-write: the write itself never started
    return undefined;
  }
  if (git.hasIndexLock()) {
    throw new LockedError(`an earlier modelgit write ("${note.subject}", pid ${note.pid}) was interrupted and git's index is still locked (${git.indexLockPath()} exists)`, {
      hint: `if no other git process is running, remove it: rm ${JSON.stringify(git.indexLockPath())} — the next modelgit command then finishes the clean-up`,
    });
  }
  dropKeptIndex(git); // a write killed after its commit has no rollback to remove it
  const head = await git.head();
  if (note.series && note.head && head && head !== note.head) {
    const undone = await undoPartialSeries(git, note as PendingWrite & { series: string[]; head: string }, head);
    if (undone) {
      endWrite(gitDir);
      return undone;
    }
  }
  const landed = head !== note.head;
  if (!landed) await rollback(git, note.paths, new Set(note.existedInHead), head);
  if (note.branch && note.returnTo && (await git.currentBranch()) === note.branch) {
    await git.switchTo(note.returnTo);
    if (!landed) await git.deleteBranch(note.branch);
  }
  const tagged = landed && head ? await finishTags(git, note, head) : [];
  endWrite(gitDir);
  return landed
    ? `an earlier modelgit write ("${note.subject}") was interrupted after its commit was made; it is kept${tagged.length ? `, and its tag ${tagged.join(', ')} was written now` : ''} (register and test, or any command given --operation-id, run again answer with it instead of writing it twice)`
    : `an earlier modelgit write ("${note.subject}") was interrupted before its commit; its partial changes were undone`;
}

/**
 * The tags of a write killed after its commit, written now on that commit: only when HEAD is that
 * very commit (on the note's base, with its subject), and only those not there yet.
 */
async function finishTags(git: Git, note: PendingWrite, head: string): Promise<string[]> {
  if (!note.tags?.length || !note.head || (await git.resolveCommit(`${head}^`)) !== note.head) return [];
  const subject = (await git.commitMessage(head))?.split('\n')[0];
  if (subject !== note.subject.replace(/\n/g, ' ')) return [];
  const missing: DecisionTag[] = [];
  for (const t of note.tags) if ((await git.resolveCommit(`refs/tags/${t.name}`)) === undefined) missing.push({ ...t, commit: head });
  return createDecisionTags(git, missing, (t, words) => new GitError(`an earlier modelgit write ("${note.subject}") was interrupted after its commit was made, and its tag ${t.name} could not be written now: ${words}`, { hint: 'modelgit sync-tags writes the missing stage tags' }));
}

/**
 * A series killed part-way: when the commits since the note are exactly the first k < n of the
 * series, the uncommitted rest is undone and the branch goes back to where the series began.
 * Anything else (the series complete, other commits on top) is left alone.
 */
async function undoPartialSeries(git: Git, note: PendingWrite & { series: string[]; head: string }, head: string): Promise<string | undefined> {
  if (!(await git.isAncestor(note.head, head))) return undefined;
  const made = await git.firstParentSubjects(`${note.head}..${head}`);
  if (made.length >= note.series.length || made.some((s, i) => s !== note.series[i]!.replace(/\n/g, ' '))) return undefined;
  const existed = new Set((await git.lsTree(head, note.paths)).map((e) => e.path));
  await rollback(git, note.paths, existed, head);
  const r = await git.resetKeep(note.head);
  if (r.code !== 0) {
    throw new DirtyStateError(`an earlier modelgit write ("${note.subject}") was interrupted after ${made.length} of its ${note.series.length} commits, and they could not be undone: ${r.stderr.trim()}`, {
      hint: `stash or commit your local edits and run the command again, or undo them by hand: git reset --keep ${note.head}`,
    });
  }
  return `an earlier modelgit write ("${note.subject}") was interrupted after ${made.length} of its ${note.series.length} commits; they were undone`;
}
