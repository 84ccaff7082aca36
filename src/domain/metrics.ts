// Which way is better for a metric (config first, then the name, else the caller must say), and
// how a model's several results on one dataset make its score (the flag, else the config, else latest).
import type { Aggregate, Direction, RegistryConfig } from './types.js';

const MIN_PATTERNS = [/_time$/, /^time$/, /latency/, /loss/, /error/, /^mse$|^rmse$|^mae$/];
const MAX_PATTERNS = [/^accuracy$/, /accuracy/, /f1/, /auc/, /precision/, /recall/, /throughput/];

export function directionFromName(metric: string): Direction | undefined {
  const m = metric.toLowerCase();
  if (MIN_PATTERNS.some((re) => re.test(m))) return 'min';
  if (MAX_PATTERNS.some((re) => re.test(m))) return 'max';
  return undefined;
}

/** The direction for `metric`, or undefined when neither the override, config nor the name tells. */
export function metricDirection(
  config: Pick<RegistryConfig, 'metrics'> | undefined,
  metric: string,
  override?: Direction,
): Direction | undefined {
  return override ?? config?.metrics?.[metric]?.direction ?? directionFromName(metric);
}

/** True when a is strictly better than b in `direction`. */
export function isBetter(a: number, b: number, direction: Direction): boolean {
  return direction === 'min' ? a < b : a > b;
}

/** JSON's number syntax, decimal only: no hex, no `+`, no bare `.5`, no `Infinity`. */
const JSON_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

/**
 * The one parser for number values given on the command line or in a times file: decimal JSON
 * number syntax, and finite once parsed. `Number()` alone took `0x10` as 16, `''` as 0, and
 * `1e400` as Infinity (written to JSON as null). Undefined for anything else; the caller names
 * the flag.
 */
export function strictNumber(text: string): number | undefined {
  const t = text.trim();
  if (!JSON_NUMBER.test(t)) return undefined;
  const n = Number(t);
  // -0 is 0: JSON would write it as 0 anyway, and the caches keep only values that round-trip.
  return Number.isFinite(n) ? n + 0 : undefined;
}

/** Why `text` is not a number strictNumber accepts (for messages), or undefined when it is. */
export function numberProblem(text: string): string | undefined {
  const t = text.trim();
  if (strictNumber(t) !== undefined) return undefined;
  if (t === '') return 'is empty, not a number';
  if (JSON_NUMBER.test(t)) return `${JSON.stringify(t)} is out of range (not a finite number)`;
  return `${JSON.stringify(t)} is not a number (decimal only: e.g. 12, -0.5, 1.5e3)`;
}

/**
 * How a model's results on one dataset make its score for `metric`: the override (--aggregate),
 * else `metrics.<metric>.aggregate` in modelgit.yaml, else the latest result. One rule for every
 * query (best, list --sort, cleanup, compare, resolve), so they cannot disagree on "better".
 */
export function metricAggregate(config: Pick<RegistryConfig, 'metrics'> | undefined, metric: string, override?: Aggregate): Aggregate {
  return override ?? config?.metrics?.[metric]?.aggregate ?? 'latest';
}

/** How an aggregate reads in a sentence: "latest result", "best result", "mean of results". */
export function aggregateText(a: Aggregate): string {
  return a === 'latest' ? 'latest result' : a === 'best' ? 'best result' : 'mean of results';
}
