// The file handling every cache under .git/modelgit/ shares: whole-file writes a concurrent reader
// never sees half done, and removals and timestamps that may fail without consequence (a cache
// only costs speed when it can't be written).
import { mkdirSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { storageCode, storageReason } from '../../errors.js';

let warned = false;

/**
 * A cache write failed: the command goes on without it (a cache only costs speed), and says so
 * once per process when the disk refused it (full, read-only, forbidden), so a slow registry has
 * a reason. Other failures (a file vanished under a concurrent prune) stay quiet.
 */
export function cacheWriteFailed(file: string, e: unknown): void {
  const code = storageCode(e);
  if (!code || warned) return;
  warned = true;
  process.stderr.write(`modelgit: warning: could not write the cache (${dirname(file)}): ${storageReason(code)}; going on without it (slower)\n`);
}

/** A name beside `file` no other writer (process or call) uses; `.tmp-` marks it for pruning. */
export function tempName(file: string): string {
  return `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Writes `file` whole under a temporary name and renames it into place; false when that failed. */
export function writeWhole(file: string, data: string | Uint8Array): boolean {
  const tmp = tempName(file);
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, file);
    return true;
  } catch (e) {
    remove(tmp);
    cacheWriteFailed(file, e);
    return false;
  }
}

export function remove(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    /* gone already */
  }
}

/** When the file was last modified (0 when it is gone). */
export function mtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}

/** Marks the file as just used (pruning keeps the most recently used). */
export function touch(file: string): void {
  try {
    const now = new Date();
    utimesSync(file, now, now);
  } catch {
    /* read-only: recency is only a pruning hint */
  }
}
