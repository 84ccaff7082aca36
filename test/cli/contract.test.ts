// The `--json` contract in one table (DESIGN §5b, and the guides for commands §5b does not list):
// scripts and CI parse these answers, so a key may be added but never renamed or dropped. Each row
// is a command line as a script runs it (the built binary, one registry built through the CLI, the
// rows in order since later ones read what earlier ones wrote), its exit code (0 done, 1 a failed
// check or operation, 2 a usage error) and the shape of stdout: the keys that must be there and
// their JSON types. Keys the code adds beyond the documented ones are accepted, not required.
// stderr with --json is, on every row, nothing or exactly one JSON object {error?, warnings?}.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { safetensorsBytes, write, writeOlderTree } from '../fixtures/legacy.js';
import { runCli, tempDir, tempRepo, type CliResult } from '../helpers.js';

/**
 * A JSON shape: 'string', 'number', 'boolean', 'null', 'object', 'array' or 'any', or several
 * joined by '|'; `[spec]` an array whose every element has that shape; `{key: spec}` an object
 * with at least those keys.
 */
type Shape = string | [Shape] | { [key: string]: Shape };

function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Every place `value` breaks `shape`, as "path: expected …, got …". */
function mismatches(value: unknown, shape: Shape, at = '$'): string[] {
  if (typeof shape === 'string') {
    const kinds = shape.split('|');
    return kinds.includes('any') || kinds.includes(kindOf(value)) ? [] : [`${at}: expected ${shape}, got ${kindOf(value)}`];
  }
  if (Array.isArray(shape)) {
    if (!Array.isArray(value)) return [`${at}: expected array, got ${kindOf(value)}`];
    return value.flatMap((v, i) => mismatches(v, shape[0], `${at}[${i}]`));
  }
  if (kindOf(value) !== 'object') return [`${at}: expected object, got ${kindOf(value)}`];
  const obj = value as Record<string, unknown>;
  return Object.entries(shape).flatMap(([k, s]) => (k in obj ? mismatches(obj[k], s, `${at}.${k}`) : [`${at}.${k}: missing`]));
}

/** stderr under --json: nothing, or exactly one JSON object whose keys are error and/or warnings. */
function jsonStderr(res: CliResult): { error?: { code: string; message: string; hint?: string }; warnings?: string[] } | undefined {
  if (res.stderr === '') return undefined;
  const lines = res.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, res.stderr).toHaveLength(1);
  const value = JSON.parse(lines[0]!);
  expect(kindOf(value)).toBe('object');
  expect(Object.keys(value).filter((k) => k !== 'error' && k !== 'warnings'), res.stderr).toEqual([]);
  if ('warnings' in value) expect(mismatches(value.warnings, ['string'])).toEqual([]);
  if ('error' in value) expect(mismatches(value.error, { code: 'string', message: 'string' })).toEqual([]);
  return value;
}

const WRITE: Shape = { model_id: 'string', path: 'string', commit: 'string|null' };
const STAGE: Shape = { model_id: 'string', algorithm: 'string', stage: 'string', previous: 'string|null', commit: 'string|null', tag: 'string|null', branch: 'string|null' };
const METADATA: Shape = { model_id: 'string', algorithm: 'string', created_at: 'string', testing: ['object'], tags: ['string'] };
const HISTORY_ENTRY: Shape = { commit: 'string', action: 'string', model_ids: ['string'], author: 'string', date: 'string', subject: 'string' };
const ERROR_LOCATION: Shape = { file: 'string', line: 'number', column: 'number', pointer: 'string', rule: 'string', message: 'string' };
const VALIDATE: Shape = { ok: 'boolean', checked: 'number', errors: [ERROR_LOCATION] };
const GATE_CHECK: Shape = { model_id: 'string', algorithm: 'string', stage: 'string', ok: 'boolean', results: ['object'], failed: ['any'] };

interface Row {
  /** the command line after `modelgit` (a function when it names something made on the way) */
  args: string[] | (() => string[]);
  exit: 0 | 1 | 2;
  /** the shape of stdout; null when stdout must be empty (a failure: the answer is the error on stderr) */
  stdout: Shape | null;
  /** the error code on stderr, for a failing row */
  error?: string;
  /** what the working tree needs for this row only (undone after it) */
  around?: { before: () => void; after: () => void };
}

let dir: string;
let site: string;
let older: string;
const run = (...args: string[]) => runCli(dir, ...args);

// Writes are made by the rows themselves; beforeAll only sets up what no command makes: the
// repository, model files on disk, a file of fields and an older registry to import.
beforeAll(async () => {
  const parent = tempDir();
  dir = join(parent, 'registry');
  site = join(parent, 'site');
  older = writeOlderTree(join(parent, 'older'));
  write(join(parent, 'fields.json'), JSON.stringify({
    role: 'reference_model',
    algorithm_compatibility: ['critic-wmtp'],
    loading_strategy: { loader_type: 'huggingface', transformers_class: 'AutoModel', required_files: ['config.json', 'model.safetensors'] },
  }));
  // init creates the directory; the artifact must exist before register so its checksum is the one verify finds.
  const res = await runCli(parent, 'init', 'registry', '--no-hook', '--json');
  expect(res.code, res.stderr).toBe(0);
  write(join(dir, 'artifacts/ref/config.json'), '{}\n');
  writeFileSync(join(dir, 'artifacts/ref/model.safetensors'), safetensorsBytes({ w: { dtype: 'F32', shape: [2] } }));
});

