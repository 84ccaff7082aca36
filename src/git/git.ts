// The one door to git. Bulk reads spawn the git binary directly (one `cat-file --batch` process
// reads thousands of blobs faster than any in-process reader, DESIGN §6); writes spawn it too, in
// the user's whole environment, so hooks, signing and config apply exactly as with a hand-typed commit.
// Every argument that came from a user has passed src/domain/names.ts before it gets here, and
// paths always follow `--`, so nothing a user types can be read by git as an option.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GitError, NotARegistryError } from '../errors.js';
import { parseTrailers } from '../domain/trailers.js';
import { gitDirsOf, headFromFiles, readText } from './head-files.js';
import { forEachObject, ObjectReader } from './objects.js';

export { BatchRecords, ObjectReader, type GitObject } from './objects.js';
export { parseTrailers } from '../domain/trailers.js';

export interface RunResult {
  stdout: Buffer;
  stderr: string;
  code: number;
  /** the signal that ended git (a killed child: SIGKILL, an OOM kill…); `code` is then 1 */
  signal?: NodeJS.Signals;
  /** git's trace2 event stream (JSON lines), when the command was run with `trace` */
  trace?: string;
}

export interface TreeEntry {
  mode: string;
  type: string;
  oid: string;
  path: string;
}

export interface LogEntry {
  commit: string;
  parents: string[];
  author: string;
  authorEmail: string;
  date: string;
  subject: string;
  body: string;
  trailers: Record<string, string[]>;
  /** the paths the commit changed, when log() was asked for them */
  paths?: string[];
}

/** A commit as trailerLog reads it: `parents` and `subject` are empty unless asked for. */
export interface TrailerLogEntry {
  commit: string;
  parents: string[];
  subject: string;
  /** the values of each trailer key asked for, in the commit's order */
  trailers: Record<string, string[]>;
}

export interface RefEntry {
  ref: string;
  objectType: string;
  target: string; // the commit a tag points at (peeled)
  taggerDate: string;
  contents: string;
}

// Stable, parseable output whatever the user's locale or pager settings.
const READ_ENV = { LC_ALL: 'C', GIT_PAGER: 'cat', GIT_TERMINAL_PROMPT: '0' };

const FIELD = '\x1f';
const RECORD = '\x1e';

// Paths that come from git's own listings may contain glob characters: never let git expand them;
// patterns modelgit writes itself (`:(glob)…`) need the magic on, whatever the user set.
const LITERAL_PATHSPECS = { GIT_LITERAL_PATHSPECS: '1' };
const MAGIC_PATHSPECS = { GIT_LITERAL_PATHSPECS: '0' };


export class Git {
  readonly root: string;
  private dirs?: { gitDir: string; commonDir: string } | null;

  constructor(root: string) {
    this.root = root;
  }

  /** The work tree root containing `cwd`, or NotARegistryError. */
  static async findRoot(cwd: string): Promise<string> {
    const r = await runGit(cwd, ['rev-parse', '--show-toplevel']);
    if (r.code !== 0) {
      throw new NotARegistryError(`${resolve(cwd)} is not inside a git repository`, { hint: 'modelgit init' });
    }
    return r.stdout.toString('utf8').trim();
  }

  /**
   * Runs a git command that writes (add, commit) as the user would type it: in the user's whole
   * environment (GIT_CONFIG_GLOBAL, GIT_AUTHOR_*, GIT_SSH_COMMAND, GIT_EXEC_PATH when run from a
   * hook…), nothing filtered and nothing added but a fixed locale, so hooks, signing and config
   * behave exactly as with a hand-typed `git commit`, and git's refusals read the same everywhere.
   * `env` adds to it (e.g. author dates for one commit). Never throws for a failing git: see `code`.
   */
  write(args: string[], opts: { input?: string | Buffer; env?: Record<string, string | undefined>; trace?: boolean } = {}): Promise<RunResult> {
    return spawnGit(this.root, args, { ...process.env, LC_ALL: 'C', ...opts.env }, opts.input, opts.trace);
  }

  run(args: string[], opts: { input?: string | Buffer; env?: Record<string, string> } = {}): Promise<RunResult> {
    return runGit(this.root, args, opts);
  }

  /** Runs git and returns stdout as text, throwing GitError with git's own words on failure. */
  async text(args: string[], opts: { input?: string | Buffer; env?: Record<string, string> } = {}): Promise<string> {
    const r = await this.run(args, opts);
    if (r.code !== 0) throw new GitError(`git ${args[0]} failed: ${r.signal ? `killed by ${r.signal}` : r.stderr.trim() || `exit ${r.code}`}`, { data: { args } });
    return r.stdout.toString('utf8');
  }

  gitDir(): string {
    return join(this.root, '.git');
  }

  /** Absolute path of something inside the git dir (handles worktrees and core.hooksPath via git itself). */
  async gitPath(name: string): Promise<string> {
    return resolve(this.root, (await this.text(['rev-parse', '--git-path', name])).trim());
  }

