import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanup } from '../../src/registry/cleanup.js';
import { history } from '../../src/registry/history.js';
import { demote, promote } from '../../src/registry/promote.js';
import { recordTest } from '../../src/registry/record-test.js';
import { register } from '../../src/registry/register.js';
import { restore } from '../../src/registry/restore.js';
import { show } from '../../src/registry/show.js';
import { tagModel } from '../../src/registry/labels.js';
import { frozenClock, repoState, steppingClock, tempDir, tempRegistry, type TempRegistry } from '../helpers.js';

/**
 * mscn: m1..m6 registered in that order; total_time on production m1=50, m2=10, m3=30, m4=20, m5=60;
 * m6 untested. m1 tagged `best` (protected), m5 holds production (stages.yaml, committed by hand as
 * a promotion). lero: l1, tested. Ranking of the unprotected: m2, m4, m3, then m6 (untested).
 */
async function fixture(opts: { artifacts?: boolean } = {}): Promise<TempRegistry> {
  const r = await tempRegistry();
  // No artifacts layout: these models have a model_path only when given one (init's commit amended, so history is unchanged).
  r.write('modelgit.yaml', r.read('modelgit.yaml').replace(/^artifacts:.*\n/m, ''));
  r.git('commit', '-q', '--amend', '--no-edit', '-a');
  const reg = await r.open(steppingClock('2024-10-19T10:00:00Z'));
  const times: Record<string, number | undefined> = { m1: 50, m2: 10, m3: 30, m4: 20, m5: 60, m6: undefined };
  for (const [id, t] of Object.entries(times)) {
    await register(reg, { algorithm: 'mscn', id, ...(opts.artifacts ? { modelPath: `artifacts/${id}` } : {}) });
    if (t !== undefined) await recordTest(reg, { id, dataset: 'production', metrics: [`total_time=${t}`] });
  }
  await register(reg, { algorithm: 'lero', id: 'l1' });
  await recordTest(reg, { id: 'l1', dataset: 'production', metrics: ['total_time=1'] });
  await tagModel(reg, 'm1', ['best']);
  r.write('stages.yaml', 'mscn:\n  production: m5\n');
  r.git('add', 'stages.yaml');
  r.git('commit', '-q', '-m', 'promote m5 to production\n\nModel-Action: promote\nModel-Id: m5');
  return r;
}

const trailerValues = (r: TempRegistry, key: string, rev = 'HEAD') =>
  r.git('log', '-1', `--format=%(trailers:key=${key},valueonly)`, rev).split('\n').filter(Boolean);

