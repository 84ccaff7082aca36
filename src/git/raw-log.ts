// One `git log --raw` over the whole history: every commit's trailers and the blob ids of the files
// it changed, so history-derived views (best over time, a model's history, the promotion timeline)
// come from a single pass instead of one git call per commit or per model.
//
// Beside it, the `git log --name-only` the history index (store/cache/history-index.ts) is built
// from: which paths each commit changed, read as it streams, each record handed to the caller's
// sink so a whole 315,000-commit log is never held as output or as record objects.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { GitError } from '../errors.js';
import { parseTrailers, type Git } from './git.js';

export interface FileChange {
  /** A added, M modified, D deleted, T type change (renames are off: --no-renames) */
  status: string;
  path: string;
  /** blob id after the commit; all zeros when deleted */
  oid: string;
}

export interface ScannedCommit {
  commit: string;
  parents: string[];
  author: string;
  authorEmail: string;
  /** author date, ISO 8601 (what `history` shows) */
  date: string;
  /** committer time, unix seconds (monotonic along a branch, so charts use it) */
  time: number;
  subject: string;
  trailers: Record<string, string[]>;
  /** changes against the first parent (merges included), or against nothing for a root commit */
  changes: FileChange[];
}

const FIELD = '\x1f';
const RECORD = '\x1e';
export const ZERO_OID = /^0+$/;

export const RAW_LOG_ARGS = [
  'log',
  `--format=${RECORD}%H${FIELD}%P${FIELD}%an${FIELD}%ae${FIELD}%aI${FIELD}%ct${FIELD}%s${FIELD}%b${FIELD}`,
  '--raw',
  '--root',
  '--no-renames',
  '--no-abbrev',
  '--diff-merges=first-parent',
  // oldest first; the order within a range does not matter (canonicalOrder decides it), but
  // --reverse lets git stream the diffs after one cheap walk
  '--reverse',
];

/** Parses the output of `git log` run with RAW_LOG_ARGS. Pure. */
export function parseRawLog(text: string): ScannedCommit[] {
  const commits: ScannedCommit[] = [];
  for (const rec of text.split(RECORD)) {
    if (!rec.trim()) continue;
    const fields = rec.split(FIELD);
    if (fields.length < 9) continue;
    const [commit, parents, author, authorEmail, date, time, subject, body] = fields;
    const rest = fields.slice(8).join(FIELD);
    const changes: FileChange[] = [];
    for (const line of rest.split('\n')) {
      if (!line.startsWith(':')) continue;
      const tab = line.indexOf('\t');
      if (tab < 0) continue;
      const meta = line.slice(1, tab).split(' ');
      changes.push({ status: meta[4] ?? '', oid: meta[3] ?? '', path: line.slice(tab + 1) });
    }
    commits.push({
      commit: commit!,
      parents: parents ? parents.split(' ') : [],
      author: author!,
      authorEmail: authorEmail!,
      date: date!,
      time: Number(time),
      subject: subject!,
      trailers: parseTrailers(body ?? ''),
      changes,
    });
  }
  return commits;
}


// Stable, parseable output whatever the user's locale or pager settings (as git.ts reads).
const READ_ENV = { LC_ALL: 'C', GIT_PAGER: 'cat', GIT_TERMINAL_PROMPT: '0' };

/**
 * Runs `git log` with RAW_LOG_ARGS over one range. git flushes its output after every commit, so
 * read through a pipe it costs tens of thousands of small writes and wake-ups (about 1 s of CPU
 * on 30,000 commits); into a temporary file the same output costs a fraction of that. The file
 * is then parsed a few megabytes at a time and removed.
 */
