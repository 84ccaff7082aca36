// Where a model's bytes are (model_path) and what they are (artifact: sha256 and size). Checksums
// stream the file through the hash, so a multi-GB checkpoint costs a buffer, not its size in memory.
// Every file is opened through safe-files.ts: only regular files, never blocking, links confined.
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Artifact, ArtifactFile } from '../domain/types.js';
import { assertInsideAny, kindOf, listRegularFiles, openRegularFile, UnsafeFileError } from './safe-files.js';

export type ArtifactLocation =
  | { kind: 'local'; path: string; exists: boolean; isDirectory: boolean }
  | { kind: 'remote'; uri: string; scheme: string };

const URI_RE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

/** model_path → where it is: relative to the registry root, absolute, or file://; other URIs are remote. */
export function locateArtifact(modelPath: string, root: string): ArtifactLocation {
  const m = URI_RE.exec(modelPath);
  let path: string;
  if (m) {
    const scheme = m[1]!.toLowerCase();
    if (scheme !== 'file') return { kind: 'remote', uri: modelPath, scheme };
    path = fileURLToPath(modelPath);
  } else {
    path = isAbsolute(modelPath) ? modelPath : resolve(root, modelPath);
  }
  let isDirectory = false;
  let exists = false;
  try {
    // (a symlink loop or an unreadable parent reads as "not there", not as a stack trace)
    isDirectory = statSync(path).isDirectory();
    exists = true;
  } catch {
    /* not there */
  }
  return { kind: 'local', path, exists, isDirectory };
}

/** How a path should be written as model_path: relative when it is inside the registry, else absolute. */
export function modelPathFor(absPath: string, root: string): string {
  const rel = relative(root, absPath);
  if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
  return absPath;
}

/** sha256 and size of one regular file, streamed (a FIFO or device is refused, never read). */
export function hashFile(path: string): Promise<{ sha256: string; size_bytes: number }> {
  let fd: number;
  try {
    fd = openRegularFile(path).fd;
  } catch (e) {
    return Promise.reject(e instanceof Error ? e : new Error(String(e)));
  }
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    let size = 0;
    createReadStream('', { fd, highWaterMark: 1 << 20, autoClose: true })
      .on('data', (chunk) => {
        size += chunk.length;
        hash.update(chunk);
      })
      .on('error', (e) => {
        try {
          closeSync(fd);
        } catch {
          /* already closed */
        }
        reject(e);
      })
      .on('end', () => resolvePromise({ sha256: hash.digest('hex'), size_bytes: size }));
  });
}

/**
 * Every regular file under `dir`, as forward-slash paths relative to it, sorted; .git is skipped.
 * Links that leave `dir`, loops and special files are refused (safe-files.ts).
 */
export function listFiles(dir: string): string[] {
  return listRegularFiles(dir);
}

/**
 * The artifact block for a local path: {sha256, size_bytes} for a file, {files: [...]} for a
 * directory. `onFile` is told before each file is hashed (for a progress display).
 */
export async function artifactOf(absPath: string, onFile?: (rel: string) => void, opts: { confineTo?: string[] } = {}): Promise<Artifact> {
  // Where the caller says the artifact must be (import: the registry and the source), it is
  // checked before a byte is read: an old record's `../../../../etc/shadow` stops here.
  if (opts.confineTo) assertInsideAny(absPath, opts.confineTo, 'the artifact');
  let st;
  try {
    st = statSync(absPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UnsafeFileError(code === 'ELOOP' ? `${absPath} is a loop of symbolic links` : `${absPath} cannot be read (${code ?? (e as Error).message})`);
  }
  if (!st.isDirectory()) {
    if (!st.isFile()) throw new UnsafeFileError(`${absPath} is ${kindOf(st)}; only a regular file or a directory can be checksummed`);
    onFile?.(absPath);
    return hashFile(absPath);
  }
  const files: ArtifactFile[] = [];
  for (const rel of listFiles(absPath)) {
    onFile?.(rel);
    files.push({ path: rel, ...(await hashFile(join(absPath, rel))) });
  }
  return { files };
}
