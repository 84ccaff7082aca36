// The quick worktree check decides "clean" only when git would certainly say so; everything else goes to git.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blobId, quickPathState } from '../../../src/domain/worktree.js';

const text = Buffer.from('{"model_id": "a"}\n');
const file = (content: Buffer, executable = false) => ({ kind: 'file' as const, executable, content });

describe('blobId', () => {
  it('is the id git hash-object gives the same bytes (sha1 and sha256)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'modelgit-blob-'));
    writeFileSync(join(dir, 'f'), text);
    const sha1 = execFileSync('git', ['hash-object', join(dir, 'f')]).toString().trim();
    expect(blobId(text, sha1)).toBe(sha1);
    expect(blobId(Buffer.alloc(0), sha1)).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
    execFileSync('git', ['init', '-q', '--object-format=sha256', join(dir, 'r')]);
    const sha256 = execFileSync('git', ['-C', join(dir, 'r'), 'hash-object', join(dir, 'f')]).toString().trim();
    expect(sha256).toHaveLength(64);
    expect(blobId(text, sha256)).toBe(sha256);
  });
});

describe('quickPathState', () => {
  const head = { mode: '100644', oid: blobId(text, 'x'.repeat(40)) };

  it('is clean for a path in neither HEAD nor the working tree (a new model)', () => {
    expect(quickPathState(undefined, { kind: 'missing' })).toBe('clean');
  });

  it('is clean for a plain file holding exactly HEAD\'s bytes', () => {
    expect(quickPathState(head, file(Buffer.from(text)))).toBe('clean');
  });

  it('asks git about a file HEAD does not have (untracked or ignored)', () => {
    expect(quickPathState(undefined, file(text))).toBe('ask-git');
    expect(quickPathState(undefined, { kind: 'other' })).toBe('ask-git');
  });

  it('asks git when the bytes differ (an edit, or only a filter\'s doing)', () => {
    expect(quickPathState(head, file(Buffer.from('{"model_id": "b"}\n')))).toBe('ask-git');
    expect(quickPathState(head, file(Buffer.from('{"model_id": "a"}\r\n')))).toBe('ask-git');
  });

  it('asks git about a missing file, a directory or symlink, and any executable bit or mode', () => {
    expect(quickPathState(head, { kind: 'missing' })).toBe('ask-git');
    expect(quickPathState(head, { kind: 'other' })).toBe('ask-git');
    expect(quickPathState(head, file(text, true))).toBe('ask-git');
    expect(quickPathState({ ...head, mode: '100755' }, file(text))).toBe('ask-git');
    expect(quickPathState({ ...head, mode: '120000' }, file(text))).toBe('ask-git');
  });
});
