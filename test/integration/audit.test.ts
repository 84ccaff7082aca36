// audit (issue #16, signed decisions): the chain of custody of a model from git alone — each
// commit's signature as git judges it (SSH keys made here with ssh-keygen, checked against an
// allowed-signers file), the gates of each promotion at its commit (a forced one shows what it
// overrode), the merge of the pull request that brought it in, and the stage tag with its signature.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sshKey, stderrText, tempDir, tempRegistry } from '../helpers.js';


async function signedHistory() {
  const reg = await tempRegistry();
  const keys = tempDir('modelgit-audit-keys-');
  const alice = sshKey(keys, 'alice');
  const mallory = sshKey(keys, 'mallory');
  const allowed = join(keys, 'allowed_signers');
  writeFileSync(allowed, `test@example.com ${alice.pub}\n`);
  for (const [k, v] of [['gpg.format', 'ssh'], ['user.signingkey', alice.key], ['commit.gpgsign', 'true'], ['tag.gpgsign', 'true'], ['gpg.ssh.allowedSignersFile', allowed]]) reg.git('config', k!, v!);
  const ok = async (...args: string[]) => {
    const r = await reg.run(...args);
    if (r.code !== 0) throw new Error(`${args.join(' ')}: ${stderrText(r)}`);
  };
  // Every commit in the same second: git log's date order can't tell them apart, audit's order must.
  process.env.GIT_COMMITTER_DATE = process.env.GIT_AUTHOR_DATE = '2026-01-02T03:04:05Z';
  try {
    await history(reg, ok, mallory.key, alice.key);
  } finally {
    delete process.env.GIT_COMMITTER_DATE;
    delete process.env.GIT_AUTHOR_DATE;
  }
  return { reg, allowed };
}

async function history(reg: Awaited<ReturnType<typeof tempRegistry>>, ok: (...args: string[]) => Promise<void>, mallory: string, alice: string) {
  await ok('register', '--algo', 'mscn', '--id', 'm1');
  await ok('test', 'm1', '--dataset', 'job', '--metric', 'total_time=4');
  await ok('promote', 'm1', '--stage', 'staging');
  // Production through a reviewed pull request, forced past its gate (no result on production).
  reg.git('switch', '-qc', 'promote-m1');
  await ok('promote', 'm1', '--stage', 'production', '--force');
  reg.git('switch', '-q', 'main');
  reg.git('merge', '-q', '--no-ff', 'promote-m1', '-m', 'Merge pull request #7 from team/promote-m1');
  // Someone whose key nobody vouched for.
  reg.git('config', 'user.signingkey', mallory);
  await ok('note', 'm1', 'looks fine');
  reg.git('config', 'user.signingkey', alice);
}

describe('audit', () => {
  it("a model's chain of custody: signatures, gates (forced ones too), the approving merge, the stage tag", async () => {
    const { reg } = await signedHistory();
    const r = await reg.run('audit', 'm1', '--json');
    expect(r.code).toBe(1); // mallory's signature is not accepted
    expect(stderrText(r)).toMatch(/1 signature\(s\) are not accepted/);
    const events = r.json().events as { action: string; signature: { status: string; detail: string }; gates?: { forced: boolean; failed: { gate: string }[] }; merged_by?: { subject: string }; tag?: { name: string; signature: { status: string } } }[];
    expect(events.map((e) => e.action)).toEqual(['register', 'test', 'promote', 'promote', 'note']);
    expect(events.slice(0, 4).map((e) => e.signature.status)).toEqual(['good', 'good', 'good', 'good']);
    expect(events[0]!.signature.detail).toBe('signed by test@example.com');
    expect(events[2]).toMatchObject({ gates: { forced: false, failed: [] }, tag: { name: 'stage/mscn/staging/1', signature: { status: 'good' } } });
    expect(events[2]!.merged_by).toBeUndefined();
    expect(events[3]).toMatchObject({ gates: { forced: true, failed: [{ gate: 'require_tested_on' }] }, merged_by: { subject: 'Merge pull request #7 from team/promote-m1' } });
    expect(events[4]!.signature).toMatchObject({ status: 'bad', detail: expect.stringMatching(/allowed signers do not list/) });
    const text = await reg.run('audit', 'm1');
    expect(text.stdout).toMatch(/gates: 1 failed, FORCED past them: require_tested_on/);
    expect(text.stdout).toMatch(/approved by merge \w+ "Merge pull request #7/);
    expect(text.stdout).toMatch(/tag stage\/mscn\/staging\/1: signed/);
    expect(text.stdout).toMatch(/signatures: 6 accepted, 0 unsigned, 0 not checkable here, 1 bad/);
  }, 90_000);

  it('--algo lists the stage changes; without allowed signers a signature is "not checkable", not unsigned', async () => {
    const { reg, allowed } = await signedHistory();
    reg.git('config', '--unset', 'gpg.ssh.allowedSignersFile');
    const r = await reg.run('audit', '--algo', 'mscn', '--json');
    expect(r.code).toBe(0);
    expect(r.json().events.map((e: { subject: string }) => e.subject)).toEqual(['promote m1 to mscn/staging', 'promote m1 to mscn/production']);
    expect(r.json().events[0].signature).toMatchObject({ status: 'unverifiable', detail: expect.stringMatching(/no allowed signers file/) });
    const withFile = await reg.run('audit', '--algo', 'mscn', '--allowed-signers', allowed, '--json');
    expect(withFile.json().events[0].signature.status).toBe('good');
  }, 90_000);

  it('a stage tag pointing elsewhere than the promotion it records fails the audit', async () => {
    const { reg, allowed } = await signedHistory();
    expect((await reg.run('audit', 'm1', '--allowed-signers', allowed)).code).toBe(1); // mallory's note, as above
    reg.git('reset', '-q', '--hard', 'HEAD~1'); // without the unknown signer's commit
    expect((await reg.run('audit', 'm1')).code).toBe(0);
    reg.git('-c', 'tag.gpgsign=false', 'tag', '-f', '-a', 'stage/mscn/staging/1', '-m', reg.git('tag', '-l', '--format=%(contents)', 'stage/mscn/staging/1'), 'HEAD~2');
    const r = await reg.run('audit', 'm1', '--json');
    expect(r.code).toBe(1);
    expect(r.json().misplaced_tags).toEqual([expect.objectContaining({ tag: 'stage/mscn/staging/1' })]);
    expect(stderrText(r)).toMatch(/stage\/mscn\/staging\/1 records promote of m1 to mscn\/staging but points at \w+, which is not that promote's commit/);
  }, 90_000);

  it('bad input: one line and the right exit code', async () => {
    const reg = await tempRegistry();
    await reg.run('register', '--algo', 'mscn', '--id', 'm1');
    const cases: [string[], number, RegExp][] = [
      [['audit'], 2, /a model id or --algo/],
      [['audit', 'nope'], 1, /no model "nope"/],
      [['audit', '--algo', 'lero'], 1, /no stage change of lero/],
      [['audit', 'm1', '--allowed-signers', join(reg.dir, 'missing')], 2, /no such file/],
    ];
    for (const [args, code, message] of cases) {
      const r = await reg.run(...args);
      expect({ args, code: r.code }).toEqual({ args, code });
      expect(stderrText(r)).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
