// tag, untag, note: parse → call the registry → print the one-line answer (or JSON).
import type { Command } from 'commander';
import { noteModel, tagModel, untagModel, type LabelAnswer } from '../../registry/labels.js';
import { openRegistry, writeErr, writeJson, writeOut } from '../context.js';
import { PUSH_OPTION } from '../push.js';

/** The commit on stdout; when nothing changed, no commit id at all (none was made) and a line saying so. */
function report(answer: LabelAnswer, json: boolean, unchanged: string) {
  if (json) return writeJson(answer);
  if (answer.changed && answer.commit) writeOut(answer.commit);
  else writeErr(`${answer.model_id}: ${unchanged}; nothing changed, no commit made`);
}

const list = (tags: string[]) => tags.map((t) => JSON.stringify(t)).join(', ');

export function labelCommands(program: Command): void {
  program
    .command('tag')
    .description('add labels to a model')
    .argument('<id>', 'model id')
    .argument('<tags...>', 'labels to add')
    .option(...PUSH_OPTION)
    .option('--json', 'machine-readable output')
    .action(async (id: string, tags: string[], o) => report(await tagModel(await openRegistry(o), id, tags), !!o.json, `already has ${tags.length === 1 ? 'the tag' : 'the tags'} ${list(tags)}`));
  program
    .command('untag')
    .description('remove labels from a model')
    .argument('<id>', 'model id')
    .argument('<tags...>', 'labels to remove')
    .option(...PUSH_OPTION)
    .option('--json', 'machine-readable output')
    .action(async (id: string, tags: string[], o) => report(await untagModel(await openRegistry(o), id, tags), !!o.json, `has no ${tags.length === 1 ? 'tag' : 'tag among'} ${list(tags)}`));
  program
    .command('note')
    .description("set a model's notes (or --append a line)")
    .argument('<id>', 'model id')
    .argument('<text>', 'the note')
    .option('--append', 'add a line instead of replacing')
    .option(...PUSH_OPTION)
    .option('--json', 'machine-readable output')
    .action(async (id: string, text: string, o) => report(await noteModel(await openRegistry(o), id, text, { append: !!o.append }), !!o.json, 'the notes already say that'));
}
