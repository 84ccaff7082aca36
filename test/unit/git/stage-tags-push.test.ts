import { describe, expect, it } from 'vitest';
import { nextStageTagNumber, parseStageTag, stageTagMessage, stageTagName } from '../../../src/domain/stage-tags.js';
import { parseTrailers } from '../../../src/git/git.js';
import { classifyPush, retryDelay } from '../../../src/git/remote.js';

describe('stage tags', () => {
  it('names, parses and numbers per algorithm and stage', () => {
    expect(stageTagName('mscn', 'production', 3)).toBe('stage/mscn/production/3');
    expect(parseStageTag('refs/tags/stage/mscn/production/12')).toEqual({ algorithm: 'mscn', stage: 'production', n: 12n });
    expect(parseStageTag('refs/tags/stage/mscn/production/x')).toBeUndefined();
    expect(parseStageTag('refs/tags/best/mscn/p/m/1')).toBeUndefined();
    const refs = ['refs/tags/stage/mscn/production/1', 'refs/tags/stage/mscn/production/10', 'refs/tags/stage/mscn/production/9', 'refs/tags/stage/mscn/staging/4', 'refs/tags/stage/lero/production/7'].map((ref) => ({ ref }));
    expect(nextStageTagNumber(refs, 'mscn', 'production')).toBe(11n);
    expect(nextStageTagNumber(refs, 'mscn', 'canary')).toBe(1n);
  });

  it('writes a readable first line and trailers a program can read back', () => {
    const msg = stageTagMessage({ change: { algorithm: 'mscn', stage: 'production', model_id: 'b', previous: 'a', action: 'promote' }, gates: ['must_beat_current pass: x'], forced: false, via: 'abc' });
    expect(msg.split('\n')[0]).toBe('promote b to mscn/production (replacing a)');
    expect(parseTrailers(msg)).toEqual({
      'Model-Action': ['promote'], 'Model-Id': ['b'], Algorithm: ['mscn'], Stage: ['production'], 'Previous-Model-Id': ['a'],
      Gate: ['must_beat_current pass: x'], Forced: ['false'], 'Promotion-Commit': ['abc'],
    });
    const demote = stageTagMessage({ change: { algorithm: 'mscn', stage: 'staging', model_id: null, previous: 'a', action: 'demote' } });
    expect(demote.split('\n')[0]).toBe('demote a from mscn/staging');
    expect(parseTrailers(demote)['Model-Id']).toEqual(['a']);
  });
});

describe('classifyPush', () => {
  it('retries when the remote moved (branch or tag), across --atomic', () => {
    const out = 'To /r\n!\tHEAD:refs/heads/main\t[rejected] (fetch first)\n!\trefs/tags/stage/a/b/1:refs/tags/stage/a/b/1\t[rejected] (atomic push failed)\nDone\n';
    expect(classifyPush(1, out, '')).toEqual({ ok: false, retry: true, detail: 'refs/heads/main [rejected] (fetch first)' });
    expect(classifyPush(1, '!\trefs/tags/x:refs/tags/x\t[rejected] (already exists)\n', '').ok).toBe(false);
    expect((classifyPush(1, '!\trefs/tags/x:refs/tags/x\t[rejected] (already exists)\n', '') as { retry: boolean }).retry).toBe(true);
    const race = "!\tabc:refs/heads/main\t[remote rejected] (cannot lock ref 'refs/heads/main': is at 1 but expected 2)\n";
    expect(classifyPush(1, race, '')).toMatchObject({ retry: true });
  });

  it('does not retry a refusal that another try cannot fix', () => {
    expect(classifyPush(1, '!\tHEAD:refs/heads/main\t[remote rejected] (pre-receive hook declined)\n', '')).toMatchObject({ retry: false, detail: 'refs/heads/main [remote rejected] (pre-receive hook declined)' });
    expect(classifyPush(128, '', "fatal: 'nowhere' does not appear to be a git repository\nfatal: Could not read from remote repository.\n")).toMatchObject({ retry: false, detail: expect.stringContaining('does not appear to be a git repository') });
    expect(classifyPush(0, 'Done', '')).toEqual({ ok: true, upToDate: [] });
    expect(classifyPush(0, 'To /r\n=\tabc:refs/heads/main\t[up to date]\n*\trefs/tags/t:refs/tags/t\t[new tag]\nDone\n', '')).toEqual({ ok: true, upToDate: ['refs/heads/main'] });
  });

  it('waits a random time under a cap that doubles per attempt, scaled by the attempt time, at most 30 s', () => {
    expect(retryDelay(1, 0, () => 1)).toBe(80);
    expect(retryDelay(3, 0, () => 1)).toBe(320);
    expect(retryDelay(2, 1000, () => 1)).toBe(2000);
    expect(retryDelay(2, 1000, () => 0.25)).toBe(500);
    expect(retryDelay(30, 0, () => 1)).toBe(30_000);
    expect(retryDelay(6, 500, () => 1)).toBe(16_000);
    expect(retryDelay(5, 3000, () => 0)).toBe(0);
  });
});