describe('cleanup', () => {
  it('keeps the top N, never removes tagged or staged models, one commit with one Model-Id per removed id, and a tag', async () => {
    const r = await fixture();
    const before = r.read('models/mscn/m3.json');
    const res = await r.run('cleanup', '--algo', 'mscn', '--keep', '2', '--json');
    expect(res.code).toBe(0);
    const a = res.json();
    expect(a.kept).toEqual(['m2', 'm4']);
    expect(a.removed).toEqual(['m3', 'm6']);
    expect(a.protected).toEqual(['m1', 'm5']);
    expect(a.tag).toBe('cleanup/mscn/1');
    expect(a.commit).toBe(r.git('rev-parse', 'HEAD').trim());
    expect(a.reasons.m3).toBe('rank 3 of 3 by total_time on production (30)');
    expect(a.reasons.m6).toMatch(/untested/);
    expect(a.reasons.m5).toMatch(/holds stage mscn\/production/);
    expect(a).toMatchObject({ metric: 'total_time', dataset: 'production', direction: 'min', dry_run: false });

    // The files are gone at HEAD and in the working tree; nothing else changed.
    expect(existsSync(join(r.dir, 'models/mscn/m3.json'))).toBe(false);
    expect(r.git('show', '--name-status', '--format=', 'HEAD').trim().split('\n').sort()).toEqual(['D\tmodels/mscn/m3.json', 'D\tmodels/mscn/m6.json']);
    expect(r.git('status', '--porcelain').trim()).toBe('');
    expect(r.git('log', '-1', '--format=%s').trim()).toBe('cleanup mscn: remove 2, keep 2');
    expect(trailerValues(r, 'Model-Action')).toEqual(['cleanup']);
    expect(trailerValues(r, 'Model-Id')).toEqual(['m3', 'm6']);
    const body = r.git('log', '-1', '--format=%b');
    expect(body).toMatch(/- m3: rank 3 of 3 by total_time on production \(30\)/);

    // The tag is annotated, on the commit, and says the same.
    expect(r.git('cat-file', '-t', 'cleanup/mscn/1').trim()).toBe('tag');
    expect(r.git('rev-parse', 'cleanup/mscn/1^{commit}').trim()).toBe(a.commit);
    const msg = r.git('tag', '-l', '--format=%(contents)', 'cleanup/mscn/1');
    expect(msg.split('\n')[0]).toBe('cleanup mscn: remove 2, keep 2');
    expect(msg).toMatch(/- m6: untested/);
    expect(msg).toMatch(/Model-Action: cleanup\nModel-Id: m3\nModel-Id: m6\n/);

    // Recoverable: the removed content is in history.
    expect(r.git('show', `${a.commit}^:models/mscn/m3.json`)).toBe(before);
  });

  it('--dry-run writes nothing and reports commit and tag as null', async () => {
    const r = await fixture();
    const before = repoState(r.dir);
    const res = await r.run('cleanup', '--algo', 'mscn', '--keep', '1', '--dry-run', '--json');
    expect(res.code).toBe(0);
    expect(res.json()).toMatchObject({ removed: ['m4', 'm3', 'm6'], kept: ['m2'], protected: ['m1', 'm5'], commit: null, tag: null, dry_run: true });
    const text = await r.run('cleanup', '--algo', 'mscn', '--keep', '1', '--dry-run', '--delete-artifacts');
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n').slice(0, 7)).toEqual([
      'cleanup mscn by total_time on production (min, latest), keep 1: remove 3, keep 1, protected 2',
      '  protect  m1  tagged best',
      '  protect  m5  holds stage mscn/production',
      '  keep     m2  rank 1 of 3 by total_time on production (10)',
      '  remove   m4  rank 2 of 3 by total_time on production (20)',
      '  remove   m3  rank 3 of 3 by total_time on production (30)',
      '  remove   m6  untested (no total_time result on production)',
    ]);
    expect(text.stdout).toMatch(/artifacts\n  skipped  m4\s+-\s+no model_path recorded/);
    expect(text.stderr).toMatch(/dry run: nothing was written/);
    expect(repoState(r.dir)).toBe(before);
  });

  it('numbers tags 1 then 2, and with nothing to remove makes no commit and no tag', async () => {
    const r = await fixture();
    const reg = await r.open();
    const first = await cleanup(reg, { algorithm: 'mscn', keep: 3 });
    expect(first).toMatchObject({ removed: ['m6'], tag: 'cleanup/mscn/1' });
    const second = await cleanup(reg, { algorithm: 'mscn', keep: 1 });
    expect(second).toMatchObject({ removed: ['m4', 'm3'], tag: 'cleanup/mscn/2' });
    expect(r.git('rev-parse', 'cleanup/mscn/2^{commit}').trim()).toBe(second.commit);

    const before = repoState(r.dir);
    const res = await r.run('cleanup', '--algo', 'mscn', '--keep', '1', '--json');
    expect(res.code).toBe(0);
    expect(res.json()).toMatchObject({ removed: [], kept: ['m2'], commit: null, tag: null });
    expect(res.stderr).toMatch(/nothing to remove/);
    expect(repoState(r.dir)).toBe(before);
  });

  it('ranks by --metric/--dataset/--direction and ignores other algorithms', async () => {
    const r = await fixture();
    const reg = await r.open();
    await recordTest(reg, { id: 'm6', dataset: 'job', metrics: ['accuracy=0.9'] });
    await recordTest(reg, { id: 'm3', dataset: 'job', metrics: ['accuracy=0.5'] });
    const a = await cleanup(reg, { algorithm: 'mscn', keep: 1, dataset: 'job', metric: 'accuracy', dryRun: true });
    expect(a).toMatchObject({ kept: ['m6'], removed: ['m3', 'm4', 'm2'], direction: 'max' });
    const b = await cleanup(reg, { algorithm: 'mscn', keep: 1, dataset: 'job', metric: 'accuracy', direction: 'min', dryRun: true });
    expect(b.kept).toEqual(['m3']);
    expect(b.removed).not.toContain('l1');
  });

  it('--delete-artifacts deletes removed local artifacts after the commit, never one a kept model uses, and reports each', async () => {
    const r = await fixture({ artifacts: true });
    const reg = await r.open();
    const outside = tempDir('modelgit-artifact-');
    writeFileSync(join(outside, 'w.bin'), 'weights');
    // m3 and m6 will be removed: m3 points at a path outside (absolute, named explicitly), m6 shares m2's.
    const m3 = JSON.parse(r.read('models/mscn/m3.json'));
    r.write('models/mscn/m3.json', JSON.stringify({ ...m3, model_path: join(outside, 'w.bin') }, null, 2) + '\n');
    const m6 = JSON.parse(r.read('models/mscn/m6.json'));
    r.write('models/mscn/m6.json', JSON.stringify({ ...m6, model_path: 'artifacts/m2' }, null, 2) + '\n');
    r.git('commit', '-qam', 'point artifacts');
    for (const id of ['m1', 'm2', 'm4', 'm5']) {
      mkdirSync(join(r.dir, 'artifacts', id), { recursive: true });
      writeFileSync(join(r.dir, 'artifacts', id, 'model.bin'), id);
    }
    const a = await cleanup(reg, { algorithm: 'mscn', keep: 2, deleteArtifacts: true });
    expect(a.removed).toEqual(['m3', 'm6']);
    const by = Object.fromEntries(a.artifacts!.map((x) => [x.model_id, x]));
    expect(by.m3).toMatchObject({ action: 'deleted', path: join(outside, 'w.bin') });
    expect(existsSync(join(outside, 'w.bin'))).toBe(false);
    expect(by.m6).toMatchObject({ action: 'skipped', reason: expect.stringMatching(/also used by m2/) });
    for (const id of ['m1', 'm2', 'm4', 'm5']) expect(existsSync(join(r.dir, 'artifacts', id, 'model.bin'))).toBe(true);
  });

  it('--delete-artifacts skips remote URIs, paths leaving the root, tracked files and missing ones', async () => {
    const r = await fixture();
    const reg = await r.open();
    const set = (id: string, model_path: string) => {
      const m = JSON.parse(r.read(`models/mscn/${id}.json`));
      r.write(`models/mscn/${id}.json`, JSON.stringify({ ...m, model_path }, null, 2) + '\n');
    };
    set('m2', 's3://bucket/m2');
    set('m3', '../escape');
    set('m4', 'tracked/w.bin');
    set('m6', 'artifacts/gone');
    r.write('tracked/w.bin', 'in git');
    r.git('add', '-A');
    r.git('commit', '-qm', 'paths');
    mkdirSync(join(r.dir, '..', 'escape'), { recursive: true });
    const a = await cleanup(reg, { algorithm: 'mscn', keep: 0, deleteArtifacts: true });
    expect(a.removed.sort()).toEqual(['m2', 'm3', 'm4', 'm6']);
    const by = Object.fromEntries(a.artifacts!.map((x) => [x.model_id, x]));
    expect(by.m2).toMatchObject({ action: 'skipped', reason: expect.stringMatching(/s3:\/\//) });
    expect(by.m3).toMatchObject({ action: 'skipped', reason: expect.stringMatching(/leaves the registry root/) });
    expect(by.m4).toMatchObject({ action: 'skipped', reason: expect.stringMatching(/tracked by git/) });
    expect(by.m6).toMatchObject({ action: 'missing' });
    expect(existsSync(join(r.dir, '..', 'escape'))).toBe(true);
    expect(r.read('tracked/w.bin')).toBe('in git');
    expect(r.git('status', '--porcelain').trim()).toBe('');
  });

  it('--delete-artifacts does not follow a symlinked parent out of the registry, and removes a symlink itself, not its target', async () => {
    const r = await fixture();
    const reg = await r.open();
    const outside = tempDir('modelgit-outside-');
    mkdirSync(join(outside, 'data'));
    writeFileSync(join(outside, 'data', 'w.bin'), 'precious');
    symlinkSync(outside, join(r.dir, 'link'));
    symlinkSync(join(outside, 'data'), join(r.dir, 'direct'));
    const set = (id: string, model_path: string) => {
      const m = JSON.parse(r.read(`models/mscn/${id}.json`));
      r.write(`models/mscn/${id}.json`, JSON.stringify({ ...m, model_path }, null, 2) + '\n');
    };
    set('m3', 'link/data');
    set('m6', 'direct');
    r.git('add', 'models');
    r.git('commit', '-qm', 'paths');
    const a = await cleanup(reg, { algorithm: 'mscn', keep: 2, deleteArtifacts: true });
    const by = Object.fromEntries(a.artifacts!.map((x) => [x.model_id, x]));
    expect(by.m3).toMatchObject({ action: 'skipped', reason: expect.stringMatching(/leaves the registry root/) });
    expect(by.m6).toMatchObject({ action: 'deleted' });
    expect(existsSync(join(r.dir, 'direct'))).toBe(false);
    expect(readFileSync(join(outside, 'data', 'w.bin'), 'utf8')).toBe('precious');
  });

  it.each([
    [['--algo', '../x', '--keep', '1'], 2, /algorithm/],
    [['--algo', 'mscn', '--keep', '-1'], 2, /keep|-1/],
    [['--algo', 'mscn', '--keep', 'abc'], 2, /not a whole number/],
    [['--algo', 'mscn'], 2, /--keep/],
    [['--algo', 'mscn', '--keep', '1', '--metric', 'bad name'], 2, /metric/],
    [['--algo', 'mscn', '--keep', '1', '--metric', 'total_tim'], 2, /no model has a total_tim result/],
    [['--algo', 'mscn', '--keep', '1', '--dataset', 'nope'], 2, /no model was tested on nope/],
    [['--algo', 'mscn', '--keep', '1', '--direction', 'up'], 2, /min, max/],
    [['--algo', 'nosuch', '--keep', '1'], 1, /no nosuch models/],
  ])('refuses %j (exit %i) and leaves the repository as it was', async (args, code, message) => {
    const r = await fixture();
    const before = repoState(r.dir);
    const res = await r.run('cleanup', ...args);
    expect(res.code).toBe(code);
    expect(res.stderr).toMatch(message);
    expect(repoState(r.dir)).toBe(before);
  });

  it('asks for --dataset when the models were tested on several, listing them', async () => {
    const r = await fixture();
    await recordTest(await r.open(), { id: 'm2', dataset: 'job', metrics: ['total_time=1'] });
    const before = repoState(r.dir);
    const res = await r.run('cleanup', '--algo', 'mscn', '--keep', '1');
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/several datasets \(job, production\)/);
    expect(repoState(r.dir)).toBe(before);
  });

  it('refuses when a file it would remove has uncommitted edits', async () => {
    const r = await fixture();
    r.write('models/mscn/m6.json', r.read('models/mscn/m6.json') + ' ');
    const before = repoState(r.dir);
    const res = await r.run('cleanup', '--algo', 'mscn', '--keep', '2');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/uncommitted edits to models\/mscn\/m6\.json/);
    expect(repoState(r.dir)).toBe(before);
  });
});

