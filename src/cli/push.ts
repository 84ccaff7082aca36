// `--push` for every write command. Adopting it is one line in the command and one in the action:
//   .option(...PUSH_OPTION)          and          const reg = await openRegistry(o);
// The registry then pushes each commit it makes, redoing the operation on the remote's new head
// when the push is rejected because the remote moved (src/registry/write.ts).
import { InvalidArgumentError, type Command } from 'commander';
import { operationIdProblem } from '../domain/operation-id.js';
import { QUEUEABLE_ACTIONS } from '../domain/trailers.js';

export const PUSH_OPTION = [
  '--push',
  'push the commit to the upstream (else origin); if the remote moved, redo the operation on its latest state and retry',
] as const;

/**
 * `--operation-id` on every write command (every command that has --push), added in one place.
 * The registry writes it into the commit as `Operation-Id:` and answers a repeat with the commit
 * already made (src/registry/operations.ts).
 */
export function addOperationIdOption(program: Command): void {
  for (const cmd of program.commands) {
    if (cmd.options.some((o) => o.long === '--push') && !cmd.options.some((o) => o.long === '--operation-id')) {
      cmd.option(
        '--operation-id <token>',
        'identity of this operation (e.g. a UUID): a repeat with the same token answers with the commit already made instead of writing again (env MODELGIT_OPERATION_ID)',
        operationIdArg,
      );
    }
    addOperationIdOption(cmd);
  }
}

function operationIdArg(value: string): string {
  const problem = operationIdProblem(value);
  if (problem) throw new InvalidArgumentError(problem);
  return value;
}

/** The write commands a queued write can come from: the operations `modelgit drain` re-applies (one name each). */
const QUEUEABLE_COMMANDS = QUEUEABLE_ACTIONS;

/**
 * `--queue` on the write commands drain can re-apply, added in one place (like --operation-id):
 * the commit goes to a ref of its own on the remote, which never loses a race, and `modelgit
 * drain` applies it to the branch later (store/write/queue.ts). Other commands don't have it, so
 * `--queue` there is a usage error (exit 2).
 */
export function addQueueOption(program: Command): void {
  for (const cmd of program.commands) {
    if (QUEUEABLE_COMMANDS.includes(cmd.name()) && cmd.options.some((o) => o.long === '--push') && !cmd.options.some((o) => o.long === '--queue')) {
      cmd.option('--queue', "send the write to the remote's write queue (a ref of its own: never rejected because others wrote); modelgit drain applies it to the branch");
    }
  }
}
