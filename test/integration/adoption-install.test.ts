// modelgit is never published to a package registry, so it must install from its own source:
// `npm pack` in a clone builds it (the `prepare` script) into a tarball that holds dist/, and
// `npm install -g` of that tarball, from an empty directory, gives a `modelgit` that works with
// no TypeScript around. Run for real here: pack a snapshot of this work tree, install it into a
// temp prefix (its runtime dependencies come from the npm registry), and use it on a machine
// whose PATH has no other modelgit.
import { existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { git, tempDir, tempRepo } from '../helpers.js';
import { ROOT, cleanEnv, sh, sourceSnapshot } from './adoption-helpers.js';

describe('installing modelgit from source', () => {
  it('package.json builds on prepare, ships dist/ and names its repository', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.prepare).toBe('npm run build');
    expect(pkg.files).toContain('dist');
    expect(pkg.bin).toEqual({ modelgit: 'dist/cli/main.js' });
    expect(pkg.repository.url).toBe('git+https://github.com/modelgit/modelgit.git');
    // dist/ is built, never committed.
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8')).toMatch(/^dist\/$/m);
  });

  it('npm pack builds a tarball with dist/ inside; npm install -g of it in an empty directory runs init, register, test and best', () => {
    const src = sourceSnapshot();
    expect(existsSync(join(src.dir, 'dist'))).toBe(false);
    // The clone's dependencies (typescript and the bundler, for prepare) as `npm install` would put them.
    symlinkSync(join(ROOT, 'node_modules'), join(src.dir, 'node_modules'));
    const env = cleanEnv();
    const pack = sh(src.dir, env, 'npm', ['pack', '--no-audit', '--no-fund']);
    expect(pack, pack.out).toMatchObject({ code: 0 });
    // Exactly the file name: the pre-commit framework reads it from this output.
    expect(pack.stdout).toBe('modelgit-0.1.0.tgz\n');
    // From the clone, `npx modelgit` runs the clone's own build (never a registry package).
    const npx = sh(src.dir, env, 'npx', ['--no-install', 'modelgit', '--version']);
    expect(npx, npx.out).toMatchObject({ code: 0, stdout: '0.1.0\n' });
    const tarball = join(src.dir, 'modelgit-0.1.0.tgz');
    const listing = sh(src.dir, env, 'tar', ['tzf', tarball]).stdout.split('\n');
    expect(listing).toContain('package/dist/cli/main.js');
    expect(listing).toContain('package/hooks/pre-commit');
    expect(listing).toContain('package/schemas/model.schema.json');
    expect(listing.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toBe(false);

    const empty = tempDir('modelgit-empty-');
    const prefix = tempDir('modelgit-prefix-');
    const install = sh(empty, env, 'npm', ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', tarball]);
    expect(install, install.out).toMatchObject({ code: 0 });
    const bin = join(prefix, 'bin');
    expect(existsSync(join(bin, 'modelgit'))).toBe(true);
    // The installed copy stands alone: no TypeScript, nothing from this checkout.
    expect(existsSync(join(prefix, 'lib', 'node_modules', 'modelgit', 'node_modules', 'typescript'))).toBe(false);

    const user = cleanEnv({ PATH: `${bin}:${env.PATH}` });
    const reg = tempRepo();
    const run = (...args: string[]) => sh(reg, user, 'modelgit', args, 60_000);
    expect(run('init')).toMatchObject({ code: 0 });
    const id = run('register', '--algo', 'mscn', '--id', 'first');
    expect(id, id.out).toMatchObject({ code: 0 });
    expect(run('test', 'first', '--dataset', 'production', '--metric', 'total_time=42').code).toBe(0);
    const best = run('best', '--algo', 'mscn', '--field', 'model_id');
    expect(best, best.out).toMatchObject({ code: 0, stdout: 'first\n' });
    expect(git(reg, 'ls-files')).toContain('models/mscn/first.json');
  }, 600_000);

  it('npm install of the git URL into a project builds it there (devDependencies for prepare), and npx modelgit runs it', () => {
    const src = sourceSnapshot();
    git(src.dir, 'tag', 'v0.1.0');
    const project = tempDir('modelgit-project-');
    writeFileSync(join(project, 'package.json'), '{ "name": "training", "private": true }\n');
    const env = cleanEnv();
    const install = sh(project, env, 'npm', ['install', '--no-audit', '--no-fund', `git+file://${src.dir}#v0.1.0`]);
    expect(install, install.out).toMatchObject({ code: 0 });
    expect(existsSync(join(project, 'node_modules', 'modelgit', 'dist', 'cli', 'main.js'))).toBe(true);
    const reg = tempRepo();
    expect(sh(reg, env, 'npx', ['--prefix', project, '--no-install', 'modelgit', 'init']).code).toBe(0);
    const version = sh(project, env, 'npx', ['--no-install', 'modelgit', '--version']);
    expect(version, version.out).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  }, 600_000);
});
