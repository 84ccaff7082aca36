// One `git log --raw` over the whole history: every commit's trailers and the blob ids of the files
// it changed, so history-derived views (best over time, a model's history, the promotion timeline)
// come from a single pass instead of one git call per commit or per model.
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
  // parents always before children once reversed, whatever the clocks said
  '--date-order',
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

/**
 * Every commit reachable from HEAD, oldest first, with its changed files. Empty for a repo without
 * commits. The tree diffs dominate on a big registry, so the history is cut at points on the
 * first-parent line into `parts` disjoint ranges (`c1`, `c2 ^c1`, … `HEAD ^ck`) read concurrently:
 * every commit lands in exactly one range, and each range's parents come before it.
 */
export async function scanHistory(git: Git, parts = 1, minPerPart = 2000): Promise<ScannedCommit[]> {
  const head = await git.head();
  if (!head) return [];
  let ranges: string[][] = [[head]];
  if (parts > 1) {
    const line = (await git.text(['rev-list', '--first-parent', '--reverse', head])).split('\n').filter(Boolean);
    if (line.length >= parts * minPerPart) {
      const cuts = Array.from({ length: parts - 1 }, (_, i) => line[Math.floor(((i + 1) * line.length) / parts)]!);
      ranges = [...cuts, head].map((tip, i) => (i === 0 ? [tip] : [tip, `^${cuts[i - 1]}`]));
    }
  }
  const outs = await Promise.all(
    ranges.map(async (range) => {
      const r = await git.run([...RAW_LOG_ARGS, ...range]);
      if (r.code !== 0) throw new GitError(`git log failed: ${r.stderr.trim()}`);
      return parseRawLog(r.stdout.toString('utf8'));
    }),
  );
  return outs.flat();
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
