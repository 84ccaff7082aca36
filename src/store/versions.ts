// One version of the registry's files — a commit, the index, or the working tree — behind the
// same three questions, so `validate` checks "what would be committed" the same way whichever
// version that is. Every question is answered by a path listing plus, for texts, one
// `git cat-file --batch`; nothing here walks the whole registry unless asked for many ids at once.
import { lstatSync, readFileSync, type Stats } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { nameProblem } from '../domain/names.js';
import type { Git, TreeEntry } from '../git/git.js';
import type { ObjectReader } from '../git/objects.js';

// validate keeps one reader for its whole run (git/objects.ts).
export { ObjectReader } from '../git/objects.js';

export interface RegistryVersion {
  /** for messages: "HEAD", "the index", "the working tree", a short commit */
  readonly name: string;
  /** Texts of those `paths` that exist in this version (regular files only). */
  read(paths: string[]): Promise<Map<string, string>>;
  /** Which of `paths` exist in this version (a listing; no contents read). */
  existing(paths: string[]): Promise<Set<string>>;
  /** Every `<modelsDir>/<any>/<id>.json` in this version for the given ids (a listing; no contents read). */
  pathsForIds(modelsDir: string, ids: string[]): Promise<string[]>;
  /** Every file under `dir` in this version. */
  list(dir: string): Promise<string[]>;
}

// Stays well under the kernel's argument limit while keeping the number of git spawns small.
const CHUNK = 1000;
// Past this many ids one full listing is cheaper than a pattern per id.
const MANY_IDS = 200;

