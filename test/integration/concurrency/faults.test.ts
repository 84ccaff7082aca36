// Faults that used to lie (issue #19 item 6, issue #15 "Faults"): a full disk, a read-only
// .git/modelgit, git's own failures next to a hook, a big model file, a committed symlink. The
// disk faults are real: a small tmpfs (or a read-only bind mount) mounted by the test, which
// needs root and a kernel that lets it mount; where it can't, those cases are skipped and say so.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Git } from '../../../src/git/git.js';
import { rollback } from '../../../src/store/write/commit.js';
import { DirtyStateError } from '../../../src/errors.js';
import { git, repoState, runCli, tempDir, tempRegistry, tempRepo, type CliResult } from '../../helpers.js';

const mounted: string[] = [];

/** Mounts a tmpfs of `size` at a new temporary directory; undefined where mounting isn't allowed. */
function tmpfs(size: string): string | undefined {
  const dir = tempDir('modelgit-tmpfs-');
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) return undefined;
  mounted.push(dir);
  return dir;
}

const canMount = (() => {
  if (process.getuid?.() !== 0) return false;
  const d = tmpfs('64k');
  return d !== undefined;
})();
if (!canMount) console.warn('faults.test.ts: cannot mount a tmpfs here (needs root); the full-disk and read-only cases are skipped');

afterAll(() => {
  for (const d of mounted.reverse()) spawnSync('umount', ['-l', d]);
});

function avail(dir: string): number {
  return Number(execFileSync('df', ['-B1', '--output=avail', dir], { encoding: 'utf8' }).trim().split('\n').pop());
}

/** Fills the file system of `dir` until `left` bytes are free (a file of zeros named `filler`). */
function fill(mount: string, left: number): void {
  const size = avail(mount) - left;
  if (size > 0) spawnSync('sh', ['-c', `head -c ${size} /dev/zero > filler 2>/dev/null`], { cwd: mount });
}

/** The first line of a message, and that there is no stack trace or "unexpected error" anywhere. */
function oneLine(res: CliResult): string {
  expect(res.stderr).not.toMatch(/unexpected error|\n\s+at .+:\d+:\d+/);
  return res.stderr.split('\n')[0]!;
}

