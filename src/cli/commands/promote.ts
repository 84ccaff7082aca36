// promote, demote, stages: parse → call the registry → render; a forced promotion is said so on
// stderr, as it is recorded in the commit.
import type { Command } from 'commander';
import { demote, promote, type PromoteAnswer, type StageAnswer } from '../../registry/promote.js';
import { listStages } from '../../registry/stages.js';
import { renderStages } from '../../render/lifecycle.js';
import { gateLine } from '../../render/gates.js';
import { errorOutput, openRegistry, output, writeErr, writeJson, writeOut } from '../context.js';
import { PUSH_OPTION } from '../push.js';
import { AT_HELP } from '../options.js';

function report(a: StageAnswer | PromoteAnswer, json: boolean): void {
  if (json) return writeJson(a);
  writeOut(a.commit);
  if (!a.changed) return writeErr(`${a.model_id} already holds ${a.algorithm}/${a.stage}; nothing committed`);
  const verb = 'gates' in a ? `promoted ${a.model_id} to ${a.algorithm}/${a.stage}${a.previous ? ` (replacing ${a.previous})` : ''}` : `demoted ${a.model_id} from ${a.algorithm}/${a.stage}`;
  writeErr(`${verb}${a.branch ? ` on the new branch ${a.branch}` : ''}${a.tag ? `; tag ${a.tag}` : ''}`);
  if ('gates' in a) {
    for (const g of a.gates) writeErr(`  ${gateLine(g, errorOutput())}`);
    if (a.forced) writeErr('  forced past the failed gates (recorded in the commit)');
  }
  if (a.branch && !a.pushed) writeErr(`push it and open a pull request: git push -u origin ${a.branch}`);
}

export function promoteCommands(program: Command): void {
  program
    .command('promote')
    .description('give a model a stage (stages.yaml), checking the promotion gates from modelgit.yaml; one commit, and a stage tag on the default branch')
    .argument('<id>', 'model id')
    .requiredOption('--stage <stage>', 'stage to promote to (one of modelgit.yaml stages)')
    .option('--force', 'promote even though gates fail (recorded in the commit as Forced: true)')
    .option('--branch', 'commit on a new branch promote/<id>-<stage> for a pull request instead')
    .option(...PUSH_OPTION)
    .option('--json', 'machine-readable output')
    .action(async (id: string, o) => {
      const reg = await openRegistry(o);
      report(await promote(reg, { id, stage: o.stage, force: !!o.force, branch: !!o.branch }), !!o.json);
    });
  program
    .command('demote')
    .description('take a stage away from a model (stages.yaml); one commit, and a stage tag on the default branch')
    .argument('<id>', 'model id holding the stage')
    .requiredOption('--stage <stage>', 'stage to remove')
    .option('--branch', 'commit on a new branch demote/<id>-<stage> for a pull request instead')
    .option(...PUSH_OPTION)
    .option('--json', 'machine-readable output')
    .action(async (id: string, o) => {
      const reg = await openRegistry(o);
      report(await demote(reg, { id, stage: o.stage, branch: !!o.branch }), !!o.json);
    });
  program
    .command('stages')
    .description('who holds which stage, and who promoted them when')
    .option('--algo <algorithm>', 'only this algorithm')
    .option('--at <rev|date>', AT_HELP)
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const rows = await listStages(await openRegistry(), { algorithm: o.algo, at: o.at });
      if (o.json) return writeJson(rows);
      if (rows.length === 0) return writeErr(o.algo ? `no stage is assigned for ${o.algo}` : 'no stage is assigned (modelgit promote ID --stage S)');
      writeOut(renderStages(rows, output()));
    });
}
