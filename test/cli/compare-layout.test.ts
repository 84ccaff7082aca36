// `compare` in a terminal and through a pipe, as the built binary prints it (issue #17): a table
// that fits the terminal (a row per model when that fits, else a column per model), better/worse
// beside each delta, colour only for a terminal that takes it, and --only-changed/--keep/--drop.
// MODELGIT_FORCE_TTY=N makes the binary behave as a terminal of N columns; without it stdout is a
// pipe (as here, where the test reads it).
//
// What the compare renderer decides (layout, words, colour, filters), and at the end what the table
// renderer adds (plain columns in a pipe, a box table fitted to the terminal).
import { beforeAll, describe, expect, it } from 'vitest';
import { recordTest } from '../../src/registry/record-test.js';
import { register } from '../../src/registry/register.js';
import { renderTable } from '../../src/render/table.js';
import { PLAIN_OUTPUT, terminalOutput } from '../../src/render/terminal.js';
import { runCliWithEnv, steppingClock, tempRegistry, type CliResult, type TempRegistry } from '../helpers.js';

let r: TempRegistry;
let ids: string[];

/** A terminal of `width` columns that takes colour, unless `env` says otherwise. */
function atTerminal(width: number, args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCliWithEnv(r.dir, { MODELGIT_FORCE_TTY: String(width), TERM: 'xterm-256color', NO_COLOR: '', COLUMNS: '', ...env }, ...args);
}

function piped(args: string[]): Promise<CliResult> {
  return runCliWithEnv(r.dir, { MODELGIT_FORCE_TTY: '', NO_COLOR: '', TERM: 'xterm-256color' }, ...args);
}

