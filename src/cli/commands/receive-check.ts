// receive-check: plumbing the server's pre-receive hook runs (`modelgit hooks install --server`),
// not a command people type. It reads git's `<old> <new> <ref>` lines from stdin, checks them in
// the bare repository the hook runs in (registry/receive-check.ts), and prints one line per problem
// to stderr — git shows them to the pusher as `remote:` lines — exiting 1 to refuse the push.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { receiveCheck } from '../../registry/receive-check.js';
import { writeErr } from '../context.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function receiveCheckCommand(program: Command): void {
  program
    .command('receive-check', { hidden: true })
    .description("plumbing for the server's pre-receive hook: check the pushed ref updates (`old new ref` lines on stdin)")
    .action(async () => {
      // git runs a bare repository's hooks in it, with GIT_DIR set (to "." there).
      const answer = await receiveCheck({ gitDir: resolve(process.env.GIT_DIR ?? '.'), input: await readStdin() });
      for (const line of answer.problems) writeErr(line);
      if (!answer.ok) process.exitCode = 1;
    });
}
