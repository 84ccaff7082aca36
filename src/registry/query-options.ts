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
