// Every command, one file each. Add a line here for a new command.
import type { Command } from 'commander';
import { registerCommand } from './register.js';
import { testCommand } from './test.js';
import { labelCommands } from './labels.js';
import { initCommands } from './init.js';
import { promoteCommands } from './promote.js';
import { diffCommand } from './diff.js';
import { syncTagsCommand } from './sync-tags.js';
import { gatesCommand } from './gates.js';
import { listCommand } from './list.js';
import { bestCommand } from './best.js';
import { compareCommand } from './compare.js';
import { lifecycleCommands } from './lifecycle.js';
import { loadingCommands } from './loading.js';
import { importCommands } from './import.js';
import { reportCommand } from './report.js';
import { validateCommand } from './validate.js';

export function addCommands(program: Command): void {
  initCommands(program);
  registerCommand(program);
  testCommand(program);
  labelCommands(program);
  promoteCommands(program);
  diffCommand(program);
  syncTagsCommand(program);
  gatesCommand(program);
  listCommand(program);
  bestCommand(program);
  compareCommand(program);
  lifecycleCommands(program);
  loadingCommands(program);
  importCommands(program);
  reportCommand(program);
  validateCommand(program);
}
