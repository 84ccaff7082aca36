import { describe, expect, it } from 'vitest';
import { errorAnnotation, escapeData, escapeProperty, markdownCell } from '../../../src/render/github.js';
import { errorLine, validationGithub, validationJson, validationStepSummary, validationText } from '../../../src/render/validation.js';
import { finishReport } from '../../../src/domain/validation.js';

describe('workflow command escaping', () => {
  it('escapes % first so an escape in the input is not read as one', () => {
    expect(escapeData('100%0A done')).toBe('100%250A done');
    expect(escapeData('a\r\nb\nc')).toBe('a%0D%0Ab%0Ac');
    expect(escapeData('x: y, z')).toBe('x: y, z');
  });
  it('also escapes : and , in properties', () => {
    expect(escapeProperty('models/a b/x,y:z.json')).toBe('models/a b/x%2Cy%3Az.json');
    expect(escapeProperty('50%\n')).toBe('50%25%0A');
  });
  it('builds one ::error line GitHub can parse, whatever the message holds', () => {
    const line = errorAnnotation({ file: 'models/a/x,1.json', line: 3, column: 7, pointer: '/p', rule: 'pattern (#/a,b)', message: 'bad\nvalue: 100%' });
    expect(line).toBe('::error file=models/a/x%2C1.json,line=3,col=7,title=pattern (#/a%2Cb)::bad%0Avalue: 100%25');
    expect(line.split('\n')).toHaveLength(1);
  });
});

describe('markdown cells', () => {
  it('keeps a table row intact and shows no raw HTML', () => {
    expect(markdownCell('a|b\nc <x> & d')).toBe('a\\|b<br>c &lt;x&gt; &amp; d');
  });
});

describe('validation report rendering', () => {
  const err = { file: 'models/a/x.json', line: 2, column: 3, pointer: '/testing/0', rule: 'append-only', message: 'changed' };
  const bad = finishReport('staged', ['models/a/x.json'], [err]);
  const good = finishReport('all', ['a', 'b'], []);

  it('text: file:line:col: pointer: message [rule], a summary, and a hint for staged checks', () => {
    expect(errorLine(err)).toBe('models/a/x.json:2:3: /testing/0: changed [append-only]');
    expect(errorLine({ ...err, pointer: '' })).toBe('models/a/x.json:2:3: /: changed [append-only]');
    const lines = validationText(bad).trimEnd().split('\n');
    expect(lines[0]).toBe('models/a/x.json:2:3: /testing/0: changed [append-only]');
    expect(lines[1]).toBe('modelgit validate: 1 error in 1 file (1 file checked, staged)');
    expect(lines[2]).toMatch(/staged versions.*git add/);
    expect(validationText(good)).toBe('ok: 2 files checked (all files)\n');
  });

  it('json: the §5b shape', () => {
    expect(validationJson(bad)).toEqual({ ok: false, checked: 1, errors: [err], mode: 'staged' });
    expect(validationJson(good)).toEqual({ ok: true, checked: 2, errors: [], mode: 'all' });
  });

  it('github: annotations then the summary line', () => {
    expect(validationGithub(bad)).toBe('::error file=models/a/x.json,line=2,col=3,title=a recorded test result was changed or removed::changed\nmodelgit validate: 1 error in 1 file (1 file checked, staged)\n');
  });

  it('step summary: a verdict and a table row per error', () => {
    const md = validationStepSummary(bad);
    expect(md).toContain(':x: 1 error in 1 file (1 file checked).');
    expect(md).toContain('| models/a/x.json | 2 | 3 | a recorded test result was changed or removed | changed |');
    expect(validationStepSummary(good)).toContain(':white_check_mark: 2 files checked, no errors.');
    expect(validationStepSummary(good)).not.toContain('|');
  });
});
