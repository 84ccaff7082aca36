// Every write is exactly one commit made by the real `git commit` (hooks, signing and config
// apply). Before writing we make sure the commit can contain only our change; if git or a hook
// refuses, the paths we touched go back to HEAD so the repository is exactly as it was.
import { accessSync, closeSync, constants, linkSync, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, renameSync, rmdirSync, rmSync, symlinkSync, writeFileSync, unlinkSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { DirtyStateError, GitError, HookRejectedError, InterruptedError, LockedError, ModelgitError, StorageError, storageCode, storageError, storageHint, storageReason } from '../../errors.js';
import { quickPathState, type DiskEntry, type HeadEntry } from '../../domain/worktree.js';
import { failedHooks, storageFailureLine, type Git, type RunResult, type TreeEntry } from '../../git/git.js';
import { acquireLock, type HeldLock } from './lock.js';
import { modelgitDir } from '../cache/policy.js';

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
  /** the original author of a queued write, kept when a drain applies it (queue.ts) */
  author?: { name: string; email: string; date: string };
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
  const dir = modelgitDir(gitDir);
  // A read-only, full or forbidden .git/modelgit fails here at once, with the real reason.
  assertLockable(dir);
  const lock = await acquireLock(join(dir, 'write.lock'), { command: commandLine(), notify: opts.notify });
  try {
    const value = await fn(lock);
    lock.check(true);
    return value;
  } finally {
    lock.release();
  }
}

/**
 * Fails at once, with the real reason, when the lock can't be created at all (a read-only, full
 * or forbidden `.git/modelgit`), as a storage error whose code names the cause (read-only, no
 * space, permission) rather than a generic "could not take the lock". A probe directory is made
 * and removed: it needs the same right to create entries there as the lock file (write-lock.ts).
 */
export function assertLockable(dir: string): void {
  const probe = join(dir, `write.lock.probe-${process.pid}-${Math.random().toString(36).slice(2, 8)}`);
  try {
    mkdirSync(dir, { recursive: true });
    mkdirSync(probe);
  } catch (e) {
    // Node's recursive mkdir says ENOENT where the file system said EROFS: asked once more without it.
    const real = storageCode(e) ? e : (plainMkdirError(dir) ?? e);
    throw storageError(real, "modelgit's write lock", join(dir, 'write.lock')) ?? e;
  }
  try {
    rmdirSync(probe);
  } catch {
    /* an empty directory left in .git/modelgit costs nothing */
  }
}

/** The error a plain (non-recursive) mkdir of `dir` gives, if any. */
function plainMkdirError(dir: string): unknown {
  try {
    mkdirSync(dir);
    return undefined;
  } catch (e) {
    return e;
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
  const keptIndex = keepIndex(git);
  try {
    writeFiles(git, spec.changes);
    // update-index stages exactly these files, where `git add` would read their whole directory
    // (20,000 entries at 100,000 models). Not `commit --include`: that holds index.lock while the
    // hooks run, so a write killed in its pre-commit hook would leave the index locked.
    if (paths.length) {
      const r = await git.stageExactly(paths);
      if (r.code !== 0) throw gitFailure(git, 'git update-index', r.stderr, r.signal);
    }
    // The real `git commit`, in the user's environment: hooks, signing and config all apply. Its
    // trace2 events say which hooks ran and how they exited (commitFailure).
    const r = await git.commit(commitMessage(spec), { allowEmpty: spec.allowEmpty, date: spec.date, author: spec.author });
    if (r.code !== 0) {
      // git moves the branch before it writes its index: a commit that failed after that has landed.
      const landed = await landedOn(git, head, paths, commitMessage(spec));
      if (landed) return landed;
      throw await commitFailure(git, r);
    }
    return (await git.headNow())!;
  } catch (e) {
    throw await afterRollback(git, e, paths, existedInHead, head, keptIndex);
  } finally {
    if (keptIndex) removeQuietly(keptIndex);
  }
}

/** Removes the link to the index a killed write kept (keepIndex): stale, and nothing else would remove it. */
export function dropKeptIndex(git: Git): void {
  const index = git.indexFile();
  if (index) removeQuietly(`${index}.modelgit-before`);
}

function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    /* a read-only git dir: nothing could have been kept there either */
  }
}

