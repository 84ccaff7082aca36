// Option parsers shared by commands: each failure names the flag and why (commander exits 2).
import { InvalidArgumentError } from 'commander';
import { numberProblem, strictNumber } from '../domain/metrics.js';

export function numberArg(value: string): number {
  // One strict parser for every number flag: decimal and finite (no 0x10, 1e400, Infinity, '').
  const n = strictNumber(value);
  if (n === undefined) throw new InvalidArgumentError(numberProblem(value)!);
  return n;
}

export function positiveIntArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${JSON.stringify(value)} is not a whole number`);
  return n;
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function choiceArg<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${choices.join(', ')}`);
    return value as T;
  };
}
