// Pure pieces of `validate`: which files a path is, what a change set asks to check, which ids
// clash, which stage assignments dangle, and how a finished report reads. No I/O here.
import type { ErrorLocation } from '../errors.js';
import { UsageError } from '../errors.js';
import { CONFIG_FILE, STAGES_FILE } from './config.js';
import { nameProblem } from './names.js';
import type { RegistryConfig, StageAssignments } from './types.js';

/** What `validate` looks at: the working tree vs HEAD (default), the index, everything, or a commit range. */
export type ValidateMode = 'worktree' | 'staged' | 'all' | 'since';

export interface ValidateFlags {
  staged?: boolean;
  all?: boolean;
  since?: string;
}

/** One mode from the flags; more than one is a usage error naming them. */
export function validateModeOf(flags: ValidateFlags): ValidateMode {
  const given = [flags.staged ? '--staged' : '', flags.all ? '--all' : '', flags.since !== undefined ? '--since' : ''].filter(Boolean);
  if (given.length > 1) throw new UsageError(`use one of --staged, --all, --since (got ${given.join(' and ')})`);
  if (flags.since !== undefined && flags.since.trim() === '') throw new UsageError('--since needs a revision (a commit, branch or tag)');
  if (flags.staged) return 'staged';
  if (flags.all) return 'all';
  if (flags.since !== undefined) return 'since';
  return 'worktree';
}

export type ReportFormat = 'text' | 'github' | 'json';

/** `--json` is shorthand for `--format json`; asking for both json and another format is a usage error. */
export function reportFormatOf(opts: { format?: ReportFormat; json?: boolean }): ReportFormat {
  if (opts.json && opts.format !== undefined && opts.format !== 'json') {
    throw new UsageError(`--json and --format ${opts.format} disagree; give one of them`);
  }
  return opts.json ? 'json' : (opts.format ?? 'text');
}

// ---------- paths ----------

/** Files that may sit in the models directory without being model metadata. */
const HOUSEKEEPING = new Set(['.gitkeep', '.gitignore', '.gitattributes', 'README.md']);

export type PathKind =
  | { kind: 'model'; algorithm: string; id: string; problems: string[] }
  | { kind: 'misplaced'; reason: string }
  | { kind: 'config' }
  | { kind: 'stages' }
  | { kind: 'other' };

/**
 * What a repo-relative path is to the registry. A file under the models directory that is not
 * `<models>/<algorithm>/<model_id>.json` is `misplaced`: readers skip it, so it would silently
 * not be a model.
 */
export function classifyPath(config: Pick<RegistryConfig, 'models_dir'>, path: string): PathKind {
  if (path === CONFIG_FILE) return { kind: 'config' };
  if (path === STAGES_FILE) return { kind: 'stages' };
  const prefix = `${config.models_dir}/`;
  if (!path.startsWith(prefix)) return OTHER;
  // (without split() and the message strings: --all classifies every path, 100,000 at a time)
  const rest = path.slice(prefix.length);
  const first = rest.indexOf('/');
  const last = rest.lastIndexOf('/');
  const base = rest.slice(last + 1);
  const parts = first < 0 ? 1 : first === last ? 2 : rest.split('/').length;
  if (parts <= 2 && HOUSEKEEPING.has(base)) return OTHER;
  if (parts !== 2 || !base.endsWith('.json')) {
    const expected = `a model file belongs at ${prefix}<algorithm>/<model_id>.json`;
    if (parts === 1) return { kind: 'misplaced', reason: `${expected}, not directly in ${prefix}` };
    if (parts > 2) return { kind: 'misplaced', reason: `${expected}; this one is ${parts - 2} director${parts === 3 ? 'y' : 'ies'} too deep` };
    return { kind: 'misplaced', reason: `${expected}; "${base}" does not end in .json` };
  }
  const algorithm = rest.slice(0, first);
  const id = base.slice(0, -'.json'.length);
  const dirProblem = nameProblem('algorithm', algorithm);
  const idProblem = nameProblem('model id', id);
  const problems: string[] = dirProblem || idProblem ? [] : NO_PROBLEMS;
  if (dirProblem) problems.push(`the directory: ${dirProblem}`);
  if (idProblem) problems.push(`the file name: ${idProblem}`);
  return { kind: 'model', algorithm, id, problems };
}

const OTHER: PathKind = Object.freeze({ kind: 'other' });
/** shared by every well-named model path (frozen: nobody adds to it) */
const NO_PROBLEMS: string[] = Object.freeze([]) as unknown as string[];

/** The id a model path is named for (`models/mscn/x.json` → `x`), or undefined for other paths. */
export function idOfPath(config: Pick<RegistryConfig, 'models_dir'>, path: string): string | undefined {
  const k = classifyPath(config, path);
  return k.kind === 'model' ? k.id : undefined;
}

// ---------- change sets ----------

/**
 * A path and how it changed: Added, Modified, Deleted, or unchanged (`=`, for --all). When git
 * already knows the blobs (`git diff --raw`), their ids come along, so nothing is looked up twice.
 */
export interface PathChange {
  path: string;
  status: 'A' | 'M' | 'D' | '=';
  /** the new blob; absent when git has not hashed it (a working-tree file) */
  oid?: string;
  /** the new file mode, e.g. 100644; absent when unknown */
  mode?: string;
  /** the old blob, for M and D */
  baseOid?: string;
}

