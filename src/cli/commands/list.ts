// list: parse → call the registry → render the table, the JSON or the summary.
import type { Command } from 'commander';
import { list } from '../../registry/list.js';
import { listingJson, listingSummary, listingTable } from '../../render/listing.js';
import { AT_HELP, choiceArg, collect, positiveIntArg } from '../options.js';
import { openRegistry, output, writeErr, writeJson, writeOut } from '../context.js';
import { UsageError } from '../../errors.js';

/** Models a terminal shows when --limit is not given: a screenful or two, not 22,000 lines. */
export const LIST_TERMINAL_LIMIT = 50;
import { problemsText } from '../../render/problems.js';

export function listCommand(program: Command): void {
  program
    .command('list')
    .description('list models, newest first or best first on a metric')
    .option('--algo <algorithm>', 'only this algorithm')
    .option('--dataset <dataset>', 'only models trained on this dataset')
    .option('--tag <tag>', 'only models with this label (repeatable: all of them)', collect, [])
    .option('--sort <key>', 'trained_at (newest first, the default) or a metric name (best first, untested last)')
    .option('--on <dataset>', 'the dataset a metric sort scores on (default: --dataset, else the only one with results)')
    .option('--direction <dir>', 'min or max: which way is better for the sort metric, when modelgit.yaml does not say', choiceArg(['min', 'max'] as const))
    .option('--results', "show each model's score per dataset (one column per dataset)")
    .option('--metric <metric>', 'with --results: the metric shown (default: the --sort metric, else default_metric)')
    .option('--aggregate <how>', "latest, best or mean of a model's results on a dataset (default: metrics.<m>.aggregate in modelgit.yaml, else latest)", choiceArg(['latest', 'best', 'mean'] as const))
    .option('--skip-invalid', 'list without model files that cannot be read (named on stderr) instead of failing')
    .option('--limit <n>', `show at most n models (at a terminal the default is ${LIST_TERMINAL_LIMIT}; through a pipe, all)`, positiveIntArg)
    .option('--all', 'show every model, also at a terminal')
    .option('--at <rev|date>', AT_HELP)
    .option('--json', 'machine-readable output: an array of metadata objects (with --sort METRIC each gains "score", with --results "scores")')
    .action(async (o) => {
      if (o.all && o.limit !== undefined) throw new UsageError('use --limit N or --all, not both');
      const out = output();
      // A person at a terminal gets the first screenful; a pipe or --json gets everything.
      const defaultLimit = o.limit === undefined && !o.all && !o.json && out.tty ? LIST_TERMINAL_LIMIT : undefined;
      const answer = await list(await openRegistry(), {
        algorithm: o.algo, dataset: o.dataset, tags: o.tag, sort: o.sort, on: o.on, direction: o.direction, limit: o.limit ?? defaultLimit,
        results: !!o.results, metric: o.metric, aggregate: o.aggregate, skipInvalid: !!o.skipInvalid, at: o.at,
      });
      if (answer.problems.length) writeErr(problemsText(answer.problems));
      for (const n of answer.notes) writeErr(`modelgit: ${n}`);
      if (o.json) return writeJson(listingJson(answer));
      if (answer.total === 0) return writeErr('no models match');
      writeOut(listingTable(answer, out));
      writeErr(listingSummary(answer, defaultLimit));
    });
}
