// Who refused a commit: a hook (only when one ran and exited non-zero, per git's trace2 events)
// or the storage under git (its own messages), never guessed from a hook merely being installed.
import { describe, expect, it } from 'vitest';
import { failedHooks, storageFailureLine } from '../../../src/git/git.js';

const ev = (o: Record<string, unknown>) => JSON.stringify(o);

describe('failedHooks', () => {
  const top = '20261206T0-H0-P1';
  it('names a hook of the top process that exited non-zero', () => {
    const trace = [
      ev({ event: 'version', sid: top }),
      ev({ event: 'child_start', sid: top, child_id: 0, child_class: 'hook', hook_name: 'pre-commit', argv: ['.git/hooks/pre-commit'] }),
      // the hook ran git itself: its events carry a nested sid and don't count
      ev({ event: 'version', sid: `${top}/x` }),
      ev({ event: 'child_start', sid: `${top}/x`, child_id: 0, child_class: 'hook', hook_name: 'post-checkout' }),
      ev({ event: 'child_exit', sid: `${top}/x`, child_id: 0, code: 9 }),
      ev({ event: 'child_exit', sid: top, child_id: 0, code: 1 }),
    ].join('\n');
    expect(failedHooks(trace)).toEqual([{ hook: 'pre-commit', code: 1 }]);
  });

  it('a hook that passed, and a non-hook child that failed, are no refusal', () => {
    const trace = [
      ev({ event: 'version', sid: top }),
      ev({ event: 'child_start', sid: top, child_id: 0, child_class: 'hook', hook_name: 'pre-commit' }),
      ev({ event: 'child_exit', sid: top, child_id: 0, code: 0 }),
      ev({ event: 'child_start', sid: top, child_id: 1, child_class: '?', argv: ['gpg'] }),
      ev({ event: 'child_exit', sid: top, child_id: 1, code: 2 }),
    ].join('\n');
    expect(failedHooks(trace)).toEqual([]);
  });

  it('without events (a git without trace2) it cannot tell', () => {
    expect(failedHooks('')).toBeUndefined();
    expect(failedHooks(undefined)).toBeUndefined();
  });
});

describe('storageFailureLine', () => {
  it.each([
    'error: insufficient permission for adding an object to repository database .git/objects',
    'fatal: unable to write new index file',
    "fatal: sha1 file '/r/.git/index.lock' write error. Out of diskspace",
    'error: unable to create temporary file: No space left on device',
    'fatal: unable to write loose object file: Read-only file system',
    "fatal: cannot update ref 'refs/heads/main': couldn't write '/r/.git/refs/heads/main.lock'",
  ])('%s', (line) => {
    expect(storageFailureLine(`ok: 1 file checked (staged)\n${line}\n`)).toBe(line);
  });

  it('prefers the line with the cause, and ignores a refusal that is not storage', () => {
    expect(storageFailureLine('error: unable to create temporary file: No space left on device\nfatal: unable to write new index file')).toBe('error: unable to create temporary file: No space left on device');
    expect(storageFailureLine("fatal: Unable to create '/r/.git/index.lock': File exists.")).toBeUndefined();
    expect(storageFailureLine('models/a.json:3:4: /metrics: must be number [type]')).toBeUndefined();
  });
});
