// tweetnacl's own Ed25519 behind the agent's Ed25519Impl: the baseline `make bench` measures ours
// against (inside QuickJS, in the bench bundle), and a second opinion in tests. Never on a terminal.

import nacl from 'tweetnacl';
import type { Ed25519Impl } from '../core/crypto/ed25519-impl';

export const tweetnaclEd25519: Ed25519Impl = {
  publicKey: (seed) => nacl.sign.keyPair.fromSeed(seed).publicKey,
  sign: (msg, sk) => nacl.sign.detached(msg, sk),
  verify: (msg, sig, pub) => {
    if (sig.length !== 64 || pub.length !== 32) return false;
    try { return nacl.sign.detached.verify(msg, sig, pub); } catch { return false; }
  },
};
