// --push on cleanup, restore and migrate: the commit and its decision tag land on the remote
// together, and a tag number taken on the remote meanwhile is not reused. Three pushing commands
// in one test: on a loaded two-core machine that can take most of a minute, so it gets two.
import { describe, expect, it } from 'vitest';
import { git } from '../../helpers.js';
import { remoteActions, seededRemote } from '../gitops-helpers.js';

describe('--push on cleanup and restore', () => {
  it('pushes the cleanup commit with its tag; a second clone numbers its own cleanup after the remote one', { timeout: 120_000 }, async () => {
    const { bare, a, b } = await seededRemote();
    const ca = await a.run('cleanup', '--algo', 'mscn', '--keep', '2', '--dataset', 'production', '--push', '--json');
    expect(ca.code, ca.stderr).toBe(0);
    expect(ca.json()).toMatchObject({ removed: ['slow'], tag: 'cleanup/mscn/1' });
    expect(git(bare, 'rev-parse', 'cleanup/mscn/1^{commit}').trim()).toBe(ca.json().commit);

    // b has neither the cleanup commit nor its tag locally; --push fetches both before numbering.
    const cb = await b.run('cleanup', '--algo', 'mscn', '--keep', '1', '--dataset', 'production', '--push', '--json');
    expect(cb.code, cb.stderr).toBe(0);
    expect(cb.json()).toMatchObject({ removed: ['mid'], tag: 'cleanup/mscn/2' });
    expect(git(bare, 'tag', '-l', 'cleanup/*').trim().split('\n')).toEqual(['cleanup/mscn/1', 'cleanup/mscn/2']);

    const rb = await b.run('restore', 'slow', '--push', '--json');
    expect(rb.code, rb.stderr).toBe(0);
    expect(git(bare, 'rev-parse', 'main').trim()).toBe(rb.json().commit);
    expect(remoteActions(bare).map((x) => x.action).slice(-3)).toEqual(['cleanup', 'cleanup', 'restore']);
  });
});
