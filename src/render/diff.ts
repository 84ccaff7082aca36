// The registry diff as markdown, for a pull-request comment or $GITHUB_STEP_SUMMARY.
import type { DiffAnswer } from '../registry/diff.js';
import type { ResultChange } from '../domain/diff.js';

/** Escapes text for a markdown table cell (pipes, newlines, and HTML that a comment would render). */
export function mdCell(s: unknown): string {
  return String(s ?? '')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r?\n/g, ' ');
}

function num(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}

function signed(n: number): string {
  return `${n > 0 ? '+' : n < 0 ? '−' : '±'}${num(Math.abs(n))}`;
}

function comparison(r: ResultChange): string {
  const c = r.comparison;
  if (!c) return '—';
  const pct = c.delta_pct === null ? '' : ` (${signed(Number(c.delta_pct.toFixed(1)))}%)`;
  const verdict = c.delta === 0 ? 'same' : c.better ? '✅ better' : '❌ worse';
  return `${signed(c.delta)}${pct} vs ${mdCell(c.holder)} (${num(c.holder_value)}) ${verdict}`;
}

function table(head: string[], rows: string[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => ' --- ').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

export function diffMarkdown(d: DiffAnswer): string {
  const out: string[] = [`### modelgit: registry changes ${d.base.slice(0, 7)}..${d.head.slice(0, 7)}`, ''];
  const counts = [
    [d.registered.length, 'registered'],
    [d.results.length, 'test result(s)'],
    [d.promotions.length, 'stage change(s)'],
    [d.removed.length, 'removed'],
    [d.changed.length, 'other change(s)'],
  ].filter(([n]) => (n as number) > 0);
  if (counts.length === 0) {
    out.push('No registry changes.');
    return out.join('\n') + '\n';
  }
  out.push(counts.map(([n, what]) => `**${n}** ${what}`).join(' · '), '');
  if (d.promotions.length) {
    out.push('#### Stage changes', '');
    out.push(
      ...table(
        ['algorithm', 'stage', 'change'],
        d.promotions.map((p) => [mdCell(p.algorithm), mdCell(p.stage), p.action === 'demote' ? `demote ${mdCell(p.previous)}` : `${p.previous ? `${mdCell(p.previous)} → ` : ''}**${mdCell(p.model_id)}**`]),
      ),
      '',
    );
  }
  if (d.registered.length) {
    out.push('#### Registered', '');
    out.push(...table(['model', 'algorithm', 'trained on', 'tags'], d.registered.map((m) => [`\`${mdCell(m.model_id)}\``, mdCell(m.algorithm), mdCell(m.training_dataset ?? '—'), mdCell(m.tags.join(', ') || '—')])), '');
  }
  if (d.results.length) {
    out.push('#### Test results', '');
    const yard = d.stage ? `vs ${mdCell(d.stage)} holder` : 'comparison';
    out.push(
      ...table(
        ['model', 'dataset', mdCell(d.metric), yard],
        d.results.map((r) => [`\`${mdCell(r.model_id)}\``, mdCell(r.dataset), r.value === null ? '—' : num(r.value), comparison(r)]),
      ),
      '',
    );
  }
  if (d.removed.length) {
    out.push('#### Removed', '');
    out.push(...d.removed.map((m) => `- \`${mdCell(m.model_id)}\` (${mdCell(m.algorithm)})`), '');
  }
  if (d.changed.length) {
    out.push('#### Other changes', '');
    out.push(...d.changed.map((c) => `- \`${mdCell(c.path)}\`${c.fields ? `: ${c.fields.map(mdCell).join(', ')}` : c.status ? ` (${mdCell(c.status)})` : ''}`), '');
  }
  return out.join('\n');
}
