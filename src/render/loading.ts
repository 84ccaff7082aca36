// Text renderings for plan, verify, resolve, import and migrate (--json prints the answers as they are).
import type { ImportAnswer } from '../registry/import.js';
import type { MigrateAnswer } from '../registry/migrate.js';
import type { ResolveAnswer } from '../registry/resolve.js';
import type { VerifyAnswer } from '../registry/verify.js';
import type { LoadPlan } from '../loading/plan.js';
import { formatDateUtc } from './format.js';
import { verdict } from './gates.js';
import type { Output } from './terminal.js';
import { wrap } from './table.js';

const SAMPLE_KEYS = 5;

export function humanBytes(n: number | undefined): string {
  if (n === undefined) return '';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} B` : `${v.toFixed(1)} ${units[u]}`;
}

function mappingSummary(plan: LoadPlan): string {
  const m = plan.state_dict_mapping;
  if (!m) return 'none';
  const parts: string[] = [];
  if (m.remove_prefix) parts.push(`remove_prefix ${JSON.stringify(m.remove_prefix)}`);
  for (const [from, to] of Object.entries(m.key_transforms ?? {})) parts.push(`${JSON.stringify(from)} → ${JSON.stringify(to)}`);
  if (m.add_prefix) parts.push(`add_prefix ${JSON.stringify(m.add_prefix)}`);
  return parts.length ? parts.join(', ') : 'none';
}

/** `  key        value` at a terminal: a value too long for the line wraps under itself (13 columns in). */
function fieldRow(lines: string[], k: string, v: string, out?: Output): void {
  const room = out?.tty && out.width !== undefined && out.width - 13 >= 20 ? out.width - 13 : undefined;
  const parts = room !== undefined ? wrap(v, room) : [v];
  lines.push(`  ${k.padEnd(10)} ${parts[0]}`, ...parts.slice(1).map((p) => ' '.repeat(13) + p));
}

export function renderPlan(plan: LoadPlan, out?: Output): string {
  const lines = [`${plan.model_id}  (${plan.algorithm}) loader ${plan.loader_type}: ${plan.description}`];
  const row = (k: string, v: string) => fieldRow(lines, k, v, out);
  if (plan.role) row('role', plan.role);
  if (plan.algorithm_compatibility.length) row('recipes', plan.algorithm_compatibility.join(', '));
  row('directory', `${plan.directory}${plan.location === 'remote' ? ' (remote)' : ''}`);
  if (plan.class.model_class_name || plan.class.transformers_class) {
    row('class', [plan.class.model_class_name, plan.class.transformers_class && `transformers ${plan.class.transformers_class}`].filter(Boolean).join(', '));
  }
  if (plan.module) row('module', plan.module.file);
  row('files', plan.files.map((f) => `${f.name} (${f.purpose}${f.size_bytes !== undefined ? `, ${humanBytes(f.size_bytes)}` : ''})`).join(', '));
  row('mapping', mappingSummary(plan));
  for (const w of plan.weights) {
    if (!w.key_mapping) {
      row('weights', `${w.file} (${w.format}; names not read)`);
      continue;
    }
    row('weights', `${w.file}: ${w.tensors} tensors, ${w.renamed} renamed`);
    const changed = Object.entries(w.key_mapping).filter(([a, b]) => a !== b);
    for (const [a, b] of changed.slice(0, SAMPLE_KEYS)) lines.push(`             ${a} → ${b}`);
    if (changed.length > SAMPLE_KEYS) lines.push(`             … ${changed.length - SAMPLE_KEYS} more (--json lists every key)`);
  }
  lines.push('  steps');
  plan.steps.forEach((s, i) => lines.push(`    ${i + 1}. ${s}`));
  for (const w of plan.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n') + '\n';
}

export function renderVerify(v: VerifyAnswer, out?: Output): string {
  const width = Math.max(...v.checks.map((c) => c.name.length));
  const lines = v.checks.map((c) => `${c.ok ? verdict('ok', out) + '  ' : verdict('FAIL', out)} ${c.name.padEnd(width)}  ${c.detail}`);
  const failed = v.checks.filter((c) => !c.ok).length;
  lines.push(failed ? `${v.model_id}: ${failed} of ${v.checks.length} checks failed` : `${v.model_id}: verified (${v.checks.length} checks)`);
  return lines.join('\n') + '\n';
}

export function renderResolve(r: ResolveAnswer, out?: Output): string {
  const lines = [`${r.model_id}`];
  const row = (k: string, v: string | null | undefined) => v && fieldRow(lines, k, v, out);
  row('reason', r.reason);
  row('algorithm', r.algorithm);
  row('stage', r.stage);
  row('role', r.role);
  row('model_path', r.model_path);
  if (r.loading_strategy) {
    const ls = r.loading_strategy;
    row('loader', `${ls.loader_type}${ls.model_class_name ? ` (${ls.model_class_name}${ls.custom_module_file ? ` from ${ls.custom_module_file}` : ''})` : ''}`);
  }
  row('considered', `${r.candidates.length} compatible, ${r.rejected.length} rejected`);
  if (r.plan) {
    lines.push('  steps');
    r.plan.steps.forEach((s, i) => lines.push(`    ${i + 1}. ${s}`));
    for (const w of r.plan.warnings) lines.push(`  warning: ${w}`);
  }
  return lines.join('\n') + '\n';
}

export function renderImport(a: ImportAnswer): string {
  return a.imported.map((m) => `${m.model_id}  ${formatDateUtc(m.created_at)}  ${m.commit.slice(0, 12)}`).join('\n') + (a.imported.length ? '\n' : '');
}

export function renderMigrate(a: MigrateAnswer): string {
  return a.migrated.map((m) => `${m.model_id}  created_at ${formatDateUtc(m.created_at)} (from ${m.from})`).join('\n') + (a.migrated.length ? '\n' : '');
}
