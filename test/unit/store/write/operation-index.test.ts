// The per-clone memo of operation ids (src/registry/operation-index.ts) must answer exactly what one
// `git log -n<window> HEAD` with the trailer parse answers, whatever HEAD does between two lookups:
// commits, resets back, another branch, merges, a lost memo. Checked against git itself in a real
// repository, with a window of 4 so that ids fall out of it within a few commits.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Git } from '../../../../src/git/git.js';
import { operationInWindow } from '../../../../src/store/write/operation-index.js';
import { git, tempRepo } from '../../../helpers.js';

const WINDOW = 4;

/** What git says: for each id, the newest commit among the first WINDOW of HEAD whose Operation-Id trailers include it. */
function truth(dir: string): Map<string, string> {
  const out = git(dir, 'log', `-n${WINDOW}`, '--format=%H%x1f%(trailers:key=Operation-Id,valueonly,separator=%x1d)%x1e', 'HEAD', '--');
  const newest = new Map<string, string>();
  for (const rec of out.split('\x1e')) {
    const [commit, ops] = rec.replace(/^\n/, '').split('\x1f');
    for (const id of (ops ?? '').split('\x1d').map((s) => s.trim())) if (commit && id && !newest.has(id)) newest.set(id, commit.trim());
  }
  return newest;
}

describe('operation ids within the window, from the memo', () => {
  it('agrees with git log after every kind of move of HEAD', async () => {
    const dir = tempRepo();
    const g = new Git(dir);
    const memoDir = join(dir, '.git', 'modelgit');
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const ids = ['a', 'b', 'c', 'd', 'constructor'];
    let n = 0;
    const commit = () => {
      n++;
      const trailers = [ids[rand(ids.length)], ...(rand(3) === 0 ? [ids[rand(ids.length)]] : [])].map((id) => `Operation-Id: ${id}`);
      // Every few commits, an id mentioned in prose above the trailers: not a trailer, never a match.
      const prose = rand(4) === 0 ? `\n\nOperation-Id: ${ids[rand(ids.length)]} is mentioned here in passing,\nwhich makes it no trailer.` : '';
      const body = rand(5) === 0 ? '' : `\n\n${trailers.join('\n')}`; // some commits carry no id
      git(dir, 'commit', '-q', '--allow-empty', '-m', `c${n}${prose}${body}`, `--date=@${1_700_000_000 + n} +0000`);
    };
    const check = async (step: string) => {
      const head = git(dir, 'rev-parse', 'HEAD').trim();
      const want = truth(dir);
      for (const id of [...ids, 'never']) {
        const got = await operationInWindow(g, head, id, memoDir, WINDOW);
        expect(got === null ? null : got?.commit, `${step}: ${id}`).toBe(want.get(id) ?? null);
      }
    };
    commit();
    await check('first');
    for (let step = 0; step < 60; step++) {
      const move = rand(10);
      const count = Number(git(dir, 'rev-list', '--count', 'HEAD').trim());
      let what: string;
      if (move < 5 || count < 3) {
        const k = 1 + rand(3);
        for (let i = 0; i < k; i++) commit();
        what = `${k} commit(s)`;
      } else if (move < 7) {
        const k = 1 + rand(Math.min(3, count - 1));
        git(dir, 'reset', '-q', '--hard', `HEAD~${k}`);
        what = `reset HEAD~${k}`;
      } else if (move < 8) {
        git(dir, 'checkout', '-q', '-B', `side${step}`, `HEAD~${1 + rand(2)}`);
        commit();
        git(dir, 'checkout', '-q', '-');
        git(dir, 'merge', '-q', '--no-ff', '--no-edit', `side${step}`);
        what = 'merge';
      } else if (move < 9) {
        git(dir, 'checkout', '-q', '-B', 'main', `HEAD~${1 + rand(2)}`);
        commit();
        what = 'another line';
      } else {
        rmSync(join(memoDir, 'operations-window.txt'), { force: true });
        commit();
        what = 'memo lost';
      }
      await check(`step ${step} (${what})`);
    }
  });

  it('a shallow clone is not memoised: a deepening fetch would add commits below its tip', async () => {
    const src = tempRepo();
    for (let i = 0; i < 3; i++) git(src, 'commit', '-q', '--allow-empty', '-m', `c${i}\n\nOperation-Id: op-${i}`);
    const dir = join(tempRepo(), 'shallow');
    git(src, 'clone', '-q', '--depth', '1', `file://${src}`, dir);
    const head = git(dir, 'rev-parse', 'HEAD').trim();
    expect(await operationInWindow(new Git(dir), head, 'op-0', join(dir, '.git', 'modelgit'), WINDOW)).toBeUndefined();
    expect(existsSync(join(dir, '.git', 'modelgit', 'operations-window.txt'))).toBe(false);
  });

  it('a hit names the commit as the trailer parse reads it', async () => {
    const dir = tempRepo();
    git(dir, 'commit', '-q', '--allow-empty', '-m', 'register m1\n\nModel-Action: register\nModel-Id: m1\nOperation-Id: op-1');
    const found = await operationInWindow(new Git(dir), git(dir, 'rev-parse', 'HEAD').trim(), 'op-1', join(dir, '.git', 'modelgit'), WINDOW);
    expect(found).toEqual({ commit: git(dir, 'rev-parse', 'HEAD').trim(), subject: 'register m1', action: 'register', modelIds: ['m1'] });
  });
});
