// history: the audit trail, read from commit trailers (DESIGN §4). git does the filtering and stops
// early (`-n`, `--grep` on trailer lines, path limiting), so showing 20 entries never parses the
// whole log of a 30,000-commit registry.
import { UsageError } from '../errors.js';
import { assertSafeName } from '../domain/names.js';
import { STAGES_FILE } from '../domain/config.js';
import type { LogEntry } from '../git/git.js';
import type { HeadAt, Registry } from './registry.js';

export interface HistoryQuery {
  /** only entries naming this model (a cleanup names every model it removed) */
  id?: string;
  /** only entries touching this algorithm's models (and its stage changes) */
  algorithm?: string;
  /** one action, or several separated by commas: `promote,demote` */
  action?: string;
  /** a date git understands (`2024-10-01`, `2 weeks ago`) or a revision: entries after it */
  since?: string;
  limit?: number;
}

export interface HistoryEntry {
  commit: string;
  action: string;
  model_ids: string[];
  author: string;
  date: string;
  subject: string;
  author_email: string;
  /** from a `Dataset:` trailer (test results) */
  dataset?: string;
  /** every trailer of the commit, for programs that want more (Previous-Model-Id, Stage, …) */
  trailers: Record<string, string[]>;
}

const ACTION_RE = /^[a-z][a-z0-9-]{0,63}$/;

export function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The actions to match, from `--action a[,b…]`. */
export function parseActions(raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const actions = raw.split(',').map((a) => a.trim()).filter(Boolean);
  if (actions.length === 0) throw new UsageError('--action: give an action such as register, test, promote or cleanup');
  for (const a of actions) {
    if (!ACTION_RE.test(a)) throw new UsageError(`--action: ${JSON.stringify(a)} is not an action name (lowercase letters, digits and "-", e.g. register, cleanup)`);
  }
  return actions;
}

// Dates git's approxidate reads but Date.parse does not. git accepts *anything* for --since
// (a typo silently means "now"), so we only pass on what is recognisably a date.
const RELATIVE_DATE_RE =
  /^((\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten)[ .]?(seconds?|minutes?|hours?|days?|weeks?|months?|years?)[ .]?)+ago$|^(yesterday|today|now|noon|midnight|last[ .](week|month|year))$/i;

export function looksLikeDate(s: string): boolean {
  const t = s.trim();
  if (!t || t.startsWith('-')) return false;
  if (RELATIVE_DATE_RE.test(t)) return true;
  if (/^@\d+$/.test(t)) return true; // a unix timestamp, as git writes it
  // A calendar date or timestamp (2024-10-19, 2024-10-19T10:30:00Z, "Oct 19 2024"); plain numbers
  // are not dates even though Date.parse accepts some.
  // git reads a year outside 1970–2099 as no date at all, i.e. "now": refuse it instead.
  const year = /(?<!\d)(\d{4})(?!\d)/.exec(t);
  if (!year || Number(year[1]) < 1970 || Number(year[1]) > 2099) return false;
  return /[-/ .:A-Za-z]/.test(t) && !Number.isNaN(Date.parse(t));
}

/** `git log` arguments for --since: a revision range when it names a commit, else a date. */
export async function sinceArgs(reg: Registry, since: string | undefined): Promise<string[]> {
  if (since === undefined) return [];
  if (since.trim() === '') throw new UsageError('--since: give a date (2024-10-01, "2 weeks ago") or a revision (a commit, tag or branch)');
  const commit = since.startsWith('-') ? undefined : await reg.git.resolveCommit(since);
  if (commit) return [`${commit}..HEAD`];
  if (looksLikeDate(since)) return [`--since=${since}`];
  throw new UsageError(`--since: ${JSON.stringify(since)} is neither a revision in this repository nor a date`, {
    hint: 'use a date such as 2024-10-01 or "2 weeks ago", or a commit, tag or branch name',
  });
}

export function toHistoryEntry(e: LogEntry): HistoryEntry {
  const dataset = e.trailers['Dataset']?.[0];
  return {
    commit: e.commit,
    action: e.trailers['Model-Action']?.[0] ?? '',
    model_ids: e.trailers['Model-Id'] ?? [],
    author: e.author,
    date: e.date,
    subject: e.subject,
    author_email: e.authorEmail,
    ...(dataset !== undefined ? { dataset } : {}),
    trailers: e.trailers,
  };
}

/** The ids of an algorithm's models at HEAD, from the tree alone (no blob reads). */
async function idsOfAlgorithm(reg: Registry, algorithm: string): Promise<Set<string>> {
  const head = await reg.git.head();
  if (!head) return new Set();
  const dir = `${reg.config.models_dir}/${algorithm}/`;
  const entries = await reg.git.lsTree(head, [dir]);
  return new Set(entries.map((e) => e.path.slice(dir.length).replace(/\.json$/, '')));
}

