// Artifacts have a home: `artifacts: "artifacts/{algorithm}/{model_id}"` in modelgit.yaml is the
// model_path register records when given none, every answer carries the absolute artifact path,
// and init git-ignores the directory. A training job: register --json → id and artifact_path →
// save the weights there → verify.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, repoState, runCli, tempDir, tempRegistry, tempRepo } from '../helpers.js';

describe('init writes the artifacts layout and git-ignores its directory', () => {
  it('a new registry: the artifacts line, and .gitignore in the one commit', async () => {
    const parent = tempDir();
    const res = await runCli(parent, 'init', 'reg', '--json');
    expect(res.code).toBe(0);
    const dir = join(parent, 'reg');
    expect(readFileSync(join(dir, 'modelgit.yaml'), 'utf8')).toMatch(/^artifacts: "artifacts\/\{algorithm\}\/\{model_id\}"/m);
    expect(git(dir, 'rev-list', '--count', 'HEAD').trim()).toBe('1');
    expect(git(dir, 'show', '--name-only', '--format=', 'HEAD').split('\n').filter(Boolean)).toContain('.gitignore');
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toMatch(/^\/artifacts\/$/m);
    mkdirSync(join(dir, 'artifacts/mscn/m1'), { recursive: true });
    writeFileSync(join(dir, 'artifacts/mscn/m1/model.pt'), 'w');
    expect(git(dir, 'status', '--porcelain', '--untracked-files=all')).toBe('');
  });

  it("an existing .gitignore is kept and appended to; one that already ignores it, or has the user's edits, is left alone", async () => {
    const dir = tempRepo();
    writeFileSync(join(dir, '.gitignore'), 'node_modules/\n*.pyc');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'ours');
    expect((await runCli(dir, 'init')).code).toBe(0);
    expect(readFileSync(join(dir, '.gitignore'), 'utf8')).toBe('node_modules/\n*.pyc\n# model artifacts (modelgit.yaml: artifacts) are kept out of git\n/artifacts/\n');
    expect(git(dir, 'status', '--porcelain')).toBe('');

    const already = tempRepo();
    writeFileSync(join(already, '.gitignore'), 'artifacts/\n');
    git(already, 'add', '-A');
    git(already, 'commit', '-qm', 'ours');
    expect((await runCli(already, 'init', '--json')).json().files).not.toContain('.gitignore');
    expect(readFileSync(join(already, '.gitignore'), 'utf8')).toBe('artifacts/\n');

    const edited = tempRepo();
    writeFileSync(join(edited, '.gitignore'), 'a\n');
    git(edited, 'add', '-A');
    git(edited, 'commit', '-qm', 'ours');
    writeFileSync(join(edited, '.gitignore'), 'a\nb\n');
    const res = await runCli(edited, 'init');
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/note: \.gitignore has uncommitted changes, so init left it alone: add \/artifacts\/ to it/);
    expect(readFileSync(join(edited, '.gitignore'), 'utf8')).toBe('a\nb\n');
  });
});

describe('register without --model-path uses the layout; answers carry the absolute artifact path', () => {
  it('a training job: register --json, save the weights at artifact_path, verify; best and show answer with it', async () => {
    const r = await tempRegistry();
    const reg = await r.run('register', '--algo', 'mscn', '--json');
    expect(reg.code).toBe(0);
    const a = reg.json();
    expect(a.model_path).toBe(`artifacts/mscn/${a.model_id}`);
    expect(a.artifact_path).toBe(join(r.dir, 'artifacts', 'mscn', a.model_id));
    expect(JSON.parse(r.read(a.path)).model_path).toBe(`artifacts/mscn/${a.model_id}`);
    // The job saves its weights where it was told; nothing to commit (git-ignored).
    mkdirSync(dirname(a.artifact_path), { recursive: true });
    writeFileSync(a.artifact_path, 'weights');
    expect(r.git('status', '--porcelain', '--untracked-files=all')).toBe('');
    expect((await r.run('verify', a.model_id)).code).toBe(0);

    expect((await r.run('test', a.model_id, '--dataset', 'production', '--metric', 'total_time=3')).code).toBe(0);
    const best = await r.run('best', '--algo', 'mscn', '--json');
    expect(best.json()).toMatchObject({ model_id: a.model_id, model_path: a.model_path, artifact_path: a.artifact_path });
    expect((await r.run('best', '--algo', 'mscn', '--field', 'artifact_path')).stdout).toBe(`${a.artifact_path}\n`);
    expect((await r.run('best', '--algo', 'mscn')).stdout).toMatch(new RegExp(`artifact path:\\s+${a.artifact_path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const show = await r.run('show', a.model_id, '--json');
    expect(show.json().artifact_path).toBe(a.artifact_path);
    expect((await r.run('show', a.model_id)).stdout).toContain(`artifact path  ${a.artifact_path}`);
  });

  it('text output: stdout is the id alone, the artifact path on stderr; --model-path and --name', async () => {
    const r = await tempRegistry({ hook: true }); // with the hook: no missing-hook warning, stderr is the path alone
    const res = await r.run('register', '--algo', 'mscn', '--name', 'exp', '--id', 'exp_1');
    expect(res.stdout).toBe('exp_1\n');
    expect(res.stderr).toBe(`artifact path: ${join(r.dir, 'artifacts/mscn/exp_1')}\n`);
    const given = await r.run('register', '--algo', 'mscn', '--model-path', 's3://bucket/m.pt', '--json');
    expect(given.json()).toMatchObject({ model_path: 's3://bucket/m.pt', artifact_path: null });
  });

  it('--checksum with --id checksums what is already at the layout path', async () => {
    const r = await tempRegistry();
    r.write('artifacts/mscn/m_9', 'weights');
    const res = await r.run('register', '--algo', 'mscn', '--id', 'm_9', '--checksum', '--json');
    expect(res.code).toBe(0);
    expect(JSON.parse(r.read('models/mscn/m_9.json')).artifact).toMatchObject({ size_bytes: 7 });
  });

  it('a registry without the artifacts key keeps today: no model_path unless given, artifact_path null', async () => {
    const r = await tempRegistry({ hook: true }); // with the hook: no missing-hook warning, so stderr is empty
    r.write('modelgit.yaml', r.read('modelgit.yaml').replace(/^artifacts:.*\n/m, ''));
    r.git('commit', '-qam', 'no artifacts layout');
    const res = await r.run('register', '--algo', 'mscn', '--json');
    expect(res.json()).toMatchObject({ model_path: null, artifact_path: null });
    expect(JSON.parse(r.read(res.json().path))).not.toHaveProperty('model_path');
    expect(res.stderr).toBe('');
  });

  it('an unknown placeholder in the layout is refused, naming the config; nothing written', async () => {
    const r = await tempRegistry();
    r.write('modelgit.yaml', r.read('modelgit.yaml').replace(/^artifacts:.*$/m, 'artifacts: "artifacts/{algo}/{model_id}"'));
    r.git('commit', '-qam', 'bad layout');
    const before = repoState(r.dir);
    const res = await r.run('register', '--algo', 'mscn');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/modelgit\.yaml/);
    expect(res.stderr).toMatch(/\/artifacts must match/);
    expect(repoState(r.dir)).toBe(before);
    expect((await r.run('validate', '--all')).code).toBe(1);
  });
});
