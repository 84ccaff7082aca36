// A registry's remote, kept as a small bare cache on a machine that has no clone of it (issue #15:
// a training node writing with `modelgit --remote URL …`). The cache is a partial, shallow clone:
// the branch tip and its trees, never the history or the blobs it does not read (a blob is fetched
// by git the first time something reads it, and kept). It lives under
// $XDG_CACHE_HOME/modelgit/remotes/, one directory per remote URL and branch, so every command on
// the machine shares it (store/cache/policy.ts says where); writes into it are serialized by the registry's write lock. The cache is
// only a copy: its branch ref is set to the remote's tip on every fetch, so nothing in it is ever
// the only record of anything.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotARegistryError, PushError, StorageError, UsageError } from '../errors.js';
import { Git, runGit, storageFailureLine } from './git.js';
import type { PushTarget } from './branches.js';

export interface RemoteCache {
  /** the URL as the user gave it */
  url: string;
  /** the bare cache directory (its git dir) */
  dir: string;
  git: Git;
  /** where writes go: `origin` in the cache, the branch on the remote, fetched into refs/heads/<branch> */
  target: PushTarget;
  /** whether the tip in the cache was fetched by this process a moment ago (a write's first attempt needs no fetch) */
  fresh: boolean;
  /** the last commit this cache pushed to the branch (noted in the cache: recordPushed) */
  pushed?: string;
  /** the branch tip as this process last fetched or pushed it */
  tip?: string;
}

/** Notes that the cache pushed `commit` as the branch tip (its next fetch asks first whether that is still the tip). */
export function recordPushed(cache: RemoteCache, commit: string): void {
  cache.pushed = commit;
  cache.tip = commit;
  try {
    writeFileSync(join(cache.dir, 'modelgit-pushed'), commit + '\n');
  } catch {
    /* only an optimisation */
  }
}

