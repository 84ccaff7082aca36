import { chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { register } from '../../src/registry/register.js';
import { recordTest } from '../../src/registry/record-test.js';
import { frozenClock, repoState, tempRegistry } from '../helpers.js';

describe('register', () => {
  it('writes one file with a UTC timestamp id in one commit with trailers', async () => {
    const r = await tempRegistry();
    const reg = await r.open(frozenClock('2024-10-19T10:30:00Z'));
    const a = await register(reg, { algorithm: 'mscn', dataset: 'production', params: { num_epoch: 100, lr: 0.001 }, trainingTime: 1800.5 });
    expect(a.model_id).toBe('mscn_20241019_103000');
    expect(a.path).toBe('models/mscn/mscn_20241019_103000.json');
    const meta = JSON.parse(r.read(a.path));
    expect(meta).toMatchObject({ schema_version: 2, algorithm: 'mscn', created_at: '2024-10-19T10:30:00Z', testing: [], tags: [] });
    expect(meta.training).toMatchObject({ dataset: 'production', hyperparams: { num_epoch: 100, lr: 0.001 }, training_time: 1800.5 });
    expect(r.git('log', '-1', '--format=%B')).toMatch(/^register mscn_20241019_103000\n\nModel-Action: register\nModel-Id: mscn_20241019_103000\nOperation-Id: auto-register-[0-9a-f]{32}\n\n$/);
    expect(r.git('rev-parse', 'HEAD').trim()).toBe(a.commit);
  });

  it('gives _2, _3 on a same-second clash and never overwrites', async () => {
    const r = await tempRegistry();
    const reg = await r.open(frozenClock());
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await register(reg, { algorithm: 'mscn' })).model_id);
    expect(ids).toEqual(['mscn_20241019_103000', 'mscn_20241019_103000_2', 'mscn_20241019_103000_3']);
  });

  it('refuses a taken --id and leaves the repository as it was', async () => {
    const r = await tempRegistry();
    const reg = await r.open();
    await register(reg, { algorithm: 'mscn', id: 'mine' });
    const before = repoState(r.dir);
    await expect(register(reg, { algorithm: 'mscn', id: 'mine' })).rejects.toThrow(/already registered/);
    expect(repoState(r.dir)).toBe(before);
  });

  it.each(['../x', 'has space', '--upload-pack=evil', 'UPPER', ''])('refuses the unsafe algorithm %j with exit 2', async (bad) => {
    const r = await tempRegistry();
    const before = repoState(r.dir);
    const res = await r.run('register', '--algo', bad);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/algorithm/);
    expect(repoState(r.dir)).toBe(before);
  });

  it('--parent must name a registered model (in any algorithm); a missing one is a usage error', async () => {
    const r = await tempRegistry();
    await register(await r.open(), { algorithm: 'lero', id: 'p1' });
    const ok = await r.run('register', '--algo', 'mscn', '--id', 'c1', '--parent', 'p1', '--json');
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(r.read('models/mscn/c1.json')).parent).toBe('p1');
    const before = repoState(r.dir);
    const bad = await r.run('register', '--algo', 'mscn', '--parent', 'nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--parent: no model nope in the registry/);
    expect(repoState(r.dir)).toBe(before);
  });

  it('a generated id taken in another algorithm gets the next suffix (ids are unique across algorithms)', async () => {
    const r = await tempRegistry();
    const clock = frozenClock('2024-10-19T10:30:00Z');
    await register(await r.open(clock), { algorithm: 'lero', id: 'mscn_20241019_103000' });
    const a = await register(await r.open(clock), { algorithm: 'mscn' });
    expect(a.model_id).toBe('mscn_20241019_103000_2');
  });

  it('reads fields from --from YAML, flags win, params parse numbers and booleans', async () => {
    const r = await tempRegistry();
    r.write('meta.yaml', 'algorithm: lero\nnotes: from file\ntags: [experiment]\ntraining:\n  dataset: stats\n  hyperparams: {a: 1}\n');
    const res = await r.run('register', '--from', 'meta.yaml', '--notes', 'flag wins', '--param', 'b=true', '--param', 'c=0.5', '--param', 'd=abc', '--json');
    expect(res.code).toBe(0);
    const meta = JSON.parse(r.read(res.json().path));
    expect(meta.algorithm).toBe('lero');
    expect(meta.notes).toBe('flag wins');
    expect(meta.tags).toEqual(['experiment']);
    expect(meta.training.hyperparams).toEqual({ a: 1, b: true, c: 0.5, d: 'abc' });
  });

  it('refuses a dirty index, naming the staged file, and leaves it staged', async () => {
    const r = await tempRegistry();
    r.write('other.txt', 'x');
    r.git('add', 'other.txt');
    const before = repoState(r.dir);
    const res = await r.run('register', '--algo', 'mscn');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/staged changes \(other\.txt\)/);
    expect(repoState(r.dir)).toBe(before);
  });

  it('reports a stale index.lock with the command that clears it', async () => {
    const r = await tempRegistry();
    r.write('.git/index.lock', '');
    const res = await r.run('register', '--algo', 'mscn');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/index\.lock/);
    expect(res.stderr).toMatch(/rm /);
  });
});

