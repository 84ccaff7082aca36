// What a signature git checked means for a reader: git's one-letter verdict (`%G?`) with its signer
// and key, turned into accepted, unsigned, not accepted (why) or not checkable here. One reading,
// shared by `audit` (each commit and tag) and the `require_signed` gate (the promotion commit), so
// the two never disagree about the same commit.

export interface SignatureVerdict {
  status: 'good' | 'unsigned' | 'bad' | 'unverifiable';
  detail: string;
}

const VERDICTS: Record<string, SignatureVerdict['status']> = { G: 'good', U: 'good', N: 'unsigned', B: 'bad', X: 'bad', Y: 'bad', R: 'bad', E: 'unverifiable' };
const WHY: Record<string, string> = { B: 'bad signature', X: 'expired signature', Y: 'expired key', R: 'revoked key' };

/**
 * `sig`: git's `%G?`, `%GS`, `%GK` for the object (undefined: none). `checkable`: there was an
 * allowed-signers file to check SSH signatures against — without one, git calls every SSH signature
 * "unknown key", which must read as "can't be checked here", not as an unknown signer.
 */
export function signatureVerdict(sig: { status: string; signer: string; key: string } | undefined, checkable: boolean): SignatureVerdict {
  if (!sig) return { status: 'unsigned', detail: 'unsigned' };
  // U without a signer: a sound signature by a key nobody vouched for (no allowed signer lists it).
  if (sig.status === 'U' && !sig.signer) {
    return checkable
      ? { status: 'bad', detail: `signed with ${sig.key || 'a key'} that the allowed signers do not list (an unknown signer)` }
      : { status: 'unverifiable', detail: `signed with ${sig.key || 'a key'}; there is no allowed signers file to check it against (gpg.ssh.allowedSignersFile, or --allowed-signers FILE)` };
  }
  const status = VERDICTS[sig.status] ?? 'unverifiable';
  const who = sig.signer || sig.key;
  if (status === 'good') return { status, detail: `signed by ${who}${sig.status === 'U' ? ' (validity unknown)' : ''}` };
  if (status === 'unsigned') return { status, detail: 'unsigned' };
  if (status === 'unverifiable') return { status, detail: `signed${sig.key ? ` with ${sig.key}` : ''}, but it can't be checked here (set gpg.ssh.allowedSignersFile, or import the GPG key)` };
  return { status, detail: `the signature is not accepted (${WHY[sig.status] ?? sig.status})${who ? `: ${who}` : ''}` };
}
