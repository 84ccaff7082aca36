import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/loading/plan.js';
import { registerLoader, unregisterLoader, type LoaderStrategy } from '../../src/loading/strategies.js';
import { register } from '../../src/registry/register.js';
import type { ModelMetadata } from '../../src/domain/types.js';
import { checkpointMetadata, safetensorsBytes, write, writeCheckpoint, WRAPPED_TENSORS, type Tensors } from '../fixtures/legacy.js';
import { repoState, tempDir, tempRegistry, type TempRegistry } from '../helpers.js';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const LOADING = checkpointMetadata().loading_strategy as ModelMetadata['loading_strategy'];

/** A registry with one custom_mtp checkpoint registered at artifacts/<id> (inside the registry). */
async function withCheckpoint(opts: { id?: string; loading?: unknown; tensors?: Tensors; checksum?: boolean; extra?: Partial<ModelMetadata> } = {}): Promise<TempRegistry & { id: string; dir: string; art: string }> {
  const r = await tempRegistry();
  const id = opts.id ?? 'gpt2_ref';
  const art = join(r.dir, 'artifacts', id);
  writeCheckpoint(art, { tensors: opts.tensors });
  writeFileSync(join(r.dir, '.gitignore'), 'artifacts/\n');
  r.git('add', '.gitignore');
  r.git('commit', '-qm', 'ignore artifacts');
  const reg = await r.open();
  await register(reg, {
    algorithm: 'gpt2', id, modelPath: `artifacts/${id}`, checksum: opts.checksum,
    fields: {
      role: 'reference_model', base_architecture: 'gpt2', training_algorithm: 'mtp',
      loading_strategy: (opts.loading ?? LOADING) as ModelMetadata['loading_strategy'],
      algorithm_compatibility: ['baseline-mtp', 'critic-wmtp', 'rho1-wmtp'],
      ...opts.extra,
    },
  });
  return { ...r, id, art };
}

