import { describe, expect, it } from 'vitest';
import { loadPlanSection } from '../../../src/report/load-plan.js';
import type { ModelMetadata } from '../../../src/domain/types.js';

const base: ModelMetadata = { schema_version: 2, model_id: 'ref', algorithm: 'gpt2', created_at: '2024-10-19T10:30:00Z', testing: [], tags: [], model_path: 'artifacts/ref' };

describe('report load plan section', () => {
  it("lists the loader's steps from the metadata", () => {
    const html = loadPlanSection({
      ...base,
      loading_strategy: {
        loader_type: 'custom_mtp',
        model_class_name: 'GPTMTPForCausalLM',
        custom_module_file: 'modeling.py',
        transformers_class: 'AutoModelForCausalLM',
        state_dict_mapping: { remove_prefix: 'base_model.' },
        required_files: ['config.json', 'model.safetensors', 'modeling.py'],
      },
    });
    expect(html).toContain('loader steps');
    expect(html).toContain('GPTMTPForCausalLM');
    expect(html).toMatch(/<ol><li>/);
  });

  it('says why there is no plan for an unknown loader_type, escaped', () => {
    const html = loadPlanSection({ ...base, loading_strategy: { loader_type: 'mystery<script>' } });
    expect(html).toContain('no load plan');
    expect(html).toContain('unknown loader_type');
    expect(html).not.toContain('<script>');
  });
});
