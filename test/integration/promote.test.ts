import { describe, expect, it } from 'vitest';
import { register } from '../../src/registry/register.js';
import { recordTest } from '../../src/registry/record-test.js';
import { repoState, tempRegistry, type TempRegistry } from '../helpers.js';
import { runWithEnv } from './gitops-helpers.js';

/** A registry with three tested mscn models: a (50 s), b (40 s), slow (90 s) on production. */
async function withModels(): Promise<TempRegistry> {
  const r = await tempRegistry();
  const reg = await r.open();
  for (const [id, t] of [['a', 50], ['b', 40], ['slow', 90]] as const) {
    await register(reg, { algorithm: 'mscn', id });
    await recordTest(reg, { id, dataset: 'production', metrics: [`total_time=${t}`] });
  }
  await register(reg, { algorithm: 'mscn', id: 'untested' });
  return r;
}

describe('promote', () => {
  it('edits one line of stages.yaml, commits with trailers and writes the stage tag on the default branch', async () => {
    const r = await withModels();
    const first = await r.run('promote', 'a', '--stage', 'production', '--json');
    expect(first.code).toBe(0);
    expect(first.json()).toMatchObject({ model_id: 'a', algorithm: 'mscn', stage: 'production', previous: null, tag: 'stage/mscn/production/1', branch: null, changed: true });
    const res = await r.run('promote', 'b', '--stage', 'production', '--json');
    expect(res.code).toBe(0);
    const a = res.json();
    expect(a).toMatchObject({ model_id: 'b', algorithm: 'mscn', stage: 'production', previous: 'a', tag: 'stage/mscn/production/2', branch: null, forced: false });
    expect(a.commit).toBe(r.git('rev-parse', 'HEAD').trim());
    expect(r.git('log', '-1', '--format=%B')).toBe(
      'promote b to mscn/production (replacing a)\n\n' +
        'Model-Action: promote\nModel-Id: b\nAlgorithm: mscn\nStage: production\nPrevious-Model-Id: a\n' +
        'Gate: require_tested_on pass: tested on production\nGate: must_beat_current pass: total_time 40 < 50 of a on production\nForced: false\n\n',
    );
    // One line changed in stages.yaml, the comments init wrote are still there.
    expect(r.git('diff', '--numstat', 'HEAD~1', 'HEAD').trim()).toBe('1\t1\tstages.yaml');
    expect(r.read('stages.yaml')).toMatch(/^# Which model holds which stage/);
    // The tag is annotated, points at the commit, and its message carries the gates.
    expect(r.git('cat-file', '-t', 'stage/mscn/production/2').trim()).toBe('tag');
    expect(r.git('rev-parse', 'stage/mscn/production/2^{commit}').trim()).toBe(a.commit);
    const msg = r.git('tag', '-l', '--format=%(contents)', 'stage/mscn/production/2');
    expect(msg).toContain('promote b to mscn/production (replacing a)\n\nModel-Action: promote\nModel-Id: b\n');
    expect(msg).toContain('Previous-Model-Id: a\nGate: require_tested_on pass');
  });

  it('refuses a promotion that fails gates, naming each one, and leaves the repository as it was', async () => {
    const r = await withModels();
    await r.run('promote', 'b', '--stage', 'production');
    const before = repoState(r.dir);
    const slow = await r.run('promote', 'slow', '--stage', 'production');
    expect(slow.code).toBe(1);
    expect(slow.stderr).toContain('must_beat_current: total_time 90 does not beat 40 of b on production');
    const untested = await r.run('promote', 'untested', '--stage', 'production', '--json');
    expect(untested.code).toBe(1);
    expect(untested.stderr).toContain('require_tested_on: no test result on production (required: production)');
    expect(untested.stderr).toContain('must_beat_current: cannot compare with b on total_time on production');
    expect(untested.stderr).toMatch(/"code":"GATE_FAILED"/);
    expect(repoState(r.dir)).toBe(before);
  });

  it('--force promotes anyway and records it in the commit and the tag', async () => {
    const r = await withModels();
    await r.run('promote', 'b', '--stage', 'production');
    const res = await r.run('promote', 'slow', '--stage', 'production', '--force', '--json');
    expect(res.code).toBe(0);
    expect(res.json()).toMatchObject({ forced: true, previous: 'b', gates: [{ gate: 'require_tested_on', ok: true }, { gate: 'must_beat_current', ok: false }] });
    const body = r.git('log', '-1', '--format=%B');
    expect(body).toContain('Gate: must_beat_current FAIL: total_time 90 does not beat 40 of b on production\nForced: true\n');
    expect(r.git('tag', '-l', '--format=%(contents)', 'stage/mscn/production/2')).toContain('Forced: true');
  });

  it('does nothing (exit 0, no commit) when the model already holds the stage', async () => {
    const r = await withModels();
    await r.run('promote', 'b', '--stage', 'staging');
    const before = repoState(r.dir);
    const res = await r.run('promote', 'b', '--stage', 'staging', '--json');
    expect(res.code).toBe(0);
    expect(res.json()).toMatchObject({ changed: false, tag: null, previous: 'b' });
    expect(repoState(r.dir)).toBe(before);
  });

  it.each([
    [['promote', 'a', '--stage', 'canary'], 2, /canary is not a stage of this registry \(modelgit.yaml stages: staging, production\)/],
    [['promote', '../a', '--stage', 'production'], 2, /model id "..\/a" is not a safe name/],
    [['promote', 'a', '--stage', 'prod/x'], 2, /stage "prod\/x" is not a safe name/],
    [['promote', 'a'], 2, /--stage/],
    [['promote', 'ghost', '--stage', 'production'], 1, /no model "ghost"/],
    [['demote', 'a', '--stage', 'production'], 1, /a does not hold production/],
  ])('refuses %j (exit %i) and changes nothing', async (args, code, message) => {
    const r = await withModels();
    const before = repoState(r.dir);
    const res = await r.run(...args);
    expect(res.code).toBe(code);
    expect(res.stderr).toMatch(message);
    expect(repoState(r.dir)).toBe(before);
  });

  it('refuses when stages.yaml has uncommitted edits, and keeps them', async () => {
    const r = await withModels();
    r.write('stages.yaml', 'mscn:\n  production: a # my edit\n');
    const before = repoState(r.dir);
    const res = await r.run('promote', 'b', '--stage', 'staging');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/uncommitted edits to stages\.yaml/);
    expect(repoState(r.dir)).toBe(before);
  });

  it('writes no tag off the default branch', async () => {
    const r = await withModels();
    r.git('switch', '-q', '-c', 'experiment');
    const res = await r.run('promote', 'b', '--stage', 'staging', '--json');
    expect(res.json()).toMatchObject({ tag: null, branch: null });
    expect(r.git('tag', '-l')).toBe('');
  });

  it('--branch commits on promote/<id>-<stage> for a pull request and comes back, main untouched', async () => {
    const r = await withModels();
    const mainBefore = r.git('rev-parse', 'main').trim();
    const res = await r.run('promote', 'b', '--stage', 'production', '--branch', '--json');
    expect(res.code).toBe(0);
    const a = res.json();
    expect(a).toMatchObject({ branch: 'promote/b-production', tag: null, previous: null });
    expect(r.git('symbolic-ref', '--short', 'HEAD').trim()).toBe('main');
    expect(r.git('rev-parse', 'main').trim()).toBe(mainBefore);
    expect(r.git('rev-parse', 'promote/b-production').trim()).toBe(a.commit);
    expect(r.git('rev-parse', 'promote/b-production~1').trim()).toBe(mainBefore);
    expect(r.git('status', '--porcelain')).toBe('');
    expect(r.git('show', 'promote/b-production:stages.yaml')).toContain('mscn:\n  production: b\n');
    expect(r.git('tag', '-l')).toBe('');
    // A second time: the branch exists; refused with the command that clears it, nothing changed.
    const before = repoState(r.dir);
    const again = await r.run('promote', 'b', '--stage', 'production', '--branch');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/git branch -D promote\/b-production/);
    expect(repoState(r.dir)).toBe(before);
  });

  it('enforces an ordered path: from_stage and require_tags', async () => {
    const r = await withModels();
    r.write('modelgit.yaml', r.read('modelgit.yaml').replace('promotion:\n', 'promotion:\n  staging:\n    require_tags: [reviewed]\n') .replace('    must_beat_current: total_time', '    must_beat_current: total_time\n    from_stage: staging'));
    r.git('commit', '-qam', 'ordered promotion path');
    const skip = await r.run('promote', 'b', '--stage', 'production');
    expect(skip.code).toBe(1);
    expect(skip.stderr).toContain('from_stage: must hold staging first (staging is held by nobody)');
    const untagged = await r.run('promote', 'b', '--stage', 'staging');
    expect(untagged.code).toBe(1);
    expect(untagged.stderr).toContain('require_tags: missing tag reviewed');
    expect((await r.run('tag', 'b', 'reviewed')).code).toBe(0);
    expect((await r.run('promote', 'b', '--stage', 'staging')).code).toBe(0);
    const ok = await r.run('promote', 'b', '--stage', 'production', '--json');
    expect(ok.code).toBe(0);
    expect(ok.json().gates.map((g: { gate: string }) => g.gate)).toEqual(['from_stage', 'require_tested_on', 'must_beat_current']);
  });
});

