import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { register } from '../../src/registry/register.js';
import { recordTest } from '../../src/registry/record-test.js';
import { validate } from '../../src/registry/validate.js';
import { repoState, steppingClock, tempDir, tempRegistry, tempRepo, type TempRegistry } from '../helpers.js';

/** Metadata text as a person would write it by hand. */
function meta(id: string, algorithm: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ schema_version: 2, model_id: id, algorithm, created_at: '2024-10-19T10:30:00Z', testing: [], tags: [], ...fields }, null, 2) + '\n';
}

/** A registry with one committed model that has one recorded result. */
async function withModel(): Promise<{ r: TempRegistry; id: string; path: string }> {
  const r = await tempRegistry();
  const reg = await r.open(steppingClock());
  const { model_id, path } = await register(reg, { algorithm: 'mscn', dataset: 'production', params: { lr: 0.001 } });
  await recordTest(reg, { id: model_id, dataset: 'production', metrics: ['total_time=45.23'] });
  return { r, id: model_id, path };
}

function commitAll(r: TempRegistry, message = 'hand edit'): void {
  r.git('add', '-A');
  r.git('commit', '-q', '--no-verify', '-m', message);
}

describe('validate (default: the working tree vs HEAD)', () => {
  it('an invalid committed modelgit.yaml fails every check by name, instead of checking under the defaults and passing', async () => {
    const r = await tempRegistry();
    r.write('modelgit.yaml', r.read('modelgit.yaml').replace(/^models_dir: models$/m, 'models_dir: zoo/deep'));
    commitAll(r, 'config committed past the hook');
    r.write('zoo/deep/mscn/x.json', '{bad');
    r.git('add', '-A');
    const res = await r.run('validate', '--staged');
    expect(res.code).toBe(1);
    expect(res.stdout + res.stderr).toMatch(/modelgit\.yaml:\d+:\d+: \/models_dir: .*\[pattern/);
  });

  it('passes a clean registry and checks nothing that did not change', async () => {
    const { r } = await withModel();
    const res = await r.run('validate');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('ok: 0 files checked (working tree vs HEAD)\n');
  });

  it('reports a JSON syntax error in a new, untracked file with its line and column', async () => {
    const { r } = await withModel();
    r.write('models/mscn/new.json', '{\n  "model_id": "new",\n  "algorithm": "mscn"\n  "testing": []\n}\n');
    const before = repoState(r.dir);
    const res = await r.run('validate');
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^models\/mscn\/new\.json:4:3: \/: not valid JSON: CommaExpected \[json-syntax \(CommaExpected\)\]$/m);
    expect(res.stdout).toMatch(/1 error in 1 file \(1 file checked, working tree vs HEAD\)/);
    expect(repoState(r.dir)).toBe(before);
  });

  it('reports schema errors at the offending field, with pointer and rule', async () => {
    const { r } = await withModel();
    r.write('models/mscn/new.json', meta('new', 'mscn', { testing: [{ dataset: 'production', performance: { total_time: 'fast' } }], colour: 'red' }));
    const res = await r.run('validate', '--json');
    expect(res.code).toBe(1);
    const out = res.json();
    expect(out.ok).toBe(false);
    expect(out.checked).toBe(1);
    const byRule = Object.fromEntries(out.errors.map((e: any) => [e.rule.split(' ')[0], e]));
    expect(byRule.type).toMatchObject({ file: 'models/mscn/new.json', pointer: '/testing/0/performance/total_time', line: 10, column: 23 });
    expect(byRule.additionalProperties).toMatchObject({ pointer: '/colour', line: 15, column: 3 });
    expect(byRule.additionalProperties.message).toMatch(/unknown field "colour"/);
  });

  it('requires model_id = file name and algorithm = directory', async () => {
    const { r } = await withModel();
    r.write('models/mscn/one.json', meta('two', 'lero'));
    const res = await r.run('validate', '--json');
    expect(res.code).toBe(1);
    expect(res.json().errors.map((e: any) => [e.pointer, e.rule, e.line])).toEqual([
      ['/model_id', 'id-matches-file', 3],
      ['/algorithm', 'algorithm-matches-directory', 4],
    ]);
  });

  it('reports files that are not at models/<algorithm>/<id>.json', async () => {
    const { r } = await withModel();
    r.write('models/loose.json', meta('loose', 'mscn'));
    r.write('models/mscn/deep/x.json', meta('x', 'mscn'));
    r.write('models/mscn/x.yaml', 'model_id: x\n');
    r.write('models/mscn/.gitkeep', '');
    r.write('notes/other.json', 'not checked');
    const res = await r.run('validate', '--json');
    expect(res.code).toBe(1);
    const errs = res.json().errors;
    expect(errs.map((e: any) => [e.file, e.rule])).toEqual([
      ['models/loose.json', 'model-path'],
      ['models/mscn/deep/x.json', 'model-path'],
      ['models/mscn/x.yaml', 'model-path'],
    ]);
    expect(errs[0].message).toMatch(/belongs at models\/<algorithm>\/<model_id>\.json, not directly in models\//);
    expect(errs[1].message).toMatch(/too deep/);
    expect(errs[2].message).toMatch(/does not end in \.json/);
  });

  it('refuses a rewritten recorded result and a changed training block, pointing at the edited value', async () => {
    const { r, path } = await withModel();
    const m = JSON.parse(r.read(path));
    m.testing[0].performance.total_time = 12.5;
    m.training.hyperparams.lr = 0.1;
    r.write(path, JSON.stringify(m, null, 2) + '\n');
    const res = await r.run('validate');
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(new RegExp(`^${path}:\\d+:\\d+: /training/hyperparams/lr: "training" is immutable once committed \\(changed from 0.001 to 0.1\\).*\\[immutable\\]$`, 'm'));
    expect(res.stdout).toMatch(new RegExp(`^${path}:\\d+:\\d+: /testing/0/performance/total_time: "testing" is append-only: .*from 45.23 to 12.5 \\(compared with HEAD\\) \\[append-only\\]$`, 'm'));
  });

  it('refuses removing a recorded result but allows appending one, tagging and notes', async () => {
    const { r, path } = await withModel();
    const m = JSON.parse(r.read(path));
    r.write(path, JSON.stringify({ ...m, tags: ['keep'], notes: 'n', testing: [...m.testing, { dataset: 'job', performance: { total_time: 1 } }] }, null, 2));
    expect((await r.run('validate')).code).toBe(0);
    r.write(path, JSON.stringify({ ...m, testing: [] }, null, 2));
    const res = await r.run('validate', '--json');
    expect(res.code).toBe(1);
    expect(res.json().errors).toMatchObject([{ pointer: '/testing', rule: 'append-only', message: expect.stringMatching(/1 recorded result\(s\) were removed/) }]);
  });

  it('refuses a second model with an id that another algorithm already uses', async () => {
    const { r, id } = await withModel();
    r.write(`models/lero/${id}.json`, meta(id, 'lero'));
    const res = await r.run('validate', '--json');
    expect(res.code).toBe(1);
    expect(res.json().errors).toMatchObject([{ file: `models/lero/${id}.json`, pointer: '/model_id', rule: 'unique-id', line: 3 }]);
    expect(res.json().errors[0].message).toMatch(new RegExp(`already used by models/mscn/${id}\\.json`));
  });

  it('refuses moving a model to another algorithm (its identity is immutable)', async () => {
    const { r, id, path } = await withModel();
    const m = JSON.parse(r.read(path));
    rmSync(join(r.dir, path));
    r.write(`models/lero/${id}.json`, JSON.stringify({ ...m, algorithm: 'lero' }, null, 2));
    const res = await r.run('validate', '--json');
    expect(res.code).toBe(1);
    expect(res.json().errors).toMatchObject([{ file: `models/lero/${id}.json`, pointer: '/algorithm', rule: 'immutable' }]);
    expect(res.json().errors[0].message).toMatch(new RegExp(`this model was ${path}`));
  });

  it('allows deleting a model, unless a stage still points at it', async () => {
    const { r, id, path } = await withModel();
    rmSync(join(r.dir, path));
    expect((await r.run('validate')).code).toBe(0);
    r.git('checkout', '--', path);
    r.write('stages.yaml', `# who holds what\nmscn:\n  production: ${id}\n`);
    commitAll(r, 'promote by hand');
    rmSync(join(r.dir, path));
    const res = await r.run('validate', '--json');
    expect(res.code).toBe(1);
    expect(res.json().errors).toEqual([
      { file: 'stages.yaml', line: 3, column: 15, pointer: '/mscn/production', rule: 'stage-model-exists', message: `mscn production is assigned to ${id}, but there is no ${path}` },
    ]);
  });

  it('checks stages.yaml: schema, YAML syntax, and assignments under the right algorithm', async () => {
    const { r, id } = await withModel();
    r.write('stages.yaml', `lero:\n  production: ${id}\n`);
    let res = await r.run('validate', '--json');
    expect(res.json().errors).toMatchObject([{ file: 'stages.yaml', line: 2, column: 15, rule: 'stage-model-exists' }]);
    r.write('stages.yaml', 'mscn:\n  production: Not_An_Id\n');
    res = await r.run('validate', '--json');
    expect(res.json().errors).toMatchObject([{ file: 'stages.yaml', line: 2, column: 15, pointer: '/mscn/production', rule: expect.stringMatching(/^pattern/) }]);
    r.write('stages.yaml', 'mscn:\n  production: [unclosed\n');
    res = await r.run('validate', '--json');
    expect(res.code).toBe(1);
    expect(res.json().errors[0].rule).toMatch(/^yaml-syntax/);
  });

  it('checks modelgit.yaml against its schema, and that per-algorithm schemas exist', async () => {
    const { r } = await withModel();
    const config = r.read('modelgit.yaml');
    r.write('modelgit.yaml', config.replace('direction: min', 'direction: lowest'));
    let res = await r.run('validate', '--json');
    expect(res.code).toBe(1);
    expect(res.json().errors).toMatchObject([{ file: 'modelgit.yaml', line: 7, pointer: '/metrics/total_time/direction', rule: expect.stringMatching(/^enum/) }]);
    r.write('modelgit.yaml', config.replace('schemas: {}', 'schemas:\n  mscn: schemas/mscn.schema.json\n  lero: ../outside.json'));
    res = await r.run('validate', '--json');
    expect(res.json().errors.map((e: any) => [e.pointer, e.rule, e.line])).toEqual([
      ['/schemas/mscn', 'schema-file-exists', 16],
      ['/schemas/lero', 'schema-path', 17],
    ]);
  });

  it('applies a per-algorithm schema from the config on top of the base schema', async () => {
    const { r, path } = await withModel();
    r.write('schemas/mscn.schema.json', JSON.stringify({ type: 'object', required: ['notes'] }));
    r.write('modelgit.yaml', r.read('modelgit.yaml').replace('schemas: {}', 'schemas: { mscn: schemas/mscn.schema.json }'));
    commitAll(r, 'team schema');
    r.write('models/mscn/fresh.json', meta('fresh', 'mscn'));
    let res = await r.run('validate', '--json');
    expect(res.json().errors).toMatchObject([{ file: 'models/mscn/fresh.json', pointer: '/notes', rule: expect.stringMatching(/^required/) }]);
    r.write('models/mscn/fresh.json', meta('fresh', 'mscn', { notes: 'ok' }));
    res = await r.run('validate');
    expect(res.code).toBe(0);
    // --all now also finds the committed model that predates the team schema.
    res = await r.run('validate', '--all', '--json');
    expect(res.json().errors).toMatchObject([{ file: path, pointer: '/notes' }]);
  });

  it('is not fooled by a missing config: outside a registry it says so (exit 1)', async () => {
    const dir = tempRepo();
    const { runCli } = await import('../helpers.js');
    const res = await runCli(dir, 'validate');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/not a modelgit registry/);
    const res2 = await runCli(tempDir(), 'validate');
    expect(res2.code).toBe(1);
    expect(res2.stderr).toMatch(/not inside a git repository/);
  });
});

