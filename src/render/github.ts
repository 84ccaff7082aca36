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

/** Titles for the rules that are not schema keywords (those carry their own title, schema/titles.ts). */
const RULE_TITLES: Record<string, string> = {
  'append-only': 'a recorded test result was changed or removed',
  immutable: 'a field fixed at registration was changed',
  'json-syntax': 'not valid JSON',
  'json-duplicate-key': 'a key is written twice',
  'yaml-syntax': 'not valid YAML',
  'encoding-bom': 'byte-order mark',
  'promotion-target': 'the promoted model is not there',
  'allow-force': 'forced promotion not allowed here',
  'removed-by-cleanup': 'model removed outside a cleanup',
  'forced-promotion': 'forced promotion',
};

/** A readable title: the error's own (schema errors name field and value), else what its rule means. */
export function annotationTitle(e: ErrorLocation): string {
  if (e.title) return e.title;
  // `json-syntax (PropertyNameExpected)`: the rule, then the parser's word for it
  const base = e.rule.split(' (')[0]!;
  if (RULE_TITLES[base]) return RULE_TITLES[base]!;
  if (e.rule.startsWith('gate:')) return `promotion gate ${e.rule.slice(5)} failed`;
  return e.rule.replaceAll('-', ' ');
}

/** The message without the pointer it starts with: the annotation already sits on that line. */
export function annotationMessage(e: ErrorLocation): string {
  const m = e.message;
  if (!e.pointer || !m.startsWith(e.pointer)) return m;
  const rest = m.slice(e.pointer.length).replace(/^:?\s+/, '');
  if (!rest) return m;
  // a schema error's title names field and value; the message keeps the rule it broke
  return e.title ? `${rest} (schema rule ${e.rule})` : rest;
}

/** `::error file=F,line=L,col=C,title=TITLE::MESSAGE` — GitHub shows it on that line of the pull request. */
export function errorAnnotation(e: ErrorLocation): string {
  const props = [`file=${escapeProperty(e.file)}`, `line=${e.line}`, `col=${e.column}`, `title=${escapeProperty(annotationTitle(e))}`];
  return `::error ${props.join(',')}::${escapeData(annotationMessage(e))}`;
}

/** `::warning file=F,line=L,col=C,title=…::MESSAGE` — shown on the line without failing the step (a forced promotion). */
export function warningAnnotation(e: ErrorLocation): string {
  const props = [`file=${escapeProperty(e.file)}`, `line=${e.line}`, `col=${e.column}`, `title=${escapeProperty(annotationTitle(e))}`];
  return `::warning ${props.join(',')}::${escapeData(annotationMessage(e))}`;
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
