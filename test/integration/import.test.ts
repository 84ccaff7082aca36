import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importRegistry, type ImportProgress } from '../../src/registry/import.js';
import { migrate } from '../../src/registry/migrate.js';
import { rankModels } from '../../src/domain/selection.js';
import { checkpointMetadata, olderModels, safetensorsBytes, write, writeCheckpoint, writeJson, writeOlderTree, WRAPPED_TENSORS } from '../fixtures/legacy.js';
import { repoState, tempDir, tempRegistry } from '../helpers.js';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

function registryFile(models = olderModels()): string {
  return writeJson(join(tempDir(), 'model_registry.json'), models);
}

/** `git log` of the import commits, oldest first: [author date, subject, Model-Id trailers]. */
function importLog(r: { git: (...a: string[]) => string }): string[][] {
  return r
    .git('log', '--reverse', '--format=%aI%x1f%cI%x1f%s%x1f%(trailers:key=Model-Action,valueonly,separator=%x2c)%x1f%(trailers:key=Model-Id,valueonly,separator=%x2c)%x1e')
    .split('\x1e')
    .map((l) => l.trim().split('\x1f'))
    .filter((f) => f[3] === 'import');
}

describe('import a single-file registry (model_registry.json)', () => {
  it('one commit per model in training order, dated at the training time, ids kept, files version 2', async () => {
    const r = await tempRegistry();
    const file = registryFile();
    const res = await r.run('import', file, '--json');
    expect(res.code).toBe(0);
    const a = res.json();
    expect(a.kind).toBe('registry-file');
    expect(a.source).toBe(file);
    expect(a.imported.map((m: any) => m.model_id)).toEqual(['lero_20241017_080000', 'mscn_20241018_090000', 'mscn_20241019_103000', 'lero_20241020_140000']);
    expect(importLog(r)).toEqual([
      ['2024-10-17T08:00:00+00:00', '2024-10-17T08:00:00+00:00', 'import lero_20241017_080000', 'import', 'lero_20241017_080000'],
      ['2024-10-18T09:00:00+00:00', '2024-10-18T09:00:00+00:00', 'import mscn_20241018_090000', 'import', 'mscn_20241018_090000'],
      ['2024-10-19T10:30:00+00:00', '2024-10-19T10:30:00+00:00', 'import mscn_20241019_103000', 'import', 'mscn_20241019_103000'],
      ['2024-10-20T14:00:00+00:00', '2024-10-20T14:00:00+00:00', 'import lero_20241020_140000', 'import', 'lero_20241020_140000'],
    ]);
    expect(a.commits).toEqual(r.git('log', '--reverse', '--format=%H', '-4').trim().split('\n'));
    const meta = JSON.parse(r.read('models/mscn/mscn_20241019_103000.json'));
    expect(meta).toMatchObject({ schema_version: 2, model_id: 'mscn_20241019_103000', algorithm: 'mscn', created_at: '2024-10-19T10:30:00.412345Z', extra: { gpu: 'A100' } });
    // The artifact was found nowhere: no model_path leading nowhere; the recorded value is kept and said.
    expect(meta).not.toHaveProperty('model_path');
    expect(meta.extra.legacy_model_path).toBe('MSCN/Model/mscn_20241019_103000.pt');
    expect(a.missing_artifacts).toEqual([{ model_id: 'mscn_20241019_103000', model_path: 'MSCN/Model/mscn_20241019_103000.pt', reason: expect.stringMatching(/^not found at /) }]);
    expect(res.stderr).toMatch(/missing artifact: mscn_20241019_103000: model_path MSCN\/Model\/mscn_20241019_103000\.pt: not found/);
    expect(r.git('status', '--porcelain')).toBe('');
  });

  it('afterwards the registry ranks exactly as the original data says', async () => {
    const r = await tempRegistry();
    expect((await r.run('import', registryFile())).code).toBe(0);
    const snap = await (await r.open()).snapshot();
    const original = olderModels();
    expect(snap.models.map((m) => m.metadata.model_id).sort()).toEqual(Object.keys(original).sort());
    // The older registry's best: each model's best total_time on production, lowest wins (computed here from the raw data).
    const rawBest = (algo: string) =>
      Object.entries(original)
        .filter(([, m]) => String(m.algorithm).toLowerCase() === algo)
        .map(([id, m]) => {
          const results = Array.isArray(m.testing) ? m.testing : Object.entries(m.testing as object).map(([dataset, x]) => ({ dataset, ...(x as object) }));
          const times = (results as any[]).filter((t) => t.dataset === 'production').map((t) => t.performance?.total_time ?? t.total_time);
          return [id, Math.min(...times)] as const;
        })
        .filter(([, v]) => Number.isFinite(v))
        .sort((x, y) => x[1] - y[1]);
    for (const algo of ['mscn', 'lero']) {
      const { ranked } = rankModels(snap.models.filter((m) => m.metadata.algorithm === algo), { dataset: 'production', metric: 'total_time', direction: 'min', aggregate: 'best' });
      expect(ranked.map((x) => [x.model.metadata.model_id, x.score.value])).toEqual(rawBest(algo));
    }
    // Every recorded result came across, value for value.
    for (const [id, raw] of Object.entries(original)) {
      const got = snap.byId.get(id)!.metadata.testing.map((t) => t.performance.total_time).sort();
      const want = (Array.isArray(raw.testing) ? raw.testing : Object.values(raw.testing as object)).map((t: any) => t.performance?.total_time ?? t.total_time).sort();
      expect(got).toEqual(want);
    }
  });

  it('--single-commit makes one commit with a Model-Id trailer per model', async () => {
    const r = await tempRegistry();
    const res = await r.run('import', registryFile(), '--single-commit', '--json');
    expect(res.code).toBe(0);
    expect(res.json().commits).toHaveLength(1);
    expect(r.git('log', '-1', '--format=%B')).toBe(
      'import 4 models from model_registry.json\n\nImported from ' + res.json().source + '.\n\nModel-Action: import\nModel-Id: lero_20241017_080000\nModel-Id: mscn_20241018_090000\nModel-Id: mscn_20241019_103000\nModel-Id: lero_20241020_140000\n\n',
    );
    expect(r.git('rev-list', '--count', 'HEAD').trim()).toBe('2');
  });

  it('a directory holding model_registry.json imports it', async () => {
    const r = await tempRegistry();
    const file = registryFile();
    const res = await r.run('import', join(file, '..'), '--json');
    expect(res.code).toBe(0);
    expect(res.json().imported).toHaveLength(4);
  });
});

