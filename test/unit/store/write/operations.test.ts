// Operation identities (src/store/write/operations.ts, src/domain/operation-id.ts) and the lock's
// liveness test (src/store/write/lock.ts): the pure parts, without git.
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { operationIdProblem } from '../../../../src/domain/operation-id.js';
import { canonicalJson, checkOperationToken, derivedOperationId, operationOf } from '../../../../src/store/write/operations.js';
import { liveness, processStart, self } from '../../../../src/store/write/lock.js';

describe('operation ids', () => {
  it('a token is one short line of plain characters', () => {
    for (const ok of ['3f2b1c9e-8d1a-4c53-9a55-0b1f2e3d4c5b', 'job-7/attempt', 'a', 'run:42@host+x=1']) expect(operationIdProblem(ok)).toBeUndefined();
    for (const bad of ['', ' x', '-x', '../x', 'a b', 'a\nb', 'x'.repeat(201)]) expect(operationIdProblem(bad)).toMatch(/is not an operation id/);
    expect(() => checkOperationToken('a b', 'MODELGIT_OPERATION_ID')).toThrow(/^MODELGIT_OPERATION_ID: "a b" is not an operation id/);
  });

  it('canonical JSON ignores key order and undefined values', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, undefined], c: 'x' }, u: undefined })).toBe('{"a":{"c":"x","d":[1,null]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });

  it('a derived id depends on the inputs and the clone, never on key order', () => {
    const a = derivedOperationId('/r/.git', 'test', { id: 'm', times: '1\n2\n' });
    expect(a).toMatch(/^auto-test-[0-9a-f]{32}$/);
    expect(derivedOperationId('/r/.git', 'test', { times: '1\n2\n', id: 'm' })).toBe(a);
    expect(derivedOperationId('/r/.git', 'test', { id: 'm', times: '1\n3\n' })).not.toBe(a);
    expect(derivedOperationId('/other/.git', 'test', { id: 'm', times: '1\n2\n' })).not.toBe(a);
    expect(derivedOperationId('/r/.git', 'register', { id: 'm', times: '1\n2\n' })).not.toBe(a);
  });

  it('a token given wins and always dedupes; without one the derived id dedupes only after an unacknowledged attempt', () => {
    expect(operationOf('tok', () => 'derived')).toEqual({ id: 'tok', explicit: true });
    expect(operationOf(undefined, () => 'derived')).toEqual({ id: 'derived', explicit: false });
    expect(operationOf(undefined)).toBeUndefined();
  });
});

describe('lock holder liveness', () => {
  it('this process is alive; an ended one is dead; one on another machine cannot be asked', () => {
    expect(liveness(self())).toBe('alive');
    const gone = spawnSync('true').pid!;
    expect(liveness({ pid: gone, host: hostname() })).toBe('dead');
    expect(liveness({ pid: process.pid, host: 'elsewhere.invalid' })).toBe('unknown');
  });

  it('a reused pid (another start time) or another boot is dead', () => {
    if (processStart(process.pid) === undefined) return; // no /proc here: only the pid is asked
    expect(liveness({ ...self(), start: '1' })).toBe('dead');
    expect(liveness({ ...self(), boot: 'another-boot' })).toBe(self().boot ? 'dead' : 'alive');
  });
});
