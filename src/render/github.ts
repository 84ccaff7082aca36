// GitHub Actions workflow commands and job summaries. The escaping follows the runner's own
// (actions/toolkit command.ts): a message is "data", file/title/line are "properties".
import type { ErrorLocation } from '../errors.js';

/** Escapes a workflow command's message: % first, then CR and LF, so nothing can end the command early. */
export function escapeData(s: string): string {
  return s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

/** Escapes a property value: as data, plus `:` and `,` which would end the property list or a property. */
export function escapeProperty(s: string): string {
  return escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

/** `::error file=F,line=L,col=C,title=RULE::MESSAGE` — GitHub shows it on that line of the pull request. */
export function errorAnnotation(e: ErrorLocation): string {
  const props = [`file=${escapeProperty(e.file)}`, `line=${e.line}`, `col=${e.column}`, `title=${escapeProperty(e.rule)}`];
  return `::error ${props.join(',')}::${escapeData(e.message)}`;
}

/** `::warning file=F,line=L,col=C,title=…::MESSAGE` — shown on the line without failing the step (a forced promotion). */
export function warningAnnotation(e: ErrorLocation): string {
  const props = [`file=${escapeProperty(e.file)}`, `line=${e.line}`, `col=${e.column}`, `title=${escapeProperty(e.rule === 'forced-promotion' ? 'forced promotion' : e.rule)}`];
  return `::warning ${props.join(',')}::${escapeData(e.message)}`;
}

/** Text for a Markdown table cell: no row or column breaks, no raw HTML. */
export function markdownCell(s: string): string {
  return s
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('|', '\\|')
    .replace(/\r?\n|\r/g, '<br>');
}