describe('import the older <Algo>/Model/<id>.json tree', () => {
  it('with the artifacts beside them: model_path found, checksums recorded', async () => {
    const r = await tempRegistry();
    const old = writeOlderTree(join(tempDir(), 'old'), { artifacts: true });
    const res = await r.run('import', old, '--json');
    expect(res.code).toBe(0);
    expect(res.json().kind).toBe('algorithm-tree');
    for (const [id, algoDir] of [['mscn_20241019_103000', 'MSCN'], ['lero_20241017_080000', 'Lero']]) {
      const meta = JSON.parse(r.read(`models/${algoDir.toLowerCase()}/${id}.json`));
      const pt = join(old, algoDir, 'Model', `${id}.pt`);
      expect(meta.model_path).toBe(pt);
      expect(meta.artifact).toEqual({ sha256: sha(pt), size_bytes: readFileSync(pt).length });
    }
    expect((await r.run('verify', 'mscn_20241018_090000')).code).toBe(0);
    expect(res.stderr).not.toMatch(/note:/);
  });

  it('without artifacts: metadata only, and --algo overrides the directory', async () => {
    const r = await tempRegistry();
    const models = olderModels();
    for (const m of Object.values(models)) delete m.algorithm;
    delete models.mscn_20241019_103000!.model_path;
    const old = writeOlderTree(join(tempDir(), 'old'), { models });
    const res = await r.run('import', old, '--algo', 'qo', '--json');
    expect(res.code).toBe(0);
    expect(res.json().imported.map((m: any) => m.path)).toEqual([
      'models/qo/lero_20241017_080000.json', 'models/qo/mscn_20241018_090000.json', 'models/qo/mscn_20241019_103000.json', 'models/qo/lero_20241020_140000.json',
    ]);
    expect(JSON.parse(r.read('models/qo/mscn_20241019_103000.json'))).not.toHaveProperty('model_path');
  });

  it('the tree wins over a model_registry.json beside it, and says so', async () => {
    const r = await tempRegistry();
    const old = writeOlderTree(join(tempDir(), 'old'));
    writeJson(join(old, 'model_registry.json'), olderModels());
    const res = await r.run('import', old);
    expect(res.code).toBe(0);
    expect(res.stderr).toMatch(/note: model_registry\.json was not read/);
  });
});

