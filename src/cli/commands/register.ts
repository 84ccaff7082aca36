// register: parse → call the registry → print the new id (on stdout, for scripts) and where to
// save the artifact (on stderr).
import type { Command } from 'commander';
import { parseParam, register } from '../../registry/register.js';
import { collect, keyValueArg, numberArg, positiveIntArg } from '../options.js';
import { openRegistry, writeErr, writeJson, writeOut } from '../context.js';
import { PUSH_OPTION } from '../push.js';

export function registerCommand(program: Command): void {
  program
    .command('register')
    .description('register a new model with a generated timestamp id; prints the id (and, on stderr, where to save its artifact)')
    .option('--algo <algorithm>', 'algorithm (directory under models/)')
    .option('--name <name>', 'id prefix (default: the algorithm)')
    .option('--id <id>', 'use this id instead of a generated one (refused if taken)')
    .option('--dataset <dataset>', 'training dataset')
    .option('--param <k=v>', 'hyperparameter; numbers and booleans are parsed (repeatable, each key once)', keyValueArg('--param', 'lr=0.001'), [])
    .option('--num-queries <n>', 'training queries', positiveIntArg)
    .option('--training-time <seconds>', 'training time in seconds', numberArg)
    .option('--model-path <path>', 'where the artifact is: a path relative to the registry, absolute, or a URI (default: the artifacts layout in modelgit.yaml, if any)')
    .option('--checksum', 'record the sha256 and size of --model-path (each file of a directory) so verify can prove the bytes')
    .option('--parent <id>', 'the model this one was fine-tuned or derived from')
    .option('--tag <tag>', 'label (repeatable)', collect, [])
    .option('--notes <text>', 'free text')
    .option('--from <file>', 'metadata fields from a JSON or YAML file (- for standard input); its model_id is used when free; flags win')
    .option(...PUSH_OPTION)
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const reg = await openRegistry(o);
      const params = Object.fromEntries((o.param as string[]).map(parseParam));
      const answer = await register(reg, {
        algorithm: o.algo, name: o.name, id: o.id, dataset: o.dataset, params, numQueries: o.numQueries,
        trainingTime: o.trainingTime, modelPath: o.modelPath, parent: o.parent, tags: o.tag, notes: o.notes, from: o.from, checksum: o.checksum,
      }, process.cwd());
      if (o.json) writeJson(answer);
      else {
        // stdout stays the id alone (ID=$(modelgit register ...)); where to put the weights goes to stderr.
        writeOut(answer.model_id);
        if (answer.artifact_path) writeErr(`artifact path: ${answer.artifact_path}`);
      }
    });
}
