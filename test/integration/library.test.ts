// modelgit as a library, the way a user's TypeScript project gets it: `import … from 'modelgit'`
// in a project whose node_modules/modelgit is this package (a symlink to the built checkout, so the
// name resolves through package.json `exports` to dist/index.js and dist/index.d.ts, as after an
// install). A user program calling every exported operation is type-checked by tsc against the
// shipped declarations (strict, NodeNext), compiled, and run with plain node on a real registry;
// the test then checks its answers. The examples of README.md ("From TypeScript") and the loading
// guide ("From code") are taken from the docs as written and run the same way, so they stay true.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { safetensorsBytes, write, writeOlderTree } from '../fixtures/legacy.js';
import { GIT_ENV, runCli, tempDir } from '../helpers.js';
import { ROOT } from './adoption-helpers.js';

const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** The first ```ts block after `heading` in a markdown file. */
function tsExample(file: string, heading: string): string {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const at = text.indexOf(heading);
  expect(at, `${file} has no "${heading}"`).toBeGreaterThanOrEqual(0);
  const m = /^```ts\n([\s\S]*?)^```$/m.exec(text.slice(at));
  expect(m, `${file}: no \`\`\`ts block after "${heading}"`).not.toBeNull();
  return m![1]!;
}

// Every operation the CLI has, called as a user would, with a little of each answer printed.
const USER_PROGRAM = String.raw`
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Registry, init, installHook, register, recordTest, tagModel, untagModel, noteModel,
  list, show, history, best, recordBest, compare, checkGates, checkGatesSince, promote, demote, stages, diff,
  validate, cleanup, restore, planModel, loadPlan, resolveModel, verifyModel, report, syncTags,
  importRegistry, migrate, ModelgitError, NotFoundError, UsageError,
  type BestOutcome, type ModelMetadata, type ListAnswer,
} from 'modelgit';

const [parent, older, weights] = process.argv.slice(2) as [string, string, string];
const dir = join(parent, 'registry');
const out: Record<string, unknown> = {};

out.init = await init({ dir, noHook: true });
out.hooks = await installHook(dir, {});
const reg = await Registry.open({ cwd: dir });

mkdirSync(join(dir, 'artifacts', 'ref'), { recursive: true });
writeFileSync(join(dir, 'artifacts', 'ref', 'config.json'), '{}\n');
writeFileSync(join(dir, 'artifacts', 'ref', 'model.safetensors'), Buffer.from(weights, 'base64'));
const loadable: Partial<ModelMetadata> = {
  role: 'reference_model',
  algorithm_compatibility: ['critic-wmtp'],
  loading_strategy: { loader_type: 'huggingface', transformers_class: 'AutoModel', required_files: ['config.json', 'model.safetensors'] },
};
out.register = await register(reg, { algorithm: 'gpt2', id: 'gpt2-mtp-ref', modelPath: 'artifacts/ref', fields: loadable });
for (const [id, time] of [['m1', 50], ['m2', 40], ['m3', 60]] as const) {
  await register(reg, { algorithm: 'mscn', id, dataset: 'production', params: { lr: 0.01 } });
  out['test_' + id] = await recordTest(reg, { id, dataset: 'production', metrics: ['total_time=' + time] });
}
out.tag = await tagModel(reg, 'm1', ['keep']);
out.untag = await untagModel(reg, 'm1', ['keep']);
out.note = await noteModel(reg, 'm1', 'from code');

const listed: ListAnswer = await list(reg, { algorithm: 'mscn', sort: 'total_time' });
out.list = listed.entries.map((e) => e.model.metadata.model_id);
out.show = await show(reg, 'm1');
out.history = await history(reg, { id: 'm1' });
const won: BestOutcome = await best(reg, { algorithm: 'mscn' });
out.best = won.answer;
out.record_best = (await recordBest(reg, { algorithm: 'mscn' })).answer;
out.compare = await compare(reg, { ids: ['m1', 'm2'] });
out.gates_pass = await checkGates(reg, { id: 'm2', stage: 'production' });
out.promote = await promote(reg, { id: 'm2', stage: 'production' });
out.gates_fail = await checkGates(reg, { id: 'm1', stage: 'production' });
out.gates_since = await checkGatesSince(reg, 'HEAD~1');
out.stages = await stages(reg);
out.diff = await diff(reg, 'HEAD~2');
out.validate = await validate({ cwd: dir, mode: 'all' });
out.cleanup_dry = await cleanup(reg, { algorithm: 'mscn', keep: 1, dryRun: true });
out.cleanup = await cleanup(reg, { algorithm: 'mscn', keep: 1 });
out.restore = await restore(reg, 'm3');
out.demote = await demote(reg, { id: 'm2', stage: 'production' });
out.plan = await planModel(reg, 'gpt2-mtp-ref');
out.load_plan = await loadPlan(await reg.model('gpt2-mtp-ref'), { root: reg.root });
out.resolve = await resolveModel(reg, { recipe: 'critic-wmtp' });
out.verify = await verifyModel(reg, 'gpt2-mtp-ref');
out.report = await report(reg, { out: join(parent, 'site') });
out.sync_tags = await syncTags(reg);
out.import = await importRegistry(reg, { path: older });
out.migrate = await migrate(reg);

const failures: Record<string, unknown> = {};
for (const [name, attempt] of [
  ['not_found', () => best(reg, { algorithm: 'resnet' })],
  ['usage', () => register(reg, { algorithm: '../x' })],
] as const) {
  try {
    await attempt();
    failures[name] = 'no error';
  } catch (e) {
    if (!(e instanceof ModelgitError)) throw e;
    failures[name] = { code: e.code, class: e.constructor.name, notFound: e instanceof NotFoundError, usage: e instanceof UsageError, exitCode: e.exitCode };
  }
}
out.failures = failures;
console.log(JSON.stringify(out));
`;