const ANSI = /\x1b\[[0-9;]*m/;
const BOX = /[│┌┐└┘├┤┬┴┼─]/;
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');
const longest = (s: string) => Math.max(...plain(s).trimEnd().split('\n').map((l) => l.length));

beforeAll(async () => {
  r = await tempRegistry();
  const reg = await r.open(steppingClock('2024-10-19T10:30:00Z'));
  ids = [];
  for (let i = 0; i < 3; i++) {
    const m = await register(reg, { algorithm: 'mscn', dataset: 'production', params: { lr: 0.001 * (i + 1), num_epoch: 100 }, trainingTime: 1800 + i });
    ids.push(m.model_id);
  }
  for (const [i, id] of ids.entries()) {
    for (const d of ['job-light', 'production', 'stats']) {
      await recordTest(reg, { id, dataset: d, metrics: [`total_time=${45 - i}`, `q_error=${1.2 + i / 10}`, 'p95_time=1.5'] });
    }
  }
  // Realistic ids (algorithm and time): the width of a column per model is mostly its id.
  expect(ids.every((id) => /^mscn_\d{8}_\d{6}$/.test(id))).toBe(true);
});

describe('compare at a terminal', () => {
  it('3 models on 3 datasets at 80 columns: a column per model, every line within 80', async () => {
    const res = await atTerminal(80, ['compare', ...ids]);
    expect(res.code).toBe(0);
    const out = plain(res.stdout);
    expect(longest(res.stdout)).toBeLessThanOrEqual(80);
    // ids as column heads (broken at a `_` to fit), rows grouped by dataset
    for (const id of ids) expect(out).toContain(id.slice(id.lastIndexOf('_') + 1));
    expect(out).toMatch(/model .*mscn_\d{8}_ .*mscn_\d{8}_ .*mscn_\d{8}_/);
    for (const d of ['job-light', 'production', 'stats']) expect(out).toMatch(new RegExp(`on ${d} `));
    expect(out).toMatch(/ {3}total_time +│ +45 │ 44 -2\.2% better │ 43 \* -4\.4% better │/);
    expect(out).toMatch(/ {3}q_error +│ +1\.2 \* │ 1\.3 \+8\.3% worse │ +1\.4 \+16\.7% worse │/);
    expect(out).not.toMatch(/not shown/);
  });

  it('3 models at 200 columns: a column per model with whole deltas (a row per model would take 400+)', async () => {
    const res = await atTerminal(200, ['compare', ...ids]);
    const out = plain(res.stdout);
    expect(longest(res.stdout)).toBeLessThanOrEqual(200);
    expect(out).toMatch(new RegExp(`│ model +│ ${ids[0]} │ +${ids[1]} │ +${ids[2]} │`));
    expect(out).toMatch(/ {3}total_time +│ +45 │ +44 \(-1, -2\.2%, better\) │ +43 \* \(-2, -4\.4%, better\) │/);
    expect(out).toContain(`(±x, ±y%, better/worse) difference from ${ids[0]}`);
  });

  it('2 models on one dataset at 200 columns: a row per model, as it fits', async () => {
    const res = await atTerminal(200, ['compare', ids[0]!, ids[1]!, '--dataset', 'production']);
    const out = plain(res.stdout);
    expect(longest(res.stdout)).toBeLessThanOrEqual(200);
    expect(out).toMatch(/│ model +│ trained on │ training_time │ +lr │ p95_time on production │ +q_error on production │ total_time on production │/);
    expect(out).toMatch(new RegExp(`│ ${ids[1]} │ production │ +1801 │ 0\\.002 │ .*1\\.3 \\(\\+0\\.1, \\+8\\.3%, worse\\) │ 44 \\* \\(-1, -2\\.2%, better\\) │`));
    expect(out).toContain('* best in column (');
  });

  it('2 models on one dataset at 80 columns: a column per model, within 80', async () => {
    const res = await atTerminal(80, ['compare', ids[0]!, ids[1]!, '--dataset', 'production']);
    expect(longest(res.stdout)).toBeLessThanOrEqual(80);
    expect(plain(res.stdout)).toMatch(new RegExp(`│ model +│ ${ids[0]} │ +${ids[1]} │`));
    expect(plain(res.stdout)).toContain('* best in row (');
  });

  it('too narrow for every model: the first ones, and a line naming the rest', async () => {
    const res = await atTerminal(60, ['compare', ...ids]);
    expect(longest(res.stdout)).toBeLessThanOrEqual(60);
    expect(plain(res.stdout)).toMatch(new RegExp(`^1 more model not shown at 60 columns: ${ids[2]}`, 'm'));
  });

  it('--layout forces one: tall at 200 where wide fits, wide at 80', async () => {
    const tall = await atTerminal(200, ['compare', ids[0]!, ids[1]!, '--dataset', 'production', '--layout', 'tall']);
    expect(plain(tall.stdout)).toMatch(new RegExp(`│ model +│ ${ids[0]} │ +${ids[1]} │`));
    const wide = await atTerminal(80, ['compare', ...ids, '--layout', 'wide']);
    // a row per model, the results kept and the hyperparameters the first to go
    expect(plain(wide.stdout)).toMatch(/│ model +│ .*total_t/);
    expect(plain(wide.stdout)).toMatch(/columns? hidden to fit 80 columns: (.*, )?lr/);
  });

  it('colour: the best value bold green, better green, worse red', async () => {
    const res = await atTerminal(200, ['compare', ...ids]);
    expect(res.stdout).toContain('\x1b[1;32m43 *\x1b[22;39m');
    expect(res.stdout).toContain('\x1b[32m(-2, -4.4%, better)\x1b[39m');
    expect(res.stdout).toContain('\x1b[31m(+0.2, +16.7%, worse)\x1b[39m');
  });

  it('no colour with NO_COLOR=1, --no-color or TERM=dumb; the same text otherwise', async () => {
    const coloured = await atTerminal(200, ['compare', ...ids]);
    for (const [args, env] of [
      [['compare', ...ids], { NO_COLOR: '1' }],
      [['--no-color', 'compare', ...ids], {}],
      [['compare', ...ids], { TERM: 'dumb' }],
    ] as const) {
      const res = await atTerminal(200, [...args], env);
      expect(res.code).toBe(0);
      expect(res.stdout).not.toMatch(ANSI);
      expect(res.stdout).toBe(plain(coloured.stdout));
    }
  });
});

describe('compare through a pipe', () => {
  it('no colour; every model and whole deltas; a column per model once a row per model is wider than a log shows', async () => {
    const res = await piped(['compare', ...ids]);
    expect(res.code).toBe(0);
    expect(res.stdout).not.toMatch(ANSI);
    expect(res.stdout).not.toMatch(/not shown/);
    for (const id of ids) expect(res.stdout).toContain(id);
    expect(res.stdout).toMatch(/ total_time[ │]+45[ │]+44 \(-1, -2\.2%, better\)[ │]+43 \* \(-2, -4\.4%, better\)/);
  });

  it('a narrow comparison stays a row per model', async () => {
    const res = await piped(['compare', ids[0]!, ids[1]!, '--dataset', 'production', '--metric', 'total_time']);
    expect(res.stdout).toMatch(new RegExp(`${ids[1]}[ │]+production[ │]+1801[ │]+0\\.002[ │]+44 \\* \\(-1, -2\\.2%, better\\)`));
  });
});

describe('compare --only-changed, --keep, --drop', () => {
  it('--only-changed hides what every model has alike and lists it in one line', async () => {
    const res = await atTerminal(200, ['compare', ...ids, '--only-changed', '--no-color']);
    expect(res.code).toBe(0);
    const table = res.stdout.slice(0, res.stdout.lastIndexOf('┘'));
    expect(table).not.toMatch(/p95_time|trained on|algorithm/);
    expect(table).toMatch(/training_time[\s\S]* lr /);
    expect(res.stdout).toMatch(/^same for all: num_epoch=100, algorithm=mscn, trained on=production, p95_time on job-light=1\.5, p95_time on production=1\.5, p95_time on stats=1\.5$/m);
    expect(res.stdout).toMatch(/ {3}q_error +│/);
  });

  it('--drop and --keep take globs on a metric, a dataset, a hyperparameter or "metric on dataset"; --keep wins', async () => {
    const res = await atTerminal(200, ['compare', ...ids, '--drop', 'p95_*', '--drop', 'stats', '--drop', 'lr', '--no-color']);
    expect(res.stdout).not.toMatch(/p95_time|on stats| lr /);
    expect(res.stdout).toMatch(/on job-light[\s\S]*on production/);
    const kept = await atTerminal(200, ['compare', ...ids, '--drop', '*', '--keep', 'q_error on production', '--no-color']);
    // one result left: narrow enough for a row per model
    expect(kept.stdout).toMatch(/^│ model +│ +q_error on production │$/m);
    expect(kept.stdout).toMatch(new RegExp(`^│ ${ids[2]} │ 1\\.4 \\(\\+0\\.2, \\+16\\.7%, worse\\) │$`, 'm'));
  });

  it('--keep alone shows only what it names; md, csv and json honour the filters too', async () => {
    const md = await piped(['compare', ...ids, '--keep', 'total_time', '--format', 'md']);
    expect(md.stdout.split('\n')[0]).toBe('| model | total_time on job-light | total_time on production | total_time on stats |');
    const csv = await piped(['compare', ...ids, '--only-changed', '--drop', 'job-light', '--drop', 'stats', '--format', 'csv']);
    expect(csv.stdout.split('\n')[0]).toBe(
      'model_id,training_time,hyperparams.lr,production/q_error,production/q_error best,production/q_error delta,production/q_error delta %,production/total_time,production/total_time best,production/total_time delta,production/total_time delta %',
    );
    const json = (await piped(['compare', ...ids, '--only-changed', '--keep', 'q_error on stats', '--drop', '*', '--json'])).json();
    expect(json.metric_columns.map((c: { dataset: string; metric: string }) => `${c.metric} on ${c.dataset}`)).toEqual(['q_error on stats']);
    expect(json.rows[1].results).toEqual({ stats: { q_error: 1.3 } });
    expect(json.hyperparams).toEqual([]);
  });

  it('a pattern that names no row is a usage error (a typo must not silently show everything)', async () => {
    const res = await piped(['compare', ...ids, '--drop', 'q_eror']);
    expect(res.code).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/--drop "q_eror" matches no row of this comparison/);
    expect(res.stderr).toMatch(/hint: .*globs.*q_error/);
    const keep = await piped(['compare', ...ids, '--keep', 'accuracy', '--json']);
    expect(keep.code).toBe(2);
    expect(JSON.parse(keep.stderr.trim())).toMatchObject({ error: { code: 'USAGE', message: '--keep "accuracy" matches no row of this comparison' } });
  });

  it('an empty pattern, or --layout with another format, is a usage error naming the flag', async () => {
    const empty = await piped(['compare', ...ids, '--drop', '']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/--drop needs a pattern/);
    const layout = await piped(['compare', ...ids, '--layout', 'tall', '--format', 'md']);
    expect(layout.code).toBe(2);
    expect(layout.stderr).toMatch(/--layout shapes the table only; --format md has one layout/);
    const bad = await piped(['compare', ...ids, '--layout', 'diagonal']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--layout.*wide, tall/);
  });
});

describe('compare through a pipe, with the plain table layout', () => {
  it('no box drawing and no colour', async () => {
    for (const args of [['compare', ...ids], ['compare', ids[0]!, ids[1]!, '--dataset', 'production', '--metric', 'total_time'], ['compare', ...ids, '--layout', 'wide']]) {
      const res = await piped(args);
      expect(res.stdout).not.toMatch(BOX);
      expect(res.stdout).not.toMatch(ANSI);
    }
  });
});

describe('compare at a terminal, with the table fitted to its width', () => {
  it('--layout wide at 80 columns: no line longer than 80', async () => {
    const res = await atTerminal(80, ['compare', ...ids, '--layout', 'wide']);
    expect(longest(res.stdout)).toBeLessThanOrEqual(80);
  });
  it('at 40 columns: no line longer than 40', async () => {
    const res = await atTerminal(40, ['compare', ...ids]);
    expect(longest(res.stdout)).toBeLessThanOrEqual(40);
  });
});