/** A registry (hook installed) with one model and one result, on a small tmpfs. */
async function registryOnTmpfs(): Promise<{ mount: string; dir: string }> {
  const mount = tmpfs('4m')!;
  const dir = join(mount, 'r');
  mkdirSync(dir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.name', 'Test Author');
  git(dir, 'config', 'user.email', 'test@example.com');
  git(dir, 'config', 'commit.gpgsign', 'false');
  expect((await runCli(dir, 'init')).code).toBe(0);
  expect((await runCli(dir, 'register', '--algo', 'mscn', '--id', 'm1')).code).toBe(0);
  expect((await runCli(dir, 'test', 'm1', '--dataset', 'd1', '--metric', 'acc=0.5')).code).toBe(0);
  return { mount, dir };
}

describe.skipIf(!canMount)('a full disk (a real tmpfs)', () => {
  it('every failed write says what could not be written, in one line, and leaves index and working tree as they were', { timeout: 120_000 }, async () => {
    const { mount, dir } = await registryOnTmpfs();
    const seen = new Set<string>();
    // From a full disk upwards, one page at a time: each step runs out of space at a later point
    // of the write (its crash note, the model file, git's objects, git's index, the branch ref),
    // until the write fits. A `test` (changes a file HEAD has) and a `register` (adds one).
    // (register, which adds a file, at a few points only: the sweep costs a command per step.)
    for (const [args, steps] of [
      [['test', 'm1', '--dataset', 'd2', '--metric', 'acc=0.7'], [...Array(9).keys()].map((i) => i * 8192)],
      [['register', '--algo', 'mscn', '--id', 'm2'], [4096, 12288, 65536]],
    ] as const) {
      let landed = false;
      for (const left of steps) {
        const before = repoState(dir);
        fill(mount, left);
        const res = await runCli(dir, ...args);
        rmSync(join(mount, 'filler'), { force: true });
        if (res.code === 0) {
          landed = true;
          expect(git(dir, 'status', '--porcelain', '--untracked-files=all')).toBe('');
          break;
        }
        const line = oneLine(res);
        expect(res.code, res.stderr).toBe(1);
        expect(line, res.stderr).toMatch(/^modelgit: error: (could not write |git [a-z-]+ could not write to the repository)/);
        expect(line).toMatch(/no space left on device|out of diskspace|couldn't write/i);
        expect(line).not.toMatch(/hook/); // git's own object or index write is never blamed on the hook
        expect(res.stderr).not.toMatch(/could not be put back/);
        // Only said when verified: exactly as before, index and working tree and refs.
        if (/nothing was changed/.test(line)) expect(repoState(dir)).toBe(before);
        else expect(line).toMatch(/crash note|operation note|write lock/); // refused before anything was written
        expect(repoState(dir)).toBe(before);
        expect(readdirSync(join(dir, '.git')).filter((f) => /\.lock$|modelgit-before/.test(f))).toEqual([]);
        // Nor a torn lock, crash note or operation note of modelgit's own (the next write would trip on it).
        expect(readdirSync(join(dir, '.git', 'modelgit')).filter((f) => /^write\.lock|^pending/.test(f))).toEqual([]);
        const ops = join(dir, '.git', 'modelgit', 'operations');
        for (const f of existsSync(ops) ? readdirSync(ops) : []) expect(() => JSON.parse(readFileSync(join(ops, f), 'utf8')), f).not.toThrow();
        seen.add(/crash note|operation note|write lock|could not write models|update-index|git commit/.exec(line)?.[0] ?? line);
      }
      expect(landed, `${args[0]} never fitted`).toBe(true);
    }
    // The sweep met the disk at several different steps of a write.
    expect(seen.size).toBeGreaterThanOrEqual(3);
    // The next command works, and the registry is whole.
    expect(spawnSync('git', ['fsck', '--no-dangling'], { cwd: dir }).status).toBe(0);
    expect((await runCli(dir, 'list', '--json')).json().map((m: { model_id: string }) => m.model_id).sort()).toEqual(['m1', 'm2']);
  });

  it('reads answer on a full disk: a cache that cannot be written warns once and never fails them', { timeout: 60_000 }, async () => {
    const { mount, dir } = await registryOnTmpfs();
    rmSync(join(dir, '.git', 'modelgit'), { recursive: true, force: true });
    fill(mount, 0);
    try {
      for (const args of [['list'], ['show', 'm1'], ['best', '--algo', 'mscn', '--metric', 'acc', '--dataset', 'd1', '--direction', 'max'], ['history']]) {
        const res = await runCli(dir, ...args);
        expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(0);
        oneLine(res);
        expect(res.stderr.split('\n').filter((l) => /warning: could not write the cache/.test(l)).length).toBeLessThanOrEqual(1);
      }
    } finally {
      rmSync(join(mount, 'filler'), { force: true });
    }
  });
});

describe.skipIf(!canMount)('a read-only .git/modelgit (a read-only bind mount)', () => {
  it('a write fails at once with the real reason, not after a minute as "another running command"; reads still answer', { timeout: 60_000 }, async () => {
    const r = await tempRegistry();
    expect((await r.run('register', '--algo', 'mscn', '--id', 'm1')).code).toBe(0);
    const cache = join(r.dir, '.git', 'modelgit');
    mkdirSync(cache, { recursive: true });
    execFileSync('mount', ['--bind', cache, cache]);
    mounted.push(cache);
    execFileSync('mount', ['-o', 'remount,ro,bind', cache]);
    const before = repoState(r.dir);
    const started = Date.now();
    const res = await r.run('register', '--algo', 'mscn', '--id', 'm2', '--json');
    expect(Date.now() - started).toBeLessThan(15_000); // the lock library's retries took 63 s
    expect(res.code).toBe(1);
    expect(oneLine(res)).toMatch(/could not write modelgit's write lock \(.*write\.lock\): read-only file system \(EROFS\)/);
    expect(res.stderr).not.toMatch(/another modelgit command/);
    expect(res.stderr).toMatch(/"code":"STORAGE"/);
    expect(repoState(r.dir)).toBe(before);
    const list = await r.run('list', '--json');
    expect(list.code).toBe(0);
    expect(list.json()).toHaveLength(1);
  });
});

describe.skipIf(!canMount)('a read-only operation journal (.git/modelgit/operations, a read-only bind mount)', () => {
  it('the write stops before anything is written, saying which note it could not write', { timeout: 60_000 }, async () => {
    const r = await tempRegistry({ hook: true });
    const ops = join(r.dir, '.git', 'modelgit', 'operations');
    mkdirSync(ops, { recursive: true });
    execFileSync('mount', ['--bind', ops, ops]);
    mounted.push(ops);
    execFileSync('mount', ['-o', 'remount,ro,bind', ops]);
    const before = repoState(r.dir);
    const res = await r.run('register', '--algo', 'mscn', '--id', 'm1', '--operation-id', 'job-17');
    expect(res.code).toBe(1);
    expect(oneLine(res)).toMatch(/^modelgit: error: could not write the write's operation note \(.*operations\/.*\.json\): read-only file system \(EROFS\)/);
    expect(repoState(r.dir)).toBe(before);
    expect(readdirSync(join(r.dir, '.git', 'modelgit')).filter((f) => /^write\.lock|^pending/.test(f))).toEqual([]);
  });
});

describe('git failures are told apart from a hook', () => {
  it('a hook that passed is not blamed when git itself fails (a locked branch ref)', async () => {
    const r = await tempRegistry({ hook: true });
    expect((await r.run('register', '--algo', 'mscn', '--id', 'm1')).code).toBe(0);
    const before = repoState(r.dir);
    // git cannot move the branch: its ref lock exists. The pre-commit hook ran and passed.
    writeFileSync(join(r.dir, '.git', 'refs', 'heads', 'main.lock'), '');
    const res = await r.run('test', 'm1', '--dataset', 'd1', '--metric', 'acc=0.5', '--json');
    rmSync(join(r.dir, '.git', 'refs', 'heads', 'main.lock'));
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/git commit failed; nothing was changed/);
    expect(res.stderr).toMatch(/main\.lock/);
    expect(res.stderr).not.toMatch(/refused by a git hook/);
    expect(res.stderr).toMatch(/"code":"GIT"/);
    expect(repoState(r.dir)).toBe(before);
  });

  it('a hook that exits non-zero is still the hook, named in the JSON error', async () => {
    const r = await tempRegistry();
    writeFileSync(join(r.dir, '.git', 'hooks', 'commit-msg'), '#!/bin/sh\necho "no ticket number" >&2\nexit 3\n', { mode: 0o755 });
    const before = repoState(r.dir);
    const res = await r.run('register', '--algo', 'mscn', '--id', 'm1', '--json');
    expect(res.code).toBe(1);
    // --json: stderr is one JSON object; the hook's own words are in its message.
    const err = JSON.parse(res.stderr).error;
    expect(err.code).toBe('HOOK_REJECTED');
    expect(err.message).toMatch(/the commit was refused by a git hook; nothing was changed:\nno ticket number/);
    expect(err.hooks).toEqual([{ hook: 'commit-msg', code: 3 }]);
    expect(repoState(r.dir)).toBe(before);
  });
});

describe('reading which hook ran', () => {
  it('does not wait for a process a hook left running (it holds the trace pipe, not stdout)', async () => {
    const r = await tempRegistry();
    writeFileSync(join(r.dir, '.git', 'hooks', 'pre-commit'), '#!/bin/sh\n(exec </dev/null >/dev/null 2>&1; sleep 40) &\nexit 0\n', { mode: 0o755 });
    const started = Date.now();
    const res = await r.run('register', '--algo', 'mscn', '--id', 'm1');
    expect(res.code, res.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(25_000);
  });
});

describe('a rollback that cannot finish says what is left and how to clear it', () => {
  it('never claims "nothing was changed": names the staged path and gives the command', async () => {
    const dir = tempRepo();
    writeFileSync(join(dir, 'a.json'), '{"v":1}\n');
    git(dir, 'add', 'a.json');
    git(dir, 'commit', '-qm', 'a');
    const clean = repoState(dir);
    // A write got as far as staging its change; then git's index is locked by someone else.
    writeFileSync(join(dir, 'a.json'), '{"v":2}\n');
    writeFileSync(join(dir, 'b.json'), '{"new":true}\n');
    git(dir, 'add', 'a.json', 'b.json');
    writeFileSync(join(dir, '.git', 'index.lock'), '');
    const g = new Git(dir);
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    const err = await rollback(g, ['a.json', 'b.json'], new Set(['a.json']), head).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DirtyStateError);
    const e = err as DirtyStateError;
    expect(e.message).toMatch(/^the repository could not be put back as it was \(fatal: Unable to create '.*index\.lock': File exists\.\): a\.json staged, b\.json staged$/);
    expect(e.hint).toBe('git reset -q HEAD -- "a.json" "b.json"');
    // The working tree was put back (it needs no index); the command given clears the rest.
    expect(existsSync(join(dir, 'b.json'))).toBe(false);
    rmSync(join(dir, '.git', 'index.lock'));
    execFileSync('sh', ['-c', e.hint!], { cwd: dir });
    expect(repoState(dir)).toBe(clean);
  });
});

describe('committed symbolic links in models/', () => {
  it('are refused by validate --all (as by --staged and --since) and never read as a model', async () => {
    const r = await tempRegistry();
    expect((await r.run('register', '--algo', 'mscn', '--id', 'm1')).code).toBe(0);
    const base = r.git('rev-parse', 'HEAD').trim();
    // A link whose target text is itself valid model JSON would parse if its blob were read as a file.
    const target = JSON.stringify({ schema_version: 2, model_id: 'm2', algorithm: 'mscn', created_at: '2024-10-19T10:30:00Z', testing: [], tags: [] });
    symlinkSync(target, join(r.dir, 'models', 'mscn', 'm2.json'));
    symlinkSync('m1.json', join(r.dir, 'models', 'mscn', 'm3.json'));
    r.git('add', 'models/mscn');
    r.git('commit', '-qm', 'links', '--no-verify');
    for (const args of [['--all'], ['--since', base]]) {
      const res = await r.run('validate', ...args);
      expect(res.code, args.join(' ')).toBe(1);
      expect(res.stdout + res.stderr).toMatch(/models\/mscn\/m2\.json:1:1: \/: a model file must be a regular file \(this is mode 120000, a symbolic link\)/);
      expect(res.stdout + res.stderr).toMatch(/models\/mscn\/m3\.json:1:1: .*symbolic link/);
    }
    const list = await r.run('list', '--json');
    expect(list.code).toBe(0);
    expect(list.json().map((m: { model_id: string }) => m.model_id)).toEqual(['m1']);
    expect(list.stderr).not.toMatch(/m[23]\.json/); // not read as a file, not even to warn about it
    expect((await r.run('list', '--json')).json()).toHaveLength(1); // cached read agrees
  });
});

describe('a big model file', () => {
  it('show of a 20 MB model file answers in seconds, naming the size limit (blob reads were quadratic: 2 min at 50 MB)', { timeout: 120_000 }, async () => {
    const r = await tempRegistry();
    expect((await r.run('register', '--algo', 'mscn', '--id', 'big')).code).toBe(0);
    const meta = JSON.parse(r.read('models/mscn/big.json'));
    meta.notes = 'x'.repeat(20 * 1024 * 1024);
    r.write('models/mscn/big.json', JSON.stringify(meta, null, 2) + '\n');
    r.git('commit', '-qam', 'big', '--no-verify');
    const started = Date.now();
    const res = await r.run('show', 'big', '--json');
    const elapsed = Date.now() - started;
    // Past the 1 MiB limit a model file is invalid (limits.ts): show says so, after reading it whole.
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/big/);
    expect(res.stderr).toMatch(/max-file-size/);
    // Only a guard (this machine may be loaded): the unit test of BatchRecords asserts linearity.
    expect(elapsed).toBeLessThan(30_000);
  });
});
