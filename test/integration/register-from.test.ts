// register --from / test --from / test --times as a training script drives them: files named by
// absolute paths and piped through standard input (`-`), and metadata the way Python writes it
// (naive isoformat() timestamps, None → null, its own model_id). Through the built binary.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoState, runCliWithInput, tempDir, tempRegistry } from '../helpers.js';
import { write, writeJson } from '../fixtures/legacy.js';

const runWithStdin = runCliWithInput;

/** What `json.dump(metadata)` writes after a Python training run. */
function pythonMetadata(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    algorithm: 'mscn',
    training: { enabled: true, dataset: 'production', num_queries: null, hyperparams: { lr: 0.001 }, trained_at: '2024-10-19T10:30:00.123456', training_time: null },
    testing: [{ dataset: 'production', num_queries: null, tested_at: '2024-10-19T12:00:00', performance: { total_time: 45.2 }, notes: null }],
    tags: ['experiment'],
    notes: null,
    parent: null,
    ...over,
  };
}

describe('file flags take absolute paths and - for standard input', () => {
  it('register --from /absolute/path.json (outside the registry) works', async () => {
    const r = await tempRegistry();
    const file = writeJson(join(tempDir(), 'meta.json'), { algorithm: 'lero', notes: 'abs' });
    const res = await r.run('register', '--from', file, '--json');
    // no error; the only warning is the once-per-clone note that this temp registry has no pre-commit hook
    expect(JSON.parse(res.stderr)).toEqual({ warnings: [expect.stringMatching(/^modelgit: warning: the pre-commit hook is not installed/)] });
    expect(res.code).toBe(0);
    expect(JSON.parse(r.read(res.json().path))).toMatchObject({ algorithm: 'lero', notes: 'abs' });
  });

  it('register --from - reads the metadata (JSON) from standard input', async () => {
    const r = await tempRegistry();
    const res = await runWithStdin(r.dir, JSON.stringify({ algorithm: 'mscn', notes: 'piped' }), 'register', '--from', '-', '--json');
    expect(res.code).toBe(0);
    expect(JSON.parse(r.read(res.json().path)).notes).toBe('piped');
  });

  it('test --times and test --from take absolute paths and -', async () => {
    const r = await tempRegistry();
    const id = (await r.run('register', '--algo', 'mscn')).stdout.trim();
    const times = write(join(tempDir(), 'times.txt'), '1\n2\n3\n');
    const result = writeJson(join(tempDir(), 'result.json'), { performance: { accuracy: 0.9 }, num_queries: 10 });
    expect((await r.run('test', id, '--dataset', 'a', '--times', times)).code).toBe(0);
    expect((await r.run('test', id, '--dataset', 'b', '--from', result)).code).toBe(0);
    expect((await runWithStdin(r.dir, '4\n5\n', 'test', id, '--dataset', 'c', '--times', '-')).code).toBe(0);
    expect((await runWithStdin(r.dir, 'performance: {accuracy: 0.5}\ntested_at: "2024-10-19T12:00:00"\nnum_queries: null\n', 'test', id, '--dataset', 'd', '--from', '-')).code).toBe(0);
    const testing = JSON.parse(r.read(`models/mscn/${id}.json`)).testing;
    expect(testing.map((t: any) => [t.dataset, t.performance.total_time ?? t.performance.accuracy, t.num_queries])).toEqual([
      ['a', 6, 3], ['b', 0.9, 10], ['c', 9, 2], ['d', 0.5, undefined],
    ]);
    // a naive tested_at is UTC, a null num_queries is absent (as a Python script writes them)
    expect(testing[3].tested_at).toBe('2024-10-19T12:00:00Z');
  });

  it('a missing absolute file, a directory, and bad stdin: exit 2 naming the flag, nothing written', async () => {
    const r = await tempRegistry();
    const id = (await r.run('register', '--algo', 'mscn')).stdout.trim();
    const before = repoState(r.dir);
    const missing = join(tempDir(), 'nope.json');
    let res = await r.run('register', '--from', missing);
    expect([res.code, res.stderr]).toEqual([2, expect.stringContaining(`--from: ${missing} does not exist`)]);
    res = await r.run('test', id, '--dataset', 'a', '--times', tempDir());
    expect([res.code, res.stderr]).toEqual([2, expect.stringMatching(/--times: .* is a directory/)]);
    res = await runWithStdin(r.dir, '{ not json', 'register', '--from', '-');
    expect([res.code, res.stderr]).toEqual([2, expect.stringMatching(/^modelgit: error: --from: standard input:1:\d+: not valid YAML: [^\n]*\n$/)]);
    res = await runWithStdin(r.dir, '', 'test', id, '--dataset', 'a', '--times', '-');
    expect([res.code, res.stderr]).toEqual([2, expect.stringMatching(/--times: standard input holds no timings/)]);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(repoState(r.dir)).toBe(before);
  });
});

