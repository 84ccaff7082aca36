#!/usr/bin/env node
// The entry point: builds the commander program, runs it, and is the only place that turns
// errors into messages and exit codes (0 ok, 1 failed check or operation, 2 usage error).
// Every error, commander's own included, is printed here in one shape (program.ts): `modelgit: error: …`
// and an indented `hint:` line; with --json, stderr instead holds exactly one JSON object (captureStderr).
import { CommanderError } from 'commander';
import { ModelgitError, storageError } from '../errors.js';
import { buildProgram, errorJson, formatError, usageErrorOf, wantsJson } from './program.js';
import { remoteAfterCommand } from './remote.js';
import { deferDetachedStarts, startDeferred } from '../registry/background.js';

/**
 * With --json, a program reads stderr too: whatever a command would print there (notes, warnings,
 * a recovered write, a cache warning from deep inside) is collected, and written at the end as
 * one JSON object — `{"error": {...}}` on failure, `"warnings": [...]` when anything was said.
 * Collected at the stream, so a message from any layer lands in the object, never as a loose line.
 */
function captureStderr(): { messages: string[]; restore: () => void } {
  const messages: string[] = [];
  const original = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array, enc?: unknown, cb?: unknown) => {
    const text = (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')).replace(/\s+$/, '');
    if (text.trim()) messages.push(text);
    const done = typeof enc === 'function' ? enc : cb;
    if (typeof done === 'function') process.nextTick(done as () => void);
    return true;
  }) as typeof process.stderr.write;
  return { messages, restore: () => void (process.stderr.write = original) };
}

export async function main(argv: string[]): Promise<number> {
  const json = wantsJson(argv);
  const captured = json ? captureStderr() : undefined;
  let failure: ModelgitError | undefined;
  let code: number;
  try {
    const args = remoteAfterCommand(argv);
    const program = await buildProgram(args);
    await program.parseAsync(args, { from: 'user' });
    code = process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (caught) {
    // A full or read-only disk met somewhere no caller anticipated is still one line, not a stack.
    const e = storageError(caught) ?? caught;
    if (e instanceof CommanderError) {
      // help and version exit 0; every other commander error is a usage error.
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') code = 0;
      else {
        failure = usageErrorOf(e, argv);
        code = 2;
      }
    } else if (e instanceof ModelgitError) {
      failure = e;
      code = e.exitCode;
    } else {
      failure = new ModelgitError(`unexpected: ${(e as Error)?.message ?? String(e)}`, {
        hint: process.env.MODELGIT_DEBUG ? (e as Error)?.stack : 'this is a bug in modelgit; MODELGIT_DEBUG=1 prints where it happened',
      });
      failure.code = 'INTERNAL';
      code = 1;
    }
  }
  if (captured) {
    captured.restore();
    const out: Record<string, unknown> = {};
    if (failure) out.error = errorJson(failure);
    if (captured.messages.length) out.warnings = captured.messages;
    if (Object.keys(out).length) process.stderr.write(JSON.stringify(out) + '\n');
  } else if (failure) process.stderr.write(formatError(failure));
  return code;
}

// A reader that stops early (`modelgit list | head`) closes the pipe: the rest of the output has
// nowhere to go, which is not the command's failure.
for (const s of [process.stdout, process.stderr]) {
  s.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') throw e;
  });
}
// Background builds a read starts (commit-graph, history index) wait until its answer is out.
deferDetachedStarts();
const code = await main(process.argv.slice(2));
// Output to a pipe is written asynchronously: exiting at once would cut off whatever is still
// queued (a JSON listing past 64 KB, read by a slow consumer). An empty write's callback runs once
// everything written before it has gone out; then exit, without waiting on anything else.
await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((done) => (s.writableEnded || s.destroyed ? done() : s.write('', () => done())))));
startDeferred();
process.exit(code);
