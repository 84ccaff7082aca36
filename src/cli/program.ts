// The commander program and the shape of every error: built here, run by main.ts (the only place
// that touches the process: exit codes, stderr capture). Apart so tests can build the program and
// format errors in-process, without a process per help screen.
import { Command, CommanderError } from 'commander';
import { ModelgitError, UsageError, ValidationError } from '../errors.js';
import { addCommands } from './commands/index.js';
import { configureHelp, decorateHelp } from './help.js';
import { addOperationIdOption, addQueueOption } from './push.js';
import { addRemoteOption } from './remote.js';
import { VERSION } from '../version.js';

/** The one prefix of every error line modelgit prints (warnings use `modelgit: warning: `). */
export const ERROR_PREFIX = 'modelgit: error: ';

/** A commander error, with the command whose parsing raised it (for a message naming its arguments). */
export interface ParseFailure extends CommanderError {
  command?: Command;
}

/** The program with the commands `argv` needs (all of them without argv). */
export async function buildProgram(argv?: string[]): Promise<Command> {
  const program = new Command('modelgit')
    .description('A model registry kept in a git repository: no server, no database, just git.')
    .version(VERSION)
    .option('-C, --cwd <dir>', 'run as if started in <dir>')
    .option('--no-color', 'no colour in output (also NO_COLOR=1; pipes never get colour)')
    .option('--allow-detached', 'let a write commit on a detached HEAD (the commit is on no branch; same as MODELGIT_ALLOW_DETACHED=1)')
    // Errors are printed by main() (one prefix, a hint, or JSON), never by commander itself.
    .configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: () => {} });
  configureHelp(program);
  program.hook('preAction', (thisCommand) => {
    const { cwd: dir, allowDetached, color } = thisCommand.opts() as { cwd?: string; allowDetached?: boolean; color?: boolean };
    if (color === false) process.env.NO_COLOR = '1'; // read once by output() (cli/context.ts)
    if (dir) enterDirectory(dir);
    if (allowDetached) process.env.MODELGIT_ALLOW_DETACHED = '1'; // read by the write engine (registry/write-guards.ts)
  });
  await addCommands(program, argv);
  addOperationIdOption(program);
  addQueueOption(program);
  addRemoteOption(program);
  decorateHelp(program);
  // Subcommands (and theirs) inherit the override so a bad flag anywhere is a usage error (exit 2),
  // and the error carries the command it came from.
  const override = (cmd: Command) =>
    cmd.exitOverride((err: ParseFailure) => {
      err.command ??= cmd;
      throw err;
    });
  const inherit = (cmd: Command) => {
    for (const c of cmd.commands) {
      override(c);
      inherit(c);
    }
  };
  override(program);
  inherit(program);
  return program;
}

/** `-C DIR`: a directory that is missing or not a directory is a usage error, not a crash. */
function enterDirectory(dir: string): void {
  try {
    process.chdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new UsageError(`-C ${dir}: ${why}`, { hint: '-C takes the directory to run in (a registry, or a directory inside one)' });
  }
}

export function formatError(e: ModelgitError): string {
  const lines = [`${ERROR_PREFIX}${e.message}`];
  if (e instanceof ValidationError) {
    for (const l of e.errors) lines.push(`  ${l.file}:${l.line}:${l.column}: ${l.pointer || '/'}: ${l.message} [${l.rule}]`);
  }
  if (e.hint) lines.push(`  hint: ${e.hint}`);
  return lines.join('\n') + '\n';
}

/** Words after the option in argv that took `value` as its argument (`--notes hello world`), if any. */
function optionBefore(argv: string[], word: string): { flag: string; value: string } | undefined {
  for (let i = argv.length - 1; i >= 2; i--) {
    if (argv[i] === word && argv[i - 2]!.startsWith('-') && !argv[i - 2]!.includes('=') && !argv[i - 1]!.startsWith('-')) return { flag: argv[i - 2]!, value: argv[i - 1]! };
  }
  return undefined;
}

const quote = (s: string) => (/^[\w./:@=+,-]+$/.test(s) ? s : JSON.stringify(s));

/** A commander parse error as a usage error: its message without commander's "error: ", and a hint. */
export function usageErrorOf(err: ParseFailure, argv: string[]): UsageError {
  const cmd = err.command;
  const name = cmd && cmd.parent ? cmd.name() : undefined;
  const path: string[] = [];
  for (let c = cmd; c && c.parent; c = c.parent) path.unshift(c.name());
  const helpHint = `run 'modelgit${path.length ? ` ${path.join(' ')}` : ''} --help' for usage`;
  if (err.code === 'commander.excessArguments' && cmd) {
    const declared = cmd.registeredArguments.length;
    const extra = cmd.args.slice(declared);
    const words = extra.map((w) => JSON.stringify(w)).join(' ');
    const message = `too many arguments for '${name}': ${words} ${extra.length === 1 ? 'is' : 'are'} left over (it takes ${declared === 0 ? 'no arguments' : `${declared}: ${cmd.registeredArguments.map((a) => a.name().toUpperCase()).join(' ')}`})`;
    let hint: string;
    const option = optionBefore(argv, extra[0]!);
    if (option) {
      hint = `an option takes one word; quote a value with spaces: ${option.flag} ${JSON.stringify([option.value, ...extra].join(' '))}`;
    } else if (declared > 0) {
      const given = cmd.args.slice(0, declared - 1).map(quote);
      hint = `quote an argument with spaces: modelgit ${path.join(' ')} ${[...given, JSON.stringify(cmd.args.slice(declared - 1).join(' '))].join(' ')}`;
    } else hint = helpHint;
    return new UsageError(message, { hint });
  }
  // commander puts a suggestion ("Did you mean …?") on a second line: it belongs with the hint.
  const [first, ...rest] = err.message.replace(/^error: /, '').trim().split('\n');
  const suggestion = rest.join(' ').replace(/^\((.*)\)$/, '$1').trim();
  return new UsageError(first!, { hint: suggestion ? `${suggestion} (${helpHint})` : helpHint });
}

/** Whether the command line asks for machine-readable output (then stderr is one JSON object). */
export function wantsJson(argv: string[]): boolean {
  return argv.some((a, i) => a === '--json' || a === '--format=json' || (a === '--format' && argv[i + 1] === 'json'));
}

export function errorJson(e: ModelgitError): Record<string, unknown> {
  // `data`'s fields also stay at the top level of `error`, where earlier versions put them.
  return { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}), ...(e.data ?? {}), ...(e.data ? { data: e.data } : {}) };
}