describe('plan', () => {
  it('prints the plan a loader follows: files, class, module and the key mapping on the real tensor names', async () => {
    const r = await withCheckpoint();
    const res = await r.run('plan', r.id, '--json');
    expect(res.code).toBe(0);
    const plan = res.json();
    expect(plan).toMatchObject({
      model_id: 'gpt2_ref', loader_type: 'custom_mtp', location: 'local', directory: r.art, role: 'reference_model',
      class: { model_class_name: 'GPTMTPForCausalLM', transformers_class: 'AutoModelForCausalLM' },
      module: { file: 'modeling.py', path: join(r.art, 'modeling.py') },
      state_dict_mapping: { remove_prefix: 'base_model.', add_prefix: null, key_transforms: {} },
      warnings: [],
    });
    expect(plan.files.map((f: any) => [f.name, f.purpose])).toEqual([['config.json', 'config'], ['modeling.py', 'module'], ['model.safetensors', 'weights']]);
    expect(plan.weights).toEqual([{
      file: 'model.safetensors', format: 'safetensors', tensors: 4, renamed: 4,
      key_mapping: {
        'base_model.transformer.wte.weight': 'transformer.wte.weight',
        'base_model.transformer.h.0.attn.c_attn.weight': 'transformer.h.0.attn.c_attn.weight',
        'base_model.transformer.h.0.mlp.c_fc.weight': 'transformer.h.0.mlp.c_fc.weight',
        'base_model.lm_head.weight': 'lm_head.weight',
      },
      // each tensor's dtype and shape from the header, so an executor needs no guessing
      tensor_info: WRAPPED_TENSORS,
    }]);
    expect(plan.steps.join('\n')).toMatch(/cls = module\.GPTMTPForCausalLM/);
    const text = await r.run('plan', r.id);
    expect(text.stdout).toMatch(/base_model\.lm_head\.weight → lm_head\.weight/);
    expect(text.stdout).toMatch(/mapping {4}remove_prefix "base_model\."/);
  });

  it('the plan names the config class when the strategy does (config_class_name), so the executor builds the config without guessing', async () => {
    const r = await withCheckpoint({ loading: { ...LOADING, config_class_name: 'GPTMTPConfig' } });
    const plan = (await r.run('plan', r.id, '--json')).json();
    expect(plan.class).toEqual({ model_class_name: 'GPTMTPForCausalLM', config_class_name: 'GPTMTPConfig', transformers_class: 'AutoModelForCausalLM' });
  });

  it('huggingface: from_pretrained, with transforms and add_prefix applied in order', async () => {
    const r = await withCheckpoint({
      loading: { loader_type: 'huggingface', transformers_class: 'AutoModelForCausalLM', required_files: ['model.safetensors'], state_dict_mapping: { remove_prefix: 'base_model.', add_prefix: 'model.', key_transforms: { 'transformer.': '' } } },
    });
    const plan = (await r.run('plan', r.id, '--json')).json();
    expect(plan.files.map((f: any) => f.name)).toEqual(['config.json', 'model.safetensors']);
    expect(plan.weights[0].key_mapping['base_model.transformer.h.0.attn.c_attn.weight']).toBe('model.h.0.attn.c_attn.weight');
    expect(plan.steps[0]).toBe('from transformers import AutoConfig, AutoModelForCausalLM');
    expect(plan.module).toBeNull();
  });

  it('a remote artifact gets a plan that says what was not checked', async () => {
    const r = await tempRegistry();
    await register(await r.open(), { algorithm: 'gpt2', id: 'remote', modelPath: 's3://bucket/ckpt/', fields: { loading_strategy: { loader_type: 'huggingface', transformers_class: 'AutoModel' } } });
    const plan = (await r.run('plan', 'remote', '--json')).json();
    expect(plan).toMatchObject({ location: 'remote', directory: 's3://bucket/ckpt', files: [{ name: 'config.json', path: 's3://bucket/ckpt/config.json' }] });
    expect(plan.warnings[0]).toMatch(/remote \(s3:\/\/\): files and tensor names were not checked/);
  });

  it.each([
    ['an unknown loader_type', { loading: { loader_type: 'onnx_runtime' } }, /unknown loader_type "onnx_runtime" \(known: custom_mtp, huggingface\)[\s\S]*hint: add your loader to modelgit.yaml: loaders: \{onnx_runtime:/],
    ['a field its loader needs', { loading: { loader_type: 'custom_mtp', custom_module_file: 'modeling.py' } }, /loader_type custom_mtp needs loading_strategy\.model_class_name/],
    ['a module outside the model directory', { loading: { ...LOADING, custom_module_file: '../evil.py' } }, /custom_module_file "\.\.\/evil\.py" must be a path inside the model directory/],
    ['a required file missing', { loading: { ...LOADING, required_files: ['config.json', 'model.safetensors', 'tokenizer.json'] } }, /required file missing in .*gpt2_ref: tokenizer\.json/],
    ['a mapping that collides', { loading: { ...LOADING, state_dict_mapping: { remove_prefix: 'base_model.', key_transforms: { 'c_attn.': 'c_fc.', 'attn.': 'mlp.' } } } }, /"base_model\.transformer\.h\.0\.attn\.c_attn\.weight", "base_model\.transformer\.h\.0\.mlp\.c_fc\.weight" all map to "transformer\.h\.0\.mlp\.c_fc\.weight"/],
    ['a prefix some tensors lack', { tensors: { ...WRAPPED_TENSORS, 'mtp_heads.0.weight': { dtype: 'F32', shape: [2] } } }, /remove_prefix "base_model\." does not match 1 of 5 tensor name\(s\): "mtp_heads\.0\.weight"/],
  ])('refuses %s with a clear message and exit 1', async (_what, opts, message) => {
    const r = await withCheckpoint(opts as any);
    const res = await r.run('plan', r.id);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(message);
    expect(res.stdout).toBe('');
  });

  it('refuses a truncated safetensors file and a model without loading_strategy', async () => {
    const r = await withCheckpoint();
    writeFileSync(join(r.art, 'model.safetensors'), safetensorsBytes(WRAPPED_TENSORS).subarray(0, 600));
    const res = await r.run('plan', r.id);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/model\.safetensors: truncated safetensors file/);
    await register(await r.open(), { algorithm: 'mscn', id: 'plain' });
    const none = await r.run('plan', 'plain');
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/plain has no loading_strategy, so there is no load plan \(modelgit does not guess a loader from the files\)/);
  });
});

