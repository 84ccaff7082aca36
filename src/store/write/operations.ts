// Exactly once under retry. Every write runs as an *operation* with an identity, written into its
// commit as an `Operation-Id:` trailer, so that running a command again after a crash, a kill or a
// failed push recognises the commit the earlier attempt made and answers with it instead of writing
// a second model or a second result. The identity is either a token the caller passes
// (`--operation-id`, MODELGIT_OPERATION_ID: it always dedupes, like an idempotency key) or, without
// one, a digest of what the command was asked to do in this clone (command, normalised arguments,
// the contents of its input files; never the time or a generated id). A derived identity dedupes only
// against an earlier attempt that never acknowledged: each attempt leaves an entry under
// .git/modelgit/operations/ until its answer has been printed (exit 0), so an entry whose process
// has ended is an attempt the user was not told about. Two runs of the same command that both
// completed are two operations (two trainings with the same hyperparameters stay two models).
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ConflictError, storageError, UsageError } from '../../errors.js';
import { OPERATION_WINDOW, operationIdProblem } from '../../domain/operation-id.js';
import type { Git } from '../../git/git.js';
import { cryptoLib } from '../../lazy.js';
import { liveness, self, type LockHolder } from './lock.js';
import { operationInWindow } from './operation-index.js';
import { cacheDisabled, modelgitDir } from '../cache/policy.js';

export const OPERATION_TRAILER = 'Operation-Id';

// How many commits back from HEAD a token is looked for (domain/operation-id.ts: import reads it too).
export { OPERATION_WINDOW };
/** Entries of unacknowledged attempts older than this are forgotten. */
const ENTRY_TTL_MS = 7 * 24 * 3600_000;

export interface Operation {
  id: string;
  /** a token the caller gave: always dedupes; a derived one only against an unacknowledged attempt */
  explicit: boolean;
}

/** A commit that carries the operation's identity. */
export interface CommittedOperation {
  commit: string;
  subject: string;
  action: string;
  modelIds: string[];
}

/** Checks a caller's token (a UUID fits); the message names where it came from. */
export function checkOperationToken(token: string, from = '--operation-id'): string {
  const problem = operationIdProblem(token);
  if (problem) throw new UsageError(`${from}: ${problem}`);
  return token;
}

/** The token from the environment, if any. */
export function envOperationId(): string | undefined {
  const v = process.env.MODELGIT_OPERATION_ID;
  return v ? checkOperationToken(v, 'MODELGIT_OPERATION_ID') : undefined;
}

/** JSON with sorted keys and no undefined values: the same inputs always give the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The identity of an operation given no token: the command and its inputs, in this clone on this
 * machine (so an identical command in another clone is another operation).
 */
