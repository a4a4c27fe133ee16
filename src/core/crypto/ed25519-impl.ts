// The Ed25519 (RFC 8032) primitives the agent signs and verifies with. One place decides which
// implementation runs, so the journal, COSE and the tools never pick their own.

import nacl from 'tweetnacl';
import { createEd25519 } from './ed25519';
import { sha512 } from './hash';

export interface Ed25519Impl {
  publicKey(seed32: Uint8Array): Uint8Array;
  sign(msg: Uint8Array, secretKey64: Uint8Array): Uint8Array;
  verify(msg: Uint8Array, sig: Uint8Array, pub32: Uint8Array): boolean;
}

/** tweetnacl's own Ed25519: the baseline `make bench` measures ours against, and a second opinion in tests. */
export const tweetnaclEd25519: Ed25519Impl = {
  publicKey: (seed) => nacl.sign.keyPair.fromSeed(seed).publicKey,
  sign: (msg, sk) => nacl.sign.detached(msg, sk),
  verify: (msg, sig, pub) => {
    if (sig.length !== 64 || pub.length !== 32) return false;
    try { return nacl.sign.detached.verify(msg, sig, pub); } catch { return false; }
  },
};

/** Our BigInt signer by default (byte-identical to tweetnacl); host tools swap in Node's native one. */
export let ed25519: Ed25519Impl = createEd25519((m) => sha512(m));
export function useEd25519(impl: Ed25519Impl): void { ed25519 = impl; }
