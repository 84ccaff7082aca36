// The one door to git. Bulk reads spawn the git binary directly (one `cat-file --batch` process
// reads thousands of blobs faster than any in-process reader, DESIGN §6); writes spawn it too, in
// the user's whole environment, so hooks, signing and config apply exactly as with a hand-typed commit.
// Every argument that came from a user has passed src/domain/names.ts before it gets here, and
// paths always follow `--`, so nothing a user types can be read by git as an option.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GitError, NotARegistryError } from '../errors.js';
import { gitDirsOf, headFromFiles, readText } from './head-files.js';

export interface RunResult {
  stdout: Buffer;
  stderr: string;
  code: number;
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

export function parseTrailers(body: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  // Trailers are the last paragraph; `Key: value` lines.
  const paragraphs = body.trim().split(/\n\s*\n/);
  const last = paragraphs[paragraphs.length - 1] ?? '';
  for (const line of last.split('\n')) {
    const m = /^([A-Za-z0-9][A-Za-z0-9-]*):\s?(.*)$/.exec(line.trim());
    if (m) (out[m[1]!] ??= []).push(m[2]!);
  }
  return out;
}

/** Objects read at once past which git's pack windows are kept small (forEachObject). */
const BULK_READ = 20_000;

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
    if (r.code !== 0) throw new GitError(`git ${args[0]} failed: ${r.stderr.trim() || `exit ${r.code}`}`, { data: { args } });
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

  /** Blobs under `paths` in the index (stage 0 only). */
  async lsIndex(paths: string[]): Promise<TreeEntry[]> {
    const out = await this.text(['ls-files', '-s', '-z', '--', ...paths]);
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

  /** A `git cat-file --batch` process for reading in rounds (see ObjectSession). */
  objectSession(): ObjectSession {
    return new ObjectSession(this.root);
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
    if (names.length === 0) return Promise.resolve();
    // Reading a whole registry touches most of its pack: git maps it in windows of up to 1 GiB
    // (8 GiB in all), so its resident set grows to the pack's size (~450 MB at 100,000 models).
    // Smaller windows keep git near 165 MB there, for ~0.25 s more of git's time.
    const windows = names.length >= BULK_READ ? ['-c', 'core.packedGitWindowSize=32m', '-c', 'core.packedGitLimit=128m'] : [];
    return new Promise((resolvePromise, reject) => {
      const child = spawn('git', [...windows, 'cat-file', '--batch'], { cwd: this.root, env: { ...process.env, ...READ_ENV }, stdio: ['pipe', 'pipe', 'pipe'] });
      const err: Buffer[] = [];
      // Bytes of an unfinished record, and how many it needs: a big object arrives in many
      // chunks, which are joined once, not once per chunk.
      let parts: Buffer[] = [];
      let have = 0;
      let need = 0;
      let failure: unknown;
      let next = 0; // git answers every input line with one record, in order
      child.stdout.on('data', (chunk: Buffer) => {
        parts.push(chunk);
        have += chunk.length;
        if (have < need) return;
        let buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
        let pos = 0;
        need = 0;
        try {
          for (;;) {
            const nl = buf.indexOf(10, pos);
            if (nl < 0) break;
            const header = buf.toString('latin1', pos, nl);
            if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
              pos = nl + 1;
              next++;
              continue;
            }
            const size = Number(header.slice(header.lastIndexOf(' ') + 1));
            if (nl + 1 + size + 1 > buf.length) {
              need = nl + 1 + size + 1 - pos; // body not complete yet
              break;
            }
            if (!failure) fn(names[next]!, buf.subarray(nl + 1, nl + 1 + size), next);
            next++;
            pos = nl + 1 + size + 1;
          }
        } catch (e) {
          failure ??= e; // keep draining so git can exit; report after close
        }
        // An unfinished record keeps only its own bytes, not the whole chunk it came in.
        const rest = buf.subarray(pos);
        parts = rest.length ? [rest.length < buf.length / 2 ? Buffer.from(rest) : rest] : [];
        have = rest.length;
        buf = Buffer.alloc(0);
      });
      child.stderr.on('data', (d: Buffer) => err.push(d));
      child.on('error', (e) => reject(new GitError(`could not run git: ${e.message}`, { hint: 'install git and put it on PATH' })));
      child.on('close', (code) => {
        if (failure) return reject(failure);
        if (code !== 0) return reject(new GitError(`git cat-file --batch failed: ${Buffer.concat(err).toString('utf8').trim()}`));
        resolvePromise();
      });
      child.stdin.on('error', () => {});
      child.stdin.end(names.join('\n') + '\n');
    });
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

  // decision tags
  /**
   * Creates the annotated tag `name` on `commit` holding `message` exactly as given (no cleanup:
   * its trailers are what `refs()` reads back). A refusal comes back in git's own words, for the
   * caller to say what was left undone.
   */
  async createAnnotatedTag(name: string, commit: string, message: string): Promise<{ made: true } | { made: false; refusal: string }> {
    const r = await this.run(['tag', '-a', '--cleanup=verbatim', '-F', '-', name, commit], { input: message });
    return r.code === 0 ? { made: true } : { made: false, refusal: r.stderr.trim() };
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

  indexLockPath(): string {
    return join(this.gitDir(), 'index.lock');
  }

  hasIndexLock(): boolean {
    return existsSync(this.indexLockPath());
  }
}

/** An object as `git cat-file --batch` gives it. */
export interface GitObject {
  oid: string;
  type: string;
  content: Buffer;
}

/**
 * One `git cat-file --batch` process asked in rounds, each round's names chosen from the answers
 * to the last (a tree, then paths inside it), for a few objects without a process per round.
 * `read` answers in order: the object, or undefined when git has no such object. `close` when done.
 */
export class ObjectSession {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly records = new BatchRecords((header, body) => this.take(header, body));
  private readonly waiting: { count: number; got: (GitObject | undefined)[]; resolve: (r: (GitObject | undefined)[]) => void; reject: (e: Error) => void }[] = [];
  private failure?: Error;
  private readonly err: Buffer[] = [];

  constructor(root: string) {
    this.child = spawn('git', ['cat-file', '--batch'], { cwd: root, env: { ...process.env, ...READ_ENV }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => this.records.push(chunk));
    this.child.stderr.on('data', (d: Buffer) => this.err.push(d));
    this.child.stdin.on('error', () => {});
    this.child.on('error', (e) => this.fail(new GitError(`could not run git: ${e.message}`, { hint: 'install git and put it on PATH' })));
    this.child.on('close', (code) => this.fail(new GitError(`git cat-file --batch ended (exit ${code}): ${Buffer.concat(this.err).toString('utf8').trim()}`)));
  }

  read(names: string[]): Promise<(GitObject | undefined)[]> {
    if (this.failure) return Promise.reject(this.failure);
    if (names.length === 0) return Promise.resolve([]);
    // A name is one line of the protocol; a newline would make it two.
    if (names.some((n) => /[\n\r]/.test(n))) return Promise.reject(new GitError('an object name cannot hold a line break'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ count: names.length, got: [], resolve, reject });
      this.child.stdin.write(names.join('\n') + '\n');
    });
  }

  close(): void {
    this.child.stdin.end();
  }

  private take(header: string, body: Buffer | undefined): void {
    const w = this.waiting[0];
    if (!w) return; // git answers only what was asked
    if (body === undefined) w.got.push(undefined);
    else {
      const [oid, type] = header.split(' ');
      w.got.push({ oid: oid!, type: type!, content: Buffer.from(body) });
    }
    if (w.got.length === w.count) {
      this.waiting.shift();
      w.resolve(w.got);
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.splice(0)) w.reject(this.failure);
  }
}

/**
 * Splits `git cat-file --batch` output into records as its chunks arrive. A big object comes in
 * thousands of pipe-sized chunks: they are kept aside until the object is complete and joined
 * once, so reading it costs its size, not its size times the number of chunks (joining on every
 * chunk made `show` of a 50 MB model file take two minutes). `body` is undefined for a
 * "missing"/"ambiguous" answer, and only valid during the call.
 */
export class BatchRecords {
  private parts: Buffer[] = [];
  private have = 0;
  private need = 0;

