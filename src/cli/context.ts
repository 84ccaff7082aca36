// What every command needs from the process: the registry for the current directory, and output.
import { Registry } from '../registry/registry.js';

export function openRegistry(): Promise<Registry> {
  return Registry.open({ cwd: process.cwd() });
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
