// Which of git's failure words a write without a checkout tries again on: a network that dropped one
// connection, and another command on the same machine updating the same cache at the same moment
// (CI once saw "shallow file has changed since we read it" with three jobs sharing one cache).
import { describe, expect, it } from 'vitest';
import { localContention, transientNetworkFailure } from '../../../src/git/remote-cache.js';

describe('remote cache failure words', () => {
  it('knows a concurrent fetch into the same cache', () => {
    expect(localContention('fatal: shallow file has changed since we read it')).toBe(true);
    expect(localContention("fatal: Unable to create '/c/r.git/shallow.lock': File exists.")).toBe(true);
    expect(localContention("error: cannot lock ref 'refs/heads/main': is at 1a2b but expected 3c4d")).toBe(true);
    expect(localContention("fatal: couldn't find remote ref refs/heads/main")).toBe(false);
    expect(localContention('fatal: could not read Username for https://example.com')).toBe(false);
  });

  it('knows a dropped connection from a refusal', () => {
    expect(transientNetworkFailure('fatal: the remote end hung up unexpectedly')).toBe(true);
    expect(transientNetworkFailure('fatal: unable to connect to 127.0.0.1: Connection refused')).toBe(true);
    expect(transientNetworkFailure('fatal: repository not found')).toBe(false);
  });
});
