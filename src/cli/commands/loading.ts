// plan, resolve, verify, attest: the commands about a model's artifact (loading it, proving its
// bytes); parse → call the registry → render.
import type { Command } from 'commander';
import { getPath } from '../../domain/metadata.js';
import { UsageError } from '../../errors.js';
import { planModel } from '../../registry/load-plan.js';
import { resolveModel } from '../../registry/resolve.js';
import { verifyModel } from '../../registry/verify.js';
import { attest } from '../../registry/attest.js';
import { PUSH_OPTION } from '../push.js';
import { renderPlan, renderResolve, renderVerify } from '../../render/loading.js';
import { openRegistry, output, writeErr, writeJson, writeOut } from '../context.js';
import { choiceArg } from '../options.js';
import { problemsText } from '../../render/problems.js';

export function loadingCommands(program: Command): void {
  program
    .command('plan')
    .description("a model's load plan: files, class, module and the tensor-key mapping, from its loading_strategy")
    .argument('<id>', 'model id')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o) => {
      const plan = await planModel(await openRegistry(), id);
      if (o.json) writeJson(plan);
      else writeOut(renderPlan(plan, output()));
    });

  program
    .command('resolve')
    .description('the model compatible with a training recipe (algorithm_compatibility), why it was chosen, and its load plan')
    .requiredOption('--for <recipe>', 'training recipe, e.g. critic-wmtp')
    .option('--role <role>', 'only models with this role')
    .option('--stage <stage>', 'prefer the model holding this stage (default: the most mature stage first)')
    .option('--dataset <dataset>', 'dataset for "best" (default: the production gate\'s first require_tested_on)')
    .option('--metric <metric>', 'metric for "best" (default: default_metric)')
    .option('--aggregate <how>', "latest, best or mean of a model's results on the dataset, for \"best\" (default: metrics.<m>.aggregate in modelgit.yaml, else latest)", choiceArg(['latest', 'best', 'mean'] as const))
    .option('--skip-invalid', 'resolve without model files that cannot be read (named on stderr) instead of failing')
    .option('--no-plan', 'answer without building the load plan (artifacts not on this machine)')
    .option('--field <path>', 'print only this field of the answer (e.g. model_path)')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const answer = await resolveModel(await openRegistry(), { recipe: o.for, role: o.role, stage: o.stage, dataset: o.dataset, metric: o.metric, aggregate: o.aggregate, skipInvalid: !!o.skipInvalid, plan: o.plan });
      if (answer.skipped?.length) writeErr(problemsText(answer.skipped.map((f) => ({ ...f, pointer: '' }))));
      if (o.field) {
        const v = getPath(answer, o.field);
        if (v === undefined) throw new UsageError(`--field: the answer has no ${o.field}`);
        writeOut(typeof v === 'string' ? v : JSON.stringify(v));
      } else if (o.json) writeJson(answer);
      else writeOut(renderResolve(answer, output()));
    });

  program
    .command('verify')
    .description("check a model's artifact: present where model_path says, required files, sha256 and size, safetensors headers, and its signed attestation if it has one")
    .argument('<id>', 'model id')
    .option('--allowed-signers <file>', "whose signatures count on an attestation (default: git's gpg.ssh.allowedSignersFile)")
    .option('--json', 'machine-readable output')
    .action(async (id: string, o) => {
      const answer = await verifyModel(await openRegistry(), id, { allowedSigners: o.allowedSigners });
      if (o.json) writeJson(answer);
      else if (answer.ok) writeOut(renderVerify(answer, output()));
      else {
        writeOut(renderVerify(answer, output()));
        writeErr(`modelgit: error: ${id} failed verification`);
      }
      if (!answer.ok) process.exitCode = 1;
    });

  program
    .command('attest')
    .description("sign a statement of the model's artifact files (sha256) and metadata with your SSH key: an in-toto attestation committed beside the models, checked by verify")
    .argument('<id>', 'model id')
    .requiredOption('--key <file>', 'the SSH private key to sign with (an Ed25519 key: ssh-keygen -t ed25519 -f FILE)')
    .option(...PUSH_OPTION)
    .option('--json', 'machine-readable output')
    .action(async (id: string, o) => {
      const answer = await attest(await openRegistry(o), id, { key: o.key });
      if (o.json) return writeJson(answer);
      writeOut(`attested ${answer.subjects.length} file(s) of ${id} in ${answer.path} (${answer.commit.slice(0, 10)}), signed by ${answer.keyid}`);
    });
}