  constructor(private readonly onRecord: (header: string, body: Buffer | undefined) => void) {}

  push(chunk: Buffer): void {
    this.parts.push(chunk);
    this.have += chunk.length;
    if (this.have < this.need) return;
    const buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.have);
    this.need = 0;
    let pos = 0;
    for (;;) {
      const nl = buf.indexOf(10, pos);
      if (nl < 0) break;
      const header = buf.toString('latin1', pos, nl);
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        pos = nl + 1;
        this.onRecord(header, undefined);
        continue;
      }
      const end = nl + 1 + Number(header.slice(header.lastIndexOf(' ') + 1));
      if (end + 1 > buf.length) {
        this.need = end + 1 - pos; // the body is not all here yet: wait until it is
        break;
      }
      const body = buf.subarray(nl + 1, end);
      pos = end + 1;
      this.onRecord(header, body);
    }
    // An unfinished record keeps only its own bytes, not the whole chunk it came in.
    const rest = buf.subarray(pos);
    this.parts = rest.length ? [rest.length < buf.length / 2 ? Buffer.from(rest) : rest] : [];
    this.have = rest.length;
  }
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
    const done = (code: number | null) =>
      resolvePromise({
        stdout: Buffer.concat(out),
        stderr: Buffer.concat(err).toString('utf8'),
        code: code ?? 1,
        ...(trace ? { trace: Buffer.concat(events).toString('utf8') } : {}),
      });
    if (!trace) {
      child.on('close', done);
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
      child.on('exit', (code) => {
        exitCode = code;
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