describe('import a model directory with metadata.json', () => {
  it('role from wmtp_type, storage_version under extra, model_path the directory, every file checksummed', async () => {
    const r = await tempRegistry();
    const dir = writeCheckpoint(join(tempDir(), 'gpt2-mtp-ref'));
    const res = await r.run('import', dir, '--json');
    expect(res.code).toBe(0);
    expect(res.json()).toMatchObject({ kind: 'model-directory', imported: [{ model_id: 'gpt2-mtp-ref', algorithm: 'gpt2', path: 'models/gpt2/gpt2-mtp-ref.json', created_at: '2024-11-02T08:15:00Z' }] });
    const meta = JSON.parse(r.read('models/gpt2/gpt2-mtp-ref.json'));
    expect(meta).toMatchObject({ role: 'reference_model', extra: { storage_version: '2.0' }, model_path: dir, training_algorithm: 'mtp' });
    expect(meta).not.toHaveProperty('wmtp_type');
    expect(meta.artifact.files).toEqual(['config.json', 'metadata.json', 'model.safetensors', 'modeling.py'].map((p) => ({ path: p, sha256: sha(join(dir, p)), size_bytes: readFileSync(join(dir, p)).length })));
    expect(importLog(r)).toEqual([['2024-11-02T08:15:00+00:00', '2024-11-02T08:15:00+00:00', 'import gpt2-mtp-ref', 'import', 'gpt2-mtp-ref']]);
    expect((await r.run('verify', 'gpt2-mtp-ref')).code).toBe(0);
    expect((await r.run('resolve', '--for', 'critic-wmtp', '--field', 'model_id')).stdout).toBe('gpt2-mtp-ref\n');
  });

  it('--id and --algo name the model; the metadata.json path works as well as its directory', async () => {
    const r = await tempRegistry();
    const dir = writeCheckpoint(join(tempDir(), 'Final Checkpoint'));
    const res = await r.run('import', join(dir, 'metadata.json'), '--id', 'ref-v2', '--algo', 'gpt2-small', '--json');
    expect(res.code).toBe(0);
    expect(res.json().imported[0]).toMatchObject({ model_id: 'ref-v2', path: 'models/gpt2-small/ref-v2.json' });
    const r2 = await tempRegistry();
    const dir2 = writeCheckpoint(join(tempDir(), 'Final Checkpoint'));
    expect((await r2.run('import', dir2, '--json')).json().imported[0].model_id).toBe('gpt2_20241102_081500');
  });
});

