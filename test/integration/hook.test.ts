// The pre-commit hook end to end: real `git commit` runs the installed hook, which runs the built
// CLI's `validate --staged` against the index.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { register } from '../../src/registry/register.js';
import { recordTest } from '../../src/registry/record-test.js';
import { repoState, steppingClock, tempDir, tempRegistry, type TempRegistry } from '../helpers.js';

function gitTry(dir: string, ...args: string[]): { code: number; out: string } {
  const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env } });
  return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

function meta(id: string, algorithm: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ schema_version: 2, model_id: id, algorithm, created_at: '2024-10-19T10:30:00Z', testing: [], tags: [], ...fields }, null, 2) + '\n';
}

async function hooked(): Promise<{ r: TempRegistry; id: string; path: string }> {
  const r = await tempRegistry({ hook: true });
  const reg = await r.open(steppingClock());
  const { model_id, path } = await register(reg, { algorithm: 'mscn', dataset: 'production' });
  await recordTest(reg, { id: model_id, dataset: 'production', metrics: ['total_time=45.23'] });
  return { r, id: model_id, path };
}

const head = (r: TempRegistry) => r.git('rev-parse', 'HEAD').trim();

describe('the pre-commit hook', () => {
  it('is installed by init and is executable', async () => {
    const r = await tempRegistry({ hook: true });
    const hook = join(r.dir, '.git/hooks/pre-commit');
    expect(readFileSync(hook, 'utf8')).toMatch(/modelgit pre-commit hook/);
    expect(spawnSync('test', ['-x', hook]).status).toBe(0);
  });

  it('refuses a bad staged blob even when the working-tree copy is good', async () => {
    const { r } = await hooked();
    r.write('models/mscn/new.json', meta('new', 'mscn', { tags: ['not a tag'] }));
    r.git('add', 'models/mscn/new.json');
    r.write('models/mscn/new.json', meta('new', 'mscn')); // fixed on disk, not staged
    const before = head(r);
    const res = gitTry(r.dir, 'commit', '-m', 'add new');
    expect(res.code).not.toBe(0);
    expect(res.out).toMatch(/^models\/mscn\/new\.json:8:5: \/tags\/0: \/tags\/0 must match .*\[pattern/m);
    expect(res.out).toMatch(/staged versions/);
    expect(head(r)).toBe(before);
    // Staging the fix lets it through.
    r.git('add', 'models/mscn/new.json');
    expect(gitTry(r.dir, 'commit', '-qm', 'add new').code).toBe(0);
    expect(head(r)).not.toBe(before);
  });

  it('lets a good staged blob through even when the working-tree copy is broken', async () => {
    const { r } = await hooked();
    r.write('models/mscn/new.json', meta('new', 'mscn'));
    r.git('add', 'models/mscn/new.json');
    r.write('models/mscn/new.json', '{ half-written');
    const res = gitTry(r.dir, 'commit', '-qm', 'add new');
    expect(res.code).toBe(0);
    expect(r.git('show', 'HEAD:models/mscn/new.json')).toBe(meta('new', 'mscn'));
    expect(r.read('models/mscn/new.json')).toBe('{ half-written');
  });

  it('refuses rewriting a recorded result, including through `git commit -a` and `git commit PATH`', async () => {
    const { r, path } = await hooked();
    const m = JSON.parse(r.read(path));
    m.testing[0].performance.total_time = 1;
    r.write(path, JSON.stringify(m, null, 2) + '\n');
    const before = repoState(r.dir);
    for (const args of [['commit', '-a', '-m', 'better numbers'], ['commit', '-m', 'better numbers', '--', path]]) {
      const res = gitTry(r.dir, ...args);
      expect(res.code).not.toBe(0);
      expect(res.out).toMatch(new RegExp(`^${path}:\\d+:\\d+: /testing/0/performance/total_time: "testing" is append-only`, 'm'));
      expect(repoState(r.dir)).toBe(before);
    }
  });

  it("passes modelgit's own register, test and tag commits", async () => {
    const { r, id } = await hooked();
    // A chained hook that leaves a mark proves the hook really runs for modelgit's commits.
    const marks = join(r.dir, '.git', 'hook-runs');
    writeFileSync(join(r.dir, '.git/hooks/pre-commit.local'), `#!/bin/sh\necho run >> '${marks}'\n`);
    chmodSync(join(r.dir, '.git/hooks/pre-commit.local'), 0o755);
    expect((await r.run('register', '--algo', 'lero', '--dataset', 'stats')).code).toBe(0);
    expect((await r.run('test', id, '--dataset', 'job', '--metric', 'total_time=3')).code).toBe(0);
    expect((await r.run('tag', id, 'keep')).code).toBe(0);
    expect(readFileSync(marks, 'utf8')).toBe('run\nrun\nrun\n');
    expect(r.git('status', '--porcelain')).toBe('');
    expect((await r.run('validate', '--all')).code).toBe(0);
  });

  it('refuses a modelgit write whose result is invalid, says the hook refused, and leaves the repository exactly as it was', async () => {
    const { r, id, path } = await hooked();
    // A file that got in without the hook: `tag` edits only tags, and the hook sees the whole staged file.
    const m = JSON.parse(r.read(path));
    r.write(path, JSON.stringify({ ...m, colour: 'red' }, null, 2) + '\n');
    r.git('commit', '-qam', 'sneaked in', '--no-verify');
    const before = repoState(r.dir);
    const res = await r.run('tag', id, 'keep');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/the commit was refused by a git hook; nothing was changed/);
    expect(res.stderr).toMatch(new RegExp(`${path}:\\d+:\\d+: /colour: .*unknown field "colour"`));
    expect(repoState(r.dir)).toBe(before);
  });

  it('checks the staged per-algorithm schema, not the working-tree copy, and a refused register leaves nothing behind', async () => {
    const { r } = await hooked();
    r.write('schemas/mscn.schema.json', JSON.stringify({ type: 'object', required: ['notes'] }));
    r.write('modelgit.yaml', r.read('modelgit.yaml').replace('schemas: {}', 'schemas: { mscn: schemas/mscn.schema.json }'));
    r.git('add', '-A');
    expect(gitTry(r.dir, 'commit', '-qm', 'team schema').code).toBe(0);
    // Loosened on disk only: register's own check reads the disk, the hook reads what is committed.
    r.write('schemas/mscn.schema.json', JSON.stringify({ type: 'object' }));
    const before = repoState(r.dir);
    const res = await r.run('register', '--algo', 'mscn');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/refused by a git hook/);
    expect(res.stderr).toMatch(/:1:1: \/notes: .*missing required field "notes"/);
    expect(repoState(r.dir)).toBe(before);
    expect((await r.run('register', '--algo', 'mscn', '--notes', 'documented')).code).toBe(0);
  });

  it('says the hook refused even when the refusing hook never says "hook"', async () => {
    const { r } = await hooked();
    writeFileSync(join(r.dir, '.git/hooks/pre-commit.local'), '#!/bin/sh\necho "lint failed" >&2\nexit 1\n');
    chmodSync(join(r.dir, '.git/hooks/pre-commit.local'), 0o755);
    const before = repoState(r.dir);
    const res = await r.run('register', '--algo', 'lero');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/the commit was refused by a git hook; nothing was changed:\nlint failed/);
    expect(repoState(r.dir)).toBe(before);
  });

  it('runs from a subdirectory and honours $MODELGIT', async () => {
    const { r } = await hooked();
    mkdirSync(join(r.dir, 'docs'));
    r.write('models/mscn/new.json', '{');
    r.git('add', '-A');
    const res = gitTry(join(r.dir, 'docs'), 'commit', '-m', 'x');
    expect(res.code).not.toBe(0);
    expect(res.out).toMatch(/^models\/mscn\/new\.json:1:2: /m);
    const log = join(tempDir(), 'calls');
    const wrapper = join(tempDir(), 'fake-modelgit');
    writeFileSync(wrapper, `#!/bin/sh\necho "$@" > '${log}'\nexit 0\n`);
    chmodSync(wrapper, 0o755);
    const ok = spawnSync('git', ['commit', '-qm', 'x'], { cwd: r.dir, encoding: 'utf8', env: { ...process.env, MODELGIT: wrapper } });
    expect(ok.status).toBe(0);
    expect(readFileSync(log, 'utf8')).toBe('validate --staged\n');
  });

  it('refuses to commit unchecked when modelgit cannot be found, saying why', async () => {
    const r = await tempRegistry();
    const shim = readFileSync(new URL('../../hooks/pre-commit', import.meta.url), 'utf8');
    writeFileSync(join(r.dir, '.git/hooks/pre-commit'), shim);
    chmodSync(join(r.dir, '.git/hooks/pre-commit'), 0o755);
    r.write('models/mscn/x.json', meta('x', 'mscn'));
    r.git('add', '-A');
    const git = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
    const res = spawnSync(git, ['commit', '-m', 'x'], { cwd: r.dir, encoding: 'utf8', env: { ...process.env, PATH: '/usr/bin:/bin' } });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/modelgit is not installed here/);
  });
});