const NO_OID = /^0+$/;

/** Parses `git diff --raw -z --no-abbrev --no-renames` output. */
export function parseRawDiff(out: string): PathChange[] {
  const fields = out.split('\0');
  const changes: PathChange[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const meta = fields[i]!;
    const path = fields[i + 1]!;
    const m = /^:(\d{6}) (\d{6}) ([0-9a-f]+) ([0-9a-f]+) ([A-Z])/.exec(meta);
    if (!m || !path) continue;
    const [, , mode, baseOid, oid, code] = m;
    // T (type change) and U (unmerged) still leave a file to check at that path.
    const status = code === 'A' ? 'A' : code === 'D' ? 'D' : 'M';
    changes.push({
      path,
      status,
      ...(status !== 'D' && !NO_OID.test(mode!) ? { mode } : {}),
      ...(status !== 'D' && !NO_OID.test(oid!) ? { oid } : {}),
      ...(status !== 'A' && !NO_OID.test(baseOid!) ? { baseOid } : {}),
    });
  }
  return changes;
}

/** Paths whose file name id is used by more than one model path (ids are unique across algorithms). */
export function duplicateIds(config: Pick<RegistryConfig, 'models_dir'>, paths: Iterable<string>): Map<string, string[]> {
  const named: [string | undefined, string][] = [];
  for (const p of paths) named.push([idOfPath(config, p), p]);
  return idClashes(named);
}

/** The ids given to more than one path, each with its paths sorted; `[id, path]` pairs with an undefined id are not models. */
export function idClashes(named: Iterable<[id: string | undefined, path: string]>): Map<string, string[]> {
  // a list only for an id seen twice: --all passes every model path, nearly all with an id of its own
  const first = new Map<string, string>();
  const byId = new Map<string, string[]>();
  for (const [id, p] of named) {
    if (id === undefined) continue;
    const seen = first.get(id);
    if (seen === undefined) first.set(id, p);
    else (byId.get(id) ?? byId.set(id, [seen]).get(id)!).push(p);
  }
  for (const ps of byId.values()) ps.sort();
  return byId;
}

export interface StageProblem {
  pointer: string;
  rule: string;
  message: string;
}

/** Every stage assignment whose model file does not exist under that algorithm. */
export function danglingStages(config: Pick<RegistryConfig, 'models_dir'>, stages: StageAssignments, exists: (path: string) => boolean): StageProblem[] {
  const problems: StageProblem[] = [];
  for (const [algorithm, byStage] of Object.entries(stages ?? {})) {
    for (const [stage, id] of Object.entries(byStage ?? {})) {
      const path = `${config.models_dir}/${algorithm}/${id}.json`;
      if (!exists(path)) {
        problems.push({
          pointer: `/${algorithm}/${stage}`,
          rule: 'stage-model-exists',
          message: `${algorithm} ${stage} is assigned to ${id}, but there is no ${path}`,
        });
      }
    }
  }
  return problems;
}

/** The model files a stages file points at, to look up in one listing. */
export function stagedModelPaths(config: Pick<RegistryConfig, 'models_dir'>, stages: StageAssignments): string[] {
  const paths: string[] = [];
  for (const [algorithm, byStage] of Object.entries(stages ?? {})) {
    for (const id of Object.values(byStage ?? {})) paths.push(`${config.models_dir}/${algorithm}/${id}.json`);
  }
  return [...new Set(paths)];
}

// ---------- the report ----------

export interface ValidationReport {
  ok: boolean;
  checked: number;
  errors: ErrorLocation[];
  /** what passes but must be seen (a promotion forced past its gates): never fails the check */
  warnings?: ErrorLocation[];
  mode: ValidateMode;
  /** the commit --since compared against */
  since?: string;
  files: string[];
}

/** Errors in file order, then line and column; one copy of each (a missing per-algorithm schema is found once per file). */
export function finishReport(mode: ValidateMode, files: string[], errors: ErrorLocation[], since?: string, warnings: ErrorLocation[] = []): ValidationReport {
  const seen = new Set<string>();
  const unique = errors.filter((e) => {
    const key = [e.file, e.line, e.column, e.pointer, e.rule, e.message].join('\0');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  unique.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
  const sorted = [...new Set(files)].sort();
  return { ok: unique.length === 0, checked: sorted.length, errors: unique, ...(warnings.length ? { warnings } : {}), mode, ...(since ? { since } : {}), files: sorted };
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

const MODE_WORDS: Record<ValidateMode, string> = {
  worktree: 'working tree vs HEAD',
  staged: 'staged',
  all: 'all files',
  since: 'since',
};

/** One line that says how it went: `ok: 3 files checked` or `modelgit validate: 2 errors in 1 file (…)`. */
export function summaryLine(r: ValidationReport): string {
  const scope = r.mode === 'since' ? `since ${r.since?.slice(0, 12)}` : MODE_WORDS[r.mode];
  if (r.ok) return `ok: ${plural(r.checked, 'file')} checked (${scope})`;
  const files = new Set(r.errors.map((e) => e.file)).size;
  return `modelgit validate: ${plural(r.errors.length, 'error')} in ${plural(files, 'file')} (${plural(r.checked, 'file')} checked, ${scope})`;
}
