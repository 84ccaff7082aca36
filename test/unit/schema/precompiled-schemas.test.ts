// The validators compiled at build time (scripts/postbuild.mjs) must judge exactly as ajv does at
// run time, and must be rebuilt when a schema changes.
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileSchema, type SchemaName } from '../../../src/schema/validator.js';

const require = createRequire(import.meta.url);
const built = (name: SchemaName) => require(`../../../dist/schema/compiled/${name}.cjs`) as ((v: unknown) => boolean) & { errors?: unknown[]; schemaHash: string };

const SAMPLES: Record<SchemaName, unknown[]> = {
  model: [
    { schema_version: 2, model_id: 'm_1', algorithm: 'mscn', created_at: '2024-10-19T10:30:00Z', testing: [], tags: [] },
    { schema_version: 2, model_id: 'm_1', algorithm: 'mscn', testing: [], tags: [] },
    { model_id: 'UPPER', algorithm: '../x', testing: [{ dataset: 'p', performance: {} }], tags: ['a', 'a'], extra_field: 1 },
    { schema_version: 2, model_id: 'm', algorithm: 'a', created_at: 'yesterday', training: { enabled: 'yes', num_queries: -1 }, testing: [{ dataset: 'production', performance: { total_time: 'fast' } }], tags: [] },
    { schema_version: 2, model_id: 'g', algorithm: 'gpt2', created_at: '2024-10-19T10:30:00Z', testing: [], tags: [], loading_strategy: { loader_type: 'custom_mtp', state_dict_mapping: { remove_prefix: 1 } }, artifact: { sha256: 'xyz' } },
    null,
    [],
  ],
  config: [{ schema_version: 1, models_dir: 'models' }, { schema_version: 'one', metrics: { t: { direction: 'up' } } }, null],
  stages: [{ mscn: { production: 'mscn_1' } }, { mscn: { production: 3 } }, []],
};

describe('precompiled schema validators', () => {
  it.each(['model', 'config', 'stages'] as SchemaName[])('%s: built from the current schema and agreeing with ajv', (name) => {
    const fn = built(name);
    const text = readFileSync(new URL(`../../../schemas/${name}.schema.json`, import.meta.url), 'utf8');
    expect(fn.schemaHash, 'dist/schema/compiled is stale: npm run build').toBe(createHash('sha1').update(text).digest('hex'));
    const runtime = compileSchema(name);
    for (const doc of SAMPLES[name]) {
      expect(fn(doc)).toBe(runtime(doc));
      expect(fn.errors ?? null).toEqual(runtime.errors ?? null);
    }
  });
});
