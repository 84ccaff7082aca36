// attest and the attestation checks of verify (issue #16): `modelgit attest ID --key K` signs a
// statement that this model's artifact files have these sha256 digests and this metadata, as the
// registry had it at this commit (an in-toto Statement v1 in a DSSE envelope, domain/attestation.ts),
// and commits it beside the models; `modelgit verify ID` checks it offline: the signature against
// the allowed signers (as git checks SSH signatures), the digests against the files on disk.
import { basename } from 'node:path';
import { ArtifactError, NotFoundError, UsageError } from '../errors.js';
import { existsSync } from 'node:fs';
import {
  attestationPath,
  envelopeOf,
  pae,
  PAYLOAD_TYPE,
  readEnvelope,
  SIGNATURE_NAMESPACE,
  statementFor,
  subjectDifferences,
  type Subject,
} from '../domain/attestation.js';
import { assertSafeName } from '../domain/names.js';
import type { Artifact } from '../domain/types.js';
import { keyFingerprint, sshSign, sshVerify } from '../git/ssh-sign.js';
import { artifactOf, locateArtifact } from '../loading/artifact.js';
import type { Registry } from './registry.js';
import type { VerifyCheck } from './verify.js';

export interface AttestAnswer {
  model_id: string;
  /** the attestation file in the registry */
  path: string;
  commit: string;
  /** the signing key's fingerprint (SHA256:…) */
  keyid: string;
  subjects: Subject[];
  /** the registry commit the statement names */
  registry_commit: string;
}

/** The artifact's files as subjects: a file by its name, a directory's files by their paths inside it. */
function subjectsOf(art: Artifact, fileName: string): Subject[] {
  if (art.files) return art.files.map((f) => ({ name: f.path, digest: { sha256: f.sha256 } }));
  return [{ name: fileName, digest: { sha256: art.sha256! } }];
}

/** Where the recorded checksums disagree with the files on disk (an attestation must not vouch for other bytes). */
function recordedDifferences(recorded: Artifact | undefined, now: Subject[]): string[] {
  if (!recorded) return [];
  const want = new Map<string, string>();
  if (recorded.files) {
    for (const f of recorded.files) if (f.sha256) want.set(f.path, f.sha256);
  } else if (recorded.sha256 && now.length === 1) {
    want.set(now[0]!.name, recorded.sha256);
  }
  const got = new Map(now.map((s) => [s.name, s.digest.sha256]));
  return [...want].filter(([name, sha]) => got.get(name) !== sha).map(([name, sha]) => `${name}: sha256 ${got.get(name) ?? '(missing)'}, registered ${sha}`);
}

export async function attest(reg: Registry, id: string, opts: { key: string; cwd?: string }): Promise<AttestAnswer> {
  assertSafeName('model id', id, 'ID');
  if (!opts.key) throw new UsageError('--key: give the SSH private key to sign with (an Ed25519 key: ssh-keygen -t ed25519)');
  if (!existsSync(opts.key)) throw new UsageError(`--key ${opts.key}: no such file`);
  const keyid = await keyFingerprint(opts.key);
  const model = await reg.model(id);
  const meta = model.metadata;
  if (!meta.model_path) throw new ArtifactError(`${id} has no model_path: there are no files to attest`, { hint: 'register the artifact first (modelgit register --model-path P --checksum)' });
  const loc = locateArtifact(meta.model_path, reg.root);
  if (loc.kind === 'remote') throw new ArtifactError(`${id}'s artifact is at ${loc.uri}: attest reads the files it vouches for, so it needs a local copy`);
  if (!loc.exists) throw new ArtifactError(`${id}'s artifact ${loc.path} does not exist here`, { hint: 'attest runs where the artifact is' });
  const subjects = subjectsOf(await artifactOf(loc.path), basename(loc.path));
  const differ = recordedDifferences(meta.artifact, subjects);
  if (differ.length) {
    throw new ArtifactError(`the artifact on disk is not the one registered for ${id}: ${differ.slice(0, 3).join('; ')}${differ.length > 3 ? '; …' : ''}; nothing was attested`, {
      hint: `modelgit verify ${id} lists every difference`,
    });
  }
  const head = (await reg.git.head())!;
  const statement = statementFor(subjects, meta, { commit: head, path: model.path });
  const payload = Buffer.from(JSON.stringify(statement), 'utf8');
  const signature = await sshSign(pae(PAYLOAD_TYPE, payload), opts.key, SIGNATURE_NAMESPACE);
  const text = JSON.stringify(envelopeOf(payload, keyid, signature), null, 2) + '\n';
  const path = attestationPath(meta.algorithm, id);
  return reg.write(async () => ({
    spec: {
      subject: `attest ${id}`,
      body: `${subjects.length} file(s), signed by ${keyid}`,
      trailers: [['Model-Action', 'attest'], ['Model-Id', id]],
      changes: [{ path, content: text }],
    },
    result: (commit: string) => ({ model_id: id, path, commit, keyid, subjects, registry_commit: head }),
  }));
}

