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

/** GitHub refuses a comment longer than this (characters); the summary stays well under it. */
export const GITHUB_COMMENT_LIMIT = 65_536;
const BUDGET = 60_000;
/** Rows a section shows open; longer ones fold into <details>. */
const OPEN_ROWS = 20;

/** The gates a promotion in this diff failed, and whether it was forced past them (registry/diff.ts). */
function gateNote(p: DiffAnswer['promotions'][number], d: DiffAnswer): string {
  const g = d.gates?.find((x) => x.algorithm === p.algorithm && x.stage === p.stage && x.model_id === p.model_id);
  if (!g || (!g.failed.length && !g.problem)) return '';
  const what = g.problem ? mdCell(g.problem) : g.failed.map((f) => `${mdCell(f.gate)}: ${mdCell(f.detail)}`).join('; ');
  return g.forced ? ` ⚠️ **forced** past failed gates: ${what}` : ` ❌ gates failed: ${what}`;
}

/** A section whose rows fold into <details> when there are many; `summary` says what is folded. */
function section(title: string, head: string[], rows: string[][], summary: string): string[] {
  const body = table(head, rows);
  if (rows.length <= OPEN_ROWS) return [`#### ${title}`, '', ...body, ''];
  return [`#### ${title}`, '', `<details><summary>${summary}</summary>`, '', ...body, '', '</details>', ''];
}

/** "mscn: 1,000, lero: 547" — how many of each algorithm, most first. */
function byAlgorithm(items: { algorithm: string }[]): string {
  const n = new Map<string, number>();
  for (const i of items) n.set(i.algorithm, (n.get(i.algorithm) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([a, c]) => `${mdCell(a)}: ${c.toLocaleString('en-US')}`).join(', ');
}

/**
 * The diff as markdown for a pull-request comment or the step summary: stage changes first (with
 * the gates a forced promotion overrode), then registrations, results, removals and other files.
 * Long sections are grouped by algorithm and folded; whatever would push the text past GitHub's
 * comment limit is left out, said so, with a pointer to the full answer (`--format json`).
 */
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
  out.push(counts.map(([n, what]) => `**${(n as number).toLocaleString('en-US')}** ${what}`).join(' · '), '');
  const sections: { name: string; lines: string[] }[] = [];
  if (d.promotions.length) {
    sections.push({
      name: 'stage changes',
      lines: section(
        'Stage changes',
        ['algorithm', 'stage', 'change'],
        d.promotions.map((p) => [mdCell(p.algorithm), mdCell(p.stage), (p.action === 'demote' ? `demote ${mdCell(p.previous)}` : `${p.previous ? `${mdCell(p.previous)} → ` : ''}**${mdCell(p.model_id)}**`) + gateNote(p, d)]),
        `${d.promotions.length} stage changes`,
      ),
    });
  }
  if (d.registered.length) {
    const rows = [...d.registered].sort((a, b) => (a.algorithm < b.algorithm ? -1 : a.algorithm > b.algorithm ? 1 : 0)).map((m) => [`\`${mdCell(m.model_id)}\``, mdCell(m.algorithm), mdCell(m.training_dataset ?? '—'), mdCell(m.tags.join(', ') || '—')]);
    sections.push({ name: 'registrations', lines: section('Registered', ['model', 'algorithm', 'trained on', 'tags'], rows, `${d.registered.length.toLocaleString('en-US')} models (${byAlgorithm(d.registered)})`) });
  }
  if (d.results.length) {
    const yard = d.stage ? `vs ${mdCell(d.stage)} holder` : 'comparison';
    const rows = d.results.map((r) => [`\`${mdCell(r.model_id)}\``, mdCell(r.dataset), r.value === null ? '—' : num(r.value), comparison(r)]);
    sections.push({ name: 'test results', lines: section('Test results', ['model', 'dataset', mdCell(d.metric), yard], rows, `${d.results.length.toLocaleString('en-US')} results`) });
  }
  if (d.removed.length) {
    // One line per algorithm (ids comma-separated), not one bullet per model: a cleanup removes thousands.
    const groups = new Map<string, string[]>();
    for (const m of d.removed) groups.set(m.algorithm, [...(groups.get(m.algorithm) ?? []), m.model_id]);
    const lines = [...groups].map(([a, ids]) => `- **${mdCell(a)}** (${ids.length.toLocaleString('en-US')}): ${ids.map((id) => `\`${mdCell(id)}\``).join(', ')}`);
    sections.push({
      name: 'removals',
      lines: d.removed.length <= OPEN_ROWS ? ['#### Removed', '', ...lines, ''] : ['#### Removed', '', `<details><summary>${d.removed.length.toLocaleString('en-US')} models (${byAlgorithm(d.removed)})</summary>`, '', ...lines, '', '</details>', ''],
    });
  }
  if (d.changed.length) {
    const lines = d.changed.map((c) => `- \`${mdCell(c.path)}\`${c.fields ? `: ${c.fields.map(mdCell).join(', ')}` : c.status ? ` (${mdCell(c.status)})` : ''}`);
    sections.push({ name: 'other changes', lines: d.changed.length <= OPEN_ROWS ? ['#### Other changes', '', ...lines, ''] : ['#### Other changes', '', `<details><summary>${d.changed.length} files</summary>`, '', ...lines, '', '</details>', ''] });
  }
  let size = out.join('\n').length;
  const left: string[] = [];
  for (const s of sections) {
    const text = s.lines.join('\n');
    if (size + text.length + 1 > BUDGET) {
      left.push(s.name);
      out.push(`#### ${s.lines[0]!.slice(5)}`, '', `_Too long for a comment: ${s.name} left out here._`, '');
      continue;
    }
    out.push(...s.lines);
    size += text.length + 1;
  }
  if (left.length) {
    out.push(`_The full lists (${left.join(', ')}): \`modelgit diff ${d.base.slice(0, 7)} ${d.head.slice(0, 7)} --format json\`${'' /* the workflow uploads it as an artifact */}, or the \`registry-diff\` artifact of this run._`, '');
  }
  return out.join('\n');
}
