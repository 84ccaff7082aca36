// Text output for show, history, cleanup and restore. JSON output is the answer object itself.
import type { ModelMetadata, TestResult } from '../domain/types.js';
import type { CleanupAnswer } from '../registry/cleanup.js';
import type { HistoryEntry } from '../registry/history.js';
import type { ShowAnswer } from '../registry/show.js';

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function columns(rows: string[][], indent = ''): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

/** 2024-10-19T10:30:00+02:00 → 2024-10-19 10:30 (the author's local time, as git shows it). */
export function shortDate(iso: string): string {
  return iso.length >= 16 ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : iso;
}

function idList(ids: string[], max = 3): string {
  if (ids.length === 0) return '-';
  return ids.length <= max ? ids.join(',') : `${ids.slice(0, max).join(',')} +${ids.length - max} more`;
}

export function historyRows(entries: HistoryEntry[]): string[][] {
  return entries.map((e) => [e.commit.slice(0, 7), shortDate(e.date), e.action, idList(e.model_ids), e.subject]);
}

export function renderHistory(entries: HistoryEntry[]): string {
  return entries.length ? columns(historyRows(entries)) : '';
}

function fmt(v: unknown): string {
  if (v === undefined || v === null) return '-';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function resultsByDataset(testing: TestResult[]): Map<string, TestResult[]> {
  const by = new Map<string, TestResult[]>();
  for (const r of testing) by.set(r.dataset, [...(by.get(r.dataset) ?? []), r]);
  return by;
}

function identityRows(meta: ModelMetadata, path: string, stages: string[], artifactPath?: string | null): string[][] {
  const rows: [string, unknown][] = [
    ['algorithm', meta.algorithm],
    ['file', path],
    ['created', meta.created_at],
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

export function renderShow(a: ShowAnswer): string {
  const meta = a.metadata;
  const out: string[] = [`${meta.model_id}${meta.schema_version === undefined ? '  (schema version 1)' : ''}`, columns(identityRows(meta, a.path, a.stages, a.artifact_path), '  ')];

  out.push('', 'training');
  const t = meta.training;
  if (!t) out.push('  (no training information)');
  else {
    const rows: string[][] = [];
    for (const [k, v] of Object.entries(t)) if (k !== 'hyperparams' && v !== undefined) rows.push([k, fmt(v)]);
    const hp = Object.entries(t.hyperparams ?? {});
    if (hp.length) rows.push(['hyperparams', hp.map(([k, v]) => `${k}=${fmt(v)}`).join(' ')]);
    out.push(columns(rows, '  '));
  }

  out.push('', 'results');
  if (!meta.testing?.length) out.push('  (not tested yet)');
  for (const [dataset, results] of resultsByDataset(meta.testing ?? [])) {
    const metrics = [...new Set(results.flatMap((r) => Object.keys(r.performance ?? {})))];
    const header = ['tested_at', 'queries', ...metrics];
    const rows = results.map((r) => [r.tested_at ?? '-', fmt(r.num_queries), ...metrics.map((m) => fmt(r.performance?.[m]))]);
    out.push(`  ${dataset} (${results.length} result${results.length === 1 ? '' : 's'})`, columns([header, ...rows], '    '));
  }

  if (meta.notes) out.push('', 'notes', ...meta.notes.split('\n').map((l) => `  ${l}`));
  out.push('', `history (${a.history.length})`);
  out.push(a.history.length ? columns(historyRows(a.history), '  ') : '  (no modelgit commits name this model)');
  return out.join('\n');
}

export function renderCleanup(a: CleanupAnswer): string {
  const by = a.metric ? `by ${a.metric} on ${a.dataset} (${a.direction}, ${a.aggregate ?? 'latest'})` : 'newest first (no model was tested)';
  const order = { protect: 0, keep: 1, remove: 2 } as const;
  const decisions = [...a.decisions].sort((x, y) => order[x.decision] - order[y.decision]);
  const lines = [`cleanup ${a.algorithm} ${by}, keep ${a.keep}: remove ${a.removed.length}, keep ${a.kept.length}, protected ${a.protected.length}`];
  lines.push(columns(decisions.map((d) => [d.decision, d.model_id, d.reason]), '  '));
  if (a.artifacts?.length) {
    lines.push('artifacts');
    lines.push(columns(a.artifacts.map((x) => [x.action, x.model_id, x.path ?? x.model_path ?? '-', x.reason]), '  '));
  }
  return lines.join('\n');
}
