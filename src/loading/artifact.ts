// Where a model's bytes are (model_path) and what they are (artifact: sha256 and size). Checksums
// stream the file through the hash, so a multi-GB checkpoint costs a buffer, not its size in memory.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Artifact, ArtifactFile } from '../domain/types.js';

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
  const exists = existsSync(path);
  if (exists) isDirectory = statSync(path).isDirectory();
  return { kind: 'local', path, exists, isDirectory };
}

/** How a path should be written as model_path: relative when it is inside the registry, else absolute. */
export function modelPathFor(absPath: string, root: string): string {
  const rel = relative(root, absPath);
  if (rel && !rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
  return absPath;
}

/** sha256 and size of one file, streamed. */
export function hashFile(path: string): Promise<{ sha256: string; size_bytes: number }> {
  return new Promise((resolvePromise, reject) => {
    const hash = createHash('sha256');
    let size = 0;
    createReadStream(path, { highWaterMark: 1 << 20 })
      .on('data', (chunk) => {
        size += chunk.length;
        hash.update(chunk);
      })
      .on('error', reject)
      .on('end', () => resolvePromise({ sha256: hash.digest('hex'), size_bytes: size }));
  });
}

/** Every regular file under `dir`, as forward-slash paths relative to it, sorted; .git is skipped. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string, rel: string) => {
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      if (e.name === '.git') continue;
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      const childAbs = join(abs, e.name);
      const isDir = e.isDirectory() || (e.isSymbolicLink() && statSync(childAbs).isDirectory());
      if (isDir) walk(childAbs, childRel);
      else if (e.isFile() || e.isSymbolicLink()) out.push(childRel);
    }
  };
  walk(dir, '');
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The artifact block for a local path: {sha256, size_bytes} for a file, {files: [...]} for a
 * directory. `onFile` is told before each file is hashed (for a progress display).
 */
export async function artifactOf(absPath: string, onFile?: (rel: string) => void): Promise<Artifact> {
  if (!statSync(absPath).isDirectory()) {
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
