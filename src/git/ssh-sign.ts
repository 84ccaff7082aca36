// Signatures with SSH keys, made and checked the way git makes and checks its own SSH signatures
// (`gpg.format=ssh`): `ssh-keygen -Y sign|verify|find-principals` (or `gpg.ssh.program`), a
// namespace that says what was signed, and an allowed-signers file that says whose key counts.
// modelgit signs its attestations with it (registry/attest.ts). Here because git/ is the one
// door to other processes; the key never passes through modelgit, only its path.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelgitError, UsageError } from '../errors.js';

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(program: string, args: string[], input?: Buffer): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => reject(new ModelgitError(`could not run ${program}: ${e.message}`, { hint: 'install OpenSSH (ssh-keygen), or set gpg.ssh.program' })));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}

const lastLine = (s: string) => s.trim().split('\n').filter(Boolean).pop() ?? '';

/** `SHA256:…` of the key in `keyFile` (a private key, or its .pub). */
export async function keyFingerprint(keyFile: string, program = 'ssh-keygen'): Promise<string> {
  const r = await run(program, ['-l', '-f', keyFile]);
  const fp = r.code === 0 ? /\b(SHA256:[A-Za-z0-9+/=]+)/.exec(r.stdout)?.[1] : undefined;
  if (!fp) throw new UsageError(`--key ${keyFile}: not an SSH key ssh-keygen can read (${lastLine(r.stderr) || 'no fingerprint'})`, { hint: 'an Ed25519 key: ssh-keygen -t ed25519 -f ~/.ssh/modelgit' });
  return fp;
}

/** An armored SSH signature (`-----BEGIN SSH SIGNATURE-----`) of `data` under `namespace`. */
export async function sshSign(data: Buffer, keyFile: string, namespace: string, program = 'ssh-keygen'): Promise<string> {
  const r = await run(program, ['-Y', 'sign', '-q', '-f', keyFile, '-n', namespace], data);
  if (r.code !== 0 || !r.stdout.includes('BEGIN SSH SIGNATURE')) {
    throw new ModelgitError(`could not sign with ${keyFile}: ${lastLine(r.stderr) || `${program} exited ${r.code}`}`, {
      hint: 'the key must be readable without a passphrase prompt (load it into ssh-agent, or use a key for signing only)',
    });
  }
  return r.stdout;
}

export type SignatureCheck = { ok: true; principal: string } | { ok: false; detail: string };

/**
 * Whether `signature` signs `data` under `namespace` with a key the allowed-signers file lists,
 * and for whom (its principal), as `git verify-commit` decides for SSH signatures.
 */
export async function sshVerify(data: Buffer, signature: string, allowedSigners: string, namespace: string, program = 'ssh-keygen'): Promise<SignatureCheck> {
  const dir = mkdtempSync(join(tmpdir(), 'modelgit-sig-'));
  try {
    const sigFile = join(dir, 'signature');
    writeFileSync(sigFile, signature);
    const found = await run(program, ['-Y', 'find-principals', '-s', sigFile, '-f', allowedSigners]);
    const principal = found.code === 0 ? found.stdout.trim().split('\n')[0] : undefined;
    if (!principal) return { ok: false, detail: `signed by a key that ${allowedSigners} does not list${found.stderr.trim() ? ` (${lastLine(found.stderr)})` : ''}` };
    const r = await run(program, ['-Y', 'verify', '-f', allowedSigners, '-I', principal, '-n', namespace, '-s', sigFile], data);
    if (r.code !== 0) return { ok: false, detail: `the signature does not verify: ${lastLine(r.stderr) || lastLine(r.stdout) || `${program} exited ${r.code}`}` };
    return { ok: true, principal };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
