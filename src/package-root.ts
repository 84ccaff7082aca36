// Files that ship with modelgit (schemas/, hooks/, dist/…) are found from the package root, not
// from a path relative to the calling module: the same module runs from src/ (tests), from dist/
// at its own depth, and bundled into dist/cli/, so a fixed number of `../` means different places.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

let root: string | undefined;

/** The directory holding modelgit's package.json (found once, walking up from this module). */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`modelgit's package.json was not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  return (root = dir);
}

/** A file of the package, as a path (`rel` uses forward slashes, e.g. 'dist/cli/main.js'). */
export function packagePath(rel: string): string {
  return join(packageRoot(), ...rel.split('/'));
}

/** The same as a file: URL (a trailing slash on `rel` is kept, for directories). */
export function packageUrl(rel: string): URL {
  const url = pathToFileURL(packagePath(rel));
  return rel.endsWith('/') && !url.href.endsWith('/') ? new URL(url.href + '/') : url;
}
