// Which operation ids the last OPERATION_WINDOW commits of HEAD carry, remembered per clone so that
// a write with an explicit --operation-id (the Python client passes one on every write) need not
// read 5,000 commit messages to learn that its id is new: at 10,000 models that `git log` cost
// ~90 ms of a ~450 ms register. `git log --grep` is no way out: it still reads every commit of the
// window (~45 ms), and without a bounded range it reads the whole history.
//
// Exact, or not used. The memo holds, for one tip commit, every id found by the same trailer parse
// that `git log -n<window> <tip>` gives, with the position of its newest commit in that log. When
// HEAD has moved on from the tip by a line of single-parent commits (a commit, a fast-forward pull),
// `git log -n<window> HEAD` is exactly those commits followed by the tip's log, so only they are
// read and every position shifts by their number. Anything else — HEAD moved back, another branch,
// a merge, a missing or unreadable memo, replace refs — reads the whole window again and starts a
// new memo. Commits are immutable, so a memo for a tip never goes stale; a lost write of it only
// costs the next command a full read.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Git } from '../git/git.js';

const FILE = 'operations-window.json';
const FORMAT =
  '--format=%H%x1f%P%x1f%s%x1f%(trailers:key=Operation-Id,valueonly,separator=%x1d)%x1f%(trailers:key=Model-Action,valueonly,separator=%x1d)%x1f%(trailers:key=Model-Id,valueonly,separator=%x1d)%x1e';

/** A commit carrying an operation id; `pos` is how many commits come before it in `git log <tip>`. */
export interface WindowOperation {
  commit: string;
  subject: string;
  action: string;
  modelIds: string[];
  pos: number;
}

interface Memo {
  v: 1;
  tip: string;
  window: number;
  ops: Record<string, WindowOperation>;
}

interface LogCommit {
  commit: string;
  parents: string[];
  subject: string;
  ops: string[];
  action: string;
  modelIds: string[];
}

const list = (s: string | undefined) => (s ?? '').split('\x1d').map((x) => x.trim()).filter(Boolean);

/** Parses FORMAT output, newest first as git prints it. */
export function parseOperationLog(out: string): LogCommit[] {
  const commits: LogCommit[] = [];
  for (const rec of out.split('\x1e')) {
    const [commit, parents, subject, ops, action, ids] = rec.replace(/^\n/, '').split('\x1f');
    if (!commit || subject === undefined) continue;
    commits.push({ commit: commit.trim(), parents: (parents ?? '').split(' ').filter(Boolean), subject, ops: list(ops), action: list(action)[0] ?? '', modelIds: list(ids) });
  }
  return commits;
}

/** The git log every answer comes from: the commits of `range`, newest first, at most `window`. */
export function operationLogArgs(window: number, range: string[]): string[] {
  return ['log', `-n${window}`, FORMAT, ...range, '--'];
}

/** Ids of `commits` (positions from `offset` on), the newest commit of each id first. */
function collect(commits: LogCommit[], offset: number, into: Record<string, WindowOperation>): void {
  commits.forEach((c, i) => {
    for (const id of c.ops) {
      if (!Object.hasOwn(into, id)) into[id] = { commit: c.commit, subject: c.subject, action: c.action, modelIds: c.modelIds, pos: offset + i };
    }
  });
}

function readMemo(file: string, window: number): Memo | undefined {
  try {
    const m = JSON.parse(readFileSync(file, 'utf8')) as Memo;
    if (m?.v !== 1 || m.window !== window || typeof m.tip !== 'string' || !/^[0-9a-f]{40,64}$/.test(m.tip) || typeof m.ops !== 'object' || !m.ops) return undefined;
    return m;
  } catch {
    return undefined; // none yet, or torn: read the window again
  }
}

function writeMemo(dir: string, memo: Memo): void {
  const file = join(dir, FILE);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, JSON.stringify(memo));
    renameSync(tmp, file); // whole or not at all: a concurrent reader sees one tip's memo or another's
  } catch {
    rmSync(tmp, { force: true });
  }
}

/**
 * The operation ids among the first `window` commits of `git log <head>`, or undefined when git
 * cannot say (no commit yet, a failing git): then the caller asks git itself.
 */
export async function operationsInWindow(git: Git, head: string, memoDir: string, window: number): Promise<Record<string, WindowOperation> | undefined> {
  if (!git.objectsAsStored()) return undefined; // replace refs or grafts change what a commit says
  const memo = readMemo(join(memoDir, FILE), window);
  if (memo?.tip === head) return memo.ops;
  if (memo) {
    const r = await git.run(operationLogArgs(window, [`${memo.tip}..${head}`]));
    const added = r.code === 0 ? parseOperationLog(r.stdout.toString('utf8')) : [];
    if (added.length > 0 && added.length < window && inLine(added, head, memo.tip)) {
      const ops: Record<string, WindowOperation> = Object.create(null); // an id may be `constructor`
      collect(added, 0, ops);
      for (const [id, op] of Object.entries(memo.ops)) {
        const pos = op.pos + added.length;
        if (pos < window && !Object.hasOwn(ops, id)) ops[id] = { ...op, pos };
      }
      writeMemo(memoDir, { v: 1, tip: head, window, ops });
      return ops;
    }
  }
  const r = await git.run(operationLogArgs(window, [head]));
  if (r.code !== 0) return undefined;
  const ops: Record<string, WindowOperation> = Object.create(null); // an id may be `constructor`
  collect(parseOperationLog(r.stdout.toString('utf8')), 0, ops);
  writeMemo(memoDir, { v: 1, tip: head, window, ops });
  return ops;
}

/** `commits` (newest first) lead from `head` down to `tip` one parent at a time, no merge among them. */
function inLine(commits: LogCommit[], head: string, tip: string): boolean {
  if (commits[0]!.commit !== head) return false;
  return commits.every((c, i) => c.parents.length === 1 && c.parents[0] === (i + 1 < commits.length ? commits[i + 1]!.commit : tip));
}