  async resolveCommit(rev: string): Promise<string | undefined> {
    // `--end-of-options` keeps a hostile rev such as `--output=x` from being read as an option.
    const r = await this.run(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`]);
    return r.code === 0 ? r.stdout.toString('utf8').trim() : undefined;
  }

  async head(): Promise<string | undefined> {
    return this.resolveCommit('HEAD');
  }

  /**
   * The same as head(), read from HEAD and its branch's loose ref file when the layout is the
   * plain one (no process: a write needs HEAD before and after its commit); git is asked otherwise.
   */
  async headNow(): Promise<string | undefined> {
    this.dirs ??= gitDirsOf(this.root) ?? null;
    const { gitDir, commonDir } = this.dirs ?? {};
    const fromFiles = gitDir && commonDir ? headFromFiles((where, rel) => readText(join(where === 'worktree' ? gitDir : commonDir, rel))) : undefined;
    return fromFiles ?? this.head();
  }

  /**
   * Whether git reads every object as stored: no replace refs, no grafts, no environment that
   * redirects them. Then what a commit holds can be remembered, as a commit never changes.
   */
  objectsAsStored(): boolean {
    // Asked by every reader that remembers something; packed-refs can be megabytes of tags.
    return (this.asStored ??= this.readObjectsAsStored());
  }

  private asStored?: boolean;

  private readObjectsAsStored(): boolean {
    this.dirs ??= gitDirsOf(this.root) ?? null;
    if (!this.dirs || process.env.GIT_REPLACE_REF_BASE || process.env.GIT_GRAFT_FILE) return false;
    const { commonDir } = this.dirs;
    // (git leaves refs/replace/ behind, empty, when the last replace ref is deleted)
    if (hasEntries(join(commonDir, 'refs', 'replace')) || existsSync(join(commonDir, 'info', 'grafts'))) return false;
    return !readText(join(commonDir, 'packed-refs'))?.includes(' refs/replace/');
  }

  async currentBranch(): Promise<string | undefined> {
    const r = await this.run(['symbolic-ref', '--quiet', '--short', 'HEAD']);
    return r.code === 0 ? r.stdout.toString('utf8').trim() : undefined;
  }

  async treeId(rev: string): Promise<string | undefined> {
    const r = await this.run(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{tree}`]);
    return r.code === 0 ? r.stdout.toString('utf8').trim() : undefined;
  }

  /** Blobs under `paths` at a tree-ish. */
  async lsTree(treeish: string, paths: string[]): Promise<TreeEntry[]> {
    const out = await this.run(['ls-tree', '-r', '-z', '--full-tree', '--end-of-options', treeish, '--', ...paths]);
    if (out.code !== 0) throw new GitError(`git ls-tree ${treeish} failed: ${out.stderr.trim()}`);
    return parseLsTree(out.stdout.toString('utf8'));
  }

  /** Blobs under `paths` in the index (stage 0 only); `literal`: paths are never patterns. */
  async lsIndex(paths: string[], opts: { literal?: boolean } = {}): Promise<TreeEntry[]> {
    const out = await this.text(['ls-files', '-s', '-z', '--', ...paths], opts.literal ? { env: LITERAL_PATHSPECS } : {});
    const entries: TreeEntry[] = [];
    for (const rec of out.split('\0')) {
      if (!rec) continue;
      const tab = rec.indexOf('\t');
      const [mode, oid, stage] = rec.slice(0, tab).split(' ');
      if (stage !== '0') continue;
      entries.push({ mode: mode!, type: 'blob', oid: oid!, path: rec.slice(tab + 1) });
    }
    return entries;
  }

  /** A `git cat-file --batch` process to ask again and again (see ObjectReader); `close` it when done. */
  objectReader(): ObjectReader {
    return new ObjectReader(this.root);
  }

  /** Reads many objects through one `git cat-file --batch` process. */
  async readBlobs(oids: string[]): Promise<Map<string, Buffer>> {
    const result = new Map<string, Buffer>();
    // Each content is copied out of git's stream, so the whole output is never held twice.
    await this.forEachObject([...new Set(oids)], (name, content) => result.set(name, Buffer.from(content)));
    return result;
  }

  /**
   * Streams objects through one `git cat-file --batch` process, calling `fn` in input order for
   * each object that exists, with the name as given (an object id, or `rev:path`) and its index in
   * `names`. `content` is only valid during the call (copy what you keep): at 100,000 models the
   * output is ~100 MB, and buffering it whole would double peak memory.
   */
  forEachObject(names: string[], fn: (name: string, content: Buffer, index: number) => void): Promise<void> {
    return forEachObject(this.root, names, fn);
  }

  /** Text of `path` at `rev`, or undefined when it isn't there. */
  async showFile(rev: string, path: string): Promise<string | undefined> {
    const r = await this.run(['cat-file', 'blob', `${rev}:${path}`]);
    return r.code === 0 ? r.stdout.toString('utf8') : undefined;
  }

  /**
   * Parsed `git log` entries with trailers; `args` are extra log arguments (revisions, paths after `--`).
   * `paths: true` adds the changed paths of each commit (`--name-only`, limited by any pathspec).
   */
  async log(args: string[], opts: { paths?: boolean } = {}): Promise<LogEntry[]> {
    const fields = ['%H', '%P', '%an', '%ae', '%aI', '%s', '%b'].join(FIELD);
    // --name-only prints the paths after each record, so then the record marker goes first.
    const format = opts.paths ? RECORD + fields + FIELD : fields + RECORD;
    const r = await this.run(['log', `--format=${format}`, ...(opts.paths ? ['--name-only'] : []), ...args]);
    if (r.code !== 0) {
      // An empty repository has no log; that is not an error for a reader.
      if (/does not have any commits|bad default revision|unknown revision/.test(r.stderr)) return [];
      throw new GitError(`git log failed: ${r.stderr.trim()}`);
    }
    const entries: LogEntry[] = [];
    for (const rec of r.stdout.toString('utf8').split(RECORD)) {
      const t = opts.paths ? rec : rec.replace(/^\n/, '');
      if (!t) continue;
      const [commit, parents, author, authorEmail, date, subject, body, names] = t.split(FIELD);
      entries.push({
        commit: commit!,
        parents: parents ? parents.split(' ') : [],
        author: author!,
        authorEmail: authorEmail!,
        date: date!,
        subject: subject!,
        body: body ?? '',
        trailers: parseTrailers(body ?? ''),
        ...(opts.paths ? { paths: (names ?? '').split('\n').filter(Boolean) } : {}),
      });
    }
    return entries;
  }

  /** Every ref under `prefix` in one call (DESIGN §4: never one call per tag). */
  async refs(prefix: string): Promise<RefEntry[]> {
    const format = ['%(refname)', '%(objecttype)', '%(objectname)', '%(*objectname)', '%(taggerdate:iso-strict)', '%(contents)'].join(FIELD) + RECORD;
    const out = await this.text(['for-each-ref', `--format=${format}`, prefix]);
    const refs: RefEntry[] = [];
    for (const rec of out.split(RECORD)) {
      const t = rec.replace(/^\n/, '');
      if (!t) continue;
      const [ref, objectType, object, peeled, taggerDate, contents] = t.split(FIELD);
      // An annotated tag's %(*objectname) is the commit it points at; a lightweight ref has none.
      refs.push({ ref: ref!, objectType: objectType!, target: peeled || object!, taggerDate: taggerDate ?? '', contents: contents ?? '' });
    }
    return refs;
  }

  /**
   * The commits of `head` that touch `paths`, children before parents (`--topo-order`): an order
   * that never puts a commit before its ancestor, which date order can when two share a second.
   */
  async topoOrder(head: string, paths: string[]): Promise<string[]> {
    return (await this.text(['rev-list', '--topo-order', '--full-history', head, '--', ...paths])).split('\n').filter(Boolean);
  }

  // signatures (audit)
  /** Whether git here signs what it makes: commit.gpgSign and tag.gpgSign (require_signed asks before promoting). */
  async signing(): Promise<{ commits: boolean; tags: boolean }> {
    const [c, t] = await Promise.all(['commit.gpgsign', 'tag.gpgsign'].map((k) => this.run(['config', '--type=bool', '--get', k])));
    return { commits: c!.stdout.toString('utf8').trim() === 'true', tags: t!.stdout.toString('utf8').trim() === 'true' };
  }

  /**
   * Each commit's signature as git judges it (`%G?`: G good, U good but of unknown validity, B bad,
   * N none, E can't be checked, X/Y expired, R revoked key) with the signer and key; SSH
   * signatures are checked against gpg.ssh.allowedSignersFile, as `git verify-commit` does.
   */
  async commitSignatures(commits: string[], allowedSigners?: string): Promise<Map<string, { status: string; signer: string; key: string }>> {
    const out = new Map<string, { status: string; signer: string; key: string }>();
    if (!commits.length) return out;
    const text = await this.text([...signersConfig(allowedSigners), 'log', '--no-walk=unsorted', `--format=%H${FIELD}%G?${FIELD}%GS${FIELD}%GK${RECORD}`, ...commits]);
    for (const rec of text.split(RECORD)) {
      const [commit, status, signer, key] = rec.replace(/^\n/, '').split(FIELD);
      if (commit) out.set(commit, { status: status ?? 'N', signer: signer ?? '', key: key ?? '' });
    }
    return out;
  }

  /** An annotated tag's signature: `git verify-tag` in git's words (good with its signer, none, or why not). */
  async tagSignature(name: string, allowedSigners?: string): Promise<{ status: 'good' | 'none' | 'bad'; detail: string }> {
    const r = await this.run([...signersConfig(allowedSigners), 'verify-tag', '--end-of-options', name]);
    const said = r.stderr.trim();
    if (r.code === 0) return { status: 'good', detail: /Good "[^"]*" signature for (\S+)/.exec(said)?.[1] ?? (said.split('\n')[0] || 'good') };
    if (/no signature found/i.test(said)) return { status: 'none', detail: 'unsigned' };
    return { status: 'bad', detail: said.split('\n').filter(Boolean).pop() ?? `git verify-tag exited ${r.code}` };
  }

  /**
   * The merge on HEAD's first-parent line that brought `commit` in (a pull request's merge), or
   * undefined when `commit` is on that line itself (pushed or fast-forwarded there) or not below HEAD.
   */
  async mergeThatBrought(commit: string, head = 'HEAD'): Promise<string | undefined> {
    const line = (await this.run(['rev-list', '--first-parent', '--ancestry-path', '--reverse', `${commit}..${head}`])).stdout.toString('utf8').split('\n').filter(Boolean);
    const first = line[0];
    if (!first) return undefined;
    const parents = (await this.text(['rev-list', '--no-walk', '--parents', first])).trim().split(' ').slice(1);
    return parents[0] !== commit && parents.length > 1 ? first : undefined;
  }

  // decision tags
  /**
   * Creates the annotated tag `name` on `commit` holding `message` exactly as given (no cleanup:
   * its trailers are what `refs()` reads back). A refusal comes back in git's own words, for the
   * caller to say what was left undone.
   */
  async createAnnotatedTag(name: string, commit: string, message: string): Promise<{ made: true } | { made: false; refusal: string }> {
    const r = await this.run(['tag', '-a', '--cleanup=verbatim', '-F', '-', name, commit], { input: message });
    return r.code === 0 ? { made: true } : { made: false, refusal: r.signal ? `git tag was killed by ${r.signal}` : r.stderr.trim() };
  }

  /** Deletes local tags, all in one call (none: nothing to do). */
  async deleteTags(names: string[]): Promise<void> {
    if (!names.length) return;
    const r = await this.run(['tag', '-d', ...names]);
    if (r.code !== 0) throw new GitError(`could not delete the local tags ${names.join(', ')}: ${r.stderr.trim()}`);
  }

  /** Paths with staged changes against HEAD (or all staged paths in a repo without commits). */
  /** `knownHead`: HEAD as the caller already resolved it (null: no commit yet), saving a spawn. */
  async stagedPaths(knownHead?: string | null): Promise<string[]> {
    const head = knownHead === undefined ? await this.head() : knownHead;
    const out = head
      ? await this.text(['diff', '--cached', '--name-only', '-z', '--no-renames', 'HEAD'])
      : await this.text(['ls-files', '-z']);
    return out.split('\0').filter(Boolean);
  }

  /** Paths among `paths` whose working-tree content differs from the index or HEAD. */
  async modifiedPaths(paths: string[]): Promise<string[]> {
    if (paths.length === 0) return [];
    const out = await this.text(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--', ...paths]);
    return out
      .split('\0')
      .filter((rec) => rec.length > 3)
      .map((rec) => rec.slice(3));
  }

  /**
   * The index file git uses here (GIT_INDEX_FILE, a linked worktree's own), or undefined when
   * only git could say (GIT_DIR and friends set).
   */
  indexFile(): string | undefined {
    if (process.env.GIT_INDEX_FILE) return resolve(this.root, process.env.GIT_INDEX_FILE);
    this.dirs ??= gitDirsOf(this.root) ?? null;
    return this.dirs ? join(this.dirs.gitDir, 'index') : undefined;
  }

  /**
   * The lock on this work tree's index, in its real git dir: a linked worktree's own (`.git` there
   * is a file naming it), not `<root>/.git/index.lock`. With git's environment pointing elsewhere
   * (GIT_DIR…) the plain layout is assumed, as before.
   */
  indexLockPath(): string {
    this.dirs ??= gitDirsOf(this.root) ?? null;
    return join(this.dirs?.gitDir ?? this.gitDir(), 'index.lock');
  }

  hasIndexLock(): boolean {
    return existsSync(this.indexLockPath());
  }

  // The named verbs: every git argument array the rest of modelgit needs is written here
  // (ARCHITECTURE R3), so what each command asks git is read in one place.

  /**
   * Whether `a` is an ancestor of `b` (a commit is its own ancestor). False as well when git can't
   * tell (an unknown commit), unless `strict`: then that is a GitError.
   */
  async isAncestor(a: string, b: string, opts: { strict?: boolean } = {}): Promise<boolean> {
    const r = await this.run(['merge-base', '--is-ancestor', a, b]);
    if (opts.strict && r.code > 1) throw new GitError(`git merge-base failed: ${r.stderr.toString().trim()}`);
    return r.code === 0;
  }

  /** The best common ancestor of two commits (`git merge-base`), or undefined when they share no history. */
  async mergeBase(a: string, b: string): Promise<string | undefined> {
    return answer(await this.run(['merge-base', a, b]));
  }

  /**
   * Stages exactly `paths` as they are on disk (a deleted file leaves the index), as the user's
   * git would (`write`). Not `git add`: that reads each path's whole directory (20,000 entries at
   * 100,000 models). See `code` and `stderr`.
   */
  stageExactly(paths: string[]): Promise<RunResult> {
    return this.write(['update-index', '--add', '--remove', '--', ...paths]);
  }

  /**
   * The real `git commit` of what is staged, with `message` kept verbatim, in the user's
   * environment (`write`: hooks, signing and config apply), its trace2 events kept to tell a
   * hook's refusal (failedHooks). `date` sets author and committer date. See `code` and `stderr`.
   */
  commit(message: string, opts: { allowEmpty?: boolean; date?: string; author?: { name: string; email: string; date: string } } = {}): Promise<RunResult> {
    const args = ['commit', '-m', message, '--quiet', '--cleanup=verbatim', ...(opts.allowEmpty ? ['--allow-empty'] : [])];
    const env: Record<string, string> = opts.date ? { GIT_AUTHOR_DATE: opts.date, GIT_COMMITTER_DATE: opts.date } : {};
    // A drained write keeps its original author and time; the committer is whoever drains.
    if (opts.author) Object.assign(env, { GIT_AUTHOR_NAME: opts.author.name, GIT_AUTHOR_EMAIL: opts.author.email, GIT_AUTHOR_DATE: opts.author.date });
    return this.write(args, { env, trace: true });
  }

  /** A merge commit reachable from `rev`, if there is any (one is enough to know); GitError when git fails. */
  async anyMerge(rev: string): Promise<string | undefined> {
    const r = await this.run(['rev-list', '--min-parents=2', '--max-count=1', rev, '--']);
    if (r.code !== 0) throw new GitError(`git rev-list failed: ${r.stderr.trim()}`);
    return r.stdout.toString('utf8').trim() || undefined;
  }

  /**
   * Every commit reachable from `rev`, newest first, as `<commit> US <parents> US <message> RS`
   * records (US = \x1f, RS = \x1e), the bytes as git printed them: one pass over the commit objects,
   * no trees (at 315,000 commits ~3 s where `git log -- <path>` takes ~45 s), for a caller that
   * searches them rather than parsing each. GitError when git fails.
   */
  async messagesOfAll(rev: string): Promise<Buffer> {
    const r = await this.run(['log', `--format=%H${FIELD}%P${FIELD}%B${RECORD}`, '--no-show-signature', rev, '--']);
    if (r.code !== 0) throw new GitError(`git log failed: ${r.stderr.trim() || `exit ${r.code}`}`);
    return r.stdout;
  }

  /** Every commit reachable from `rev`, newest first (`git rev-list`); GitError when git fails. */
  async reachableCommits(rev: string): Promise<string[]> {
    const r = await this.run(['rev-list', rev, '--']);
    if (r.code !== 0) throw new GitError(`git rev-list failed: ${r.stderr.trim()}`);
    return r.stdout.toString('latin1').split('\n').filter(Boolean);
  }

  /** The commits at or below `at` that changed `path`, newest first (`git log --format=%H <at> -- <path>`); GitError when git fails. */
  async commitsChangingPath(at: string, path: string): Promise<string[]> {
    const r = await this.run(['log', '--format=%H', '--no-show-signature', at, '--', path]);
    if (r.code !== 0) throw new GitError(`git log failed: ${r.stderr.trim()}`);
    return r.stdout.toString('utf8').split('\n').filter(Boolean);
  }

  /** The whole message of a commit as stored, or undefined when git can't read it. */
  async commitMessage(rev: string): Promise<string | undefined> {
    const r = await this.run(['log', '-1', '--format=%B', rev]);
    return r.code === 0 ? r.stdout.toString('utf8') : undefined;
  }

  /** The commits of `range` (`a..b`) with their subjects, oldest first; undefined when git refuses the range. */
  async commitSubjects(range: string): Promise<{ commit: string; subject: string }[] | undefined> {
    const r = await this.run(['log', '--reverse', `--format=%H${FIELD}%s`, range, '--']);
    if (r.code !== 0) return undefined;
    return r.stdout
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [commit, subject] = l.split(FIELD);
        return { commit: commit!, subject: subject ?? '' };
      });
  }

  /**
   * The newest commit on `rev`'s first-parent line committed at or before `instant` (ISO 8601),
   * and the oldest commit of that line with its date (to say when the history begins).
   */
  async commitAsOf(rev: string, instant: string): Promise<{ commit?: string; first?: { commit: string; date: string } }> {
    const [at, roots] = await Promise.all([
      this.run(['rev-list', '-1', '--first-parent', `--before=${instant}`, '--end-of-options', rev]),
      this.run(['log', '--first-parent', '--max-parents=0', '--format=%H %cI', '--end-of-options', rev]),
    ]);
    const commit = at.code === 0 ? at.stdout.toString('utf8').trim() || undefined : undefined;
    const [root, date] = roots.code === 0 ? roots.stdout.toString('utf8').trim().split('\n').pop()!.split(' ') : [];
    return { commit, ...(root && date ? { first: { commit: root, date } } : {}) };
  }

  /** The subjects of the first-parent line of `range` (`a..b`), oldest first; GitError when git refuses. */
  async firstParentSubjects(range: string): Promise<string[]> {
    return (await this.text(['log', '--first-parent', '--reverse', '--format=%s', range])).split('\n').filter(Boolean);
  }

  /** path → author date of the oldest commit that added it, under `dir` (renames are additions). */
  async addedDates(dir: string): Promise<Map<string, string>> {
    const out = await this.text(['-c', 'core.quotePath=false', 'log', '--diff-filter=A', '--no-renames', `--format=${RECORD}%aI`, '--name-only', '--', dir]);
    const added = new Map<string, string>();
    for (const rec of out.split(RECORD)) {
      const [date, ...paths] = rec.split('\n');
      if (!date) continue;
      // Newest first: a later (older) commit overwrites, so the first addition wins.
      for (const p of paths) if (p.trim()) added.set(p.trim(), date.trim());
    }
    return added;
  }

  /** Creates `branch` at HEAD and checks it out (`git switch -c`); see `code` and `stderr` for a refusal. */
  createBranchAndSwitch(branch: string): Promise<RunResult> {
    return this.run(['switch', '--quiet', '-c', branch]);
  }

  /** Checks out `branch`; GitError with git's words when it refuses. */
  async switchTo(branch: string): Promise<void> {
    await this.text(['switch', '--quiet', branch]);
  }

  /** Deletes a local branch, merged or not; see `code` for a refusal. */
  deleteBranch(branch: string): Promise<RunResult> {
    return this.run(['branch', '-D', '--', branch]);
  }

  /** Points `ref` at `commit`; see `code` for a refusal. */
  updateRef(ref: string, commit: string): Promise<RunResult> {
    return this.run(['update-ref', ref, commit]);
  }

  /** Moves the current branch to `rev`, keeping local edits git can carry over (`reset --keep`); see `code` and `stderr`. */
  resetKeep(rev: string): Promise<RunResult> {
    return this.run(['reset', '--quiet', '--keep', rev]);
  }

  /**
   * Gives `paths` back their HEAD entries in the index (`headExists: false`: no commit yet, so
   * they leave the index); the files on disk stay. See `code` and `stderr`.
   */
  unstage(paths: string[], opts: { headExists: boolean }): Promise<RunResult> {
    return opts.headExists ? this.run(['reset', '-q', 'HEAD', '--', ...paths]) : this.run(['rm', '-q', '--cached', '--ignore-unmatch', '--', ...paths]);
  }

  /**
   * Entries of `treeish` at `paths` (`recursive`: every blob below them), taking each path
   * literally (paths from git's own listings may hold glob characters).
   */
  async listTree(treeish: string, paths: string[], opts: { recursive?: boolean } = {}): Promise<TreeEntry[]> {
    return parseLsTree(await this.text(['ls-tree', ...(opts.recursive ? ['-r'] : []), '-z', '--full-tree', treeish, '--', ...paths], { env: LITERAL_PATHSPECS }));
  }

  /** Every file below `dir` in `treeish` (the path taken literally). */
  async listTreePaths(treeish: string, dir: string): Promise<string[]> {
    return (await this.text(['ls-tree', '-r', '-z', '--name-only', '--full-tree', treeish, '--', dir], { env: LITERAL_PATHSPECS })).split('\0').filter(Boolean);
  }

  /**
   * `git ls-files -z` records: the index's paths (`untracked: 'also'` adds files git doesn't track
   * and doesn't ignore, `'only'` lists just those; `tagged` prefixes each with its `-v` tag).
   * `pathspecs`: 'literal' or 'magic' ignores the user's GIT_LITERAL_PATHSPECS either way.
   */
  async listFiles(
    paths: string[] = [],
    opts: { untracked?: 'also' | 'only'; tagged?: boolean; pathspecs?: 'literal' | 'magic' } = {},
  ): Promise<string[]> {
    const which = opts.untracked === 'also' ? ['-co'] : opts.untracked === 'only' ? ['-o'] : [];
    const args = ['ls-files', ...which, ...(opts.tagged ? ['-v'] : []), ...(opts.untracked ? ['--exclude-standard'] : []), '-z', ...(paths.length ? ['--', ...paths] : [])];
    const env = opts.pathspecs === 'literal' ? LITERAL_PATHSPECS : opts.pathspecs === 'magic' ? MAGIC_PATHSPECS : undefined;
    return (await this.text(args, env ? { env } : {})).split('\0').filter(Boolean);
  }

  /** Which of `paths` (taken literally) git tracks. */
  async trackedAmong(paths: string[]): Promise<string[]> {
    if (paths.length === 0) return [];
    return this.listFiles(paths.map((p) => `:(literal)${p}`));
  }

  /**
   * `git diff --raw -z` (full ids, no renames, no external diff) from `base` to `to`: another
   * commit, the index, or the working tree.
   */
  async rawDiff(base: string, to: { commit: string } | 'index' | 'worktree'): Promise<string> {
    const revs = to === 'index' ? ['--cached', base] : to === 'worktree' ? [base] : [base, to.commit];
    return this.text(['diff', '--raw', '-z', '--no-abbrev', '--no-renames', '--no-ext-diff', '--no-color', ...revs]);
  }

  /** The files that differ between two commits under `pathspecs`, each with its status letter (no renames). */
  async changedFiles(base: string, head: string, pathspecs: string[]): Promise<{ status: string; path: string }[]> {
    const parts = (await this.text(['diff', '--name-status', '-z', '--no-renames', base, head, '--', ...pathspecs])).split('\0').filter(Boolean);
    const out: { status: string; path: string }[] = [];
    for (let i = 0; i + 1 < parts.length; i += 2) out.push({ path: parts[i + 1]!, status: parts[i]! });
    return out;
  }

  /** A config value as git reads it here (repository, global, system), a path expanded (`~/…`); undefined when unset. */
  async configPath(key: string): Promise<string | undefined> {
    return answer(await this.run(['config', '--type=path', '--get', key]));
  }

  /** The short name `ref` points at (`refs/remotes/origin/HEAD` → `origin/main`), or undefined. */
  async symbolicRefTarget(ref: string): Promise<string | undefined> {
    return answer(await this.run(['symbolic-ref', '--quiet', '--short', ref]));
  }

  /** The URL of a remote, or undefined when there is no such remote. */
  async remoteUrl(remote: string): Promise<string | undefined> {
    return answer(await this.run(['remote', 'get-url', remote]));
  }

  /**
   * What the remote itself says its HEAD is (`git ls-remote --symref <remote> HEAD`), asked
   * without ever prompting for credentials; undefined when it can't be asked.
   */
  async remoteHeadListing(remote: string): Promise<string | undefined> {
    const noPrompt = { GIT_TERMINAL_PROMPT: '0', ...(process.env.GIT_SSH_COMMAND ? {} : { GIT_SSH_COMMAND: 'ssh -o BatchMode=yes' }) };
    return answer(await this.run(['ls-remote', '--symref', remote, 'HEAD'], { env: noPrompt }));
  }

  /** Whether a local branch of that name exists. */
  async hasLocalBranch(name: string): Promise<boolean> {
    return answer(await this.run(['rev-parse', '--verify', '--quiet', `refs/heads/${name}`])) !== undefined;
  }

  // verbs for the store's scans: the reads behind the snapshot cache, the operation-id window and
  // the tag scans, each one process as before; the callers keep their hot loops over the output.

  /**
   * The commits of `revs` (a range or tips; newest first, at most `limit`), each with the values of
   * the trailers `keys` (trimmed, empty ones dropped) and, when asked, its parents and subject: one
   * `git log` that has git read the trailers (`%(trailers:key=…)`), so no message is parsed here.
   * Undefined when git refuses (no commit yet, an unknown revision), or a GitError when `strict`.
   */
  async trailerLog(revs: string[], keys: string[], opts: { limit?: number; parents?: boolean; subject?: boolean; strict?: boolean } = {}): Promise<TrailerLogEntry[] | undefined> {
    const fields = ['%H', ...(opts.parents ? ['%P'] : []), ...(opts.subject ? ['%s'] : []), ...keys.map((k) => `%(trailers:key=${k},valueonly,separator=%x1d)`)];
    const args = ['log', ...(opts.limit !== undefined ? [`-n${opts.limit}`] : []), `--format=${fields.join('%x1f')}%x1e`, ...revs, '--'];
    const r = await this.run(args);
    if (r.code !== 0) {
      if (opts.strict) throw new GitError(`git log failed: ${r.stderr.trim() || `exit ${r.code}`}`, { data: { args } });
      return undefined;
    }
    const values = (s: string | undefined) => (s ?? '').split('\x1d').map((x) => x.trim()).filter(Boolean);
    const entries: TrailerLogEntry[] = [];
    for (const rec of r.stdout.toString('utf8').split(RECORD)) {
      const parts = rec.replace(/^\n/, '').split(FIELD);
      if (!parts[0] || parts.length < fields.length) continue;
      let at = 1;
      const parents = opts.parents ? parts[at++]!.split(' ').filter(Boolean) : [];
      const subject = opts.subject ? parts[at++]! : '';
      const trailers: Record<string, string[]> = {};
      for (const k of keys) trailers[k] = values(parts[at++]);
      entries.push({ commit: parts[0].trim(), parents, subject, trailers });
    }
    return entries;
  }

  /**
   * The commits of the first-parent line of `tip` that changed `path`, oldest first, each with its
   * parents (`git rev-list --first-parent --reverse --parents`); GitError when git refuses.
   */
  async firstParentCommitsChanging(tip: string, path: string): Promise<{ commit: string; parents: string[] }[]> {
    const out = await this.text(['rev-list', '--first-parent', '--reverse', '--parents', tip, '--', path]);
    return out
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [commit, ...parents] = l.split(' ');
        return { commit: commit!, parents };
      });
  }

  /** How many commits `range` (`a..b`) holds (`git rev-list --count`); GitError when git refuses. */
  async commitCount(range: string): Promise<number> {
    return Number((await this.text(['rev-list', '--count', range])).trim());
  }

  /**
   * The id and type of each of `names` (`rev`, `rev:path`, `rev^{commit}`…) from one `git cat-file
   * --batch-check`, in order: undefined for a name git reports missing or ambiguous. Undefined as a
   * whole when git fails. A name holding a newline can't go through the batch protocol: the caller
   * asks rev-parse for it instead.
   */
  async objectTypes(names: string[]): Promise<({ oid: string; type: string } | undefined)[] | undefined> {
    const r = await this.run(['cat-file', '--batch-check'], { input: names.map((n) => `${n}\n`).join('') });
    if (r.code !== 0) return undefined;
    const lines = r.stdout.toString('utf8').split('\n');
    return names.map((_, i) => {
      const m = /^([0-9a-f]{40,64}) (\S+) /.exec(lines[i] ?? '');
      return m ? { oid: m[1]!, type: m[2]! } : undefined;
    });
  }

  /**
   * `git ls-tree -r -z --full-tree` of a tree id from git itself (so no option guard), as git
   * prints it: at 100,000 models the caller's own pass over these bytes is the hot loop.
   * GitError when git refuses.
   */
  async treeListing(tree: string): Promise<Buffer> {
    const r = await this.run(['ls-tree', '-r', '-z', '--full-tree', tree]);
    if (r.code !== 0) throw new GitError(`git ls-tree failed: ${r.stderr.trim() || `exit ${r.code}`}`);
    return r.stdout;
  }

  /** `git diff-tree -r -z --no-renames` between two trees (or commits), as git prints it; GitError when git refuses. */
  treeDiff(from: string, to: string): Promise<string> {
    return this.text(['diff-tree', '-r', '-z', '--no-renames', from, to]);
  }

  /**
   * The text of blob `oid`, read synchronously: for a cached text found damaged inside code that
   * can't wait (a lazily parsed model's getter). Throws when git can't read it.
   */
  static blobTextSync(root: string, oid: string): string {
    return execFileSync('git', ['cat-file', 'blob', oid], { cwd: root, maxBuffer: 1 << 30 }).toString('utf8');
  }

  /**
   * The work tree root, the git dir and HEAD's commit (undefined before the first commit) of the
   * repository containing `cwd`, from one `git rev-parse`; undefined when `cwd` is in none.
   */
  static async locate(cwd: string): Promise<{ root: string; gitDir: string; head?: string } | undefined> {
    // With --verify --quiet a missing HEAD exits 1 after printing the other two.
    const r = await runGit(cwd, ['rev-parse', '--show-toplevel', '--absolute-git-dir', '--verify', '--quiet', '--end-of-options', 'HEAD^{commit}']);
    const [root, gitDir, head] = r.stdout.toString('utf8').trim().split('\n');
    if ((r.code !== 0 && r.code !== 1) || !root || !gitDir) return undefined;
    return { root, gitDir, ...(r.code === 0 && head ? { head } : {}) };
  }

  /** The work tree root and git dir of the repository containing `cwd` (git's answer), or undefined. */
  static async topLevel(cwd: string): Promise<{ root: string; gitDir: string } | undefined> {
    const r = await runGit(cwd, ['rev-parse', '--show-toplevel', '--absolute-git-dir']);
    if (r.code !== 0) return undefined;
    const [root, gitDir] = r.stdout.toString('utf8').trim().split('\n');
    return { root: root!, gitDir: gitDir! };
  }

  /** The work tree that contains `dir`; `bare` for a bare repository or a .git directory; undefined when in none. */
  static async enclosing(dir: string): Promise<{ root: string } | { bare: true } | undefined> {
    const r = await runGit(dir, ['rev-parse', '--is-bare-repository', '--show-toplevel']);
    const [bare, top] = r.stdout.toString('utf8').trim().split('\n');
    if (bare === 'true') return { bare: true };
    if (r.code !== 0 || !top) {
      // Inside a .git directory, rev-parse answers --is-bare-repository but has no top level.
      const inGitDir = await runGit(dir, ['rev-parse', '--is-inside-git-dir']);
      return inGitDir.stdout.toString('utf8').trim() === 'true' ? { bare: true } : undefined;
    }
    return { root: top };
  }

  /** `git init` in `dir`; GitError when git refuses. */
  static async init(dir: string): Promise<void> {
    const r = await runGit(dir, ['init', '--quiet']);
    if (r.code !== 0) throw new GitError(`git init failed: ${r.stderr.trim()}`);
  }

  /** What `git rev-parse --show-toplevel` and `--absolute-git-dir` print in `dir` (empty when git can't say). */
  static async rootAndGitDir(dir: string): Promise<{ root: string; gitDir: string }> {
    const root = (await runGit(dir, ['rev-parse', '--show-toplevel'])).stdout.toString('utf8').trim();
    const gitDir = (await runGit(dir, ['rev-parse', '--absolute-git-dir'])).stdout.toString('utf8').trim();
    return { root, gitDir };
  }
}

