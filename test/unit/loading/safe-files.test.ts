import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertInsideAny, confinedPath, isMissing, listRegularFiles, openCacheFile, readCacheFile, readRegularFile, relativePathProblem } from '../../../src/loading/safe-files.js';
import { hashFile } from '../../../src/loading/artifact.js';
import { readInputText } from '../../../src/schema/yaml-input.js';
import { tempDir } from '../../helpers.js';

describe('safe-files: only regular files are read', () => {
  it('refuses a FIFO and a device at once (no blocking open, no endless read)', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => readRegularFile(fifo, { maxBytes: 10 })).toThrow(/is a FIFO \(named pipe\); only regular files are read/);
    expect(() => readRegularFile('/dev/zero', { maxBytes: 10 })).toThrow(/\/dev\/zero is a character device/);
    await expect(hashFile(fifo)).rejects.toThrow(/FIFO/);
    await expect(hashFile('/dev/zero')).rejects.toThrow(/character device/);
    // input files (--from, --times) too, as a usage error naming the flag
    expect(() => readInputText('--from', fifo)).toThrow(/^--from: .*fifo is a FIFO/);
    expect(() => readInputText('--times', '/dev/zero')).toThrow(/^--times: \/dev\/zero is a character device/);
  });

  it('reads a regular file up to a cap, and refuses a larger one', () => {
    const f = join(tempDir(), 'f');
    writeFileSync(f, 'hello');
    expect(readRegularFile(f, { maxBytes: 5 }).toString()).toBe('hello');
    expect(() => readRegularFile(f, { maxBytes: 4 })).toThrow(/is 5 bytes; at most 4 are read/);
  });

  it('cache files: a link is not followed, a missing file is a miss', () => {
    const dir = tempDir();
    const real = join(dir, 'real');
    writeFileSync(real, 'x');
    symlinkSync(real, join(dir, 'link'));
    symlinkSync('/dev/zero', join(dir, 'zero'));
    expect(() => openCacheFile(join(dir, 'link'))).toThrow(/symbolic link/);
    expect(() => readCacheFile(join(dir, 'zero'))).toThrow(/symbolic link/);
    let missing: unknown;
    try {
      readCacheFile(join(dir, 'none'));
    } catch (e) {
      missing = e;
    }
    expect(isMissing(missing)).toBe(true);
    expect(readCacheFile(real).toString()).toBe('x');
  });
});

describe('safe-files: paths stay inside their directory', () => {
  it('relative paths: no absolute path, no ".." segment', () => {
    expect(relativePathProblem('a/b.bin')).toBeUndefined();
    expect(relativePathProblem('..a/b')).toBeUndefined();
    expect(relativePathProblem('../x')).toMatch(/climbs out/);
    expect(relativePathProblem('a/../../x')).toMatch(/climbs out/);
    expect(relativePathProblem('a\\..\\x')).toMatch(/climbs out/);
    expect(relativePathProblem('/etc/passwd')).toMatch(/absolute/);
    expect(relativePathProblem('C:/x')).toMatch(/absolute/);
  });

  it('confinedPath follows links only while they stay inside', () => {
    const root = tempDir();
    const dir = join(root, 'ckpt');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'sub', 'w.bin'), 'w');
    writeFileSync(join(root, 'secret'), 's');
    symlinkSync('sub/w.bin', join(dir, 'in'));
    symlinkSync('../secret', join(dir, 'out'));
    symlinkSync('loop2', join(dir, 'loop1'));
    symlinkSync('loop1', join(dir, 'loop2'));
    expect(confinedPath(dir, 'in')).toBe(join(dir, 'in'));
    expect(confinedPath(dir, 'missing.bin')).toBe(join(dir, 'missing.bin'));
    expect(() => confinedPath(dir, 'out')).toThrow(/leads outside the artifact directory/);
    expect(() => confinedPath(dir, '../secret')).toThrow(/climbs out/);
    expect(() => confinedPath(dir, 'loop1')).toThrow(/leads nowhere/);
  });

  it('assertInsideAny: inside one of the roots, links resolved', () => {
    const a = tempDir();
    const b = tempDir();
    writeFileSync(join(b, 'f'), 'x');
    symlinkSync(join(b, 'f'), join(a, 'to-b'));
    expect(() => assertInsideAny(join(a, 'to-b'), [a, b], 'the artifact')).not.toThrow();
    expect(() => assertInsideAny(join(a, 'to-b'), [a], 'the artifact')).toThrow(/is outside .*neither checksummed nor recorded/);
    expect(() => assertInsideAny(join(a, '..', 'elsewhere'), [a], 'the artifact')).toThrow(/outside/);
  });

  it('listRegularFiles: sorted, loops entered once, specials and links out refused', () => {
    const dir = join(tempDir(), 'ckpt');
    mkdirSync(join(dir, 'b'), { recursive: true });
    writeFileSync(join(dir, 'a.bin'), '1');
    writeFileSync(join(dir, 'b', 'c.bin'), '2');
    symlinkSync('..', join(dir, 'b', 'up'));
    expect(listRegularFiles(dir)).toEqual(['a.bin', 'b/c.bin']);
    execFileSync('mkfifo', [join(dir, 'b', 'pipe')]);
    expect(() => listRegularFiles(dir)).toThrow(/b\/pipe in .* is a FIFO/);
  });
});
