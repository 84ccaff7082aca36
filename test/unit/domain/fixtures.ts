// Plain model objects for domain tests: no repository needed.
import type { Model, ModelMetadata, TestResult } from '../../../src/domain/types.js';

export function model(id: string, fields: Partial<ModelMetadata> = {}): Model {
  const algorithm = fields.algorithm ?? 'mscn';
  return {
    path: `models/${algorithm}/${id}.json`,
    metadata: { schema_version: 2, model_id: id, algorithm, created_at: '2024-01-01T00:00:00Z', testing: [], tags: [], ...fields },
  };
}

export function result(dataset: string, performance: Record<string, number>, extra: Partial<TestResult> = {}): TestResult {
  return { dataset, performance, ...extra };
}