/** `-c gpg.ssh.allowedSignersFile=…` when the caller names the file (signature checks), else nothing. */
function signersConfig(allowedSigners: string | undefined): string[] {
  return allowedSigners === undefined ? [] : ['-c', `gpg.ssh.allowedSignersFile=${allowedSigners}`];
}

/** Trimmed stdout of a git that succeeded and said something, else undefined. */
function answer(r: RunResult): string | undefined {
  const out = r.code === 0 ? r.stdout.toString('utf8').trim() : '';
  return out || undefined;
}

/** The entries of a raw tree object (`<mode> <name>\0<id bytes>`…); `idBytes` is 20 (sha1) or 32 (sha256). */
export function parseTreeObject(content: Buffer, idBytes: number): { mode: string; name: string; oid: string }[] {
  const entries: { mode: string; name: string; oid: string }[] = [];
  let pos = 0;
  while (pos < content.length) {
    const space = content.indexOf(32, pos);
    const nul = content.indexOf(0, space + 1);
    if (space < 0 || nul < 0 || nul + 1 + idBytes > content.length) throw new GitError('git gave a tree object that does not parse');
    entries.push({
      mode: content.toString('latin1', pos, space),
      name: content.toString('utf8', space + 1, nul),
      oid: content.toString('hex', nul + 1, nul + 1 + idBytes),
    });
    pos = nul + 1 + idBytes;
  }
  return entries;
}

