// Two checks before a write commits, kept out of the write engine (write.ts calls them once):
// - a detached HEAD: the commit would belong to no branch and be easy to lose (the next
//   `git switch` leaves it behind, and only the reflog remembers it), so the write is refused,
//   naming the fix; MODELGIT_ALLOW_DETACHED=1 (the CLI's --allow-detached) says it is meant.
// - no pre-commit hook: append-only and the schema are then enforced only in CI; the user hears
//   it once per repository (remembered in .git/modelgit/, which a clone does not copy).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DirtyStateError } from '../../errors.js';
import type { Git } from '../../git/git.js';
import { writeWhole } from '../cache/files.js';
import { hookInstalledIn } from '../../install/hooks.js';
import { modelgitDir } from '../cache/policy.js';

/** The file whose presence says the missing-hook warning was given in this repository. */
export const HOOK_WARNED = 'hook-warning-given';

/** The environment switch that lets a write commit on a detached HEAD. */
export const ALLOW_DETACHED = 'MODELGIT_ALLOW_DETACHED';

interface GuardHost {
  git: Git;
  gitDir: string;
  notify?: (message: string) => void;
}

/** Whether HEAD names a branch (read from the HEAD file; git is asked when that can't be read). */
async function onBranch(host: GuardHost): Promise<boolean> {
  try {
    const head = readFileSync(join(host.gitDir, 'HEAD'), 'utf8');
    return head.startsWith('ref: ');
  } catch {
    return (await host.git.currentBranch()) !== undefined;
  }
}

export function detachedAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env[ALLOW_DETACHED];
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

/** Refuses a write on a detached HEAD (unless allowed); warns once when the pre-commit hook is missing. */
export async function checkBeforeWrite(host: GuardHost): Promise<void> {
  if (!(await onBranch(host)) && !detachedAllowed()) {
    const head = (await host.git.head())?.slice(0, 10) ?? 'HEAD';
    throw new DirtyStateError(`HEAD is detached (at ${head}): a commit here would be on no branch and easy to lose; nothing was written`, {
      hint: `git switch <branch> to write on a branch, or git switch -c <new-branch> to start one here; ${ALLOW_DETACHED}=1 (or --allow-detached) commits anyway`,
      data: { head: head === 'HEAD' ? null : head },
    });
  }
  if (host.notify) await warnMissingHookOnce(host);
}

async function warnMissingHookOnce(host: GuardHost): Promise<void> {
  const marker = modelgitDir(host.gitDir, HOOK_WARNED);
  if (existsSync(marker)) return;
  // The usual place first (no process); git's answer covers core.hooksPath and linked worktrees.
  if (hookInstalledIn(join(host.gitDir, 'hooks'), host.git.root) || hookInstalledIn(await host.git.gitPath('hooks'), host.git.root)) return;
  host.notify?.(
    'modelgit: warning: the pre-commit hook is not installed in this clone, so invalid metadata and edited results are caught only in CI; install it with: modelgit hooks install (this warning is shown once)',
  );
  writeWhole(marker, `${new Date().toISOString()}\n`);
}
