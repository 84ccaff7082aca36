// status: where this clone stands, in one look (issue #15): the branch and how far it is from its
// upstream, the writes queued on the remote that no drain has applied yet (oldest first: the order
// drain applies them), and whether the pre-commit hook is installed. Queued writes are on no
// branch, so neither `history` nor `list` can show them; this is where they are seen.
import { hookInstalledIn } from '../install/hooks.js';
import type { Registry } from './registry.js';

export interface QueuedEntry {
  ref: string;
  commit: string;
  action: string;
  model_ids: string[];
  operation_id: string | null;
  author: string;
  date: string;
  subject: string;
}

export interface StatusAnswer {
  branch: string | null;
  /** the upstream as last fetched (`origin/main`), or null when the branch has none */
  upstream: string | null;
  ahead: number | null;
  behind: number | null;
  /** the remote's write queue, freshly fetched; null when there is no remote to ask */
  queued: { remote: string; count: number; writes: QueuedEntry[] } | null;
  /** why the queue could not be read (the remote unreachable), when it could not */
  queue_error?: string;
  hook_installed: boolean;
}

export async function status(reg: Registry, opts: { remote?: string } = {}): Promise<StatusAnswer> {
  const { git } = reg;
  const branch = (await git.currentBranch()) ?? null;
  let queued: StatusAnswer['queued'] = null;
  let queueError: string | undefined;
  let upstream: string | null = null;
  let ahead: number | null = null;
  let behind: number | null = null;
  try {
    const q = await reg.queuedWrites(opts.remote);
    upstream = `${q.remote}/${q.branch}`;
    queued = {
      remote: q.remote,
      count: q.writes.length,
      writes: q.writes.map((w) => ({
        ref: w.ref, commit: w.commit, action: w.action, model_ids: w.modelIds, operation_id: w.operationId ?? null,
        author: `${w.author.name} <${w.author.email}>`, date: w.author.date, subject: w.subject,
      })),
    };
  } catch (e) {
    queueError = (e as Error).message;
  }
  if (upstream && (await git.resolveCommit(`refs/remotes/${upstream}`))) {
    [ahead, behind] = await Promise.all([git.commitCount(`refs/remotes/${upstream}..HEAD`), git.commitCount(`HEAD..refs/remotes/${upstream}`)]);
  }
  // The same test every write's missing-hook warning uses (core.hooksPath, the pre-commit framework).
  const hook = hookInstalledIn(await git.gitPath('hooks'), reg.root);
  return { branch, upstream, ahead, behind, queued, ...(queueError ? { queue_error: queueError } : {}), hook_installed: hook };
}
