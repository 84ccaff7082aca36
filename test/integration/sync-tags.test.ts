import { describe, expect, it } from 'vitest';
import { register } from '../../src/registry/register.js';
import { recordTest } from '../../src/registry/record-test.js';
import { git, repoState, tempRegistry, type TempRegistry } from '../helpers.js';
import { cloneOf, registryRemote, runWithEnv } from './gitops-helpers.js';

async function models(r: TempRegistry): Promise<void> {
  const reg = await r.open();
  for (const [id, t] of [['a', 50], ['b', 40], ['c', 30]] as const) {
    await register(reg, { algorithm: 'mscn', id });
    await recordTest(reg, { id, dataset: 'production', metrics: [`total_time=${t}`] });
  }
}

/** Promotes on a pull-request branch and merges it into main the given way; returns main's new head. */
async function mergedPromotion(r: TempRegistry, id: string, how: 'merge' | 'squash' | 'rebase'): Promise<string> {
  const res = await r.run('promote', id, '--stage', 'production', '--branch', '--json');
  expect(res.code, res.stderr).toBe(0);
  const branch = res.json().branch;
  if (how === 'merge') r.git('merge', '-q', '--no-ff', '-m', `Merge pull request: ${branch}`, branch);
  if (how === 'squash') {
    r.git('merge', '-q', '--squash', branch);
    r.git('commit', '-qm', `Promote ${id} (#12)`);
  }
  if (how === 'rebase') r.git('cherry-pick', branch);
  return r.git('rev-parse', 'HEAD').trim();
}

const tagsOf = (r: TempRegistry) => r.git('for-each-ref', '--format=%(refname:short) %(*objectname)', 'refs/tags/stage/').trim().split('\n').filter(Boolean);

