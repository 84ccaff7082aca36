// Reading a file named on the command line (`register --from`, `test --from`, `test --times`).
// It exists so every such flag reads its file the same way: a relative path from the directory
// the command was run in, an absolute path as it is, and `-` for standard input (a training
// script can pipe its result in without a temporary file). Errors name the flag and the file.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { parseInputFile, readInputText as readRegularInput } from '../schema/yaml-input.js';

/** The name a file is shown under in messages: standard input for `-`. */
export function inputName(file: string): string {
  return file === '-' ? 'standard input' : file;
}

/** All of standard input, as UTF-8. On a terminal it says what it waits for (end with Ctrl-D). */
export async function readStdin(stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (stdin.isTTY) process.stderr.write('reading from standard input (end with Ctrl-D)\n');
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/** The text of `file` (relative to `cwd`, absolute, or `-` for standard input), for `flag`. */
export async function readInputText(flag: string, file: string, cwd: string): Promise<string> {
  if (file === '-') return readStdin();
  if (file === '') throw new UsageError(`${flag}: the file name is empty`);
  const abs = resolve(cwd, file);
  let isDir: boolean;
  try {
    isDir = statSync(abs).isDirectory();
  } catch {
    throw new UsageError(`${flag}: ${file} does not exist${abs !== file ? ` (looked at ${abs})` : ''}`);
  }
  if (isDir) throw new UsageError(`${flag}: ${file} is a directory; give a file`);
  // Only a regular file, never blocking on a FIFO or reading /dev/zero without end (safe-files.ts).
  return readRegularInput(flag, abs);
}

/**
 * JSON or YAML text → a value. A `.json` file is read as JSON; anything else (YAML files, and
 * standard input, whose format is not named) as YAML, which also reads JSON.
 */
export function parseDataText(flag: string, file: string, text: string): unknown {
  // Bounded like every other input (aliases capped, depth limited, errors located): yaml-input.ts.
  return parseInputFile(flag, inputName(file), text);
}
