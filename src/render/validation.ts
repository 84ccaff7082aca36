// How a validation report reads: one line per error for people and editors, GitHub annotations
// for CI, a Markdown job summary, and the JSON shape of DESIGN §5b.
import type { ErrorLocation } from '../errors.js';
import { plural, summaryLine, type ValidationReport } from '../domain/validation.js';
import { errorAnnotation, markdownCell } from './github.js';

/** `file:line:col: pointer: message [rule]` — the form editors and terminals make clickable. */
export function errorLine(e: ErrorLocation): string {
  return `${e.file}:${e.line}:${e.column}: ${e.pointer || '/'}: ${e.message} [${e.rule}]`;
}

/** Hint for the pre-commit case, where the working tree may differ from what is being committed. */
function stagedHint(r: ValidationReport): string[] {
  if (r.ok || r.mode !== 'staged') return [];
  return ['(these are the staged versions, which is what the commit would record: fix the files and `git add` them)'];
}

export function validationText(r: ValidationReport): string {
  return [...r.errors.map(errorLine), summaryLine(r), ...stagedHint(r)].join('\n') + '\n';
}

/**
 * DESIGN §5b: {ok, checked, errors: [{file, line, column, pointer, rule, message}]}, plus the mode.
 * The list of checked files stays out: under --all it is the whole registry.
 */
export function validationJson(r: ValidationReport): object {
  return {
    ok: r.ok,
    checked: r.checked,
    errors: r.errors.map((e) => ({ file: e.file, line: e.line, column: e.column, pointer: e.pointer, rule: e.rule, message: e.message })),
    mode: r.mode,
    ...(r.since ? { since: r.since } : {}),
  };
}

export function validationGithub(r: ValidationReport): string {
  return [...r.errors.map(errorAnnotation), summaryLine(r)].join('\n') + '\n';
}

/** A Markdown section for $GITHUB_STEP_SUMMARY: the verdict, then a table of every error. */
export function validationStepSummary(r: ValidationReport): string {
  const lines = ['### modelgit validate', ''];
  if (r.ok) {
    lines.push(`:white_check_mark: ${plural(r.checked, 'file')} checked, no errors.`);
  } else {
    const files = new Set(r.errors.map((e) => e.file)).size;
    lines.push(`:x: ${plural(r.errors.length, 'error')} in ${plural(files, 'file')} (${plural(r.checked, 'file')} checked).`, '');
    lines.push('| File | Line | Column | Rule | Message |', '| --- | ---: | ---: | --- | --- |');
    for (const e of r.errors) {
      lines.push(`| ${markdownCell(e.file)} | ${e.line} | ${e.column} | ${markdownCell(e.rule)} | ${markdownCell(e.message)} |`);
    }
  }
  return lines.join('\n') + '\n\n';
}
