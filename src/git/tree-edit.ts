// Commits without a checkout (issue #15): a training node with no clone, or a bare cache of the
// remote, must turn "these files change" into a commit whose cost does not grow with the number of
// models. A real `git commit` can't: it needs an index and a work tree, and refreshing an index of
// 100,000 files is git's own floor. Here the new commit is built from the base commit's trees
// alone: only the trees along the changed paths are read (one `cat-file --batch` process, one round
// per depth), edited as bytes, hashed here, and written with every new blob in one `git
// unpack-objects` (a pack made in memory, so two new blobs and three new trees cost one process,
// not five); then `git commit-tree` makes the commit in the user's environment (identity, dates,
// signing as `git commit` would). No index, no work tree, no ref is touched: moving a branch to
// the result, and validating it, is the caller's job. What is left growing is the size of the
// directories on the path: git stores a directory as one object, so models/<algo>/ is read and
// written whole (2.4 MB at 50,000 models of one algorithm).
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { ConflictError, GitError, NotFoundError, StorageError, UnsafeFileError } from '../errors.js';
import { storageFailureLine, type Git, type RunResult } from './git.js';
import type { ObjectReader } from './objects.js';

/** One file of the new commit: its content, or null to delete it (a deleted path that isn't there is no change). */
export interface FileChange {
  path: string;
  content: string | Buffer | null;
}

export interface CommitTreeRequest {
  /** The commit the changes apply to (any name git resolves to a commit); undefined: a root commit. */
  base: string | undefined;
  changes: FileChange[];
  /** Kept as given (no cleanup, no comment stripping), with a final newline as `git commit -m` writes it. */
  message: string;
  /** Author of the change (a drained or replayed write keeps its original one); the committer is always whoever runs this. */
  author?: { name: string; email: string; date: string };
  /** The new commit's parents; default: the base commit alone (none without a base). */
  parents?: string[];
  /** A reader the caller already has open (it stays open); otherwise one is started and closed here. */
  reader?: ObjectReader;
}

const OBJ_TREE = 2;
const OBJ_BLOB = 3;
const TREE_MODE = '40000';
const SLASH = 0x2f;

/** The edits below one directory: files set or deleted here, and the subdirectories with edits of their own. */
interface DirEdit {
  path: string; // '' for the root, else 'models/mscn'
  files: Map<string, Buffer | null>;
  dirs: Map<string, DirEdit>;
  /** this directory's tree in the base, once known */
  baseOid?: string;
  base?: RawTree;
}

interface NewObject {
  type: typeof OBJ_TREE | typeof OBJ_BLOB;
  body: Buffer;
}

/**
 * Makes a commit of `base` plus `changes` and returns its id. Refuses a path that could escape the
 * tree or write into `.git` (UnsafeFileError), and a change that would need a file to become a
 * directory or the other way round (ConflictError): deleting the file in the same request is how a
 * file becomes a directory. A directory left empty disappears, as in git.
 */
export async function commitTree(git: Git, req: CommitTreeRequest): Promise<string> {
  const root = editTree(req.changes);
  // Independent of what the trees hold: asked while they are being read.
  const signing = signsCommits(git);
  const format = req.base === undefined ? objectFormatOf(git) : undefined;
  format?.catch(() => {});
  signing.catch(() => {});

  let baseCommit: string | undefined;
  let algo: HashAlgo;
  if (req.base !== undefined) {
    const reader = req.reader ?? git.objectReader();
    try {
      const base = await readBase(reader, req.base);
      baseCommit = base.commit;
      algo = base.commit.length === 64 ? 'sha256' : 'sha1';
      root.baseOid = base.tree;
      await readTreesOnPaths(reader, root);
    } finally {
      if (!req.reader) reader.close();
    }
  } else {
    algo = await format!;
  }

  const objects = new Map<string, NewObject>();
  const tree = buildTree(root, algo, objects) ?? hashObject(algo, OBJ_TREE, Buffer.alloc(0), objects);
  if (objects.size) await writeObjects(git, [...objects.values()], algo);

  const parents = req.parents ?? (baseCommit ? [baseCommit] : []);
  return makeCommit(git, tree.toString('hex'), parents, req, await signing);
}

// ---- the request, as edits per directory

