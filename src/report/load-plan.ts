// The model page's "how to load it" section: the loading fields, and the loader's steps from the
// same strategy registry `modelgit plan` uses. The report is built from history, where artifacts
// usually aren't on this machine, so the steps come from the metadata alone; `modelgit plan ID`
// adds the file checks and the tensor-key mapping from the real safetensors headers.
import { esc } from './html.js';
import type { ModelMetadata } from '../domain/types.js';
import { strategyFor } from '../loading/plan.js';

/** The loader's steps from metadata alone, or the reason there is no plan. */
function plannedSteps(meta: ModelMetadata): { steps: string[] } | { problem: string } {
  try {
    const { strategy, loader } = strategyFor(meta);
    const weights = (strategy.required_files ?? []).filter((f) => /\.(safetensors|bin|pt|pth|ckpt)$/.test(f));
    const sdm = strategy.state_dict_mapping;
    const remaps = !!(sdm && (sdm.remove_prefix || sdm.add_prefix || Object.keys(sdm.key_transforms ?? {}).length));
    return { steps: loader.steps({ meta, strategy, directory: meta.model_path ?? '(model_path)', weights, remaps }) };
  } catch (e) {
    return { problem: (e as Error).message };
  }
}

export function loadPlanSection(meta: ModelMetadata): string {
  const ls = meta.loading_strategy;
  const compat = meta.algorithm_compatibility;
  const required = ls?.required_files;
  if (!ls && !compat?.length && !meta.base_architecture && !meta.role) {
    return `<p class="empty">No loading strategy recorded: load it from <code>${esc(meta.model_path ?? '(no model_path)')}</code> with the algorithm's own loader.</p>`;
  }
  const rows: [string, string][] = [];
  if (meta.role) rows.push(['role', esc(meta.role)]);
  if (meta.base_architecture) rows.push(['base architecture', esc(meta.base_architecture)]);
  if (meta.training_algorithm) rows.push(['training algorithm', esc(meta.training_algorithm)]);
  if (meta.model_path) rows.push(['model path', `<code>${esc(meta.model_path)}</code>`]);
  if (ls) {
    rows.push(['loader', esc(ls.loader_type)]);
    for (const k of ['model_class_name', 'transformers_class', 'custom_module_file'] as const) if (ls[k]) rows.push([k.replace(/_/g, ' '), `<code>${esc(ls[k])}</code>`]);
    const sdm = ls.state_dict_mapping;
    if (sdm) {
      const parts = [
        sdm.remove_prefix ? `remove prefix <code>${esc(sdm.remove_prefix)}</code>` : '',
        sdm.add_prefix ? `add prefix <code>${esc(sdm.add_prefix)}</code>` : '',
        ...Object.entries(sdm.key_transforms ?? {}).map(([a, b]) => `<code>${esc(a)}</code> → <code>${esc(b)}</code>`),
      ].filter(Boolean);
      rows.push(['state dict mapping', parts.length ? parts.join(', ') : 'keys as saved']);
    }
  }
  if (required?.length) rows.push(['required files', required.map((f) => `<code>${esc(f)}</code>`).join(' ')]);
  if (compat?.length) rows.push(['compatible recipes', compat.map((c) => `<span class="tag">${esc(c)}</span>`).join(' ')]);
  if (ls) {
    const planned = plannedSteps(meta);
    rows.push(
      'steps' in planned
        ? ['loader steps', `<ol>${planned.steps.map((st) => `<li><code>${esc(st)}</code></li>`).join('')}</ol>`]
        : ['no load plan', `<span class="empty">${esc(planned.problem)}</span>`],
    );
  }
  return `<dl class="kv">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}
