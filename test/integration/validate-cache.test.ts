// `validate --all` remembers which files it found clean (store/cache/validated.ts). A cache never
// changes an answer: every run here is compared with MODELGIT_NO_CACHE=1 (same stdout, same exit
// code, same stderr but for the one warning a damaged cache earns), after the changes that must
// make a remembered verdict stale: a committed edit, an edit on disk, a new config, a new
// per-algorithm schema, and damage to the cache file itself.
import { readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliWithEnv, tempRegistry, type CliResult, type TempRegistry } from '../helpers.js';

function meta(id: string, algorithm: string, fields: Record<string, unknown> = {}): string {
  return JSON.stringify({ schema_version: 2, model_id: id, algorithm, created_at: '2024-10-19T10:30:00Z', testing: [], tags: [], ...fields }, null, 2) + '\n';
}

function commitAll(r: TempRegistry, message = 'hand edit'): void {
  r.git('add', '-A');
  r.git('commit', '-q', '--no-verify', '-m', message);
}

const cacheDir = (r: TempRegistry) => join(r.dir, '.git', 'modelgit', 'validated');
const cacheFiles = (r: TempRegistry): string[] => {
  try {
    return readdirSync(cacheDir(r)).map((n) => join(cacheDir(r), n));
  } catch {
    return [];
  }
};

/** A registry of 40 models: most clean, a few with problems, two whose ids clash. */
async function registry(): Promise<TempRegistry> {
  const r = await tempRegistry();
  for (let i = 0; i < 40; i++) {
    const id = `m${String(i).padStart(2, '0')}`;
    r.write(`models/${i % 2 ? 'lero' : 'mscn'}/${id}.json`, meta(id, i % 2 ? 'lero' : 'mscn', i % 9 === 0 ? { colour: 'red' } : {}));
  }
  r.write('models/bao/m03.json', meta('m03', 'bao'));
  r.write('models/bao/broken.json', '{"model_id": ');
  commitAll(r, 'models');
  return r;
}

/** validate --all with the cache, then without it: the same answer. */
async function sameAsUncached(r: TempRegistry, ...extra: string[]): Promise<{ cached: CliResult; uncached: CliResult }> {
  const cached = await runCliWithEnv(r.dir, { MODELGIT_CACHE_TRACE: '' }, 'validate', '--all', ...extra);
  const uncached = await runCliWithEnv(r.dir, { MODELGIT_NO_CACHE: '1' }, 'validate', '--all', ...extra);
  expect(cached.stdout).toBe(uncached.stdout);
  expect(cached.code).toBe(uncached.code);
  return { cached, uncached };
}

