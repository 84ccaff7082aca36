// What a person at a terminal sees, and what a pipe gets (issue #17): the built binary at 80 and at
// 200 columns (MODELGIT_FORCE_TTY), through a pipe, and once through a real pseudo-terminal (`script`)
// to prove the detection works without the override. A table never runs past the terminal's width,
// the id is never cut, a hidden column is named; a pipe gets plain whole columns with no colour.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { recordTest } from '../../src/registry/record-test.js';
import { register } from '../../src/registry/register.js';
import { promote } from '../../src/registry/promote.js';
import { CLI, runCliWithEnv, steppingClock, tempRegistry, type CliResult, type TempRegistry } from '../helpers.js';

let r: TempRegistry;
const ids: string[] = [];
/** the model whose dates were written with +02:00 */
let local: string;
const BOX = /[│┌┐└┘├┤┬┴┼─]/;
const ANSI = /\x1b\[/;
const HISTORY_ENTRIES = 40;

// NO_COLOR='' and TERM=xterm: the runner's own environment must not turn colour off.
const TTY_ENV = { NO_COLOR: '', TERM: 'xterm' };
const tty = (width: number, ...args: string[]): Promise<CliResult> => runCliWithEnv(r.dir, { ...TTY_ENV, MODELGIT_FORCE_TTY: String(width) }, ...args);
const pipe = (...args: string[]): Promise<CliResult> => runCliWithEnv(r.dir, { MODELGIT_FORCE_TTY: '', NO_COLOR: '' }, ...args);

function widest(text: string): number {
  return Math.max(0, ...text.replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => [...l].length));
}

beforeAll(async () => {
  r = await tempRegistry();
  const reg = await r.open(steppingClock('2024-10-19T10:30:00Z'));
  for (let i = 1; i <= 3; i++) {
    const id = `mscn_a_rather_long_model_name_${i}`;
    ids.push(id);
    await register(reg, { algorithm: 'mscn', id, dataset: 'imdb_training_dataset_full', tags: ['experiment', 'keep_for_the_paper', `run_${i}`], trainingTime: 10 * i });
    await recordTest(reg, { id, dataset: 'production', metrics: [`total_time=${40 + i}.5`, `q_error_median=1.${i}`, 'q_error_p95=12.25'] });
  }
  await promote(reg, { id: ids[0]!, stage: 'production', force: true });
  // A model whose dates were written in +02:00: shown as 10:30 UTC.
  local = 'mscn_written_in_cest';
  await register(reg, { algorithm: 'mscn', id: local, dataset: 'production' });
  const path = `models/mscn/${local}.json`;
  const meta = JSON.parse(r.read(path));
  meta.created_at = '2024-10-20T12:30:00+02:00';
  meta.training = { ...meta.training, trained_at: '2024-10-20T12:30:00+02:00' };
  r.write(path, JSON.stringify(meta, null, 2) + '\n');
  execFileSync('git', ['commit', '-qam', `note ${local}\n\nModel-Action: note\nModel-Id: ${local}`], { cwd: r.dir, env: { ...process.env, GIT_AUTHOR_DATE: '2024-10-21T12:30:00+02:00' } });
  // Enough entries that a terminal shows only the newest.
  for (let i = 0; i < HISTORY_ENTRIES; i++) await recordTest(reg, { id: ids[2]!, dataset: 'job', metrics: [`total_time=${i}`] });
}, 120_000);

describe.each([80, 200])('at a terminal of %i columns', (width) => {
  it.each([
    ['list'],
    ['list', '--sort', 'total_time', '--on', 'production'],
    ['list', '--results'],
    ['stages'],
    ['history', '--all'],
    ['best', '--algo', 'mscn', '--metric', 'total_time', '--dataset', 'production'],
  ])('%j fits, keeps the id whole and names what it hid', async (...args) => {
    const res = await tty(width, ...args);
    expect(res.code).toBe(0);
    expect(widest(res.stdout)).toBeLessThanOrEqual(width);
    if (args[0] !== 'history') expect(res.stdout).toContain(ids[0]);
    const note = /\((\d+) columns? hidden to fit (\d+) columns: /.exec(res.stdout);
    if (args[0] === 'best') return;
    expect(res.stdout).toMatch(BOX);
    if (note) expect(note[2]).toBe(String(width));
    if (width === 200) expect(note).toBeNull();
    if (note) expect(res.stdout.replace(/\n/g, ' ')).toMatch(/ — widen the terminal, or use --json\)/);
    // A table that needed more than the width hid or cut something, and a hidden column is named.
    if (width === 80 && args[0] === 'list' && args.length === 1) expect(note?.[1]).toBeDefined();
  });

  it('show fits and keeps every value (long ones wrap)', async () => {
    const res = await tty(width, 'show', ids[2]!);
    expect(res.code).toBe(0);
    expect(widest(res.stdout)).toBeLessThanOrEqual(width);
    expect(res.stdout).toContain(ids[2]);
    expect(res.stdout).toMatch(/history \(\d+\)/);
  });
});

