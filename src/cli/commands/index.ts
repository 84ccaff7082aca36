// Every command, one line each: the command names a file adds, and how to load it. Only the
// file of the command being run is loaded (help and unknown commands load all), so `modelgit
// best` doesn't pay for the YAML, JSON Schema and git-writing libraries that writes use: at
// 10,000 models startup is most of a read's time.
import type { Command } from 'commander';

type Registrar = (program: Command) => void;

const COMMANDS: [names: string[], load: () => Promise<Registrar>][] = [
  [['init', 'hooks'], async () => (await import('./init.js')).initCommands],
  [['register'], async () => (await import('./register.js')).registerCommand],
  [['test'], async () => (await import('./test.js')).testCommand],
  [['tag', 'untag', 'note'], async () => (await import('./labels.js')).labelCommands],
  [['promote', 'demote', 'stages'], async () => (await import('./promote.js')).promoteCommands],
  [['diff'], async () => (await import('./diff.js')).diffCommand],
  [['sync-tags'], async () => (await import('./sync-tags.js')).syncTagsCommand],
  [['gates'], async () => (await import('./gates.js')).gatesCommand],
  [['list'], async () => (await import('./list.js')).listCommand],
  [['best'], async () => (await import('./best.js')).bestCommand],
  [['compare'], async () => (await import('./compare.js')).compareCommand],
  [['show', 'history', 'cleanup', 'restore'], async () => (await import('./lifecycle.js')).lifecycleCommands],
  [['plan', 'resolve', 'verify', 'attest'], async () => (await import('./loading.js')).loadingCommands],
  [['import', 'migrate'], async () => (await import('./import.js')).importCommands],
  [['report'], async () => (await import('./report.js')).reportCommand],
  [['validate'], async () => (await import('./validate.js')).validateCommand],
  [['drain', 'status'], async () => (await import('./drain.js')).queueCommands],
  [['audit'], async () => (await import('./audit.js')).auditCommand],
];

/** What argv asks for: a subcommand's name, the version (which needs no command), or everything. */
export function requestedCommand(argv: string[]): { command?: string; version?: boolean } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-C' || a === '--cwd' || a === '--remote' || a === '--remote-branch') {
      i++; // its value
      continue;
    }
    if (a === '-V' || a === '--version') return { version: true };
    if (a === '-h' || a === '--help') return {};
    if (!a.startsWith('-')) return { command: a };
  }
  return {};
}

/** Adds the commands `argv` needs (all of them when it names none of ours, so help and errors stay whole). */
export async function addCommands(program: Command, argv?: string[]): Promise<void> {
  const wanted = argv ? requestedCommand(argv) : {};
  if (wanted.version) return;
  const one = wanted.command !== undefined && COMMANDS.some(([names]) => names.includes(wanted.command!));
  for (const [names, load] of COMMANDS) {
    if (!one || names.includes(wanted.command!)) (await load())(program);
  }
}