describe('loader strategies of your own', () => {
  const onnx: LoaderStrategy = {
    description: 'an ONNX graph run with onnxruntime',
    requiredFields: ['required_files'],
    steps: (ctx) => [`onnxruntime.InferenceSession(${JSON.stringify(`${ctx.directory}/${ctx.strategy.required_files![0]}`)})`],
  };
  afterEach(() => unregisterLoader('onnx'));

  it('registerLoader adds one from code; replacing takes {replace: true}', async () => {
    const dir = tempDir();
    write(join(dir, 'model.onnx'), 'graph');
    registerLoader('onnx', onnx);
    const meta = { model_id: 'o', algorithm: 'x', testing: [], tags: [], model_path: dir, loading_strategy: { loader_type: 'onnx', required_files: ['model.onnx'] } };
    const plan = await loadPlan(meta, { root: dir });
    expect(plan.steps).toEqual([`onnxruntime.InferenceSession(${JSON.stringify(`${dir}/model.onnx`)})`]);
    expect(plan.files).toEqual([{ name: 'model.onnx', path: join(dir, 'model.onnx'), purpose: 'file', size_bytes: 5 }]);
    expect(() => registerLoader('onnx', { ...onnx })).toThrow(/already registered; pass \{replace: true\}/);
    expect(() => registerLoader('huggingface', onnx)).toThrow(/already registered/);
    expect(() => registerLoader('bad type', onnx)).toThrow(/not a safe name/);
    expect(() => registerLoader('x2', { description: 'no steps' } as any)).toThrow(/needs a "steps\(ctx\)" function/);
    registerLoader('onnx', { ...onnx, description: 'v2' }, { replace: true });
    expect((await loadPlan(meta, { root: dir })).description).toBe('v2');
  });

  it('modelgit.yaml `loaders:` names a module whose default export is the strategy', async () => {
    const r = await tempRegistry();
    r.write('loaders/onnx.mjs', `export default {
  description: 'an ONNX graph',
  requiredFields: ['required_files'],
  files: () => ['config.json'],
  steps: (ctx) => ['session = onnxruntime.InferenceSession("' + ctx.directory + '/' + ctx.strategy.required_files[0] + '")'],
};\n`);
    r.write('modelgit.yaml', r.read('modelgit.yaml') + 'loaders:\n  onnx: loaders/onnx.mjs\n');
    const art = write(join(tempDir(), 'ck', 'model.onnx'), 'graph');
    write(join(art, '..', 'config.json'), '{}');
    r.git('add', '-A');
    r.git('commit', '-qm', 'onnx loader');
    await register(await r.open(), { algorithm: 'resnet', id: 'r1', modelPath: join(art, '..'), fields: { loading_strategy: { loader_type: 'onnx', required_files: ['model.onnx'] } } });
    const res = await r.run('plan', 'r1', '--json');
    expect(res.code).toBe(0);
    expect(res.json()).toMatchObject({ loader_type: 'onnx', description: 'an ONNX graph', steps: [`session = onnxruntime.InferenceSession("${join(art, '..')}/model.onnx")`] });
    expect(res.json().files.map((f: any) => f.name)).toEqual(['config.json', 'model.onnx']);
  });

  it('a loaders entry that is not a strategy is refused, naming the entry', async () => {
    const r = await tempRegistry();
    r.write('loaders/bad.mjs', 'export const x = 1;\n');
    r.write('modelgit.yaml', r.read('modelgit.yaml') + 'loaders:\n  onnx: loaders/bad.mjs\n  gone: loaders/missing.mjs\n');
    r.git('add', '-A');
    r.git('commit', '-qm', 'bad loader');
    await register(await r.open(), { algorithm: 'resnet', id: 'r1', modelPath: '/tmp', fields: { loading_strategy: { loader_type: 'onnx' } } });
    const res = await r.run('plan', 'r1');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/modelgit\.yaml: loaders\.onnx: loaders\/bad\.mjs does not export a loader strategy as its default export: a loader strategy must be an object/);
  });

  it('a loaders entry with an unsafe loader name breaks the config schema (exit 1, located)', async () => {
    const r = await tempRegistry();
    r.write('modelgit.yaml', r.read('modelgit.yaml') + 'loaders:\n  "bad name": x.mjs\n');
    const res = await r.run('plan', 'x');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/modelgit\.yaml:\d+:\d+: \/loaders\/bad name/);
  });
});

