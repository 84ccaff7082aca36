// `modelgit init` and `modelgit hooks install`: creating or adopting a registry in one commit,
// and installing the hook without ever clobbering someone else's.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, repoState, runCli, tempDir, tempRepo } from '../helpers.js';

function gitTry(dir: string, ...args: string[]): { code: number; out: string } {
  const r = spawnSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env } });
  return { code: r.status ?? 1, out: `${r.stdout}${r.stderr}` };
}

function writeHook(path: string, body: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
}

const isExecutable = (p: string) => (statSync(p).mode & 0o111) !== 0;

/** Everything under .git/hooks except git's own samples. */
function hooksOf(dir: string, hooksDir = join(dir, '.git/hooks')): Record<string, string> {
  if (!existsSync(hooksDir)) return {};
  return Object.fromEntries(readdirSync(hooksDir).filter((f) => !f.endsWith('.sample')).map((f) => [f, readFileSync(join(hooksDir, f), 'utf8')]));
}

describe('modelgit init', () => {
  it('creates the directory, the repository, the files and the hook in one commit', async () => {
    const parent = tempDir();
    const res = await runCli(parent, 'init', 'reg', '--json');
    expect(res.code).toBe(0);
    const dir = join(parent, 'reg');
    const out = res.json();
    expect(out).toMatchObject({ created_repo: true, files: ['modelgit.yaml', 'stages.yaml', 'models/.gitkeep', '.gitignore'], hook: { action: 'installed', path: join(dir, '.git/hooks/pre-commit') } });
    expect(git(dir, 'rev-list', '--count', 'HEAD').trim()).toBe('1');
    expect(git(dir, 'rev-parse', 'HEAD').trim()).toBe(out.commit);
    expect(git(dir, 'log', '-1', '--format=%B')).toBe('init modelgit registry\n\nModel-Action: init\n\n');
    expect(git(dir, 'ls-files').split('\n').filter(Boolean).sort()).toEqual(['.gitignore', 'modelgit.yaml', 'models/.gitkeep', 'stages.yaml']);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(isExecutable(join(dir, '.git/hooks/pre-commit'))).toBe(true);
    expect((await runCli(dir, 'validate', '--all', '--json')).json()).toMatchObject({ ok: true, checked: 2 });
    // The hook works: a bad model is refused by git itself.
    writeFileSync(join(dir, 'models/bad.json'), '{}');
    git(dir, 'add', '-A');
    const commit = gitTry(dir, 'commit', '-m', 'bad');
    expect(commit.code).not.toBe(0);
    expect(commit.out).toMatch(/models\/bad\.json:1:1: \/: a model file belongs at models\/<algorithm>\/<model_id>\.json/);
  });

  it('adopts an existing repository and leaves its other files untouched, content and status', async () => {
    const dir = tempRepo();
    writeFileSync(join(dir, 'README.md'), 'our project\n');
    writeFileSync(join(dir, 'train.py'), 'print(1)\n');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'existing work');
    writeFileSync(join(dir, 'train.py'), 'print(2)\n'); // an unstaged edit
    writeFileSync(join(dir, 'scratch.txt'), 'untracked\n');
    const statusBefore = git(dir, 'status', '--porcelain', '--untracked-files=all');
    const res = await runCli(dir, 'init', '--json');
    expect(res.code).toBe(0);
    expect(res.json().created_repo).toBe(false);
    expect(git(dir, 'rev-list', '--count', 'HEAD').trim()).toBe('2');
    expect(git(dir, 'show', '--name-only', '--format=', 'HEAD').split('\n').filter(Boolean).sort()).toEqual(['.gitignore', 'modelgit.yaml', 'models/.gitkeep', 'stages.yaml']);
    expect(readFileSync(join(dir, 'README.md'), 'utf8')).toBe('our project\n');
    expect(readFileSync(join(dir, 'train.py'), 'utf8')).toBe('print(2)\n');
    expect(readFileSync(join(dir, 'scratch.txt'), 'utf8')).toBe('untracked\n');
    expect(git(dir, 'status', '--porcelain', '--untracked-files=all')).toBe(statusBefore);
  });

  it('adopts a stages.yaml that is already there instead of overwriting it', async () => {
    const dir = tempRepo();
    writeFileSync(join(dir, 'stages.yaml'), 'mscn: {}\n');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-qm', 'stages first');
    const res = await runCli(dir, 'init', '--json');
    expect(res.json().files).toEqual(['modelgit.yaml', 'models/.gitkeep', '.gitignore']);
    expect(readFileSync(join(dir, 'stages.yaml'), 'utf8')).toBe('mscn: {}\n');
  });

  it('refuses to init twice, changing nothing', async () => {
    const dir = tempRepo();
    expect((await runCli(dir, 'init')).code).toBe(0);
    const before = repoState(dir);
    const hooks = hooksOf(dir);
    const res = await runCli(dir, 'init');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/already a modelgit registry \(modelgit\.yaml exists\)/);
    expect(res.stderr).toMatch(/hint: modelgit hooks install/);
    expect(repoState(dir)).toBe(before);
    expect(hooksOf(dir)).toEqual(hooks);
  });

  it('refuses a dirty index, naming the staged file, and writes nothing (not even the hook)', async () => {
    const dir = tempRepo();
    writeFileSync(join(dir, 'a.txt'), 'a\n');
    git(dir, 'add', 'a.txt');
    git(dir, 'commit', '-qm', 'a');
    writeFileSync(join(dir, 'a.txt'), 'changed\n');
    git(dir, 'add', 'a.txt');
    const before = repoState(dir);
    const res = await runCli(dir, 'init');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/staged changes \(a\.txt\)/);
    expect(repoState(dir)).toBe(before);
    expect(hooksOf(dir)).toEqual({});
  });

  it('refuses a directory inside another repository, and removes the directory it made', async () => {
    const dir = tempRepo();
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'root');
    const before = repoState(dir);
    const res = await runCli(dir, 'init', 'sub/registry');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/is inside the git repository .*; a registry is a whole repository/);
    expect(existsSync(join(dir, 'sub/registry'))).toBe(false);
    expect(repoState(dir)).toBe(before);
  });

  it('refuses a bare repository', async () => {
    const dir = tempDir();
    git(dir, 'init', '-q', '--bare');
    const res = await runCli(dir, 'init');
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/bare repository/);
    expect(existsSync(join(dir, 'modelgit.yaml'))).toBe(false);
  });

  it('refuses another tool\'s pre-commit hook without --chain or --force, changing nothing', async () => {
    const dir = tempRepo();
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'root');
    writeHook(join(dir, '.git/hooks/pre-commit'), 'echo lint');
    const before = repoState(dir);
    const hooks = hooksOf(dir);
    const res = await runCli(dir, 'init');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/is another tool's pre-commit hook; modelgit will not clobber it/);
    expect(res.stderr).toMatch(/--chain/);
    expect(repoState(dir)).toBe(before);
    expect(hooksOf(dir)).toEqual(hooks);
  });

  it('removes a repository it created when it has to refuse', async () => {
    // A git template that ships a hook: the new repository comes with a foreign pre-commit.
    const template = tempDir();
    writeHook(join(template, 'hooks/pre-commit'), 'exit 0');
    const parent = tempDir();
    const res = await new Promise<Awaited<ReturnType<typeof runCli>>>((resolve) => {
      const saved = process.env.GIT_TEMPLATE_DIR;
      process.env.GIT_TEMPLATE_DIR = template;
      runCli(parent, 'init', 'fresh').then((r) => {
        if (saved === undefined) delete process.env.GIT_TEMPLATE_DIR;
        else process.env.GIT_TEMPLATE_DIR = saved;
        resolve(r);
      });
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/another tool's pre-commit hook/);
    expect(existsSync(join(parent, 'fresh'))).toBe(false);
  });

  it('--chain keeps the existing hook and runs it before the modelgit check', async () => {
    const dir = tempRepo();
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'root');
    const log = join(dir, '.git', 'hook-log');
    writeHook(join(dir, '.git/hooks/pre-commit'), `echo foreign >> '${log}'\n[ -e "$(git rev-parse --git-dir)/block" ] && { echo "foreign hook says no" >&2; exit 3; }\nexit 0`);
    const res = await runCli(dir, 'init', '--chain', '--json');
    expect(res.code).toBe(0);
    expect(res.json().hook).toMatchObject({ action: 'chained', backup: join(dir, '.git/hooks/pre-commit.local') });
    expect(readFileSync(log, 'utf8')).toBe('foreign\n'); // it ran for init's own commit
    // Order: a wrapper around modelgit logs after the foreign hook did.
    const wrapper = join(tempDir(), 'modelgit-wrapper');
    writeHook(wrapper, `echo modelgit >> '${log}'\nexec node '${join(process.cwd(), 'dist/cli/main.js')}' "$@"`);
    writeFileSync(join(dir, 'x.txt'), 'x');
    git(dir, 'add', 'x.txt');
    const ok = spawnSync('git', ['commit', '-qm', 'x'], { cwd: dir, encoding: 'utf8', env: { ...process.env, MODELGIT: wrapper } });
    expect(ok.status).toBe(0);
    expect(readFileSync(log, 'utf8')).toBe('foreign\nforeign\nmodelgit\n');
    // When the chained hook refuses, its exit code stops the commit and modelgit is not asked.
    writeFileSync(join(dir, '.git/block'), '');
    writeFileSync(join(dir, 'y.txt'), 'y');
    git(dir, 'add', 'y.txt');
    const refused = spawnSync('git', ['commit', '-qm', 'y'], { cwd: dir, encoding: 'utf8', env: { ...process.env, MODELGIT: wrapper } });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/foreign hook says no/);
    expect(readFileSync(log, 'utf8')).toBe('foreign\nforeign\nmodelgit\nforeign\n');
    // A modelgit write refused by the chained hook says so and leaves the repository as it was.
    git(dir, 'reset', '-q');
    const before = repoState(dir);
    const reg = await runCli(dir, 'register', '--algo', 'mscn');
    expect(reg.code).toBe(1);
    expect(reg.stderr).toMatch(/the commit was refused by a git hook; nothing was changed/);
    expect(reg.stderr).toMatch(/foreign hook says no/);
    expect(repoState(dir)).toBe(before);
  });

  it('--force replaces the existing hook, keeping a backup that never overwrites an older one', async () => {
    const dir = tempRepo();
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'root');
    writeHook(join(dir, '.git/hooks/pre-commit'), 'echo old');
    writeFileSync(join(dir, '.git/hooks/pre-commit.backup'), 'an even older backup');
    const res = await runCli(dir, 'init', '--force', '--json');
    expect(res.code).toBe(0);
    expect(res.json().hook).toMatchObject({ action: 'replaced', backup: join(dir, '.git/hooks/pre-commit.backup.2') });
    const hooks = hooksOf(dir);
    expect(hooks['pre-commit']).toMatch(/modelgit pre-commit hook/);
    expect(hooks['pre-commit.backup.2']).toBe('#!/bin/sh\necho old\n');
    expect(hooks['pre-commit.backup']).toBe('an even older backup');
  });

  it('puts the hook where core.hooksPath says, and git runs it from there', async () => {
    const dir = tempRepo();
    git(dir, 'config', 'core.hooksPath', '.githooks');
    const res = await runCli(dir, 'init', '--json');
    expect(res.code).toBe(0);
    expect(res.json().hook.path).toBe(join(dir, '.githooks/pre-commit'));
    expect(existsSync(join(dir, '.git/hooks/pre-commit'))).toBe(false);
    writeFileSync(join(dir, 'models/x.json'), '{}');
    git(dir, 'add', 'models/x.json');
    const commit = gitTry(dir, 'commit', '-m', 'x');
    expect(commit.code).not.toBe(0);
    expect(commit.out).toMatch(/models\/x\.json:1:1:/);
  });
});

