import type { Command } from 'commander';
import { list } from '../../registry/list.js';
import { listingJson, listingSummary, listingTable } from '../../render/listing.js';
import { choiceArg, collect, positiveIntArg } from '../options.js';
import { openRegistry, writeErr, writeJson, writeOut } from '../context.js';
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
    .option('--limit <n>', 'show at most n models', positiveIntArg)
    .option('--json', 'machine-readable output: an array of metadata objects')
    .action(async (o) => {
      const answer = await list(await openRegistry(), {
        algorithm: o.algo, dataset: o.dataset, tags: o.tag, sort: o.sort, on: o.on, direction: o.direction, limit: o.limit,
      });
      if (answer.problems.length) writeErr(problemsText(answer.problems));
      for (const n of answer.notes) writeErr(`modelgit: ${n}`);
      if (o.json) return writeJson(listingJson(answer));
      if (answer.total === 0) return writeErr('no models match');
      writeOut(listingTable(answer));
      writeErr(listingSummary(answer));
    });
}