describe('restore', () => {
  it('brings a removed model back with equal content in one commit', async () => {
    const r = await fixture();
    const original = r.read('models/mscn/m3.json');
    const reg = await r.open();
    const c = await cleanup(reg, { algorithm: 'mscn', keep: 2 });
    expect(c.removed).toContain('m3');
    const res = await r.run('restore', 'm3', '--json');
    expect(res.code).toBe(0);
    const a = res.json();
    expect(a).toMatchObject({ model_id: 'm3', path: 'models/mscn/m3.json', commit: r.git('rev-parse', 'HEAD').trim(), removed_in: c.commit });
    expect(r.read('models/mscn/m3.json')).toBe(original);
    expect(r.git('log', '-1', '--format=%s').trim()).toBe('restore m3');
    expect(trailerValues(r, 'Model-Action')).toEqual(['restore']);
    expect(trailerValues(r, 'Model-Id')).toEqual(['m3']);
    expect(r.git('show', '--name-status', '--format=', 'HEAD').trim()).toBe('A\tmodels/mscn/m3.json');
    expect((await show(await r.open(), 'm3')).metadata.model_id).toBe('m3');
  });

  it('restores the latest version when a model was removed, restored, changed and removed again', async () => {
    const r = await fixture();
    const reg = await r.open();
    await cleanup(reg, { algorithm: 'mscn', keep: 3 }); // removes m6
    await restore(reg, 'm6');
    await tagModel(reg, 'm6', ['second-life']);
    const latest = r.read('models/mscn/m6.json');
    await cleanup(reg, { algorithm: 'mscn', keep: 3 });
    const a = await restore(reg, 'm6');
    expect(r.read(a.path)).toBe(latest);
    expect(JSON.parse(latest).tags).toEqual(['second-life']);
  });

  it.each([
    [['m2'], 1, /m2 is registered/],
    [['never'], 1, /no model "never" was ever registered/],
    [['../m2'], 2, /model id/],
    [['UPPER'], 2, /model id/],
  ])('refuses %j (exit %i) and leaves the repository as it was', async (args, code, message) => {
    const r = await fixture();
    const before = repoState(r.dir);
    const res = await r.run('restore', ...args);
    expect(res.code).toBe(code);
    expect(res.stderr).toMatch(message);
    expect(repoState(r.dir)).toBe(before);
  });
});

