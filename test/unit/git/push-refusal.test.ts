// A push refused by a registry server's pre-receive hook (hooks install --server): the reasons the
// hook gave, one `remote: modelgit: refused …` line each, reach the error of a write with --push;
// any other hook's words do not (they stay git's to show).
import { describe, expect, it } from 'vitest';
import { classifyPush } from '../../../src/git/remote.js';

describe('classifyPush with a server hook refusal', () => {
  const out = '!\tHEAD:refs/heads/main\t[remote rejected] (pre-receive hook declined)\n';
  it("keeps the modelgit hook's lines, not retried", () => {
    const err = 'remote: modelgit: refused refs/heads/main: stages.yaml:3:15: /mscn/production: promoting x … [allow-force]        \nremote: other noise\nTo git://127.0.0.1/registry.git\n';
    expect(classifyPush(1, out, err)).toEqual({
      ok: false,
      retry: false,
      detail: 'refs/heads/main [remote rejected] (pre-receive hook declined):\nmodelgit: refused refs/heads/main: stages.yaml:3:15: /mscn/production: promoting x … [allow-force]',
    });
  });
  it("leaves another hook's words out", () => {
    expect(classifyPush(1, out, 'remote: main is protected\n')).toMatchObject({ detail: 'refs/heads/main [remote rejected] (pre-receive hook declined)' });
  });
});
