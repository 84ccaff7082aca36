// The compare table's layout decision (issue #17): wide when it fits, else a column per model, made
// narrower step by step; a pipe turns at PIPE_WIDTH and is never shortened. The decision is tested
// on made-up widths, and the table itself in-process at 80 and 200 columns and through a pipe.
import { describe, expect, it } from 'vitest';
import { buildComparison } from '../../../src/domain/comparison.js';
import { DEFAULT_CONFIG } from '../../../src/domain/config.js';
import { chooseLayout, comparisonMarkdown, comparisonTable, PIPE_WIDTH, splitId, type LayoutChoice } from '../../../src/render/comparison.js';
import { PLAIN_OUTPUT, stripColor, terminalOutput } from '../../../src/render/terminal.js';
import { model, result } from '../domain/fixtures.js';

/** A measure from a table of widths: wide, then tall by its deltas and split ids, less 20 per model hidden. */
function widths(w: { wide: number; inline: number; compact: number; split: number; stacked: number }) {
  return (c: LayoutChoice): number => {
    if (c.layout === 'wide') return w.wide;
    const base = c.deltas === 'inline' ? w.inline : c.deltas === 'stacked' ? w.stacked : c.splitIds ? w.split : w.compact;
    return base - (5 - c.models) * 20;
  };
}

describe('chooseLayout', () => {
  const five = { models: 5 };
  it('is wide when the wide table fits the terminal', () => {
    expect(chooseLayout({ ...five, out: terminalOutput(200), measure: widths({ wide: 180, inline: 150, compact: 120, split: 100, stacked: 90 }) })).toEqual({ layout: 'wide', deltas: 'inline', splitIds: false, models: 5 });
  });
  it('turns to a column per model when the wide one does not fit, with whole deltas when they fit', () => {
    expect(chooseLayout({ ...five, out: terminalOutput(160), measure: widths({ wide: 437, inline: 150, compact: 120, split: 100, stacked: 90 }) })).toEqual({ layout: 'tall', deltas: 'inline', splitIds: false, models: 5 });
  });
  it('then shortens the deltas, then splits the ids, then stacks the deltas', () => {
    const m = widths({ wide: 437, inline: 150, compact: 120, split: 100, stacked: 90 });
    expect(chooseLayout({ ...five, out: terminalOutput(130), measure: m })).toMatchObject({ layout: 'tall', deltas: 'compact', splitIds: false, models: 5 });
    expect(chooseLayout({ ...five, out: terminalOutput(110), measure: m })).toMatchObject({ layout: 'tall', deltas: 'compact', splitIds: true, models: 5 });
    expect(chooseLayout({ ...five, out: terminalOutput(95), measure: m })).toMatchObject({ layout: 'tall', deltas: 'stacked', splitIds: true, models: 5 });
  });
  it('then shows fewer models, never fewer than the baseline and one other', () => {
    const m = widths({ wide: 437, inline: 150, compact: 120, split: 100, stacked: 90 });
    expect(chooseLayout({ ...five, out: terminalOutput(80), measure: m })).toMatchObject({ layout: 'tall', deltas: 'stacked', models: 4 });
    expect(chooseLayout({ ...five, out: terminalOutput(50), measure: m })).toMatchObject({ layout: 'tall', deltas: 'stacked', models: 3 });
    expect(chooseLayout({ ...five, out: terminalOutput(20), measure: m })).toMatchObject({ layout: 'tall', deltas: 'stacked', models: 2 });
  });
  it('keeps the wide table when it is narrower than the tightest tall one (many models, few results)', () => {
    expect(chooseLayout({ ...five, out: terminalOutput(80), measure: widths({ wide: 85, inline: 150, compact: 120, split: 100, stacked: 90 }) })).toMatchObject({ layout: 'wide', models: 5 });
  });
  it('through a pipe: wide up to PIPE_WIDTH, else tall with everything (a log is read whole)', () => {
    const m = widths({ wide: PIPE_WIDTH, inline: 400, compact: 120, split: 100, stacked: 90 });
    expect(chooseLayout({ ...five, out: PLAIN_OUTPUT, measure: m })).toMatchObject({ layout: 'wide' });
    expect(chooseLayout({ ...five, out: PLAIN_OUTPUT, measure: widths({ wide: PIPE_WIDTH + 1, inline: 400, compact: 120, split: 100, stacked: 90 }) })).toEqual({ layout: 'tall', deltas: 'inline', splitIds: false, models: 5 });
  });
  it('--layout forces one: wide whatever its width, tall even when wide would fit', () => {
    const m = widths({ wide: 437, inline: 150, compact: 120, split: 100, stacked: 90 });
    expect(chooseLayout({ ...five, out: terminalOutput(80), measure: m, forced: 'wide' })).toMatchObject({ layout: 'wide', models: 5 });
    const fits = widths({ wide: 60, inline: 70, compact: 60, split: 60, stacked: 60 });
    expect(chooseLayout({ ...five, out: terminalOutput(80), measure: fits, forced: 'tall' })).toMatchObject({ layout: 'tall', deltas: 'inline' });
    expect(chooseLayout({ ...five, out: PLAIN_OUTPUT, measure: fits, forced: 'tall' })).toMatchObject({ layout: 'tall', deltas: 'inline', models: 5 });
    // forced tall never falls back to wide
    expect(chooseLayout({ ...five, out: terminalOutput(80), measure: widths({ wide: 85, inline: 150, compact: 120, split: 100, stacked: 90 }), forced: 'tall' })).toMatchObject({ layout: 'tall', models: 4 });
  });
});

