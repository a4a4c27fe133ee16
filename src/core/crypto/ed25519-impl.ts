// The Ed25519 (RFC 8032) primitives the agent signs and verifies with. One place decides which
// implementation runs, so the journal, COSE and the tools never pick their own: our BigInt signer
// by default (ed25519.ts, byte-identical to tweetnacl's); host tools swap in Node's native one.

import { createEd25519 } from './ed25519';
import { sha512 } from './hash';

export interface Ed25519Impl {
  publicKey(seed32: Uint8Array): Uint8Array;
  sign(msg: Uint8Array, secretKey64: Uint8Array): Uint8Array;
  verify(msg: Uint8Array, sig: Uint8Array, pub32: Uint8Array): boolean;
}

/** The portable signer, over whichever SHA-512 is wired (hash.ts). */
export const portableEd25519: Ed25519Impl = createEd25519((m) => sha512(m));

export let ed25519: Ed25519Impl = portableEd25519;
export function useEd25519(impl: Ed25519Impl): void { ed25519 = impl; }
