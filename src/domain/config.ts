// The registry config: defaults and the text `init` writes (DESIGN §3).
import type { RegistryConfig } from './types.js';
import { prototypeFree } from './limits.js';

export const CONFIG_FILE = 'modelgit.yaml';
/** The artifacts layout `init` writes (DESIGN §3): where register puts model_path when given none. */
export const DEFAULT_ARTIFACTS = 'artifacts/{algorithm}/{model_id}';
export const STAGES_FILE = 'stages.yaml';

export const DEFAULT_CONFIG: RegistryConfig = {
  schema_version: 1,
  models_dir: 'models',
  default_metric: 'total_time',
  metrics: { total_time: { direction: 'min', aggregate: 'latest' }, accuracy: { direction: 'max', aggregate: 'latest' } },
  stages: ['staging', 'production'],
  protect: { tags: ['best', 'keep'] },
  promotion: { production: { require_tested_on: ['production'], must_beat_current: 'total_time' } },
  schemas: {},
};

/** Fills what a config file leaves out with the defaults, one level deep. */
export function withDefaults(partial: Partial<RegistryConfig> | null | undefined): RegistryConfig {
  const p = partial ?? {};
  // Without prototypes: a metric or stage called `constructor` must not find Object's (limits.ts).
  return prototypeFree({
    ...DEFAULT_CONFIG,
    ...p,
    metrics: p.metrics ?? DEFAULT_CONFIG.metrics,
    protect: { tags: p.protect?.tags ?? DEFAULT_CONFIG.protect.tags },
    promotion: p.promotion ?? DEFAULT_CONFIG.promotion,
    schemas: p.schemas ?? {},
    stages: p.stages ?? DEFAULT_CONFIG.stages,
  });
}

export const DEFAULT_CONFIG_TEXT = `# modelgit registry config — https://github.com/modelgit/modelgit#configuration
schema_version: 1
models_dir: models
artifacts: "artifacts/{algorithm}/{model_id}"   # model_path when register is given none (git-ignored by init)
default_metric: total_time
metrics:                               # aggregate: a model's score on a dataset from its results there:
  total_time: { direction: min, aggregate: latest }   # latest | best | mean
  accuracy:   { direction: max, aggregate: latest }
stages: [staging, production]
protect: { tags: [best, keep] }        # cleanup never deletes these, nor any model holding a stage
promotion:
  production:
    require_tested_on: [production]    # gate: a test result on these datasets
    must_beat_current: total_time      # gate: better than the model it replaces, on the same dataset
schemas: {}
`;

export const DEFAULT_STAGES_TEXT = `# Which model holds which stage, per algorithm. Written by \`modelgit promote\`; review changes in pull requests.
# mscn:
#   production: mscn_20241019_110000
{}
`;

/** Repo-relative path of a model's metadata file. */
export function modelPath(config: Pick<RegistryConfig, 'models_dir'>, algorithm: string, id: string): string {
  return `${config.models_dir}/${algorithm}/${id}.json`;
}

/** algorithm and id from a metadata path, or undefined when the path is not models/<a>/<id>.json. */
export function parseModelPath(config: Pick<RegistryConfig, 'models_dir'>, path: string): { algorithm: string; id: string } | undefined {
  const prefix = `${config.models_dir}/`;
  if (!path.startsWith(prefix) || !path.endsWith('.json')) return undefined;
  const rest = path.slice(prefix.length, -'.json'.length).split('/');
  if (rest.length !== 2) return undefined;
  return { algorithm: rest[0]!, id: rest[1]! };
}