/** The edits as a tree of directories, each path checked; a path changed twice is refused. */
function editTree(changes: FileChange[]): DirEdit {
  const root: DirEdit = { path: '', files: new Map(), dirs: new Map() };
  const seen = new Set<string>();
  for (const change of changes) {
    const segments = checkedPath(change.path);
    if (seen.has(change.path)) throw new ConflictError(`${quote(change.path)} is changed twice in one commit`);
    seen.add(change.path);
    let dir = root;
    for (const seg of segments.slice(0, -1)) {
      let sub = dir.dirs.get(seg);
      if (!sub) dir.dirs.set(seg, (sub = { path: join(dir.path, seg), files: new Map(), dirs: new Map() }));
      dir = sub;
    }
    const content = change.content === null ? null : typeof change.content === 'string' ? Buffer.from(change.content, 'utf8') : change.content;
    dir.files.set(segments[segments.length - 1]!, content);
  }
  refuseFileAndDirectory(root);
  return root;
}

/** A name both written as a file and used as a directory in the same request (deleting it is fine). */
function refuseFileAndDirectory(dir: DirEdit): void {
  for (const [name, sub] of dir.dirs) {
    if (dir.files.get(name)) throw new ConflictError(`${quote(join(dir.path, name))} is written as a file and as a directory in one commit`);
    refuseFileAndDirectory(sub);
  }
}

/**
 * The segments of a path that stays inside the tree: relative, no empty, `.` or `..` segment, no
 * `.git` in any case (git itself refuses to check such a tree out), no NUL (a tree can't hold it).
 */
function checkedPath(path: string): string[] {
  const refuse = (why: string) => new UnsafeFileError(`${quote(path)} can't be written into a commit: ${why}`);
  if (typeof path !== 'string' || path === '') throw refuse('the path is empty');
  if (path.startsWith('/')) throw refuse('the path is absolute');
  if (path.includes('\0')) throw refuse('the path holds a NUL byte');
  const segments = path.split('/');
  for (const seg of segments) {
    if (seg === '') throw refuse('the path has an empty segment');
    if (seg === '.' || seg === '..') throw refuse(`the path has a '${seg}' segment`);
    if (seg.toLowerCase() === '.git') throw refuse("the path has a '.git' segment");
  }
  return segments;
}

// ---- reading the base: only the trees on the changed paths

async function readBase(reader: ObjectReader, base: string): Promise<{ commit: string; tree: string }> {
  const [commit] = await reader.objects([`${base}^{commit}`]);
  if (!commit || commit.type !== 'commit') throw new NotFoundError(`${quote(base)} is not a commit here`);
  const tree = /^tree ([0-9a-f]{40,64})$/m.exec(commit.content.toString('latin1', 0, Math.min(commit.content.length, 200)))?.[1];
  if (!tree) throw new GitError(`git gave a commit ${commit.oid} without a tree`);
  return { commit: commit.oid, tree };
}

/**
 * Reads, depth by depth, the base tree of every directory that has edits: one request per depth
 * to the one reader, so a model file three levels down costs three rounds whatever the registry
 * holds. A directory new in this commit has no base tree and nothing below it is read.
 */
async function readTreesOnPaths(reader: ObjectReader, root: DirEdit): Promise<void> {
  for (let level = [root]; level.length; ) {
    const oids = [...new Set(level.map((d) => d.baseOid!))];
    const trees = new Map<string, RawTree>();
    await reader.each(oids, (oid, type, content) => {
      if (type !== 'tree') throw new GitError(`${oid} is a ${type}, not a tree`);
      // (`content` is git's stream, valid only during this call; one plain copy of it is kept)
      const kept = Buffer.allocUnsafe(content.length);
      content.copy(kept);
      trees.set(oid, new RawTree(kept, oid.length / 2));
    });
    const missing = oids.find((oid) => !trees.has(oid));
    if (missing) throw new GitError(`git could not read tree ${missing}`);
    const next: DirEdit[] = [];
    for (const dir of level) {
      const base = (dir.base = trees.get(dir.baseOid!)!);
      for (const [name, sub] of dir.dirs) {
        const at = base.find(Buffer.from(name, 'utf8'));
        if (at < 0) continue; // a new directory
        if (base.isTree(at)) {
          sub.baseOid = base.oid(at).toString('hex');
          next.push(sub);
        } else if (dir.files.get(name) !== null) {
          // (null: the same request deletes the file, so the directory may take its place)
          throw new ConflictError(`${quote(join(dir.path, name))} is a file in the base commit; ${quote(firstPathUnder(sub))} can't go under it`);
        }
      }
    }
    level = next;
  }
}

