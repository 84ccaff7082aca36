// report: parse → call the registry, which writes the static site → print its index page (and,
// on stderr, what went into it).
import type { Command } from 'commander';
import { buildReport } from '../../registry/report.js';
import { plural } from '../../domain/validation.js';
import { openRegistry, writeErr, writeJson, writeOut } from '../context.js';
import { problemsText } from '../../render/problems.js';

export function reportCommand(program: Command): void {
  program
    .command('report')
    .description('write a static HTML report (leaderboards, best over time, promotions, a page per model) that opens offline')
    .option('--out <dir>', 'output directory: new, empty, or an earlier report (replaced)', 'modelgit-report')
    .option('--algo <algorithm>', 'only this algorithm')
    .option('--skip-invalid', 'build without model files that cannot be read (named in the summary) instead of failing')
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const reg = await openRegistry();
      const answer = await buildReport(reg, { out: o.out, algorithm: o.algo, skipInvalid: !!o.skipInvalid });
      if (answer.skipped?.length) writeErr(problemsText(answer.skipped.map((f) => ({ ...f, pointer: '' }))));
      if (o.json) writeJson(answer);
      else {
        writeOut(answer.index);
        writeErr(
          `wrote ${plural(answer.pages, 'page')} for ${plural(answer.models, 'model')} (${plural(answer.algorithms.length, 'algorithm')}, ${plural(answer.commits, 'commit')}) in ${answer.elapsed_ms} ms` +
            (answer.problems ? `; ${answer.problems} unreadable metadata file(s) left out (modelgit validate --all names them)` : ''),
        );
      }
    });
}