let project: string;
let parent: string;
let compiled: { status: number | null; out: string };

function node(cwd: string, file: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [file, ...args], { cwd, env: { ...process.env, ...GIT_ENV }, encoding: 'utf8', timeout: 300_000 });
  return { status: r.status, stdout: r.stdout, out: r.stdout + r.stderr };
}

beforeAll(() => {
  project = tempDir('modelgit-user-project-');
  writeFileSync(join(project, 'package.json'), '{ "name": "training", "private": true, "type": "module" }\n');
  mkdirSync(join(project, 'node_modules'));
  symlinkSync(ROOT, join(project, 'node_modules', 'modelgit'));
  writeFileSync(join(project, 'user.ts'), USER_PROGRAM);
  writeFileSync(join(project, 'readme.ts'), tsExample('README.md', '## From TypeScript'));
  // The guide's example prints nothing; a line added after it shows what it found.
  const loading = tsExample('docs/guide/loading.md', '### From code').replace("'/path/to/registry'", 'process.argv[2]!');
  writeFileSync(join(project, 'loading.ts'), `${loading}console.log(JSON.stringify({ plan, pick, proof }));\n`);
  writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', rootDir: '.',
      types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')],
    },
    files: ['user.ts', 'readme.ts', 'loading.ts'],
  }));
  const tsc = spawnSync(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: project, encoding: 'utf8', timeout: 300_000 });
  compiled = { status: tsc.status, out: tsc.stdout + tsc.stderr };
  parent = tempDir('modelgit-library-');
}, 300_000);