describe('history', () => {
  it('lists modelgit commits newest first with the JSON shape, skipping other commits', async () => {
    const r = await fixture();
    r.write('README.md', 'hello\n');
    r.git('add', 'README.md');
    r.git('commit', '-qm', 'docs: readme\n\nModel-Id: m1'); // no Model-Action: not an audit entry
    const res = await r.run('history', '--json');
    expect(res.code).toBe(0);
    const entries = res.json();
    const subjects = r.git('log', '--format=%s').trim().split('\n').filter((s) => s !== 'docs: readme');
    expect(entries.map((e: any) => e.subject)).toEqual(subjects);
    expect(entries[0]).toMatchObject({ action: 'promote', model_ids: ['m5'], author: 'Test Author', subject: 'promote m5 to production' });
    expect(entries[0].commit).toMatch(/^[0-9a-f]{40}$/);
    expect(Object.keys(entries[0])).toEqual(expect.arrayContaining(['commit', 'action', 'model_ids', 'author', 'date', 'subject']));
    const test = entries.find((e: any) => e.action === 'test');
    expect(test.dataset).toBe('production');
  });

  it('filters by id (including cleanups naming it), action, algorithm and limit', async () => {
    const r = await fixture();
    const reg = await r.open();
    await cleanup(reg, { algorithm: 'mscn', keep: 2 });
    const ids = (es: { model_ids: string[]; action: string }[]) => es.map((e) => `${e.action}:${e.model_ids.join(',')}`);
    expect(ids(await history(reg, { id: 'm3' }))).toEqual(['cleanup:m3,m6', 'test:m3', 'register:m3']);
    expect(ids(await history(reg, { action: 'register', limit: 2 }))).toEqual(['register:l1', 'register:m6']);
    expect(ids(await history(reg, { action: 'tag,promote' }))).toEqual(['promote:m5', 'tag:m1']);
    expect(ids(await history(reg, { limit: 3 }))).toEqual(['cleanup:m3,m6', 'promote:m5', 'tag:m1']);
    // lero: its own commits only; mscn: its commits and its promotion, not lero's.
    expect(ids(await history(reg, { algorithm: 'lero' }))).toEqual(['test:l1', 'register:l1']);
    const mscn = ids(await history(reg, { algorithm: 'mscn' }));
    expect(mscn.slice(0, 3)).toEqual(['cleanup:m3,m6', 'promote:m5', 'tag:m1']);
    expect(mscn).toHaveLength(3 + 11);
    expect(mscn.some((x) => x.endsWith(':l1'))).toBe(false);
    expect(ids(await history(reg, { algorithm: 'mscn', action: 'test', limit: 1 }))).toEqual(['test:m5']);
  });

  it('matches ids exactly: "." is not a wildcard and a prefix is not a match', async () => {
    const r = await tempRegistry();
    const reg = await r.open();
    for (const id of ['a.b', 'axb', 'a.bc']) await register(reg, { algorithm: 'mscn', id });
    expect((await history(reg, { id: 'a.b' })).map((e) => e.model_ids[0])).toEqual(['a.b']);
  });

  it('--since takes a revision or a date', async () => {
    const r = await fixture();
    const reg = await r.open();
    const mark = r.git('rev-parse', 'HEAD~2').trim();
    expect((await history(reg, { since: mark })).map((e) => e.action)).toEqual(['promote', 'tag']);
    expect(await history(reg, { since: '2098-01-01' })).toEqual([]);
    await expect(history(reg, { since: '2999-01-01' })).rejects.toThrow(/neither a revision .* nor a date/);
    expect((await history(reg, { since: '2000-01-01', limit: 2 })).length).toBe(2);
    expect((await history(reg, { since: '10 years ago' })).length).toBeGreaterThan(10);
  });

  it('prints one line per entry', async () => {
    const r = await fixture();
    const res = await r.run('history', 'm2');
    expect(res.code).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^commit +date \(UTC\) +action +models +subject$/);
    expect(lines[1]).toMatch(/^[0-9a-f]{7}  \d{4}-\d\d-\d\d \d\d:\d\d  test\s+m2\s+test m2 on production: total_time=10$/);
    expect(lines[2]).toMatch(/register\s+m2\s+register m2$/);
  });

  it.each([
    [['--since', 'garbage'], /neither a revision in this repository nor a date/],
    [['--since', '--output=x'], /neither a revision/],
    [['--limit', '0'], /--limit/],
    [['--limit', 'abc'], /not a whole number/],
    [['--action', 'Reg ister'], /--action/],
    [['--algo', '../x'], /algorithm/],
    [['bad id'], /model id/],
  ])('refuses %j with exit 2', async (args, message) => {
    const r = await fixture();
    const before = repoState(r.dir);
    const res = await r.run('history', ...args);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(repoState(r.dir)).toBe(before);
  });
});

