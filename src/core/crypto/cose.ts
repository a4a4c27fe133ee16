// COSE_Sign1 (RFC 9052 §4.2) with EdDSA (RFC 9053 §2.2, alg -8): seals, policies, commands,
// acknowledgements and image manifests all travel in this one envelope (SPEC §6).

import { decodeMaps, encode, Tag } from '../codec/cbor';
import { equalBytes } from '../util/bytes';
import { ok, type Result } from '../util/result';
import { failWhy } from '../reasons/why';
import { ed25519 } from './ed25519-impl';
import { kidOf } from './hash';

export const COSE_SIGN1_TAG = 18;
const ALG = 1, KID = 4, EDDSA = -8;

export interface Sign1 {
  protectedBytes: Uint8Array;
  kid: Uint8Array | null;
  payload: Uint8Array;
  signature: Uint8Array;
}

/** RFC 9052 §4.4: Sig_structure = ["Signature1", body_protected, external_aad, payload]. */
export function toBeSigned(protectedBytes: Uint8Array, payload: Uint8Array): Uint8Array {
  return encode(['Signature1', protectedBytes, new Uint8Array(0), payload]);
}

export function protectedHeader(pub: Uint8Array): Uint8Array {
  return encode(new Map<number, unknown>([[ALG, EDDSA], [KID, kidOf(pub)]]));
}

/** Builds a tagged COSE_Sign1 from a payload and a signature made over toBeSigned(). */
export function assemble(protectedBytes: Uint8Array, payload: Uint8Array, signature: Uint8Array): Uint8Array {
  return encode(new Tag([protectedBytes, new Map(), payload, signature], COSE_SIGN1_TAG));
}

/** Signs with a 64-byte tweetnacl-layout secret key (host tools; the terminal uses its Signer). */
export function sign1(payload: Uint8Array, secretKey64: Uint8Array): Uint8Array {
  const prot = protectedHeader(secretKey64.subarray(32));
  return assemble(prot, payload, ed25519.sign(toBeSigned(prot, payload), secretKey64));
}

/** Parses a COSE_Sign1 without checking its signature. */
export function parseSign1(bytes: Uint8Array, what = 'COSE_Sign1'): Result<Sign1> {
  // Plain RFC 8949 data, tag 18 the only tag (SPEC §6); headers may have integer keys (RFC 9052 §3).
  const d = decodeMaps(bytes, what, [COSE_SIGN1_TAG]);
  if (!d.ok) return failWhy('NOT_CBOR_DATA', { what, detail: d.error });
  const t = d.value as { tag?: number; value?: unknown };
  if (!(t instanceof Tag) || t.tag !== COSE_SIGN1_TAG) return failWhy('NOT_SIGN1', { what, detail: 'expected CBOR tag 18' });
  const arr = t.value;
  if (!Array.isArray(arr) || arr.length !== 4) return failWhy('NOT_SIGN1', { what, detail: `expected an array of 4 items` });
  const [prot, unprot, payload, sig] = arr as unknown[];
  if (!(prot instanceof Uint8Array) || !(payload instanceof Uint8Array) || !(sig instanceof Uint8Array)) {
    return failWhy('NOT_SIGN1', { what, detail: `protected header, payload and signature must be byte strings` });
  }
  if (unprot === null || typeof unprot !== 'object') return failWhy('NOT_SIGN1', { what, detail: `unprotected header must be a map` });
  if (sig.length !== 64) return failWhy('NOT_SIGN1', { what, detail: `Ed25519 signature must be 64 bytes, got ${sig.length}` });
  const h = decodeMaps(prot, `${what} protected header`);
  if (!h.ok) return h;
  const hm = h.value;
  if (!(hm instanceof Map)) return failWhy('NOT_SIGN1', { what, detail: `protected header must be a map` });
  if (hm.get(ALG) !== EDDSA) return failWhy('NOT_SIGN1', { what, detail: `algorithm must be EdDSA (-8), got ${String(hm.get(ALG))}` });
  const kid = hm.get(KID);
  if (kid !== undefined && !(kid instanceof Uint8Array)) return failWhy('NOT_SIGN1', { what, detail: `kid must be a byte string` });
  return ok({ protectedBytes: prot, kid: kid ?? null, payload, signature: sig });
}

/** Verifies a parsed COSE_Sign1 against one public key; a kid that names another key fails. */
export function verifySign1(s: Sign1, pub: Uint8Array): boolean {
  if (s.kid && !equalBytes(s.kid, kidOf(pub))) return false;
  return ed25519.verify(toBeSigned(s.protectedBytes, s.payload), s.signature, pub);
}

/** Parses, verifies against any of `pubs`, and returns the payload bytes. */
export function openSign1(bytes: Uint8Array, pubs: Uint8Array[], what: string): Result<{ payload: Uint8Array; signer: Uint8Array }> {
  const p = parseSign1(bytes, what);
  if (!p.ok) return p;
  for (const pub of pubs) {
    if (p.value.kid && !equalBytes(p.value.kid, kidOf(pub))) continue;
    if (verifySign1(p.value, pub)) return ok({ payload: p.value.payload, signer: pub });
  }
  return failWhy('SIG_UNTRUSTED', { what });
}
