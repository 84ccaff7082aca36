import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { generateInto } from '../../bench/generate.mjs';
import { CLI, runCli, tempDir, tempRegistry } from '../helpers.js';

describe('the modelgit binary', () => {
  it('prints help and version with exit 0', async () => {
    const dir = tempDir();
    const help = await runCli(dir, '--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/register/);
    const v = await runCli(dir, '--version');
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('exits 2 for an unknown command, an unknown flag and a missing argument', async () => {
    const dir = tempDir();
    expect((await runCli(dir, 'frobnicate')).code).toBe(2);
    expect((await runCli(dir, 'register', '--nope')).code).toBe(2);
    expect((await runCli(dir, 'hooks', 'install', '--nope')).code).toBe(2);
    expect((await runCli(dir, 'test')).code).toBe(2);
  });

  it('exits 1 with a hint outside a registry', async () => {
    const dir = tempDir();
    const r = await runCli(dir, 'register', '--algo', 'mscn');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not inside a git repository/);
    expect(r.stderr).toMatch(/hint: modelgit init/);
  });

  it('with --json, errors also come as one JSON object on stderr carrying a stable code', async () => {
    const r = await tempRegistry();
    const res = await r.run('test', 'nope', '--dataset', 'production', '--metric', 'x=1', '--json');
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    const last = res.stderr.trim().split('\n').pop()!;
    expect(JSON.parse(last).error.code).toBe('NOT_FOUND');
  });

  it('-C runs in another directory', async () => {
    const r = await tempRegistry();
    const res = await runCli(tempDir(), '-C', r.dir, 'register', '--algo', 'mscn', '--json');
    expect(res.code).toBe(0);
    expect(res.json().path).toMatch(/^models\/mscn\//);
  });

  it('writes all of a long output to a slow reader, and stops quietly for one that closes early', async () => {
    const dir = tempDir('modelgit-pipe-');
    await generateInto(dir, { models: 300, seed: 4 });
    const full = await runCli(dir, 'list', '--json');
    expect(full.stdout.length).toBeGreaterThan(200_000); // well past a pipe's 64 KB
    // A reader that waits before reading: the process must not exit with output still queued.
    const slow = await new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'list', '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      child.stdout.pause();
      setTimeout(() => {
        child.stdout.on('data', (d) => (out += d));
        child.stdout.resume();
      }, 500);
      child.on('close', (code) => resolve({ code, out }));
    });
    expect(slow.code).toBe(0);
    expect(slow.out).toBe(full.stdout);
    expect(JSON.parse(slow.out)).toHaveLength(300);
    // A reader that closes after the first bytes (`| head`): no EPIPE trace, the command's exit code.
    const early = await new Promise<{ code: number | null; err: string }>((resolve) => {
      const child = spawn(process.execPath, [CLI, 'list', '--json'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.stdout.once('data', () => child.stdout.destroy());
      child.on('close', (code) => resolve({ code, err }));
    });
    expect(early.err).not.toMatch(/EPIPE|Unhandled/);
    expect(early.code).toBe(0);
  });
});
