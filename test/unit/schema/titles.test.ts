// Schema errors read as sentences naming the field and its value (the GitHub annotation title).
import { describe, expect, it } from 'vitest';
import { validateJsonText, validatorFor } from '../../../src/schema/validator.js';
import { fieldName } from '../../../src/schema/titles.js';
import { annotationMessage, annotationTitle, errorAnnotation } from '../../../src/render/github.js';

const model = (over: Record<string, unknown>) =>
  JSON.stringify({ schema_version: 2, model_id: 'mscn_20230118_054301', algorithm: 'mscn', created_at: '2023-01-18T05:43:01Z', ...over }, null, 2);

function titles(over: Record<string, unknown>): string[] {
  return validateJsonText('models/mscn/x.json', model(over), validatorFor('model')).errors.map((e) => e.title ?? '');
}

describe('schema error titles', () => {
  it('names fields in words: list items in the singular, nested fields with dots', () => {
    expect(fieldName('/tags/1')).toBe('tag');
    expect(fieldName('/training/hyperparams/lr')).toBe('training.hyperparams.lr');
    expect(fieldName('/testing/2/dataset')).toBe('testing[2].dataset');
    expect(fieldName('')).toBe('the document');
  });

  it('says which value is not allowed', () => {
    expect(titles({ tags: ['ok', 'bad tag'] })).toContain('tag "bad tag" is not allowed');
    expect(titles({ notes: 5 })).toContain('notes must be a string');
    expect(titles({ created_at: 'yesterday' })).toContain('created_at "yesterday" is not a valid date-time');
    expect(titles({ colour: 'red' })).toContain('unknown field "colour"');
  });

  it('the annotation: the title, and a message that does not repeat the pointer', () => {
    const e = validateJsonText('models/mscn/x.json', model({ tags: ['bad tag'] }), validatorFor('model')).errors.find((x) => x.pointer === '/tags/0');
    expect(annotationTitle(e!)).toBe('tag "bad tag" is not allowed');
    expect(annotationMessage(e!)).not.toContain('/tags/0');
    expect(annotationMessage(e!)).toMatch(/^must match /);
    expect(errorAnnotation(e!)).toMatch(/^::error file=models\/mscn\/x\.json,line=\d+,col=\d+,title=tag "bad tag" is not allowed::must match /);
  });

  it('rules that are not schema keywords read as words too', () => {
    const at = { file: 'stages.yaml', line: 3, column: 5, pointer: '/mscn/production', message: 'promoting a to mscn/production: not tested on job' };
    expect(annotationTitle({ ...at, rule: 'gate:require_tested_on' })).toBe('promotion gate require_tested_on failed');
    expect(annotationTitle({ ...at, rule: 'append-only' })).toBe('a recorded test result was changed or removed');
    expect(annotationTitle({ ...at, rule: 'model-path' })).toBe('model path');
  });
});