describe('sync-tags', () => {
  it('tags promotions merged by merge commit, squash and rebase, in order, on the commit that brought them; then does nothing', async () => {
    const r = await tempRegistry();
    await models(r);
    const m1 = await mergedPromotion(r, 'a', 'merge');
    const m2 = await mergedPromotion(r, 'b', 'squash');
    const m3 = await mergedPromotion(r, 'c', 'rebase');
    expect(tagsOf(r)).toEqual([]);
    const res = await r.run('sync-tags', '--json');
    expect(res.code, res.stderr).toBe(0);
    const a = res.json();
    expect(a).toMatchObject({ branch: 'main', existing: 0, pushed: false, skipped: [] });
    expect(a.created.map((t: { tag: string; commit: string; model_id: string; previous: string }) => [t.tag, t.commit, t.model_id, t.previous])).toEqual([
      ['stage/mscn/production/1', m1, 'a', null],
      ['stage/mscn/production/2', m2, 'b', 'a'],
      ['stage/mscn/production/3', m3, 'c', 'b'],
    ]);
    expect(tagsOf(r)).toEqual([`stage/mscn/production/1 ${m1}`, `stage/mscn/production/2 ${m2}`, `stage/mscn/production/3 ${m3}`]);
    // The merge's tag carries the gates from the promotion commit inside it, and names that commit.
    const msg1 = r.git('tag', '-l', '--format=%(contents)', 'stage/mscn/production/1');
    expect(msg1).toContain('promote a to mscn/production\n\nModel-Action: promote\nModel-Id: a\n');
    expect(msg1).toContain('Gate: must_beat_current pass: nobody holds production yet');
    expect(msg1).toMatch(/Promotion-Commit: [0-9a-f]{40}/);
    // A rebased promotion commit is itself on main: its own trailers, no Promotion-Commit.
    const msg3 = r.git('tag', '-l', '--format=%(contents)', 'stage/mscn/production/3');
    expect(msg3).toContain('Gate: must_beat_current pass: total_time 30 < 40 of b on production');
    expect(msg3).not.toContain('Promotion-Commit');

    const before = repoState(r.dir);
    const again = await r.run('sync-tags', '--json');
    expect(again.json()).toMatchObject({ created: [], existing: 3 });
    expect(repoState(r.dir)).toBe(before);
  });

  it('skips promotions that promote already tagged on main, and tags a demotion', async () => {
    const r = await tempRegistry();
    await models(r);
    expect((await r.run('promote', 'a', '--stage', 'production')).code).toBe(0); // tagged by promote itself
    r.git('switch', '-q', '-c', 'cleanup');
    expect((await r.run('demote', 'a', '--stage', 'production')).code).toBe(0); // off main: no tag
    r.git('switch', '-q', 'main');
    r.git('merge', '-q', '--no-ff', '-m', 'Merge demotion', 'cleanup');
    const res = await r.run('sync-tags');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^stage\/mscn\/production\/2 [0-9a-f]{10} demote a\n$/);
    expect(res.stderr).toMatch(/wrote 1 stage tag\(s\) on main \(1 already tagged\)/);
    expect(r.git('tag', '-l', '--format=%(contents:subject)', 'stage/mscn/production/2').trim()).toBe('demote a from mscn/production');
  });

  it('reports a commit whose stages.yaml does not parse and tags the rest', async () => {
    const r = await tempRegistry();
    await models(r);
    r.write('stages.yaml', 'mscn: [unclosed\n');
    r.git('commit', '-qam', 'broken by hand');
    const broken = r.git('rev-parse', 'HEAD').trim();
    r.write('stages.yaml', 'mscn:\n  staging: a\n');
    r.git('commit', '-qam', 'fixed by hand');
    const fixed = r.git('rev-parse', 'HEAD').trim();
    await mergedPromotion(r, 'b', 'merge');
    const a = (await r.run('sync-tags', '--json')).json();
    expect(a.skipped).toEqual([
      { commit: broken, reason: expect.stringMatching(/^stages\.yaml does not parse: /) },
      { commit: fixed, reason: expect.stringMatching(/^its parent's stages\.yaml does not parse/) },
    ]);
    expect(a.created.map((t: { tag: string; model_id: string }) => `${t.tag} ${t.model_id}`)).toEqual(['stage/mscn/production/1 b']);
  });

  it('--push pushes the new tags to the remote; a second run writes nothing', async () => {
    const { bare, seed } = await registryRemote();
    await models(seed);
    await mergedPromotion(seed, 'b', 'merge');
    seed.git('push', '-q', 'origin', 'main');
    const ci = cloneOf(bare, 'ci');
    const res = await ci.run('sync-tags', '--push', '--json');
    expect(res.code, res.stderr).toBe(0);
    expect(res.json()).toMatchObject({ pushed: true, created: [{ tag: 'stage/mscn/production/1', model_id: 'b' }] });
    expect(git(bare, 'tag', '-l')).toBe('stage/mscn/production/1\n');
    const again = await cloneOf(bare, 'ci2').run('sync-tags', '--push', '--json');
    expect(again.json()).toMatchObject({ created: [], existing: 1, pushed: false });
  });

  it('finds the default branch from the environment, git config, or main/master; else asks for --branch', async () => {
    const r = await tempRegistry();
    await models(r);
    r.git('branch', '-m', 'main', 'trunk');
    await mergedPromotion(r, 'a', 'merge');
    const before = repoState(r.dir);
    const lost = await r.run('sync-tags');
    expect(lost.code).toBe(2);
    expect(lost.stderr).toMatch(/cannot tell which branch is the default branch/);
    expect(lost.stderr).toMatch(/git config modelgit.defaultBranch NAME/);
    expect(repoState(r.dir)).toBe(before);
    expect((await r.run('sync-tags', '--branch', '-x')).code).toBe(2);
    expect((await r.run('sync-tags', '--branch', 'nope')).code).toBe(1);
    expect((await runWithEnv(r.dir, { MODELGIT_DEFAULT_BRANCH: 'trunk' }, 'sync-tags', '--json')).json().created).toHaveLength(1);
    r.git('tag', '-d', 'stage/mscn/production/1');
    r.git('config', 'modelgit.defaultBranch', 'trunk');
    expect((await r.run('sync-tags', '--json')).json().created).toHaveLength(1);
    // promote on the configured default branch writes its own tag
    expect((await r.run('promote', 'b', '--stage', 'production', '--json')).json().tag).toBe('stage/mscn/production/2');
  });
});
