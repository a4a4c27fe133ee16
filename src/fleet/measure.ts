// SPEC §8 `verify_entries_per_s` (the consumer verifying a long journal, one core) beside
// `node_ed25519_verify_per_s` (Node's native Ed25519 verify, the limit), measured in one run.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newChain, verifyRecords } from '../core/journal/verify';
import { readBatch } from './batch';
import { Ingest } from './ingest';
import { GenTerminal } from './journal-gen';
import { nativeEd25519, useNativeCrypto } from './native';
import { Registry } from './registry';
import { SqliteStore } from './store-sqlite';

export interface VerifyMeasure {
  verify_entries_per_s: number;       // decode + chain + seal check, batch after batch, carried chain
  node_ed25519_verify_per_s: number;  // crypto.verify alone, same key and payload size as a seal
  ingest_entries_per_s: number;       // verify + dedup + SQLite commit per batch (what one consumer sustains)
  entries: number; seal_every: number;
}

export async function measureVerify(o: { entries?: number; sealEvery?: number; rounds?: number } = {}): Promise<VerifyMeasure> {
  useNativeCrypto();
  const entries = o.entries ?? 20_000, sealEvery = o.sealEvery ?? 16, rounds = o.rounds ?? 3;
  const g = new GenTerminal('BENCH-1');
  g.decisions(entries, sealEvery);
  const payloads = g.batches(1);

  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const chain = { ...newChain(), dev: g.dev };
    for (const p of payloads) {
      const b = readBatch(p);
      if (!b.ok || !verifyRecords(b.value.records, g.kp.pub, chain).valid) throw new Error('benchmark journal did not verify');
    }
    best = Math.min(best, performance.now() - t0);
  }

  const dir = mkdtempSync(join(tmpdir(), 'pf-measure-'));
  let ingestMs: number;
  try {
    const st = SqliteStore.open(join(dir, 'm.sqlite'));
    if (!st.ok) throw new Error(st.error);
    const reg = { lookup: (d: string) => (d === g.dev ? { ok: true as const, value: g.kp.pub } : { ok: false as const, error: 'unknown' }), fleetOf: () => null } as unknown as Registry;
    const ing = new Ingest({ store: st.value, registry: reg });
    const t0 = performance.now();
    for (const p of payloads) if ((await ing.handle(`preflight/v1/bench/${g.dev}/journal`, p)).stored === 0) throw new Error('benchmark batch not stored');
    ingestMs = performance.now() - t0;
    await st.value.close();
  } finally { rmSync(dir, { recursive: true, force: true }); }

  // A seal-sized message signed once; verify it repeatedly for ~300 ms.
  const msg = new Uint8Array(120).fill(7);
  const sig = nativeEd25519.sign(msg, g.kp.secretKey);
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < 300) {
    for (let i = 0; i < 200; i++) if (!nativeEd25519.verify(msg, sig, g.kp.pub)) throw new Error('native verify failed');
    n += 200;
    t = performance.now();
  }
  return {
    verify_entries_per_s: Math.round(entries / (best / 1000)),
    node_ed25519_verify_per_s: Math.round(n / ((t - t0) / 1000)),
    ingest_entries_per_s: Math.round(entries / (ingestMs / 1000)),
    entries, seal_every: sealEvery,
  };
}
