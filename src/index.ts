// The library: everything the CLI does, callable from code (`import { best } from 'modelgit'`). The
// CLI is a thin layer over these: each command is one async function taking an open Registry and
// an options object and answering with what `--json` prints. Errors are the classes of errors.ts,
// each with a stable `code` (USAGE, NOT_FOUND, INVALID, DIRTY, LOCKED, GATE_FAILED, PUSH_FAILED, …).
// Where a function's own name says less than the command's (listStages, registryDiff, buildReport),
// it is exported under the command's name.
export * from './errors.js';
export type * from './domain/types.js';
export { Registry, type OpenOptions } from './registry/registry.js';
export { init, type InitOptions, type InitAnswer } from './registry/init.js';
export { installHookAt as installHook, type HookInstallOptions, type HookInstallAnswer } from './install/hooks.js';

// queries
export { best, type BestQuery, type BestAnswer, type BestOutcome } from './registry/best.js';
export { recordBest, type RecordBestQuery } from './registry/record-best.js';
export { list, type ListQuery, type ListAnswer } from './registry/list.js';
export { compare, type CompareQuery } from './registry/compare.js';
export type { Comparison, ComparisonRow, ComparisonCell, ComparisonColumn, Delta } from './domain/comparison.js';
export { show, type ShowAnswer } from './registry/show.js';
export { history, modelHistory, type HistoryQuery, type HistoryEntry } from './registry/history.js';
export { listStages as stages, type StageRow } from './registry/stages.js';
export { registryDiff as diff, type DiffAnswer } from './registry/diff.js';
export type { RegistryDiff, RegisteredModel, ResultChange, ResultComparison, OtherChange, ModelRef } from './domain/diff.js';
export { checkGates, checkGatesSince, type GateCheckAnswer, type RangeGateAnswer } from './registry/gates.js';
export type { GateEvaluation, GateResult, GateName, PromotionCheck } from './domain/gates.js';
export { validate, type ValidateOptions } from './registry/validate.js';
export type { ValidationReport, ValidateMode } from './domain/validation.js';
export { buildReport as report, reportData, type ReportOptions, type ReportAnswer, type ReportData } from './registry/report.js';

// writes
export { register, type RegisterOptions, type RegisterAnswer, type WriteAnswer } from './registry/register.js';
export { recordTest, type RecordTestOptions } from './registry/record-test.js';
export { tagModel, untagModel, noteModel, type LabelAnswer } from './registry/labels.js';
export { promote, demote, type PromoteOptions, type PromoteAnswer, type DemoteOptions, type StageAnswer } from './registry/promote.js';
export { cleanup, type CleanupOptions, type CleanupAnswer, type ArtifactOutcome } from './registry/cleanup.js';
export { restore, type RestoreAnswer } from './registry/restore.js';
export { syncTags, type SyncTagsOptions, type SyncTagsAnswer, type CreatedTag } from './registry/sync-tags.js';
export { importRegistry, type ImportOptions, type ImportAnswer, type ImportProgress, type ImportedModel, type MissingArtifact } from './registry/import.js';
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
