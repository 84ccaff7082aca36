// loadPlan: read the metadata, pick the strategy by loader_type, build the plan. Nothing is guessed
// from which files happen to exist: a model without a loading_strategy, with an unknown
// loader_type or without a field its loader needs has no plan, and the error says what to add.
// For local artifacts every file the plan names must exist, and each .safetensors header is read
// (header bytes only) so the key mapping is applied to the real tensor names.
import { statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { ArtifactError, LoadPlanError } from '../errors.js';
import type { LoadingStrategy, Model, ModelMetadata, StateDictMapping } from '../domain/types.js';
import { locateArtifact } from './artifact.js';
import { applyKeyMapping, isIdentityMapping } from './keymap.js';
import { readSafetensorsHeader } from './safetensors.js';
import { loaderFor, loaderTypes, type LoaderStrategy } from './strategies.js';

export type FilePurpose = 'config' | 'weights' | 'module' | 'file';

export interface PlanFile {
  name: string;
  /** absolute path, or the URI for a remote artifact */
  path: string;
  purpose: FilePurpose;
  size_bytes?: number;
}

export interface PlanWeights {
  file: string;
  format: 'safetensors' | 'pytorch' | 'other';
  /** tensors in the file (safetensors, local only) */
  tensors?: number;
  /** names the mapping changes */
  renamed?: number;
  /** tensor name in the file → key the model expects (safetensors, local only) */
  key_mapping?: Record<string, string>;
  /**
   * tensor name in the file → its dtype and shape as the header gives them (safetensors, local
   * only), so an executor allocates and checks each tensor without guessing from the bytes
   */
  tensor_info?: Record<string, { dtype: string; shape: number[] }>;
}

export interface LoadPlan {
  model_id: string;
  algorithm: string;
  loader_type: string;
  description: string;
  role?: string;
  training_algorithm?: string;
  base_architecture?: string;
  algorithm_compatibility: string[];
  model_path: string;
  location: 'local' | 'remote';
  /** the model directory: a local absolute path or the remote URI */
  directory: string;
  class: { model_class_name?: string; config_class_name?: string; transformers_class?: string };
  module: { file: string; path: string } | null;
  files: PlanFile[];
  weights: PlanWeights[];
  state_dict_mapping: StateDictMapping | null;
  steps: string[];
  warnings: string[];
}

export interface PlanOptions {
  /** registry root: relative model_path values are read from here (default: the current directory) */
  root?: string;
}

const WEIGHT_FORMATS: [RegExp, PlanWeights['format']][] = [
  [/\.safetensors$/, 'safetensors'],
  [/\.(bin|pt|pth|ckpt)$/, 'pytorch'],
];

function weightFormat(name: string): PlanWeights['format'] | undefined {
  return WEIGHT_FORMATS.find(([re]) => re.test(name))?.[1];
}

/** The strategy for a model, or LoadPlanError saying exactly what is missing. */
export function strategyFor(meta: ModelMetadata): { strategy: LoadingStrategy; loader: LoaderStrategy } {
  const id = meta.model_id;
  const strategy = meta.loading_strategy;
  if (!strategy || typeof strategy !== 'object') {
    throw new LoadPlanError(`model ${id} has no loading_strategy, so there is no load plan (modelgit does not guess a loader from the files)`, {
      hint: `add "loading_strategy": {"loader_type": "${loaderTypes().join('" | "')}", …} to its metadata`,
    });
  }
  const loader = loaderFor(strategy.loader_type);
  if (!loader) {
    throw new LoadPlanError(`model ${id}: unknown loader_type ${JSON.stringify(strategy.loader_type)} (known: ${loaderTypes().join(', ')})`, {
      hint: `add your loader to modelgit.yaml: loaders: {${strategy.loader_type}: ./loaders/${strategy.loader_type}.mjs}, or call registerLoader() from code`,
    });
  }
  const missing = (loader.requiredFields ?? []).filter((f) => strategy[f] === undefined || strategy[f] === null || strategy[f] === '');
  if (missing.length) {
    throw new LoadPlanError(`model ${id}: loader_type ${strategy.loader_type} needs loading_strategy.${missing.join(', loading_strategy.')}`);
  }
  const problems = [
    ...(loader.check?.(strategy, meta) ?? []),
    ...(strategy.required_files ?? []).filter((f) => isAbsolute(f) || f.split(/[\\/]/).includes('..')).map((f) => `required_files entry ${JSON.stringify(f)} must be a path inside the model directory`),
  ];
  if (problems.length) throw new LoadPlanError(`model ${id}: loading_strategy is not usable: ${problems.join('; ')}`);
  return { strategy, loader };
}

function purposeOf(name: string, strategy: LoadingStrategy): FilePurpose {
  if (name === strategy.custom_module_file) return 'module';
  if (weightFormat(name)) return 'weights';
  if (/(^|\/)config\.json$/.test(name)) return 'config';
  return 'file';
}

export async function loadPlan(model: Model | ModelMetadata, opts: PlanOptions = {}): Promise<LoadPlan> {
  const meta: ModelMetadata = 'metadata' in model && typeof model.metadata === 'object' ? (model as Model).metadata : (model as ModelMetadata);
  const root = opts.root ?? process.cwd();
  const { strategy, loader } = strategyFor(meta);
  const id = meta.model_id;
  if (!meta.model_path) {
    throw new LoadPlanError(`model ${id} has no model_path, so there is nothing to load`, { hint: 'register the model with --model-path P' });
  }
  const loc = locateArtifact(meta.model_path, root);
  const warnings: string[] = [];
  let directory: string;
  const names: string[] = [];
  if (loc.kind === 'remote') {
    directory = loc.uri.replace(/\/+$/, '');
    warnings.push(`the artifact is remote (${loc.scheme}://): files and tensor names were not checked`);
  } else {
    if (!loc.exists) throw new ArtifactError(`model ${id}: the artifact is not where model_path says: ${loc.path} does not exist`);
    directory = loc.isDirectory ? loc.path : dirname(loc.path);
    if (!loc.isDirectory) names.push(loc.path.slice(directory.length + 1));
  }
  for (const n of [...(loader.files?.(strategy) ?? []), ...(strategy.required_files ?? [])]) if (!names.includes(n)) names.push(n);

  const files: PlanFile[] = names.map((name) => ({ name, path: loc.kind === 'remote' ? `${directory}/${name}` : join(directory, name), purpose: purposeOf(name, strategy) }));
  if (loc.kind === 'local') {
    const missing = files.filter((f) => {
      try {
        f.size_bytes = statSync(f.path).size;
        return false;
      } catch {
        return true;
      }
    });
    if (missing.length) {
      throw new ArtifactError(`model ${id}: required file${missing.length > 1 ? 's' : ''} missing in ${directory}: ${missing.map((f) => f.name).join(', ')}`, {
        hint: 'copy the files there, or correct loading_strategy.required_files',
      });
    }
  }

  const mapping = strategy.state_dict_mapping ?? null;
  const weights = await weightPlans(id, files, mapping, loc.kind === 'local', warnings);
  if (!weights.length && !isIdentityMapping(mapping ?? undefined)) {
    warnings.push('state_dict_mapping is set but no weight file is listed in required_files');
  }
  const steps = loader.steps({ meta, strategy, directory, weights: weights.map((w) => w.file), remaps: !isIdentityMapping(mapping ?? undefined) });
  return {
    model_id: id,
    algorithm: meta.algorithm,
    loader_type: strategy.loader_type,
    description: loader.description,
    ...(meta.role !== undefined ? { role: meta.role } : {}),
    ...(meta.training_algorithm !== undefined ? { training_algorithm: meta.training_algorithm } : {}),
    ...(meta.base_architecture !== undefined ? { base_architecture: meta.base_architecture } : {}),
    algorithm_compatibility: meta.algorithm_compatibility ?? [],
    model_path: meta.model_path,
    location: loc.kind,
    directory,
    class: {
      ...(strategy.model_class_name !== undefined ? { model_class_name: strategy.model_class_name } : {}),
      ...(strategy.config_class_name !== undefined ? { config_class_name: strategy.config_class_name } : {}),
      ...(strategy.transformers_class !== undefined ? { transformers_class: strategy.transformers_class } : {}),
    },
    module: strategy.custom_module_file
      ? { file: strategy.custom_module_file, path: loc.kind === 'remote' ? `${directory}/${strategy.custom_module_file}` : join(directory, strategy.custom_module_file) }
      : null,
    files,
    weights,
    state_dict_mapping: mapping,
    steps,
    warnings,
  };
}

async function weightPlans(id: string, files: PlanFile[], mapping: StateDictMapping | null, local: boolean, warnings: string[]): Promise<PlanWeights[]> {
  const plans: PlanWeights[] = [];
  const owner = new Map<string, string>(); // tensor name → file, across shards
  const problems: string[] = [];
  const unused = new Set(Object.keys(mapping?.key_transforms ?? {}));
  const allTargets = new Map<string, string>(); // mapped key → "file: name", across shards
  for (const f of files) {
    const format = weightFormat(f.name);
    if (!format) continue;
    if (format !== 'safetensors' || !local) {
      plans.push({ file: f.name, format });
      if (format === 'pytorch' && !isIdentityMapping(mapping ?? undefined)) warnings.push(`${f.name} is a pickle; its tensor names can only be mapped at load time`);
      continue;
    }
    const header = await readSafetensorsHeader(f.path);
    const names = Object.keys(header.tensors);
    for (const n of names) {
      const other = owner.get(n);
      if (other) problems.push(`tensor ${JSON.stringify(n)} is in both ${other} and ${f.name}`);
      else owner.set(n, f.name);
    }
    const result = applyKeyMapping(names, mapping ?? undefined);
    for (const p of result.problems) problems.push(`${f.name}: ${p.message}`);
    for (const [from, to] of result.pairs) {
      const prev = allTargets.get(to);
      if (prev && !prev.startsWith(`${f.name}: `)) problems.push(`${prev} and ${f.name}: ${JSON.stringify(from)} both map to ${JSON.stringify(to)}`);
      else allTargets.set(to, `${f.name}: ${JSON.stringify(from)}`);
    }
    for (const t of Object.keys(mapping?.key_transforms ?? {})) if (!result.unusedTransforms.includes(t)) unused.delete(t);
    const tensorInfo: Record<string, { dtype: string; shape: number[] }> = {};
    for (const n of names) tensorInfo[n] = { dtype: header.tensors[n]!.dtype, shape: header.tensors[n]!.shape };
    plans.push({ file: f.name, format, tensors: names.length, renamed: result.renamed, key_mapping: Object.fromEntries(result.pairs), tensor_info: tensorInfo });
  }
  if (problems.length) {
    throw new LoadPlanError(`model ${id}: the state_dict_mapping does not fit the tensors in its weights:\n    ${problems.join('\n    ')}`, {
      hint: 'correct loading_strategy.state_dict_mapping (remove_prefix, add_prefix, key_transforms)',
    });
  }
  if (plans.some((p) => p.key_mapping)) for (const t of unused) warnings.push(`key_transforms entry ${JSON.stringify(t)} matches no tensor name`);
  return plans;
}
