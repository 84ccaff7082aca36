// Text output for show, history, stages, cleanup and restore. JSON output is the answer object itself.
import type { ModelMetadata, TestResult } from '../domain/types.js';
import type { CleanupAnswer } from '../registry/cleanup.js';
import type { HistoryEntry } from '../registry/history.js';
import type { ShowAnswer } from '../registry/show.js';
import type { StageRow } from '../registry/stages.js';
import { formatDate, formatDateUtc } from './format.js';
import { fitColumns, hiddenNote, renderTable, truncate, width, wrap } from './table.js';
import { paint, type Output } from './terminal.js';
import { onlyResults } from '../domain/types.js';

/**
 * Left-aligned columns separated by two spaces; the last column is not padded. At a terminal
 * (`out.tty` with a width) the least important columns (`priority`, default: the later ones) are cut
 * to fit, then hidden, with a line saying so; the first column is never cut.
 */
export function columns(rows: string[][], indent = '', out?: Output, opts: { priority?: number[]; key?: number; names?: string[]; minWidth?: number[] } = {}): string {
  const { priority, key = 0, names = rows[0], minWidth } = opts;
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, width(c))));
  const line = (r: string[], ws: number[], shown: (i: number) => boolean) => {
    const cells = r.map((c, i) => [c, i] as const).filter(([, i]) => shown(i));
    return indent + cells.map(([c, i], k) => {
      const t = truncate(c, ws[i]!);
      return k === cells.length - 1 ? t : t + ' '.repeat(ws[i]! - width(t));
    }).join('  ').trimEnd();
  };
  const total = indent.length + widths.reduce((n, w) => n + w + 2, -2);
  if (!out?.tty || out.width === undefined || total <= out.width) return rows.map((r) => line(r, widths, () => true)).join('\n');
  const fit = fitColumns(widths, out.width, widths.map((_, i) => priority?.[i] ?? i), widths.map((_, i) => minWidth?.[i] ?? 10), { key, edge: indent.length - 2, gap: 2 });
  const text = rows.map((r) => line(r, fit.widths, (i) => !fit.hidden.includes(i))).join('\n');
  return fit.hidden.length ? `${text}\n${hiddenNote(fit.hidden.map((i) => names?.[i] ?? `column ${i + 1}`), out.width, indent)}` : text;
}

/** `key  value` lines; at a terminal a long value wraps under itself rather than being cut. */
function keyValues(rows: string[][], indent: string, out?: Output): string {
  const keyWidth = Math.max(0, ...rows.map(([k]) => width(k!)));
  const room = out?.tty && out.width !== undefined ? out.width - indent.length - keyWidth - 2 : undefined;
  const pad = indent + ' '.repeat(keyWidth + 2);
  return rows
    .flatMap(([k, v]) => {
      const parts = room !== undefined && room >= 10 ? wrap(v!, room) : [v!];
      return [`${indent}${k!.padEnd(keyWidth)}  ${parts[0]}`.trimEnd(), ...parts.slice(1).map((p) => pad + p)];
    })
    .join('\n');
}

function idList(ids: string[], max = 3): string {
  if (ids.length === 0) return '-';
  return ids.length <= max ? ids.join(',') : `${ids.slice(0, max).join(',')} +${ids.length - max} more`;
}

export const HISTORY_HEAD = ['commit', 'date (UTC)', 'action', 'models', 'subject'];
/** At a narrow terminal the subject is cut first, then the date goes; commit, action and models stay. */
const HISTORY_PRIORITY = [0, 3, 1, 2, 4];
// a timestamp id (`mscn_20241019_103000`) whole: cut, the models column says too little
const HISTORY_MIN = [7, 16, 8, 20, 16];

export function historyRows(entries: HistoryEntry[]): string[][] {
  return entries.map((e) => [e.commit.slice(0, 7), formatDate(e.date), e.action, idList(e.model_ids), e.subject]);
}

export function renderHistory(entries: HistoryEntry[], out?: Output): string {
  if (!entries.length) return '';
  return renderTable({ head: HISTORY_HEAD, rows: historyRows(entries), priority: HISTORY_PRIORITY, minWidth: HISTORY_MIN }, out);
}

/** The line on stderr when a terminal was shown the newest entries only. */
export function historyLimitNote(shown: number, more: boolean): string {
  return more ? `showing the newest ${shown} entries; --limit N or --all for more` : '';
}

/** Who holds which stage: the model is the column never cut; the tag and the author make way first. */
export function renderStages(rows: StageRow[], out?: Output): string {
  return renderTable(
    {
      head: ['algorithm', 'stage', 'model', 'since (UTC)', 'by', 'tag'],
      rows: rows.map((r) => [r.algorithm, r.stage, r.model_id, r.promoted_at ? formatDate(r.promoted_at) : '?', (r.promoted_by ?? '?') + (r.forced ? ' (forced)' : ''), r.tag ?? '-']),
      key: 2,
      priority: [1, 0, 0, 2, 3, 4],
      // Names and dates cut short say little: those columns keep their width or go.
      minWidth: [12, 12, 0, 16, 12, 16],
    },
    out,
  );
}