describe('register --checksum and verify', () => {
  it('records each file of a directory, sorted, and verify proves them (exit 0)', async () => {
    const r = await withCheckpoint({ checksum: true });
    const meta = JSON.parse(r.read(`models/gpt2/${r.id}.json`));
    expect(meta.artifact.files.map((f: any) => f.path)).toEqual(['config.json', 'metadata.json', 'model.safetensors', 'modeling.py']);
    for (const f of meta.artifact.files) {
      expect(f.sha256).toBe(sha(join(r.art, f.path)));
      expect(f.size_bytes).toBe(readFileSync(join(r.art, f.path)).length);
    }
    const res = await r.run('verify', r.id, '--json');
    expect(res.code).toBe(0);
    const v = res.json();
    expect(v.ok).toBe(true);
    expect(v.model_id).toBe(r.id);
    expect(v.checks.map((c: any) => c.name)).toEqual([
      'artifact-present',
      'size:config.json', 'sha256:config.json', 'size:metadata.json', 'sha256:metadata.json',
      'size:model.safetensors', 'sha256:model.safetensors', 'size:modeling.py', 'sha256:modeling.py',
      'loading-strategy', 'required-file:config.json', 'required-file:modeling.py', 'required-file:model.safetensors',
      'safetensors:model.safetensors', 'key-mapping',
    ]);
    expect(v.checks.every((c: any) => c.ok && typeof c.detail === 'string')).toBe(true);
    const text = await r.run('verify', r.id);
    expect(text.stdout).toMatch(/gpt2_ref: verified \(15 checks\)/);
  });

  it('a changed byte fails sha256, a changed size fails size, a missing file fails (exit 1, every problem listed)', async () => {
    const r = await withCheckpoint({ checksum: true });
    const cfg = join(r.art, 'config.json');
    const text = readFileSync(cfg, 'utf8');
    writeFileSync(cfg, text.replace('"gpt2"', '"gpt3"'));
    writeFileSync(join(r.art, 'modeling.py'), 'class GPTMTPForCausalLM:\n    pass  # edited\n');
    rmSync(join(r.art, 'metadata.json'));
    const res = await r.run('verify', r.id, '--json');
    expect(res.code).toBe(1);
    const failed = res.json().checks.filter((c: any) => !c.ok);
    expect(failed.map((c: any) => c.name)).toEqual(['sha256:config.json', 'file:metadata.json', 'size:modeling.py', 'sha256:modeling.py']);
    expect(failed[0].detail).toMatch(/^[0-9a-f]{64}, registered [0-9a-f]{64}$/);
    expect(failed[3].detail).toBe('not computed: the size already differs');
    const plain = await r.run('verify', r.id);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toMatch(/FAIL sha256:config\.json/);
    expect(plain.stdout).toMatch(/4 of \d+ checks failed/);
  });

  it('a truncated safetensors file and a missing required file fail their checks', async () => {
    const r = await withCheckpoint();
    writeFileSync(join(r.art, 'model.safetensors'), safetensorsBytes(WRAPPED_TENSORS, { truncateBy: 100 }));
    rmSync(join(r.art, 'modeling.py'));
    const v = (await r.run('verify', r.id, '--json')).json();
    expect(v.ok).toBe(false);
    const byName = Object.fromEntries(v.checks.map((c: any) => [c.name, c]));
    expect(byName['required-file:modeling.py']).toMatchObject({ ok: false, detail: `${join(r.art, 'modeling.py')} is missing` });
    expect(byName['safetensors:model.safetensors'].detail).toMatch(/truncated safetensors file/);
    expect(byName.checksum).toMatchObject({ ok: true, detail: expect.stringMatching(/no checksum recorded/) });
    expect(byName['key-mapping']).toBeUndefined();
  });

  it('a single file: artifact {sha256, size_bytes}; file:// and absolute paths verify too', async () => {
    const r = await tempRegistry();
    const weights = write(join(tempDir(), 'mscn.pt'), 'weights\n'.repeat(1000));
    const a = await r.run('register', '--algo', 'mscn', '--id', 'm1', '--model-path', weights, '--checksum', '--json');
    expect(a.code).toBe(0);
    expect(JSON.parse(r.read(a.json().path)).artifact).toEqual({ sha256: sha(weights), size_bytes: 8000 });
    await r.run('register', '--algo', 'mscn', '--id', 'm2', '--model-path', pathToFileURL(weights).href, '--checksum');
    for (const id of ['m1', 'm2']) expect((await r.run('verify', id)).code).toBe(0);
    writeFileSync(weights, 'weights\n'.repeat(999) + 'weightz\n');
    const v = (await r.run('verify', 'm1', '--json')).json();
    expect(v.checks.map((c: any) => [c.name, c.ok])).toEqual([['artifact-present', true], ['size:artifact', true], ['sha256:artifact', false]]);
  });

  it('a remote URI, a missing artifact and no model_path fail verify, saying why', async () => {
    const r = await tempRegistry();
    // No artifacts layout, so "bare" gets no model_path.
    r.write('modelgit.yaml', r.read('modelgit.yaml').replace(/^artifacts:.*\n/m, ''));
    r.git('commit', '-q', '--amend', '--no-edit', '-a');
    const reg = await r.open();
    await register(reg, { algorithm: 'mscn', id: 's3m', modelPath: 's3://bucket/m.pt' });
    await register(reg, { algorithm: 'mscn', id: 'gone', modelPath: 'artifacts/nope.pt' });
    await register(reg, { algorithm: 'mscn', id: 'bare' });
    const s3 = await r.run('verify', 's3m', '--json');
    expect(s3.code).toBe(1);
    expect(s3.json().checks).toEqual([{ name: 'artifact-present', ok: false, detail: 's3://bucket/m.pt is a s3:// URI; verify checks local artifacts only (fetch it and verify the copy)' }]);
    expect((await r.run('verify', 'gone', '--json')).json().checks[0].detail).toBe(`${join(r.dir, 'artifacts/nope.pt')} does not exist`);
    expect((await r.run('verify', 'bare', '--json')).json().checks[0].detail).toMatch(/no model_path is recorded/);
    const missing = await r.run('verify', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no model "nope"/);
  });

  it.each([
    [['--checksum'], /--checksum needs the artifact to checksum: --model-path/],
    [['--checksum', '--model-path', 'nowhere/x.pt'], /--model-path: .*nowhere\/x\.pt does not exist/],
    [['--checksum', '--model-path', 'https://host/x.pt'], /https:\/\/ URI; only a local file or directory can be checksummed/],
  ])('register %j is a usage error (exit 2) and writes nothing', async (args, message) => {
    const r = await tempRegistry();
    const before = repoState(r.dir);
    const res = await r.run('register', '--algo', 'mscn', ...args);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(repoState(r.dir)).toBe(before);
  });
});

