// How a validation report reads: one line per error for people and editors, GitHub annotations
// for CI, a Markdown job summary, and the JSON shape of DESIGN §5b.
import type { ErrorLocation } from '../errors.js';
import { plural, summaryLine, type ValidationReport } from '../domain/validation.js';
import { annotationMessage, annotationTitle, errorAnnotation, escapeData, escapeProperty, markdownCell, warningAnnotation } from './github.js';

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
  return [...r.errors.map(errorLine), ...(r.warnings ?? []).map((w) => `warning: ${errorLine(w)}`), summaryLine(r), ...stagedHint(r)].join('\n') + '\n';
}

/**
 * How much an error matters to the reviewer, most first: GitHub shows only the first 10 error
 * annotations of a step, so promotions and gates (a decision), then the config, go before file checks.
 */
function importance(e: ErrorLocation): number {
  if (e.file === 'stages.yaml' || e.rule.startsWith('gate:') || e.rule === 'allow-force' || e.rule === 'promotion-target') return 0;
  if (e.file === 'modelgit.yaml') return 1;
  if (e.rule === 'removed-by-cleanup' || e.rule === 'append-only' || e.rule === 'immutable') return 2;
  return 3;
}

/** GitHub shows this many error annotations per step; the rest are summarised in one notice. */
export const GITHUB_SHOWN_ANNOTATIONS = 10;

/**
 * DESIGN §5b: {ok, checked, errors: [{file, line, column, pointer, rule, message}]}, plus the mode.
 * The list of checked files stays out: under --all it is the whole registry.
 */
export function validationJson(r: ValidationReport): object {
  return {
    ok: r.ok,
    checked: r.checked,
    errors: r.errors.map((e) => ({ file: e.file, line: e.line, column: e.column, pointer: e.pointer, rule: e.rule, message: e.message })),
    ...(r.warnings?.length ? { warnings: r.warnings.map((e) => ({ file: e.file, line: e.line, column: e.column, pointer: e.pointer, rule: e.rule, message: e.message })) } : {}),
    mode: r.mode,
    ...(r.since ? { since: r.since } : {}),
  };
}

export function validationGithub(r: ValidationReport): string {
  const ordered = [...r.errors].sort((a, b) => importance(a) - importance(b));
  const lines = [...ordered.map(errorAnnotation), ...(r.warnings ?? []).map(warningAnnotation)];
  if (ordered.length > GITHUB_SHOWN_ANNOTATIONS) {
    const rest = ordered.slice(GITHUB_SHOWN_ANNOTATIONS);
    const byRule = new Map<string, number>();
    for (const e of rest) byRule.set(e.rule, (byRule.get(e.rule) ?? 0) + 1);
    lines.push(`::notice title=${escapeProperty(`modelgit: ${rest.length} more errors`)}::${escapeData(`GitHub shows the first ${GITHUB_SHOWN_ANNOTATIONS} annotations; ${rest.length} more (${[...byRule].map(([k, n]) => `${n} × ${k}`).join(', ')}) are in the job summary and in the log above`)}`);
  }
  return [...lines, summaryLine(r)].join('\n') + '\n';
}

/** A Markdown section for $GITHUB_STEP_SUMMARY: the verdict, then a table of every error. */
export function validationStepSummary(r: ValidationReport): string {
  const lines = ['### modelgit validate', ''];
  for (const w of r.warnings ?? []) lines.push(`:warning: ${markdownCell(w.file)}:${w.line}: ${markdownCell(w.message)}`, '');
  if (r.ok) {
    lines.push(`:white_check_mark: ${plural(r.checked, 'file')} checked, no errors.`);
  } else {
    const files = new Set(r.errors.map((e) => e.file)).size;
    lines.push(`:x: ${plural(r.errors.length, 'error')} in ${plural(files, 'file')} (${plural(r.checked, 'file')} checked).`, '');
    lines.push('| File | Line | Column | Problem | Details |', '| --- | ---: | ---: | --- | --- |');
    for (const e of r.errors) {
      lines.push(`| ${markdownCell(e.file)} | ${e.line} | ${e.column} | ${markdownCell(annotationTitle(e))} | ${markdownCell(annotationMessage(e))} |`);
    }
  }
  return lines.join('\n') + '\n\n';
}