export function derivedOperationId(gitDir: string, action: string, inputs: unknown): string {
  const text = canonicalJson({ v: 1, host: hostname(), gitDir, action, inputs });
  return `auto-${action}-${cryptoLib().createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
}

/** The operation a write runs as: the caller's token when there is one, else derived from its inputs. */
export function operationOf(token: string | undefined, derive?: () => string): Operation | undefined {
  if (token) return { id: token, explicit: true };
  return derive ? { id: derive(), explicit: false } : undefined;
}

interface Entry extends Pick<LockHolder, 'pid' | 'host' | 'boot' | 'start'> {
  id: string;
  explicit: boolean;
  /** HEAD when the first attempt began: its commit, if made, is after this */
  head: string | undefined;
  began: string;
}

function dir(gitDir: string): string {
  return modelgitDir(gitDir, 'operations');
}

function key(id: string): string {
  return cryptoLib().createHash('sha256').update(id).digest('hex').slice(0, 24);
}

function entryFile(gitDir: string, id: string, pid = process.pid): string {
  return join(dir(gitDir), `${key(id)}.${pid}.json`);
}

/** Earlier attempts of `id` recorded here whose process has ended (they never acknowledged). */
function deadAttempts(gitDir: string, id: string): { file: string; entry: Entry }[] {
  let names: string[];
  try {
    names = readdirSync(dir(gitDir));
  } catch {
    return [];
  }
  const prefix = `${key(id)}.`;
  const found: { file: string; entry: Entry }[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.json')) continue;
    const file = join(dir(gitDir), name);
    try {
      const entry = JSON.parse(readFileSync(file, 'utf8')) as Entry;
      if (entry.id === id && entry.pid !== process.pid && liveness(entry) !== 'alive') found.push({ file, entry });
    } catch {
      /* a torn entry: the attempt never got as far as writing */
    }
  }
  return found;
}

/** The journal of one operation in this process: what it began, and what it resolved. */
export class OperationJournal {
  private readonly earlier: { file: string; entry: Entry }[];
  private noted = false;

  constructor(
    readonly gitDir: string,
    readonly op: Operation,
  ) {
    this.earlier = deadAttempts(gitDir, op.id);
  }

  /** Whether to look for the operation's commit at all (a derived identity: only after an unacknowledged attempt). */
  get lookFor(): boolean {
    return this.op.explicit || this.earlier.length > 0;
  }

  /** Where the search may start: before the oldest earlier attempt (undefined: from HEAD, bounded by OPERATION_WINDOW). */
  get since(): string | undefined {
    if (this.op.explicit) return undefined;
    return this.first()?.head;
  }

  /** The earliest unacknowledged attempt (every later one keeps its base). */
  private first(): Entry | undefined {
    return this.earlier.map((e) => e.entry).sort((a, b) => (a.began < b.began ? -1 : 1))[0];
  }

  /** Records this attempt (before anything is written), keeping the base of the earliest one. */
  begin(head: string | undefined): void {
    if (this.noted) return;
    const first = this.first();
    const entry: Entry = { id: this.op.id, explicit: this.op.explicit, ...self(), head: first ? first.head : head, began: first?.began ?? new Date().toISOString() };
    const file = entryFile(this.gitDir, this.op.id);
    try {
      mkdirSync(dir(this.gitDir), { recursive: true });
      writeFileSync(file, JSON.stringify(entry) + '\n');
    } catch (e) {
      // Nothing is written yet: a full or read-only disk is said in one line, no torn entry stays.
      try {
        rmSync(file, { force: true });
      } catch {
        /* read-only: nothing was written there either */
      }
      throw storageError(e, "the write's operation note", file) ?? e;
    }
    this.noted = true;
    prune(this.gitDir);
  }

  /** The answer reached the user: this attempt and the earlier ones it settled are done. */
  acknowledge(): void {
    for (const e of this.earlier) rmSync(e.file, { force: true });
    rmSync(entryFile(this.gitDir, this.op.id), { force: true });
  }
}

/** Forgets entries older than a week (an attempt nobody ran again). */
function prune(gitDir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir(gitDir));
  } catch {
    return;
  }
  const cutoff = Date.now() - ENTRY_TTL_MS;
  for (const name of names) {
    const file = join(dir(gitDir), name);
    try {
      if (statSync(file).mtimeMs < cutoff) rmSync(file, { force: true });
    } catch {
      /* gone meanwhile */
    }
  }
}

/**
 * The newest commit carrying `Operation-Id: <id>` among the commits of `tip` after `since` (all of
 * them back to OPERATION_WINDOW commits): one `git log`, its walk bounded. Given the clone's
 * `gitDir`, a search of the whole window reads only the commits made since the last
 * one (operation-index.ts): an explicit id is looked for on every write.
 */
export async function findOperation(git: Git, id: string, tip: string, since?: string, gitDir?: string): Promise<CommittedOperation | undefined> {
  if (gitDir && since === undefined && !cacheDisabled()) {
    const head = tip === 'HEAD' ? await git.headNow() : await git.resolveCommit(tip);
    if (!head) return undefined; // no commit yet
    const found = await operationInWindow(git, head, id, modelgitDir(gitDir), OPERATION_WINDOW);
    if (found !== undefined) return found ?? undefined;
  }
  const range = since && (await git.resolveCommit(since)) !== undefined ? [`${since}..${tip}`] : [tip];
  const log = await git.trailerLog(range, ['Operation-Id', 'Model-Action', 'Model-Id'], { limit: OPERATION_WINDOW, subject: true });
  if (!log) return undefined; // no commit yet
  for (const { commit, subject, trailers } of log) {
    if (!trailers['Operation-Id']!.includes(id)) continue;
    return { commit, subject, action: trailers['Model-Action']![0] ?? '', modelIds: trailers['Model-Id']! };
  }
  return undefined;
}

/**
 * A token reused for another operation is the caller's mistake, not a repeat: refused rather than
 * answered with an unrelated commit.
 */
export function assertSameOperation(found: CommittedOperation & { operationId: string }, action: string, modelId?: string): void {
  if (found.action === action && (modelId === undefined || found.modelIds.includes(modelId))) return;
  throw new ConflictError(
    `operation id ${found.operationId} was already used by another operation: ${found.commit.slice(0, 10)} ("${found.subject}"); nothing was written`,
    { hint: 'give each operation its own --operation-id (a fresh UUID per operation; the same one only when retrying it)', data: { commit: found.commit } },
  );
}
