// Loading strategies, keyed by loading_strategy.loader_type. A strategy says which fields it needs,
// which files it reads besides required_files, and the steps a loader takes; the plan builder
// (plan.ts) does the rest the same way for every strategy. Built-ins: huggingface, custom_mtp.
// Teams add their own without touching modelgit: `registerLoader(type, strategy)` from code, or a
// `loaders: {my_type: ./loaders/my.mjs}` entry in modelgit.yaml (the module's default export is
// the strategy).
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LoadPlanError, UsageError } from '../errors.js';
import { LABEL_NAME_RE } from '../domain/names.js';
import type { LoadingStrategy, ModelMetadata, RegistryConfig } from '../domain/types.js';

/** What a strategy's steps are written from. */
export interface StepContext {
  meta: ModelMetadata;
  strategy: LoadingStrategy;
  /** the model directory (local path or remote URI) */
  directory: string;
  /** weight files, in order */
  weights: string[];
  /** true when the state_dict_mapping renames something */
  remaps: boolean;
}

export interface LoaderStrategy {
  /** one line: what this loader does */
  description: string;
  /** loading_strategy fields the loader cannot work without */
  requiredFields?: (keyof LoadingStrategy & string)[];
  /** files the loader reads besides required_files (e.g. config.json), relative to the model directory */
  files?: (strategy: LoadingStrategy) => string[];
  /** further checks on the fields; each string is one problem */
  check?: (strategy: LoadingStrategy, meta: ModelMetadata) => string[];
  /** what a loader must do, in order */
  steps: (ctx: StepContext) => string[];
}

function mappingStep(ctx: StepContext, into: string): string[] {
  if (!ctx.weights.length) return [];
  const load = `state_dict = load ${ctx.weights.join(', ')}`;
  return ctx.remaps
    ? [`${load}; rename every key as the plan's key_mapping says`, `${into}.load_state_dict(state_dict, strict=True)`]
    : [`${load}`, `${into}.load_state_dict(state_dict, strict=True)`];
}

function relativeFileProblem(field: string, value: string | undefined): string[] {
  if (value === undefined) return [];
  if (isAbsolute(value) || value.split(/[\\/]/).includes('..')) return [`${field} ${JSON.stringify(value)} must be a path inside the model directory`];
  return [];
}

export const huggingface: LoaderStrategy = {
  description: 'a transformers model loaded with <transformers_class>.from_pretrained',
  requiredFields: ['transformers_class'],
  files: () => ['config.json'],
  steps: (ctx) => {
    const cls = ctx.strategy.transformers_class!;
    if (!ctx.remaps) return [`from transformers import ${cls}`, `model = ${cls}.from_pretrained(${JSON.stringify(ctx.directory)})`];
    return [
      `from transformers import AutoConfig, ${cls}`,
      `model = ${cls}.from_config(AutoConfig.from_pretrained(${JSON.stringify(ctx.directory)}))`,
      ...mappingStep(ctx, 'model'),
    ];
  },
};

export const customMtp: LoaderStrategy = {
  description: 'a custom multi-token-prediction model: <model_class_name> from <custom_module_file> in the model directory',
  requiredFields: ['model_class_name', 'custom_module_file'],
  files: (s) => ['config.json', s.custom_module_file!],
  check: (s) => [
    ...relativeFileProblem('custom_module_file', s.custom_module_file),
    ...(s.custom_module_file && !s.custom_module_file.endsWith('.py') ? [`custom_module_file ${JSON.stringify(s.custom_module_file)} must be a .py file`] : []),
  ],
  steps: (ctx) => {
    const s = ctx.strategy;
    const modulePath = `${ctx.directory}/${s.custom_module_file}`;
    return [
      `import the module ${JSON.stringify(modulePath)} (importlib.util.spec_from_file_location)`,
      `cls = module.${s.model_class_name}`,
      ...(s.transformers_class ? [`register cls with transformers.${s.transformers_class} for its config type`] : []),
      `model = cls(AutoConfig.from_pretrained(${JSON.stringify(ctx.directory)}))`,
      ...mappingStep(ctx, 'model'),
    ];
  },
};