describe('at 80 columns', () => {
  it('list hides the tags (least important) and says so; the scores stay', async () => {
    const res = await tty(80, 'list', '--sort', 'total_time', '--on', 'production', '--no-color');
    expect(res.stdout).toMatch(/\(\d columns? hidden to fit 80 columns: [^)]*tags/);
    expect(res.stdout).toMatch(/│ +41\.5 │/);
    const natural = await pipe('list', '--sort', 'total_time', '--on', 'production');
    expect(widest(natural.stdout)).toBeGreaterThan(80);
  });
});

describe('through a pipe', () => {
  it.each([
    [['list'], ['id', 'algorithm', 'trained (UTC)', 'training dataset', 'tags']],
    [['list', '--sort', 'total_time', '--on', 'production'], ['id', 'tags', 'total_time (production)']],
    [['stages'], ['algorithm', 'stage', 'model', 'since (UTC)', 'by', 'tag']],
    [['history'], ['commit', 'date (UTC)', 'action', 'models', 'subject']],
  ])('%j is plain columns: a header, every column whole, no box, no colour', async (args, head) => {
    const res = await pipe(...args);
    expect(res.code).toBe(0);
    expect(res.stdout).not.toMatch(BOX);
    expect(res.stdout).not.toMatch(ANSI);
    expect(res.stdout).not.toContain('…');
    expect(res.stdout).not.toMatch(/hidden to fit/);
    const header = res.stdout.split('\n')[0]!;
    for (const h of head) expect(header).toContain(h);
  });

  it('list keeps whole tags and right-aligns the score', async () => {
    const res = await pipe('list', '--sort', 'total_time', '--on', 'production');
    const line = res.stdout.split('\n').find((l) => l.startsWith(`${ids[0]} `))!;
    expect(line).toMatch(/experiment, keep_for_the_paper, run_1 +41\.5$/);
  });

  it('show and best have no colour', async () => {
    for (const args of [['show', ids[0]!], ['best', '--algo', 'mscn', '--metric', 'total_time', '--dataset', 'production']]) {
      const res = await pipe(...args);
      expect(res.code).toBe(0);
      expect(res.stdout).not.toMatch(ANSI);
    }
  });
});

