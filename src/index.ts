// The library: everything the CLI does, callable from code. The CLI is a thin layer over these.
export * from './errors.js';
export type * from './domain/types.js';
export { Registry, type OpenOptions } from './registry/registry.js';

// writes
export { register, type RegisterOptions, type WriteAnswer } from './registry/register.js';
export { recordTest, type RecordTestOptions } from './registry/record-test.js';
export { tagModel, untagModel, noteModel } from './registry/labels.js';
export { importRegistry, type ImportOptions, type ImportAnswer, type ImportProgress } from './registry/import.js';
export { migrate, type MigrateAnswer } from './registry/migrate.js';

// loading
export { loadPlan, strategyFor, type LoadPlan, type PlanFile, type PlanWeights, type PlanOptions } from './loading/plan.js';
export { registerLoader, unregisterLoader, loaderFor, loaderTypes, loadConfiguredLoaders, type LoaderStrategy, type StepContext } from './loading/strategies.js';
export { readSafetensorsHeader, type SafetensorsHeader, type TensorInfo } from './loading/safetensors.js';
export { applyKeyMapping, mapKey, type KeyMappingResult } from './loading/keymap.js';
export { hashFile, artifactOf, locateArtifact } from './loading/artifact.js';
export { resolveRecipe, type RecipeQuery, type Resolution, type Rejection } from './loading/compatibility.js';
export { planModel } from './registry/load-plan.js';
export { resolveModel, type ResolveOptions, type ResolveAnswer } from './registry/resolve.js';
export { verifyModel, verifyMetadata, type VerifyAnswer, type VerifyCheck } from './registry/verify.js';

// pure domain helpers
export { rankModels, selectBest, scoreOf } from './domain/selection.js';
export { metricDirection } from './domain/metrics.js';
export { convertLegacy, normalizeTimestamp } from './domain/legacy.js';
