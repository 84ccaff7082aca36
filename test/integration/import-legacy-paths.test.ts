// import of the older layout as the older code left it on disk (seed 000): the weights saved at
// model_path with no extension, the metadata beside them as <model_path>.json, and model_path
// written relative to wherever the training ran (`ExampleData/Mscn/Model/<id>`,
// `../algorithm_examples/ExampleData/Mscn/Model/<id>`). The link to the weights must survive the
// import, an artifact found nowhere must be said, and nothing outside the source is followed.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { write, writeJson } from '../fixtures/legacy.js';
import { repoState, tempDir, tempRegistry } from '../helpers.js';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

function record(id: string, modelPath: string | undefined, hour: number): Record<string, unknown> {
  return {
    model_id: id,
    algorithm: 'mscn',
    ...(modelPath !== undefined ? { model_path: modelPath } : {}),
    training: { enabled: true, dataset: 'production', hyperparams: { num_epoch: 10 }, trained_at: `2024-10-19T${String(hour).padStart(2, '0')}:00:00.123456`, training_time: null },
    testing: [],
    tags: [],
  };
}

/**
 * proj/algorithm_examples/ExampleData/Mscn/Model/ as the older code wrote it, plus a file outside
 * the source that one record's model_path climbs to. Returns the ExampleData directory.
 */
function olderWorkspace(): { data: string; secret: string } {
  const proj = tempDir();
  const data = join(proj, 'algorithm_examples', 'ExampleData');
  const model = join(data, 'Mscn', 'Model');
  const secret = write(join(proj, 'secret.txt'), 'not a model\n');
  // 1. relative to the directory above ExampleData; weights a file with no extension
  write(join(model, 'mscn_20241019_100000'), 'weights 1\n');
  writeJson(join(model, 'mscn_20241019_100000.json'), record('mscn_20241019_100000', 'ExampleData/Mscn/Model/mscn_20241019_100000', 10));
  // 2. the seed's model_save_dir: relative to a sibling of algorithm_examples; weights a directory
  write(join(model, 'mscn_20241019_110000', 'model.bin'), 'weights 2\n');
  writeJson(join(model, 'mscn_20241019_110000.json'), record('mscn_20241019_110000', '../algorithm_examples/ExampleData/Mscn/Model/mscn_20241019_110000', 11));
  // 3. an absolute path from another machine; the weights beside the metadata with an extension
  write(join(model, 'mscn_20241019_120000.pt'), 'weights 3\n');
  writeJson(join(model, 'mscn_20241019_120000.json'), record('mscn_20241019_120000', '/home/someone/algorithm_examples/ExampleData/Mscn/Model/mscn_20241019_120000', 12));
  // 4. the weights are gone
  writeJson(join(model, 'mscn_20241019_130000.json'), record('mscn_20241019_130000', 'ExampleData/Mscn/Model/mscn_20241019_130000', 13));
  // 5. a model_path that climbs out of the source to an existing, unrelated file
  writeJson(join(model, 'mscn_20241019_140000.json'), record('mscn_20241019_140000', '../../../../secret.txt', 14));
  return { data, secret };
}

