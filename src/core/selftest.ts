// Crypto self-test and measuring hooks reachable through agent.call: firmware runs `selftest` at
// boot on a new board, `make bench` times our signer against tweetnacl's inside the same bundle.

import nacl from 'tweetnacl';
import { ed25519, tweetnaclEd25519, type Ed25519Impl } from './crypto/ed25519-impl';
import { sha512 } from './crypto/hash';
import { equalBytes, fromHex, toHex } from './util/bytes';

// RFC 8032 §7.1 TEST 2: one known answer is enough to catch a broken build or port.
const SEED = fromHex('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb')!;
const MSG = fromHex('72')!;
const SIG = '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00';

export function selftest(): { ok: boolean; detail: string } {
  const kp = nacl.sign.keyPair.fromSeed(SEED);
  const sig = ed25519.sign(MSG, kp.secretKey);
  if (toHex(sig) !== SIG) return { ok: false, detail: 'Ed25519 sign does not match RFC 8032 test 2' };
  if (!ed25519.verify(MSG, sig, kp.publicKey)) return { ok: false, detail: 'Ed25519 verify rejects RFC 8032 test 2' };
  const bad = sig.slice(); bad[0]! ^= 1;
  if (ed25519.verify(MSG, bad, kp.publicKey)) return { ok: false, detail: 'Ed25519 verify accepts a altered signature' };
  if (!equalBytes(sha512(new Uint8Array(0)).subarray(0, 4), fromHex('cf83e135')!)) return { ok: false, detail: 'SHA-512 of the empty string is wrong' };
  return { ok: true, detail: 'RFC 8032 test 2 and FIPS 180-4 empty-string vectors pass' };
}

/** Runs `n` signatures or verifications of a 200-byte message with one implementation. */
export function cryptoLoop(op: 'sign' | 'verify', impl: 'ours' | 'tweetnacl', n: number): number {
  const e: Ed25519Impl = impl === 'ours' ? ed25519 : tweetnaclEd25519;
  const kp = nacl.sign.keyPair.fromSeed(SEED);
  const msg = new Uint8Array(200).map((_, i) => i);
  const sig = tweetnaclEd25519.sign(msg, kp.secretKey);
  let okCount = 0;
  for (let i = 0; i < n; i++) {
    if (op === 'sign') { if (e.sign(msg, kp.secretKey).length === 64) okCount++; }
    else if (e.verify(msg, sig, kp.publicKey)) okCount++;
  }
  return okCount;
}