/**
 * A tree object as git gave it, with where each entry starts: at 100,000 models one directory
 * holds 50,000 entries, and an object per entry (or a map of their names) cost more than the rest
 * of a commit together. Lookups are binary searches in git's order; the new tree is the old bytes
 * copied in runs, with the few edited entries spliced in.
 */
class RawTree {
  /** where entry i starts; one more element holds the end of the buffer */
  private readonly starts: Int32Array;
  /** where entry i's name ends (its NUL) */
  private readonly nuls: Int32Array;

  constructor(
    readonly bytes: Buffer,
    private readonly idBytes: number,
  ) {
    const starts: number[] = [];
    const nuls: number[] = [];
    // `<mode> <name>\0<id>`: a mode and a name hold no NUL, so each entry is found by its NUL.
    for (let pos = 0; pos < bytes.length; ) {
      const nul = bytes.indexOf(0, pos);
      if (nul < 0 || nul + 1 + idBytes > bytes.length) throw new GitError('git gave a tree object that does not parse');
      starts.push(pos);
      nuls.push(nul);
      pos = nul + 1 + idBytes;
    }
    starts.push(bytes.length);
    this.starts = Int32Array.from(starts);
    this.nuls = Int32Array.from(nuls);
  }

  get length(): number {
    return this.nuls.length;
  }

  isTree(i: number): boolean {
    return isTreeMode(this.mode(i));
  }

  mode(i: number): string {
    const start = this.starts[i]!;
    return this.bytes.toString('latin1', start, this.bytes.indexOf(32, start));
  }

  oid(i: number): Buffer {
    return this.bytes.subarray(this.nuls[i]! + 1, this.nuls[i]! + 1 + this.idBytes);
  }

  /** The whole entry, as stored. */
  entry(i: number): Buffer {
    return this.bytes.subarray(this.starts[i]!, this.starts[i + 1]!);
  }

  /** Entries i..j-1 as stored, one slice. */
  run(i: number, j: number): Buffer {
    return this.bytes.subarray(this.starts[i]!, this.starts[j]!);
  }

  /** The entry named `name`, a file or a directory; -1 when there is none. */
  find(name: Buffer): number {
    // A file `n` sorts as `n`, a directory as `n/`: look where each would be.
    for (const tree of [false, true]) {
      const at = this.lowerBound(name, tree);
      if (at < this.length && this.nameEquals(at, name)) return at;
    }
    return -1;
  }

  /** Where an entry `name` (a directory when `tree`) goes: the first entry not before it. */
  lowerBound(name: Buffer, tree: boolean): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compareTo(mid, name, tree) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private nameEquals(i: number, name: Buffer): boolean {
    const from = this.bytes.indexOf(32, this.starts[i]!) + 1;
    return this.nuls[i]! - from === name.length && this.bytes.compare(name, 0, name.length, from, this.nuls[i]!) === 0;
  }

  /** Entry i against `name` in git's order (see compareNames). */
  private compareTo(i: number, name: Buffer, tree: boolean): number {
    const space = this.bytes.indexOf(32, this.starts[i]!);
    return compareNames(this.bytes, space + 1, this.nuls[i]!, this.isTree(i), name, 0, name.length, tree);
  }
}

// ---- building the new trees, bottom-up

/** An entry new in a tree: where it goes among the base's entries, and its bytes. */
interface Insertion {
  at: number;
  name: Buffer;
  tree: boolean;
  bytes: Buffer;
}

/**
 * The new tree of `dir` (its id), recording every object that is new in `objects`; undefined when
 * the directory ends up empty. Entries the edits don't touch keep their bytes and their order.
 */
