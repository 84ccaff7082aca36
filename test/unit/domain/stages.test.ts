import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_STAGES_TEXT } from '../../../src/domain/config.js';
import { assignStage, locateStage, stageChanges, unassignStage } from '../../../src/domain/stages.js';

describe('assignStage / unassignStage keep the file as people wrote it', () => {
  it('turns init\'s `{}` into a block map under the header comment, and back', () => {
    const one = assignStage(DEFAULT_STAGES_TEXT, 'mscn', 'production', 'mscn_1');
    expect(one).toBe(DEFAULT_STAGES_TEXT.replace('{}\n', 'mscn:\n  production: mscn_1\n'));
    expect(unassignStage(one, 'mscn', 'production')).toBe(DEFAULT_STAGES_TEXT);
  });

  it('changes one line, keeping comments, order and other algorithms', () => {
    const text = '# team note\nmscn:\n  # prod is what the optimizer loads\n  production: mscn_1  # since March\n  staging: mscn_2\nlero:\n  staging: lero_1\n';
    expect(assignStage(text, 'mscn', 'production', 'mscn_9')).toBe(text.replace('production: mscn_1', 'production: mscn_9'));
    expect(assignStage(text, 'lero', 'production', 'lero_2')).toBe(text + '  production: lero_2\n');
    expect(assignStage(text, 'gpt', 'staging', 'gpt_1')).toBe(text + 'gpt:\n  staging: gpt_1\n');
  });

  it('leaves the spacing and comments of every other line byte for byte', () => {
    const text = '# team\nmscn:\n    production: a   # since March\n    staging:   b  # x\nlero: {staging: q}   # flow\n\n\n# trailing\n';
    expect(assignStage(text, 'mscn', 'staging', 'c')).toBe(text.replace('staging:   b', 'staging:   c'));
    expect(assignStage(text, 'mscn', 'canary', 'c')).toBe(text.replace('# x\n', '# x\n    canary: c\n'));
    expect(assignStage(text, 'gpt', 'staging', 'g')).toBe(text.replace('# flow\n', '# flow\ngpt:\n    staging: g\n'));
    expect(unassignStage(text, 'mscn', 'production')).toBe(text.replace('    production: a   # since March\n', ''));
  });

  it('keeps a flow-style algorithm map in flow style', () => {
    expect(assignStage('mscn: {production: a}\n', 'mscn', 'staging', 'b')).toBe('mscn: { production: a, staging: b }\n');
  });

  it('removing the first entry keeps the comment written above it', () => {
    const text = '# header\nmscn:\n  production: a\nlero:\n  staging: b\n';
    expect(unassignStage(text, 'mscn', 'production')).toBe('# header\nlero:\n  staging: b\n');
    expect(unassignStage(unassignStage(text, 'mscn', 'production'), 'lero', 'staging')).toBe('# header\n{}\n');
  });

  it('leaves the text alone when there is nothing to remove; starts from an empty file', () => {
    const text = 'mscn:\n  production: a\n';
    expect(unassignStage(text, 'mscn', 'staging')).toBe(text);
    expect(unassignStage(text, 'lero', 'staging')).toBe(text);
    expect(parse(assignStage('', 'mscn', 'staging', 'x'))).toEqual({ mscn: { staging: 'x' } });
  });

  it('locateStage gives the line and column of an assignment', () => {
    const text = '# c\nmscn:\n  production: a\n  staging: b\n';
    expect(locateStage(text, 'mscn', 'staging')).toEqual({ line: 4, column: 3 });
    expect(locateStage(text, 'mscn')).toEqual({ line: 2, column: 1 });
    expect(locateStage(text, 'lero', 'x')).toEqual({ line: 1, column: 1 });
  });
});

describe('stageChanges', () => {
  it('lists promotions, replacements and demotions in a stable order', () => {
    expect(stageChanges({ mscn: { production: 'a', staging: 'b' }, old: { staging: 'z' } }, { mscn: { production: 'c', staging: 'b' }, lero: { staging: 'l' } })).toEqual([
      { algorithm: 'lero', stage: 'staging', model_id: 'l', previous: null, action: 'promote' },
      { algorithm: 'mscn', stage: 'production', model_id: 'c', previous: 'a', action: 'promote' },
      { algorithm: 'old', stage: 'staging', model_id: null, previous: 'z', action: 'demote' },
    ]);
    expect(stageChanges({}, {})).toEqual([]);
  });
});