/**
 * A hard link to the index as it is before a write. Putting it back is a rename, which needs no
 * disk space: on a full disk git can't write a new index to undo our staging, but this can.
 * Undefined where links can't be made (then git undoes the staging, when it can).
 */
function keepIndex(git: Git): string | undefined {
  const index = git.indexFile();
  if (!index) return undefined;
  const kept = `${index}.modelgit-before`;
  try {
    rmSync(kept, { force: true }); // one left by a killed write
    linkSync(index, kept);
    return kept;
  } catch {
    return undefined;
  }
}

/** Puts the kept index back in place, under git's own index.lock; false when that can't be done. */
function restoreIndex(git: Git, kept: string): boolean {
  const index = git.indexFile();
  if (!index) return false;
  const lock = `${index}.lock`;
  try {
    closeSync(openSync(lock, 'wx'));
  } catch {
    return false; // git (or someone) holds the index: leave it to git
  }
  try {
    renameSync(kept, index);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(lock, { force: true });
  }
}

/**
 * A failure whose message ends with what became of the repository, known only once the rollback
 * has been checked: "nothing was changed" is said only when it is verified.
 */
class WriteFailure extends Error {
  constructor(readonly build: (outcome: string) => ModelgitError) {
    super('write failed');
  }
}

/** Writes the changed files; a refusal of the disk becomes a StorageError naming the file. */
function writeFiles(git: Git, changes: FileChange[]): void {
  for (const c of changes) {
    const abs = join(git.root, c.path);
    try {
      if (c.content === null) {
        if (lexists(abs)) unlinkSync(abs);
      } else {
        mkdirSync(dirname(abs), { recursive: true });
        // A link there (committed, or planted) is replaced, never written through.
        if (lstatOrUndefined(abs)?.isSymbolicLink()) unlinkSync(abs);
        writeFileSync(abs, c.content);
      }
    } catch (e) {
      const code = storageCode(e);
      if (!code) throw e;
      const what = `${c.content === null ? 'remove' : 'write'} ${c.path} in ${git.root}`;
      throw new WriteFailure((outcome) => new StorageError(`could not ${what}: ${storageReason(code)}; ${outcome}`, { hint: storageHint(code), data: { errno: code, path: abs }, cause: e }));
    }
  }
}

/** A git write that failed: a StorageError when git says the disk refused it, a GitError otherwise. */
function gitFailure(git: Git, what: string, output: string, signal?: NodeJS.Signals): WriteFailure {
  // A git killed by a signal (kill -9, the OOM killer) says nothing: the signal is what happened.
  if (signal) return new WriteFailure((outcome) => new GitError(`${what} was killed by ${signal}; ${outcome}`, { hint: 'run the command again' }));
  const out = output.trim();
  const storage = storageFailureLine(out);
  if (storage) {
    return new WriteFailure((outcome) => new StorageError(`${what} could not write to the repository (${git.gitDir()}): ${storage}; ${outcome}`, { hint: storageHintOf(storage), data: { git: out } }));
  }
  return new WriteFailure((outcome) => new GitError(`${what} failed; ${outcome}:\n${out}`));
}

function storageHintOf(line: string): string {
  if (/read-only/i.test(line)) return storageHint('EROFS');
  if (/permission/i.test(line)) return storageHint('EACCES');
  if (/input\/output/i.test(line)) return storageHint('EIO');
  return storageHint('ENOSPC');
}