function chunks<T>(items: T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

const REGULAR = new Set(['100644', '100755']);

/** Lookups need names that can't be patterns; an unsafe id is reported elsewhere and can't clash here. */
function lookupIds(ids: string[]): string[] {
  return [...new Set(ids)].filter((id) => nameProblem('model id', id) === undefined);
}

function matchingIds(modelsDir: string, paths: string[], ids: string[]): string[] {
  const wanted = new Set(ids);
  return paths.filter((p) => {
    const rest = p.slice(modelsDir.length + 1).split('/');
    return p.startsWith(`${modelsDir}/`) && rest.length === 2 && rest[1]!.endsWith('.json') && wanted.has(rest[1]!.slice(0, -5));
  });
}

/** Texts of blobs by id, through the run's reader. */
export async function blobTexts(reader: ObjectReader, oids: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await reader.each([...new Set(oids)], (oid, type, content) => {
    if (type === 'blob') out.set(oid, content.toString('utf8'));
  });
  return out;
}

const batchable = (p: string) => !p.includes('\n');

/** Reads or checks paths through names `prefix + path`, falling back to a listing for the rare unbatchable path. */
async function byName(
  reader: ObjectReader,
  prefix: string,
  paths: string[],
  contents: boolean,
  fallback: (paths: string[]) => Promise<TreeEntry[]>,
): Promise<Map<string, string | true>> {
  const out = new Map<string, string | true>();
  const direct = [...new Set(paths)].filter(batchable);
  const names = direct.map((p) => prefix + p);
  await reader.each(names, (_name, type, content, i) => {
    if (type === 'blob') out.set(direct[i]!, contents ? content.toString('utf8') : true);
  });
  const rest = paths.filter((p) => !batchable(p));
  if (rest.length) {
    const entries = await fallback(rest);
    if (contents) for (const [p, t] of await textsOf(reader, entries)) out.set(p, t);
    else for (const e of entries) out.set(e.path, true);
  }
  return out;
}

async function textsOf(reader: ObjectReader, entries: TreeEntry[]): Promise<Map<string, string>> {
  const files = entries.filter((e) => REGULAR.has(e.mode));
  const blobs = await blobTexts(reader, files.map((e) => e.oid));
  const out = new Map<string, string>();
  for (const e of files) {
    const t = blobs.get(e.oid);
    if (t !== undefined) out.set(e.path, t);
  }
  return out;
}

/** The files of one commit. */
export class CommitVersion implements RegistryVersion {
  constructor(
    private readonly git: Git,
    private readonly reader: ObjectReader,
    readonly commit: string,
    readonly name = commit.slice(0, 12),
  ) {}

  private async entries(paths: string[]): Promise<TreeEntry[]> {
    const out: TreeEntry[] = [];
    for (const part of chunks([...new Set(paths)])) {
      out.push(...(await this.git.listTree(this.commit, part)).filter((e) => e.type === 'blob'));
    }
    return out;
  }

  async read(paths: string[]): Promise<Map<string, string>> {
    return (await byName(this.reader, `${this.commit}:`, paths, true, (p) => this.entries(p))) as Map<string, string>;
  }

  async existing(paths: string[]): Promise<Set<string>> {
    return new Set((await byName(this.reader, `${this.commit}:`, paths, false, (p) => this.entries(p))).keys());
  }

  async list(dir: string): Promise<string[]> {
    return this.git.listTreePaths(this.commit, dir);
  }

  /** path → blob id of every regular file under `dir`: one listing, for reading a whole tree by id. */
  async blobIds(dir: string): Promise<Map<string, string>> {
    const entries = await this.git.listTree(this.commit, [dir], { recursive: true });
    const ids = new Map<string, string>();
    for (const e of entries) if (e.type === 'blob' && REGULAR.has(e.mode)) ids.set(e.path, e.oid);
    return ids;
  }

  async pathsForIds(modelsDir: string, ids: string[]): Promise<string[]> {
    const wanted = lookupIds(ids);
    if (wanted.length === 0) return [];
    if (wanted.length > MANY_IDS) return matchingIds(modelsDir, await this.list(modelsDir), wanted);
    // The algorithm directories are few: list them, then ask for each candidate path exactly.
    const top = await this.git.listTree(this.commit, [`${modelsDir}/`]);
    const algorithms = top.filter((e) => e.type === 'tree').map((e) => e.path);
    const candidates = algorithms.flatMap((dir) => wanted.map((id) => `${dir}/${id}.json`));
    return [...(await this.existing(candidates))];
  }
}

/** The staged files: what `git commit` is about to record. Honours GIT_INDEX_FILE (`git commit -a`, `git commit PATH`). */
export class IndexVersion implements RegistryVersion {
  readonly name = 'the index';
  constructor(
    private readonly git: Git,
    private readonly reader: ObjectReader,
  ) {}

  private async entries(paths: string[]): Promise<TreeEntry[]> {
    const out: TreeEntry[] = [];
    for (const part of chunks([...new Set(paths)])) out.push(...(await this.git.lsIndex(part, { literal: true })));
    return out;
  }

  async read(paths: string[]): Promise<Map<string, string>> {
    // `:path` is the path's stage-0 entry in the index.
    return (await byName(this.reader, ':', paths, true, (p) => this.entries(p))) as Map<string, string>;
  }

  async existing(paths: string[]): Promise<Set<string>> {
    return new Set((await byName(this.reader, ':', paths, false, (p) => this.entries(p))).keys());
  }

  async list(dir: string): Promise<string[]> {
    return this.git.listFiles([dir], { pathspecs: 'literal' });
  }

  async pathsForIds(modelsDir: string, ids: string[]): Promise<string[]> {
    const wanted = lookupIds(ids);
    if (wanted.length === 0) return [];
    if (wanted.length > MANY_IDS) return matchingIds(modelsDir, await this.list(modelsDir), wanted);
    // `*` in glob magic stops at `/`, so this is exactly models/<algorithm>/<id>.json.
    const specs = wanted.map((id) => `:(glob)${modelsDir}/*/${id}.json`);
    return this.git.listFiles(specs, { pathspecs: 'magic' });
  }
}

/** The files on disk that git would see (tracked or untracked, not ignored). */
export class WorkingTreeVersion implements RegistryVersion {
  readonly name = 'the working tree';
  constructor(private readonly git: Git) {}

  /** A path inside the work tree, or undefined for one that would step outside it. */
  private abs(path: string): string | undefined {
    if (isAbsolute(path) || path.split(/[\\/]/).includes('..')) return undefined;
    return join(this.git.root, path);
  }

  isFile(path: string): boolean {
    return this.lstat(path)?.isFile() ?? false;
  }

  /** Whether `path` is a symbolic link on disk (never followed: links are no model files). */
  isSymlink(path: string): boolean {
    return this.lstat(path)?.isSymbolicLink() ?? false;
  }

  /** The path's own entry on disk (a link is not followed), or undefined: outside the tree or absent. */
  private lstat(path: string): Stats | undefined {
    const abs = this.abs(path);
    if (!abs) return undefined;
    try {
      return lstatSync(abs);
    } catch {
      return undefined;
    }
  }

  async read(paths: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const p of new Set(paths)) if (this.isFile(p)) out.set(p, readFileSync(this.abs(p)!, 'utf8'));
    return out;
  }

  async existing(paths: string[]): Promise<Set<string>> {
    return new Set(paths.filter((p) => this.isFile(p)));
  }

  async list(dir: string): Promise<string[]> {
    // A tracked file deleted on disk is still listed by ls-files -c.
    return (await this.listTagged(dir)).filter((e) => this.isFile(e.path)).map((e) => e.path);
  }

  /**
   * Every tracked or untracked path under `dir` (not yet checked to be a file on disk), each
   * with whether git tracks it plainly: in the index, neither skip-worktree nor assume-unchanged
   * (`ls-files -v` tag `H`), so `git diff` looked at its file on disk.
   */
  async listTagged(dir: string): Promise<{ path: string; plain: boolean }[]> {
    const records = await this.git.listFiles([dir], { untracked: 'also', tagged: true, pathspecs: 'literal' });
    const plain = new Map<string, boolean>(); // an unmerged path is listed once per stage
    for (const rec of records) {
      if (rec.length < 3) continue;
      const path = rec.slice(2);
      plain.set(path, (plain.get(path) ?? true) && rec.startsWith('H '));
    }
    return [...plain].map(([path, p]) => ({ path, plain: p }));
  }

  async pathsForIds(modelsDir: string, ids: string[]): Promise<string[]> {
    const wanted = lookupIds(ids);
    if (wanted.length === 0) return [];
    if (wanted.length > MANY_IDS) return matchingIds(modelsDir, await this.list(modelsDir), wanted);
    const specs = wanted.map((id) => `:(glob)${modelsDir}/*/${id}.json`);
    const listed = await this.git.listFiles(specs, { untracked: 'also', pathspecs: 'magic' });
    return [...new Set(listed)].filter((p) => this.isFile(p));
  }
}

/** Before the first commit there is nothing to compare with. */
export class EmptyVersion implements RegistryVersion {
  readonly name = 'the empty repository';
  async read(): Promise<Map<string, string>> {
    return new Map();
  }
  async existing(): Promise<Set<string>> {
    return new Set();
  }
  async pathsForIds(): Promise<string[]> {
    return [];
  }
  async list(): Promise<string[]> {
    return [];
  }
}
