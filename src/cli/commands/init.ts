// init and hooks install: parse → create the registry or install the hook → print what was done.
// They run outside a registry, so no Registry is opened here. `hooks receive-check` is the plumbing
// the server's pre-receive hook runs (hidden from help: not a command people type).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { init } from '../../registry/init.js';
import { installHookAt, installServerHookAt } from '../../install/hooks.js';
import { writeErr, writeJson, writeOut } from '../context.js';
import { CI_KINDS } from '../../install/ci.js';
import { choiceArg } from '../options.js';

export function initCommands(program: Command): void {
  program
    .command('init')
    .description('create a registry (or adopt an existing git repository): config, stages, models dir, pre-commit hook; one commit')
    .argument('[dir]', 'directory (created if missing)', '.')
    .option('--no-hook', 'do not install the pre-commit hook')
    .option('--chain', 'keep an existing pre-commit hook and run it before the modelgit check')
    .option('--force', 'replace an existing pre-commit hook (kept as pre-commit.backup)')
    .option('--ci <provider>', `also write the CI workflow (${CI_KINDS.join(', ')}): validate and summarise pull requests, tag merged promotions`, choiceArg(CI_KINDS))
    .option('--json', 'machine-readable output')
    .action(async (dir: string, o) => {
      const answer = await init({ dir, noHook: o.hook === false, chain: o.chain, force: o.force, ci: o.ci });
      if (o.json) return writeJson(answer);
      writeOut(answer.root);
      writeErr(`${answer.created_repo ? 'created' : 'adopted'} registry at ${answer.root} (commit ${answer.commit.slice(0, 10)})`);
      if (answer.hook) writeErr(`pre-commit hook ${answer.hook.action}: ${answer.hook.path}`);
      for (const n of answer.notes ?? []) writeErr(`note: ${n}`);
    });
  const hooks = program.command('hooks').description('manage the pre-commit hook (and, with --server, the pre-receive hook of a bare repository)');
  hooks
    .command('install')
    .description('install the pre-commit hook that validates staged metadata (--server: the pre-receive hook that checks every push, in a bare repository)')
    .option('--server', "in the server's bare repository: install the pre-receive hook that refuses pushes breaking the registry's rules")
    .option('--chain', 'keep an existing hook and run it before the modelgit check')
    .option('--force', 'replace an existing hook (kept as <hook>.backup)')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const install = o.server ? installServerHookAt : installHookAt;
      const answer = await install(process.cwd(), { chain: o.chain, force: o.force });
      if (o.json) return writeJson(answer);
      writeOut(answer.path);
      writeErr(`${o.server ? 'pre-receive' : 'pre-commit'} hook ${answer.action}${answer.backup ? ` (the previous hook is at ${answer.backup})` : ''}`);
    });
  hooks
    .command('receive-check', { hidden: true })
    .description("plumbing for the server's pre-receive hook: check the pushed ref updates (`old new ref` lines on stdin); one line per problem on stderr, exit 1 to refuse")
    .action(async () => {
      const { receiveCheck } = await import('../../registry/receive-check.js');
      // git runs a bare repository's hooks in it, with GIT_DIR set ("." there); git prints what
      // the hook writes to stderr to the pusher as `remote:` lines.
      const answer = await receiveCheck({ gitDir: resolve(process.env.GIT_DIR ?? '.'), input: await readStdin() });
      for (const line of answer.problems) writeErr(line);
      if (!answer.ok) process.exitCode = 1;
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