/** The new HEAD when a commit on top of `head` was made after all (its child), else undefined. */
async function landedOn(git: Git, head: string | undefined, paths: string[], message: string): Promise<string | undefined> {
  const now = await git.headNow();
  if (!now || now === head) return undefined;
  const parent = head ? await git.resolveCommit(`${now}^`) : undefined;
  if (parent !== head) return undefined;
  // Ours, not a commit someone else made meanwhile: the message is kept verbatim.
  const stored = await git.commitMessage(now);
  if (stored === undefined || stored.replace(/\n+$/, '') !== message.replace(/\n+$/, '')) return undefined;
  // The index may still hold the pre-commit state; HEAD's entries for the paths are what it should have.
  if (paths.length) await git.unstage(paths, { headExists: true }).catch(() => {});
  return now;
}

/**
 * Puts the repository back after a failed write and says so in the error: "nothing was changed"
 * when the rollback is verified, or precisely what is left and the command that clears it.
 */
async function afterRollback(git: Git, e: unknown, paths: string[], existedInHead: Set<string>, head: string | undefined, keptIndex?: string): Promise<unknown> {
  let left: ModelgitError | undefined;
  try {
    await rollback(git, paths, existedInHead, head, { keptIndex });
  } catch (r) {
    left = r instanceof ModelgitError ? r : new GitError(`putting the files back failed: ${(r as Error).message}`, { cause: r });
  }
  const outcome = left ? `and ${left.message}` : 'nothing was changed';
  const err = e instanceof WriteFailure ? e.build(outcome) : e;
  if (!left) return err;
  if (err instanceof ModelgitError) {
    if (!(e instanceof WriteFailure)) err.message = `${err.message}; ${outcome}`;
    err.hint = err.hint ? `${err.hint}; then clear what is left: ${left.hint}` : left.hint;
    err.data = { ...err.data, ...left.data };
    return err;
  }
  return new GitError(`${(err as Error)?.message ?? String(err)}; ${outcome}`, { hint: left.hint, data: left.data, cause: err });
}

/** Turns git's refusal (its stdout, stderr and trace) into an error that says who refused and what to do. */
async function commitFailure(git: Git, r: RunResult): Promise<WriteFailure> {
  if (r.signal) return gitFailure(git, 'git commit', '', r.signal); // not a hook's refusal, whatever hooks exist
  const out = (r.stdout.toString('utf8') + r.stderr).trim();
  const hooks = failedHooks(r.trace);
  // Only a hook that ran and exited non-zero refused the commit; git's own failures are told apart.
  const refused = hooks ? hooks.length > 0 : await hookMayHaveRun(git, out);
  if (refused) {
    const storage = storageFailureLine(out);
    const which = hooks?.length ? ` (${hooks.map((h) => `${h.hook} exited ${h.code}`).join(', ')})` : '';
    if (storage) {
      return new WriteFailure((outcome) => new StorageError(`a git hook${which} could not write: ${storage}; ${outcome}`, { hint: storageHintOf(storage), data: { git: out } }));
    }
    return new WriteFailure((outcome) => new HookRejectedError(`the commit was refused by a git hook; ${outcome}:\n${out}`, { data: hooks?.length ? { hooks } : undefined }));
  }
  if (/Please tell me who you are|empty ident|unable to auto-detect email/i.test(out)) {
    return new WriteFailure((outcome) => new GitError(`git commit failed: no git identity; ${outcome}`, {
      hint: 'set one: git config user.name "Your Name" && git config user.email you@example.com',
    }));
  }
  if (storageFailureLine(out)) return gitFailure(git, 'git commit', out);
  if (/gpg|signing/i.test(out)) return new WriteFailure((outcome) => new GitError(`git commit failed while signing; ${outcome}:\n${out}`));
  return new WriteFailure((outcome) => new GitError(`git commit failed; ${outcome}:\n${out}`));
}

