// drain and status: the write queue's two commands (issue #15). `drain` applies the writes a fleet
// queued with --queue onto the branch (registry/drain.ts); `status` shows what is queued.
import type { Command } from 'commander';
import { openRegistry, writeErr, writeJson, writeOut } from '../context.js';
import { formatDateUtc } from '../../render/format.js';

export function queueCommands(program: Command): void {
  program
    .command('drain')
    .description('apply the writes queued on the remote (--queue) to the branch, in order, each once, and delete their queue refs')
    .option('--remote <name>', "the remote whose queue to drain (default: the branch's upstream, else origin)")
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const { drain, assertDrainOptions } = await import('../../registry/drain.js');
      assertDrainOptions({ remote: o.remote });
      const answer = await drain(await openRegistry(), { remote: o.remote });
      if (o.json) return writeJson(answer);
      if (!answer.items.length) return writeErr(`nothing queued on ${answer.remote}`);
      for (const i of answer.items) {
        const what = `${i.action || 'write'}${i.model_ids.length ? ` ${i.model_ids.join(', ')}` : ''}`;
        writeOut(`${i.outcome.padEnd(8)} ${(i.commit ?? i.queued_commit).slice(0, 10)} ${what}${i.reason ? ` (${i.reason})` : ''}`);
      }
    });
  program
    .command('status')
    .description("the branch and its upstream, the writes queued on the remote (oldest first) and whether the pre-commit hook is installed")
    .option('--remote <name>', "the remote whose queue to show (default: the branch's upstream, else origin)")
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const { status } = await import('../../registry/status.js');
      const s = await status(await openRegistry(), { remote: o.remote });
      if (o.json) return writeJson(s);
      const where = s.upstream ? ` (${s.upstream}: ${s.ahead ?? '?'} ahead, ${s.behind ?? '?'} behind, as last fetched)` : ' (no upstream)';
      writeOut(`branch ${s.branch ?? '(detached)'}${where}`);
      if (s.queued) {
        writeOut(`${s.queued.count} queued write(s) on ${s.queued.remote}${s.queued.count ? ' (oldest first; modelgit drain applies them):' : ''}`);
        for (const w of s.queued.writes) writeOut(`  ${w.commit.slice(0, 10)} ${w.subject}  ${w.author} ${formatDateUtc(w.date)}  ${w.ref}`);
      } else writeOut(`queue: not read${s.queue_error ? `: ${s.queue_error}` : ''}`);
      writeOut(`pre-commit hook: ${s.hook_installed ? 'installed' : 'not installed (modelgit hooks install)'}`);
    });
}