describe('colour', () => {
  const args = ['best', '--algo', 'mscn', '--metric', 'total_time', '--dataset', 'production'];
  it('marks the best score at a terminal', async () => {
    expect((await tty(80, ...args)).stdout).toMatch(/\x1b\[1;32m41\.5\x1b\[22;39m/);
    expect((await tty(200, 'list', '--sort', 'total_time', '--on', 'production')).stdout).toMatch(/\x1b\[1;32m41\.5\x1b\[22;39m/);
    // --results: each dataset's best (lower total_time), and only that one
    const results = (await tty(200, 'list', '--results', '--metric', 'total_time')).stdout;
    expect(results).toMatch(/\x1b\[1;32m41\.5\x1b\[22;39m/);
    expect(results).not.toMatch(/\x1b\[1;32m4[23]\.5/);
  });
  it('is off with NO_COLOR, --no-color and TERM=dumb', async () => {
    for (const env of [{ NO_COLOR: '1' }, { TERM: 'dumb' }]) {
      const res = await runCliWithEnv(r.dir, { ...TTY_ENV, MODELGIT_FORCE_TTY: '80', ...env }, ...args);
      expect(res.stdout).toContain('41.5');
      expect(res.stdout).not.toMatch(ANSI);
    }
    const flag = await tty(80, '--no-color', ...args);
    expect(flag.stdout).toContain('41.5');
    expect(flag.stdout).not.toMatch(ANSI);
    const after = await tty(80, 'list', '--sort', 'total_time', '--on', 'production', '--no-color');
    expect(after.stdout).not.toMatch(ANSI);
  });
  it('never goes into --json', async () => {
    const res = await tty(80, ...args, '--json');
    expect(res.stdout).not.toMatch(ANSI);
    expect(res.json().value).toBe(41.5);
  });
});

describe('long listings', () => {
  it('history shows the newest 30 at a terminal, and says how to see more', async () => {
    const res = await tty(200, 'history');
    const rows = res.stdout.split('\n').filter((l) => /^│ [0-9a-f]{7} /.test(l));
    expect(rows).toHaveLength(30);
    expect(res.stderr).toMatch(/showing the newest 30 entries; --limit N or --all for more/);
    const all = await tty(200, 'history', '--all');
    expect(all.stdout.split('\n').filter((l) => /^│ [0-9a-f]{7} /.test(l)).length).toBeGreaterThan(HISTORY_ENTRIES);
    expect(all.stderr).not.toMatch(/showing/);
    const five = await tty(200, 'history', '--limit', '5');
    expect(five.stdout.split('\n').filter((l) => /^│ [0-9a-f]{7} /.test(l))).toHaveLength(5);
    expect(five.stderr).not.toMatch(/showing/);
  });

  it('history through a pipe gives every entry', async () => {
    const res = await pipe('history');
    const json = (await pipe('history', '--json')).json();
    expect(json.length).toBeGreaterThan(HISTORY_ENTRIES);
    expect(res.stdout.trimEnd().split('\n')).toHaveLength(json.length + 1);
    expect(res.stderr).not.toMatch(/showing/);
  });

  it('--limit and --all together are a usage error', async () => {
    for (const cmd of ['history', 'list']) {
      const res = await tty(80, cmd, '--all', '--limit', '3');
      expect(res.code).toBe(2);
      expect(res.stderr).toMatch(/--limit N or --all, not both/);
    }
  });
});

describe('dates', () => {
  it('are shown in UTC, with UTC said, whatever offset they were written with', async () => {
    const show = await pipe('show', local);
    expect(show.stdout).toMatch(/created +2024-10-20 10:30 UTC/);
    expect(show.stdout).toMatch(/trained_at +2024-10-20 10:30 UTC/);
    const list = await pipe('list');
    expect(list.stdout).toMatch(new RegExp(`^${local} +mscn +2024-10-20 10:30 `, 'm'));
    const history = await pipe('history', local);
    expect(history.stdout).toMatch(/^[0-9a-f]{7}  2024-10-21 10:30  note /m);
    // JSON keeps the stored text.
    expect((await pipe('show', local, '--json')).json().metadata.created_at).toBe('2024-10-20T12:30:00+02:00');
  });
});

describe('a real terminal', () => {
  const script = '/usr/bin/script';
  it.skipIf(!existsSync(script))('is detected without MODELGIT_FORCE_TTY: 80 columns, a fitted box table, colour', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm' };
    delete env.COLUMNS;
    delete env.NO_COLOR;
    delete env.MODELGIT_FORCE_TTY;
    const cmd = `stty cols 80 rows 50; ${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} list --sort total_time --on production`;
    const out = execFileSync(script, ['-qec', cmd, '/dev/null'], { cwd: r.dir, env, encoding: 'utf8' }).replace(/\r/g, '');
    expect(out).toMatch(BOX);
    expect(out).toMatch(/hidden to fit 80 columns/);
    expect(out).toMatch(/\x1b\[1;32m41\.5/);
    const table = out.split('\n').filter((l) => BOX.test(l));
    expect(widest(table.join('\n'))).toBeLessThanOrEqual(80);
  });
});

describe('gates', () => {
  it('a failed gate is red and a passed one green at a terminal; plain words through a pipe', async () => {
    const res = await tty(80, 'gates', ids[1]!, '--stage', 'production');
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/\x1b\[32mpass\x1b\[39m require_tested_on/);
    expect(res.stdout).toMatch(/\x1b\[1;31mFAIL\x1b\[22;39m must_beat_current/);
    const plain = await pipe('gates', ids[1]!, '--stage', 'production');
    expect(plain.stdout).toMatch(/^pass require_tested_on/m);
    expect(plain.stdout).toMatch(/^FAIL must_beat_current/m);
    expect(plain.stdout).not.toMatch(ANSI);
  });
});

describe('list at a terminal', () => {
  it('shows the first 50 models when --limit is not given, and says how to see more', async () => {
    const many = await tempRegistry();
    // One registered model, copied 52 times in one commit: 53 registers take 40 s on a busy machine.
    await register(await many.open(steppingClock('2024-10-19T10:30:00Z')), { algorithm: 'mscn', id: 'm00' });
    const first = JSON.parse(many.read('models/mscn/m00.json'));
    for (let i = 1; i < 53; i++) {
      const id = `m${String(i).padStart(2, '0')}`;
      const at = new Date(Date.parse('2024-10-19T10:30:00Z') + i * 60_000).toISOString().replace('.000', '');
      many.write(`models/mscn/${id}.json`, JSON.stringify({ ...first, model_id: id, created_at: at, training: { ...first.training, trained_at: at } }, null, 2) + '\n');
    }
    many.git('add', '-A');
    many.git('commit', '-qm', 'more models');
    const run = (env: Record<string, string>, ...args: string[]) => runCliWithEnv(many.dir, { NO_COLOR: '', ...env }, ...args);
    const rows = (s: string) => s.split('\n').filter((l) => /^│ m\d\d /.test(l) || /^m\d\d /.test(l));
    const shown = await run({ MODELGIT_FORCE_TTY: '120' }, 'list');
    expect(rows(shown.stdout)).toHaveLength(50);
    expect(shown.stdout).toContain('m52'); // newest first
    expect(shown.stderr).toMatch(/showing 50 of 53 models, newest first; --limit N or --all for more/);
    expect(rows((await run({ MODELGIT_FORCE_TTY: '120' }, 'list', '--all')).stdout)).toHaveLength(53);
    expect(rows((await run({ MODELGIT_FORCE_TTY: '120' }, 'list', '--limit', '3')).stdout)).toHaveLength(3);
    const piped = await run({ MODELGIT_FORCE_TTY: '' }, 'list');
    expect(rows(piped.stdout)).toHaveLength(53);
    expect(piped.stderr).toMatch(/^53 models, newest first$/m);
  }, 60_000);
});
