// Checks shared by the read commands, so each flag is refused with the same words everywhere.
import { NotFoundError, UsageError, ValidationError, type ErrorLocation } from '../errors.js';
import { problemsInScope, type ProblemScope } from '../domain/invalid-files.js';
import type { Aggregate, Direction, RegistryConfig } from '../domain/types.js';
import type { Registry } from './registry.js';

export const DIRECTIONS: readonly Direction[] = ['min', 'max'];
export const AGGREGATES: readonly Aggregate[] = ['latest', 'best', 'mean'];

export function assertDirection(d: unknown): Direction {
  if (!DIRECTIONS.includes(d as Direction)) throw new UsageError(`--direction must be min or max (got ${JSON.stringify(d)})`);
  return d as Direction;
}

export function assertAggregate(a: unknown): Aggregate {
  if (!AGGREGATES.includes(a as Aggregate)) throw new UsageError(`--aggregate must be one of ${AGGREGATES.join(', ')} (got ${JSON.stringify(a)})`);
  return a as Aggregate;
}

export function unknownDirection(metric: string): UsageError {
  return new UsageError(`whether a lower or a higher ${metric} is better is unknown; pass --direction min or --direction max`, {
    hint: `or set it once in modelgit.yaml: metrics: { ${metric}: { direction: min } }`,
  });
}

/**
 * THE revision resolver: the commit a user-given revision names (`--at`, `--since`, diff's BASE…),
 * or NotFoundError saying which flag and which text. A revision that starts with "-" is refused
 * before git sees it, so `--at --output=x` can never be read as an option.
 */
export async function resolveRevision(
  reg: { git: Pick<Registry['git'], 'resolveCommit'> },
  rev: string,
  flag = '--at',
  hint = 'a commit id, branch or tag: git log --oneline lists commits; fetch it first if it is only on the remote (git fetch)',
): Promise<string> {
  if (typeof rev !== 'string' || rev.trim() === '') throw new UsageError(`${flag}: give a revision (a commit, branch or tag)`);
  if (rev.startsWith('-')) throw new NotFoundError(`${flag}: unknown revision ${JSON.stringify(rev)} (a revision can't start with "-")`);
  const commit = await reg.git.resolveCommit(rev);
  if (!commit) throw new NotFoundError(`${flag}: unknown revision ${JSON.stringify(rev)}: not a commit in this repository`, { hint });
  return commit;
}

/** A date, or a date and time, as --at takes them: 2025-03-14, 2025-03-14T09:30, 2025-03-14T09:30:00Z, +01:00… */
const AT_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * The instant a --at date names, as ISO 8601 UTC: a plain date is the end of that day in UTC (the
 * state "on 2025-03-14" includes what was done that day); a time without a zone is UTC. Undefined
 * when `text` is not a date.
 */
export function atInstant(text: string): string | undefined {
  const m = AT_DATE.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, zone] = m;
  const iso = h === undefined ? `${y}-${mo}-${d}T23:59:59Z` : `${y}-${mo}-${d}T${h}:${mi}:${sec ?? '00'}${zone ?? 'Z'}`;
  const t = Date.parse(iso);
  // Date.parse rolls 2025-02-30 over to March: a date must be the one written.
  if (Number.isNaN(t) || new Date(Date.UTC(+y!, +mo! - 1, +d!)).getUTCDate() !== +d!) return undefined;
  return new Date(t).toISOString().replace('.000Z', 'Z');
}

/**
 * What --at names: a revision (commit, branch, tag), else a date — the registry as it was then:
 * the newest commit of HEAD's first-parent line made at or before it. A date before the first
 * commit is NotFoundError saying when the registry began.
 */
export async function resolveAt(reg: Pick<Registry, 'git'>, at: string, flag = '--at'): Promise<string> {
  if (typeof at === 'string' && at.trim() !== '' && !at.startsWith('-')) {
    const commit = await reg.git.resolveCommit(at);
    if (commit) return commit;
  }
  const instant = typeof at === 'string' ? atInstant(at) : undefined;
  if (instant === undefined && typeof at === 'string' && /^\d{4}-\d{2}-\d{2}\b/.test(at.trim())) {
    throw new UsageError(`${flag} ${at}: not a date (a day that exists, optionally with a time: 2025-03-14, 2025-03-14T09:30Z)`);
  }
  if (instant === undefined) {
    return resolveRevision(reg, at, flag, 'a commit id, branch or tag, or a date (2025-03-14, 2025-03-14T09:30Z; UTC unless a zone is given)');
  }
  const found = await reg.git.commitAsOf('HEAD', instant);
  if (found.commit) return found.commit;
  if (!found.first) throw new NotFoundError('the registry has no commits yet');
  throw new NotFoundError(`${flag} ${at}: the registry did not exist yet (its first commit, ${found.first.commit.slice(0, 10)}, is from ${found.first.date})`, {
    hint: 'give a later date, or a revision',
  });
}

/** HEAD's commit, or NotFoundError for a repository without commits. */
export async function headRevision(reg: Registry): Promise<string> {
  // From HEAD's files when the layout is plain (no process), else from git: the same answer.
  const commit = await reg.git.headNow();
  if (!commit) throw new NotFoundError('the registry has no commits yet', { hint: 'modelgit register --algo A adds the first model' });
  return commit;
}

/**
 * The unreadable model files an answer over `scope` could depend on: refused (ValidationError,
 * exit 1, each file:line:column listed) unless the user passed --skip-invalid; then returned, for
 * the answer to report as skipped. A query must never quietly answer without a file that might
 * have changed it (the runner-up named as the best).
 */
export function checkInvalidFiles(problems: ErrorLocation[], config: Pick<RegistryConfig, 'models_dir'>, scope: ProblemScope, skipInvalid: boolean | undefined): ErrorLocation[] {
  const relevant = problemsInScope(problems, config.models_dir, scope);
  if (relevant.length && !skipInvalid) {
    const n = relevant.length;
    throw new ValidationError(`${n === 1 ? 'a model file that could change this answer is' : `${n} model files that could change this answer are`} invalid; no answer given`, relevant, {
      hint: 'fix or restore the file (modelgit validate --all lists every problem), or pass --skip-invalid to answer without it',
    });
  }
  return relevant;
}