function buildTree(dir: DirEdit, algo: HashAlgo, objects: Map<string, NewObject>): Buffer | undefined {
  const base = dir.base;
  const removed = new Set<number>();
  const replaced = new Map<number, Buffer>(); // same name, same kind: same place
  const inserted: Insertion[] = [];
  const insert = (name: Buffer, tree: boolean, bytes: Buffer) => inserted.push({ at: base ? base.lowerBound(name, tree) : 0, name, tree, bytes });

  for (const [name, content] of dir.files) {
    const nameBytes = Buffer.from(name, 'utf8');
    const at = base ? base.find(nameBytes) : -1;
    const path = join(dir.path, name);
    if (at >= 0 && base!.isTree(at)) throw new ConflictError(`${quote(path)} is a directory in the base commit; ${content === null ? 'only files are deleted' : "a file can't replace it"}`);
    if (content === null) {
      if (at >= 0) removed.add(at);
      continue;
    }
    const oid = hashObject(algo, OBJ_BLOB, content, objects, at >= 0 ? base!.oid(at).toString('hex') : undefined);
    // An executable file stays executable, as `git add` of the edited file would keep it; a
    // symbolic link or submodule given content becomes a plain file.
    const bytes = entryBytes(at >= 0 && base!.mode(at) === '100755' ? '100755' : '100644', nameBytes, oid);
    if (at >= 0) replaced.set(at, bytes);
    else insert(nameBytes, false, bytes);
  }

  for (const [name, sub] of dir.dirs) {
    const nameBytes = Buffer.from(name, 'utf8');
    const at = base ? base.find(nameBytes) : -1;
    const oid = buildTree(sub, algo, objects);
    if (at >= 0 && base!.isTree(at)) {
      if (oid) replaced.set(at, entryBytes(TREE_MODE, nameBytes, oid));
      else removed.add(at);
    } else if (oid) {
      insert(nameBytes, true, entryBytes(TREE_MODE, nameBytes, oid)); // (a file here was deleted above)
    }
  }

  if (base && !removed.size && !replaced.size && !inserted.length) return Buffer.from(dir.baseOid!, 'hex');
  const body = splice(base, removed, replaced, inserted);
  if (!body.length) return undefined;
  return hashObject(algo, OBJ_TREE, body, objects, dir.baseOid);
}

/** The base tree's bytes with the edits applied: untouched entries are copied in runs, in their order. */
function splice(base: RawTree | undefined, removed: Set<number>, replaced: Map<number, Buffer>, inserted: Insertion[]): Buffer {
  inserted.sort((a, b) => a.at - b.at || compareNames(a.name, 0, a.name.length, a.tree, b.name, 0, b.name.length, b.tree));
  const parts: Buffer[] = [];
  const n = base?.length ?? 0;
  let next = 0; // the next insertion
  let runFrom = 0; // the start of the run of untouched entries being gathered
  for (let i = 0; i <= n; i++) {
    const touched = i === n || removed.has(i) || replaced.has(i) || inserted[next]?.at === i;
    if (!touched) continue;
    if (runFrom < i) parts.push(base!.run(runFrom, i));
    while (inserted[next]?.at === i) parts.push(inserted[next++]!.bytes);
    if (i < n && replaced.has(i)) parts.push(replaced.get(i)!);
    else if (i < n && !removed.has(i)) parts.push(base!.entry(i));
    runFrom = i + 1;
  }
  return Buffer.concat(parts);
}

/**
 * git's order of tree entries (base_name_compare): names as bytes, a directory compared as if its
 * name ended in '/'. So `a.b` < `a/` (a directory) < `a0`, and a file `a` < `a-b` < `a.b`.
 */
function compareNames(a: Buffer, aFrom: number, aTo: number, aTree: boolean, b: Buffer, bFrom: number, bTo: number, bTree: boolean): number {
  const aLen = aTo - aFrom;
  const bLen = bTo - bFrom;
  const n = Math.min(aLen, bLen);
  const c = a.compare(b, bFrom, bFrom + n, aFrom, aFrom + n);
  if (c) return c;
  const aNext = aLen > n ? a[aFrom + n]! : aTree ? SLASH : 0;
  const bNext = bLen > n ? b[bFrom + n]! : bTree ? SLASH : 0;
  return aNext - bNext;
}

