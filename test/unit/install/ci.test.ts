// Reading the remote's default branch from `git ls-remote --symref <remote> HEAD`, which
// `init --ci github` names in the workflow's push trigger.
import { describe, expect, it } from 'vitest';
import { symrefHead } from '../../../src/install/ci.js';

describe('symrefHead', () => {
  it('takes the branch HEAD points at', () => {
    expect(symrefHead('ref: refs/heads/trunk\tHEAD\n3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a\tHEAD\n')).toBe('trunk');
    expect(symrefHead('ref: refs/heads/release/2024\tHEAD\n')).toBe('release/2024');
  });

  it('answers nothing for a detached or empty remote HEAD', () => {
    expect(symrefHead('3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a\tHEAD\n')).toBeUndefined();
    expect(symrefHead('')).toBeUndefined();
    expect(symrefHead('ref: refs/tags/v1\tHEAD\n')).toBeUndefined();
  });
});
