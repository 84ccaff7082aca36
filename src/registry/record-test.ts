// test: append one result to a model's testing list, one commit.
import { UsageError, ValidationError } from '../errors.js';
import { isoSeconds } from '../domain/ids.js';
import { normalizeTimestamp } from '../domain/legacy.js';
import { serializeMetadata } from '../domain/metadata.js';
import { assertSafeName, nameProblem } from '../domain/names.js';
import { summarizeTimings } from '../domain/timings.js';
import { numberProblem, strictNumber } from '../domain/metrics.js';
import type { Performance, TestResult } from '../domain/types.js';
import { checkModelText } from '../schema/model-checks.js';
import { validatorFor } from '../schema/validator.js';
import type { Registry, Replayed } from './registry.js';
import { inputName, parseDataText, readInputText } from './input-file.js';
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

/** The texts of the files a test result is read from (--times, --from), read before anything else. */
export interface ResultInputs {
  times?: string;
  from?: string;
}

export async function readResultInputs(opts: RecordTestOptions, cwd: string): Promise<ResultInputs> {
  checkSources(opts);
  return {
    ...(opts.times ? { times: await readInputText('--times', opts.times, cwd) } : {}),
    ...(opts.from ? { from: await readInputText('--from', opts.from, cwd) } : {}),
  };
}

/** Exactly one of --metric, --times, --from: checked before any file (or standard input) is read. */
function checkSources(opts: RecordTestOptions): void {
  const sources = [opts.metrics?.length ? '--metric' : '', opts.times ? '--times' : '', opts.from ? '--from' : ''].filter(Boolean);
  if (sources.length === 0) throw new UsageError('give the result with --metric name=value, --times FILE or --from FILE');
  if (sources.length > 1) throw new UsageError(`use one of --metric, --times, --from (got ${sources.join(' and ')})`);
}

export function resultFromOptions(opts: RecordTestOptions, inputs: ResultInputs, now: Date): TestResult {
  checkSources(opts);
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
    const times = parseTimesText(inputName(opts.times), inputs.times ?? '');
    performance = summarizeTimings(times);
    numQueries ??= times.length;
  } else if (opts.from) {
    const shown = inputName(opts.from);
    const value = parseDataText('--from', opts.from, inputs.from ?? '');
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UsageError(`--from: ${shown} must hold a result object or a map of metric → number`);
    const obj = value as Record<string, unknown>;
    if ('performance' in obj) {
      // What a Python script writes: a naive tested_at is UTC, a null optional field is absent.
      const r: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(obj)) if (v !== null || k === 'performance') r[k] = v;
      if (r.tested_at !== undefined) r.tested_at = normalizeTimestamp(r.tested_at);
      fromResult = r as Partial<TestResult>;
      performance = obj.performance as Performance;
      if (!performance || typeof performance !== 'object' || Array.isArray(performance)) {
        throw new UsageError(`--from: ${shown}: performance must be a map of metric → number`);
      }
    } else {
      performance = obj as Performance;
    }
    for (const [k, v] of Object.entries(performance ?? {})) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new UsageError(`--from: ${shown}: metric ${k} is ${JSON.stringify(v)}, not a number`);
    }
    if (fromResult.dataset !== undefined && fromResult.dataset !== opts.dataset) {
      throw new UsageError(`--from: ${shown} is a result on ${fromResult.dataset}, but --dataset is ${opts.dataset}`);
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
  const inputs = await readResultInputs(opts, cwd);
  const result = resultFromOptions(opts, inputs, reg.now());
  // The operation's identity: the caller's token, or what was asked, input files by content (not the clock).
  const operation = await reg.operation('test', () => ({
    ...opts,
    times: inputs.times,
    from: inputs.from,
  }));
  const replay = async (found: Replayed): Promise<WriteAnswer & { result: TestResult }> => {
    await reg.assertSameOperation(found, 'test', opts.id);
    const model = await reg.model(opts.id);
    // The result as that commit recorded it (its tested_at), not as this run would have.
    let recorded = result;
    try {
      const text = await reg.git.showFile(found.commit, model.path);
      const testing = text ? ((JSON.parse(text) as { testing?: TestResult[] }).testing ?? []) : [];
      recorded = testing.filter((t) => t.dataset === opts.dataset).pop() ?? result;
    } catch {
      /* the file at that commit is not plain JSON: answer with the result as asked */
    }
    return { model_id: opts.id, path: model.path, commit: found.commit, result: recorded, replayed: true };
  };
  return reg.write(async () => {
    // Looked up by its path (lookup.ts); when it isn't there, the snapshot says so in its own words.
    const found = reg.lookup([opts.id]).then((l) => l.found);
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
  }, {
    operation,
    replay,
    // Queued, of a model not on the branch: made on this clone's queued registration of it, if any.
    queueOnto: reg.ontoQueuedRegistration(opts.id),
  });
}