/**
 * For a git without trace2 only: whether a failed `git commit` may have been a hook saying no.
 * Git prints nothing of its own when a hook fails, so a hook that prints only "lint failed" is
 * recognised by being there and executable; git's own storage failures are not a hook's.
 */
async function hookMayHaveRun(git: Git, out: string): Promise<boolean> {
  if (/Please tell me who you are|gpg|nothing to commit|nothing added to commit/i.test(out) || storageFailureLine(out)) return false;
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

function lstatOrUndefined(abs: string): Stats | undefined {
  try {
    return lstatSync(abs);
  } catch {
    return undefined;
  }
}

/** Whether anything is at `abs`, a dangling link included (existsSync follows links). */
function lexists(abs: string): boolean {
  return lstatOrUndefined(abs) !== undefined;
}

/**
 * Puts `paths` back as `head` has them, in the working tree and the index, and verifies it;
 * throws (StorageError or DirtyStateError) naming what is still off and the command that clears it.
 * The working tree goes first: removing what the write added frees the space a full disk needs
 * to rewrite the index. Only what differs is touched, so a write that failed before staging
 * never rewrites the index at all.
 */
export async function rollback(git: Git, paths: string[], existedInHead: Set<string>, head: string | undefined, opts: { keptIndex?: string } = {}): Promise<void> {
  if (!paths.length) return;
  // A link kept by a write that was killed is stale: the index may have changed since.
  const stale = git.indexFile();
  if (!opts.keptIndex && stale) removeQuietly(`${stale}.modelgit-before`);
  // What HEAD has is read again (mode and blob, to write it back); `existedInHead` only says which exist.
  const inHead = new Map<string, TreeEntry>();
  if (head && existedInHead.size) for (const e of await git.lsTree(head, paths)) inHead.set(e.path, e);
  const blobs = inHead.size ? await git.readBlobs([...inHead.values()].map((e) => e.oid)) : new Map<string, Buffer>();
  let failure: unknown;
  // 1. New files go (and a directory made for one, when empty: rmdir refuses a non-empty one).
  for (const p of paths.filter((p) => !inHead.has(p))) {
    const abs = join(git.root, p);
    try {
      if (lexists(abs)) unlinkSync(abs);
    } catch (e) {
      failure ??= e;
      continue;
    }
    try {
      rmdirSync(dirname(abs));
    } catch {
      /* not empty, or not ours */
    }
  }
  // 2. Files HEAD has get HEAD's bytes back, written here rather than by git (which would rewrite the index too).
  for (const [p, entry] of inHead) {
    const abs = join(git.root, p);
    const want = blobs.get(entry.oid);
    if (!want || onDiskAs(abs, entry, want)) continue;
    try {
      if (lexists(abs)) unlinkSync(abs);
      mkdirSync(dirname(abs), { recursive: true });
      if (entry.mode === '120000') symlinkSync(want.toString('utf8'), abs);
      else writeFileSync(abs, want, { mode: entry.mode === '100755' ? 0o755 : 0o644 });
    } catch (e) {
      failure ??= e;
    }
  }
  // 3. The index: only when it differs from HEAD for these paths; the index from before the write
  // goes back whole when it was kept (no space needed), else git unstages the paths.
  if (!(await indexMatches(git, paths, inHead)) && !(opts.keptIndex && restoreIndex(git, opts.keptIndex) && (await indexMatches(git, paths, inHead)))) {
    const r = await git.unstage(paths, { headExists: Boolean(head) });
    if (r.code !== 0 && r.code !== 1) failure ??= r.stderr.trim();
  }
  // 4. Verify; say exactly what is left.
  const left = await leftovers(git, paths, inHead, blobs);
  if (!left.length) return;
  const code = storageCode(failure);
  const why = code ? storageReason(code) : typeof failure === 'string' ? storageFailureLine(failure) ?? failure.split('\n')[0] : failure ? (failure as Error).message : 'git left them changed';
  const message = `the repository could not be put back as it was (${why}): ${left.map((l) => `${l.path} ${l.state}`).join(', ')}`;
  const fix = clearCommand(left, !!head);
  const Kind = code || (typeof failure === 'string' && storageFailureLine(failure)) ? StorageError : DirtyStateError;
  throw new Kind(message, { hint: fix, data: { left } });
}

/** Whether the file at `abs` is what HEAD's entry has (bytes, or a link's target), without following links. */
function onDiskAs(abs: string, entry: TreeEntry, want: Buffer): boolean {
  const st = lstatOrUndefined(abs);
  if (!st) return false;
  try {
    if (entry.mode === '120000') return st.isSymbolicLink() && readlinkSync(abs) === want.toString('utf8');
    return st.isFile() && st.size === want.length && readFileSync(abs).equals(want);
  } catch {
    return false;
  }
}

async function indexMatches(git: Git, paths: string[], inHead: Map<string, TreeEntry>): Promise<boolean> {
  const staged = await git.lsIndex(paths);
  if (staged.length !== inHead.size) return false;
  return staged.every((e) => inHead.get(e.path)?.oid === e.oid && inHead.get(e.path)?.mode === e.mode);
}

interface Leftover {
  path: string;
  /** "staged", "left on disk", "changed on disk", "missing on disk" (joined when several) */
  state: string;
  inHead: boolean;
}

async function leftovers(git: Git, paths: string[], inHead: Map<string, TreeEntry>, blobs: Map<string, Buffer>): Promise<Leftover[]> {
  const staged = new Map((await git.lsIndex(paths)).map((e) => [e.path, e]));
  const out: Leftover[] = [];
  for (const p of new Set(paths)) {
    const states: string[] = [];
    const h = inHead.get(p);
    const i = staged.get(p);
    if (h ? !i || i.oid !== h.oid || i.mode !== h.mode : i) states.push('staged');
    const abs = join(git.root, p);
    if (!h) {
      if (lexists(abs)) states.push('left on disk');
    } else if (!lexists(abs)) states.push('missing on disk');
    else if (blobs.has(h.oid) && !onDiskAs(abs, h, blobs.get(h.oid)!)) states.push('changed on disk');
    if (states.length) out.push({ path: p, state: states.join(' and '), inHead: !!h });
  }
  return out;
}

/** The shell command that clears what a failed rollback left: the index back to HEAD, HEAD's files back, new files gone. */
function clearCommand(left: Leftover[], hasHead: boolean): string {
  const q = (ps: string[]) => ps.map((p) => JSON.stringify(p)).join(' ');
  const parts: string[] = [];
  const staged = left.filter((l) => l.state.includes('staged')).map((l) => l.path);
  const fromHead = left.filter((l) => l.inHead && /on disk/.test(l.state)).map((l) => l.path);
  const added = left.filter((l) => !l.inHead && l.state.includes('left on disk')).map((l) => l.path);
  if (staged.length) parts.push(hasHead ? `git reset -q HEAD -- ${q(staged)}` : `git rm -q --cached --ignore-unmatch -- ${q(staged)}`);
  if (fromHead.length) parts.push(`git checkout HEAD -- ${q(fromHead)}`);
  if (added.length) parts.push(`rm -f -- ${q(added)}`);
  return parts.join(' && ');
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
      const r = start ? await git.resetKeep(start) : { code: 1, stderr: 'the branch had no commit before', stdout: Buffer.alloc(0) };
      if (r.code !== 0) {
        // The failed commit's own "nothing was changed" no longer describes the repository.
        const first = (e as Error).message.replace('; nothing was changed', '');
        throw new GitError(`${first}\nand undoing the ${commits.length} commit(s) already made failed: ${storageFailureLine(r.stderr) ?? r.stderr.trim()}`, {
          hint: start ? `git reset --keep ${start}` : undefined,
          cause: e,
        });
      }
    }
    throw e;
  }
}
