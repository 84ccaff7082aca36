// test: append one result to a model's testing list, one commit.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError, ValidationError } from '../errors.js';
import { isoSeconds } from '../domain/ids.js';
import { serializeMetadata } from '../domain/metadata.js';
import { assertSafeName, nameProblem } from '../domain/names.js';
import { summarizeTimings } from '../domain/timings.js';
import { numberProblem, strictNumber } from '../domain/metrics.js';
import type { Performance, TestResult } from '../domain/types.js';
import { checkModelText } from './checks.js';
import { validatorFor } from '../schema/validator.js';
import { modelsAtHead } from './lookup.js';
import type { Registry } from './registry.js';
import { parseInputFile, readInputText } from '../schema/yaml-input.js';
import type { WriteAnswer } from './register.js';

export interface RecordTestOptions {
  id: string;
  dataset: string;
  /** raw `k=v` strings from --metric */
  metrics?: string[];
  /** a file with one seconds value per query */
  times?: string;
  /** a JSON/YAML file with a result ({performance, num_queries, …}) or a plain metric map */
  from?: string;
  numQueries?: number;
  notes?: string;
}

export function parseMetric(raw: string): [string, number] {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new UsageError(`--metric ${JSON.stringify(raw)}: expected name=number`);
  const name = raw.slice(0, eq).trim();
  const problem = nameProblem('metric', name);
  if (problem) throw new UsageError(`--metric: ${problem}`);
  const v = raw.slice(eq + 1).trim();
  const n = strictNumber(v);
  if (n === undefined) throw new UsageError(`--metric ${name}: ${numberProblem(v)}`);
  return [name, n];
}

/** Parses a times file: numbers separated by newlines, commas or spaces; `#` starts a comment. */
export function parseTimesText(file: string, text: string): number[] {
  const times: number[] = [];
  text.split('\n').forEach((line, i) => {
    const body = line.replace(/#.*/, '').trim();
    if (!body) return;
    for (const tok of body.split(/[\s,]+/).filter(Boolean)) {
      const n = strictNumber(tok);
      if (n === undefined || n < 0) throw new UsageError(`--times: ${file}:${i + 1}: ${JSON.stringify(tok)} is not a non-negative number of seconds`);
      times.push(n);
    }
  });
  if (times.length === 0) throw new UsageError(`--times: ${file} holds no timings (expected one seconds value per query)`);
  return times;
}

function readInput(flag: string, file: string, cwd: string): string {
  const abs = join(cwd, file);
  if (!existsSync(abs)) throw new UsageError(`${flag}: ${file} does not exist`);
  return readInputText(flag, abs); // a regular file only: a FIFO must not hang the command
}

export function resultFromOptions(opts: RecordTestOptions, cwd: string, now: Date): TestResult {
  const sources = [opts.metrics?.length ? '--metric' : '', opts.times ? '--times' : '', opts.from ? '--from' : ''].filter(Boolean);
  if (sources.length === 0) throw new UsageError('give the result with --metric name=value, --times FILE or --from FILE');
  if (sources.length > 1) throw new UsageError(`use one of --metric, --times, --from (got ${sources.join(' and ')})`);
  let performance: Performance = {};
  let numQueries = opts.numQueries;
  let fromResult: Partial<TestResult> = {};
  if (opts.metrics?.length) {
    for (const raw of opts.metrics) {
      const [k, v] = parseMetric(raw);
      // hasOwn: a metric called constructor or toString is not "given" by Object.prototype.
      if (Object.hasOwn(performance, k)) throw new UsageError(`--metric ${k} is given twice`);
      performance[k] = v;
    }
  } else if (opts.times) {
    const times = parseTimesText(opts.times, readInput('--times', opts.times, cwd));
    performance = summarizeTimings(times);
    numQueries ??= times.length;
  } else if (opts.from) {
    const text = readInput('--from', opts.from, cwd);
    const value = parseInputFile('--from', opts.from, text);
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`--from: ${opts.from} must hold a result object or a map of metric → number`);
    const obj = value as Record<string, unknown>;
    if ('performance' in obj) {
      fromResult = obj as Partial<TestResult>;
      performance = obj.performance as Performance;
    } else {
      performance = obj as Performance;
    }
    for (const [k, v] of Object.entries(performance ?? {})) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new UsageError(`--from: ${opts.from}: metric ${k} is ${JSON.stringify(v)}, not a number`);
    }
    if (fromResult.dataset !== undefined && fromResult.dataset !== opts.dataset) {
      throw new UsageError(`--from: ${opts.from} is a result on ${fromResult.dataset}, but --dataset is ${opts.dataset}`);
    }
  }
  const result: TestResult = {
    ...fromResult,
    dataset: opts.dataset,
    ...(numQueries !== undefined ? { num_queries: numQueries } : {}),
    tested_at: fromResult.tested_at ?? isoSeconds(now),
    performance,
    ...(opts.notes !== undefined ? { notes: opts.notes } : {}),
  };
  return result;
}

export async function recordTest(reg: Registry, opts: RecordTestOptions, cwd = reg.root): Promise<WriteAnswer & { result: TestResult }> {
  assertSafeName('model id', opts.id, 'ID');
  assertSafeName('dataset', opts.dataset, '--dataset');
  if (opts.numQueries !== undefined && (!Number.isInteger(opts.numQueries) || opts.numQueries < 0)) throw new UsageError('--num-queries must be a whole number');
  const result = resultFromOptions(opts, cwd, reg.now());
  return reg.write(async () => {
    // Looked up by its path (lookup.ts); when it isn't there, the snapshot says so in its own words.
    const found = modelsAtHead(reg.git, reg.config, [opts.id]);
    validatorFor('model'); // loads the metadata validator (checkModelText's) while git answers
    const model = (await found).get(opts.id) ?? (await reg.model(opts.id));
    const meta = { ...model.metadata, testing: [...model.metadata.testing, result] };
    const text = serializeMetadata(meta);
    const errors = await checkModelText(reg, model.path, text);
    if (errors.length) throw new ValidationError(`the result for ${opts.id} is invalid`, errors);
    const summary = Object.entries(result.performance).slice(0, 3).map(([k, v]) => `${k}=${v}`).join(' ');
    return {
      spec: {
        subject: `test ${opts.id} on ${opts.dataset}: ${summary}`,
        trailers: [['Model-Action', 'test'], ['Model-Id', opts.id], ['Dataset', opts.dataset]],
        changes: [{ path: model.path, content: text }],
      },
      result: (commit: string) => ({ model_id: opts.id, path: model.path, commit, result }),
    };
  });
}
