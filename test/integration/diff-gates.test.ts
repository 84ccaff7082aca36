import { describe, expect, it } from 'vitest';
import { Registry } from '../../src/registry/registry.js';
import { promotionGateErrors } from '../../src/registry/gates.js';
import { register } from '../../src/registry/register.js';
import { recordTest } from '../../src/registry/record-test.js';
import { noteModel } from '../../src/registry/labels.js';
import { repoState, tempRegistry, type TempRegistry } from '../helpers.js';

/** main: a (50 s, production holder) and old; the pull-request branch adds, tests, promotes and removes. */
async function pullRequest(): Promise<{ r: TempRegistry; base: string }> {
  const r = await tempRegistry();
  const reg = await r.open();
  await register(reg, { algorithm: 'mscn', id: 'a' });
  await recordTest(reg, { id: 'a', dataset: 'production', metrics: ['total_time=50'] });
  await register(reg, { algorithm: 'mscn', id: 'old' });
  expect((await r.run('promote', 'a', '--stage', 'production')).code).toBe(0);
  const base = r.git('rev-parse', 'HEAD').trim();
  r.git('switch', '-q', '-c', 'pr');
  const pr = await Registry.open({ cwd: r.dir });
  await register(pr, { algorithm: 'mscn', id: 'b', dataset: 'production', tags: ['candidate'] });
  await recordTest(pr, { id: 'b', dataset: 'production', metrics: ['total_time=40', 'accuracy=0.5'] });
  await recordTest(pr, { id: 'a', dataset: 'job', metrics: ['total_time=3'] });
  await noteModel(pr, 'a', 'serves since May');
  r.git('rm', '-q', 'models/mscn/old.json');
  r.write('README.md', '# registry\n');
  r.git('add', 'README.md');
  r.git('commit', '-qm', 'remove old, add readme');
  expect((await r.run('promote', 'b', '--stage', 'production')).code).toBe(0);
  return { r, base };
}

describe('diff', () => {
  it('reports registered, removed, results with deltas against the holder, promotions and other changes (json)', async () => {
    const { r, base } = await pullRequest();
    const res = await r.run('diff', base, 'HEAD', '--json');
    expect(res.code, res.stderr).toBe(0);
    const d = res.json();
    expect(Object.keys(d)).toEqual(expect.arrayContaining(['registered', 'removed', 'results', 'promotions', 'changed']));
    expect(d.base).toBe(base);
    expect(d.registered).toEqual([{ model_id: 'b', algorithm: 'mscn', path: 'models/mscn/b.json', training_dataset: 'production', tags: ['candidate'] }]);
    expect(d.removed).toEqual([{ model_id: 'old', algorithm: 'mscn', path: 'models/mscn/old.json' }]);
    expect(d.results.map((x: any) => [x.model_id, x.dataset, x.metric, x.value, x.comparison?.delta ?? null])).toEqual([
      ['a', 'job', 'total_time', 3, null],
      ['b', 'production', 'total_time', 40, -10],
    ]);
    expect(d.results[1].comparison).toMatchObject({ stage: 'production', holder: 'a', holder_value: 50, delta_pct: -20, better: true });
    expect(d.promotions).toEqual([{ algorithm: 'mscn', stage: 'production', model_id: 'b', previous: 'a', action: 'promote' }]);
    expect(d.changed).toEqual([
      { path: 'README.md', status: 'A' },
      { path: 'models/mscn/a.json', model_id: 'a', fields: ['notes'] },
    ]);
  });

  it('renders markdown for a pull-request comment, and says so when nothing changed', async () => {
    const { r, base } = await pullRequest();
    const md = await r.run('diff', base);
    expect(md.code).toBe(0);
    expect(md.stdout).toContain(`### modelgit: registry changes ${base.slice(0, 7)}..`);
    expect(md.stdout).toContain('**1** registered · **2** test result(s) · **1** stage change(s) · **1** removed · **2** other change(s)');
    expect(md.stdout).toContain('| mscn | production | a → **b** |');
    expect(md.stdout).toContain('| `b` | production | 40 | −10 (−20%) vs a (50) ✅ better |');
    expect(md.stdout).toContain('| `a` | job | 3 | — |');
    expect(md.stdout).toContain('- **mscn** (1): `old`');
    expect(md.stdout).toContain('- `models/mscn/a.json`: notes');
    const none = await r.run('diff', 'HEAD', 'HEAD', '--format', 'md');
    expect(none.stdout).toMatch(/No registry changes\.\n$/);
  });

  it.each([
    [['diff', 'no-such-rev'], 1, /BASE: unknown revision "no-such-rev": not a commit/],
    [['diff', 'HEAD', '--output=/tmp/x'], 2, /unknown option/],
    [['diff', '--format', 'html', 'HEAD'], 2, /must be one of md, json/],
    [['diff'], 2, /missing required argument/],
  ])('refuses %j', async (args, code, message) => {
    const r = await tempRegistry();
    const before = repoState(r.dir);
    const res = await r.run(...args);
    expect(res.code).toBe(code);
    expect(res.stderr).toMatch(message);
    expect(repoState(r.dir)).toBe(before);
  });
});