describe('bad input: a clear message, a non-zero exit, nothing imported', () => {
  async function refused(path: string, args: string[], code: number, message: RegExp) {
    const r = await tempRegistry();
    const before = repoState(r.dir);
    const res = await r.run('import', path, ...args);
    expect(res.stderr).toMatch(message);
    expect(res.code).toBe(code);
    expect(repoState(r.dir)).toBe(before);
    return res;
  }

  it('a metadata.json that is not JSON (file:line:col)', async () => {
    const dir = writeCheckpoint(join(tempDir(), 'ck'), { metadata: '{\n  "wmtp_type": "reference_model",\n  "base_architecture": gpt2\n}\n' });
    await refused(dir, [], 1, /ck\/metadata\.json:3:24: \/: not valid JSON: InvalidSymbol \[json-syntax/);
  });

  it('an unknown loader_type', async () => {
    const meta = checkpointMetadata();
    (meta.loading_strategy as any).loader_type = 'tensorrt';
    const dir = writeCheckpoint(join(tempDir(), 'ck'), { metadata: meta });
    await refused(dir, [], 1, /metadata\.json:\d+:\d+: \/loading_strategy: model ck: unknown loader_type "tensorrt" \(known: custom_mtp, huggingface\)/);
  });

  it('a required file missing', async () => {
    const dir = writeCheckpoint(join(tempDir(), 'ck'), { skip: ['modeling.py'] });
    await refused(dir, [], 1, /model ck: required file missing in .*ck: modeling\.py/);
  });

  it('a truncated safetensors file', async () => {
    const dir = writeCheckpoint(join(tempDir(), 'ck'), { truncateBy: 64 });
    await refused(dir, [], 1, /model\.safetensors: truncated safetensors file: tensor "base_model\.lm_head\.weight" ends at byte/);
  });

  it('a key mapping that does not fit the real tensor names', async () => {
    const dir = writeCheckpoint(join(tempDir(), 'ck'), { tensors: { 'module.w': { dtype: 'F32', shape: [2] } } });
    await refused(dir, [], 1, /remove_prefix "base_model\." does not match 1 of 1 tensor name/);
  });

  it('a registry file with a duplicate id (JSON key), located', async () => {
    const text = JSON.stringify(olderModels(), null, 2);
    const dup = text.replace(/\n}$/, ',\n  "mscn_20241018_090000": {"model_id": "mscn_20241018_090000", "algorithm": "mscn"}\n}');
    const file = write(join(tempDir(), 'model_registry.json'), dup);
    await refused(file, [], 1, /model_registry\.json:\d+:3: \/mscn_20241018_090000: duplicate key "mscn_20241018_090000"/);
  });

  it('a registry file with an unsafe id, and one whose model_id differs from its key', async () => {
    const models: Record<string, unknown> = { ...olderModels(), '../../etc/passwd': { algorithm: 'mscn', testing: [], tags: [] } };
    await refused(registryFile(models as any), [], 1, /\/\.\.~1\.\.~1etc~1passwd\/model_id: model id "\.\.\/\.\.\/etc\/passwd" is not a safe name/);
    const other = olderModels();
    other.mscn_20241018_090000!.model_id = 'mscn_other';
    await refused(registryFile(other), [], 1, /model_id "mscn_other" differs from "mscn_20241018_090000"/);
  });

  it('the same id in two algorithm directories', async () => {
    const old = writeOlderTree(join(tempDir(), 'old'));
    writeJson(join(old, 'Lero', 'Model', 'mscn_20241019_103000.json'), olderModels().mscn_20241019_103000);
    await refused(old, [], 1, /model id mscn_20241019_103000 is imported twice/);
  });

  it('a clash with a registered model is reported, never overwritten', async () => {
    const r = await tempRegistry();
    expect((await r.run('import', registryFile())).code).toBe(0);
    const before = repoState(r.dir);
    const res = await r.run('import', writeCheckpoint(join(tempDir(), 'mscn_20241019_103000')), '--algo', 'mscn');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/1 of the 1 models in .* clash with the registry; nothing was imported:\n {2}mscn_20241019_103000 \(already registered at models\/mscn\/mscn_20241019_103000\.json\)/);
    expect(repoState(r.dir)).toBe(before);
  });

  it('usage errors exit 2: a missing path, --id for many models, an unsafe --algo, nothing importable', async () => {
    await refused('/nonexistent/registry', [], 2, /\/nonexistent\/registry does not exist/);
    await refused(registryFile(), ['--id', 'x'], 2, /--id names one model, but .* holds 4/);
    await refused(registryFile(), ['--algo', 'Bad/Algo'], 2, /--algo: algorithm "Bad\/Algo" is not a safe name/);
    await refused(tempDir(), [], 2, /holds nothing to import: expected metadata\.json/);
    await refused(write(join(tempDir(), 'notes.txt'), 'x'), [], 2, /expected a model_registry\.json, a metadata\.json, or a directory/);
  });

  it('nothing half-imported: the 3rd model (in training order) is invalid → HEAD and the tree unchanged', async () => {
    const models = olderModels();
    (models.mscn_20241019_103000!.testing as any[])[1].performance.total_time = 'slow';
    const res = await refused(registryFile(models), [], 1, /1 problem; nothing was imported/);
    expect(res.stderr).toMatch(/model_registry\.json:\d+:\d+: \/mscn_20241019_103000\/testing\/1\/performance\/total_time: as models\/mscn\/mscn_20241019_103000\.json: \/testing\/1\/performance\/total_time must be number/);
  });

  it('a commit refused part-way (hook rejects the 3rd) resets the branch: no commit is left', async () => {
    const r = await tempRegistry();
    const hook = join(r.dir, '.git', 'hooks', 'pre-commit');
    writeFileSync(hook, '#!/bin/sh\nif git diff --cached --name-only | grep -q mscn_20241019_103000; then echo "modelgit: rejected by test hook" >&2; exit 1; fi\n');
    chmodSync(hook, 0o755);
    const before = repoState(r.dir);
    const res = await r.run('import', registryFile());
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/refused by a git hook/);
    expect(repoState(r.dir)).toBe(before);
    // Two commits were made and undone, not skipped.
    expect(r.git('reflog', '--format=%gs').split('\n').slice(0, 3)).toEqual(['reset: moving to ' + r.git('rev-parse', 'HEAD').trim(), 'commit: import mscn_20241018_090000', 'commit: import lero_20241017_080000']);
  });

  it('an interrupt between commits undoes the commits already made', async () => {
    const r = await tempRegistry();
    const before = repoState(r.dir);
    const ac = new AbortController();
    const seen: ImportProgress[] = [];
    const reg = await r.open();
    await expect(
      importRegistry(reg, {
        path: registryFile(),
        signal: ac.signal,
        onProgress: (p) => {
          seen.push(p);
          if (p.phase === 'committing' && p.done === 2) ac.abort();
        },
      }),
    ).rejects.toThrow(/interrupted after 2 of 4 commits; they were undone/);
    expect(repoState(r.dir)).toBe(before);
    expect(r.git('reflog', '--format=%gs').split('\n')[0]).toMatch(/^reset: moving to /);
    expect(seen.filter((p) => p.phase === 'checking').map((p) => p.done)).toEqual([0, 1, 2, 3, 4]);
    expect(seen.some((p) => p.phase === 'checksumming')).toBe(false);
  });
});

