// Overrides are visible (issue #16): a promotion forced past its gates passes validate --since but is
// a warning on its stages.yaml line (a GitHub annotation), named with its failed gates in the diff
// summary; `promotion.<stage>.allow_force: false` refuses it in promote and in validate --since; a
// model file removed by hand (not a cleanup) fails validate --since. And GitHub's 10 annotations
// go to the decisions first.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stderrText, tempDir, tempRegistry } from '../helpers.js';

async function withModels() {
  const reg = await tempRegistry();
  const ok = async (...args: string[]) => {
    const r = await reg.run(...args);
    if (r.code !== 0) throw new Error(`${args.join(' ')}: ${stderrText(r)}`);
    return r;
  };
  await ok('register', '--algo', 'mscn', '--id', 'a');
  await ok('test', 'a', '--dataset', 'job', '--metric', 'total_time=5');
  return { reg, ok, base: reg.git('rev-parse', 'HEAD').trim() };
}

describe('overrides are visible', () => {
  it('a forced promotion: validate --since passes with a warning on its stages.yaml line; the diff names the failed gate', async () => {
    const { reg, ok, base } = await withModels();
    await ok('promote', 'a', '--stage', 'production', '--force');
    const gh = await reg.run('validate', '--since', base, '--format', 'github');
    expect(gh.code).toBe(0);
    expect(gh.stdout).toMatch(/^::warning file=stages\.yaml,line=\d+,col=\d+,title=forced promotion::a was promoted to mscn\/production with --force, past a failed gate: require_tested_on/m);
    const text = await reg.run('validate', '--since', base);
    expect(text.stdout).toMatch(/^warning: stages\.yaml:\d+:\d+: \/mscn\/production: .*\[forced-promotion\]$/m);
    expect((await reg.run('validate', '--since', base, '--json')).json().warnings).toEqual([expect.objectContaining({ rule: 'forced-promotion', file: 'stages.yaml' })]);
    const diff = await reg.run('diff', base);
    expect(diff.stdout).toMatch(/\*\*a\*\* ⚠️ \*\*forced\*\* past failed gates: require_tested_on/);
  });

  it('allow_force: false refuses promote --force, and a forced promotion in validate --since', async () => {
    const { reg, ok, base } = await withModels();
    const cfg = join(reg.dir, 'modelgit.yaml');
    const text = readFileSync(cfg, 'utf8');
    expect(text).toMatch(/^ {2}production:\n/m);
    writeFileSync(cfg, text.replace(/^ {2}production:\n/m, '  production:\n    allow_force: false\n'));
    reg.git('commit', '-qam', 'no forcing into production');
    const before = reg.git('rev-parse', 'HEAD');
    const refused = await reg.run('promote', 'a', '--stage', 'production', '--force');
    expect(refused.code).toBe(1);
    expect(stderrText(refused)).toMatch(/--force is not allowed there \(promotion\.production\.allow_force: false\)/);
    expect(reg.git('rev-parse', 'HEAD')).toBe(before);
    // Forced by hand (a commit that says Forced: true) is refused by validate --since all the same.
    await ok('promote', 'a', '--stage', 'staging');
    const stages = join(reg.dir, 'stages.yaml');
    writeFileSync(stages, readFileSync(stages, 'utf8').replace('staging: a', 'staging: a\n  production: a'));
    reg.git('commit', '-qam', 'promote a to mscn/production\n\nModel-Action: promote\nModel-Id: a\nAlgorithm: mscn\nStage: production\nForced: true');
    const v = await reg.run('validate', '--since', base, '--json');
    expect(v.code).toBe(1);
    expect(v.json().errors).toEqual(expect.arrayContaining([expect.objectContaining({ file: 'stages.yaml', rule: 'allow-force' })]));
    void ok;
  });

  it('a model file removed by hand fails validate --since; a cleanup passes', async () => {
    const { reg, ok, base } = await withModels();
    await ok('register', '--algo', 'mscn', '--id', 'b');
    rmSync(join(reg.dir, 'models/mscn/b.json'));
    reg.git('commit', '-qam', 'tidy up');
    const v = await reg.run('validate', '--since', base, '--json');
    expect(v.code).toBe(1);
    expect(v.json().errors).toEqual([expect.objectContaining({ file: 'models/mscn/b.json', rule: 'removed-by-cleanup' })]);
    reg.git('reset', '-q', '--hard', 'HEAD~1');
    await ok('cleanup', '--algo', 'mscn', '--keep', '1', '--metric', 'total_time', '--dataset', 'job');
    expect((await reg.run('validate', '--since', base)).code).toBe(0);
  });

  it('GitHub annotations: decisions first, and a notice for what GitHub would not show', async () => {
    const { reg, ok, base } = await withModels();
    for (let i = 0; i < 12; i++) await ok('register', '--algo', 'mscn', '--id', `m${i}`);
    for (let i = 0; i < 12; i++) {
      const f = join(reg.dir, `models/mscn/m${i}.json`);
      writeFileSync(f, readFileSync(f, 'utf8').replace('"model_id": "m' + i + '"', '"model_id": "wrong' + i + '"'));
    }
    const stages = join(reg.dir, 'stages.yaml');
    writeFileSync(stages, 'mscn:\n  production: a\n');
    reg.git('commit', '-qam', 'hand edits');
    const gh = await reg.run('validate', '--since', base, '--format', 'github');
    expect(gh.code).toBe(1);
    const lines = gh.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^::error file=stages\.yaml,.*title=promotion gate /);
    expect(lines.find((l) => l.startsWith('::notice'))).toMatch(/more errors/);
    expect(lines.filter((l) => l.startsWith('::error')).every((l) => !/title=[^:]*\(#\//.test(l))).toBe(true);
  });

  it('gates are judged even when stages.yaml names a model that is not there', async () => {
    const { reg, base } = await withModels();
    const stages = join(reg.dir, 'stages.yaml');
    writeFileSync(stages, 'mscn:\n  production: a\n  staging: ghost\n');
    reg.git('commit', '-qam', 'hand edits');
    const v = await reg.run('validate', '--since', base, '--json');
    expect(v.code).toBe(1);
    const rules = v.json().errors.map((e: { rule: string }) => e.rule);
    expect(rules).toContain('stage-model-exists');
    expect(rules.some((r: string) => r.startsWith('gate:'))).toBe(true);
    // the missing model is said once, not again as a promotion target
    expect(rules).not.toContain('promotion-target');
  });
});

describe('the report shows a forced promotion', () => {
  it('with a badge in the timeline and on the model page', async () => {
    const { reg, ok } = await withModels();
    await ok('promote', 'a', '--stage', 'staging');
    await ok('promote', 'a', '--stage', 'production', '--force');
    const out = join(tempDir('modelgit-site-'), 'site');
    await ok('report', '--out', out);
    const overview = readFileSync(join(out, 'index.html'), 'utf8');
    expect(overview.match(/class="badge forced"/g)).toHaveLength(1);
    expect(readFileSync(join(out, 'm', 'mscn', 'a.html'), 'utf8')).toMatch(/<span class="stage">production<\/span> <span class="badge forced"/);
  });
});