describe('gates', () => {
  it('checks one would-be promotion without promoting (exit 1 when a gate fails)', async () => {
    const { r } = await pullRequest();
    const before = repoState(r.dir);
    const fail = await r.run('gates', 'a', '--stage', 'production');
    expect(fail.code).toBe(1);
    expect(fail.stdout).toBe('pass require_tested_on: tested on production\nFAIL must_beat_current: total_time 50 does not beat 40 of b on production\n');
    const open = await r.run('gates', 'a', '--stage', 'staging', '--json');
    expect(open.code).toBe(0);
    expect(open.json()).toMatchObject({ ok: true, results: [], model_id: 'a', stage: 'staging' });
    expect(repoState(r.dir)).toBe(before);
    expect((await r.run('gates', 'a')).code).toBe(2);
    expect((await r.run('gates', 'a', '--stage', 'production', '--since', 'HEAD')).code).toBe(2);
  });

  it('--since checks every promotion in a range; a forced one is reported, not failed; errors are located in stages.yaml', async () => {
    const { r, base } = await pullRequest();
    const ok = await r.run('gates', '--since', base);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('ok promote b to mscn/production\n  pass require_tested_on: tested on production\n  pass must_beat_current: total_time 40 < 50 of a on production\n');

    // A hand edit of stages.yaml that skips the gates: validate --since must catch it.
    r.write('stages.yaml', r.read('stages.yaml').replace('production: b', 'production: old-gone') + 'lero:\n  staging: b\n');
    r.git('commit', '-qam', 'hand edit');
    const bad = await r.run('gates', '--since', base, '--json');
    expect(bad.code).toBe(1);
    const checks = bad.json().checks;
    expect(checks.map((c: any) => [c.change.algorithm, c.change.stage, c.problem ?? null])).toEqual([
      ['lero', 'staging', 'b is a mscn model, not lero'],
      ['mscn', 'production', 'old-gone is not a registered model'],
    ]);
    const errors = await promotionGateErrors(await r.open(), base);
    expect(errors).toEqual([
      { file: 'stages.yaml', line: 7, column: 3, pointer: '/lero/staging', rule: 'promotion-target', message: 'b is a mscn model, not lero' },
      { file: 'stages.yaml', line: 5, column: 3, pointer: '/mscn/production', rule: 'promotion-target', message: 'old-gone is not a registered model' },
    ]);

    // A forced promotion records Forced: true; the range check reports it without failing.
    r.git('reset', '-q', '--hard', 'HEAD~1');
    expect((await r.run('promote', 'a', '--stage', 'production', '--force')).code).toBe(0);
    const forced = await r.run('gates', '--since', `HEAD~1`);
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('FORCED promote a to mscn/production\n');
    expect(await promotionGateErrors(await r.open(), 'HEAD~1')).toEqual([]);
    // …but the same change made by hand, without the trailer, is an error with the failed gate.
    r.git('reset', '-q', '--hard', 'HEAD~1');
    r.write('stages.yaml', r.read('stages.yaml').replace('production: b', 'production: a'));
    r.git('commit', '-qam', 'hand promotion');
    expect(await promotionGateErrors(await r.open(), 'HEAD~1')).toEqual([
      { file: 'stages.yaml', line: 5, column: 3, pointer: '/mscn/production', rule: 'gate:must_beat_current', message: 'promoting a to mscn/production: total_time 50 does not beat 40 of b on production' },
    ]);
  });
});
