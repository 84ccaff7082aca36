// Which remote and branch a write pushes to, and which branch is the registry's default branch
// (where promotions write stage tags and where sync-tags looks).
import { PushError } from '../errors.js';
import type { Git } from './git.js';

export interface PushTarget {
  remote: string;
  /** the branch on the remote */
  branch: string;
  /** the local remote-tracking ref the remote's head is fetched into */
  trackingRef: string;
}

async function config(git: Git, key: string): Promise<string | undefined> {
  const r = await git.run(['config', '--get', key]);
  const v = r.code === 0 ? r.stdout.toString('utf8').trim() : '';
  return v || undefined;
}

async function branchExists(git: Git, name: string): Promise<boolean> {
  return (await git.run(['show-ref', '--verify', '--quiet', `refs/heads/${name}`])).code === 0;
}

export async function remoteNames(git: Git): Promise<string[]> {
  return (await git.text(['remote'])).split('\n').map((s) => s.trim()).filter(Boolean);
}

/** The current branch's upstream, else `origin` and the current branch's own name. */
export async function pushTarget(git: Git): Promise<PushTarget> {
  const local = await git.currentBranch();
  if (!local) throw new PushError('HEAD is detached; --push needs a branch to push', { hint: 'git switch <branch> first' });
  let remote = await config(git, `branch.${local}.remote`);
  const merge = await config(git, `branch.${local}.merge`);
  let branch = merge?.startsWith('refs/heads/') ? merge.slice('refs/heads/'.length) : local;
  if (!remote || remote === '.') {
    remote = 'origin';
    branch = local;
  }
  const remotes = await remoteNames(git);
  if (!remotes.includes(remote)) {
    throw new PushError(
      remotes.length ? `there is no remote named ${remote} to push ${local} to` : `this repository has no remote to push to`,
      { hint: remotes.length ? `set the branch's upstream: git branch --set-upstream-to=${remotes[0]}/${local}` : 'add one: git remote add origin <url>' },
    );
  }
  return { remote, branch, trackingRef: `refs/remotes/${remote}/${branch}` };
}

/**
 * The registry's default branch, decided in this order (first that answers wins):
 * $MODELGIT_DEFAULT_BRANCH; git config modelgit.defaultBranch; the target of
 * refs/remotes/<remote>/HEAD (set by `git clone`); git config init.defaultBranch when that branch
 * exists; `main`, then `master`, when it exists. Undefined when none does.
 */
export async function defaultBranch(git: Git, remote = 'origin'): Promise<string | undefined> {
  const fromEnv = process.env.MODELGIT_DEFAULT_BRANCH?.trim();
  if (fromEnv) return fromEnv;
  const configured = await config(git, 'modelgit.defaultBranch');
  if (configured) return configured;
  const r = await git.run(['symbolic-ref', '--quiet', '--short', `refs/remotes/${remote}/HEAD`]);
  if (r.code === 0) {
    const target = r.stdout.toString('utf8').trim();
    if (target.startsWith(`${remote}/`)) return target.slice(remote.length + 1);
  }
  const init = await config(git, 'init.defaultBranch');
  if (init && (await branchExists(git, init))) return init;
  for (const name of ['main', 'master']) if (await branchExists(git, name)) return name;
  return undefined;
}