const BUILTINS: Record<string, LoaderStrategy> = { huggingface, custom_mtp: customMtp };
const loaders = new Map<string, LoaderStrategy>(Object.entries(BUILTINS));
const loadedModules = new Map<string, string>(); // absolute module path → loader type it registered

/** The shape check every strategy passes, built-in or not. */
export function strategyProblem(value: unknown): string | undefined {
  const s = value as Partial<LoaderStrategy> | null;
  if (!s || typeof s !== 'object') return 'a loader strategy must be an object';
  if (typeof s.description !== 'string') return 'a loader strategy needs a "description" string';
  if (typeof s.steps !== 'function') return 'a loader strategy needs a "steps(ctx)" function';
  if (s.requiredFields !== undefined && !Array.isArray(s.requiredFields)) return '"requiredFields" must be an array of field names';
  if (s.files !== undefined && typeof s.files !== 'function') return '"files" must be a function (strategy) => string[]';
  if (s.check !== undefined && typeof s.check !== 'function') return '"check" must be a function (strategy, meta) => string[]';
  return undefined;
}

/**
 * Adds a strategy for `type`. Replacing an existing one (a built-in included) takes
 * `{replace: true}`, so two plugins can't silently fight over one loader_type.
 */
export function registerLoader(type: string, strategy: LoaderStrategy, opts: { replace?: boolean } = {}): void {
  if (!LABEL_NAME_RE.test(type)) throw new UsageError(`loader_type ${JSON.stringify(type)} is not a safe name: use letters, digits, ".", "_" or "-"`);
  const problem = strategyProblem(strategy);
  if (problem) throw new UsageError(`registerLoader(${JSON.stringify(type)}): ${problem}`);
  const existing = loaders.get(type);
  if (existing && existing !== strategy && !opts.replace) {
    throw new UsageError(`loader_type ${JSON.stringify(type)} is already registered; pass {replace: true} to replace it`);
  }
  loaders.set(type, strategy);
}

/** Removes a strategy added with registerLoader (a built-in comes back as it was). */
export function unregisterLoader(type: string): void {
  if (BUILTINS[type]) loaders.set(type, BUILTINS[type]!);
  else loaders.delete(type);
}

export function loaderFor(type: string): LoaderStrategy | undefined {
  return loaders.get(type);
}

export function loaderTypes(): string[] {
  return [...loaders.keys()].sort();
}

/**
 * Registers the strategies a registry's modelgit.yaml lists under `loaders:`. Each module is
 * imported once per process. These are code from the registry repository: only the commands that
 * load models (plan, resolve, verify, import) import them; validate and the hook never do.
 */
export async function loadConfiguredLoaders(root: string, config: Pick<RegistryConfig, 'loaders'>): Promise<void> {
  for (const [type, rel] of Object.entries(config.loaders ?? {})) {
    const abs = resolve(root, rel);
    if (loadedModules.get(abs) === type && loaders.has(type)) continue;
    if (!existsSync(abs)) throw new LoadPlanError(`modelgit.yaml: loaders.${type}: ${rel} does not exist`);
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(abs).href)) as Record<string, unknown>;
    } catch (e) {
      throw new LoadPlanError(`modelgit.yaml: loaders.${type}: importing ${rel} failed: ${(e as Error).message}`, { cause: e });
    }
    const strategy = mod.default ?? mod.strategy;
    const problem = strategyProblem(strategy);
    if (problem) throw new LoadPlanError(`modelgit.yaml: loaders.${type}: ${rel} does not export a loader strategy as its default export: ${problem}`);
    loaders.set(type, strategy as LoaderStrategy);
    loadedModules.set(abs, type);
  }
}
