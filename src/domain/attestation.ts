// The attestation format (issue #16): an in-toto Statement v1 about a model's artifact files,
// carried in a DSSE envelope signed with the user's SSH key. The subjects are the artifact's
// files with their sha256 digests; the predicate is the model's validated metadata and the
// registry commit it was read at. Pure: building, encoding, the DSSE pre-authentication encoding
// that is what gets signed, and reading an envelope back with its problems named. The format is
// written up in docs/guide/attestations.md so other tools can check an attestation without modelgit.
import type { ModelMetadata } from './types.js';

export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const PREDICATE_TYPE = 'https://modelgit.dev/attestation/model/v1';
export const PAYLOAD_TYPE = 'application/vnd.in-toto+json';
/** The SSH signature namespace (`ssh-keygen -Y sign -n`): a signature made for anything else never counts. */
export const SIGNATURE_NAMESPACE = 'modelgit-attestation';

export interface Subject {
  name: string;
  digest: { sha256: string };
}

export interface ModelPredicate {
  model_id: string;
  algorithm: string;
  metadata: ModelMetadata;
  registry: { commit: string; path: string };
}

export interface Statement {
  _type: typeof STATEMENT_TYPE;
  subject: Subject[];
  predicateType: typeof PREDICATE_TYPE;
  predicate: ModelPredicate;
}

export interface Envelope {
  payloadType: string;
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

export function statementFor(subjects: Subject[], metadata: ModelMetadata, registry: { commit: string; path: string }): Statement {
  return {
    _type: STATEMENT_TYPE,
    subject: [...subjects].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    predicateType: PREDICATE_TYPE,
    predicate: { model_id: metadata.model_id, algorithm: metadata.algorithm, metadata, registry },
  };
}

/** DSSE's pre-authentication encoding: `DSSEv1 SP LEN(type) SP type SP LEN(body) SP body` (lengths in bytes). */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** The envelope of `payload` with one signature; `sig` is the armored SSH signature, base64-encoded as DSSE wants bytes. */
export function envelopeOf(payload: Buffer, keyid: string, armoredSignature: string): Envelope {
  return { payloadType: PAYLOAD_TYPE, payload: payload.toString('base64'), signatures: [{ keyid, sig: Buffer.from(armoredSignature, 'utf8').toString('base64') }] };
}

export type ReadEnvelope = { ok: true; envelope: Envelope; payload: Buffer; statement: Statement; signature: string } | { ok: false; problem: string };

/** An envelope's text read back: its payload decoded, its statement checked for shape, its first signature. */
export function readEnvelope(text: string): ReadEnvelope {
  let env: Envelope;
  try {
    env = JSON.parse(text) as Envelope;
  } catch (e) {
    return { ok: false, problem: `not JSON: ${(e as Error).message}` };
  }
  if (!env || typeof env !== 'object' || env.payloadType !== PAYLOAD_TYPE || typeof env.payload !== 'string') {
    return { ok: false, problem: `not a DSSE envelope of ${PAYLOAD_TYPE}` };
  }
  const sig = Array.isArray(env.signatures) ? env.signatures[0] : undefined;
  if (!sig || typeof sig.sig !== 'string') return { ok: false, problem: 'the envelope has no signature' };
  const payload = Buffer.from(env.payload, 'base64');
  let statement: Statement;
  try {
    statement = JSON.parse(payload.toString('utf8')) as Statement;
  } catch {
    return { ok: false, problem: 'the payload is not a JSON statement' };
  }
  if (statement?._type !== STATEMENT_TYPE || statement.predicateType !== PREDICATE_TYPE || !Array.isArray(statement.subject) || !statement.predicate) {
    return { ok: false, problem: `the payload is not an in-toto ${STATEMENT_TYPE} with predicate ${PREDICATE_TYPE}` };
  }
  return { ok: true, envelope: env, payload, statement, signature: Buffer.from(sig.sig, 'base64').toString('utf8') };
}

/** Where a model's attestation is kept: beside models/, one file per model. */
export function attestationPath(algorithm: string, modelId: string): string {
  return `attestations/${algorithm}/${modelId}.intoto.json`;
}

/** How the files on disk differ from the statement's subjects: one line per difference, none when they match. */
export function subjectDifferences(subjects: Subject[], onDisk: Map<string, string | undefined>): string[] {
  const out: string[] = [];
  for (const s of subjects) {
    const got = onDisk.get(s.name);
    if (got === undefined) out.push(`${s.name} is missing`);
    else if (got !== s.digest?.sha256) out.push(`${s.name}: sha256 ${got}, attested ${s.digest?.sha256}`);
  }
  return out;
}
