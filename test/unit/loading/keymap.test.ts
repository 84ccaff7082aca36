import { describe, expect, it } from 'vitest';
import { applyKeyMapping, isIdentityMapping, mapKey } from '../../../src/loading/keymap.js';

describe('mapKey', () => {
  it('removes the prefix, then applies transforms in order, then adds the prefix', () => {
    const m = { remove_prefix: 'base_model.', add_prefix: 'model.', key_transforms: { 'transformer.': '', 'h.': 'layers.' } };
    expect(mapKey('base_model.transformer.h.0.weight', m)).toBe('model.layers.0.weight');
  });
  it('is undefined for a name without the prefix to remove', () => {
    expect(mapKey('lm_head.weight', { remove_prefix: 'base_model.' })).toBeUndefined();
  });
  it('replaces every occurrence of a transform, literally (no regex)', () => {
    expect(mapKey('a.b.a.b', { key_transforms: { 'a.': 'x.' } })).toBe('x.b.x.b');
    expect(mapKey('h.0.weight', { key_transforms: { 'h.*': 'y' } })).toBe('h.0.weight');
  });
  it('treats null, empty and absent mappings as the identity', () => {
    expect(isIdentityMapping(undefined)).toBe(true);
    expect(isIdentityMapping({ remove_prefix: null, add_prefix: '', key_transforms: {} })).toBe(true);
    expect(isIdentityMapping({ add_prefix: 'm.' })).toBe(false);
    expect(mapKey('w', { remove_prefix: null, add_prefix: null })).toBe('w');
  });
});

describe('applyKeyMapping', () => {
  const keys = ['base_model.h.0.w', 'base_model.h.1.w', 'base_model.lm_head.w'];
  it('maps real names and counts the renamed ones', () => {
    const r = applyKeyMapping(keys, { remove_prefix: 'base_model.' });
    expect(r.problems).toEqual([]);
    expect(r.pairs).toEqual([['base_model.h.0.w', 'h.0.w'], ['base_model.h.1.w', 'h.1.w'], ['base_model.lm_head.w', 'lm_head.w']]);
    expect(r.renamed).toBe(3);
  });
  it('refuses a mapping that makes two names collide, naming both', () => {
    const r = applyKeyMapping(['base_model.h.0.w', 'h.0.w'], { remove_prefix: null, key_transforms: { 'base_model.': '' } });
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ rule: 'collision', keys: ['base_model.h.0.w', 'h.0.w'] });
    expect(r.problems[0]!.message).toMatch(/"base_model\.h\.0\.w", "h\.0\.w" all map to "h\.0\.w"/);
  });
  it('refuses a remove_prefix that some names lack, listing them', () => {
    const r = applyKeyMapping([...keys, 'mtp_heads.0.w'], { remove_prefix: 'base_model.' });
    expect(r.problems.map((p) => p.rule)).toEqual(['prefix-unmatched']);
    expect(r.problems[0]!.keys).toEqual(['mtp_heads.0.w']);
    expect(r.problems[0]!.message).toMatch(/does not match 1 of 4 tensor name/);
  });
  it('refuses a remove_prefix that matches nothing (a mapping for another checkpoint)', () => {
    const r = applyKeyMapping(['h.0.w', 'h.1.w'], { remove_prefix: 'module.' });
    expect(r.problems[0]).toMatchObject({ rule: 'prefix-unmatched', keys: ['h.0.w', 'h.1.w'] });
  });
  it('refuses a name that maps to nothing', () => {
    const r = applyKeyMapping(['base_model.'], { remove_prefix: 'base_model.' });
    expect(r.problems.map((p) => p.rule)).toEqual(['empty-key']);
  });
  it('reports transforms that match no name', () => {
    const r = applyKeyMapping(keys, { remove_prefix: 'base_model.', key_transforms: { 'h.': 'layers.', 'attn.': 'self_attn.' } });
    expect(r.problems).toEqual([]);
    expect(r.unusedTransforms).toEqual(['attn.']);
  });
  it('shortens long lists in messages', () => {
    const many = Array.from({ length: 12 }, (_, i) => `x.${i}`);
    const r = applyKeyMapping(many, { remove_prefix: 'base.' });
    expect(r.problems[0]!.message).toMatch(/and 7 more/);
    expect(r.problems[0]!.keys).toHaveLength(12);
  });
});