describe('progress', () => {
  it('reports each phase through onProgress; the CLI draws no bar when stderr is not a terminal', async () => {
    const r = await tempRegistry();
    const seen: string[] = [];
    await importRegistry(await r.open(), { path: writeOlderTree(join(tempDir(), 'old'), { artifacts: true }), onProgress: (p) => seen.push(`${p.phase} ${p.done}/${p.total}`) });
    expect(seen).toEqual([
      'checking 0/4', 'checking 1/4', 'checking 2/4', 'checking 3/4', 'checking 4/4',
      'checksumming 0/4', 'checksumming 1/4', 'checksumming 2/4', 'checksumming 3/4', 'checksumming 4/4',
      'committing 1/4', 'committing 2/4', 'committing 3/4', 'committing 4/4',
    ]);
    const r2 = await tempRegistry();
    const res = await r2.run('import', registryFile());
    expect(res.stderr).not.toMatch(/committing|\u2588|\u2591/);
  });
});

describe('migrate', () => {
  it('rewrites every version-1 file to version 2 in one commit; created_at from trained_at, else the adding commit', async () => {
    const r = await tempRegistry();
    r.write('models/mscn/mscn_a.json', JSON.stringify({ model_id: 'mscn_a', algorithm: 'mscn', training: { trained_at: '2024-10-19T10:30:00Z' }, testing: [], tags: [] }, null, 2) + '\n');
    r.git('add', '-A');
    r.git('commit', '-qm', 'older a', '--date=2024-12-01T00:00:00Z');
    r.write('models/lero/lero_b.json', JSON.stringify({ model_id: 'lero_b', algorithm: 'lero', training: null, testing: [{ dataset: 'production', performance: { total_time: 3 } }], tags: [] }, null, 2) + '\n');
    r.git('add', '-A');
    r.git('commit', '-qm', 'older b', '--date=2024-12-02T08:00:00Z');
    // A later edit must not move the date: it is the commit that *added* the file that counts.
    r.write('models/lero/lero_b.json', r.read('models/lero/lero_b.json').replace('"tags": []', '"tags": ["x"]'));
    r.git('commit', '-qam', 'tag b', '--date=2025-01-01T00:00:00Z');
    const res = await r.run('migrate', '--json');
    expect(res.code).toBe(0);
    const a = res.json();
    expect(a.migrated).toEqual([
      { model_id: 'lero_b', path: 'models/lero/lero_b.json', created_at: '2024-12-02T08:00:00Z', from: 'commit' },
      { model_id: 'mscn_a', path: 'models/mscn/mscn_a.json', created_at: '2024-10-19T10:30:00Z', from: 'trained_at' },
    ]);
    expect(r.git('log', '-1', '--format=%B')).toBe('migrate 2 model files to schema version 2\n\nModel-Action: migrate\nModel-Id: lero_b\nModel-Id: mscn_a\n\n');
    expect(JSON.parse(r.read('models/lero/lero_b.json'))).toEqual({
      schema_version: 2, model_id: 'lero_b', algorithm: 'lero', created_at: '2024-12-02T08:00:00Z', training: null,
      testing: [{ dataset: 'production', performance: { total_time: 3 } }], tags: ['x'],
    });
    const head = r.git('rev-parse', 'HEAD');
    const again = await r.run('migrate');
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/nothing to migrate/);
    expect(r.git('rev-parse', 'HEAD')).toBe(head);
  });

  it('an invalid version-1 file stops the migration with its location; nothing committed', async () => {
    const r = await tempRegistry();
    r.write('models/mscn/mscn_a.json', JSON.stringify({ model_id: 'mscn_a', algorithm: 'mscn', testing: [], tags: [] }) + '\n');
    r.write('models/mscn/mscn_b.json', JSON.stringify({ model_id: 'mscn_b', algorithm: 'mscn', testing: [], tags: [], colour: 'red' }) + '\n');
    r.git('add', '-A');
    r.git('commit', '-qm', 'older');
    const before = repoState(r.dir);
    const res = await r.run('migrate');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/models\/mscn\/mscn_b\.json:1:\d+: \/colour: .*unknown field "colour"/);
    expect(repoState(r.dir)).toBe(before);
  });

  it('imported registries are already version 2: migrate after import does nothing', async () => {
    const r = await tempRegistry();
    await importRegistry(await r.open(), { path: registryFile() });
    expect((await migrate(await r.open())).commit).toBeNull();
  });
});

