// The bench bundle's entry (dist/bench/agent-bench.js): the shipped methods plus two measuring
// hooks that must never reach a terminal: `benchAppend` writes entries straight into the journal,
// `cryptoLoop` times our Ed25519 against tweetnacl's in the same VM (SPEC §8).

import nacl from 'tweetnacl';
import { defineAgent, type Method } from '../src/core/boundary';
import { ed25519, type Ed25519Impl } from '../src/core/crypto/ed25519-impl';
import { tweetnaclEd25519 } from '../src/node/tweetnacl-ed25519';
import { rec } from '../src/core/journal/records';
import { METHODS } from '../src/core/methods';
import { ok } from '../src/core/util/result';

const SEED = new Uint8Array(32).map((_, i) => i + 1);

/** `n` signatures or verifications of a 200-byte message with one implementation. */
let fixture: { kp: nacl.SignKeyPair; msg: Uint8Array; sig: Uint8Array } | null = null;
function cryptoLoop(op: 'sign' | 'verify', impl: 'ours' | 'tweetnacl', n: number): number {
  const e: Ed25519Impl = impl === 'ours' ? ed25519 : tweetnaclEd25519;
  // The key pair and the signature to verify are made once, outside every timed call.
  if (!fixture) {
    const kp = nacl.sign.keyPair.fromSeed(SEED), msg = new Uint8Array(200).map((_, i) => i);
    fixture = { kp, msg, sig: tweetnaclEd25519.sign(msg, kp.secretKey) };
  }
  const { kp, msg, sig } = fixture;
  let okCount = 0;
  for (let i = 0; i < n; i++) {
    if (op === 'sign') { if (e.sign(msg, kp.secretKey).length === 64) okCount++; }
    else if (e.verify(msg, sig, kp.publicKey)) okCount++;
  }
  return okCount;
}

const BENCH: Record<string, Method> = {
  ...METHODS,
  // `n` clock-sync entries appended (no checks, no seal) to time the journal alone.
  benchAppend: (a, x) => {
    const n = Math.min(10_000, Math.max(1, x?.n | 0));
    for (let i = 0; i < n; i++) a.ctx.record(rec.clockSync(a.journal.ledger.highWaterMs));
    return ok(n);
  },
  cryptoLoop: (_a, x) => ok(cryptoLoop(x?.op === 'verify' ? 'verify' : 'sign', x?.impl === 'tweetnacl' ? 'tweetnacl' : 'ours', Math.min(1000, Math.max(1, x?.n | 0)))),
};

defineAgent(BENCH, 'bench');
