// The fleet consumer verifies thousands of seals and hashes every stored entry: it swaps the core's
// pure-JS Ed25519 and SHA-512 for Node's OpenSSL ones (SPEC §8 verify_entries_per_s). Host only.

import { createHash } from 'node:crypto';
import { useEd25519 } from '../core/crypto/ed25519-impl';
import { useSha512 } from '../core/crypto/hash';
import { nativeEd25519 } from '../node/native-crypto';

let wired = false;

/** Idempotent: call once at consumer start (and in benchmarks) before any verification. */
export function useNativeCrypto(): void {
  if (wired) return;
  useEd25519(nativeEd25519);
  useSha512((m) => new Uint8Array(createHash('sha512').update(m).digest()));
  wired = true;
}

export { nativeEd25519 };
