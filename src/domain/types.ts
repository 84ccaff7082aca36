// Plain shapes of the registry's data (DESIGN §2, §3). No behaviour here.

export type Direction = 'min' | 'max';
export type Aggregate = 'latest' | 'best' | 'mean';

/** metric name → number */
export type Performance = Record<string, number>;

/**
 * The results of a `testing` list that are results at all, with their place in it: a file committed
 * past the checks (`--no-verify`, a hand merge) can hold a null, a number or a result without a
 * dataset there, which every reader skips rather than fails on (validate names the file and the rule).
 */
export function resultsIn(testing: unknown): [TestResult, number][] {
  if (!Array.isArray(testing)) return [];
  const out: [TestResult, number][] = [];
  testing.forEach((r, i) => {
    if (isResult(r)) out.push([r as TestResult, i]);
  });
  return out;
}

/** Whether one entry of a `testing` list (or of its summary) is a result at all: see resultsIn. */
export function isResult(r: unknown): r is { dataset: string } {
  return r !== null && typeof r === 'object' && typeof (r as { dataset?: unknown }).dataset === 'string';
}

/** `resultsIn` without the places. */
export function onlyResults(testing: unknown): TestResult[] {
  return resultsIn(testing).map(([r]) => r);
}

export interface TestResult {
  dataset: string;
  num_queries?: number;
  tested_at?: string;
  performance: Performance;
  notes?: string;
  [extra: string]: unknown;
}

export interface Training {
  enabled?: boolean;
  dataset?: string;
  num_queries?: number;
  hyperparams?: Record<string, unknown>;
  trained_at?: string;
  training_time?: number;
  [extra: string]: unknown;
}

export interface StateDictMapping {
  remove_prefix?: string | null;
  add_prefix?: string | null;
  key_transforms?: Record<string, string>;
}

export interface LoadingStrategy {
  loader_type: string;
  model_class_name?: string;
  /** the config class in custom_module_file that builds the model's config from config.json */
  config_class_name?: string;
  custom_module_file?: string;
  transformers_class?: string;
  state_dict_mapping?: StateDictMapping;
  required_files?: string[];
  [extra: string]: unknown;
}

export interface ArtifactFile {
  path: string;
  sha256: string;
  size_bytes: number;
}

export interface Artifact {
  sha256?: string;
  size_bytes?: number;
  files?: ArtifactFile[];
}

export interface ModelMetadata {
  schema_version?: number;
  model_id: string;
  algorithm: string;
  created_at?: string;
  model_path?: string;
  artifact?: Artifact;
  parent?: string;
  training?: Training | null;
  testing: TestResult[];
  tags: string[];
  notes?: string;
  role?: string;
  base_architecture?: string;
  training_algorithm?: string;
  loading_strategy?: LoadingStrategy;
  algorithm_compatibility?: string[];
  extra?: Record<string, unknown>;
  [extra: string]: unknown;
}

/** A model as the registry sees it: metadata plus where it lives. */
export interface Model {
  path: string; // repo-relative, forward slashes: models/<algorithm>/<id>.json
  metadata: ModelMetadata;
}

export interface MetricConfig {
  direction: Direction;
  /** how a model's results on one dataset make its score (default latest) */
  aggregate?: Aggregate;
}

export interface StagePromotionConfig {
  require_tested_on?: string[];
  must_beat_current?: string;
  require_tags?: string[];
  from_stage?: string;
  /** false: a forced promotion (Forced: true) past a failed gate is refused (promote, validate --since, the server hook) */
  allow_force?: boolean;
  /** the stage may only be assigned on these branches */
  branches?: string[];
  /** the artifact exists and matches its recorded checksums at promotion */
  require_verified_artifact?: boolean;
  /** the promotion commit is signed by an allowed signer */
  require_signed?: boolean;
}

export interface RegistryConfig {
  schema_version: number;
  models_dir: string;
  default_metric: string;
  metrics: Record<string, MetricConfig>;
  stages: string[];
  protect: { tags: string[] };
  promotion: Record<string, StagePromotionConfig>;
  schemas: Record<string, string>;
  /** loader_type → module (relative to the registry root) exporting a loader strategy */
  loaders?: Record<string, string>;
  [extra: string]: unknown;
}

/** algorithm → stage → model id */
export type StageAssignments = Record<string, Record<string, string>>;