function entryBytes(mode: string, name: Buffer, oid: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${mode} `, 'latin1'), name, Buffer.of(0), oid]);
}

// (an old git wrote directories as `040000`; fsck only warns, so such trees still exist)
const isTreeMode = (mode: string) => mode === TREE_MODE || mode === '040000';
const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);
const quote = (path: string) => JSON.stringify(path);

function firstPathUnder(dir: DirEdit): string {
  const file = dir.files.keys().next();
  if (!file.done) return join(dir.path, file.value);
  return firstPathUnder(dir.dirs.values().next().value!);
}

// ---- writing objects

type HashAlgo = 'sha1' | 'sha256';

/** The id git gives an object, recording it to be written unless it is `known` (the base's own). */
function hashObject(algo: HashAlgo, type: NewObject['type'], body: Buffer, objects: Map<string, NewObject>, known?: string): Buffer {
  const oid = createHash(algo)
    .update(`${type === OBJ_TREE ? 'tree' : 'blob'} ${body.length}\0`)
    .update(body)
    .digest();
  const hex = oid.toString('hex');
  if (hex !== known) objects.set(hex, { type, body });
  return oid;
}

/**
 * Writes every new object as loose objects through one `git unpack-objects`, fed a pack made here:
 * one process whatever the number of blobs and trees. The objects go in stored (zlib level 0), as
 * git compresses each anyway when it writes it, and an object git already has is skipped by git.
 */
async function writeObjects(git: Git, objects: NewObject[], algo: HashAlgo): Promise<void> {
  const parts: Buffer[] = [Buffer.from('PACK'), u32(2), u32(objects.length)];
  // (one output chunk: a 3 MB directory tree is otherwise gathered from 16 kB pieces)
  for (const o of objects) parts.push(packObjectHeader(o.type, o.body.length), deflateSync(o.body, { level: 0, chunkSize: Math.max(o.body.length + 1024, 16_384) }));
  const checksum = createHash(algo);
  for (const part of parts) checksum.update(part);
  parts.push(checksum.digest());
  const r = await git.run(['unpack-objects', '-q'], { input: Buffer.concat(parts) });
  if (r.code !== 0) throw failure('could not write the new objects (git unpack-objects)', r);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** A pack entry's header: type and size, the size's low 4 bits first, then 7 bits a byte. */
function packObjectHeader(type: number, size: number): Buffer {
  const bytes: number[] = [];
  let b = (type << 4) | (size & 0x0f);
  size = Math.floor(size / 16);
  while (size > 0) {
    bytes.push(b | 0x80);
    b = size & 0x7f;
    size = Math.floor(size / 128);
  }
  bytes.push(b);
  return Buffer.from(bytes);
}

// ---- the commit

/**
 * `git commit-tree` in the user's whole environment, so author and committer come from the
 * GIT_AUTHOR_ and GIT_COMMITTER_ variables and user.name/user.email exactly as for `git commit`.
 * commit-tree does not read commit.gpgSign itself (only `git commit` does), so the caller passes
 * what it found: `-S` signs with the user's gpg.format, gpg.program and user.signingKey.
 */
async function makeCommit(git: Git, tree: string, parents: string[], req: CommitTreeRequest, sign: boolean): Promise<string> {
  const message = req.message.endsWith('\n') ? req.message : `${req.message}\n`;
  const env = req.author ? { GIT_AUTHOR_NAME: req.author.name, GIT_AUTHOR_EMAIL: req.author.email, GIT_AUTHOR_DATE: req.author.date } : {};
  const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), ...(sign ? ['-S'] : []), '-F', '-'];
  const r = await git.write(args, { input: message, env });
  if (r.code !== 0) throw failure('could not make the commit (git commit-tree)', r);
  return r.stdout.toString('utf8').trim();
}

// Asked once per Git: a drain or an import makes many commits in one process, and each answer
// costs a git process while the config doesn't change under a running command.
const signingOf = new WeakMap<Git, Promise<boolean>>();

/** Whether the user's config asks for signed commits (`commit.gpgSign`, read as git reads a boolean). */
function signsCommits(git: Git): Promise<boolean> {
  let answer = signingOf.get(git);
  if (!answer) {
    signingOf.set(git, (answer = readSigning(git)));
    answer.catch(() => signingOf.delete(git)); // a failure is reported, not remembered
  }
  return answer;
}

async function readSigning(git: Git): Promise<boolean> {
  const r = await git.run(['config', '--type=bool', '--get', 'commit.gpgsign']);
  if (r.code === 1) return false; // not set
  if (r.code !== 0) throw failure('could not read commit.gpgSign', r);
  return r.stdout.toString('utf8').trim() === 'true';
}

/** sha1 or sha256: the ids this repository's objects have (asked only when no base commit says). */
async function objectFormatOf(git: Git): Promise<HashAlgo> {
  const r = await git.run(['rev-parse', '--show-object-format']);
  if (r.code !== 0) throw failure('could not tell the object format', r);
  const format = r.stdout.toString('utf8').trim();
  if (format !== 'sha1' && format !== 'sha256') throw new GitError(`unknown object format ${quote(format)}`);
  return format;
}

/** One line saying what failed: the storage's refusal as a StorageError, else git's last words. */
function failure(what: string, r: RunResult): GitError | StorageError {
  const storage = storageFailureLine(r.stderr);
  if (storage) return new StorageError(`${what}: ${storage}`);
  const last = r.signal ? `killed by ${r.signal}` : r.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit ${r.code}`;
  return new GitError(`${what}: ${last}`, { data: { stderr: r.stderr } });
}
