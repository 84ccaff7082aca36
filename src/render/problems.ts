// Files a query left out because they can't be read (--skip-invalid): the user hears about them (on stderr).
import type { ErrorLocation } from '../errors.js';

export function problemsText(problems: ErrorLocation[]): string {
  if (problems.length === 0) return '';
  const lines = problems.slice(0, 5).map((p) => `modelgit: warning: skipped ${p.file}:${p.line}:${p.column}: ${p.message} [${p.rule}]`);
  if (problems.length > 5) lines.push(`modelgit: warning: … and ${problems.length - 5} more unreadable files`);
  lines.push('  hint: modelgit validate --all lists every problem');
  return lines.join('\n') + '\n';
}
