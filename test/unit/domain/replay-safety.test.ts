import { describe, expect, it } from 'vitest';
import { replanReason } from '../../../src/domain/replay-safety.js';

const ours = ['models/mscn/m1.json'];

describe('replanReason', () => {
  it('lets a write be rebuilt on a tip where others changed other files', () => {
    expect(replanReason({ ours, theirs: ['models/mscn/m2.json', 'models/lero/l1.json'], schemaFiles: [] })).toBeUndefined();
    expect(replanReason({ ours, theirs: [], schemaFiles: [] })).toBeUndefined();
  });
  it('re-plans when its own file changed', () => {
    expect(replanReason({ ours, theirs: ['models/mscn/m1.json'], schemaFiles: [] })).toBe('models/mscn/m1.json changed');
  });
  it('re-plans when another file takes the same name (ids are unique across algorithms)', () => {
    expect(replanReason({ ours, theirs: ['models/lero/m1.json'], schemaFiles: [] })).toBe('models/lero/m1.json takes the same name');
  });
  it('re-plans when the rules changed: the config, the stages or a schema', () => {
    expect(replanReason({ ours, theirs: ['modelgit.yaml'], schemaFiles: [] })).toMatch(/modelgit.yaml/);
    expect(replanReason({ ours, theirs: ['stages.yaml'], schemaFiles: [] })).toMatch(/stages.yaml/);
    expect(replanReason({ ours, theirs: ['schemas/mscn.json'], schemaFiles: ['schemas/mscn.json'] })).toMatch(/schemas/);
  });
  it('always re-plans a stage change (its gates read files it does not write)', () => {
    expect(replanReason({ ours: ['stages.yaml'], theirs: [], schemaFiles: [] })).toMatch(/gates/);
  });
});
