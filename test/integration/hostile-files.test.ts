// Hostile files (issue 19, items 3 and 4): a model file nested thousands of levels deep, artifacts
// that are FIFOs, devices, symlink loops or links out of their directory, recorded paths that
// climb out with `../`, and cache files replaced by FIFOs or links to /dev/zero. Each case must
// end quickly with a clear message (never a hang, a RangeError or a stack trace) and leave the
// repository as it was. Every CLI run here is killed after a bound, so a regression fails
// instead of hanging the suite.
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checksumOf, register } from '../../src/registry/register.js';
import { recordTest } from '../../src/registry/record-test.js';
import { verifyMetadata } from '../../src/registry/verify.js';
import { CLI, repoState, steppingClock, tempDir, tempRegistry, type CliResult, type TempRegistry } from '../helpers.js';

const BOUND_MS = 30_000;

/** The built CLI, killed after BOUND_MS (a hang is a failure, not a stuck suite). */
function run(cwd: string, args: string[], env: Record<string, string> = {}): Promise<CliResult & { killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, BOUND_MS);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr, killed, json: () => JSON.parse(stdout) });
    });
  });
}

const NO_TRACE = /\n\s+at |RangeError|TypeError|unexpected error/;

function metaText(id: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ schema_version: 2, model_id: id, algorithm: 'mscn', created_at: '2024-10-19T10:30:00Z', testing: [], tags: [], ...fields }, null, 2) + '\n';
}

/** A model file whose `extra` nests `depth` arrays (built as text: JSON.stringify itself overflows). */
function deepText(id: string, depth: number): string {
  const base = metaText(id, { extra: { deep: 0 } });
  return base.replace('"deep": 0', `"deep": ${'['.repeat(depth)}${']'.repeat(depth)}`);
}

/** A registry with one tested model, `good` (made through the API: faster than the CLI). */
async function withModel(opts: { hook?: boolean } = {}): Promise<TempRegistry> {
  const r = await tempRegistry(opts);
  const reg = await r.open(steppingClock());
  await register(reg, { algorithm: 'mscn', id: 'good', dataset: 'production' });
  await recordTest(reg, { id: 'good', dataset: 'production', metrics: ['total_time=40'] });
  return r;
}

function commitNoVerify(r: TempRegistry, message: string): void {
  r.git('add', '-A');
  r.git('commit', '-q', '--no-verify', '-m', message);
}

describe('deep nesting and size (item 3)', () => {
  it('validate refuses a file nested past 64 levels and one over 1 MiB, each with file:line:column and the rule', async () => {
    const r = await withModel();
    r.write('models/mscn/deep.json', deepText('deep', 4000));
    r.write('models/mscn/big.json', metaText('big', { notes: 'x'.repeat((1 << 20) + 10) }));
    const before = repoState(r.dir);
    const res = await run(r.dir, ['validate']);
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/^models\/mscn\/deep\.json:\d+:\d+: .*nested more than 64 levels deep.*\[max-depth\]$/m);
    expect(res.stdout).toMatch(/^models\/mscn\/big\.json:1:1: .*at most 1048576 bytes \[max-file-size\]$/m);
    expect(res.stdout + res.stderr).not.toMatch(NO_TRACE);
    expect(repoState(r.dir)).toBe(before);
  });

  it('the hook and validate --since refuse 9,000 levels without crashing', async () => {
    const r = await tempRegistry({ hook: true });
    r.write('models/mscn/deep.json', deepText('deep', 9000));
    r.git('add', 'models/mscn/deep.json');
    const hook = await run(r.dir, ['validate', '--staged']);
    expect(hook.code).toBe(1);
    expect(hook.stdout).toMatch(/deep\.json:\d+:\d+: .*\[max-depth\]/);
    expect(hook.stdout + hook.stderr).not.toMatch(NO_TRACE);
    const base = r.git('rev-parse', 'HEAD').trim();
    r.git('commit', '-q', '--no-verify', '-m', 'deep');
    const since = await run(r.dir, ['validate', '--since', base]);
    expect(since.code).toBe(1);
    expect(since.stdout).toMatch(/\[max-depth\]/);
    expect(since.stdout + since.stderr).not.toMatch(NO_TRACE);
  });

  it('a committed over-deep file is an invalid file to cached reads: refused by name, and list, best, show and report answer with --skip-invalid', async () => {
    const r = await withModel();
    r.write('models/mscn/deep.json', deepText('deep', 4000));
    commitNoVerify(r, 'deep file past the hook');
    // An answer that could depend on the file is refused, naming it and the rule (never a RangeError).
    const refused = await run(r.dir, ['best', '--algo', 'mscn', '--metric', 'total_time']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/models\/mscn\/deep\.json:\d+:\d+: .*\[max-depth\]/);
    expect(refused.stderr).not.toMatch(NO_TRACE);
    // (the first list builds the cache, every later read uses it)
    const skip = ['--skip-invalid'];
    for (const args of [['list', '--json', ...skip], ['list', '--json', ...skip], ['best', '--algo', 'mscn', '--metric', 'total_time', '--json', ...skip], ['show', 'good', '--json'], ['report', '--out', tempDir(), ...skip]]) {
      const res = await run(r.dir, args);
      expect(res.code, `${args.join(' ')}: ${res.stderr}`).toBe(0);
      expect(res.stderr).not.toMatch(NO_TRACE);
      if (args[0] === 'list') expect(res.json().map((m: { model_id: string }) => m.model_id)).toEqual(['good']);
      if (args[0] === 'best') expect(res.json().model_id).toBe('good');
    }
  });
});

