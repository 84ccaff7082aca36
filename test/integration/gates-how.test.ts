// The gates about where and how a promotion is made (issue #16): `branches` (a stage only on these
// branches), `require_verified_artifact` (the artifact is here and matches its checksums when
// promoted) and `require_signed` (the promotion commit is signed by an allowed signer). promote
// checks them before committing; validate --since checks them again from the promotion commit, so
// a hand edit of stages.yaml can't pass them.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliWithEnv, sshKey, stderrText, tempDir, tempRegistry } from '../helpers.js';

async function registryWith(rule: string) {
  const reg = await tempRegistry();
  const cfg = join(reg.dir, 'modelgit.yaml');
  const text = readFileSync(cfg, 'utf8');
  writeFileSync(cfg, text.replace(/^ {2}production:\n/m, `  production:\n${rule}`));
  reg.git('commit', '-qam', 'gates');
  mkdirSync(join(reg.dir, 'w'));
  writeFileSync(join(reg.dir, 'w', 'model.bin'), 'weights');
  const run = async (...args: string[]) => reg.run(...args);
  const ok = async (...args: string[]) => {
    const r = await run(...args);
    if (r.code !== 0) throw new Error(`${args.join(' ')}: ${stderrText(r)}`);
    return r;
  };
  await ok('register', '--algo', 'mscn', '--id', 'a', '--model-path', 'w', '--checksum');
  await ok('test', 'a', '--dataset', 'production', '--metric', 'total_time=5');
  await ok('promote', 'a', '--stage', 'staging');
  return { reg, run, ok, base: reg.git('rev-parse', 'HEAD').trim() };
}

describe('gates: branches, require_verified_artifact, require_signed', () => {
  it('branches: production only on main', async () => {
    const { reg, run, ok, base } = await registryWith('    branches: [main]\n');
    reg.git('switch', '-qc', 'experiment');
    const r = await run('promote', 'a', '--stage', 'production');
    expect(r.code).toBe(1);
    expect(stderrText(r)).toMatch(/branches: production may only be assigned on main, not on experiment/);
    reg.git('switch', '-q', 'main');
    await ok('promote', 'a', '--stage', 'production');
    expect((await run('validate', '--since', base)).code).toBe(0);
    // The same commits judged as landing on another branch fail it.
    const other = await runCliWithEnv(reg.dir, { GITHUB_ACTIONS: 'true', GITHUB_BASE_REF: 'release' }, 'validate', '--since', base, '--json');
    expect(other.code).toBe(1);
    expect(other.json().errors).toEqual([expect.objectContaining({ rule: 'gate:branches', message: expect.stringMatching(/not on release/) })]);
  });

  it('require_verified_artifact: promote verifies the files; a changed file or a hand edit fails', async () => {
    const { reg, run, ok, base } = await registryWith('    require_verified_artifact: true\n');
    writeFileSync(join(reg.dir, 'w', 'model.bin'), 'other weights');
    const r = await run('promote', 'a', '--stage', 'production');
    expect(r.code).toBe(1);
    expect(stderrText(r)).toMatch(/require_verified_artifact: sha256:artifact|require_verified_artifact: (size|sha256)/);
    writeFileSync(join(reg.dir, 'w', 'model.bin'), 'weights');
    await ok('promote', 'a', '--stage', 'production');
    expect(reg.git('log', '-1', '--format=%(trailers:key=Gate,valueonly)')).toMatch(/require_verified_artifact pass/);
    expect((await run('validate', '--since', base)).code).toBe(0);
    // A hand edit of stages.yaml carries no verification.
    reg.git('reset', '-q', '--hard', base);
    const stages = join(reg.dir, 'stages.yaml');
    writeFileSync(stages, readFileSync(stages, 'utf8').replace('staging: a', 'staging: a\n  production: a'));
    reg.git('commit', '-qam', 'by hand');
    const v = await run('validate', '--since', base, '--json');
    expect(v.code).toBe(1);
    expect(v.json().errors).toEqual([expect.objectContaining({ rule: 'gate:require_verified_artifact', message: expect.stringMatching(/hand edit/) })]);
  });

  it('require_signed: promote needs git to sign; validate --since checks the signature against the allowed signers', async () => {
    const { reg, run, ok, base } = await registryWith('    require_signed: true\n');
    const unsigned = await run('promote', 'a', '--stage', 'production');
    expect(unsigned.code).toBe(1);
    expect(stderrText(unsigned)).toMatch(/require_signed: git is not set to sign commits/);
    const keys = tempDir('modelgit-gate-keys-');
    sshKey(keys, 'alice');
    for (const [k, v] of [['gpg.format', 'ssh'], ['user.signingkey', join(keys, 'alice')], ['commit.gpgsign', 'true']]) reg.git('config', k!, v!);
    await ok('promote', 'a', '--stage', 'production');
    // No allowed signers yet: the signature can't be accepted.
    let v = await run('validate', '--since', base, '--json');
    expect(v.code).toBe(1);
    expect(v.json().errors[0]).toMatchObject({ rule: 'gate:require_signed', message: expect.stringMatching(/no allowed signers file/) });
    writeFileSync(join(keys, 'allowed'), `test@example.com ${readFileSync(join(keys, 'alice.pub'), 'utf8')}`);
    reg.git('config', 'gpg.ssh.allowedSignersFile', join(keys, 'allowed'));
    v = await run('validate', '--since', base, '--json');
    expect(v.code, JSON.stringify(v.json())).toBe(0);
  });
});