/**
 * The hooks a git command ran that exited non-zero, read from its trace2 events (`write` with
 * `trace`); undefined when there are no events (a git without trace2), so the caller can't tell.
 * Only the top process's own events count: a hook that runs git writes its events there too.
 */
export function failedHooks(trace: string | undefined): { hook: string; code: number }[] | undefined {
  let top: string | undefined;
  const hooks = new Map<number, string>();
  const failed: { hook: string; code: number }[] = [];
  for (const line of (trace ?? '').split('\n')) {
    if (!line.startsWith('{')) continue;
    let ev: { event?: string; sid?: string; child_id?: number; child_class?: string; hook_name?: string; argv?: string[]; code?: number };
    try {
      ev = JSON.parse(line);
    } catch {
      continue;
    }
    top ??= ev.sid;
    if (ev.sid !== top || typeof ev.child_id !== 'number') continue;
    if (ev.event === 'child_start' && ev.child_class === 'hook') hooks.set(ev.child_id, ev.hook_name ?? ev.argv?.[0]?.replace(/^.*\//, '') ?? 'a');
    else if (ev.event === 'child_exit' && hooks.has(ev.child_id) && ev.code !== 0) failed.push({ hook: hooks.get(ev.child_id)!, code: ev.code ?? -1 });
  }
  return top === undefined ? undefined : failed;
}

// What git prints when the disk, a quota, a read-only mount or permissions refused it a write.
const STORAGE_FAILURE = [
  /no space left on device/i,
  /out of diskspace/i,
  /disk quota exceeded/i,
  /read-only file system/i,
  /permission denied/i,
  /input\/output error/i,
  /insufficient permission for adding an object/i,
  /unable to write new index file/i,
  /unable to create temporary file/i,
  /unable to write (?:loose )?object|failed to write object|unable to write sha1/i,
  /unable to write (?:file|new_index)|could not write (?:index|temporary)|couldn't write '/i,
];

/** The line of git's output saying storage refused a write (full disk, read-only, permissions), or undefined. */
export function storageFailureLine(output: string): string | undefined {
  const lines = output.split('\n').map((l) => l.trim()).filter(Boolean);
  // The line naming the cause ("No space left on device") beats a consequence ("unable to write new index file").
  for (const re of STORAGE_FAILURE) {
    const line = lines.find((l) => re.test(l));
    if (line) return line;
  }
  return undefined;
}

export function parseLsTree(out: string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const rec of out.split('\0')) {
    if (!rec) continue;
    const tab = rec.indexOf('\t');
    const [mode, type, oid] = rec.slice(0, tab).split(' ');
    entries.push({ mode: mode!, type: type!, oid: oid!, path: rec.slice(tab + 1) });
  }
  return entries;
}

export function runGit(cwd: string, args: string[], opts: { input?: string | Buffer; env?: Record<string, string> } = {}): Promise<RunResult> {
  return spawnGit(cwd, args, { ...process.env, ...READ_ENV, ...opts.env }, opts.input);
}

/**
 * `trace`: git writes its trace2 events to a fourth pipe (fd 3), which says which hooks it ran
 * and how each exited — the only reliable way to tell a hook's refusal from git's own failure.
 */
function spawnGit(cwd: string, args: string[], env: NodeJS.ProcessEnv, input?: string | Buffer, trace = false): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', args, { cwd, env: trace ? { ...env, GIT_TRACE2_EVENT: '3' } : env, stdio: trace ? ['pipe', 'pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const events: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => reject(new GitError(`could not run git: ${e.message}`, { hint: 'install git and put it on PATH' })));
    let signal: NodeJS.Signals | null = null;
    const done = (code: number | null) =>
      resolvePromise({
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8'),
        code: code ?? 1,
        ...(signal ? { signal } : {}),
        ...(trace ? { trace: Buffer.concat(events).toString('utf8') } : {}),
      });
    if (!trace) {
      child.on('close', (code, sig) => {
        signal = sig;
        done(code);
      });
    } else {
      // A process git leaves running (a detached `gc --auto`) keeps the trace pipe open: wait for
      // git and its stdout/stderr, then only briefly for the rest of the events.
      const events3 = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
      let traceClosed = false;
      events3.on('data', (d: Buffer) => events.push(d));
      events3.on('close', () => (traceClosed = true));
      events3.on('error', () => (traceClosed = true));
      let pending = 3;
      let exitCode: number | null = null;
      const step = () => {
        if (--pending > 0) return;
        if (traceClosed) return done(exitCode);
        const timer = setTimeout(() => {
          events3.destroy();
          done(exitCode);
        }, 100);
        events3.on('close', () => {
          clearTimeout(timer);
          done(exitCode);
        });
      };
      child.on('exit', (code, sig) => {
        exitCode = code;
        signal = sig;
        step();
      });
      child.stdout.on('close', step);
      child.stderr.on('close', step);
    }
    child.stdin.on('error', () => {}); // git may exit before reading all input (e.g. bad rev); the exit code tells.
    child.stdin.end(input ?? '');
  });
}

function hasEntries(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}
