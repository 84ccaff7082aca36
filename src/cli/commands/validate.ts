// validate: parse → check the staged, committed or working-tree metadata → render it for a
// person, for JSON or for GitHub (annotations and the step summary). Run by the pre-commit hook
// without a Registry, so it stays fast.
import type { Command } from 'commander';
import { reportFormatOf, validateModeOf, type ReportFormat } from '../../domain/validation.js';
import { appendStepSummary, validate } from '../../registry/validate.js';
import { validationGithub, validationJson, validationStepSummary, validationText } from '../../render/validation.js';
import { choiceArg } from '../options.js';
import { writeJson, writeOut } from '../context.js';

export function validateCommand(program: Command): void {
  program
    .command('validate')
    .description('check model metadata, modelgit.yaml and stages.yaml: schema, ids, paths, append-only results (default: what differs from HEAD)')
    .option('--staged', 'check the staged versions (the index), as the pre-commit hook does')
    .option('--all', 'check every metadata file in the working tree, plus the config and stages')
    .option('--since <rev>', 'check everything committed since REV, with immutability checked against REV (for pull requests)')
    .option('--format <format>', 'text, github (workflow annotations) or json', choiceArg(['text', 'github', 'json'] as const))
    .option('--json', 'same as --format json')
    .action(async (o) => {
      const mode = validateModeOf({ staged: o.staged, all: o.all, since: o.since });
      const format: ReportFormat = reportFormatOf({ format: o.format, json: o.json });
      const report = await validate({ cwd: process.cwd(), mode, since: o.since });
      if (format === 'json') writeJson(validationJson(report));
      else if (format === 'github') {
        writeOut(validationGithub(report));
        const summary = process.env.GITHUB_STEP_SUMMARY;
        if (summary) appendStepSummary(summary, validationStepSummary(report));
      } else writeOut(validationText(report));
      if (!report.ok) process.exitCode = 1;
    });
}
