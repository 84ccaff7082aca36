// test: parse → call the registry → print the new commit (and, on stderr, the result recorded).
import type { Command } from 'commander';
import { recordTest } from '../../registry/record-test.js';
import { keyValueArg, positiveIntArg } from '../options.js';
import { openRegistry, writeErr, writeJson, writeOut } from '../context.js';
import { PUSH_OPTION } from '../push.js';

export function testCommand(program: Command): void {
  program
    .command('test')
    .description('append a test result to a model (results on several datasets accumulate)')
    .argument('<id>', 'model id')
    .requiredOption('--dataset <dataset>', 'dataset the model was tested on')
    .option('--metric <k=v>', 'a metric value (repeatable, each metric once)', keyValueArg('--metric', 'total_time=12.5'), [])
    .option('--times <file>', 'per-query seconds, one per line (- for standard input): records total, average, median and p95 time')
    .option('--from <file>', 'a JSON/YAML result ({performance: {...}, num_queries}) or a metric map (- for standard input)')
    .option('--num-queries <n>', 'queries in the test', positiveIntArg)
    .option('--notes <text>', 'free text stored with the result')
    .option(...PUSH_OPTION)
    .option('--json', 'machine-readable output')
    .action(async (id: string, o) => {
      const reg = await openRegistry(o);
      const answer = await recordTest(reg, { id, dataset: o.dataset, metrics: o.metric, times: o.times, from: o.from, numQueries: o.numQueries, notes: o.notes }, process.cwd());
      if (o.json) writeJson({ model_id: answer.model_id, path: answer.path, commit: answer.commit, result: answer.result, ...(answer.replayed ? { replayed: true } : {}), ...('queued' in answer ? { queued: answer.queued } : {}) });
      else {
        writeOut(answer.commit);
        writeErr(`recorded ${Object.entries(answer.result.performance).map(([k, v]) => `${k}=${v}`).join(' ')} for ${answer.model_id} on ${o.dataset}`);
      }
    });
}
