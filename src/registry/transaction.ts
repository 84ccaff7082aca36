// Every write is exactly one commit made by the real `git commit` (hooks, signing and config
// apply). Before writing we make sure the commit can contain only our change; if git or a hook
// refuses, the paths we touched go back to HEAD so the repository is exactly as it was.
import { accessSync, constants, lstatSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync, unlinkSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DirtyStateError, GitError, HookRejectedError, InterruptedError, LockedError } from '../errors.js';
import { quickPathState, type DiskEntry, type HeadEntry } from '../domain/worktree.js';
import type { Git, TreeEntry } from '../git/git.js';
import { acquireLock, type HeldLock } from './write-lock.js';

export interface FileChange {
  path: string; // repo-relative
  content: string | null; // null removes the file
}

export interface CommitSpec {
  subject: string;
  body?: string;
  trailers: [string, string][];
  changes: FileChange[];
  /** ISO date for author and committer (imports keep the experiment's timeline) */
  date?: string;
  allowEmpty?: boolean;
}


export function commitMessage(spec: Pick<CommitSpec, 'subject' | 'body' | 'trailers'>): string {
  const parts = [spec.subject.replace(/\n/g, ' ')];
  if (spec.body) parts.push(spec.body.trim());
  if (spec.trailers.length) parts.push(spec.trailers.map(([k, v]) => `${k}: ${v.replace(/\n/g, ' ')}`).join('\n'));
  return parts.join('\n\n') + '\n';
}

/**
 * Serialises writers on one local repository (write-lock.ts): a lock held by a live process on this
 * machine is never broken, one left by a process that has ended is cleared at once. `fn` gets the
 * lock to `check()` before each step that writes; losing the lock ends the command with a
 * LockedError, and so does finding it lost when `fn` is done.
 */
export async function withWriteLock<T>(gitDir: string, fn: (lock: HeldLock) => Promise<T>, opts: { notify?: (m: string) => void } = {}): Promise<T> {
  const dir = join(gitDir, 'modelgit');
  mkdirSync(dir, { recursive: true });
  const lock = await acquireLock(join(dir, 'write.lock'), { command: commandLine(), notify: opts.notify });
  try {
    const value = await fn(lock);
    lock.check(true);
    return value;
  } finally {
    lock.release();
  }
}

/** What the lock file says is running (for the message a waiter sees). */
function commandLine(): string {
  const args = process.argv.slice(2).filter((a) => !a.includes('\n')).slice(0, 6).join(' ');
  return `modelgit ${args}`.slice(0, 120).trim();
}

/** Refuses to commit when the commit could pick up something that isn't ours. */
export async function assertCommittable(git: Git, paths: string[], head?: string | null, known?: KnownState): Promise<void> {
  if (git.hasIndexLock()) {
    throw new LockedError(`git's index is locked (${git.indexLockPath()} exists)`, {
      hint: `if no other git process is running, remove it: rm ${JSON.stringify(git.indexLockPath())}`,
    });
  }
  const staged = known ? await known.staged : await git.stagedPaths(head);
  if (staged.length) {
    throw new DirtyStateError(`the index has staged changes (${staged.slice(0, 5).join(', ')}${staged.length > 5 ? ', …' : ''}); modelgit commits only its own change`, {
      hint: 'commit them, or unstage them with: git restore --staged .',
    });
  }
  // With the index equal to HEAD, a path whose file is HEAD's (or absent from both) is clean for
  // certain; git is asked only about the others (domain/worktree.ts).
  const unsure = known ? paths.filter((p) => quickPathState(known.inHead.get(p), diskEntry(join(git.root, p))) !== 'clean') : paths;
  const modified = await git.modifiedPaths(unsure);
  if (modified.length) {
    throw new DirtyStateError(`uncommitted edits to ${modified.join(', ')} would be overwritten`, {
      hint: `commit or discard them first (git diff -- ${modified[0]})`,
    });
  }
}

/** What lstat (and, for a regular file, its bytes) says about a path. */
function diskEntry(abs: string): DiskEntry {
  let st;
  try {
    st = lstatSync(abs);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? { kind: 'missing' } : { kind: 'other' };
  }
  if (!st.isFile()) return { kind: 'other' };
  return { kind: 'file', executable: (st.mode & 0o111) !== 0, content: readFileSync(abs) };
}