describe('import the older ExampleData/<Algo>/Model layout', () => {
  it('finds each artifact beside its metadata, records a path that exists, and lists the ones found nowhere', async () => {
    const r = await tempRegistry();
    const { data } = olderWorkspace();
    const model = join(data, 'Mscn', 'Model');
    const res = await r.run('import', data, '--json');
    expect(res.code).toBe(0);
    const a = res.json();
    expect(a.imported).toHaveLength(5);
    const meta = (id: string) => JSON.parse(r.read(`models/mscn/${id}.json`));
    for (const [id, where] of [
      ['mscn_20241019_100000', join(model, 'mscn_20241019_100000')],
      ['mscn_20241019_110000', join(model, 'mscn_20241019_110000')],
      ['mscn_20241019_120000', join(model, 'mscn_20241019_120000.pt')],
    ] as const) {
      const m = meta(id);
      expect(m.model_path).toBe(where);
      expect(existsSync(m.model_path)).toBe(true);
      expect(m.model_path).not.toMatch(/ExampleData[/\\]ExampleData/);
      expect(m.artifact).toBeDefined();
    }
    expect(meta('mscn_20241019_100000').artifact).toEqual({ sha256: sha(join(model, 'mscn_20241019_100000')), size_bytes: 10 });
    // Found nowhere: no model_path that leads nowhere, the recorded value kept, and said.
    for (const id of ['mscn_20241019_130000', 'mscn_20241019_140000']) {
      expect(meta(id)).not.toHaveProperty('model_path');
      expect(meta(id)).not.toHaveProperty('artifact');
    }
    expect(meta('mscn_20241019_130000').extra.legacy_model_path).toBe('ExampleData/Mscn/Model/mscn_20241019_130000');
    expect(a.missing_artifacts.map((m: any) => [m.model_id, m.model_path])).toEqual([
      ['mscn_20241019_130000', 'ExampleData/Mscn/Model/mscn_20241019_130000'],
      ['mscn_20241019_140000', '../../../../secret.txt'],
    ]);
    // The path that climbs out names the file, but it is not followed (never read nor checksummed).
    expect(a.missing_artifacts[1].reason).toMatch(/secret\.txt, outside the registry and the import source \(not followed\)/);
    expect(res.stderr).toMatch(/missing artifact: mscn_20241019_130000: model_path ExampleData\/Mscn\/Model\/mscn_20241019_130000: not found/);
    expect(res.stderr).toMatch(/imported 5 model\(s\) .*; 2 without the artifact their record names/);
    expect((await r.run('verify', 'mscn_20241019_100000')).code).toBe(0);
  });

  it('--strict refuses when an artifact is found nowhere: exit 1, each named, the repository unchanged', async () => {
    const r = await tempRegistry();
    const { data } = olderWorkspace();
    const before = repoState(r.dir);
    const res = await r.run('import', data, '--strict');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/--strict: 2 recorded artifacts were found nowhere; nothing was imported/);
    expect(res.stderr).toMatch(/mscn_20241019_130000: model_path ExampleData\/Mscn\/Model\/mscn_20241019_130000/);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(repoState(r.dir)).toBe(before);
  });

  it('--strict imports when every artifact is found', async () => {
    const r = await tempRegistry();
    const data = join(tempDir(), 'ExampleData');
    write(join(data, 'Mscn', 'Model', 'mscn_20241019_100000'), 'w\n');
    writeJson(join(data, 'Mscn', 'Model', 'mscn_20241019_100000.json'), record('mscn_20241019_100000', 'ExampleData/Mscn/Model/mscn_20241019_100000', 10));
    const res = await r.run('import', data, '--strict', '--json');
    expect(res.code).toBe(0);
    expect(res.json().missing_artifacts).toEqual([]);
  });

  it('a model_registry.json beside the tree: model_path found under the import source', async () => {
    const r = await tempRegistry();
    const data = join(tempDir(), 'ExampleData');
    write(join(data, 'Mscn', 'Model', 'mscn_20241019_100000'), 'w\n');
    const file = writeJson(join(data, 'model_registry.json'), { mscn_20241019_100000: record('mscn_20241019_100000', 'ExampleData/Mscn/Model/mscn_20241019_100000', 10) });
    const res = await r.run('import', file, '--json');
    expect(res.code).toBe(0);
    expect(res.json().missing_artifacts).toEqual([]);
    expect(JSON.parse(r.read('models/mscn/mscn_20241019_100000.json')).model_path).toBe(join(data, 'Mscn', 'Model', 'mscn_20241019_100000'));
  });

  it('a source inside the registry: model_path relative to the registry root', async () => {
    const r = await tempRegistry();
    r.write('legacy/ExampleData/Mscn/Model/mscn_20241019_100000', 'w\n');
    r.write('legacy/ExampleData/Mscn/Model/mscn_20241019_100000.json', JSON.stringify(record('mscn_20241019_100000', 'ExampleData/Mscn/Model/mscn_20241019_100000', 10)));
    r.write('.gitignore', 'legacy/\n');
    r.git('add', '.gitignore');
    r.git('commit', '-qm', 'ignore legacy');
    const res = await r.run('import', 'legacy/ExampleData', '--json');
    expect(res.code).toBe(0);
    expect(JSON.parse(r.read('models/mscn/mscn_20241019_100000.json')).model_path).toBe('legacy/ExampleData/Mscn/Model/mscn_20241019_100000');
  });
});