const ROWS: [string, Row][] = [
  ['hooks install', { args: ['hooks', 'install', '--json'], exit: 0, stdout: { path: 'string', action: 'string' } }],
  ['register (with a loadable artifact)', { args: () => ['register', '--algo', 'mscn', '--id', 'm1', '--dataset', 'production', '--model-path', 'artifacts/ref', '--from', join(dir, '../fields.json'), '--json'], exit: 0, stdout: WRITE }],
  ['register', { args: ['register', '--algo', 'mscn', '--id', 'm2', '--dataset', 'production', '--json'], exit: 0, stdout: WRITE }],
  ['register (a third, for cleanup)', { args: ['register', '--algo', 'mscn', '--id', 'm3', '--dataset', 'production', '--json'], exit: 0, stdout: WRITE }],
  ['test', { args: ['test', 'm1', '--dataset', 'production', '--metric', 'total_time=50', '--json'], exit: 0, stdout: WRITE }],
  ['test (m2)', { args: ['test', 'm2', '--dataset', 'production', '--metric', 'total_time=40', '--json'], exit: 0, stdout: WRITE }],
  ['test (m3)', { args: ['test', 'm3', '--dataset', 'production', '--metric', 'total_time=60', '--json'], exit: 0, stdout: WRITE }],
  ['tag', { args: ['tag', 'm1', 'keep', '--json'], exit: 0, stdout: WRITE }],
  ['untag', { args: ['untag', 'm1', 'keep', '--json'], exit: 0, stdout: WRITE }],
  ['note', { args: ['note', 'm1', 'a note', '--json'], exit: 0, stdout: WRITE }],
  ['list', { args: ['list', '--json'], exit: 0, stdout: [METADATA] }],
  ['show', { args: ['show', 'm1', '--json'], exit: 0, stdout: { metadata: METADATA, stages: 'array', history: [HISTORY_ENTRY] } }],
  ['history', { args: ['history', '--json'], exit: 0, stdout: [HISTORY_ENTRY] }],
  ['best', {
    args: ['best', '--algo', 'mscn', '--json'], exit: 0,
    stdout: { model_id: 'string', algorithm: 'string', dataset: 'string', metric: 'string', direction: 'string', value: 'number', model_path: 'string|null', candidates: 'number', commit: 'string' },
  }],
  ['best --record', {
    args: ['best', '--algo', 'mscn', '--record', '--json'], exit: 0,
    stdout: { model_id: 'string', algorithm: 'string', dataset: 'string', metric: 'string', direction: 'string', value: 'number', model_path: 'string|null', candidates: 'number', commit: 'string', tag: 'string' },
  }],
  ['compare', {
    args: ['compare', 'm1', 'm2', '--json'], exit: 0,
    stdout: { metric_columns: ['any'], rows: [{ model_id: 'string', training: 'object|null', results: 'object' }] },
  }],
  ['gates (a promotion that passes)', { args: ['gates', 'm2', '--stage', 'production', '--json'], exit: 0, stdout: GATE_CHECK }],
  ['promote', { args: ['promote', 'm2', '--stage', 'production', '--json'], exit: 0, stdout: STAGE }],
  ['gates (a promotion that fails: must beat m2)', { args: ['gates', 'm1', '--stage', 'production', '--json'], exit: 1, stdout: GATE_CHECK }],
  ['gates --since', { args: ['gates', '--since', 'HEAD~3', '--json'], exit: 0, stdout: { base: 'string', head: 'string', ok: 'boolean', checks: ['object'] } }],
  ['stages', {
    args: ['stages', '--json'], exit: 0,
    stdout: [{ algorithm: 'string', stage: 'string', model_id: 'string', commit: 'string', promoted_by: 'string', promoted_at: 'string' }],
  }],
  ['diff', {
    args: ['diff', 'HEAD~4', '--json'], exit: 0,
    stdout: { registered: 'array', removed: 'array', results: 'array', promotions: 'array', changed: 'array' },
  }],
  ['validate', { args: ['validate', '--json'], exit: 0, stdout: VALIDATE }],
  ['validate --format json', { args: ['validate', '--all', '--format', 'json'], exit: 0, stdout: VALIDATE }],
  ['validate (an invalid file in the working tree)', {
    args: ['validate', '--json'], exit: 1, stdout: { ok: 'boolean', checked: 'number', errors: [ERROR_LOCATION] },
    around: { before: () => write(join(dir, 'models/mscn/bad.json'), '{"model_id": "bad"'), after: () => rmSync(join(dir, 'models/mscn/bad.json')) },
  }],
  ['cleanup --dry-run', {
    args: ['cleanup', '--algo', 'mscn', '--keep', '1', '--dry-run', '--json'], exit: 0,
    stdout: { removed: ['string'], kept: ['string'], protected: ['string'], commit: 'null', tag: 'null' },
  }],
  ['cleanup', {
    args: ['cleanup', '--algo', 'mscn', '--keep', '1', '--json'], exit: 0,
    stdout: { removed: ['string'], kept: ['string'], protected: ['string'], commit: 'string', tag: 'string' },
  }],
  ['restore', { args: ['restore', 'm3', '--json'], exit: 0, stdout: WRITE }],
  ['demote', { args: ['demote', 'm2', '--stage', 'production', '--json'], exit: 0, stdout: STAGE }],
  ['plan', {
    args: ['plan', 'm1', '--json'], exit: 0,
    stdout: { model_id: 'string', algorithm: 'string', loader_type: 'string', model_path: 'string', directory: 'string', files: ['object'], weights: ['object'], steps: 'array' },
  }],
  ['resolve', {
    args: ['resolve', '--for', 'critic-wmtp', '--json'], exit: 0,
    stdout: { model_id: 'string', model_path: 'string', role: 'string|null', loading_strategy: 'object', stage: 'string|null', reason: 'string' },
  }],
  ['verify', { args: ['verify', 'm1', '--json'], exit: 0, stdout: { ok: 'boolean', model_id: 'string', checks: [{ name: 'string', ok: 'boolean', detail: 'string|null' }] } }],
  ['verify (a check fails: no artifact)', { args: ['verify', 'm2', '--json'], exit: 1, stdout: { ok: 'boolean', model_id: 'string', checks: [{ name: 'string', ok: 'boolean', detail: 'string|null' }] } }],
  ['report', { args: () => ['report', '--out', site, '--json'], exit: 0, stdout: { out: 'string', index: 'string', pages: 'number', models: 'number' } }],
  ['sync-tags', { args: ['sync-tags', '--json'], exit: 0, stdout: { branch: 'string', created: 'array', existing: 'number', pushed: 'boolean' } }],
  ['import', {
    args: () => ['import', older, '--json'], exit: 0,
    stdout: { source: 'string', kind: 'string', imported: ['object'], commits: ['string'], notes: ['string'], missing_artifacts: 'array' },
  }],
  ['migrate', { args: ['migrate', '--json'], exit: 0, stdout: { migrated: 'array', commit: 'string|null' } }],
  // failures: nothing on stdout, the error on stderr
  ['best of an algorithm nobody has', { args: ['best', '--algo', 'nope', '--json'], exit: 1, stdout: null, error: 'NOT_FOUND' }],
  ['test of an unknown id', { args: ['test', 'nope', '--dataset', 'production', '--metric', 'x=1', '--json'], exit: 1, stdout: null, error: 'NOT_FOUND' }],
  ['restore of a registered model', { args: ['restore', 'm1', '--json'], exit: 1, stdout: null, error: 'CONFLICT' }],
  ['an unknown option', { args: ['register', '--nope', '--json'], exit: 2, stdout: null, error: 'USAGE' }],
  ['a bad metric flag', { args: ['test', 'm1', '--dataset', 'production', '--metric', 'no-equals', '--json'], exit: 2, stdout: null, error: 'USAGE' }],
  ['import of a missing path', { args: ['import', '/nonexistent/older', '--json'], exit: 2, stdout: null, error: 'USAGE' }],
];