describe('validate --staged', () => {
  it('reads the index, not the working tree', async () => {
    const { r } = await withModel();
    r.write('models/mscn/new.json', meta('new', 'mscn', { created_at: 'yesterday' }));
    r.git('add', 'models/mscn/new.json');
    r.write('models/mscn/new.json', meta('new', 'mscn'));
    let res = await r.run('validate', '--staged');
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^models\/mscn\/new\.json:5:17: \/created_at: \/created_at must be a date-time/m);
    expect(res.stdout).toMatch(/staged versions/);
    // …and the good working-tree copy is what the default mode sees.
    expect((await r.run('validate')).code).toBe(0);

    r.git('add', 'models/mscn/new.json');
    r.write('models/mscn/new.json', '{ broken');
    res = await r.run('validate', '--staged');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('ok: 1 file checked (staged)\n');
  });

  it('checks only staged changes: a broken committed file elsewhere is not read', async () => {
    const { r, id } = await withModel();
    r.write('models/lero/corrupt.json', '{ this was committed without the hook');
    commitAll(r, 'bypassed the hook');
    r.write('models/mscn/new.json', meta('new', 'mscn'));
    r.git('add', 'models/mscn/new.json');
    expect((await r.run('validate', '--staged', '--json')).json()).toEqual({ ok: true, checked: 1, errors: [], mode: 'staged' });
    // The id listing still sees every path, without reading blobs.
    r.write(`models/lero/${id}.json`, meta(id, 'lero'));
    r.git('add', '-A');
    const res = await r.run('validate', '--staged', '--json');
    expect(res.json().errors).toMatchObject([{ file: `models/lero/${id}.json`, rule: 'unique-id' }]);
    expect((await r.run('validate', '--all', '--json')).json().errors.map((e: any) => e.file)).toEqual(
      expect.arrayContaining(['models/lero/corrupt.json', `models/lero/${id}.json`, `models/mscn/${id}.json`]),
    );
  });

  it('checks ids against each other within one staged change', async () => {
    const r = await tempRegistry();
    r.write('models/a/same.json', meta('same', 'a'));
    r.write('models/b/same.json', meta('same', 'b'));
    r.git('add', '-A');
    const res = await r.run('validate', '--staged', '--json');
    expect(res.json().errors.map((e: any) => [e.file, e.rule])).toEqual([
      ['models/a/same.json', 'unique-id'],
      ['models/b/same.json', 'unique-id'],
    ]);
  });

  it('works before the first commit', async () => {
    const dir = tempRepo();
    const { writeFileSync, mkdirSync } = await import('node:fs');
    const { runCli, git } = await import('../helpers.js');
    const { DEFAULT_CONFIG_TEXT } = await import('../../src/domain/config.js');
    writeFileSync(join(dir, 'modelgit.yaml'), DEFAULT_CONFIG_TEXT);
    mkdirSync(join(dir, 'models/a'), { recursive: true });
    writeFileSync(join(dir, 'models/a/x.json'), meta('x', 'a'));
    git(dir, 'add', '-A');
    const res = await runCli(dir, 'validate', '--staged', '--json');
    expect(res.json()).toMatchObject({ ok: true, checked: 2 });
  });
  it('costs three git processes (rev-parse, diff, one cat-file) however many models there are', async () => {
    const { r, path } = await withModel();
    for (let i = 0; i < 5; i++) r.write(`models/lero/m${i}.json`, meta(`m${i}`, 'lero'));
    commitAll(r);
    const text = JSON.parse(r.read(path));
    text.testing.push({ dataset: 'job', tested_at: '2025-01-01T00:00:00Z', performance: { total_time: 1 } });
    r.write(path, JSON.stringify(text, null, 2) + '\n');
    r.git('add', path);
    const trace = join(r.dir, '..', `trace-${Date.now()}.txt`);
    const { runCliWithEnv } = await import('../helpers.js');
    const res = await runCliWithEnv(r.dir, { GIT_TRACE: trace }, 'validate', '--staged');
    expect(res.stdout).toBe('ok: 1 file checked (staged)\n');
    const commands = readFileSync(trace, 'utf8')
      .split('\n')
      .filter((l) => l.includes('trace: built-in: git'))
      .map((l) => l.replace(/.*built-in: git /, '').split(' ')[0]);
    expect(commands.sort()).toEqual(['cat-file', 'diff', 'rev-parse']);
    rmSync(trace);
  });

  it('refuses a symbolic link as a model file, and is not confused by an algorithm named "constructor"', async () => {
    const r = await tempRegistry();
    r.write('models/constructor/c1.json', meta('c1', 'constructor'));
    const { symlinkSync } = await import('node:fs');
    mkdirSync(join(r.dir, 'models/mscn'), { recursive: true });
    symlinkSync('../constructor/c1.json', join(r.dir, 'models/mscn/link.json'));
    r.git('add', '-A');
    const res = await r.run('validate', '--staged', '--json');
    expect(res.json().errors).toEqual([
      { file: 'models/mscn/link.json', line: 1, column: 1, pointer: '', rule: 'model-path', message: 'a model file must be a regular file (this is mode 120000, a symbolic link)' },
    ]);
    expect(res.json().checked).toBe(2);
  });
});