/** What a write knows before it writes: HEAD's entries for its paths and the staged paths. */
export interface KnownState {
  inHead: Map<string, HeadEntry>;
  /** paths whose index entry differs from HEAD (read alongside ls-tree) */
  staged: Promise<string[]>;
}

/** Where a write starts: HEAD, and which of the paths it touches HEAD already has. */
export interface WriteBase {
  head: string | undefined;
  existedInHead: Set<string>;
  /** for the checks before one commit (not read for a series, which checks all its paths up front) */
  known?: KnownState;
}

/** The index's staged paths (the check before a commit), started early so it runs beside other reads. */
export function readStaged(git: Git): Promise<string[]> {
  const staged = git.headNow().then((head) => git.stagedPaths(head ?? null));
  staged.catch(() => {}); // awaited by assertCommittable; a failure there is the one reported
  return staged;
}

/**
 * HEAD, then its entries for `paths` and (with `checks`) the index's staged paths, the two read at
 * once; `checks` may be a staged read already under way (readStaged).
 */
export async function writeBase(git: Git, paths: string[], checks: boolean | Promise<string[]> = true): Promise<WriteBase> {
  const head = await git.headNow();
  const staged = checks === true ? readStaged(git) : checks || undefined;
  const entries: TreeEntry[] = head && paths.length ? await git.lsTree(head, paths) : [];
  const inHead = new Map(entries.map((e) => [e.path, { mode: e.mode, oid: e.oid }]));
  return { head, existedInHead: new Set(inHead.keys()), known: staged && { inHead, staged } };
}

/**
 * Writes the changes, stages them and commits; restores the touched paths on any failure.
 * `base` is passed by callers that already read it (the crash journal), so it is read once.
 */
export async function commitChanges(git: Git, spec: CommitSpec, base?: WriteBase): Promise<string> {
  const paths = spec.changes.map((c) => c.path);
  const { head, existedInHead, known } = base ?? (await writeBase(git, paths));
  await assertCommittable(git, paths, head ?? null, known);
  return writeAndCommit(git, spec, existedInHead, head);
}

/** The commit itself, once assertCommittable has passed; `existedInHead` is what rollback restores. */
async function writeAndCommit(git: Git, spec: CommitSpec, existedInHead: Set<string>, head: string | undefined): Promise<string> {
  const paths = spec.changes.map((c) => c.path);
  try {
    for (const c of spec.changes) {
      const abs = join(git.root, c.path);
      if (c.content === null) {
        if (existsSync(abs)) unlinkSync(abs);
      } else {
        mkdirSync(dirname(abs), { recursive: true });
        writeFileSync(abs, c.content);
      }
    }
    // update-index stages exactly these files, where `git add` would read their whole directory
    // (20,000 entries at 100,000 models). Not `commit --include`: that holds index.lock while the
    // hooks run, so a write killed in its pre-commit hook would leave the index locked.
    if (paths.length) {
      const r = await git.write(['update-index', '--add', '--remove', '--', ...paths]);
      if (r.code !== 0) throw new GitError(`git update-index failed; nothing was changed:\n${r.stderr.trim()}`);
    }
    // The real `git commit`, in the user's environment: hooks, signing and config all apply.
    const args = ['commit', '-m', commitMessage(spec), '--quiet', '--cleanup=verbatim'];
    if (spec.allowEmpty) args.push('--allow-empty');
    const env = spec.date ? { GIT_AUTHOR_DATE: spec.date, GIT_COMMITTER_DATE: spec.date } : {};
    const r = await git.write(args, { env });
    if (r.code !== 0) throw await commitFailure(git, r.stdout.toString('utf8') + r.stderr);
    return (await git.headNow())!;
  } catch (e) {
    await rollback(git, paths, existedInHead, head);
    throw e;
  }
}

