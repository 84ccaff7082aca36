// One class per kind of failure. Each has a stable `code` for programs, a sentence for people,
// optional `data`, and an optional `hint` (the command that fixes it). Only the CLI entry point
// turns them into exit codes: 1 for a failed check or operation, 2 for a usage error.

export interface ErrorLocation {
  file: string;
  line: number;
  column: number;
  pointer: string;
  rule: string;
  message: string;
  /** a short sentence naming the field and its value, for a GitHub annotation's title (schema errors) */
  title?: string;
}

export class ModelgitError extends Error {
  code = 'MODELGIT';
  exitCode = 1;
  hint?: string;
  data?: Record<string, unknown>;

  constructor(message: string, opts: { hint?: string; data?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.hint = opts.hint;
    this.data = opts.data;
  }
}

/** Wrong flags, a missing argument, a value that breaks a naming rule. Exit 2. */
export class UsageError extends ModelgitError {
  override code = 'USAGE';
  override exitCode = 2;
}

/** A model, revision, dataset or result that isn't there. */
export class NotFoundError extends ModelgitError {
  override code = 'NOT_FOUND';
}

/** Metadata (or config) that breaks the schema or an integrity rule; carries every location. */
export class ValidationError extends ModelgitError {
  override code = 'INVALID';
  readonly errors: ErrorLocation[];
  constructor(message: string, errors: ErrorLocation[], opts: { hint?: string } = {}) {
    super(message, { ...opts, data: { errors } });
    this.errors = errors;
  }
}

/** The working tree or index is not in a state where a commit can be made safely. */
export class DirtyStateError extends ModelgitError {
  override code = 'DIRTY';
}

/** Another process holds the registry lock, or git's own index.lock is in the way. */
export class LockedError extends ModelgitError {
  override code = 'LOCKED';
}

/** A git command failed for a reason modelgit did not anticipate; stderr is kept. */
export class GitError extends ModelgitError {
  override code = 'GIT';

  constructor(message: string, opts: { hint?: string; data?: Record<string, unknown>; cause?: unknown } = {}) {
    // git's stderr may run to several lines (`error: …`, then `fatal: …`): one line, as every message is.
    super(message.trim().split(/\s*\n\s*/).join('; '), opts);
  }
}

/** A commit was refused by a hook (pre-commit, commit-msg). The repository was restored. */
export class HookRejectedError extends ModelgitError {
  override code = 'HOOK_REJECTED';
}

/** The directory is not a modelgit registry (no modelgit.yaml) or not a git repository. */
export class NotARegistryError extends ModelgitError {
  override code = 'NOT_A_REGISTRY';
}

/** Something already exists and modelgit refuses to overwrite it. */
export class ConflictError extends ModelgitError {
  override code = 'CONFLICT';
}

/** A promotion gate was not met. */
export class GateError extends ModelgitError {
  override code = 'GATE_FAILED';
}

/** A push kept being rejected after all retries. */
export class PushError extends ModelgitError {
  override code = 'PUSH_FAILED';
}

/** An artifact's bytes are not what the metadata says: a file missing, a checksum off, a truncated header. */
export class ArtifactError extends ModelgitError {
  override code = 'ARTIFACT';
}

/** A file that is not a regular file, or a path that leaves where it must stay (safe-files.ts). */
export class UnsafeFileError extends ArtifactError {
  override code = 'UNSAFE_FILE';
}

/** The metadata's loading description can't become a load plan: unknown loader_type, a field missing, a key mapping that collides. */
export class LoadPlanError extends ModelgitError {
  override code = 'LOAD_PLAN';
}

/** The user interrupted a long write; whatever it had written was undone. */
export class InterruptedError extends ModelgitError {
  override code = 'INTERRUPTED';
  override exitCode = 130;
}

/**
 * The file system refused a write: the disk is full, a quota is reached, it is read-only, access
 * is denied, or it reported an I/O error. Names what could not be written and where.
 */
export class StorageError extends ModelgitError {
  override code = 'STORAGE';
}

/** The errno codes that mean "the storage refused", as opposed to a bug or a missing file. */
const STORAGE_CODES: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EIO: 'input/output error',
};

/** The storage errno of `e` (ENOSPC, EROFS, …), or undefined when it is some other failure. */
export function storageCode(e: unknown): string | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && code in STORAGE_CODES ? code : undefined;
}

/** "no space left on device (ENOSPC)" for a storage errno. */
export function storageReason(code: string): string {
  return `${STORAGE_CODES[code] ?? code} (${code})`;
}

/**
 * A StorageError for a failed file operation: "could not write <what> (<path>): <reason>", or
 * undefined when `e` is not a storage failure. `what` names the thing for people (e.g. "the model
 * file"); the path comes from the error itself unless given.
 */
export function storageError(e: unknown, what = 'a file', path?: string, opts: { hint?: string } = {}): StorageError | undefined {
  const code = storageCode(e);
  if (!code) return undefined;
  // (a copy or a rename that failed names both files: the one it could not write is `dest`)
  const where = path ?? (e as NodeJS.ErrnoException & { dest?: string }).dest ?? (e as NodeJS.ErrnoException).path;
  return new StorageError(`could not write ${what}${where ? ` (${where})` : ''}: ${storageReason(code)}`, {
    hint: opts.hint ?? storageHint(code),
    data: { errno: code, ...(where ? { path: where } : {}) },
    cause: e,
  });
}

export function storageHint(code: string): string {
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'free some space on that disk and run the command again';
  if (code === 'EROFS') return 'the file system is mounted read-only; run the command where the repository is writable';
  if (code === 'EACCES' || code === 'EPERM') return 'check the ownership and permissions of that path';
  return 'check the disk (dmesg may say more) and run the command again';
}