describe('validate --all: the cache of clean files', () => {
  it('answers exactly as an uncached run, cold and warm, in text and JSON', async () => {
    const r = await registry();
    const first = await sameAsUncached(r, '--json');
    expect(first.cached.code).toBe(1);
    expect(first.cached.stderr).toBe(first.uncached.stderr);
    expect(cacheFiles(r)).toHaveLength(1);
    // Warm: the clean files are not read again, the problems are found again.
    const trace = await runCliWithEnv(r.dir, { MODELGIT_CACHE_TRACE: '1' }, 'validate', '--all', '--json');
    expect(trace.stderr).toMatch(/validated: hit 3\d clean files/);
    expect(trace.stderr).not.toMatch(/validated: save/); // nothing new to remember
    expect(trace.stdout).toBe(first.uncached.stdout);
    const warm = await sameAsUncached(r);
    expect(warm.cached.stderr).toBe(warm.uncached.stderr);
    expect(warm.cached.stdout).toMatch(/models\/bao\/broken\.json/);
    expect(warm.cached.stdout).toMatch(/unique-id/);
  });

  it('checks a file again once it changed: committed, or edited on disk', async () => {
    const r = await registry();
    await sameAsUncached(r);
    r.write('models/mscn/m02.json', meta('m02', 'mscn', { tags: 'not a list' }));
    commitAll(r, 'breaks m02');
    let res = await sameAsUncached(r, '--json');
    expect(res.cached.stdout).toMatch(/models\/mscn\/m02\.json/);
    // An uncommitted edit of a file HEAD has clean.
    r.write('models/lero/m01.json', meta('m01', 'lero', { colour: 'blue' }));
    res = await sameAsUncached(r, '--json');
    expect(res.cached.stdout).toMatch(/models\/lero\/m01\.json/);
    // Put back: clean again, from the cache.
    r.git('checkout', '--', 'models/lero/m01.json');
    res = await sameAsUncached(r, '--json');
    expect(res.cached.stdout).not.toMatch(/models\/lero\/m01\.json/);
  });

  it('misses when the rules change: a per-algorithm schema in the config, then an edit of that schema on disk', async () => {
    const r = await registry();
    await sameAsUncached(r);
    r.write('schemas/mscn.schema.json', JSON.stringify({ type: 'object' }));
    r.write('modelgit.yaml', r.read('modelgit.yaml').replace('schemas: {}', 'schemas: { mscn: schemas/mscn.schema.json }'));
    commitAll(r, 'team schema');
    let res = await sameAsUncached(r, '--json');
    expect(res.cached.code).toBe(1);
    // The schema now requires a field every mscn model lacks: no remembered verdict may stand.
    r.write('schemas/mscn.schema.json', JSON.stringify({ type: 'object', required: ['notes'] }));
    res = await sameAsUncached(r, '--json');
    const notes = JSON.parse(res.cached.stdout).errors.filter((e: { pointer: string }) => e.pointer === '/notes');
    expect(notes).toHaveLength(20);
    // And back to the committed schema: the first stamp's cache is still there and still right.
    r.git('checkout', '--', 'schemas/mscn.schema.json');
    res = await sameAsUncached(r, '--json');
    expect(JSON.parse(res.cached.stdout).errors.filter((e: { pointer: string }) => e.pointer === '/notes')).toHaveLength(0);
    expect(cacheFiles(r).length).toBeLessThanOrEqual(2);
  });

  it('misses when the config changes what a path means (models_dir)', async () => {
    const r = await registry();
    await sameAsUncached(r);
    r.git('mv', 'models', 'zoo');
    r.write('modelgit.yaml', r.read('modelgit.yaml').replace(/^models_dir: models$/m, 'models_dir: zoo'));
    commitAll(r, 'moves the models');
    let res = await sameAsUncached(r, '--json');
    expect(res.cached.stdout).toMatch(/zoo\/bao\/broken\.json/);
    // Changed on disk only: HEAD's config names another directory than the one that governs.
    r.write('modelgit.yaml', r.read('modelgit.yaml').replace(/^models_dir: zoo$/m, 'models_dir: models'));
    r.write('models/mscn/only.json', meta('only', 'mscn', { colour: 'green' }));
    res = await sameAsUncached(r, '--json');
    expect(JSON.parse(res.cached.stdout).errors.map((e: { file: string }) => e.file)).toEqual(['models/mscn/only.json']);
  });

  it('a damaged cache file is reported once, deleted, and the answer is the uncached one', async () => {
    const r = await registry();
    const reference = await runCliWithEnv(r.dir, { MODELGIT_NO_CACHE: '1' }, 'validate', '--all', '--json');
    const damage: [string, (file: string) => void][] = [
      ['flipped byte', (f) => {
        const b = readFileSync(f);
        b[b.length - 10] ^= 0x01;
        writeFileSync(f, b);
      }],
      ['truncated', (f) => truncateSync(f, Math.floor(readFileSync(f).length / 2))],
      ['garbage', (f) => writeFileSync(f, 'not a cache\n\0\0')],
      ['empty', (f) => writeFileSync(f, '')],
    ];
    for (const [what, hurt] of damage) {
      await runCliWithEnv(r.dir, {}, 'validate', '--all'); // (re)writes the cache
      const [file] = cacheFiles(r);
      expect(file, what).toBeDefined();
      hurt(file!);
      const res = await runCliWithEnv(r.dir, {}, 'validate', '--all', '--json');
      expect(res.stdout, what).toBe(reference.stdout);
      expect(res.code, what).toBe(reference.code);
      // Once, in the shape --json gives warnings on stderr.
      expect(res.stderr.match(/the validation cache [^ ]+ is unreadable \([^)]*\); checking every file again/g), what).toHaveLength(1);
      // Rebuilt whole: the next run is a quiet hit.
      const again = await runCliWithEnv(r.dir, { MODELGIT_CACHE_TRACE: '1' }, 'validate', '--all', '--json');
      expect(again.stdout, what).toBe(reference.stdout);
      expect(again.stderr, what).toMatch(/validated: hit/);
      expect(again.stderr, what).not.toMatch(/unreadable|save/);
    }
  });

  it('MODELGIT_NO_CACHE=1 neither reads nor writes it', async () => {
    const r = await registry();
    await runCliWithEnv(r.dir, { MODELGIT_NO_CACHE: '1' }, 'validate', '--all');
    expect(cacheFiles(r)).toEqual([]);
    await runCliWithEnv(r.dir, {}, 'validate', '--all');
    expect(cacheFiles(r)).toHaveLength(1);
    rmSync(cacheDir(r), { recursive: true });
  });
});