describe('test', () => {
  it('accumulates results on several datasets in the one file, one commit each', async () => {
    const r = await tempRegistry();
    const reg = await r.open();
    const { model_id } = await register(reg, { algorithm: 'mscn' });
    await recordTest(reg, { id: model_id, dataset: 'production', metrics: ['total_time=45.23', 'accuracy=0.9'] });
    r.write('times.txt', '0.5\n1.5\n# comment\n2.0, 4.0\n');
    await recordTest(reg, { id: model_id, dataset: 'job', times: 'times.txt' }, r.dir);
    const meta = JSON.parse(r.read(`models/mscn/${model_id}.json`));
    expect(meta.testing.map((t: any) => t.dataset)).toEqual(['production', 'job']);
    expect(meta.testing[0].performance).toEqual({ total_time: 45.23, accuracy: 0.9 });
    expect(meta.testing[1]).toMatchObject({ num_queries: 4, performance: { total_time: 8, average_time: 2, median_time: 1.75, p95_time: 3.7 } });
    expect(r.git('log', '-1', '--format=%(trailers:key=Model-Action,valueonly)').trim()).toBe('test');
  });

  it.each([
    [['--metric', 'total_time=fast'], /not a number/, 2],
    [['--metric', 'bad name=1'], /metric/, 2],
    [['--times', 'empty.txt'], /no timings/, 2],
    [['--times', 'missing.txt'], /does not exist/, 2],
    [['--metric', 'a=1', '--times', 'empty.txt'], /one of/, 2],
    [[], /--metric/, 2],
  ])('refuses %j with a clear message', async (args, message, code) => {
    const r = await tempRegistry();
    const reg = await r.open();
    const { model_id } = await register(reg, { algorithm: 'mscn' });
    r.write('empty.txt', '\n\n');
    r.git('add', '-A');
    r.git('commit', '-qm', 'fixtures');
    const before = repoState(r.dir);
    const res = await r.run('test', model_id, '--dataset', 'production', ...args);
    expect(res.code).toBe(code);
    expect(res.stderr).toMatch(message);
    expect(repoState(r.dir)).toBe(before);
  });

  it('refuses an unknown id (exit 1) and an unsafe dataset (exit 2)', async () => {
    const r = await tempRegistry();
    const before = repoState(r.dir);
    const a = await r.run('test', 'nope', '--dataset', 'production', '--metric', 'x=1');
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/no model "nope"/);
    const b = await r.run('test', 'nope', '--dataset', '../etc', '--metric', 'x=1');
    expect(b.code).toBe(2);
    expect(repoState(r.dir)).toBe(before);
  });
});

describe('a write and the working tree (git decides whatever is not certain)', () => {
  it('test refuses a model file with uncommitted edits, naming it, and keeps the edits', async () => {
    const r = await tempRegistry();
    const { model_id, path } = await register(await r.open(), { algorithm: 'mscn' });
    r.write(path, r.read(path).replace('"tags": []', '"tags": ["mine"]'));
    const before = repoState(r.dir);
    const res = await r.run('test', model_id, '--dataset', 'production', '--metric', 'x=1');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`uncommitted edits to ${path}`);
    expect(repoState(r.dir)).toBe(before);
  });

  it('test refuses a model file that only turned executable (git sees a mode change)', async () => {
    const r = await tempRegistry();
    const { model_id, path } = await register(await r.open(), { algorithm: 'mscn' });
    chmodSync(join(r.dir, path), 0o755);
    const res = await r.run('test', model_id, '--dataset', 'production', '--metric', 'x=1');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`uncommitted edits to ${path}`);
    expect(r.git('status', '--porcelain')).toBe(` M ${path}\n`);
  });

  it('test goes ahead when the bytes differ from HEAD but git sees no edit (CRLF checkout by .gitattributes)', async () => {
    const r = await tempRegistry();
    const { model_id, path } = await register(await r.open(), { algorithm: 'mscn' });
    r.write('.gitattributes', '*.json text eol=crlf\n');
    r.git('add', '.gitattributes');
    r.git('commit', '-qm', 'crlf');
    rmSync(join(r.dir, path));
    r.git('checkout', '--', path);
    expect(r.read(path)).toContain('\r\n');
    expect(r.git('status', '--porcelain')).toBe('');
    const res = await r.run('test', model_id, '--dataset', 'production', '--metric', 'x=1');
    expect(res.stderr).not.toMatch(/uncommitted/);
    expect(res.code).toBe(0);
    expect(JSON.parse(r.git('show', `HEAD:${path}`)).testing).toHaveLength(1);
  });

  it('a new file is staged by name: nothing else in its directory is added', async () => {
    const r = await tempRegistry();
    r.write('models/mscn/notes.txt', 'scratch');
    const res = await r.run('register', '--algo', 'mscn', '--id', 'm1', '--json');
    expect(res.code).toBe(0);
    expect(r.git('show', '--name-status', '--format=', 'HEAD')).toBe('A\tmodels/mscn/m1.json\n');
    expect(r.git('status', '--porcelain')).toBe('?? models/mscn/notes.txt\n');
  });
});

describe('register --id over a file that does not parse', () => {
  it('refuses: the broken file is still somebody\'s model', async () => {
    const r = await tempRegistry();
    r.write('models/mscn/bad.json', '{ "model_id": "bad", ');
    r.git('add', '-A');
    r.git('commit', '-qm', 'broken file (hook bypassed)');
    const before = repoState(r.dir);
    const res = await r.run('register', '--algo', 'mscn', '--id', 'bad');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/models\/mscn\/bad\.json already exists/);
    expect(repoState(r.dir)).toBe(before);
  });
});
