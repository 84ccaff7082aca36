// A read-only .git (issue #15 "Faults"): the whole .git, only its objects, only its refs, only its
// tags, each a real read-only bind mount (root ignores file modes, so chmod would prove nothing
// here). Every write kind must fail in one line naming what it could not write, exit 1, and leave
// index, working tree and refs exactly as they were with no temporary file behind; reads answer;
// once the mount is gone the same command works. Skipped, saying so, where bind mounts can't be made.
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { register } from '../../../src/registry/register.js';
import { recordTest } from '../../../src/registry/record-test.js';
import { repoState, tempRegistry, type TempRegistry } from '../../helpers.js';
import { canBindReadOnly, oneErrorLine, readOnly, tempFiles } from './fault-helpers.js';

if (!canBindReadOnly) console.warn('faults-readonly.test.ts: read-only bind mounts need root and a kernel that allows them; skipped');

const undo: (() => void)[] = [];
afterAll(() => {
  for (const u of undo.splice(0).reverse()) u();
});

/** The five write kinds, each as a command that writes one commit on the registry below. */
const WRITES: Record<string, string[]> = {
  register: ['register', '--algo', 'mscn', '--id', 'm9'],
  test: ['test', 'm1', '--dataset', 'job', '--metric', 'total_time=7'],
  tag: ['tag', 'm1', 'keep'],
  promote: ['promote', 'm1', '--stage', 'staging'],
  cleanup: ['cleanup', '--algo', 'mscn', '--keep', '1', '--dataset', 'production'],
};

/** A registry (hook installed) with two tested models, so cleanup has one to remove. */
async function registry(): Promise<TempRegistry> {
  const r = await tempRegistry({ hook: true });
  const reg = await r.open();
  for (const [id, t] of [['m1', 10], ['m2', 20]] as const) {
    await register(reg, { algorithm: 'mscn', id });
    await recordTest(reg, { id, dataset: 'production', metrics: [`total_time=${t}`] });
  }
  mkdirSync(join(r.dir, '.git', 'refs', 'tags'), { recursive: true });
  return r;
}

describe.skipIf(!canBindReadOnly)('a read-only .git (a read-only bind mount)', () => {
  // Where the mount is, and what each write is expected to name as what it could not write.
  const cases: { mount: string; kinds: string[]; names: RegExp }[] = [
    { mount: '.git', kinds: Object.keys(WRITES), names: /could not write modelgit's write lock \(.*write\.lock\): read-only file system \(EROFS\)/ },
    { mount: '.git/objects', kinds: Object.keys(WRITES), names: /git (update-index|commit) could not write to the repository \(.*\): .*read-only file system/i },
    { mount: '.git/refs', kinds: Object.keys(WRITES), names: /git commit could not write to the repository \(.*\): .*refs\/heads\/main\.lock.*read-only file system/i },
    // Only the tags: the commit is made, its tag can't be; the commit is undone with it.
    { mount: '.git/refs/tags', kinds: ['promote', 'cleanup'], names: /could not write the tag (stage|cleanup)\/mscn\/.*; the commit was undone, nothing was changed/ },
  ];

  for (const { mount, kinds, names } of cases) {
    it(`${mount}: ${kinds.join(', ')} fail in one line, exit 1, nothing changed; reads answer; the next command works`, { timeout: 120_000 }, async () => {
      const r = await registry();
      const before = repoState(r.dir);
      const release = readOnly(join(r.dir, mount));
      undo.push(release);
      try {
        for (const kind of kinds) {
          const res = await r.run(...WRITES[kind]!);
          expect(res.code, `${kind}: ${res.stderr}`).toBe(1);
          expect(oneErrorLine(res), kind).toMatch(names);
          expect(repoState(r.dir), kind).toBe(before);
          expect(tempFiles(r.dir), kind).toEqual([]);
        }
        for (const args of [['show', 'm1', '--json'], ['history', '--json']]) {
          const res = await r.run(...args);
          expect(res.code, `${args[0]}: ${res.stderr}`).toBe(0);
          expect(res.stderr).not.toMatch(/error|unexpected/);
        }
        expect((await r.run('list', '--json')).json()).toHaveLength(2);
      } finally {
        release();
        undo.pop();
      }
      for (const kind of kinds) {
        const res = await r.run(...WRITES[kind]!);
        expect(res.code, `${kind} after the mount: ${res.stderr}`).toBe(0);
      }
      expect(r.git('status', '--porcelain')).toBe('');
      expect(spawnSync('git', ['fsck', '--no-dangling'], { cwd: r.dir }).status).toBe(0);
    });
  }
});
