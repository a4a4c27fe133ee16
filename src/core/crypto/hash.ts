// SHA-512 (FIPS 180-4) for the journal chain, seals and key ids: our portable one (sha512.ts) by
// default; a terminal whose firmware has a hardware hash can hand one in through the HAL.

import { sha512js } from './sha512';

export type Sha512 = (msg: Uint8Array) => Uint8Array;

let impl: Sha512 = sha512js;

/** Wired once at start from the HAL (agent.ts); the output length is checked, not trusted. */
export function useSha512(native: Sha512 | undefined): void {
  if (!native) { impl = sha512js; return; }
  impl = (m) => {
    const h = native(m);
    if (!(h instanceof Uint8Array) || h.length !== 64) return sha512js(m);
    return h;
  };
}

export const sha512 = (m: Uint8Array): Uint8Array => impl(m);
/** SPEC §6: chain and seal heads are the first 32 bytes of SHA-512. */
export const head32 = (m: Uint8Array): Uint8Array => impl(m).slice(0, 32);
/** SPEC §6: a key id is the first 8 bytes of SHA-512 of the public key. */
export const kidOf = (pub: Uint8Array): Uint8Array => impl(pub).slice(0, 8);
