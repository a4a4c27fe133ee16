// Crypto self-test reachable through agent.call('selftest'): firmware runs it at boot on a new
// board. One known answer of each primitive is enough to catch a broken build or port.

import { ed25519 } from './crypto/ed25519-impl';
import { sha512 } from './crypto/hash';
import { equalBytes, fromHex, toHex } from './util/bytes';

// RFC 8032 §7.1 TEST 2.
const SEED = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb')!;
const PUB = '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c';
const MSG = fromHex('72')!;
const SIG = '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00';

export function selftest(): { ok: boolean; detail: string } {
  const pub = ed25519.publicKey(SEED);
  if (toHex(pub) !== PUB) return { ok: false, detail: 'Ed25519 public key does not match RFC 8032 test 2' };
  const sk = new Uint8Array(64); sk.set(SEED); sk.set(pub, 32);
  const sig = ed25519.sign(MSG, sk);
  if (toHex(sig) !== SIG) return { ok: false, detail: 'Ed25519 sign does not match RFC 8032 test 2' };
  if (!ed25519.verify(MSG, sig, pub)) return { ok: false, detail: 'Ed25519 verify rejects RFC 8032 test 2' };
  const bad = sig.slice(); bad[0]! ^= 1;
  if (ed25519.verify(MSG, bad, pub)) return { ok: false, detail: 'Ed25519 verify accepts an altered signature' };
  if (!equalBytes(sha512(new Uint8Array(0)).subarray(0, 4), fromHex('cf83e135')!)) return { ok: false, detail: 'SHA-512 of the empty string is wrong' };
  return { ok: true, detail: 'RFC 8032 test 2 and FIPS 180-4 empty-string vectors pass' };
}
