// Which operation ids the last OPERATION_WINDOW commits of HEAD carry, remembered per clone so that
// a write with an explicit --operation-id (the Python client passes one on every write) need not
// read 5,000 commit messages to learn that its id is new: at 10,000 models that `git log` cost
// ~90 ms of a ~450 ms register. `git log --grep` is no way out: it still reads every commit of the
// window (~45 ms), and without a bounded range it reads the whole history.
//
// Exact, or not used. The memo holds, for one tip commit, every (id, commit) the same trailer parse
// finds in the first commits of `git log <tip>` (at least the window's worth, or the whole log),
// each with a sequence number that says its position: tipSeq - seq. When HEAD has moved on from
// the tip by a line of single-parent commits (a commit, a fast-forward pull), `git log HEAD` is
// exactly those commits followed by the tip's log, so only they are read and appended. When HEAD
// moved back along such a line (git reset HEAD~1), its log is the tip's log without those commits:
// their lines go, and the memo still covers the window as long as it read SLACK commits more than
// that. Anything else — another branch, a merge, a missing or unreadable memo, replace refs — reads
// the window again and starts a new memo. Commits are immutable, so a memo for a tip never goes
// stale; a lost write of it only costs the next command a full read. The file is text, one line
// per (seq, id, commit), looked up by searching the text: parsing 5,000 entries as JSON on every
// write would cost more than the log it replaces.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Git } from '../../git/git.js';

const FILE = 'operations-window.txt';
/** Commits read beyond the window, so that HEAD moved back by up to this many keeps the memo. */
const SLACK = 500;

/** The newest commit carrying an id within the window. */
export interface WindowOperation {
  commit: string;
  subject: string;
  action: string;
  modelIds: string[];
}

interface Memo {
  tip: string;
  tipSeq: number;
  /** how many commits of `git log <tip>` were read */
  covered: number;
  /** the log of tip has no more commits than that */
  complete: boolean;
  /** `<seq> <id> <commit>` lines */
  lines: string;
}

interface LogCommit {
  commit: string;
  parents: string[];
  ops: string[];
}

/** The commits of a log, newest first, with the operation ids they carry; undefined when git refused. */
async function operationLog(git: Git, revs: string[], cap: number): Promise<LogCommit[] | undefined> {
  const entries = await git.trailerLog(revs, ['Operation-Id'], { limit: cap, parents: true });
  // A value with white space can never equal an operation id (operation-id.ts): not kept, so a line stays three fields.
  return entries?.map((e) => ({ commit: e.commit, parents: e.parents, ops: e.trailers['Operation-Id']!.filter((id) => /^\S+$/.test(id)) }));
}

/** Lines for `commits` (newest first), the newest having sequence number `newestSeq`. */
function linesOf(commits: LogCommit[], newestSeq: number): string {
  let text = '';
  commits.forEach((c, i) => {
    for (const id of c.ops) text += `${newestSeq - i} ${id} ${c.commit}\n`;
  });
  return text;
}

/** The lines whose sequence number passes `keep`. */
function filterLines(lines: string, keep: (seq: number) => boolean): string {
  return lines
    .split('\n')
    .filter((l) => l && keep(Number(l.slice(0, l.indexOf(' ')))))
    .map((l) => l + '\n')
    .join('');
}

function readMemo(file: string, window: number): Memo | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined; // none yet
  }
  const nl = text.indexOf('\n');
  const m = /^modelgit-operations 1 ([0-9a-f]{40,64}) (\d+) (\d+) ([01]) (\d+)$/.exec(text.slice(0, nl));
  if (!m || Number(m[5]) !== window || !text.endsWith('\n')) return undefined; // another layout, or torn
  return { tip: m[1]!, tipSeq: Number(m[2]), covered: Number(m[3]), complete: m[4] === '1', lines: text.slice(nl + 1) };
}

function writeMemo(dir: string, memo: Memo, window: number): void {
  const file = join(dir, FILE);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, `modelgit-operations 1 ${memo.tip} ${memo.tipSeq} ${memo.covered} ${memo.complete ? 1 : 0} ${window}\n${memo.lines}`);
    renameSync(tmp, file); // whole or not at all: a concurrent reader sees one tip's memo or another's
  } catch {
    rmSync(tmp, { force: true });
  }
}

