// Option parsers shared by commands: each failure names the flag and why (commander exits 2).
import { InvalidArgumentError } from 'commander';
import { numberProblem, strictNumber } from '../domain/metrics.js';
import { UsageError } from '../errors.js';

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

/**
 * A repeatable `key=value` flag (`--param`, `--metric`): each value is one word with a key and a
 * non-empty value, and no key comes twice. `--param lr=$LR` with LR unset arrives as `lr=` and
 * `--param lr 0.001` as `lr`; both are refused here, naming the flag and the key, rather than
 * recorded as "" or left to fail later as a stray argument. Exit 2 (a UsageError passes through
 * commander's option parsing unchanged).
 */
export function keyValueArg(flag: string, example: string) {
  return (value: string, previous: string[] = []): string[] => {
    const problem = keyValueProblem(flag, example, value, previous);
    if (problem) throw new UsageError(problem.message, { hint: problem.hint });
    return [...previous, value];
  };
}

/** Why `raw` can't follow the earlier values of `flag`, or undefined when it can. */
export function keyValueProblem(flag: string, example: string, raw: string, previous: string[]): { message: string; hint: string } | undefined {
  const eq = raw.indexOf('=');
  const key = eq < 0 ? raw.trim() : raw.slice(0, eq).trim();
  if (eq < 0) {
    return { message: `${flag} takes key=value as one word (e.g. ${flag} ${example}); got ${JSON.stringify(raw)}`, hint: `write ${flag} ${key || 'key'}=VALUE, with no space around =` };
  }
  if (key === '') return { message: `${flag} ${JSON.stringify(raw)}: the key before = is missing`, hint: `e.g. ${flag} ${example}` };
  if (raw.slice(eq + 1).trim() === '') {
    return {
      message: `${flag} ${key} has an empty value (${JSON.stringify(raw)}); was it an unset shell variable?`,
      hint: flag === '--param' ? `give a value (${flag} ${key}=VALUE), or ${key}=null to record that it has none` : `give a value: ${flag} ${key}=VALUE`,
    };
  }
  const earlier = previous.find((p) => p.includes('=') && p.slice(0, p.indexOf('=')).trim() === key);
  if (earlier !== undefined) return { message: `${flag} ${key} is given twice (${earlier} and ${raw})`, hint: `give each ${flag} key once` };
  return undefined;
}

/** The help line of every `--at`: a revision, or a date (the registry as it was then). */
export const AT_HELP = 'as of this commit, branch or tag, or a date (2025-03-14: the end of that day, UTC; 2025-03-14T09:30Z)';