/** Turns git's refusal (its stdout and stderr) into an error that says who refused and what to do. */
async function commitFailure(git: Git, output: string): Promise<Error> {
  const out = output.trim();
  if (/Please tell me who you are|empty ident|unable to auto-detect email/i.test(out)) {
    return new GitError(`git commit failed: no git identity; nothing was changed`, {
      hint: 'set one: git config user.name "Your Name" && git config user.email you@example.com',
    });
  }
  if (/gpg|signing/i.test(out)) return new GitError(`git commit failed while signing; nothing was changed:\n${out}`);
  if (await refusedByHook(git, out)) return new HookRejectedError(`the commit was refused by a git hook; nothing was changed:\n${out}`);
  return new GitError(`git commit failed; nothing was changed:\n${out}`);
}

/**
 * Whether a failed `git commit` was a hook saying no. Git prints nothing of its own when a hook
 * fails, so a hook that prints only "lint failed" is recognised by being there and executable.
 */
async function refusedByHook(git: Git, out: string): Promise<boolean> {
  if (/Please tell me who you are|gpg|nothing to commit|nothing added to commit/i.test(out)) return false;
  if (/hook|validate|modelgit/i.test(out)) return true;
  for (const name of ['pre-commit', 'prepare-commit-msg', 'commit-msg']) {
    try {
      accessSync(await git.gitPath(`hooks/${name}`), constants.X_OK);
      return true;
    } catch {
      /* not there or not executable: git skips it */
    }
  }
  return false;
}

export async function rollback(git: Git, paths: string[], existedInHead: Set<string>, head: string | undefined): Promise<void> {
  if (!paths.length) return;
  // Unstage first, then put the working tree back: files in HEAD from HEAD, new files deleted.
  await git.run(head ? ['reset', '-q', 'HEAD', '--', ...paths] : ['rm', '-q', '--cached', '--ignore-unmatch', '--', ...paths]);
  const fromHead = paths.filter((p) => existedInHead.has(p));
  if (fromHead.length) await git.run(['checkout', 'HEAD', '--', ...fromHead]);
  for (const p of paths.filter((p) => !existedInHead.has(p))) {
    rmSync(join(git.root, p), { force: true });
    // A directory we created for the new file goes too (rmdir refuses a non-empty one, which is the point).
    try {
      rmdirSync(dirname(join(git.root, p)));
    } catch {
      /* not empty, or not ours */
    }
  }
}

/**
 * Several commits, all or nothing (import keeps one commit per model): each is made like
 * commitChanges, and if any fails, or `signal` aborts between two, the branch goes back to where
 * it started (`git reset --keep`, which touches only what these commits changed).
 */
export async function commitSeries(
  git: Git,
  specs: CommitSpec[],
  opts: { onCommit?: (index: number, commit: string) => void; signal?: AbortSignal } = {},
): Promise<string[]> {
  // Checked once for every path: between our own commits nothing else can slip in (we hold the lock).
  const all = [...new Set(specs.flatMap((s) => s.changes.map((c) => c.path)))];
  await assertCommittable(git, all);
  const start = await git.head();
  const tracked = new Set<string>();
  if (start && all.length) for (const e of await git.lsTree(start, all)) tracked.add(e.path);
  const commits: string[] = [];
  try {
    for (const [i, spec] of specs.entries()) {
      if (opts.signal?.aborted) throw new InterruptedError(`interrupted after ${commits.length} of ${specs.length} commits; they were undone`);
      const commit = await writeAndCommit(git, spec, new Set(tracked), commits[commits.length - 1] ?? start);
      commits.push(commit);
      for (const c of spec.changes) if (c.content === null) tracked.delete(c.path); else tracked.add(c.path);
      opts.onCommit?.(i, commit);
    }
    return commits;
  } catch (e) {
    if (commits.length) {
      const r = start ? await git.run(['reset', '-q', '--keep', start]) : { code: 1, stderr: 'the branch had no commit before', stdout: Buffer.alloc(0) };
      if (r.code !== 0) {
        throw new GitError(`${(e as Error).message}\nand undoing the ${commits.length} commit(s) already made failed: ${r.stderr.trim()}`, {
          hint: start ? `git reset --keep ${start}` : undefined,
          cause: e,
        });
      }
    }
    throw e;
  }
}
