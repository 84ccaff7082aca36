#!/usr/bin/env node
// npm run demo [-- DIR]: builds a demo registry (in a temp dir unless DIR is given) and walks the
// main workflow with the real CLI, printing each command and what it printed.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const dir = resolve(process.argv[2] ?? mkdtempSync(join(tmpdir(), 'modelgit-demo-')));
if (existsSync(dir) && readdirSync(dir).length > 0 && !existsSync(join(dir, '.git'))) {
  console.error(`demo: ${dir} exists and is not empty; name a new or empty directory`);
  process.exit(2);
}
mkdirSync(dir, { recursive: true });

const bold = (s) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

function section(title) {
  console.log(`\n${bold('## ' + title)}`);
}

let lastStderr = '';

/** Runs `modelgit ...args` in the demo registry and prints the command line and its output. */
function mg(args, { expectFail = false, quiet = false } = {}) {
  console.log(bold(`$ modelgit ${args.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ')}`));
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8' });
  lastStderr = r.stderr ?? '';
  if (!quiet && r.stdout) process.stdout.write(r.stdout);
  if (r.stderr) process.stdout.write(dim(r.stderr));
  if ((r.status !== 0) !== expectFail) {
    console.error(`demo: \`modelgit ${args.join(' ')}\` exited ${r.status}${expectFail ? ' but was expected to fail' : ''}`);
    process.exit(1);
  }
  if (expectFail) console.log(dim(`(exit ${r.status}, as expected)`));
  return r.stdout.trim();
}

function sh(cmd, args) {
  return execFileSync(cmd, args, { cwd: dir, encoding: 'utf8' });
}

// A fresh machine may have no git identity; the demo repo gets its own.
if (!existsSync(join(dir, '.git'))) {
  sh('git', ['init', '-q']);
}
sh('git', ['config', 'user.name', 'modelgit demo']);
sh('git', ['config', 'user.email', 'demo@modelgit.invalid']);
sh('git', ['config', 'commit.gpgsign', 'false']);
sh('git', ['config', 'tag.gpgsign', 'false']);

console.log(`modelgit demo registry: ${dir}`);

section('1. Create the registry (config, stages, models dir, pre-commit hook; one commit)');
mg(['init']);

/**
 * What a training run does after `register`: saves its weights where register said (the artifacts
 * layout of modelgit.yaml, git-ignored), so later commands (restore, verify) find them.
 */
function saveWeights(id) {
  const m = /^artifact path: (.+)$/m.exec(lastStderr);
  if (!m) {
    console.error(`demo: register ${id} did not say where to save its weights`);
    process.exit(1);
  }
  mkdirSync(m[1], { recursive: true });
  writeFileSync(join(m[1], 'model.pt'), `demo weights of ${id}\n`);
  console.log(dim(`(the training run saves its weights there: ${join(m[1], 'model.pt')})`));
}

section('2. Save every training run without naming it: timestamp ids; each gets a place for its weights');
const runs = [
  { epochs: 50, lr: 0.001, t: 900.2 },
  { epochs: 100, lr: 0.001, t: 1800.5 },
  { epochs: 100, lr: 0.0005, t: 1750.0 },
  { epochs: 200, lr: 0.0005, t: 3600.9 },
];
const ids = runs.map((r) => {
  const id = mg(['register', '--algo', 'mscn', '--dataset', 'production', '--num-queries', '500', '--param', `num_epoch=${r.epochs}`, '--param', `learning_rate=${r.lr}`, '--training-time', String(r.t), '--notes', 'demo run']);
  saveWeights(id);
  return id;
});
const lero = mg(['register', '--algo', 'lero', '--dataset', 'production', '--param', 'num_epoch=30', '--training-time', '600']);
saveWeights(lero);

section('3. Test each model, on several datasets over days (results accumulate)');
mkdirSync(join(dir, 'runs'), { recursive: true });
const perQuery = [
  [0.52, 0.41, 0.38, 1.9, 0.44, 0.36, 0.47, 0.35],
  [0.33, 0.29, 0.31, 1.2, 0.3, 0.28, 0.35, 0.27],
  [0.35, 0.3, 0.33, 1.1, 0.31, 0.29, 0.34, 0.3],
  [0.4, 0.39, 0.42, 1.5, 0.41, 0.38, 0.45, 0.4],
];
ids.forEach((id, i) => {
  const f = `runs/${id}-production.txt`;
  writeFileSync(join(dir, f), perQuery[i].join('\n') + '\n');
  mg(['test', id, '--dataset', 'production', '--times', f]);
});
mg(['test', ids[1], '--dataset', 'job', '--metric', 'total_time=120.5', '--metric', 'accuracy=0.91']);
mg(['test', ids[2], '--dataset', 'job', '--metric', 'total_time=110.2', '--metric', 'accuracy=0.93']);
mg(['test', lero, '--dataset', 'production', '--metric', 'total_time=3.1']);

