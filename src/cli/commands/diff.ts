// diff: parse → call the registry → render what changed between two revisions (text or markdown
// for a pull request comment, or JSON).
import type { Command } from 'commander';
import { registryDiff } from '../../registry/diff.js';
import { diffMarkdown } from '../../render/diff.js';
import { choiceArg } from '../options.js';
import { openRegistry, writeJson, writeOut } from '../context.js';

export function diffCommand(program: Command): void {
  program
    .command('diff')
    .description('what changed in the registry between two revisions: models registered and removed, test results, promotions, other changes')
    .argument('<base>', 'the revision to compare from (a pull request: its base)')
    .argument('[head]', 'the revision to compare to', 'HEAD')
    .option('--format <format>', 'md (a pull-request comment or $GITHUB_STEP_SUMMARY) or json', choiceArg(['md', 'json'] as const), 'md')
    .option('--json', 'same as --format json')
    .action(async (base: string, head: string, o) => {
      const d = await registryDiff(await openRegistry(), base, head);
      if (o.json || o.format === 'json') return writeJson(d);
      writeOut(diffMarkdown(d));
    });
}