describe('modelgit hooks install', () => {
  it('installs into an existing registry, and again reports updated', async () => {
    const dir = tempRepo();
    expect((await runCli(dir, 'init', '--no-hook')).code).toBe(0);
    expect(hooksOf(dir)).toEqual({});
    const first = await runCli(join(dir, 'models'), 'hooks', 'install', '--json');
    expect(first.code).toBe(0);
    expect(first.json()).toEqual({ path: join(dir, '.git/hooks/pre-commit'), action: 'installed' });
    const second = await runCli(dir, 'hooks', 'install');
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(`${join(dir, '.git/hooks/pre-commit')}\n`);
    expect(second.stderr).toMatch(/pre-commit hook updated/);
  });

  it('refuses a foreign hook, then chains it on request', async () => {
    const dir = tempRepo();
    await runCli(dir, 'init', '--no-hook');
    writeHook(join(dir, '.git/hooks/pre-commit'), 'echo mine');
    const refused = await runCli(dir, 'hooks', 'install');
    expect(refused.code).toBe(1);
    expect(readFileSync(join(dir, '.git/hooks/pre-commit'), 'utf8')).toBe('#!/bin/sh\necho mine\n');
    const chained = await runCli(dir, 'hooks', 'install', '--chain');
    expect(chained.code).toBe(0);
    expect(chained.stderr).toMatch(/chained.*pre-commit\.local/);
    expect(readFileSync(join(dir, '.git/hooks/pre-commit.local'), 'utf8')).toBe('#!/bin/sh\necho mine\n');
    // A second foreign hook can't be chained over the first one.
    writeHook(join(dir, '.git/hooks/pre-commit'), 'echo another');
    const again = await runCli(dir, 'hooks', 'install', '--chain');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/pre-commit\.local already exists/);
  });

  it('refuses outside a registry (the hook would refuse every commit) and --chain with --force', async () => {
    const dir = tempRepo();
    const res = await runCli(dir, 'hooks', 'install');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/not a modelgit registry/);
    expect(hooksOf(dir)).toEqual({});
    await runCli(dir, 'init', '--no-hook');
    const both = await runCli(dir, 'hooks', 'install', '--chain', '--force');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/one of --chain .* and --force/);
  });
});
