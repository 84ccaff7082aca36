// compare: parse → call the registry → render the models side by side in the format asked for.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { compare } from '../../registry/compare.js';
import { COMPARE_FORMATS, COMPARE_LAYOUTS, renderComparison, type CompareFormat } from '../../render/comparison.js';
import { choiceArg, collect } from '../options.js';
import { openRegistry, output, writeErr, writeOut } from '../context.js';
import { problemsText } from '../../render/problems.js';

export function compareCommand(program: Command): void {
  program
    .command('compare')
    .description("models side by side: each model's score per dataset and metric (metrics.<m>.aggregate, else its latest result), best per column marked, deltas against the first")
    .argument('<ids...>', 'model ids; the first is the baseline for deltas')
    .option('--dataset <dataset>', 'only results on this dataset')
    .option('--metric <metric>', 'only this metric (repeatable, in this order)', collect, [])
    .option('--format <format>', `output format: ${COMPARE_FORMATS.join(', ')}`, choiceArg(COMPARE_FORMATS))
    .option('--aggregate <how>', "latest, best or mean of a model's results on a dataset, for every metric (default: metrics.<m>.aggregate in modelgit.yaml, else latest)", choiceArg(['latest', 'best', 'mean'] as const))
    .option('--only-changed', 'hide training fields and results that are the same for every model (listed in one line under the table)')
    .option('--keep <pattern>', "show rows matching this glob (* and ?) even when --drop or --only-changed would hide them; alone, show only those (repeatable); a row's name is a hyperparameter, a training field, a metric, a dataset or 'METRIC on DATASET'", collect, [])
    .option('--drop <pattern>', 'hide rows matching this glob (repeatable; same names as --keep)', collect, [])
    .option('--layout <layout>', `table layout: ${COMPARE_LAYOUTS.join(' (a row per model) or ')} (a column per model); default: wide when it fits the terminal`, choiceArg(COMPARE_LAYOUTS))
    .option('--skip-invalid', 'compare even when another file that could hold one of the ids cannot be read (named on stderr)')
    .option('--json', 'same as --format json')
    .action(async (ids: string[], o) => {
      if (o.json && o.format !== undefined && o.format !== 'json') throw new UsageError(`--json and --format ${o.format} disagree; use one`);
      const format: CompareFormat = o.json ? 'json' : (o.format ?? 'table');
      if (o.layout !== undefined && format !== 'table') throw new UsageError(`--layout shapes the table only; --format ${format} has one layout`);
      const comparison = await compare(await openRegistry(), {
        ids, dataset: o.dataset, metrics: o.metric, aggregate: o.aggregate, skipInvalid: !!o.skipInvalid,
        onlyChanged: !!o.onlyChanged, keep: o.keep, drop: o.drop,
      });
      if (comparison.skipped?.length) writeErr(problemsText(comparison.skipped.map((f) => ({ ...f, pointer: '' }))));
      writeOut(renderComparison(comparison, format, { out: output(), layout: o.layout }));
      // Table and markdown carry their notes as footnotes; csv and json readers get them on stderr too.
      if (format === 'csv') for (const n of comparison.notes) writeErr(`modelgit: ${n}`);
    });
}