/**
 * The attestation checks for `verify`, when the model has an attestation at HEAD: the envelope
 * reads, its signature verifies for a key the allowed-signers file lists, it is about this
 * model, and the files on disk have the attested digests. Empty when there is none.
 */
export async function attestationChecks(reg: Registry, id: string, algorithm: string, onDisk: () => Promise<Subject[] | undefined>, allowedSigners?: string): Promise<VerifyCheck[]> {
  const path = attestationPath(algorithm, id);
  const text = await reg.git.showFile('HEAD', path);
  if (text === undefined) return [];
  const read = readEnvelope(text);
  if (!read.ok) return [{ name: 'attestation', ok: false, detail: `${path}: ${read.problem}` }];
  const checks: VerifyCheck[] = [];
  const { file: signers, checkable } = await reg.allowedSigners(allowedSigners);
  if (!checkable) {
    checks.push({ name: 'attestation-signature', ok: false, detail: 'no allowed signers to check it against: set gpg.ssh.allowedSignersFile (as for git\'s SSH signatures) or pass --allowed-signers FILE' });
  } else {
    const v = await sshVerify(pae(read.envelope.payloadType, read.payload), read.signature, signers, SIGNATURE_NAMESPACE);
    checks.push(v.ok ? { name: 'attestation-signature', ok: true, detail: `signed by ${v.principal} (${read.envelope.signatures[0]!.keyid})` } : { name: 'attestation-signature', ok: false, detail: v.detail });
  }
  const p = read.statement.predicate;
  const about = p.model_id === id && p.algorithm === algorithm;
  checks.push({ name: 'attestation-model', ok: about, detail: about ? `${id}, registry commit ${p.registry?.commit?.slice(0, 10)}` : `the statement is about ${p.algorithm}/${p.model_id}, not ${algorithm}/${id}` });
  const files = await onDisk();
  if (!files) checks.push({ name: 'attestation-subjects', ok: false, detail: 'the artifact is not here to compare with the attested digests' });
  else {
    const diff = subjectDifferences(read.statement.subject, new Map(files.map((f) => [f.name, f.digest.sha256])));
    checks.push({ name: 'attestation-subjects', ok: diff.length === 0, detail: diff.length ? diff.join('; ') : `${read.statement.subject.length} file(s) match` });
  }
  return checks;
}

/** The artifact's files as subjects now, or undefined when it is not a local file or directory here. */
export async function artifactSubjects(modelPath: string | undefined, root: string): Promise<Subject[] | undefined> {
  if (!modelPath) return undefined;
  const loc = locateArtifact(modelPath, root);
  if (loc.kind === 'remote' || !loc.exists) return undefined;
  try {
    return subjectsOf(await artifactOf(loc.path), basename(loc.path));
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}
