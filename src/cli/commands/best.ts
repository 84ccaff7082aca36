// best [--record [--push]]: parse → call the registry → render. A plain best is a read, so the
// tag writer and the push loop behind --record load only when it is asked for.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { best } from '../../registry/best.js';
import { bestField, bestText } from '../../render/best.js';
import { AT_HELP, choiceArg } from '../options.js';
import { openRegistry, output, writeErr, writeJson, writeOut } from '../context.js';
import { problemsText } from '../../render/problems.js';

export function bestCommand(program: Command): void {
  program
    .command('best')
    .description("the best model of an algorithm on a metric and dataset (a model's score there: metrics.<m>.aggregate in modelgit.yaml, else its latest result)")
    .requiredOption('--algo <algorithm>', 'algorithm')
    .option('--dataset <dataset>', 'test dataset (default: the only one with results for the metric)')
    .option('--metric <metric>', 'metric (default: default_metric in modelgit.yaml)')
    .option('--direction <dir>', 'min or max, when modelgit.yaml and the metric name do not tell', choiceArg(['min', 'max'] as const))
    .option('--aggregate <how>', "latest, best or mean of a model's results on the dataset (default: metrics.<m>.aggregate in modelgit.yaml, else latest)", choiceArg(['latest', 'best', 'mean'] as const))
    .option('--skip-invalid', "answer without the algorithm's model files that cannot be read (named on stderr, and in --json as \"skipped\") instead of failing")
    .option('--at <rev|date>', AT_HELP)
    .option('--record', 'write an annotated tag best/<algo>/<dataset>/<metric>/<n> if the best changed')
    .option('--push', 'with --record: push the tag (numbered after the remote\'s; renumbered if another machine took the number first)')
    .option('--field <path>', 'print just this value (e.g. model_path, value, training.hyperparams.lr)')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      if (o.json && o.field !== undefined) throw new UsageError('use --json or --field, not both');
      // A plain best is a read: the tag writer and the push loop load only for --record.
      const operation = o.record ? (await import('../../registry/record-best.js')).recordBest : best;
      const outcome = await operation(await openRegistry(o), {
        algorithm: o.algo, dataset: o.dataset, metric: o.metric, direction: o.direction, aggregate: o.aggregate, at: o.at, push: !!o.push, skipInvalid: !!o.skipInvalid,
      });
      if (outcome.problems.length) writeErr(problemsText(outcome.problems));
      const a = outcome.answer;
      if (o.record) {
        writeErr(a.tag ? `recorded ${a.tag}` : `best unchanged since ${a.current_tag} (${a.model_id}, ${a.value}); no tag written`);
      }
      if (o.field !== undefined) writeOut(bestField(outcome, o.field));
      else if (o.json) writeJson(a);
      else writeOut(bestText(outcome, output()));
    });
}