describe('register --from reads what a Python script writes', () => {
  it('naive timestamps are UTC and nulls of optional fields are dropped (as import reads them)', async () => {
    const r = await tempRegistry();
    const file = writeJson(join(tempDir(), 'meta.json'), pythonMetadata({ created_at: '2024-10-19T10:31:00' }));
    const res = await r.run('register', '--from', file, '--json');
    // no error; the only warning is the once-per-clone note that this temp registry has no pre-commit hook
    expect(JSON.parse(res.stderr)).toEqual({ warnings: [expect.stringMatching(/^modelgit: warning: the pre-commit hook is not installed/)] });
    expect(res.code).toBe(0);
    const meta = JSON.parse(r.read(res.json().path));
    expect(meta.created_at).toBe('2024-10-19T10:31:00Z');
    expect(meta.training).toEqual({ enabled: true, dataset: 'production', hyperparams: { lr: 0.001 }, trained_at: '2024-10-19T10:30:00.123456Z' });
    expect(meta.testing).toEqual([{ dataset: 'production', tested_at: '2024-10-19T12:00:00Z', performance: { total_time: 45.2 } }]);
    expect(meta).not.toHaveProperty('notes');
    expect(meta).not.toHaveProperty('parent');
  });

  it("the file's model_id is used when free, and its model_path naming it stays true", async () => {
    const r = await tempRegistry();
    const file = writeJson(join(tempDir(), 'meta.json'), pythonMetadata({ model_id: 'mscn_20241019_103000', model_path: 'ExampleData/Mscn/Model/mscn_20241019_103000' }));
    const res = await r.run('register', '--from', file, '--json');
    expect(res.code).toBe(0);
    expect(res.json()).toMatchObject({ model_id: 'mscn_20241019_103000', path: 'models/mscn/mscn_20241019_103000.json', model_path: 'ExampleData/Mscn/Model/mscn_20241019_103000' });
    // --id still wins over the file
    const res2 = await r.run('register', '--from', file, '--id', 'mscn_other', '--json');
    expect(res2.json().model_id).toBe('mscn_other');
  });

  it("a taken or unsafe model_id in the file is refused loudly, with the way on; nothing written", async () => {
    const r = await tempRegistry();
    expect((await r.run('register', '--algo', 'lero', '--id', 'mscn_1')).code).toBe(0);
    const before = repoState(r.dir);
    const taken = writeJson(join(tempDir(), 'taken.json'), pythonMetadata({ model_id: 'mscn_1' }));
    let res = await r.run('register', '--from', taken);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/model_id in .*taken\.json: model id mscn_1 is already registered \(models\/lero\/mscn_1\.json\)/);
    expect(res.stderr).toMatch(/remove model_id from the file .* or pass --id/);
    const unsafe = writeJson(join(tempDir(), 'unsafe.json'), pythonMetadata({ model_id: 'My Model' }));
    res = await r.run('register', '--from', unsafe);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--from: .*unsafe\.json: model_id: model id "My Model" is not a safe name/);
    expect(res.stderr).toMatch(/or pass --id/);
    expect(repoState(r.dir)).toBe(before);
  });
});