export async function scanRange(root: string, range: string[]): Promise<ScannedCommit[]> {
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), 'modelgit-log-'));
  } catch {
    return scanRangePiped(root, range);
  }
  try {
    const file = join(dir, 'log');
    const fd = openSync(file, 'w');
    let result: { code: number | null; stderr: string };
    try {
      result = await new Promise((resolvePromise, reject) => {
        const child = spawn('git', [...RAW_LOG_ARGS, ...range, '--'], { cwd: root, env: { ...process.env, ...READ_ENV }, stdio: ['ignore', fd, 'pipe'] });
        const err: Buffer[] = [];
        child.stderr!.on('data', (chunk: Buffer) => err.push(chunk));
        child.on('error', reject);
        child.on('close', (code) => resolvePromise({ code, stderr: Buffer.concat(err).toString('utf8') }));
      });
    } finally {
      closeSync(fd);
    }
    if (result.code !== 0) throw new GitError(`git log failed: ${result.stderr.trim() || `exit ${result.code}`}`);
    return parseRawLogFile(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** parseRawLog over a file, read in slices cut at record boundaries (a big log is never one string). */
function parseRawLogFile(file: string): ScannedCommit[] {
  const out: ScannedCommit[] = [];
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(8 << 20);
    const decoder = new StringDecoder('utf8');
    let pending = '';
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      pending += decoder.write(buf.subarray(0, n));
      const last = pending.lastIndexOf(RECORD);
      if (last <= 0) continue;
      for (const c of parseRawLog(pending.slice(0, last))) out.push(c);
      pending = pending.slice(last);
    }
    pending += decoder.end();
    for (const c of parseRawLog(pending)) out.push(c);
  } finally {
    closeSync(fd);
  }
  return out;
}

/** The same through a pipe, parsed as the records arrive (when no temporary file can be made). */
function scanRangePiped(root: string, range: string[]): Promise<ScannedCommit[]> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', [...RAW_LOG_ARGS, ...range, '--'], { cwd: root, env: { ...process.env, ...READ_ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
    const decoder = new StringDecoder('utf8');
    const out: ScannedCommit[] = [];
    const err: Buffer[] = [];
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      pending += decoder.write(chunk);
      // a record is whole once the next one has started
      const last = pending.lastIndexOf(RECORD);
      if (last <= 0) return;
      for (const c of parseRawLog(pending.slice(0, last))) out.push(c);
      pending = pending.slice(last);
    });
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new GitError(`git log failed: ${Buffer.concat(err).toString('utf8').trim() || `exit ${code}`}`));
      pending += decoder.end();
      for (const c of parseRawLog(pending)) out.push(c);
      resolvePromise(out);
    });
  });
}

/**
 * Where to cut a first-parent line of `n` commits into `parts` ranges of about equal work, given
 * the work per commit at a few sampled indices (linear in between). Later commits diff bigger
 * trees, so equal counts would leave the newest range doing most of the work. Returns the
 * indices of the last commit of every range but the newest, increasing. Pure.
 */
export function balancedCuts(n: number, parts: number, samples: { at: number; weight: number }[]): number[] {
  if (parts < 2 || n < parts) return [];
  let pts = samples.filter((s) => s.at >= 0 && s.at < n && Number.isFinite(s.weight) && s.weight >= 0).sort((a, b) => a.at - b.at);
  if (!pts.some((s) => s.weight > 0)) pts = [];
  const weightAt = (i: number): number => {
    if (pts.length === 0) return 1;
    if (i <= pts[0]!.at) return pts[0]!.weight;
    for (let k = 1; k < pts.length; k++) {
      const b = pts[k]!;
      if (i <= b.at) {
        const a = pts[k - 1]!;
        return a.weight + ((b.weight - a.weight) * (i - a.at)) / (b.at - a.at);
      }
    }
    return pts[pts.length - 1]!.weight;
  };
  let total = 0;
  const cum = new Float64Array(n);
  for (let i = 0; i < n; i++) cum[i] = total += weightAt(i);
  const cuts: number[] = [];
  let i = 0;
  for (let j = 1; j < parts; j++) {
    const target = (total * j) / parts;
    while (i < n - 1 && cum[i]! < target) i++;
    // every range keeps at least one commit
    cuts.push(Math.min(Math.max(i, (cuts[cuts.length - 1] ?? -1) + 1), n - 1 - (parts - j)));
  }
  return cuts;
}

export interface ScanOptions {
  /** how many `git log` processes to split the history over (1 = one) */
  parts?: number;
  /** no range smaller than this is split off */
  minPerPart?: number;
  /** a commit whose history is known already: only what HEAD adds to it is scanned */
  since?: string;
  /** directories whose tree sizes tell how much a commit costs to diff (e.g. models/<algorithm>) */
  costDirs?: string[];
}

/**
 * Every commit reachable from `head` (and not from `since`), in no particular order. The tree
 * diffs dominate on a big registry, so the history is cut at points on the first-parent line
 * into `parts` disjoint ranges (`c1`, `c2 ^c1`, … `HEAD ^ck`) read concurrently: every commit
 * lands in exactly one range.
 */