function fmt(v: unknown): string {
  if (v === undefined || v === null) return '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function resultsByDataset(testing: TestResult[]): Map<string, TestResult[]> {
  const by = new Map<string, TestResult[]>();
  for (const r of onlyResults(testing)) by.set(r.dataset, [...(by.get(r.dataset) ?? []), r]);
  return by;
}

function identityRows(meta: ModelMetadata, path: string, stages: string[], artifactPath?: string | null): string[][] {
  const rows: [string, unknown][] = [
    ['algorithm', meta.algorithm],
    ['file', path],
    ['created', formatDateUtc(meta.created_at) || undefined],
    ['model_path', meta.model_path],
    // the absolute path, when model_path is relative (where a script finds or saves the weights)
    ['artifact path', artifactPath && artifactPath !== meta.model_path ? artifactPath : undefined],
    ['parent', meta.parent],
    ['role', meta.role],
    ['architecture', meta.base_architecture],
    ['loader', meta.loading_strategy?.loader_type],
    ['stages', stages.length ? stages.join(', ') : undefined],
    ['tags', meta.tags?.length ? meta.tags.join(', ') : undefined],
  ];
  return rows.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => [k, fmt(v)]);
}

export function renderShow(a: ShowAnswer, output?: Output): string {
  const meta = a.metadata;
  const heading = (t: string) => (output ? paint(output, 'heading', t) : t);
  const out: string[] = [heading(`${meta.model_id}`) + `${meta.schema_version === undefined ? '  (schema version 1)' : ''}`, keyValues(identityRows(meta, a.path, a.stages, a.artifact_path), '  ', output)];

  out.push('', heading('training'));
  const t = meta.training;
  if (!t) out.push('  (no training information)');
  else {
    const rows: string[][] = [];
    for (const [k, v] of Object.entries(t)) if (k !== 'hyperparams' && v !== undefined) rows.push([k, k === 'trained_at' && typeof v === 'string' ? formatDateUtc(v) : fmt(v)]);
    const hp = Object.entries(t.hyperparams ?? {});
    if (hp.length) rows.push(['hyperparams', hp.map(([k, v]) => `${k}=${fmt(v)}`).join(' ')]);
    out.push(keyValues(rows, '  ', output));
  }

  out.push('', heading('results'));
  if (!meta.testing?.length) out.push('  (not tested yet)');
  for (const [dataset, results] of resultsByDataset(meta.testing ?? [])) {
    const metrics = [...new Set(results.flatMap((r) => Object.keys(r.performance ?? {})))];
    const header = ['tested (UTC)', 'queries', ...metrics];
    const rows = results.map((r) => [r.tested_at ? formatDate(r.tested_at) : '-', fmt(r.num_queries), ...metrics.map((m) => fmt(r.performance?.[m]))]);
    // At a narrow terminal the metrics stay; the query count goes first.
    const priority = header.map((_, i) => (i === 1 ? header.length : i));
    out.push(`  ${dataset} (${results.length} result${results.length === 1 ? '' : 's'})`, columns([header, ...rows], '    ', output, { priority }));
  }

  if (meta.notes) out.push('', heading('notes'), ...meta.notes.split('\n').flatMap((l) => (output?.tty && output.width !== undefined && output.width > 12 ? wrap(l, output.width - 2) : [l]).map((p) => `  ${p}`)));
  out.push('', heading(`history (${a.history.length})`));
  out.push(a.history.length ? columns([HISTORY_HEAD, ...historyRows(a.history)], '  ', output, { priority: HISTORY_PRIORITY, minWidth: HISTORY_MIN }) : '  (no modelgit commits name this model)');
  return out.join('\n');
}

export function renderCleanup(a: CleanupAnswer, output?: Output): string {
  const by = a.metric ? `by ${a.metric} on ${a.dataset} (${a.direction}, ${a.aggregate ?? 'latest'})` : 'newest first (no model was tested)';
  const order = { protect: 0, keep: 1, remove: 2 } as const;
  const decisions = [...a.decisions].sort((x, y) => order[x.decision] - order[y.decision]);
  const lines = [`cleanup ${a.algorithm} ${by}, keep ${a.keep}: remove ${a.removed.length}, keep ${a.kept.length}, protected ${a.protected.length}`];
  lines.push(columns(decisions.map((d) => [d.decision, d.model_id, d.reason]), '  ', output, { key: 1, priority: [1, 0, 2], names: ['decision', 'model', 'reason'] }));
  if (a.artifacts?.length) {
    lines.push('artifacts');
    lines.push(columns(a.artifacts.map((x) => [x.action, x.model_id, x.path ?? x.model_path ?? '-', x.reason]), '  ', output, { key: 1, priority: [1, 0, 3, 2], names: ['action', 'model', 'path', 'reason'] }));
  }
  return lines.join('\n');
}
