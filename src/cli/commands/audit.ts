// audit: parse → the chain of custody (registry/audit.ts) → one line per event, its signature,
// and for promotions the gates, the merge that approved it and its tag. Exit 1 when a signature is
// there but not accepted (bad, expired, revoked), or a stage tag points elsewhere than the promotion
// it records: those are failed checks, not information.
import type { Command } from 'commander';
import { audit, type AuditEvent, type SignatureVerdict } from '../../registry/audit.js';
import { openRegistry, output, writeErr, writeJson, writeOut } from '../context.js';
import { formatDate, formatDateUtc } from '../../render/format.js';
import { paint, type Output } from '../../render/terminal.js';

const MARK: Record<SignatureVerdict['status'], string> = { good: 'signed', unsigned: 'unsigned', bad: 'BAD SIGNATURE', unverifiable: 'signature unchecked' };
const TONE = { good: 'passed', unsigned: 'muted', bad: 'failed', unverifiable: 'muted' } as const;

function mark(status: SignatureVerdict['status'], out: Output): string {
  return paint(out, TONE[status], MARK[status]);
}

function eventLines(e: AuditEvent, out: Output): string[] {
  const lines = [`${formatDateUtc(e.date)}  ${e.commit.slice(0, 10)}  ${e.subject}`, `    by ${e.author} <${e.author_email}>; ${mark(e.signature.status, out)}: ${e.signature.detail}`];
  if (e.gates) {
    const g = e.gates;
    lines.push(
      g.problem
        ? `    gates: ${paint(out, 'failed', 'not evaluable')}: ${g.problem}`
        : g.failed.length
          ? `    gates: ${paint(out, 'failed', `${g.failed.length} failed${g.forced ? ', FORCED past them' : ''}`)}: ${g.failed.map((f) => `${f.gate}: ${f.detail}`).join('; ')}`
          : `    gates: ${paint(out, 'passed', 'passed')}`,
    );
  }
  if (e.merged_by) lines.push(`    approved by merge ${e.merged_by.commit.slice(0, 10)} "${e.merged_by.subject}" (${e.merged_by.author}, ${formatDate(e.merged_by.date).slice(0, 10)}); ${mark(e.merged_by.signature.status, out)}`);
  else if (e.action === 'promote' || e.action === 'demote') lines.push('    not through a merge: committed on the branch directly');
  if (e.tag) lines.push(`    tag ${e.tag.name}: ${mark(e.tag.signature.status, out)}${e.tag.signature.status === 'good' ? ` (${e.tag.signature.detail})` : ''}`);
  return lines;
}

export function auditCommand(program: Command): void {
  program
    .command('audit')
    .description("a model's chain of custody (or an algorithm's stage changes): who did what, the gates, the approving merge, and whether each signature verifies")
    .argument('[id]', 'model id')
    .option('--algo <algorithm>', "every stage change of this algorithm instead of one model's history")
    .option('--allowed-signers <file>', "whose SSH signatures count (default: git's gpg.ssh.allowedSignersFile)")
    .option('--json', 'machine-readable output')
    .action(async (id: string | undefined, o) => {
      const answer = await audit(await openRegistry(), { id, algorithm: o.algo, allowedSigners: o.allowedSigners });
      if (o.json) writeJson(answer);
      else {
        writeOut(answer.events.flatMap((e) => eventLines(e, output())).join('\n'));
        const s = answer.signatures;
        writeOut(`\n${answer.events.length} event(s); signatures: ${s.good} accepted, ${s.unsigned} unsigned, ${s.unverifiable} not checkable here, ${s.bad} bad`);
      }
      for (const m of answer.misplaced_tags) writeErr(`modelgit: error: ${m.detail}`);
      if (answer.signatures.bad > 0) writeErr(`modelgit: error: ${answer.signatures.bad} signature(s) are not accepted`);
      if (answer.signatures.bad > 0 || answer.misplaced_tags.length > 0) process.exitCode = 1;
    });
}