describe('artifacts that hang or escape (item 4)', () => {
  it('register --checksum refuses a FIFO by name, at once, and writes nothing', async () => {
    const r = await withModel();
    const fifo = join(tempDir(), 'fifo');
    execFileSync('mkfifo', [fifo]);
    const before = repoState(r.dir);
    const res = await run(r.dir, ['register', '--algo', 'mscn', '--model-path', fifo, '--checksum']);
    expect(res.killed).toBe(false);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/fifo is a FIFO \(named pipe\); only a regular file or a directory can be checksummed/);
    expect(res.stderr).not.toMatch(NO_TRACE);
    expect(repoState(r.dir)).toBe(before);
  });

  it('checksums refuse a device, a symlink loop and a directory with a link out; a link that stays inside is followed', async () => {
    const dir = tempDir();
    symlinkSync(join(dir, 'loop-b'), join(dir, 'loop-a'));
    symlinkSync(join(dir, 'loop-a'), join(dir, 'loop-b'));
    const ckpt = join(dir, 'ckpt');
    mkdirSync(join(ckpt, 'sub'), { recursive: true });
    writeFileSync(join(ckpt, 'sub', 'w.bin'), 'weights');
    symlinkSync('sub/w.bin', join(ckpt, 'latest.bin'));
    symlinkSync('..', join(ckpt, 'sub', 'up')); // a loop back inside: entered once
    const art = await checksumOf(ckpt, dir);
    expect(art.files!.map((f) => f.path)).toEqual(['latest.bin', 'sub/w.bin']);
    expect(art.files![0]!.sha256).toBe(art.files![1]!.sha256);
    expect((await verifyMetadata({ model_id: 'm', algorithm: 'mscn', testing: [], tags: [], model_path: ckpt, artifact: art }, dir)).ok).toBe(true);
    await expect(checksumOf('/dev/zero', dir)).rejects.toThrow(/\/dev\/zero is a character device/);
    await expect(checksumOf(join(dir, 'loop-a'), dir)).rejects.toThrow(/loop-a/);
    symlinkSync('/etc/passwd', join(ckpt, 'leak'));
    await expect(checksumOf(ckpt, dir)).rejects.toThrow(/leak in .* is a symbolic link to \/etc\/passwd, outside the artifact directory; refused/);
  });

  it('verify refuses artifact.files paths that climb out, and never prints the outside file size or hash', async () => {
    const r = await withModel();
    const root = tempDir();
    const ckpt = join(root, 'ckpt');
    mkdirSync(ckpt);
    writeFileSync(join(ckpt, 'w.bin'), 'weights');
    writeFileSync(join(root, 'secret.txt'), 'top secret 123');
    await register(await r.open(), { algorithm: 'mscn', id: 'esc', modelPath: ckpt, checksum: true });
    const meta = JSON.parse(r.read('models/mscn/esc.json'));
    meta.artifact.files.push({ path: '../secret.txt', sha256: '0'.repeat(64), size_bytes: 14 });
    r.write('models/mscn/esc.json', JSON.stringify(meta, null, 2) + '\n');
    const v = await run(r.dir, ['validate']);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(/esc\.json:\d+:\d+: \/artifact\/files\/1\/path: .*must be a path inside the artifact directory: relative, no "\.\." segment/);
    commitNoVerify(r, 'escaping path past the hook');
    const res = await run(r.dir, ['verify', 'esc', '--json']);
    expect(res.code).toBe(1);
    const checks = res.json().checks as { name: string; ok: boolean; detail: string }[];
    const bad = checks.find((c) => c.name === 'file:../secret.txt');
    expect(bad).toMatchObject({ ok: false });
    expect(bad!.detail).toMatch(/^refused: .*climbs out/);
    expect(res.stdout).not.toMatch(/14 bytes/);
    expect(checks.filter((c) => c.name.includes('secret') && c.ok)).toEqual([]);
  });

  it('import never follows a legacy model_path that leads outside the registry and the source: not checksummed, not recorded as model_path, named as missing; --strict refuses', async () => {
    const r = await withModel();
    const outside = tempDir();
    writeFileSync(join(outside, 'shadow'), 'root:x:0:0');
    const src = tempDir();
    // The older registry's root is the file's directory: climb out of it to the other temp dir.
    const rel = join('..', outside.split('/').pop()!, 'shadow');
    const record = { m_escape: { model_id: 'm_escape', algorithm: 'mscn', model_path: rel, training: { enabled: true, dataset: 'production' }, testing: [], tags: [] } };
    writeFileSync(join(src, 'model_registry.json'), JSON.stringify(record));
    const before = repoState(r.dir);
    const strict = await run(r.dir, ['import', join(src, 'model_registry.json'), '--strict']);
    expect(strict.killed).toBe(false);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/m_escape/);
    expect(strict.stdout + strict.stderr).not.toMatch(NO_TRACE);
    expect(repoState(r.dir)).toBe(before);

    const res = await run(r.dir, ['import', join(src, 'model_registry.json'), '--json']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.json().missing_artifacts.map((m: { model_id: string }) => m.model_id)).toEqual(['m_escape']);
    const meta = JSON.parse(readFileSync(join(r.dir, 'models/mscn/m_escape.json'), 'utf8'));
    expect(meta.model_path).toBeUndefined();
    expect(meta.artifact).toBeUndefined(); // no size or sha256 of a file outside
    expect(JSON.stringify(meta)).not.toContain(outside);
  });

  it('import of a FIFO as its source ends with a message instead of hanging', async () => {
    const r = await withModel();
    const fifo = join(tempDir(), 'model_registry.json');
    execFileSync('mkfifo', [fifo]);
    const before = repoState(r.dir);
    const res = await run(r.dir, ['import', fifo]);
    expect(res.killed).toBe(false);
    expect(res.code).not.toBe(0);
    expect(res.stdout + res.stderr).toMatch(/FIFO/);
    expect(repoState(r.dir)).toBe(before);
  });
});