section('4. Find the best model per dataset');
mg(['list', '--algo', 'mscn', '--sort', 'total_time', '--on', 'production']);
mg(['best', '--algo', 'mscn', '--dataset', 'production']);
mg(['best', '--algo', 'mscn', '--dataset', 'job', '--metric', 'accuracy']);
mg(['best', '--algo', 'mscn', '--dataset', 'production', '--record']);
mg(['best', '--algo', 'mscn', '--dataset', 'production', '--field', 'model_id']);

section('5. Compare models side by side (best per column marked, deltas against the first)');
mg(['compare', ...ids.slice(0, 3)]);

section('6. Promote through a gated path (staging → production)');
mg(['promote', ids[2], '--stage', 'staging']);
mg(['promote', ids[2], '--stage', 'production']);
// A slower model can't replace it: the must_beat_current gate in modelgit.yaml refuses.
mg(['promote', ids[0], '--stage', 'production'], { expectFail: true });
mg(['stages']);

section('7. Clean out the weak ones without losing anything');
mg(['tag', ids[0], 'keep']);
mg(['cleanup', '--algo', 'mscn', '--keep', '1', '--dataset', 'production', '--dry-run']);
mg(['cleanup', '--algo', 'mscn', '--keep', '1', '--dataset', 'production']);
mg(['restore', ids[3]]);

section('8. The audit trail is git log');
mg(['history', '--limit', '12']);
mg(['show', ids[2]]);

section('9. Load the right model for a training recipe from metadata alone');
const ckpt = join(dir, 'artifacts', 'gpt2-mtp-ref');
mkdirSync(ckpt, { recursive: true });
writeFileSync(join(ckpt, 'config.json'), JSON.stringify({ model_type: 'gpt2', n_layer: 2 }) + '\n');
writeFileSync(join(ckpt, 'modeling.py'), 'class GPTMTPForCausalLM:\n    pass\n');
// A real safetensors file: 8-byte little-endian header length, JSON header, tensor bytes.
const header = JSON.stringify({
  'base_model.transformer.wte.weight': { dtype: 'F32', shape: [4, 2], data_offsets: [0, 32] },
  'base_model.lm_head.weight': { dtype: 'F32', shape: [4, 2], data_offsets: [32, 64] },
});
const len = Buffer.alloc(8);
len.writeBigUInt64LE(BigInt(Buffer.byteLength(header)));
writeFileSync(join(ckpt, 'model.safetensors'), Buffer.concat([len, Buffer.from(header), Buffer.alloc(64)]));
writeFileSync(
  join(ckpt, 'metadata.json'),
  JSON.stringify(
    {
      wmtp_type: 'reference_model',
      base_architecture: 'gpt2',
      training_algorithm: 'mtp',
      storage_version: '2.0',
      loading_strategy: {
        loader_type: 'custom_mtp',
        model_class_name: 'GPTMTPForCausalLM',
        custom_module_file: 'modeling.py',
        transformers_class: 'AutoModelForCausalLM',
        state_dict_mapping: { remove_prefix: 'base_model.', add_prefix: null, key_transforms: {} },
        required_files: ['config.json', 'model.safetensors', 'modeling.py'],
      },
      algorithm_compatibility: ['baseline-mtp', 'critic-wmtp', 'rho1-wmtp'],
    },
    null,
    2,
  ),
);
mg(['import', 'artifacts/gpt2-mtp-ref']);
mg(['resolve', '--for', 'critic-wmtp']);
mg(['verify', 'gpt2-mtp-ref']);
mg(['resolve', '--for', 'no-such-recipe'], { expectFail: true });

section('10. Checks: the schema, the hook, and what a pull request would change');
mg(['validate', '--all']);
// Quietly "improving" a recorded result by hand: the pre-commit hook refuses the commit.
const file = join(dir, 'models', 'mscn', `${ids[0]}.json`);
const edited = readFileSync(file, 'utf8').replace(/"total_time": [0-9.]+/, '"total_time": 0.5');
writeFileSync(file, edited);
console.log(bold('$ git commit -am "better numbers"   # after editing a recorded total_time by hand'));
const commit = spawnSync('git', ['commit', '-qam', 'better numbers'], { cwd: dir, encoding: 'utf8' });
process.stdout.write(dim(commit.stderr));
console.log(dim(`(exit ${commit.status}: the hook refused it)`));
if (commit.status === 0) {
  console.error('demo: the pre-commit hook should have refused the edit');
  process.exit(1);
}
sh('git', ['checkout', '--', file]);
mg(['diff', 'HEAD~8', 'HEAD', '--format', 'md']);

section('11. A report to look at');
mg(['report', '--out', 'report']);

console.log(`\n${bold('Done.')} The registry is at ${dir}; try: cd ${JSON.stringify(dir)} && git log --format='%h %s%n%(trailers:key=Model-Id,valueonly)'`);