describe('demote and stages', () => {
  it('demote removes the assignment with a tag; stages shows who promoted whom and when', async () => {
    const r = await withModels();
    expect((await runWithEnv(r.dir, { GIT_AUTHOR_NAME: 'Alice', GIT_AUTHOR_DATE: '2024-05-01T10:00:00Z' }, 'promote', 'a', '--stage', 'production')).code).toBe(0);
    expect((await runWithEnv(r.dir, { GIT_AUTHOR_NAME: 'Bob', GIT_AUTHOR_DATE: '2024-05-02T10:00:00Z' }, 'promote', 'b', '--stage', 'staging')).code).toBe(0);
    expect((await runWithEnv(r.dir, { GIT_AUTHOR_NAME: 'Carol', GIT_AUTHOR_DATE: '2024-05-03T10:00:00Z' }, 'promote', 'slow', '--stage', 'production', '--force')).code).toBe(0);
    const rows = (await r.run('stages', '--json')).json();
    expect(rows).toEqual([
      { algorithm: 'mscn', stage: 'production', model_id: 'slow', commit: r.git('rev-parse', 'HEAD').trim(), promoted_by: 'Carol', promoted_at: '2024-05-03T10:00:00+00:00', forced: true, tag: 'stage/mscn/production/2' },
      { algorithm: 'mscn', stage: 'staging', model_id: 'b', commit: r.git('rev-parse', 'HEAD~1').trim(), promoted_by: 'Bob', promoted_at: '2024-05-02T10:00:00+00:00', forced: false, tag: 'stage/mscn/staging/1' },
    ]);
    const text = await r.run('stages');
    expect(text.stdout.split('\n')[0]).toMatch(/^algorithm\s+stage\s+model\s+since \(UTC\)\s+by\s+tag$/);
    expect(text.stdout).toMatch(/mscn\s+production\s+slow\s+2024-05-03 10:00\s+Carol \(forced\)\s+stage\/mscn\/production\/2/);

    const d = await r.run('demote', 'b', '--stage', 'staging', '--json');
    expect(d.code).toBe(0);
    expect(d.json()).toMatchObject({ model_id: 'b', stage: 'staging', previous: 'b', tag: 'stage/mscn/staging/2' });
    expect(r.git('log', '-1', '--format=%B')).toBe('demote b from mscn/staging\n\nModel-Action: demote\nModel-Id: b\nAlgorithm: mscn\nStage: staging\n\n');
    expect(r.git('tag', '-l', '--format=%(contents:subject)', 'stage/mscn/staging/2').trim()).toBe('demote b from mscn/staging');
    expect((await r.run('stages', '--json')).json().map((x: { stage: string }) => x.stage)).toEqual(['production']);
    expect((await r.run('stages', '--algo', 'lero', '--json')).json()).toEqual([]);
    expect((await r.run('stages', '--algo', 'BAD')).code).toBe(2);
  });
});
