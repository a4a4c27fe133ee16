// Ed25519 through Node's own crypto (OpenSSL) for host tools: the fleet consumer, the simulator's
// backend and the CLI verify thousands of seals; the terminal keeps its pure-JS implementation.

import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import nacl from 'tweetnacl';
import type { Ed25519Impl } from '../core/crypto/ed25519-impl';

const SPKI = Buffer.from('302a300506032b6570032100', 'hex');   // RFC 8410 SubjectPublicKeyInfo prefix
const PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const pubCache = new Map<string, ReturnType<typeof createPublicKey>>();

export const nativeEd25519: Ed25519Impl = {
  publicKey: (seed) => nacl.sign.keyPair.fromSeed(seed).publicKey,
  sign: (msg, sk) => new Uint8Array(sign(null, msg, createPrivateKey({ key: Buffer.concat([PKCS8, sk.subarray(0, 32)]), format: 'der', type: 'pkcs8' }))),
  verify: (msg, sig, pub) => {
    if (sig.length !== 64 || pub.length !== 32) return false;
    const k = Buffer.from(pub).toString('hex');
    let key = pubCache.get(k);
    try {
      if (!key) { key = createPublicKey({ key: Buffer.concat([SPKI, pub]), format: 'der', type: 'spki' }); if (pubCache.size < 100_000) pubCache.set(k, key); }
      return verify(null, msg, key, sig);
    } catch { return false; }
  },
};