/** The newest commit carrying `id` among the first `window` commits of the memo's tip. */
function lookUp(memo: Memo, id: string, window: number): string | undefined {
  const needle = ` ${id} `;
  let best: { seq: number; commit: string } | undefined;
  for (let at = memo.lines.indexOf(needle); at >= 0; at = memo.lines.indexOf(needle, at + 1)) {
    const start = memo.lines.lastIndexOf('\n', at) + 1;
    const seqText = memo.lines.slice(start, at);
    if (!/^\d+$/.test(seqText)) continue; // the id found inside another field
    const seq = Number(seqText);
    if (memo.tipSeq - seq >= window || (best && best.seq >= seq)) continue;
    const end = memo.lines.indexOf('\n', at);
    best = { seq, commit: memo.lines.slice(at + needle.length, end) };
  }
  return best?.commit;
}

/** Whether the repository of `gitDir` (a linked worktree's too) is a shallow clone. */
function shallow(gitDir: string): boolean {
  let common = gitDir;
  try {
    common = resolve(gitDir, readFileSync(join(gitDir, 'commondir'), 'utf8').trim());
  } catch {
    /* not a linked worktree: the git dir is the common one */
  }
  return existsSync(join(common, 'shallow'));
}

/** `commits` (newest first) lead from `top` down to `bottom` one parent at a time, no merge among them. */
function inLine(commits: LogCommit[], top: string, bottom: string): boolean {
  if (commits[0]?.commit !== top) return false;
  return commits.every((c, i) => c.parents.length === 1 && c.parents[0] === (i + 1 < commits.length ? commits[i + 1]!.commit : bottom));
}

/** The memo for `head`, from the one for another tip when HEAD moved along a line, else read again. */
async function memoFor(git: Git, head: string, memoDir: string, window: number): Promise<Memo | undefined> {
  const memo = readMemo(join(memoDir, FILE), window);
  if (memo?.tip === head) return memo;
  const cap = window + SLACK;
  if (memo) {
    // The commits on one side only: those HEAD moved on by, or moved back by (checked to be a line below).
    const between = (await operationLog(git, [`${memo.tip}...${head}`], cap)) ?? [];
    const k = between.length;
    if (k > 0 && k < cap && inLine(between, head, memo.tip)) {
      let next: Memo = { tip: head, tipSeq: memo.tipSeq + k, covered: memo.covered + k, complete: memo.complete, lines: memo.lines + linesOf(between, memo.tipSeq + k) };
      if (next.covered > cap + SLACK) {
        const tipSeq = next.tipSeq;
        next = { ...next, covered: cap, complete: false, lines: filterLines(next.lines, (seq) => tipSeq - seq < cap) };
      }
      writeMemo(memoDir, next, window);
      return next;
    }
    if (k > 0 && k < cap && inLine(between, memo.tip, head) && (memo.complete || memo.covered - k >= window)) {
      const tipSeq = memo.tipSeq - k;
      const next: Memo = { tip: head, tipSeq, covered: memo.covered - k, complete: memo.complete, lines: filterLines(memo.lines, (seq) => seq <= tipSeq) };
      writeMemo(memoDir, next, window);
      return next;
    }
  }
  const commits = await operationLog(git, [head], cap);
  if (!commits) return undefined;
  const tipSeq = Math.max(memo?.tipSeq ?? 0, cap) + 1; // any start will do: positions are differences
  const next: Memo = { tip: head, tipSeq, covered: commits.length, complete: commits.length < cap, lines: linesOf(commits, tipSeq) };
  writeMemo(memoDir, next, window);
  return next;
}

/**
 * The newest commit carrying operation id `id` among the first `window` commits of `git log
 * <head>` (null: none), or undefined when the memo cannot say (a failing git, replace refs): then
 * the caller asks git itself.
 */
export async function operationInWindow(git: Git, head: string, id: string, memoDir: string, window: number): Promise<WindowOperation | null | undefined> {
  if (!git.objectsAsStored()) return undefined; // replace refs or grafts change what a commit says
  if (shallow(dirname(memoDir))) return undefined; // a deepening fetch adds commits below a tip the memo read to its end
  const memo = await memoFor(git, head, memoDir, window);
  if (!memo) return undefined;
  const commit = lookUp(memo, id, window);
  if (!commit) return null;
  const detail = await git.trailerLog([commit], ['Model-Action', 'Model-Id'], { limit: 1, subject: true });
  if (!detail) return undefined;
  const [c] = detail;
  return { commit, subject: c?.subject ?? '', action: c?.trailers['Model-Action']![0] ?? '', modelIds: c?.trailers['Model-Id'] ?? [] };
}