describe('show', () => {
  it('gives metadata at HEAD, the stages it holds and its history', async () => {
    const r = await fixture();
    const res = await r.run('show', 'm5', '--json');
    expect(res.code).toBe(0);
    const a = res.json();
    expect(a.metadata).toEqual(JSON.parse(r.read('models/mscn/m5.json')));
    expect(a.stages).toEqual(['production']);
    expect(a.history.map((e: any) => e.action)).toEqual(['promote', 'test', 'register']);
    const m2 = (await r.run('show', 'm2', '--json')).json();
    expect(m2.stages).toEqual([]);
  });

  it("history has the model's promotions, demotions, cleanup and restore, in log order, as history ID does", async () => {
    const r = await fixture();
    // A frozen clock: every new commit has the same date, older than the fixture's hand-made
    // promotion, so only ancestry can order them.
    const reg = await r.open(frozenClock('2024-10-19T12:00:00Z'));
    await cleanup(reg, { algorithm: 'mscn', keep: 2 }); // removes m3 and m6
    await restore(reg, 'm3');
    await promote(reg, { id: 'm3', stage: 'staging', force: true });
    await tagModel(reg, 'm3', ['candidate']);
    await promote(reg, { id: 'm2', stage: 'staging', force: true }); // replaces m3: names m2 only
    await promote(reg, { id: 'm3', stage: 'production', force: true }); // replaces m5
    await demote(reg, { id: 'm3', stage: 'production' });
    await recordTest(reg, { id: 'm3', dataset: 'production', metrics: ['total_time=29'] });
    const res = await r.run('show', 'm3', '--json');
    expect(res.code).toBe(0);
    const a = res.json();
    expect(a.history.map((e: any) => e.action)).toEqual(['test', 'demote', 'promote', 'tag', 'promote', 'restore', 'cleanup', 'test', 'register']);
    expect(a.history).toEqual(JSON.parse(JSON.stringify(await history(await r.open(), { id: 'm3' }))));
    expect(a.history[0].commit).toBe(r.git('rev-parse', 'HEAD').trim());
    // The model promoted by hand before any of this: its promotion sits between its test and the cleanup of others.
    const m5 = (await r.run('show', 'm5', '--json')).json();
    expect(m5.history.map((e: any) => e.subject)).toEqual((await history(await r.open(), { id: 'm5' })).map((e) => e.subject));
    expect(m5.history.map((e: any) => e.action)).toEqual(['promote', 'test', 'register']);
  });

  it('prints a readable summary', async () => {
    const r = await fixture();
    const res = await r.run('show', 'm1');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^m1\n/);
    expect(res.stdout).toMatch(/tags\s+best/);
    expect(res.stdout).toMatch(/results\n  production \(1 result\)\n    tested \(UTC\)\s+queries\s+total_time\n\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+-\s+50\n/);
    expect(res.stdout).toMatch(/history \(3\)\n/);
  });

  it('says when an id was removed and suggests restore (exit 1)', async () => {
    const r = await fixture();
    const c = await cleanup(await r.open(), { algorithm: 'mscn', keep: 2 });
    const before = repoState(r.dir);
    const res = await r.run('show', 'm6');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(new RegExp(`m6 is not in the registry: it was removed in ${c.commit!.slice(0, 7)}`));
    expect(res.stderr).toMatch(/modelgit restore m6/);
    expect(repoState(r.dir)).toBe(before);
  });

  it('unknown id exits 1, unsafe id exits 2', async () => {
    const r = await fixture();
    const before = repoState(r.dir);
    const a = await r.run('show', 'nope');
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/no model "nope"/);
    expect(a.stderr).not.toMatch(/restore/);
    const b = await r.run('show', '--', '-rf');
    expect(b.code).toBe(2);
    expect(repoState(r.dir)).toBe(before);
  });
});
