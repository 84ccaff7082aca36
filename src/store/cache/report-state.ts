// Where the report keeps its state between builds: <git dir>/modelgit/report/<commit>.state beside
// the history cache file of the same commit (report-history.ts prunes the two together). What the
// state holds and how a build uses it is src/report/report-state.ts and src/registry/report-update.ts;
// this file only reads and writes it. A state that can't be read is no state: the report is then
// built the whole way, so the file can make a report faster but never different.
import { join } from 'node:path';
import { readCacheFile } from '../../loading/safe-files.js';
import type { StoreContext } from '../context.js';
import { remove, touch, writeWhole } from './files.js';
import { cacheDisabled, modelgitDir } from './policy.js';

const stateFile = (ctx: StoreContext, commit: string) => join(modelgitDir(ctx.gitDir, 'report'), `${commit}.state`);

/** The state written at `commit` (its text), or undefined. */
export function readReportState(ctx: StoreContext, commit: string): string | undefined {
  if (cacheDisabled() || !/^[0-9a-f]{40,64}$/.test(commit)) return undefined;
  const file = stateFile(ctx, commit);
  try {
    const text = readCacheFile(file).toString('utf8');
    touch(file);
    return text;
  } catch {
    return undefined;
  }
}

/** Keeps the state of `commit` (whose history cache file was just written). */
export function saveReportState(ctx: StoreContext, commit: string, text: string): void {
  if (cacheDisabled()) return;
  writeWhole(stateFile(ctx, commit), text);
}

/** Forgets a state found unusable (so it is not read again). */
export function dropReportState(ctx: StoreContext, commit: string): void {
  remove(stateFile(ctx, commit));
}
