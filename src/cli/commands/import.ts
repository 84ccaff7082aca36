// import and migrate: parse → call the registry → render, with a progress bar on a terminal and
// Ctrl-C turned into a clean stop (a long import is the one command worth watching).
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { importRegistry, type ImportProgress } from '../../registry/import.js';
import { migrate } from '../../registry/migrate.js';
import { renderImport, renderMigrate } from '../../render/loading.js';
import { openRegistry, writeErr, writeJson, writeOut } from '../context.js';
import { PUSH_OPTION } from '../push.js';

/** A progress bar on stderr when it is a terminal; nothing otherwise (CI logs stay clean), nor with --json (stderr is one JSON object). */
function progressBar(json: boolean): { update: (p: ImportProgress) => void; stop: () => void } {
  if (!process.stderr.isTTY || json) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: '{phase} |{bar}| {value}/{total} {label}', hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let phase = '';
  return {
    update: (p) => {
      if (p.phase !== phase) {
        if (phase) bar.stop();
        phase = p.phase;
        bar.start(p.total, p.done, { phase: p.phase.padEnd(12), label: p.label });
      } else bar.update(p.done, { label: p.label });
    },
    stop: () => {
      if (phase) bar.stop();
      phase = '';
    },
  };
}

export function importCommands(program: Command): void {
  program
    .command('import')
    .description('bring in an older registry as commits: model_registry.json, an <Algo>/Model/<id>.json tree, or a model directory with metadata.json')
    .argument('<path>', 'the file or directory to import')
    .option('--algo <algorithm>', 'algorithm for every imported model (default: from the source)')
    .option('--id <id>', 'id for the one model of a model directory (default: the directory name)')
    .option('--single-commit', 'one commit for everything instead of one per model in training order')
    .option('--strict', 'refuse the import (nothing written) when an artifact a record names is found nowhere')
    .option(...PUSH_OPTION)
    .option('--json', 'machine-readable output')
    .action(async (path: string, o) => {
      const reg = await openRegistry(o);
      const bar = progressBar(!!o.json);
      const abort = new AbortController();
      const onInt = () => abort.abort();
      process.once('SIGINT', onInt);
      try {
        const answer = await importRegistry(reg, { path, algorithm: o.algo, id: o.id, singleCommit: o.singleCommit, strict: !!o.strict, onProgress: bar.update, signal: abort.signal }, process.cwd());
        bar.stop();
        if (o.json) writeJson(answer);
        else writeOut(renderImport(answer));
        for (const n of answer.notes) writeErr(`note: ${n}`);
        for (const m of answer.missing_artifacts) writeErr(`missing artifact: ${m.model_id}: model_path ${m.model_path}: ${m.reason}`);
        const missing = answer.missing_artifacts.length;
        writeErr(
          `imported ${answer.imported.length} model(s) from ${answer.source} in ${answer.commits.length} commit(s)` +
            (missing ? `; ${missing} without the artifact their record names (model_path left out, kept as extra.legacy_model_path; --strict refuses this)` : ''),
        );
      } finally {
        bar.stop();
        process.removeListener('SIGINT', onInt);
      }
    });

  program
    .command('migrate')
    .description('rewrite every version-1 model file to version 2 in one commit')
    .option(...PUSH_OPTION)
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const answer = await migrate(await openRegistry(o));
      if (o.json) writeJson(answer);
      else {
        writeOut(renderMigrate(answer));
        writeErr(answer.commit ? `migrated ${answer.migrated.length} file(s) in ${answer.commit.slice(0, 12)}` : 'nothing to migrate: every model file is version 2');
      }
    });
}