describe('validate --all', () => {
  it('checks every metadata file, the config and the stages', async () => {
    const { r } = await withModel();
    const res = await r.run('validate', '--all', '--json');
    expect(res.json()).toEqual({ ok: true, checked: 3, errors: [], mode: 'all' });
  });

  it('finds committed problems and misplaced files anywhere under models/', async () => {
    const { r } = await withModel();
    r.write('models/a/b.json', meta('c', 'a'));
    r.write('models/stray.txt', 'x');
    commitAll(r);
    const res = await r.run('validate', '--all', '--json');
    expect(res.code).toBe(1);
    expect(res.json().errors.map((e: any) => [e.file, e.rule])).toEqual([
      ['models/a/b.json', 'id-matches-file'],
      ['models/stray.txt', 'model-path'],
    ]);
  });

  it('does not trust git diff for files git is told not to look at (assume-unchanged, skip-worktree)', async () => {
    const { r, path } = await withModel();
    r.write('models/lero/a.json', meta('a', 'lero'));
    r.write('models/lero/b.json', meta('b', 'lero'));
    commitAll(r);
    // Deleted on disk but hidden from git diff: not a file in the working tree, so not checked.
    r.git('update-index', '--assume-unchanged', 'models/lero/a.json');
    rmSync(join(r.dir, 'models/lero/a.json'));
    r.git('update-index', '--skip-worktree', 'models/lero/b.json');
    rmSync(join(r.dir, 'models/lero/b.json'));
    const res = await r.run('validate', '--all', '--json');
    expect(res.json()).toEqual({ ok: true, checked: 3, errors: [], mode: 'all' });
    // A plainly tracked file deleted on disk is gone too (git diff names it).
    rmSync(join(r.dir, path));
    expect((await r.run('validate', '--all', '--json')).json()).toEqual({ ok: true, checked: 2, errors: [], mode: 'all' });
  });

  it('reports every problem of a large tree in file order, reading each file once', async () => {
    const { r } = await withModel();
    for (let i = 0; i < 60; i++) r.write(`models/lero/m${String(i).padStart(2, '0')}.json`, meta(`m${String(i).padStart(2, '0')}`, 'lero', i % 7 === 0 ? { colour: 'red' } : {}));
    r.write('models/mscn/m03.json', meta('m03', 'mscn'));
    r.write('models/lero/m05.json', '{"model_id": "m05", "model_id": "m05"}');
    commitAll(r);
    r.write('models/lero/m10.json', '{');
    r.write('models/bao/untracked.json', meta('untracked', 'bao', { tags: 'x' }));
    const res = await r.run('validate', '--all', '--json');
    expect(res.json().errors.map((e: any) => `${e.file}:${e.line}:${e.column} ${e.rule.split(' ')[0]}`)).toEqual([
      'models/bao/untracked.json:7:11 type',
      'models/lero/m00.json:8:3 additionalProperties',
      'models/lero/m03.json:3:15 unique-id',
      'models/lero/m05.json:1:21 json-duplicate-key',
      'models/lero/m07.json:8:3 additionalProperties',
      'models/lero/m10.json:1:2 json-syntax',
      'models/lero/m14.json:8:3 additionalProperties',
      'models/lero/m21.json:8:3 additionalProperties',
      'models/lero/m28.json:8:3 additionalProperties',
      'models/lero/m35.json:8:3 additionalProperties',
      'models/lero/m42.json:8:3 additionalProperties',
      'models/lero/m49.json:8:3 additionalProperties',
      'models/lero/m56.json:8:3 additionalProperties',
      'models/mscn/m03.json:3:15 unique-id',
    ]);
    expect(res.json().checked).toBe(65);
  });

  it('ignores files git ignores', async () => {
    const { r } = await withModel();
    r.write('.gitignore', 'models/**/*.tmp.json\n');
    r.write('models/mscn/scratch.tmp.json', '{');
    expect((await r.run('validate', '--all')).code).toBe(0);
  });
});

