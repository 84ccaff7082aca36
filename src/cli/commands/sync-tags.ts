// sync-tags: parse → call the registry → print the stage tags written for promotions that
// reached the default branch without one.
import type { Command } from 'commander';
import { syncTags } from '../../registry/sync-tags.js';
import { openRegistry, writeErr, writeJson, writeOut } from '../context.js';
import { PUSH_OPTION } from '../push.js';

export function syncTagsCommand(program: Command): void {
  program
    .command('sync-tags')
    .description("write the stage tags for promotions that reached the default branch without one (merged pull requests); safe to run again")
    .option('--branch <branch>', 'the branch to walk (default: the default branch)')
    .option(...PUSH_OPTION)
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const a = await syncTags(await openRegistry(), { branch: o.branch, push: !!o.push });
      if (o.json) return writeJson(a);
      for (const t of a.created) {
        writeOut(`${t.tag} ${t.commit.slice(0, 10)} ${t.action} ${t.action === 'demote' ? t.previous : t.model_id}`);
      }
      for (const s of a.skipped) writeErr(`skipped ${s.commit.slice(0, 10)}: ${s.reason}`);
      writeErr(`${a.created.length ? `wrote ${a.created.length} stage tag(s)${a.pushed ? ' and pushed them' : ''}` : 'no stage tag was missing'} on ${a.branch} (${a.existing} already tagged)`);
    });
}