describe('resolve', () => {
  async function family() {
    const r = await withCheckpoint({ id: 'ref_a', extra: { testing: [{ dataset: 'production', performance: { total_time: 30 } }] } });
    const reg = await r.open();
    const fields = (over: Partial<ModelMetadata>) => ({
      role: 'reference_model', loading_strategy: LOADING, algorithm_compatibility: ['critic-wmtp', 'rho1-wmtp'], ...over,
    });
    await register(reg, { algorithm: 'gpt2', id: 'ref_b', modelPath: 'artifacts/ref_a', fields: fields({ testing: [{ dataset: 'production', performance: { total_time: 20 } }] }) });
    await register(reg, { algorithm: 'gpt2', id: 'critic_c', modelPath: 'artifacts/ref_a', fields: fields({ role: 'critic', algorithm_compatibility: ['critic-wmtp'] }) });
    await register(reg, { algorithm: 'mscn', id: 'mscn_1' });
    return r;
  }

  it('prefers the model holding a stage, most mature first, and answers with the plan', async () => {
    const r = await family();
    r.write('stages.yaml', 'gpt2:\n  staging: ref_b\n  production: ref_a\n');
    r.git('commit', '-qam', 'stages');
    const res = await r.run('resolve', '--for', 'critic-wmtp', '--json');
    expect(res.code).toBe(0);
    const a = res.json();
    expect(a).toMatchObject({
      model_id: 'ref_a', model_path: 'artifacts/ref_a', role: 'reference_model', loading_strategy: LOADING, stage: 'production',
      reason: 'holds stage production for gpt2', rule: 'stage', recipe: 'critic-wmtp', metric: 'total_time', dataset: 'production',
    });
    expect(a.candidates.sort()).toEqual(['critic_c', 'ref_a', 'ref_b']);
    expect(a.rejected).toEqual([{ model_id: 'mscn_1', algorithm: 'mscn', reasons: ['lists no algorithm_compatibility', 'has no loading_strategy'] }]);
    expect(a.plan.weights[0].renamed).toBe(4);
    expect((await r.run('resolve', '--for', 'critic-wmtp', '--stage', 'staging', '--json')).json()).toMatchObject({ model_id: 'ref_b', stage: 'staging' });
    const text = await r.run('resolve', '--for', 'critic-wmtp');
    expect(text.stdout).toMatch(/^ref_a\n {2}reason {5}holds stage production for gpt2\n/);
  });

  it('else the best on the default metric, else the newest; --role filters; --field prints one value', async () => {
    const r = await family();
    const best = (await r.run('resolve', '--for', 'rho1-wmtp', '--json')).json();
    expect(best).toMatchObject({ model_id: 'ref_b', rule: 'best', stage: null });
    expect(best.reason).toBe('no compatible model holds production or staging; best total_time on production: 20 (min, 2 of 2 compatible models tested)');
    const critic = (await r.run('resolve', '--for', 'critic-wmtp', '--role', 'critic', '--json')).json();
    expect(critic).toMatchObject({ model_id: 'critic_c', rule: 'only', role: 'critic', reason: 'the only compatible model (it holds no production or staging stage)' });
    expect(critic.rejected.find((x: any) => x.model_id === 'ref_a').reasons).toEqual(['role is reference_model, not critic']);
    const field = await r.run('resolve', '--for', 'rho1-wmtp', '--field', 'model_path');
    expect(field.stdout).toBe('artifacts/ref_a\n');
  });

  it('exits 1 naming the recipe and why each candidate was rejected', async () => {
    const r = await family();
    const before = repoState(r.dir);
    const res = await r.run('resolve', '--for', 'dpo', '--json');
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/no model is compatible with recipe dpo; 4 candidate\(s\) rejected:/);
    expect(res.stderr).toMatch(/ {2}ref_a: compatible with baseline-mtp, critic-wmtp, rho1-wmtp, not dpo/);
    expect(res.stderr).toMatch(/ {2}mscn_1: lists no algorithm_compatibility; has no loading_strategy/);
    const err = JSON.parse(res.stderr.trim().split('\n').pop()!).error;
    expect(err.code).toBe('NOT_FOUND');
    expect(err.rejected).toHaveLength(4);
    expect(repoState(r.dir)).toBe(before);
    const role = await r.run('resolve', '--for', 'critic-wmtp', '--role', 'policy');
    expect(role.code).toBe(1);
    expect(role.stderr).toMatch(/recipe critic-wmtp with role policy/);
  });

  it('does not fall back silently when the chosen model cannot be loaded; --no-plan answers anyway', async () => {
    const r = await family();
    rmSync(join(r.dir, 'artifacts/ref_a/modeling.py'));
    const res = await r.run('resolve', '--for', 'rho1-wmtp');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/resolve chose ref_b \(.*\), but it cannot be loaded: model ref_b: required file missing in .*: modeling\.py/);
    const noPlan = await r.run('resolve', '--for', 'rho1-wmtp', '--no-plan', '--json');
    expect(noPlan.code).toBe(0);
    expect(noPlan.json().plan).toBeUndefined();
  });

  it('refuses bad flags with exit 2', async () => {
    const r = await tempRegistry();
    expect((await r.run('resolve')).code).toBe(2);
    const bad = await r.run('resolve', '--for', 'x', '--stage', '../prod');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--stage: stage "\.\.\/prod" is not a safe name/);
  });
});