describe('validate --since REV', () => {
  it('checks what was committed since REV, with append-only checked against REV', async () => {
    const { r, path } = await withModel();
    const base = r.git('rev-parse', 'HEAD').trim();
    const m = JSON.parse(r.read(path));
    m.testing[0].performance.total_time = 1;
    r.write(path, JSON.stringify(m, null, 2));
    commitAll(r, 'quietly improve a result');
    // Another commit after it does not hide the rewrite: the range is compared end to end.
    r.write('models/mscn/other.json', meta('other', 'mscn'));
    commitAll(r, 'another model');
    const res = await r.run('validate', '--since', base, '--json');
    expect(res.code).toBe(1);
    const out = res.json();
    expect(out).toMatchObject({ ok: false, checked: 2, mode: 'since', since: base });
    expect(out.errors).toMatchObject([{ file: path, pointer: '/testing/0/performance/total_time', rule: 'append-only' }]);
    expect(out.errors[0].message).toMatch(new RegExp(`compared with ${base.slice(0, 12)}`));
    // From the commit after the rewrite, only the new model is in range.
    expect((await r.run('validate', '--since', 'HEAD~1', '--json')).json()).toMatchObject({ ok: true, checked: 1 });
  });

  it('ignores the working tree and the index', async () => {
    const { r } = await withModel();
    r.write('models/mscn/bad.json', '{');
    r.git('add', '-A');
    expect((await r.run('validate', '--since', 'HEAD~1')).code).toBe(0);
  });

  it('refuses an unknown revision clearly, and never lets one be read as an option', async () => {
    const { r } = await withModel();
    const before = repoState(r.dir);
    const res = await r.run('validate', '--since', 'no-such-branch');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/--since: unknown revision "no-such-branch": not a commit in this repository/);
    const evil = join(r.dir, 'pwned');
    const res2 = await r.run('validate', `--since=--output=${evil}`);
    expect(res2.code).toBe(1);
    expect(existsSync(evil)).toBe(false);
    expect(repoState(r.dir)).toBe(before);
  });
});