describe('import keeps working with a checkpoint whose weights are sharded', () => {
  it('reads every listed shard and refuses a tensor present in two', async () => {
    const r = await tempRegistry();
    const meta = checkpointMetadata();
    (meta.loading_strategy as any).required_files = ['config.json', 'modeling.py', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'];
    const dir = writeCheckpoint(join(tempDir(), 'sharded'), { metadata: meta, skip: ['model.safetensors'] });
    const [first, ...rest] = Object.entries(WRAPPED_TENSORS);
    write(join(dir, 'model-00001-of-00002.safetensors'), safetensorsBytes(Object.fromEntries([first!])));
    write(join(dir, 'model-00002-of-00002.safetensors'), safetensorsBytes(Object.fromEntries([first!, ...rest])));
    const before = repoState(r.dir);
    const bad = await r.run('import', dir);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/tensor "base_model\.transformer\.wte\.weight" is in both model-00001-of-00002\.safetensors and model-00002-of-00002\.safetensors/);
    expect(repoState(r.dir)).toBe(before);
    write(join(dir, 'model-00002-of-00002.safetensors'), safetensorsBytes(Object.fromEntries(rest)));
    expect((await r.run('import', dir)).code).toBe(0);
    const plan = (await r.run('plan', 'sharded', '--json')).json();
    expect(plan.weights.map((w: any) => [w.file, w.tensors])).toEqual([['model-00001-of-00002.safetensors', 1], ['model-00002-of-00002.safetensors', 3]]);
    rmSync(join(dir, 'model-00002-of-00002.safetensors'));
    expect((await r.run('verify', 'sharded')).code).toBe(1);
  });
});

describe('after an import, the CLI answers as the original registry says', () => {
  it('best (aggregate best, as the older registry computed it) and list --sort, through the binary', async () => {
    const r = await tempRegistry();
    expect((await r.run('import', registryFile())).code).toBe(0);
    // mscn on production: 20241019 has 45.23 then 47.9 (best 45.23), 20241018 has 52.1.
    const bestOld = await r.run('best', '--algo', 'mscn', '--dataset', 'production', '--aggregate', 'best', '--json');
    expect(bestOld.code).toBe(0);
    expect(bestOld.json()).toMatchObject({ model_id: 'mscn_20241019_103000', value: 45.23, candidates: 2, direction: 'min' });
    // The latest result counts by default: 47.9 still beats 52.1.
    const latest = await r.run('best', '--algo', 'mscn', '--dataset', 'production', '--json');
    expect(latest.json()).toMatchObject({ model_id: 'mscn_20241019_103000', value: 47.9 });
    // The older tree's per-dataset map (job: total_time 8.5) came across as a result on job.
    const job = await r.run('best', '--algo', 'mscn', '--dataset', 'job', '--json');
    expect(job.json()).toMatchObject({ model_id: 'mscn_20241018_090000', value: 8.5 });
    const lero = await r.run('best', '--algo', 'lero', '--field', 'model_id');
    expect(lero.stdout.trim()).toBe('lero_20241020_140000');
    const list = await r.run('list', '--algo', 'mscn', '--sort', 'total_time', '--on', 'production', '--json');
    expect(list.json().map((m: any) => m.model_id)).toEqual(['mscn_20241019_103000', 'mscn_20241018_090000']);
  });
});
