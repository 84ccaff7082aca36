import { describe, expect, it } from 'vitest';
import { envelopeOf, pae, PAYLOAD_TYPE, readEnvelope, statementFor, subjectDifferences } from '../../../src/domain/attestation.js';

describe('attestation format', () => {
  it('PAE is DSSE v1 (the example of the DSSE protocol)', () => {
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString()).toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
    // Lengths are bytes, not characters.
    expect(pae('t', Buffer.from('é')).toString('utf8')).toBe('DSSEv1 1 t 2 é');
  });

  it('an envelope reads back to its statement and signature; subjects are sorted by name', () => {
    const st = statementFor([{ name: 'b.bin', digest: { sha256: 'bb' } }, { name: 'a.json', digest: { sha256: 'aa' } }], { model_id: 'm1', algorithm: 'mscn', testing: [], tags: [] }, { commit: 'c0ffee', path: 'models/mscn/m1.json' });
    expect(st.subject.map((s) => s.name)).toEqual(['a.json', 'b.bin']);
    const payload = Buffer.from(JSON.stringify(st));
    const read = readEnvelope(JSON.stringify(envelopeOf(payload, 'SHA256:x', '-----BEGIN SSH SIGNATURE-----\nabc\n-----END SSH SIGNATURE-----\n')));
    expect(read.ok && read.statement.predicate.model_id).toBe('m1');
    expect(read.ok && read.signature).toMatch(/BEGIN SSH SIGNATURE/);
    expect(read.ok && read.envelope.payloadType).toBe(PAYLOAD_TYPE);
  });

  it('names what is wrong with an envelope', () => {
    expect(readEnvelope('nope')).toMatchObject({ ok: false, problem: expect.stringMatching(/not JSON/) });
    expect(readEnvelope('{"payloadType":"x","payload":""}')).toMatchObject({ ok: false, problem: expect.stringMatching(/not a DSSE envelope/) });
    expect(readEnvelope(JSON.stringify({ payloadType: PAYLOAD_TYPE, payload: Buffer.from('{}').toString('base64'), signatures: [{ keyid: '', sig: '' }] }))).toMatchObject({ ok: false, problem: expect.stringMatching(/in-toto/) });
    expect(readEnvelope(JSON.stringify({ payloadType: PAYLOAD_TYPE, payload: '', signatures: [] }))).toMatchObject({ ok: false, problem: 'the envelope has no signature' });
  });

  it('subjectDifferences lists a changed and a missing file', () => {
    const subjects = [{ name: 'a', digest: { sha256: '1' } }, { name: 'b', digest: { sha256: '2' } }];
    expect(subjectDifferences(subjects, new Map([['a', '1'], ['b', '2']]))).toEqual([]);
    expect(subjectDifferences(subjects, new Map([['a', '9']]))).toEqual(['a: sha256 9, attested 1', 'b is missing']);
  });
});