export async function scanHistory(git: Git, parts = 1, minPerPart = 2000, opts: Omit<ScanOptions, 'parts' | 'minPerPart'> & { head?: string } = {}): Promise<ScannedCommit[]> {
  const head = opts.head ?? (await git.head());
  if (!head) return [];
  const not = opts.since ? [`^${opts.since}`] : [];
  let ranges: string[][] = [[head, ...not]];
  if (parts > 1) {
    const line = (await git.text(['rev-list', '--first-parent', '--reverse', head, ...not])).split('\n').filter(Boolean);
    if (line.length >= parts * minPerPart) {
      const cuts = balancedCuts(line.length, parts, await diffCostSamples(git, line, opts.costDirs ?? []));
      const tips = cuts.map((i) => line[i]!);
      ranges = [...tips, head].map((tip, i) => (i === 0 ? [tip, ...not] : [tip, `^${tips[i - 1]}`]));
    }
  }
  const outs = await Promise.all(ranges.map((range) => scanRange(git.root, range)));
  return outs.flat();
}

/** The summed size of `dirs`' trees at 16 points of the line: what a commit there costs to diff. */
async function diffCostSamples(git: Git, line: string[], dirs: string[]): Promise<{ at: number; weight: number }[]> {
  if (dirs.length === 0) return [];
  const at = Array.from({ length: 17 }, (_, k) => Math.round((k * (line.length - 1)) / 16));
  const input = at.flatMap((i) => dirs.map((d) => `${line[i]}:${d}`)).join('\n') + '\n';
  const r = await git.run(['cat-file', '--batch-check'], { input });
  if (r.code !== 0) return [];
  const sizes = r.stdout.toString('utf8').split('\n');
  // a commit also costs something besides its diff (reading it, printing it): about a 4 KB tree
  return at.map((i, k) => {
    let sum = 0;
    for (let d = 0; d < dirs.length; d++) {
      const m = / tree (\d+)$/.exec(sizes[k * dirs.length + d] ?? '');
      if (m) sum += Number(m[1]);
    }
    return { at: i, weight: 4096 + sum / dirs.length };
  });
}

/**
 * The order every view of the history uses, whatever ranges it was read in: the commits of
 * `head`'s first-parent line oldest first, each preceded by the commits it brought in (a merge's
 * side branch), those parents-first (depth-first, first parent first). A history extended along
 * its first-parent line keeps its old order as a prefix, which is what lets a cached scan be
 * extended instead of redone. `stop` is a commit whose history is not in `commits` (a cached
 * scan's head); it must be on `head`'s first-parent line, else undefined. Pure.
 */