function readPushed(dir: string): string | undefined {
  try {
    return readFileSync(join(dir, 'modelgit-pushed'), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

function cacheDirOf(root: string, url: string, branch: string | undefined): string {
  const hash = createHash('sha256').update(branch === undefined ? url : `${url}#${branch}`).digest('hex').slice(0, 20);
  // The URL's last word keeps a listing of the directory readable; the hash keeps it unique.
  const word = (url.replace(/\/+$/, '').split(/[/:]/).pop() ?? 'remote').replace(/\.git$/, '').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 40) || 'remote';
  return join(root, `${word}-${hash}.git`);
}

/**
 * Whether git's words say the network failed on the way (a reset or refused connection, a timeout,
 * a hang-up) rather than the remote answering no: such a failure is worth another try.
 */
export function transientNetworkFailure(words: string): boolean {
  return /connection reset|unable to connect|connection refused|timed out|early EOF|remote end hung up|unexpected disconnect|could not read from remote|broken pipe|temporarily unavailable/i.test(words);
}

/** A PushError for a network failure on the way, marked so a write's loop tries again within its deadline. */
function networkError(message: string, words: string, hint: string): PushError {
  return new PushError(message, { hint, data: transientNetworkFailure(words) || localContention(words) ? { transient: true } : undefined });
}

/** One line of git's stderr worth showing (its fatal/error lines, credentials never included). */
function gitProblem(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => /^(fatal|error):/i.test(l));
  return (lines.join('; ') || stderr.trim().split('\n').pop() || 'git failed').replace(/^(fatal|error):\s*/i, '');
}

const CLONE_TRIES = 5;

function cloneInto(parent: string, tmp: string, url: string, branch: string | undefined) {
  return runGit(parent, [
    // The cache's own config: no background maintenance (a lazy fetch would start it after every blob).
    'clone', '-c', 'maintenance.auto=false', '-c', 'gc.auto=0', '-c', 'fetch.writeCommitGraph=false', '--bare', '--quiet', '--no-local', '--no-tags', '--single-branch', '--depth=1', '--filter=blob:none',
    ...(branch ? ['--branch', branch] : []), '--', url, tmp,
  ]);
}

/**
 * The cache of `url` in `root` (its `branch`, default: the remote's default branch), made on first use by a
 * partial, shallow bare clone. Two processes making it at once both succeed: each clones into a
 * directory of its own and the first rename wins.
 */
export async function openRemoteCache(root: string, url: string, branch?: string): Promise<RemoteCache> {
  if (url.trim() === '' || url.startsWith('-')) throw new UsageError(`--remote ${JSON.stringify(url)}: not a remote URL`, { hint: 'give the URL you would git clone, e.g. --remote git@github.com:team/registry.git' });
  if (branch !== undefined && (branch === '' || branch.startsWith('-') || (await runGit('/', ['check-ref-format', '--branch', branch])).code !== 0)) {
    throw new UsageError(`--remote-branch ${JSON.stringify(branch)}: not a branch name`);
  }
  const dir = cacheDirOf(root, url, branch);
  let fresh = false;
  if (!existsSync(join(dir, 'HEAD'))) {
    const parent = join(dir, '..');
    try {
      mkdirSync(parent, { recursive: true });
    } catch (e) {
      throw new StorageError(`could not create the remote cache directory ${parent}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
        hint: 'set MODELGIT_CACHE_DIR (or XDG_CACHE_HOME) to a writable directory',
      });
    }
    const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
    // A network that drops the first connection (a busy server) gets a few more tries, spread out.
    let r = await cloneInto(parent, tmp, url, branch);
    for (let attempt = 1; r.code !== 0 && attempt < CLONE_TRIES && transientNetworkFailure(r.stderr); attempt++) {
      rmSync(tmp, { recursive: true, force: true });
      await new Promise((res) => setTimeout(res, 500 * 2 ** attempt * Math.random() + 250));
      r = await cloneInto(parent, tmp, url, branch);
    }
    if (r.code !== 0) {
      rmSync(tmp, { recursive: true, force: true });
      const storage = storageFailureLine(r.stderr);
      if (storage) throw new StorageError(`could not make the cache of ${url} in ${parent}: ${storage}`, { hint: 'free some space, or set MODELGIT_CACHE_DIR to another directory' });
      throw new PushError(`--remote ${url}: could not reach the registry: ${gitProblem(r.stderr)}`, {
        hint: branch ? `check the URL and that the branch ${branch} exists: git ls-remote ${url}` : `check the URL: git ls-remote ${url}`,
      });
    }
    try {
      renameSync(tmp, dir);
      fresh = true;
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another process made it first
    }
  }
  const git = new Git(dir);
  const head = (await git.run(['symbolic-ref', '--quiet', 'HEAD'])).stdout.toString('utf8').trim();
  const name = branch ?? head.replace(/^refs\/heads\//, '');
  if (!name) throw new NotARegistryError(`--remote ${url}: the remote has no branch to write to (an empty repository?)`, { hint: 'create the registry first: modelgit init, commit, git push' });
  return { url, dir, git, target: { remote: 'origin', branch: name, trackingRef: `refs/heads/${name}` }, fresh, pushed: readPushed(dir) };
}

const FETCH_TRIES = 8;

/** Whether git's words say another process on this machine was updating the same cache at the same moment. */
export function localContention(words: string): boolean {
  return /shallow file has changed since we read it|cannot lock ref|unable to create '[^']*\.lock'|\.lock': File exists/i.test(words);
}

/**
 * Fetches the remote branch's tip (its commit and trees; blobs on demand) into the cache's branch,
 * and returns it; undefined when the branch has no commit on the remote. `since`: also fetch the
 * history back to that time (to find an earlier attempt of an operation).
 */
export async function fetchTip(cache: RemoteCache, opts: { since?: Date } = {}): Promise<string | undefined> {
  const { git, target } = cache;
  // When the cache's tip is the commit this cache pushed last, asking the remote for its tip first
  // is far cheaper than a fetch that finds nothing new: git's fetch then checks the whole tip tree
  // the cache built itself (0.5 s at 100,000 models), where ls-remote is one ref advertisement.
  if (!opts.since && cache.pushed) {
    const local = await git.resolveCommit(target.trackingRef);
    if (local === cache.pushed) {
      const r = await git.run(['ls-remote', '--refs', 'origin', `refs/heads/${target.branch}`]);
      if (r.code === 0 && r.stdout.toString('utf8').split(/\s/)[0] === local) return (cache.tip = local);
    }
  }
  const depth = opts.since ? [`--shallow-since=${Math.floor(opts.since.getTime() / 1000)}`] : ['--depth=1'];
  const fetch = () => git.run(['-c', 'maintenance.auto=false', 'fetch', '--quiet', '--no-tags', ...depth, 'origin', `+refs/heads/${target.branch}:${target.trackingRef}`]);
  let r = await fetch();
  // Another command on this machine fetched into the same cache meanwhile (its shallow file or a
  // ref lock moved under this one): the cache is fine, this fetch just has to run again.
  for (let attempt = 1; r.code !== 0 && attempt < FETCH_TRIES && localContention(r.stderr); attempt++) {
    await new Promise((res) => setTimeout(res, 50 * 2 ** attempt * Math.random() + 25));
    r = await fetch();
  }
  if (r.code !== 0) {
    if (/couldn't find remote ref/i.test(r.stderr)) return undefined;
    // --shallow-since before the first commit: git refuses ("no commits selected"); the whole history is what was asked.
    if (opts.since && /no commits selected|shallow/i.test(r.stderr)) return fetchTip(cache, {});
    const storage = storageFailureLine(r.stderr);
    if (storage) throw new StorageError(`could not update the cache of ${cache.url} (${cache.dir}): ${storage}`, { hint: 'free some space and run the command again' });
    throw networkError(`could not fetch ${target.branch} from ${cache.url}: ${r.signal ? `git fetch was killed by ${r.signal}` : gitProblem(r.stderr)}`, r.stderr, `check the remote: git ls-remote ${cache.url}`);
  }
  return (cache.tip = await git.resolveCommit(target.trackingRef));
}

/**
 * Fetches, in one request, the blobs the given commits changed (before and after) and the blobs
 * at the same paths in `tip`: what a drain round in the cache reads. A partial cache otherwise
 * fetches each missing blob as it is read, one connection per blob, which on a busy server is
 * seconds per queued write. Best effort: a failure leaves the reads to fetch lazily, as before.
 */
export async function prefetchChangedBlobs(git: Git, commits: string[], tip: string | undefined): Promise<void> {
  if (!commits.length) return;
  const raw = await git.run(['log', '--no-walk', '--format=', '--raw', '--no-abbrev', '--no-renames', '-z', ...commits]);
  if (raw.code !== 0) return;
  const oids = new Set<string>();
  const paths = new Set<string>();
  // -z: ":<mode> <mode> <old> <new> <status>\0<path>\0"
  const parts = raw.stdout.toString('utf8').split('\0');
  for (let i = 0; i < parts.length - 1; i++) {
    const m = /^\n*:\d+ \d+ ([0-9a-f]+) ([0-9a-f]+) [A-Z]\d*$/.exec(parts[i]!);
    if (!m) continue;
    for (const oid of [m[1]!, m[2]!]) if (!/^0+$/.test(oid)) oids.add(oid);
    paths.add(parts[++i]!);
  }
  if (tip && paths.size) {
    const ls = await git.run(['ls-tree', '-z', '--full-tree', tip, '--', ...[...paths].map((p) => `:(literal)${p}`)]);
    if (ls.code === 0) for (const entry of ls.stdout.toString('utf8').split('\0')) {
      const m = /^\d+ blob ([0-9a-f]+)\t/.exec(entry);
      if (m) oids.add(m[1]!);
    }
  }
  if (!oids.size) return;
  await git.run(['-c', 'fetch.negotiationAlgorithm=noop', 'fetch', '--quiet', '--no-tags', '--no-write-fetch-head', '--recurse-submodules=no', '--filter=blob:none', 'origin', '--stdin'], {
    input: [...oids].map((o) => `${o}\n`).join(''),
  });
}
