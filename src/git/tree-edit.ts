// Commits without a checkout (issue #15): a training node with no clone, or a bare cache of the
// remote, must turn "these files change" into a commit whose cost does not grow with the number of
// models. A real `git commit` can't: it needs an index and a work tree, and refreshing an index of
// 100,000 files is git's own floor. Here the new commit is built from the base commit's trees
// alone: only the trees along the changed paths are read (one `cat-file --batch` process, one round
// per depth), edited in memory, hashed here, and written with every new blob in one `git
// unpack-objects` (a pack made in memory, so two new blobs and three new trees cost one process,
// not five); then `git commit-tree` makes the commit in the user's environment (identity, dates,
// signing as `git commit` would). No index, no work tree, no ref is touched: moving a branch to
// the result, and validating it, is the caller's job.
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

/** A tree entry as git stores it: the name as bytes (git doesn't require UTF-8), the id as raw bytes. */
interface Entry {
  mode: string;
  name: Buffer;
  oid: Buffer;
}

/** The edits below one directory: files set or deleted here, and the subdirectories with edits of their own. */
interface DirEdit {
  path: string; // '' for the root, else 'models/mscn'
  files: Map<string, Buffer | null>;
  dirs: Map<string, DirEdit>;
  /** this directory's tree in the base, once known */
  baseOid?: string;
  baseEntries?: Entry[];
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
    const got = await reader.objects(oids);
    const trees = new Map<string, Entry[]>();
    oids.forEach((oid, i) => {
      const obj = got[i];
      if (!obj || obj.type !== 'tree') throw new GitError(`git could not read tree ${oid}${obj ? ` (it is a ${obj.type})` : ''}`);
      trees.set(oid, parseTree(obj.content, oid.length / 2));
    });
    const next: DirEdit[] = [];
    for (const dir of level) {
      dir.baseEntries = trees.get(dir.baseOid!)!;
      if (!dir.dirs.size) continue;
      const byName = indexByName(dir.baseEntries);
      for (const [name, sub] of dir.dirs) {
        const entry = byName.get(nameKey(name));
        if (!entry) continue; // a new directory
        if (isTree(entry)) {
          sub.baseOid = entry.oid.toString('hex');
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

function parseTree(content: Buffer, idBytes: number): Entry[] {
  const entries: Entry[] = [];
  for (let pos = 0; pos < content.length; ) {
    const space = content.indexOf(32, pos);
    const nul = content.indexOf(0, space + 1);
    if (space < 0 || nul < 0 || nul + 1 + idBytes > content.length) throw new GitError('git gave a tree object that does not parse');
    entries.push({ mode: content.toString('latin1', pos, space), name: content.subarray(space + 1, nul), oid: content.subarray(nul + 1, nul + 1 + idBytes) });
    pos = nul + 1 + idBytes;
  }
  return entries;
}

// ---- building the new trees, bottom-up

/**
 * The new tree of `dir` (its id), recording every object that is new in `objects`; undefined when
 * the directory ends up empty. Entries the edits don't touch keep their bytes and their order.
 */
function buildTree(dir: DirEdit, algo: HashAlgo, objects: Map<string, NewObject>): Buffer | undefined {
  const base = dir.baseEntries ?? [];
  const byName = indexByName(base);
  const replaced = new Map<Entry, Entry | undefined>(); // base entry → its new version (undefined: removed)
  const added: Entry[] = [];

  for (const [name, content] of dir.files) {
    const existing = byName.get(nameKey(name));
    const path = join(dir.path, name);
    if (existing && isTree(existing)) throw new ConflictError(`${quote(path)} is a directory in the base commit; ${content === null ? 'only files are deleted' : "a file can't replace it"}`);
    if (content === null) {
      if (existing) replaced.set(existing, undefined);
      continue;
    }
    const oid = hashObject(algo, OBJ_BLOB, content, objects, existing?.oid.toString('hex'));
    // An executable file stays executable, as `git add` of the edited file would keep it; a
    // symbolic link or submodule given content becomes a plain file.
    const entry = { mode: existing?.mode === '100755' ? '100755' : '100644', name: Buffer.from(name, 'utf8'), oid };
    if (existing) replaced.set(existing, entry);
    else added.push(entry);
  }

  for (const [name, sub] of dir.dirs) {
    const existing = byName.get(nameKey(name));
    const oid = buildTree(sub, algo, objects);
    if (existing && isTree(existing)) replaced.set(existing, oid && { mode: TREE_MODE, name: existing.name, oid });
    else if (oid) added.push({ mode: TREE_MODE, name: Buffer.from(name, 'utf8'), oid }); // (a file here was deleted above)
  }

  const kept: Entry[] = [];
  for (const e of base) {
    if (!replaced.has(e)) kept.push(e);
    else if (replaced.get(e)) kept.push(replaced.get(e)!);
  }
  if (dir.baseOid && !added.length && !replaced.size) return Buffer.from(dir.baseOid, 'hex');
  const entries = mergeSorted(kept, added.sort(compareEntries));
  if (!entries.length) return undefined;
  return hashObject(algo, OBJ_TREE, encodeTree(entries), objects, dir.baseOid);
}

/**
 * git's order of tree entries (base_name_compare): names as bytes, a directory compared as if its
 * name ended in '/'. So `a.b` < `a/` (a directory) < `a0`, and a file `a` < `a-b` < `a.b`.
 */
function compareEntries(a: Entry, b: Entry): number {
  const n = Math.min(a.name.length, b.name.length);
  const c = a.name.compare(b.name, 0, n, 0, n);
  if (c) return c;
  const next = (e: Entry) => (e.name.length > n ? e.name[n]! : isTree(e) ? SLASH : 0);
  return next(a) - next(b);
}

/** `kept` is in git's order already (the base tree's, edited in place): merging beats re-sorting 30,000 entries. */
function mergeSorted(kept: Entry[], added: Entry[]): Entry[] {
  if (!added.length) return kept;
  const out: Entry[] = [];
  let i = 0;
  let j = 0;
  while (i < kept.length && j < added.length) out.push(compareEntries(kept[i]!, added[j]!) <= 0 ? kept[i++]! : added[j++]!);
  while (i < kept.length) out.push(kept[i++]!);
  while (j < added.length) out.push(added[j++]!);
  return out;
}

function encodeTree(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) parts.push(Buffer.from(`${e.mode} `, 'latin1'), e.name, Buffer.of(0), e.oid);
  return Buffer.concat(parts);
}

const isTree = (e: Entry) => e.mode === TREE_MODE;
// Names are compared as git stores them, byte for byte; latin1 maps each byte to one char.
const nameKey = (name: string) => Buffer.from(name, 'utf8').toString('latin1');
const join = (dir: string, name: string) => (dir ? `${dir}/${name}` : name);
const quote = (path: string) => JSON.stringify(path);

function indexByName(entries: Entry[]): Map<string, Entry> {
  const byName = new Map<string, Entry>();
  for (const e of entries) byName.set(e.name.toString('latin1'), e);
  return byName;
}

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
  for (const o of objects) parts.push(packObjectHeader(o.type, o.body.length), deflateSync(o.body, { level: 0 }));
  const body = Buffer.concat(parts);
  const pack = Buffer.concat([body, createHash(algo).update(body).digest()]);
  const r = await git.run(['unpack-objects', '-q'], { input: pack });
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

/** Whether the user's config asks for signed commits (`commit.gpgSign`, read as git reads a boolean). */
async function signsCommits(git: Git): Promise<boolean> {
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
