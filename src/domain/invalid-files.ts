// Which unreadable model files an answer could depend on. A file that doesn't parse (committed with
// --no-verify, or in a clone without the hook) is left out of the snapshot; a query that ranked
// without it could name the runner-up as the best, so the queries refuse unless the user says
// --skip-invalid. Only files that could have been part of the answer count: for `best --algo mscn`
// a broken models/lero/x.json changes nothing (a file's directory is its algorithm: the snapshot
// refuses a model whose algorithm differs from its directory). Pure.
import type { ErrorLocation } from '../errors.js';

/** What a query reads: every model, one algorithm's, or a few ids. */
export type ProblemScope = { kind: 'all' } | { kind: 'algorithm'; algorithm: string } | { kind: 'ids'; ids: string[] };

/** A skipped file as `--json` answers report it (`skipped: [...]`). */
export interface SkippedFile {
  file: string;
  line: number;
  column: number;
  rule: string;
  message: string;
}

/** The algorithm directory a models-dir file lies in, or undefined when the path doesn't say. */
export function algorithmDirOf(modelsDir: string, file: string): string | undefined {
  const prefix = `${modelsDir}/`;
  if (!file.startsWith(prefix)) return undefined;
  const rest = file.slice(prefix.length).split('/');
  return rest.length === 2 ? rest[0] : undefined;
}

/** The problems that could change an answer read over `scope`. */
export function problemsInScope(problems: ErrorLocation[], modelsDir: string, scope: ProblemScope): ErrorLocation[] {
  if (scope.kind === 'all') return problems;
  if (scope.kind === 'algorithm') {
    return problems.filter((p) => {
      const dir = algorithmDirOf(modelsDir, p.file);
      // A file whose algorithm the path doesn't give, or that names another algorithm than its
      // directory (fixed by moving it, it would be that one's), could be any algorithm's.
      if (dir === undefined || (p.rule === 'id-matches-path' && p.pointer === '/algorithm')) return true;
      return dir === scope.algorithm;
    });
  }
  const names = new Set(scope.ids.map((id) => `${id}.json`));
  return problems.filter((p) => names.has(p.file.slice(p.file.lastIndexOf('/') + 1)));
}

export function skippedFiles(problems: ErrorLocation[]): SkippedFile[] {
  return problems.map((p) => ({ file: p.file, line: p.line, column: p.column, rule: p.rule, message: p.message }));
}

/** The problem of the file that would hold `id` (`<models_dir>/<algorithm>/<id>.json`), if any. */
export function problemOfId(problems: ErrorLocation[], modelsDir: string, id: string): ErrorLocation | undefined {
  return problems.find((p) => algorithmDirOf(modelsDir, p.file) !== undefined && p.file.endsWith(`/${id}.json`));
}