describe('validate --format github', () => {
  const saved = process.env.GITHUB_STEP_SUMMARY;
  afterEach(() => {
    if (saved === undefined) delete process.env.GITHUB_STEP_SUMMARY;
    else process.env.GITHUB_STEP_SUMMARY = saved;
  });

  it('prints escaped annotations and appends a summary table to $GITHUB_STEP_SUMMARY', async () => {
    const { r } = await withModel();
    r.write('models/mscn/new.json', meta('new', 'mscn', { notes: 5 }));
    r.write('models/mscn/x,y.json', meta('x,y', 'mscn'));
    const summary = join(tempDir(), 'summary.md');
    process.env.GITHUB_STEP_SUMMARY = summary;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(summary, '## earlier step\n');
    const res = await r.run('validate', '--format', 'github');
    expect(res.code).toBe(1);
    const lines = res.stdout.trimEnd().split('\n');
    expect(lines).toContain('::error file=models/mscn/new.json,line=8,col=12,title=notes must be a string::must be string (schema rule type (#/properties/notes/type))');
    expect(lines.some((l) => l.startsWith('::error file=models/mscn/x%2Cy.json,line=1,col=1,title=model path::'))).toBe(true);
    expect(lines[lines.length - 1]).toMatch(/^modelgit validate: \d+ errors in 2 files/);
    const md = readFileSync(summary, 'utf8');
    expect(md.startsWith('## earlier step\n### modelgit validate')).toBe(true);
    expect(md).toContain('| models/mscn/new.json | 8 | 12 | notes must be a string | must be string (schema rule type (#/properties/notes/type)) |');
  });

  it('writes a passing summary when all is well', async () => {
    const { r } = await withModel();
    const summary = join(tempDir(), 'summary.md');
    process.env.GITHUB_STEP_SUMMARY = summary;
    const res = await r.run('validate', '--all', '--format', 'github');
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('ok: 3 files checked (all files)\n');
    expect(readFileSync(summary, 'utf8')).toContain(':white_check_mark: 3 files checked, no errors.');
  });
});

describe('validate usage', () => {
  it.each([
    [['--staged', '--all'], /one of --staged, --all, --since/],
    [['--all', '--since', 'HEAD'], /got --all and --since/],
    [['--format', 'xml'], /must be one of text, github, json/],
    [['--json', '--format', 'text'], /disagree/],
    [['--bogus'], /unknown option/],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const r = await tempRegistry();
    const res = await r.run('validate', ...args);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
  });

  it('the API answers the same report the CLI prints', async () => {
    const { r } = await withModel();
    r.write('models/mscn/new.json', '[]');
    const report = await validate({ cwd: join(r.dir, 'models'), mode: 'worktree' });
    expect(report.ok).toBe(false);
    expect(report.files).toEqual(['models/mscn/new.json']);
    expect(report.errors[0]).toMatchObject({ file: 'models/mscn/new.json', line: 1, column: 1, rule: expect.stringMatching(/^type/) });
  });
});