export async function history(reg: Registry, q: HistoryQuery = {}): Promise<HistoryEntry[]> {
  if (q.id !== undefined) assertSafeName('model id', q.id, 'ID');
  if (q.algorithm !== undefined) assertSafeName('algorithm', q.algorithm, '--algo');
  const actions = parseActions(q.action);
  if (q.limit !== undefined && (!Number.isInteger(q.limit) || q.limit < 1)) throw new UsageError(`--limit must be a whole number ≥ 1 (got ${q.limit})`);
  const range = await sinceArgs(reg, q.since);

  // Every grep must match (--all-match); `^`/`$` anchor on lines, so these match trailer lines.
  const greps = [
    actions ? `--grep=^Model-Action: (${actions.map(escapeRegex).join('|')})$` : '--grep=^Model-Action: ',
    ...(q.id !== undefined ? [`--grep=^Model-Id: ${escapeRegex(q.id)}$`] : []),
  ];
  const modelsDir = q.algorithm !== undefined ? `${reg.config.models_dir}/${q.algorithm}/` : undefined;
  // Promotions of the algorithm change stages.yaml, not its model files; they are read too and
  // kept when they name one of its models (or say the algorithm in an Algorithm: trailer).
  const pathspec = modelsDir ? ['--', modelsDir, STAGES_FILE] : [];
  let algoIds: Promise<Set<string>> | undefined;

  const keep = async (e: LogEntry): Promise<boolean> => {
    const t = e.trailers;
    // --grep matches any line of the message; only trailers count.
    const action = t['Model-Action']?.[0];
    if (!action) return false;
    if (actions && !actions.includes(action)) return false;
    if (q.id !== undefined && !(t['Model-Id'] ?? []).includes(q.id)) return false;
    if (modelsDir && !(e.paths ?? []).some((p) => p.startsWith(modelsDir))) {
      if ((t['Algorithm'] ?? []).includes(q.algorithm!)) return true;
      algoIds ??= idsOfAlgorithm(reg, q.algorithm!);
      const ids = await algoIds;
      return (t['Model-Id'] ?? []).some((id) => ids.has(id));
    }
    return true;
  };

  const out: HistoryEntry[] = [];
  const limit = q.limit;
  // Normally one git call gives exactly `limit` entries; the loop only continues when the exact
  // checks above dropped some (a trailer-looking line in a body, another algorithm's promotion).
  let skip = 0;
  for (;;) {
    const batch = limit === undefined ? undefined : Math.max(limit - out.length, 20);
    const args = ['-E', '--all-match', ...greps, ...(batch ? [`-n${batch}`, `--skip=${skip}`] : []), ...range, ...pathspec];
    const entries = await reg.git.log(args, { paths: !!modelsDir });
    for (const e of entries) {
      if (limit !== undefined && out.length >= limit) break;
      if (await keep(e)) out.push(toHistoryEntry(e));
    }
    skip += entries.length;
    if (batch === undefined || entries.length < batch || (limit !== undefined && out.length >= limit)) break;
  }
  return out;
}

/** Whether `a` is an ancestor of `b` (git's own answer; a commit is its own ancestor). */
async function isAncestor(reg: Registry, a: string, b: string): Promise<boolean> {
  return reg.git.isAncestor(a, b, { strict: true });
}

/**
 * One model's history, newest first: the same entries as `history({ id })`, found by path instead
 * of by `--grep` (which reads every commit message: 2.3 s at 315,000 commits). Every action on a
 * model but promote/demote changes its file; those change stages.yaml. Two path-limited walks, not
 * one with both paths: git (2.39) uses its Bloom filters only for a single path.
 */
export async function modelHistory(reg: Registry, id: string, path: string, at?: HeadAt): Promise<HistoryEntry[]> {
  assertSafeName('model id', id, 'ID');
  const names = (e: LogEntry): boolean => !!e.trailers['Model-Action']?.[0] && (e.trailers['Model-Id'] ?? []).includes(id);
  const [own = [], staged = []] = await reg.fileHistory([path, STAGES_FILE], at, { naming: id });
  const files = own.filter(names);
  const seen = new Set(files.map((e) => e.commit));
  const stages = staged.filter((e) => names(e) && !seen.has(e.commit));
  if (!stages.length) return files.map(toHistoryEntry);

  // Interleave as one `git log` would: a stage change goes before the first file change it
  // descends from. Dates can't decide that (a hand-made commit, a skewed clock, many per second);
  // ancestry only fails to when the two sit on different branches, and then the date decides.
  const olderThan = async (e: LogEntry, than: LogEntry): Promise<boolean> =>
    (await isAncestor(reg, e.commit, than.commit)) || (!(await isAncestor(reg, than.commit, e.commit)) && Date.parse(e.date) <= Date.parse(than.date));
  const out: LogEntry[] = [];
  let i = 0;
  for (const s of stages) {
    // The file changes are in ancestry order, so "older than s" is false…false, true…true: bisect it.
    let lo = i;
    let hi = files.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (await olderThan(files[mid]!, s)) hi = mid;
      else lo = mid + 1;
    }
    out.push(...files.slice(i, lo), s);
    i = lo;
  }
  out.push(...files.slice(i));
  return out.map(toHistoryEntry);
}
