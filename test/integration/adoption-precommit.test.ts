// The pre-commit framework, for real: a registry's .pre-commit-config.yaml points at a clone of
// this repository and a `rev`, and `pre-commit` (Debian's, the real client) installs modelgit from
// that source by itself (`language: node`: npm install, which builds on prepare, npm pack, npm
// install -g into its own environment) on a machine with no modelgit on PATH. Then git commit
// refuses a bad model file, naming it, and takes a good one — in a registry whose models_dir is
// not the default, which a `files:` pattern in .pre-commit-hooks.yaml could not follow.
// Slow (pre-commit installs modelgit's dependencies from the npm registry), so one registry and
// one hook environment serve every check.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLI, git, tempDir, tempRegistry, tempRepo } from '../helpers.js';
import { ROOT, cleanEnv, sh, sourceSnapshot } from './adoption-helpers.js';

const HAS_PRE_COMMIT = spawnSync('pre-commit', ['--version']).status === 0;

describe('.pre-commit-hooks.yaml', () => {
  it('declares a node hook that validates the staged registry on every commit', () => {
    const hooks = parse(readFileSync(join(ROOT, '.pre-commit-hooks.yaml'), 'utf8'));
    expect(hooks).toEqual([
      expect.objectContaining({ id: 'modelgit-validate', entry: 'modelgit validate --staged', language: 'node', pass_filenames: false, always_run: true }),
    ]);
    // No file pattern: models_dir is the registry's choice.
    expect(hooks[0]).not.toHaveProperty('files');
  });

  it.skipIf(!HAS_PRE_COMMIT)('pre-commit installs modelgit from the repository at rev, and the commit hook refuses a bad model file and takes a good one (skipped: no pre-commit on PATH)', async () => {
    const src = sourceSnapshot();
    // A good model file, as modelgit writes it, from a scratch registry.
    const scratch = await tempRegistry();
    expect((await scratch.run('register', '--algo', 'mscn', '--id', 'good')).code).toBe(0);
    const goodJson = scratch.read('models/mscn/good.json');

    // The registry: models under zoo/, pre-commit pointing at the source clone.
    const reg = tempRepo();
    const env = cleanEnv({ PRE_COMMIT_HOME: tempDir('modelgit-pre-commit-home-') });
    expect(sh(reg, env, process.execPath, [CLI, 'init', '--no-hook']).code).toBe(0);
    writeFileSync(join(reg, 'modelgit.yaml'), readFileSync(join(reg, 'modelgit.yaml'), 'utf8').replace('models_dir: models', 'models_dir: zoo'));
    writeFileSync(
      join(reg, '.pre-commit-config.yaml'),
      `repos:\n  - repo: file://${src.dir}\n    rev: ${src.rev}\n    hooks:\n      - id: modelgit-validate\n`,
    );
    git(reg, 'add', '-A');
    git(reg, 'commit', '-q', '--no-verify', '-m', 'models in zoo; pre-commit');

    expect(sh(reg, env, 'sh', ['-c', 'command -v modelgit']).code).not.toBe(0);
    const install = sh(reg, env, 'pre-commit', ['install']);
    expect(install, install.out).toMatchObject({ code: 0 });
    // Installs the hook environment (npm install, build, pack, install) from the clone at rev.
    const warm = sh(reg, env, 'pre-commit', ['install-hooks'], 400_000);
    expect(warm, warm.out).toMatchObject({ code: 0 });

    mkdirSync(join(reg, 'zoo/mscn'), { recursive: true });
    writeFileSync(join(reg, 'zoo/mscn/c.json'), '{"model_id": "c", "algorithm": "mscn", "testing": "none"}\n');
    git(reg, 'add', '-A');
    const head = git(reg, 'rev-parse', 'HEAD');
    const bad = sh(reg, env, 'git', ['commit', '-m', 'a bad model']);
    expect(bad.code, bad.out).not.toBe(0);
    expect(bad.out).toMatch(/modelgit validate \(staged model metadata\)\.+Failed/);
    expect(bad.out).toMatch(/zoo\/mscn\/c\.json:\d+:\d+: /);
    expect(git(reg, 'rev-parse', 'HEAD')).toBe(head);

    git(reg, 'rm', '-q', '-f', 'zoo/mscn/c.json');
    mkdirSync(join(reg, 'zoo/mscn'), { recursive: true });
    writeFileSync(join(reg, 'zoo/mscn/good.json'), goodJson);
    git(reg, 'add', '-A');
    const good = sh(reg, env, 'git', ['commit', '-m', 'a good model']);
    expect(good, good.out).toMatchObject({ code: 0 });
    expect(good.out).toMatch(/modelgit validate \(staged model metadata\)\.+Passed/);
    expect(git(reg, 'ls-files', 'zoo')).toBe('zoo/mscn/good.json\n');
  }, 600_000);
});