describe('cache files replaced by FIFOs or links to /dev/zero (item 4)', () => {
  function cacheFiles(dir: string): string[] {
    const out: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else out.push(p);
      }
    };
    walk(dir);
    return out.filter((p) => !p.endsWith('.lock'));
  }

  it('every read answers as before when the cache files are FIFOs and links to /dev/zero', async () => {
    const r = await withModel();
    const reads = [['list', '--json'], ['best', '--algo', 'mscn', '--metric', 'total_time', '--json'], ['show', 'good', '--json']];
    const want: string[] = [];
    for (const args of reads) want.push((await run(r.dir, args)).stdout); // (these fill the caches)
    const files = cacheFiles(join(r.dir, '.git', 'modelgit'));
    expect(files.length).toBeGreaterThan(3);
    files.forEach((f, i) => {
      rmSync(f);
      if (i % 2 === 0) execFileSync('mkfifo', [f]);
      else symlinkSync('/dev/zero', f);
    });
    for (const [i, args] of reads.entries()) {
      const res = await run(r.dir, args);
      expect(res.killed).toBe(false);
      expect(res.code).toBe(0);
      expect(res.stdout).toBe(want[i]);
      expect(res.stderr).not.toMatch(NO_TRACE);
    }
    const report = await run(r.dir, ['report', '--out', tempDir()]);
    expect(report.killed).toBe(false);
    expect(report.code).toBe(0);
    expect(statSync(join(r.dir, '.git', 'modelgit')).isDirectory()).toBe(true);
  });
});
