// stages.yaml at a revision, schema-checked. A commit's stages.yaml never changes, so once checked
// its assignments are remembered by commit (a memo under .git/modelgit/): show and promote read
// them on every run, and a YAML parse costs the yaml package's load. Moved out of Registry.stages.
import { ValidationError } from '../errors.js';
import { STAGES_FILE } from '../domain/config.js';
import { prototypeFree } from '../domain/limits.js';
import type { StageAssignments } from '../domain/types.js';
import { OID } from '../git/head-files.js';
import { lazyRequire } from '../lazy.js';
import type * as Util from 'node:util';
import type { StoreContext } from './context.js';
import { checkedYaml } from './config.js';
import { schemaStamp } from './cache/yaml-cache.js';
import { cacheDisabled, modelgitDir } from './cache/policy.js';
import { MemoFile } from './cache/memo-file.js';

/** Stage assignments as committed at `rev` (a missing stages.yaml means none). */
export async function stagesAt(ctx: StoreContext, rev: string): Promise<StageAssignments> {
  const memo = OID.test(rev) && !cacheDisabled() && ctx.git.objectsAsStored() ? new MemoFile(modelgitDir(ctx.gitDir), 'stages', 16) : undefined;
  const key = memo && `${rev}:${schemaStamp('stages')}`;
  const known = key && memo.get(key);
  if (known) return prototypeFree(JSON.parse(known) as StageAssignments);
  const text = await ctx.git.showFile(rev, STAGES_FILE);
  if (text === undefined) {
    if (key) memo.set(key, '{}');
    return prototypeFree({});
  }
  const parsed = await checkedYaml<StageAssignments | null>(ctx.gitDir, STAGES_FILE, text, 'stages');
  if (parsed.errors.length) throw new ValidationError(`${STAGES_FILE} is invalid`, parsed.errors);
  const value = parsed.value ?? prototypeFree({});
  if (key) {
    const json = JSON.stringify(value);
    if (lazyRequire<typeof Util>('node:util').isDeepStrictEqual(prototypeFree(JSON.parse(json) as unknown), value)) memo.set(key, json);
  }
  return value;
}
