// attest and verify (issue #16, attestations): an in-toto statement of a model's artifact files in
// a DSSE envelope, signed with an SSH key made here by ssh-keygen, committed beside the models and
// checked offline by verify: a known signer passes; an unknown signer, an edited attestation and
// changed weights each fail with a named check, and a bad --key is a usage error.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sshKey, stderrText, tempDir, tempRegistry } from '../helpers.js';
import { pae, PAYLOAD_TYPE, SIGNATURE_NAMESPACE } from '../../src/domain/attestation.js';


async function attestedModel() {
  const reg = await tempRegistry();
  mkdirSync(join(reg.dir, 'w'));
  writeFileSync(join(reg.dir, 'w', 'model.bin'), Buffer.alloc(512, 7));
  writeFileSync(join(reg.dir, 'w', 'config.json'), '{"layers": 2}');
  const r = await reg.run('register', '--algo', 'mscn', '--id', 'm1', '--model-path', 'w', '--checksum');
  expect(r.code).toBe(0);
  const keys = tempDir('modelgit-keys-');
  const alice = sshKey(keys, 'alice');
  const mallory = sshKey(keys, 'mallory');
  const allowed = join(keys, 'allowed_signers');
  writeFileSync(allowed, `alice@example.com ${alice.pub}\n`);
  return { reg, alice, mallory, allowed };
}

const check = (answer: { checks: { name: string; ok: boolean; detail: string }[] }, name: string) => answer.checks.find((c) => c.name === name);

describe('attest and verify', () => {
  it('signs the artifact files and metadata; verify checks the signature, the model and the digests offline', async () => {
    const { reg, alice, allowed } = await attestedModel();
    const a = await reg.run('attest', 'm1', '--key', alice.key, '--json');
    expect(a.code).toBe(0);
    const answer = a.json();
    expect(answer).toMatchObject({ model_id: 'm1', path: 'attestations/mscn/m1.intoto.json', keyid: expect.stringMatching(/^SHA256:/) });
    expect(answer.subjects.map((s: { name: string }) => s.name)).toEqual(['config.json', 'model.bin']);
    expect(reg.git('log', '-1', '--format=%s%n%(trailers:key=Model-Action,valueonly)').trim().split('\n')).toEqual(['attest m1', 'attest']);
    const v = await reg.run('verify', 'm1', '--allowed-signers', allowed, '--json');
    expect(v.code).toBe(0);
    expect(check(v.json(), 'attestation-signature')).toMatchObject({ ok: true, detail: expect.stringMatching(/^signed by alice@example.com/) });
    expect(check(v.json(), 'attestation-subjects')).toMatchObject({ ok: true });
    // git's own setting works the same way.
    reg.git('config', 'gpg.ssh.allowedSignersFile', allowed);
    expect((await reg.run('verify', 'm1')).code).toBe(0);

    // The format is checkable without modelgit: DSSE PAE over the payload, the SSH signature in `sig`.
    const env = JSON.parse(reg.read('attestations/mscn/m1.intoto.json'));
    const dir = tempDir('modelgit-manual-');
    writeFileSync(join(dir, 'pae'), pae(PAYLOAD_TYPE, Buffer.from(env.payload, 'base64')));
    writeFileSync(join(dir, 'sig'), Buffer.from(env.signatures[0].sig, 'base64'));
    const out = execFileSync('ssh-keygen', ['-Y', 'verify', '-f', allowed, '-I', 'alice@example.com', '-n', SIGNATURE_NAMESPACE, '-s', join(dir, 'sig')], { input: readFileSync(join(dir, 'pae')) }).toString();
    expect(out).toMatch(/Good "modelgit-attestation" signature for alice@example.com/);
    const statement = JSON.parse(Buffer.from(env.payload, 'base64').toString());
    expect(statement).toMatchObject({ _type: 'https://in-toto.io/Statement/v1', predicateType: 'https://modelgit.dev/attestation/model/v1', predicate: { model_id: 'm1', registry: { path: 'models/mscn/m1.json' } } });
  }, 60_000);

  it('an unknown signer, an edited attestation and changed weights each fail verify with the check named', async () => {
    const { reg, alice, mallory, allowed } = await attestedModel();
    expect((await reg.run('attest', 'm1', '--key', mallory.key)).code).toBe(0);
    let v = await reg.run('verify', 'm1', '--allowed-signers', allowed, '--json');
    expect(v.code).toBe(1);
    expect(check(v.json(), 'attestation-signature')).toMatchObject({ ok: false, detail: expect.stringMatching(/does not list/) });

    expect((await reg.run('attest', 'm1', '--key', alice.key)).code).toBe(0);
    const file = join(reg.dir, 'attestations/mscn/m1.intoto.json');
    const env = JSON.parse(readFileSync(file, 'utf8'));
    const statement = JSON.parse(Buffer.from(env.payload, 'base64').toString());
    statement.subject[1].digest.sha256 = '0'.repeat(64);
    env.payload = Buffer.from(JSON.stringify(statement)).toString('base64');
    writeFileSync(file, JSON.stringify(env));
    reg.git('commit', '-qam', 'tamper');
    v = await reg.run('verify', 'm1', '--allowed-signers', allowed, '--json');
    expect(v.code).toBe(1);
    expect(check(v.json(), 'attestation-signature')).toMatchObject({ ok: false, detail: expect.stringMatching(/does not verify/) });

    reg.git('revert', '--no-edit', 'HEAD');
    writeFileSync(join(reg.dir, 'w', 'model.bin'), Buffer.alloc(512, 8));
    v = await reg.run('verify', 'm1', '--allowed-signers', allowed, '--json');
    expect(v.code).toBe(1);
    expect(check(v.json(), 'attestation-signature')).toMatchObject({ ok: true });
    expect(check(v.json(), 'attestation-subjects')).toMatchObject({ ok: false, detail: expect.stringMatching(/^model.bin: sha256 \w+, attested/) });
    // attest refuses to vouch for bytes that are not the registered ones: nothing is committed.
    const head = reg.git('rev-parse', 'HEAD');
    const refused = await reg.run('attest', 'm1', '--key', alice.key);
    expect(refused.code).toBe(1);
    expect(stderrText(refused)).toMatch(/not the one registered for m1: model.bin/);
    expect(reg.git('rev-parse', 'HEAD')).toBe(head);
  }, 60_000);

  it('bad input: a missing key file, a file that is no key, a model without an artifact', async () => {
    const { reg } = await attestedModel();
    const missing = await reg.run('attest', 'm1', '--key', join(reg.dir, 'nope'));
    expect(missing.code).toBe(2);
    expect(stderrText(missing)).toMatch(/--key .*nope: no such file/);
    const notKey = await reg.run('attest', 'm1', '--key', join(reg.dir, 'w', 'config.json'));
    expect(notKey.code).toBe(2);
    expect(stderrText(notKey)).toMatch(/not an SSH key/);
    await reg.run('register', '--algo', 'mscn', '--id', 'bare');
    const keys = tempDir('modelgit-keys2-');
    const k = sshKey(keys, 'k');
    const none = await reg.run('attest', 'bare', '--key', k.key);
    expect(none.code).toBe(1);
    expect(stderrText(none)).toMatch(/artifact|model_path/);
    for (const r of [missing, notKey, none]) expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
