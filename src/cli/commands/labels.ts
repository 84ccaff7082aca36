import type { Command } from 'commander';
import { noteModel, tagModel, untagModel } from '../../registry/labels.js';
import { openRegistry, writeErr, writeJson, writeOut } from '../context.js';
import { PUSH_OPTION } from '../push.js';

function report(answer: { model_id: string; path: string; commit: string; changed: boolean }, json: boolean, what: string) {
  const { changed, ...shape } = answer;
  if (json) writeJson({ ...shape, changed });
  else {
    writeOut(answer.commit);
    if (!changed) writeErr(`${answer.model_id}: ${what} already as asked; nothing committed`);
  }
}

export function labelCommands(program: Command): void {
  program
    .command('tag')
    .description('add labels to a model')
    .argument('<id>', 'model id')
    .argument('<tags...>', 'labels to add')
    .option(...PUSH_OPTION)
    .option('--json', 'machine-readable output')
    .action(async (id: string, tags: string[], o) => report(await tagModel(await openRegistry(o), id, tags), !!o.json, 'tags'));
  program
    .command('untag')
    .description('remove labels from a model')
    .argument('<id>', 'model id')
    .argument('<tags...>', 'labels to remove')
    .option(...PUSH_OPTION)
    .option('--json', 'machine-readable output')
    .action(async (id: string, tags: string[], o) => report(await untagModel(await openRegistry(o), id, tags), !!o.json, 'tags'));
  program
    .command('note')
    .description("set a model's notes (or --append a line)")
    .argument('<id>', 'model id')
    .argument('<text>', 'the note')
    .option('--append', 'add a line instead of replacing')
    .option(...PUSH_OPTION)
    .option('--json', 'machine-readable output')
    .action(async (id: string, text: string, o) => report(await noteModel(await openRegistry(o), id, text, { append: !!o.append }), !!o.json, 'notes'));
}
