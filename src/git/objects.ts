// The one `git cat-file --batch` reader. Reading objects is the hot path of every read command
// (a whole registry's model files, a commit's few texts, a tree then paths inside it), and there
// used to be three readers with three parsers of the same protocol; this is the one, with what all
// of them needed: a process that can be started early and asked again and again (a validate run,
// a lookup in rounds), or asked once for a stream of thousands of objects in bounded memory.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { GitError } from '../errors.js';

/** An object as `git cat-file --batch` gives it. */
export interface GitObject {
  oid: string;
  type: string;
  content: Buffer;
}

// Stable, parseable output whatever the user's locale or pager settings (as git.ts reads).
const READ_ENV = { LC_ALL: 'C', GIT_PAGER: 'cat', GIT_TERMINAL_PROMPT: '0' };

/** Objects read at once past which git's pack windows are kept small (see ObjectReader's `bulk`). */
export const BULK_READ = 20_000;

/** What a request is told of each object that exists; `content` is valid only during the call. */
type OnObject = (name: string, type: string, content: Buffer, index: number, oid: string) => void;

interface Request {
  names: string[];
  fn: OnObject;
  answered: number;
  failure?: unknown;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/**
 * One `git cat-file --batch` process, asked request after request: git answers every input line
 * with one record, in order, so requests are answered in the order they were made. Names are object
 * ids, `<rev>:<path>` or `:<path>` (the index); none may hold a line break. Once git is gone
 * (closed, or it died) every request fails instead of waiting.
 */
export class ObjectReader {
  private child?: ChildProcessWithoutNullStreams;
  private readonly queue: Request[] = [];
  private readonly records = new BatchRecords((header, body) => this.take(header, body));
  private readonly stderr: Buffer[] = [];
  private dead?: GitError;

  /**
   * `bulk`: the reader is for a whole registry. Reading one touches most of its pack: git maps it
   * in windows of up to 1 GiB (8 GiB in all), so its resident set grows to the pack's size (~450 MB
   * at 100,000 models). Smaller windows keep git near 165 MB there, for ~0.25 s more of git's time.
   * `oneRequest`: one `each` and then `close` (forEachObject): git may buffer its output.
   */
  constructor(
    private readonly root: string,
    private readonly opts: { bulk?: boolean; oneRequest?: boolean } = {},
  ) {}

  /** Starts git now (optional), so its startup overlaps other work. */
  start(): void {
    if (this.child || this.dead) return;
    const windows = this.opts.bulk ? ['-c', 'core.packedGitWindowSize=32m', '-c', 'core.packedGitLimit=128m'] : [];
    // One request whose input is closed at once (forEachObject) needn't see each object as soon as
    // git has it: --buffer lets git fill its output buffer instead of a write (and a wake-up here)
    // per object — at 100,000 objects over a million syscalls.
    const buffer = this.opts.oneRequest ? ['--buffer'] : [];
    const child = spawn('git', [...windows, 'cat-file', '--batch', ...buffer], { cwd: this.root, env: { ...process.env, ...READ_ENV }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout.on('data', (chunk: Buffer) => this.records.push(chunk));
    child.stderr.on('data', (d: Buffer) => this.stderr.push(d));
    child.stdin.on('error', () => {}); // git died: 'close' reports it
    child.on('error', (e) => this.fail(new GitError(`could not run git: ${e.message}`, { hint: 'install git and put it on PATH' })));
    // Whenever git is gone (closed by us, or it died), requests still waiting fail with git's words.
    child.on('close', (code) => this.fail(new GitError(`git cat-file --batch failed: ${Buffer.concat(this.stderr).toString('utf8').trim() || `exit ${code}`}`)));
  }

  /** Ends git's input; it exits once it has answered what was asked. Later requests fail. */
  close(): void {
    this.child?.stdin.end();
    this.dead ??= new GitError('git cat-file --batch: the reader is closed');
  }

  /**
   * Calls `fn` for each of `names` that exists, in order, as git answers; `content` is valid
   * only during the call (copy what you keep), so a whole registry streams through in bounded memory.
   * An error thrown by `fn` is this request's failure; the reader stays usable.
   */
  each(names: string[], fn: (name: string, type: string, content: Buffer, index: number) => void): Promise<void> {
    return this.ask(names, fn);
  }

  /** Objects by name: type and (copied) content of each that exists. */
  async read(names: string[]): Promise<Map<string, { type: string; data: Buffer }>> {
    const out = new Map<string, { type: string; data: Buffer }>();
    await this.ask([...new Set(names)], (name, type, content) => out.set(name, { type, data: Buffer.from(content) }));
    return out;
  }

  /**
   * One round of a lookup whose next names come from this round's answers (a tree, then paths
   * inside it): each name's object in order, or undefined when git has none.
   */
  async objects(names: string[]): Promise<(GitObject | undefined)[]> {
    // A name is one line of the protocol; a line break would make it two.
    if (names.some((n) => /[\n\r]/.test(n))) throw new GitError('an object name cannot hold a line break');
    const got: (GitObject | undefined)[] = new Array(names.length).fill(undefined);
    await this.ask(names, (_name, type, content, i, oid) => (got[i] = { oid, type, content: Buffer.from(content) }));
    return got;
  }

  private ask(names: string[], fn: OnObject): Promise<void> {
    if (names.length === 0) return Promise.resolve();
    this.start();
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      this.queue.push({ names, fn, answered: 0, resolve, reject });
      this.child!.stdin.write(names.join('\n') + '\n');
    });
  }

  private take(header: string, body: Buffer | undefined): void {
    const req = this.queue[0];
    if (!req) return; // git answers only what was asked
    const index = req.answered;
    if (body !== undefined && !req.failure) {
      const sp = header.indexOf(' ');
      try {
        req.fn(req.names[index]!, header.slice(sp + 1, header.lastIndexOf(' ')), body, index, header.slice(0, sp));
      } catch (e) {
        req.failure = e; // keep reading this request's answers; report at its end
      }
    }
    if (++req.answered === req.names.length) {
      this.queue.shift();
      if (req.failure) req.reject(req.failure);
      else req.resolve();
    }
  }

  private fail(e: GitError): void {
    this.dead ??= e;
    for (const r of this.queue.splice(0)) r.reject(e);
  }
}

/**
 * Streams objects through a reader of their own, calling `fn` in input order for each object that
 * exists, with the name as given and its index in `names`; see ObjectReader.each.
 */
export async function forEachObject(root: string, names: string[], fn: (name: string, content: Buffer, index: number) => void): Promise<void> {
  if (names.length === 0) return;
  const reader = new ObjectReader(root, { bulk: names.length >= BULK_READ, oneRequest: true });
  const done = reader.each(names, (name, _type, content, index) => fn(name, content, index));
  // All the names are written: git may see the end of its input and exit once it has answered.
  reader.close();
  await done;
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
