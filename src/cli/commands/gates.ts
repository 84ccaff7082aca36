// gates: parse → call the registry → render; exit 1 when a gate fails, so CI can check a
// promotion (or every promotion since a revision) without making it.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { checkGates, checkGatesSince } from '../../registry/gates.js';
import { openRegistry, output, writeErr, writeJson, writeOut } from '../context.js';
import { gateLine, verdict } from '../../render/gates.js';

export function gatesCommand(program: Command): void {
  program
    .command('gates')
    .description('check promotion gates without promoting: for ID --stage S, or for every promotion since a revision; exit 1 when one fails')
    .argument('[id]', 'model id to check')
    .option('--stage <stage>', 'the stage it would be promoted to')
    .option('--since <rev>', 'check every promotion between REV and HEAD instead')
    .option('--json', 'machine-readable output')
    .action(async (id: string | undefined, o) => {
      const reg = await openRegistry();
      const out = output();
      if (o.since !== undefined) {
        if (id !== undefined || o.stage !== undefined) throw new UsageError('use either ID --stage S or --since REV, not both');
        const a = await checkGatesSince(reg, o.since);
        if (!a.ok) process.exitCode = 1;
        if (o.json) return writeJson(a);
        if (a.checks.length === 0) writeErr(`no stage changed between ${a.base.slice(0, 10)} and ${a.head.slice(0, 10)}`);
        for (const c of a.checks) {
          const ch = c.change;
          const head = ch.action === 'demote' ? `demote ${ch.previous} from ${ch.algorithm}/${ch.stage}` : `promote ${ch.model_id} to ${ch.algorithm}/${ch.stage}`;
          const word = c.problem || !(c.evaluation?.ok ?? true) ? (c.forced ? 'FORCED' : 'FAIL') : 'ok';
          writeOut(`${verdict(word, out)} ${head}`);
          if (c.problem) writeOut(`  ${c.problem}`);
          for (const g of c.evaluation?.results ?? []) writeOut(`  ${gateLine(g, out)}`);
        }
        return;
      }
      if (id === undefined || o.stage === undefined) throw new UsageError('give ID --stage S (or --since REV)');
      const a = await checkGates(reg, { id, stage: o.stage });
      if (!a.ok) process.exitCode = 1;
      if (o.json) return writeJson(a);
      if (a.results.length === 0) writeOut(`ok: ${a.stage} has no gates in modelgit.yaml`);
      for (const g of a.results) writeOut(gateLine(g, out));
    });
}