describe('splitId', () => {
  it('breaks at the separator nearest the middle', () => {
    expect(splitId('mscn_20241019_103000')).toBe('mscn_20241019_\n103000');
    expect(splitId('lero-2024-10-19')).toBe('lero-\n2024-10-19'); // a tie: the first
    expect(splitId('abcdef')).toBe('abcdef');
  });
});

// Three models with realistic ids, tested on three datasets: 400+ columns wide.
const ids = ['mscn_20241019_103000', 'mscn_20241019_113000', 'mscn_20241019_123000'];
const models = ids.map((id, i) =>
  model(id, {
    training: { dataset: 'production', training_time: 1800 + i, hyperparams: { lr: 0.001 * (i + 1), num_epoch: 100 } },
    testing: ['job-light', 'production', 'stats'].map((d) => result(d, { total_time: 45 - i, q_error: 1.2 + i / 10, p95_time: 1.5 })),
  }),
);
const cmp = buildComparison(models, { config: DEFAULT_CONFIG });
const lines = (s: string) => s.trimEnd().split('\n');

describe('comparisonTable', () => {
  it('at 80 columns: a column per model, every line within 80', () => {
    const t = comparisonTable(cmp, { out: terminalOutput(80) });
    for (const l of lines(t)) expect(l.length, l).toBeLessThanOrEqual(80);
    expect(t).toMatch(/│ model +│ +mscn_20241019_ │ +mscn_20241019_ │ +mscn_20241019_ │\n│ +│ +103000 │ +113000 │ +123000 │/);
    expect(t).toMatch(/│ on job-light +│/);
    // deltas shortened to fit: the percentage and the word
    expect(t).toMatch(/│ {3}total_time +│ +45 │ 44 -2\.2% better │ 43 \* -4\.4% better │/);
    expect(t).toContain('±y% better/worse difference from mscn_20241019_103000');
    expect(t).toContain('* best in row (');
    expect(t).toContain('same for all: num_epoch=100');
    expect(t).not.toContain('\x1b[');
  });
  it('at 200 columns: still a column per model (the wide one takes 400+), with whole deltas', () => {
    const t = comparisonTable(cmp, { out: terminalOutput(200) });
    for (const l of lines(t)) expect(l.length).toBeLessThanOrEqual(200);
    expect(t).toMatch(/│ model +│ mscn_20241019_103000 │ +mscn_20241019_113000 │ +mscn_20241019_123000 │/);
    expect(t).toMatch(/│ {3}q_error +│ +1\.2 \* │ +1\.3 \(\+0\.1, \+8\.3%, worse\) │ +1\.4 \(\+0\.2, \+16\.7%, worse\) │/);
    expect(t).toContain('(±x, ±y%, better/worse) difference from mscn_20241019_103000');
  });
  it('at 200 columns, two models on one dataset: wide', () => {
    const two = buildComparison(models.slice(0, 2), { config: DEFAULT_CONFIG, datasets: ['production'] });
    const t = comparisonTable(two, { out: terminalOutput(200) });
    expect(t).toMatch(/│ model +│ trained on │ training_time │ +lr │ p95_time on production │/);
    expect(t).toMatch(/│ mscn_20241019_113000 │ production │ +1801 │ 0\.002 │ +1\.5 \* \(0, 0\.0%, same\) │ +1\.3 \(\+0\.1, \+8\.3%, worse\) │ +44 \* \(-1, -2\.2%, better\) │/);
    expect(t).toContain('* best in column (');
  });
  it('at 60 columns, names the models it could not show', () => {
    const t = comparisonTable(cmp, { out: terminalOutput(60) });
    for (const l of lines(t)) expect(l.length, l).toBeLessThanOrEqual(60);
    expect(t).toMatch(/^1 more model not shown at 60 columns: mscn_20241019_123000/m);
    expect(t).not.toMatch(/│ +123000 │/);
  });
  it('colour: best bold green, better green, worse red, only when the output takes colour', () => {
    const t = comparisonTable(cmp, { out: terminalOutput(200, true) });
    expect(t).toContain('\x1b[1;32m43 *\x1b[22;39m');
    expect(t).toContain('\x1b[32m(-2, -4.4%, better)\x1b[39m');
    expect(t).toContain('\x1b[31m(+0.2, +16.7%, worse)\x1b[39m');
    // the same table as without colour, once the codes are gone
    expect(stripColor(t)).toBe(comparisonTable(cmp, { out: terminalOutput(200) }));
  });
  it('through a pipe: whole and plain: every model, whole deltas, no colour', () => {
    const t = comparisonTable(cmp, { out: PLAIN_OUTPUT });
    expect(t).not.toContain('\x1b[');
    expect(t).not.toMatch(/not shown/);
    expect(t).toContain('1.4 (+0.2, +16.7%, worse)');
    for (const id of ids) expect(t).toContain(id);
  });
  it('--layout wide at 80 columns: the wide table, left to the table to fit', () => {
    const t = comparisonTable(cmp, { out: terminalOutput(80), layout: 'wide' });
    // a row per model, within 80 columns; the results stay, the hyperparameters go first
    expect(t).toMatch(/│ model +│/);
    expect(Math.max(...t.trimEnd().split('\n').map((l) => l.length))).toBeLessThanOrEqual(80);
    expect(t).toMatch(/hidden to fit 80 columns: (.*, )?lr/);
  });
  it('markdown keeps its one layout and its deltas without words', () => {
    const md = comparisonMarkdown(buildComparison(models.slice(0, 2), { config: DEFAULT_CONFIG, datasets: ['production'] }));
    expect(md).toContain('| mscn_20241019_113000 | production | 1801 | 0.002 | **1.5** (0, 0.0%) | 1.3 (+0.1, +8.3%) | **44** (-1, -2.2%) |');
    expect(md).toContain('- (±x, ±y%) difference from mscn_20241019_103000');
  });
});
