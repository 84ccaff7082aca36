// What every command needs from the process: the registry for the current directory, and output.
import { UsageError } from '../errors.js';
import type { Registry } from '../registry/registry.js';
import { detectOutput, type Output } from '../render/terminal.js';

/**
 * The registry for the current directory. Pass the command's options: a write command with
 * `--push` (see push.ts) gets a registry whose writes push; notes (a push, a recovered write) go to stderr.
 */
export async function openRegistry(opts: { push?: boolean; queue?: boolean; operationId?: string; remote?: string; remoteBranch?: string } = {}): Promise<Registry> {
  // Loaded on use: commands that need no registry object (validate) skip its write path.
  const { Registry } = await import('../registry/registry.js');
  if (opts.remote !== undefined) {
    // No checkout: the registry is the remote itself, through a cache (cli/remote.ts).
    return Registry.openRemote({ url: opts.remote, branch: opts.remoteBranch }, { queue: !!opts.queue, notify: (m) => writeErr(m), operationId: opts.operationId, acknowledgeOnExit: true });
  }
  if (opts.remoteBranch !== undefined) {
    throw new UsageError('--remote-branch goes with --remote URL', { hint: 'in a clone, writes go to the current branch (its upstream with --push)' });
  }
  // A write counts as acknowledged once the process exits 0, its answer printed (operations.ts).
  return Registry.open({ cwd: process.cwd(), push: !!opts.push, queue: !!opts.queue, notify: (m) => writeErr(m), operationId: opts.operationId, acknowledgeOnExit: true });
}

export function writeOut(text: string): void {
  process.stdout.write(text.endsWith('\n') || text === '' ? text : text + '\n');
}

export function writeErr(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n');
}

export function writeJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

let decided: Output | undefined;

/** What stdout is (a terminal of some width, with or without colour, or a pipe), decided once per process. */
export function output(): Output {
  return (decided ??= detectOutput({ isTTY: process.stdout.isTTY, columns: process.stdout.columns, env: process.env }));
}

let decidedErr: Output | undefined;

/** The same for stderr (promote's gate lines, notes): coloured only when stderr is a terminal. */
export function errorOutput(): Output {
  return (decidedErr ??= detectOutput({ isTTY: process.stderr.isTTY, columns: process.stderr.columns, env: process.env }));
}