describe("import … from 'modelgit'", () => {
  it('type-checks against the shipped declarations (strict, NodeNext)', () => {
    expect(compiled.out).toBe('');
    expect(compiled.status).toBe(0);
  });

  it('every exported operation works on a real registry', () => {
    expect(compiled.status, compiled.out).toBe(0);
    const weights = safetensorsBytes({ w: { dtype: 'F32', shape: [2] } }).toString('base64');
    const res = node(project, 'out/user.js', parent, writeOlderTree(join(parent, 'older')), weights);
    expect(res.status, res.out).toBe(0);
    const a = JSON.parse(res.stdout);
    expect(a.init).toMatchObject({ root: join(parent, 'registry'), created_repo: true, commit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(a.hooks).toMatchObject({ action: 'installed' });
    expect(a.register).toMatchObject({ model_id: 'gpt2-mtp-ref', path: 'models/gpt2/gpt2-mtp-ref.json' });
    expect(a.test_m2).toMatchObject({ model_id: 'm2', result: { dataset: 'production', performance: { total_time: 40 } } });
    expect(a.tag).toMatchObject({ model_id: 'm1', changed: true });
    expect(a.untag).toMatchObject({ model_id: 'm1', changed: true });
    expect(a.note).toMatchObject({ model_id: 'm1', changed: true });
    expect(a.list).toEqual(['m2', 'm1', 'm3']);
    expect(a.show.metadata).toMatchObject({ model_id: 'm1', notes: 'from code', tags: [] });
    expect(a.history.map((e: { action: string }) => e.action)).toEqual(['note', 'untag', 'tag', 'test', 'register']);
    expect(a.record_best).toMatchObject({ model_id: 'm2', value: 40 });
    expect(a.record_best.current_tag).toMatch(/^best\//);
    expect(a.best).toMatchObject({ model_id: 'm2', metric: 'total_time', direction: 'min', value: 40, candidates: 3, runner_up: { model_id: 'm1', value: 50 } });
    expect(a.compare.rows.map((r: { model_id: string }) => r.model_id)).toEqual(['m1', 'm2']);
    expect(a.gates_pass).toMatchObject({ model_id: 'm2', stage: 'production', ok: true });
    expect(a.promote).toMatchObject({ model_id: 'm2', stage: 'production', previous: null, tag: expect.stringMatching(/production/) });
    expect(a.gates_fail).toMatchObject({ model_id: 'm1', current: 'm2', ok: false });
    expect(a.gates_since).toMatchObject({ ok: true, checks: [{ change: { model_id: 'm2', stage: 'production', action: 'promote' }, evaluation: { ok: true } }] });
    expect(a.stages).toMatchObject([{ algorithm: 'mscn', stage: 'production', model_id: 'm2' }]);
    expect(a.diff.promotions).toMatchObject([{ model_id: 'm2', stage: 'production' }]);
    expect(a.validate).toMatchObject({ ok: true, errors: [] });
    expect(a.cleanup_dry).toMatchObject({ removed: ['m3'], commit: null, tag: null });
    expect(a.cleanup).toMatchObject({ removed: ['m3'], kept: ['m1'], protected: ['m2'], tag: 'cleanup/mscn/1' });
    expect(a.restore).toMatchObject({ model_id: 'm3', path: 'models/mscn/m3.json' });
    expect(a.demote).toMatchObject({ model_id: 'm2', stage: 'production', previous: 'm2' });
    expect(a.plan).toMatchObject({ model_id: 'gpt2-mtp-ref', loader_type: 'huggingface', weights: [{ format: 'safetensors', tensors: 1 }] });
    expect(a.load_plan).toEqual(a.plan);
    expect(a.resolve).toMatchObject({ model_id: 'gpt2-mtp-ref', model_path: 'artifacts/ref', role: 'reference_model' });
    expect(a.verify).toMatchObject({ ok: true, model_id: 'gpt2-mtp-ref' });
    expect(a.report).toMatchObject({ out: join(parent, 'site'), pages: expect.any(Number) });
    expect(a.sync_tags).toMatchObject({ pushed: false });
    expect(a.import.imported.length).toBeGreaterThan(0);
    expect(a.migrate).toMatchObject({ migrated: [], commit: null });
    expect(a.failures).toEqual({
      not_found: { code: 'NOT_FOUND', class: 'NotFoundError', notFound: true, usage: false, exitCode: 1 },
      usage: { code: 'USAGE', class: 'UsageError', notFound: false, usage: true, exitCode: 2 },
    });
  }, 300_000);

  it("README's example runs as shown, in the registry of its first commands", async () => {
    expect(compiled.status, compiled.out).toBe(0);
    const base = tempDir('modelgit-readme-');
    expect((await runCli(base, 'init', 'my-registry', '--no-hook')).code).toBe(0);
    const reg = join(base, 'my-registry');
    expect((await runCli(reg, 'register', '--algo', 'mscn', '--id', 'mscn_first', '--param', 'num_epoch=100')).code).toBe(0);
    expect((await runCli(reg, 'test', 'mscn_first', '--dataset', 'production', '--metric', 'total_time=42.5')).code).toBe(0);
    const res = node(reg, join(project, 'out/readme.js'));
    expect(res.status, res.out).toBe(0);
    expect(res.stdout).toBe('mscn_first 40.1 artifacts/mscn/mscn_first\n');
  }, 120_000);

  it("the loading guide's example runs as shown", async () => {
    expect(compiled.status, compiled.out).toBe(0);
    const base = tempDir('modelgit-loading-');
    expect((await runCli(base, 'init', 'registry', '--no-hook')).code).toBe(0);
    const reg = join(base, 'registry');
    write(join(reg, 'artifacts/ref/config.json'), '{}\n');
    writeFileSync(join(reg, 'artifacts/ref/model.safetensors'), safetensorsBytes({ w: { dtype: 'F32', shape: [2] } }));
    write(join(base, 'fields.json'), JSON.stringify({
      role: 'reference_model', algorithm_compatibility: ['critic-wmtp'],
      loading_strategy: { loader_type: 'huggingface', transformers_class: 'AutoModel', required_files: ['config.json', 'model.safetensors'] },
    }));
    const reg1 = await runCli(reg, 'register', '--algo', 'gpt2', '--id', 'gpt2-mtp-ref', '--model-path', 'artifacts/ref', '--from', join(base, 'fields.json'));
    expect(reg1.code, reg1.stderr).toBe(0);
    const res = node(base, join(project, 'out/loading.js'), reg);
    expect(res.status, res.out).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({
      plan: { model_id: 'gpt2-mtp-ref', loader_type: 'huggingface' },
      pick: { model_id: 'gpt2-mtp-ref', role: 'reference_model' },
      proof: { ok: true, model_id: 'gpt2-mtp-ref' },
    });
  }, 120_000);
});
