// Opening a file modelgit did not make, safely: the one place that decides what may be read.
// Checksums (register --checksum, import), verify, and the readers of modelgit's own caches under
// .git/modelgit all open files through here, because following whatever is at a path let a FIFO
// or /dev/zero hang a command (or grow it to the OOM killer), a symlink loop end in a stack trace,
// and a `../` in a recorded path print the size and sha256 of any readable file. The rules:
// - only regular files are read: the file is opened O_NONBLOCK (a FIFO can't block the open) and
//   its fstat must say "regular file" before a byte is read; anything else is refused by name;
// - cache files are opened O_NOFOLLOW as well (a link planted in .git/modelgit is not followed)
//   and their size is capped;
// - a path inside an artifact directory must stay inside it after symlinks are resolved, and a
//   relative path given for one must not be absolute or climb with `..`.
import { closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UnsafeFileError } from '../errors.js';

export { UnsafeFileError };

// O_NOFOLLOW and O_NONBLOCK are POSIX; where the platform lacks them (Windows) the fstat check
// below still refuses anything but a regular file.
const NOFOLLOW = constants.O_NOFOLLOW ?? 0;
const NONBLOCK = constants.O_NONBLOCK ?? 0;

/** What a non-regular file is, for messages ("a FIFO", "a character device"…). */
export function kindOf(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function describeOpenError(path: string, e: NodeJS.ErrnoException): UnsafeFileError {
  if (e.code === 'ELOOP') return new UnsafeFileError(`${path} is a symbolic link (or a loop of links); modelgit does not follow it here`);
  if (e.code === 'ENOENT') return new UnsafeFileError(`${path} does not exist`);
  return new UnsafeFileError(`${path} cannot be opened: ${e.code ?? e.message}`);
}

/**
 * An fd for reading `path`, guaranteed to be a regular file. Never blocks on a FIFO; with
 * `noFollow` a symbolic link at `path` itself is refused (ELOOP) instead of followed. The caller
 * closes the fd.
 */
export function openRegularFile(path: string, opts: { noFollow?: boolean } = {}): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | NONBLOCK | (opts.noFollow ? NOFOLLOW : 0));
  } catch (e) {
    throw describeOpenError(path, e as NodeJS.ErrnoException);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UnsafeFileError(`${path} is ${kindOf(st)}; only regular files are read`);
    return { fd, size: st.size };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/**
 * The whole content of a regular file, at most `maxBytes` (a larger file is refused, and a file
 * that grows while read is cut at the cap, so a read can't grow without end).
 */
export function readRegularFile(path: string, opts: { maxBytes: number; noFollow?: boolean }): Buffer {
  const { fd, size } = openRegularFile(path, opts);
  try {
    if (size > opts.maxBytes) throw new UnsafeFileError(`${path} is ${size} bytes; at most ${opts.maxBytes} are read`);
    return readAll(fd, size);
  } finally {
    closeSync(fd);
  }
}

/** Largest cache file read whole (memo, YAML and history caches; the snapshot cache reads by offset). */
export const MAX_CACHE_FILE_BYTES = 1 << 30;

/** Whether an error only says the file is not there (a cache miss, not damage). */
export function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * A cache file under .git/modelgit: a link is not followed, a FIFO can't block, and it must be a
 * regular file. A missing file throws the open error as it is (check with isMissing: a miss);
 * anything odd throws UnsafeFileError, which the caller treats as damage: warn, fall back to git.
 * `update`: opened for writing too (a cache file extended where it is).
 */
export function openCacheFile(path: string, mode: 'read' | 'update' = 'read'): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, (mode === 'update' ? constants.O_RDWR : constants.O_RDONLY) | NONBLOCK | NOFOLLOW);
  } catch (e) {
    if (isMissing(e)) throw e;
    throw describeOpenError(path, e as NodeJS.ErrnoException);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UnsafeFileError(`${path} is ${kindOf(st)}, not a cache file`);
    return { fd, size: st.size };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/** A whole cache file, as openCacheFile opens it, refused above `maxBytes`. */
export function readCacheFile(path: string, maxBytes = MAX_CACHE_FILE_BYTES): Buffer {
  const { fd, size } = openCacheFile(path);
  try {
    if (size > maxBytes) throw new UnsafeFileError(`${path} is ${size} bytes, more than a cache file may be (${maxBytes})`);
    return readAll(fd, size);
  } finally {
    closeSync(fd);
  }
}

function readAll(fd: number, size: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  let done = 0;
  while (done < size) {
    const n = readSync(fd, buf, done, size - done, done);
    if (n === 0) break;
    done += n;
  }
  return done === size ? buf : buf.subarray(0, done);
}

// ---------- paths that must stay inside a directory ----------

/** Whether `path` is `dir` or inside it (both absolute and normalised). */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** Why a path recorded relative to an artifact directory is unsafe, or undefined when it is fine. */
export function relativePathProblem(rel: string): string | undefined {
  if (rel === '') return 'is empty';
  if (rel.includes('\0')) return 'contains a NUL byte';
  if (isAbsolute(rel) || /^[A-Za-z]:/.test(rel) || rel.startsWith('\\')) return 'is absolute; it must be relative to the artifact directory';
  if (rel.split(/[\\/]/).includes('..')) return 'climbs out with ".."; it must stay inside the artifact directory';
  return undefined;
}

function realOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * `rel` inside `dir`, checked: no absolute path, no `..`, and after symlinks are resolved still
 * inside `dir` (a link inside pointing inside is fine; one pointing out is refused). Throws
 * UnsafeFileError naming the path and the rule. A path that doesn't exist yet is returned as
 * joined (there is nothing to follow).
 */
export function confinedPath(dir: string, rel: string): string {
  const problem = relativePathProblem(rel);
  if (problem) throw new UnsafeFileError(`${rel} ${problem}`);
  const joined = join(dir, rel);
  const real = realOrUndefined(joined);
  if (real === undefined) {
    // A dangling or looping link is refused; a plain missing file is the caller's "missing".
    let st: Stats | undefined;
    try {
      st = lstatSync(joined);
    } catch {
      return joined;
    }
    if (st.isSymbolicLink()) throw new UnsafeFileError(`${rel} is a symbolic link that leads nowhere (dangling, or a loop)`);
    return joined;
  }
  const realDir = realOrUndefined(dir) ?? resolve(dir);
  if (!isInside(realDir, real)) throw new UnsafeFileError(`${rel} leads outside the artifact directory ${dir} (to ${real}); refused`);
  return joined;
}

/**
 * Refuses `path` unless, symlinks resolved, it lies inside one of `roots` (the registry root, an
 * import's source directory): an imported legacy model_path of `../../../../etc/shadow` must not
 * be recorded or checksummed.
 */
export function assertInsideAny(path: string, roots: string[], what: string): void {
  const real = realOrUndefined(path) ?? resolve(path);
  for (const r of roots) {
    const realRoot = realOrUndefined(r) ?? resolve(r);
    if (isInside(realRoot, real)) return;
  }
  throw new UnsafeFileError(`${what} ${path} is outside ${roots.join(' and ')}; it is neither checksummed nor recorded`);
}

// ---------- artifact directories ----------

/**
 * Every regular file under `dir` (forward-slash paths relative to it, sorted; .git skipped).
 * Iterative, so depth can't overflow the stack; a symlink is followed only when its target is
 * inside `dir`, each directory is entered once (a loop of links ends), and anything that is not
 * a regular file or directory (a FIFO, a device, a socket, a link out) is refused by name.
 */
export function listRegularFiles(dir: string): string[] {
  const realDir = realpathSync(dir);
  const out: string[] = [];
  const seen = new Set<string>();
  const stack: [string, string][] = [[dir, '']];
  while (stack.length) {
    const [abs, rel] = stack.pop()!;
    const real = realpathSync(abs);
    if (seen.has(real)) continue;
    seen.add(real);
    const entries = readdirSync(abs, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const dirs: [string, string][] = [];
    for (const e of entries) {
      if (e.name === '.git') continue;
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      const childAbs = join(abs, e.name);
      let st: Stats = lstatSync(childAbs);
      if (st.isSymbolicLink()) {
        const target = realOrUndefined(childAbs);
        if (target === undefined) throw new UnsafeFileError(`${childRel} in ${dir} is a symbolic link that leads nowhere (dangling, or a loop)`);
        if (!isInside(realDir, target)) throw new UnsafeFileError(`${childRel} in ${dir} is a symbolic link to ${target}, outside the artifact directory; refused`);
        st = statSync(childAbs);
      }
      if (st.isDirectory()) dirs.push([childAbs, childRel]);
      else if (st.isFile()) out.push(childRel);
      else throw new UnsafeFileError(`${childRel} in ${dir} is ${kindOf(st)}; only regular files are checksummed`);
    }
    // In name order (a directory reached twice through links is listed where it is met first).
    for (const d of dirs.reverse()) stack.push(d);
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
