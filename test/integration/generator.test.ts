// The benchmark's pack writer must build exactly the history git fast-import builds from the same
// stream (same commit ids), and a pack git accepts as sound.
import { describe, expect, it } from 'vitest';
import { generateInto } from '../../bench/generate.mjs';
import { git, tempDir } from '../helpers.js';

describe('benchmark registry generator', () => {
  it('writes the same commits as git fast-import, in a pack git fsck accepts', async () => {
    const viaPack = tempDir('modelgit-gen-');
    const viaFastImport = tempDir('modelgit-gen-');
    const a = await generateInto(viaPack, { models: 60, seed: 11 });
    const b = await generateInto(viaFastImport, { models: 60, seed: 11, engine: 'fast-import' });
    expect(a.head).toBe(b.head);
    expect(a.commits).toBeGreaterThan(60 * 2);
    git(viaPack, 'fsck', '--full', '--strict', '--no-dangling');
    // What the registry holds: one file per model, commits with modelgit's trailers.
    expect(git(viaPack, 'ls-files', 'models').split('\n').filter((p) => p.endsWith('.json'))).toHaveLength(60);
    const actions = git(viaPack, 'log', '--format=%(trailers:key=Model-Action,valueonly)').split('\n').filter(Boolean);
    expect(new Set(actions)).toEqual(new Set(['init', 'register', 'test', 'tag']));
    expect(git(viaPack, 'status', '--porcelain')).toBe('');
  });
});
