#!/usr/bin/env node
// The entry point: builds the commander program, runs it, and is the only place that turns
// errors into messages and exit codes (0 ok, 1 failed check or operation, 2 usage error).
import { Command, CommanderError } from 'commander';
import { ModelgitError, ValidationError } from '../errors.js';
import { addCommands } from './commands/index.js';
import { addOperationIdOption } from './push.js';
import { VERSION } from '../version.js';

/** The program with the commands `argv` needs (all of them without argv). */
export async function buildProgram(argv?: string[]): Promise<Command> {
  const program = new Command('modelgit')
    .description('A model registry kept in a git repository: no server, no database, just git.')
    .version(VERSION)
    .option('-C, --cwd <dir>', 'run as if started in <dir>')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  program.hook('preAction', (thisCommand) => {
    const dir = thisCommand.opts().cwd as string | undefined;
    if (dir) process.chdir(dir);
  });
  await addCommands(program, argv);
  addOperationIdOption(program);
  // Subcommands (and theirs) inherit the override so a bad flag anywhere is a usage error (exit 2).
  const inherit = (cmd: Command) => {
    for (const c of cmd.commands) {
      c.exitOverride().showHelpAfterError('(run with --help for usage)');
      inherit(c);
    }
  };
  inherit(program);
  return program;
}

export function formatError(e: ModelgitError): string {
  const lines = [`modelgit: ${e.message}`];
  if (e instanceof ValidationError) {
    for (const l of e.errors) lines.push(`  ${l.file}:${l.line}:${l.column}: ${l.pointer || '/'}: ${l.message} [${l.rule}]`);
  }
  if (e.hint) lines.push(`  hint: ${e.hint}`);
  return lines.join('\n') + '\n';
}

export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  const wantsJson = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; every other commander error is a usage error.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 2;
    }
    if (e instanceof ModelgitError) {
      process.stderr.write(formatError(e));
      if (wantsJson) process.stderr.write(JSON.stringify({ error: { code: e.code, message: e.message, hint: e.hint, ...(e.data ?? {}) } }) + '\n');
      return e.exitCode;
    }
    process.stderr.write(`modelgit: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

// A reader that stops early (`modelgit list | head`) closes the pipe: the rest of the output has
// nowhere to go, which is not the command's failure.
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}
const code = await main(process.argv.slice(2));
// Output to a pipe is written asynchronously: exiting at once would cut off whatever is still
// queued (a JSON listing past 64 KB, read by a slow consumer). An empty write's callback runs once
// everything written before it has gone out; then exit, without waiting on anything else.
await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((done) => (s.writableEnded || s.destroyed ? done() : s.write('', () => done())))));
process.exit(code);
