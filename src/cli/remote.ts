// `--remote URL` (and `--remote-branch NAME`): the writes a training node makes, straight into a
// registry's remote without a clone (store/write/remote-write.ts). Written before the command
// (`modelgit --remote URL register …`, as the docs show it) or after it; added in one place to the
// commands that can work without a checkout, and refused by name everywhere else.
import type { Command } from 'commander';
import { UsageError } from '../errors.js';

/** The commands that work without a checkout: they read one model by its path, and write one commit. */
export const REMOTE_COMMANDS: readonly string[] = ['register', 'test', 'tag', 'untag', 'note'];

const REMOTE_FLAGS = ['--remote', '--remote-branch'];

/** `--remote <url>` and `--remote-branch <name>` on each command of REMOTE_COMMANDS. */
export function addRemoteOption(program: Command): void {
  for (const cmd of program.commands) {
    if (!REMOTE_COMMANDS.includes(cmd.name())) continue;
    cmd.option('--remote <url>', 'write straight into the registry at this git URL, with no clone (a bare partial cache is kept in ~/.cache/modelgit)');
    cmd.option('--remote-branch <name>', "with --remote: the branch to write to (default: the remote's default branch)");
  }
}

/**
 * argv with a `--remote`/`--remote-branch` given before the command moved after it, where the
 * command's own option reads it; a command that can't work without a checkout is refused by name.
 */
export function remoteAfterCommand(argv: string[]): string[] {
  const moved: string[] = [];
  const rest: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    const flag = REMOTE_FLAGS.find((f) => a === f || a.startsWith(`${f}=`));
    if (flag) {
      moved.push(a);
      if (a === flag && i + 1 < argv.length) moved.push(argv[++i]!);
      continue;
    }
    if (a === '-C' || a === '--cwd') {
      rest.push(a, ...(i + 1 < argv.length ? [argv[++i]!] : []));
      continue;
    }
    if (!a.startsWith('-')) break;
    rest.push(a);
  }
  if (!moved.length) return argv;
  const command = argv[i];
  if (command === undefined || !REMOTE_COMMANDS.includes(command)) {
    throw new UsageError(`--remote works with ${REMOTE_COMMANDS.join(', ')} (the writes a training node makes)${command ? `, not with ${command}` : ''}`, {
      hint: command ? `${command} needs the registry's history or all its models: clone it (git clone URL) and run modelgit ${command} there` : 'write the command after it: modelgit --remote URL register --algo A …',
    });
  }
  return [...rest, command, ...moved, ...argv.slice(i + 1)];
}