export function canonicalOrder(commits: ScannedCommit[], head: string | undefined, stop?: string): ScannedCommit[] | undefined {
  const byId = new Map<string, ScannedCommit>();
  for (const c of commits) byId.set(c.commit, c);
  const line: ScannedCommit[] = [];
  let cur = head ? byId.get(head) : undefined;
  // (bounded: replaced or grafted parents could in principle loop)
  while (cur && line.length < commits.length) {
    line.push(cur);
    const p = cur.parents[0];
    if (p === undefined || p === stop) break;
    cur = byId.get(p);
  }
  if (stop !== undefined && commits.length > 0 && line[line.length - 1]?.parents[0] !== stop) return undefined;
  line.reverse();
  const out: ScannedCommit[] = [];
  const placed = new Set<string>();
  for (const tip of line) {
    placed.add(tip.commit);
    // the usual commit brings in nothing but itself (its first parent is placed already)
    if (tip.parents.length <= 1) {
      out.push(tip);
      continue;
    }
    // iterative post-order: a long side branch must not overflow the stack
    const stack: [ScannedCommit, number][] = [[tip, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [c, k] = top;
      if (k < c.parents.length) {
        top[1] = k + 1;
        const p = byId.get(c.parents[k]!);
        if (p && !placed.has(p.commit)) {
          placed.add(p.commit);
          stack.push([p, 0]);
        }
      } else {
        stack.pop();
        out.push(c);
      }
    }
  }
  // unreachable from head (cannot happen for a scan of head's history): keep them, oldest last
  if (out.length < commits.length) for (const c of commits) if (!placed.has(c.commit)) out.push(c);
  return out;
}

/** The commits on HEAD's first-parent line (the branch as people saw it move). Pure. */
export function firstParentLine(commits: ScannedCommit[], head: string | undefined): Set<string> {
  const byId = new Map(commits.map((c) => [c.commit, c]));
  const line = new Set<string>();
  let cur = head ? byId.get(head) : undefined;
  while (cur && !line.has(cur.commit)) {
    line.add(cur.commit);
    cur = cur.parents[0] ? byId.get(cur.parents[0]) : undefined;
  }
  return line;
}

/** One commit of `git log --name-only`, newest first as git prints them. */
export interface LogRecord {
  commit: string;
  parents: string[];
  paths: string[];
}

/**
 * The records of `git log --format=%x01%H %P --name-only -z`: a record starts with \x01, the commit
 * and its parents end at a NUL, then a newline and the changed paths, each NUL-terminated.
 */
export function parseNameOnlyLog(out: Buffer): LogRecord[] {
  const records: LogRecord[] = [];
  let i = 0;
  while (i < out.length) {
    if (out[i] !== 1) throw new GitError(`unexpected git log output at byte ${i}`);
    const end = out.indexOf(0, i);
    if (end < 0) throw new GitError('truncated git log output');
    const [commit, ...parents] = out.toString('latin1', i + 1, end).split(' ').filter(Boolean);
    i = end + 1;
    if (out[i] === 10) i++;
    const paths: string[] = [];
    // A path is NUL-terminated; the next record starts with \x01 (no path begins with it and a
    // 40-hex id, so a path can't be taken for a record).
    while (i < out.length && out[i] !== 1) {
      const z = out.indexOf(0, i);
      if (z < 0) throw new GitError('truncated git log output');
      paths.push(out.toString('utf8', i, z));
      i = z + 1;
    }
    records.push({ commit: commit!, parents, paths });
  }
  return records;
}

// Options that make `git log --name-only` print exactly what `git log -- <path>` decides on:
// every commit's full diff against its parent (a root commit's against nothing), no rename
// pairing, raw paths, and nothing a user's config could add to the header.
const NAME_ONLY_LOG_ARGS = ['-c', 'core.quotePath=false', 'log', '--format=%x01%H %P', '--name-only', '-z', '--no-renames', '--root', '--no-show-signature', '--no-relative', '--no-ext-diff'];

/** The name-only records of `range` (newest first), at most `limit` of them. */
export async function nameOnlyLog(git: Git, range: string[], limit?: number): Promise<LogRecord[]> {
  const r = await git.run([...NAME_ONLY_LOG_ARGS, ...(limit ? [`-n${limit}`] : []), ...range, '--']);
  if (r.code !== 0) throw new GitError(`git log failed: ${r.stderr.trim() || `exit ${r.code}`}`);
  return parseNameOnlyLog(r.stdout);
}

/**
 * The name-only log of `range` read as it streams (52 MB of output at 100,000 models): complete
 * records are parsed as they arrive and handed to `sink`, newest first, so memory holds what the
 * sink keeps, not the output.
 */
export function streamNameOnlyLog(root: string, range: string[], sink: (record: LogRecord) => void): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('git', [...NAME_ONLY_LOG_ARGS, ...range, '--'], { cwd: root, env: { ...process.env, LC_ALL: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let pending: Buffer = Buffer.alloc(0);
    const err: Buffer[] = [];
    let failure: unknown;
    const take = (buf: Buffer) => {
      for (const r of parseNameOnlyLog(buf)) sink(r);
    };
    child.stdout.on('data', (chunk: Buffer) => {
      if (failure) return;
      const buf = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      // Everything before the last record start is whole records.
      const last = buf.lastIndexOf(1);
      try {
        if (last > 0) take(buf.subarray(0, last));
      } catch (e) {
        failure = e; // keep draining so git can exit; report after close
      }
      pending = Buffer.from(last >= 0 ? buf.subarray(last) : buf);
    });
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e) => reject(new GitError(`could not run git: ${e.message}`, { hint: 'install git and put it on PATH' })));
    child.on('close', (code) => {
      if (code !== 0) return reject(new GitError(`git log failed: ${Buffer.concat(err).toString().trim() || `exit ${code}`}`));
      if (failure) return reject(failure);
      try {
        if (pending.length) take(pending);
        resolvePromise();
      } catch (e) {
        reject(e);
      }
    });
  });
}
