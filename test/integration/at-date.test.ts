// --at with a date (issue #16, "as of any date"): best, stages, list and show answer for the
// registry as it was at the end of that day (UTC) or at that instant — the newest commit of
// HEAD's first-parent line made by then; a date before the registry existed is a clear refusal.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runCliWithEnv, stderrText, tempRegistry } from '../helpers.js';
import { atInstant } from '../../src/registry/query-options.js';

const on = (iso: string) => ({ GIT_COMMITTER_DATE: iso, GIT_AUTHOR_DATE: iso });

/** mscn model a promoted to staging on 2025-03-13, b replacing it on 2025-03-21. */
async function history() {
  const reg = await tempRegistry();
  const run = (iso: string, ...args: string[]) => runCliWithEnv(reg.dir, on(iso), ...args);
  // The registry begins on 2025-03-10 (init's commit, redated).
  execFileSync('git', ['commit', '-q', '--amend', '--no-edit', '--date=2025-03-10T10:00:00Z'], { cwd: reg.dir, env: { ...process.env, ...on('2025-03-10T10:00:00Z') } });
  for (const [iso, args] of [
    ['2025-03-12T10:00:00Z', ['register', '--algo', 'mscn', '--id', 'a']],
    ['2025-03-12T11:00:00Z', ['test', 'a', '--dataset', 'job', '--metric', 'total_time=50']],
    ['2025-03-13T10:00:00Z', ['promote', 'a', '--stage', 'staging']],
    ['2025-03-20T10:00:00Z', ['register', '--algo', 'mscn', '--id', 'b']],
    ['2025-03-20T11:00:00Z', ['test', 'b', '--dataset', 'job', '--metric', 'total_time=40']],
    ['2025-03-21T10:00:00Z', ['promote', 'b', '--stage', 'staging']],
  ] as const) {
    const r = await run(iso, ...args);
    if (r.code !== 0) throw new Error(`${args.join(' ')}: ${stderrText(r)}`);
  }
  return { reg, run: (...args: string[]) => runCliWithEnv(reg.dir, {}, ...args) };
}

describe('--at DATE', () => {
  it('answers best, stages, list and show as the registry was on that date', async () => {
    const { run } = await history();
    expect((await run('best', '--algo', 'mscn', '--at', '2025-03-14', '--field', 'model_id')).stdout.trim()).toBe('a');
    expect((await run('best', '--algo', 'mscn', '--field', 'model_id')).stdout.trim()).toBe('b');
    const stages = (await run('stages', '--at', '2025-03-14', '--json')).json();
    expect(stages).toEqual([expect.objectContaining({ algorithm: 'mscn', stage: 'staging', model_id: 'a', tag: 'stage/mscn/staging/1' })]);
    expect((await run('stages', '--json')).json()).toEqual([expect.objectContaining({ model_id: 'b' })]);
    expect((await run('list', '--at', '2025-03-14', '--json')).json().map((m: { model_id: string }) => m.model_id)).toEqual(['a']);
    // A time: the instant counts, not the day.
    expect((await run('list', '--at', '2025-03-20T10:30Z', '--json')).json().map((m: { model_id: string }) => m.model_id).sort()).toEqual(['a', 'b']);
    expect((await run('list', '--at', '2025-03-20T09:30Z', '--json')).json().map((m: { model_id: string }) => m.model_id)).toEqual(['a']);
    const shown = (await run('show', 'b', '--at', '2025-03-20', '--json')).json();
    expect(shown.metadata.testing).toHaveLength(1);
    expect(shown.stages).toEqual([]);
    expect(shown.history.map((h: { action: string }) => h.action)).toEqual(['test', 'register']);
    // A revision still works as before.
    expect((await run('best', '--algo', 'mscn', '--at', 'stage/mscn/staging/1', '--field', 'model_id')).stdout.trim()).toBe('a');
  }, 60_000);

  it('refuses a date before the registry, a day that does not exist, and a model not yet registered', async () => {
    const { run } = await history();
    const before = await run('stages', '--at', '2024-12-31');
    expect(before.code).toBe(1);
    expect(stderrText(before)).toMatch(/did not exist yet \(its first commit, \w+, is from 2025-03-10/);
    const feb30 = await run('best', '--algo', 'mscn', '--at', '2025-02-30');
    expect(feb30.code).toBe(2);
    expect(stderrText(feb30)).toMatch(/not a date/);
    const early = await run('show', 'b', '--at', '2025-03-14');
    expect(early.code).toBe(1);
    expect(stderrText(early)).toMatch(/no model "b" in the registry at 2025-03-14/);
    for (const r of [before, feb30, early]) expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('reads a date as the end of that day in UTC, a time without a zone as UTC', () => {
    expect(atInstant('2025-03-14')).toBe('2025-03-14T23:59:59Z');
    expect(atInstant('2025-03-14T09:30')).toBe('2025-03-14T09:30:00Z');
    expect(atInstant('2025-03-14T09:30:00+02:00')).toBe('2025-03-14T07:30:00Z');
    expect(atInstant('2025-02-30')).toBeUndefined();
    expect(atInstant('main')).toBeUndefined();
  });
});
