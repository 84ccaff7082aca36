// Every command, one file each. Add a line here for a new command.
import type { Command } from 'commander';
import { registerCommand } from './register.js';
import { testCommand } from './test.js';
import { labelCommands } from './labels.js';
import { initCommands } from './init.js';
import { validateCommand } from './validate.js';

export function addCommands(program: Command): void {
  initCommands(program);
  registerCommand(program);
  testCommand(program);
  labelCommands(program);
  validateCommand(program);
}
