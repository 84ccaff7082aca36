// What every combined write must show, whether it ran in a clone or in a cache without a checkout:
// the busy notice, the landing notice, its own answer (not a replay), and its result once on the
// branch as a commit of its own. Shared by combine.test.ts and combine-remote.test.ts.
import { expect } from 'vitest';
import { git, stderrText } from '../../helpers.js';

interface Run {
  code: number | null;
  stderr: string;
  json(): any;
}

/** A `test m1 --dataset job --metric total_time=7` that combined after two rejections; its answer. */
export function expectJobResultThroughQueue(bare: string, res: Run, where: RegExp): any {
  expect(res.code, stderrText(res as never)).toBe(0);
  expect(res.stderr).toMatch(/origin\/main is busy \(2 pushes rejected\): queued the write as refs\/modelgit\/queue\/\S+-w/);
  expect(res.stderr).toMatch(new RegExp(`landed on ${where.source} as [0-9a-f]{10} through the queue`));
  const answer = res.json();
  expect(answer).toMatchObject({ model_id: 'm1', result: { dataset: 'job', performance: { total_time: 7 } } });
  expect(answer.replayed).toBeUndefined();
  // on the branch once, as its own commit
  const file = JSON.parse(git(bare, 'show', 'main:models/mscn/m1.json'));
  expect(file.testing.map((t: { dataset: string }) => t.dataset)).toEqual(['job']);
  expect(git(bare, 'log', '-1', '--format=%s', answer.commit).trim()).toMatch(/^test m1 on job/);
  expect(git(bare, 'merge-base', '--is-ancestor', answer.commit, 'main')).toBe('');
  return answer;
}