describe('--json contract (DESIGN §5b): exit code and stdout shape of every command', () => {
  for (const [name, row] of ROWS) {
    it(`${name}: exit ${row.exit}`, async () => {
      const args = typeof row.args === 'function' ? row.args() : row.args;
      row.around?.before();
      const res = await run(...args).finally(() => row.around?.after());
      expect(res.code, `${args.join(' ')}\n${res.stderr}`).toBe(row.exit);
      const err = jsonStderr(res);
      if (row.stdout === null) {
        expect(res.stdout).toBe('');
        expect(err?.error?.code).toBe(row.error);
      } else {
        if (row.exit === 0) expect(err?.error, res.stderr).toBeUndefined();
        expect(mismatches(res.json(), row.stdout)).toEqual([]);
      }
    });
  }

  it('init: the shape of a new registry', async () => {
    const res = await runCli(tempRepo(), 'init', '.', '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(mismatches(res.json(), { root: 'string', created_repo: 'boolean', commit: 'string', files: ['string'], hook: 'object|null' })).toEqual([]);
  });

  it('the shape checker itself catches a missing key, a wrong type and a bad element', () => {
    expect(mismatches({ a: 1 }, { a: 'number', b: 'string' })).toEqual(['$.b: missing']);
    expect(mismatches({ a: '1' }, { a: 'number|null' })).toEqual(['$.a: expected number|null, got string']);
    expect(mismatches([{ a: 1 }, {}], [{ a: 'number' }])).toEqual(['$[1].a: missing']);
  });
});
