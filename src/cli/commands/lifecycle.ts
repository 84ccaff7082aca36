// show, history, cleanup, restore: parse → call the registry → render.
import type { Command } from 'commander';
import { cleanup } from '../../registry/cleanup.js';
import { PUSH_OPTION } from '../push.js';
import { history } from '../../registry/history.js';
import { restore } from '../../registry/restore.js';
import { show } from '../../registry/show.js';
import { historyLimitNote, renderCleanup, renderHistory, renderShow } from '../../render/lifecycle.js';
import { UsageError } from '../../errors.js';

/** Entries a terminal shows when --limit is not given (the newest); a pipe gets every one. */
export const HISTORY_TERMINAL_LIMIT = 30;
import { AT_HELP, choiceArg, positiveIntArg } from '../options.js';
import { openRegistry, output, writeErr, writeJson, writeOut } from '../context.js';
import { problemsText } from '../../render/problems.js';

export function lifecycleCommands(program: Command): void {
  program
    .command('show')
    .description('a model: metadata, the stages it holds, and its history from git log')
    .argument('<id>', 'model id')
    .option('--at <rev|date>', AT_HELP)
    .option('--json', 'machine-readable output: {metadata, stages, history}')
    .action(async (id: string, o) => {
      const answer = await show(await openRegistry(), id, { at: o.at });
      if (o.json) writeJson(answer);
      else writeOut(renderShow(answer, output()));
    });

  program
    .command('history')
    .description('the audit trail: modelgit commits (Model-Action trailers), newest first')
    .argument('[id]', 'only entries naming this model')
    .option('--algo <algorithm>', "only this algorithm's models (and its promotions)")
    .option('--action <action>', 'only this action (register, test, tag, promote, cleanup, …); several: a,b')
    .option('--since <date|rev>', 'only after a date (2024-10-01, "2 weeks ago") or a revision')
    .option('--limit <n>', `at most n entries (at a terminal the default is ${HISTORY_TERMINAL_LIMIT}; through a pipe, all)`, positiveIntArg)
    .option('--all', 'every entry, also at a terminal')
    .option('--json', 'machine-readable output: [{commit, action, model_ids, author, date, subject}]')
    .action(async (id: string | undefined, o) => {
      if (o.all && o.limit !== undefined) throw new UsageError('use --limit N or --all, not both');
      const out = output();
      // A person at a terminal gets the newest screenful. One entry more than shown tells whether
      // there are more without walking the whole log (a count would read all 6,000 entries).
      const defaultLimit = o.limit === undefined && !o.all && !o.json && out.tty ? HISTORY_TERMINAL_LIMIT : undefined;
      const found = await history(await openRegistry(), { id, algorithm: o.algo, action: o.action, since: o.since, limit: o.limit ?? (defaultLimit && defaultLimit + 1) });
      const entries = defaultLimit !== undefined ? found.slice(0, defaultLimit) : found;
      if (o.json) writeJson(entries);
      else if (entries.length) {
        writeOut(renderHistory(entries, out));
        if (defaultLimit !== undefined && found.length > defaultLimit) writeErr(historyLimitNote(entries.length, true));
      } else writeErr('no modelgit commits match');
    });

  program
    .command('cleanup')
    .description('keep the top N models of an algorithm and remove the rest in one commit (never a protected or staged model)')
    .requiredOption('--algo <algorithm>', 'algorithm to clean up')
    .requiredOption('--keep <n>', 'how many unprotected models to keep (protected and staged ones are extra)', positiveIntArg)
    .option('--metric <metric>', 'rank by this metric (default: default_metric from modelgit.yaml)')
    .option('--dataset <dataset>', 'rank on this dataset (default: the only one tested)')
    .option('--direction <dir>', 'min or max, when the config and the metric name do not tell', choiceArg(['min', 'max'] as const))
    .option('--aggregate <how>', "latest, best or mean of a model's results on the dataset (default: metrics.<m>.aggregate in modelgit.yaml, else latest)", choiceArg(['latest', 'best', 'mean'] as const))
    .option('--skip-invalid', "plan without the algorithm's model files that cannot be read (named on stderr; never removed) instead of failing")
    .option('--dry-run', 'show what would happen; write nothing')
    .option('--delete-artifacts', "after the commit, delete removed models' local artifacts (never one a kept model uses)")
    .option(...PUSH_OPTION)
    .option('--json', 'machine-readable output: {removed, kept, protected, commit, tag}')
    .action(async (o) => {
      const answer = await cleanup(await openRegistry(o), {
        algorithm: o.algo, keep: o.keep, metric: o.metric, dataset: o.dataset, direction: o.direction,
        aggregate: o.aggregate, skipInvalid: !!o.skipInvalid, dryRun: !!o.dryRun, deleteArtifacts: !!o.deleteArtifacts,
      });
      if (answer.skipped?.length) writeErr(problemsText(answer.skipped.map((f) => ({ ...f, pointer: '' }))));
      if (o.json) writeJson(answer);
      else writeOut(renderCleanup(answer, output()));
      if (answer.dry_run) writeErr('dry run: nothing was written');
      else if (answer.commit) writeErr(`committed ${answer.commit.slice(0, 7)} and tagged ${answer.tag}; bring a model back with: modelgit restore ID`);
      else writeErr('nothing to remove; no commit made');
    });

  program
    .command('restore')
    .description('bring a removed model back from history, in one commit')
    .argument('<id>', 'model id')
    .option(...PUSH_OPTION)
    .option('--json', 'machine-readable output: {model_id, path, commit}')
    .action(async (id: string, o) => {
      const answer = await restore(await openRegistry(o), id);
      if (o.json) writeJson(answer);
      else {
        writeOut(answer.commit);
        writeErr(`restored ${answer.path} as of ${answer.restored_from.slice(0, 7)} (removed in ${answer.removed_in.slice(0, 7)})`);
      }
      for (const w of answer.warnings) writeErr(`warning: ${w}`);
    });
}
