// A minimal fleet backend for the simulator and tests (SPEC §7): verifies each journal batch against
// the device's registered key, keeps verified records once per (dev, seq), and answers with a
// signed acknowledgement of the highest seq it holds contiguously. The fleet consumer replaces it.

import { decode, encode } from '../src/core/codec/cbor';
import { sign1 } from '../src/core/crypto/cose';
import { newChain, verifyRecords, type ChainState } from '../src/core/journal/verify';
import { parseEntry, parseSeal, isSealBytes } from '../src/core/journal/entry';
import type { KeyPair } from '../src/node/keys';

export interface DeviceStore { chain: ChainState; entries: Map<number, Uint8Array>; acked: number; duplicates: number; rejected: number; lastError: string | null }

export class MiniBackend {
  devices = new Map<string, DeviceStore>();
  constructor(private key: KeyPair, private registry: (dev: string) => Uint8Array | null) {}

  private store(dev: string): DeviceStore {
    let s = this.devices.get(dev);
    if (!s) { s = { chain: newChain(), entries: new Map(), acked: 0, duplicates: 0, rejected: 0, lastError: null }; this.devices.set(dev, s); }
    return s;
  }

  /** Handles one `journal` payload; returns the ack to publish, or null. */
  onJournal(dev: string, payload: Uint8Array): Uint8Array | null {
    const pub = this.registry(dev);
    const s = this.store(dev);
    if (!pub) { s.rejected++; s.lastError = 'unknown device'; return null; }
    const d = decode(payload, 'journal batch');
    if (!d.ok || !Array.isArray(d.value) || !d.value.every((x) => x instanceof Uint8Array)) { s.rejected++; s.lastError = 'malformed batch'; return null; }
    const recs = (d.value as Uint8Array[]).map((x) => new Uint8Array(x));
    // Drop records already held (re-sends after a reconnect), then verify the rest as a chain.
    let i = 0;
    while (i < recs.length) {
      const r = recs[i]!;
      if (isSealBytes(r)) {
        // A seal over entries already held adds nothing: skip it with them.
        const sq = parseSeal(r);
        if (s.chain.lastSeq === null || i === 0 || (sq.ok && sq.value.payload.seq <= s.chain.lastSeq)) { i++; continue; }
        break;
      }
      const e = parseEntry(r);
      if (!e.ok || s.chain.lastSeq === null || e.value.seq > s.chain.lastSeq) break;
      s.duplicates++; i++;
    }
    const rest = recs.slice(i);
    // A leading seal for entries already held adds nothing; a batch of only those is a duplicate.
    while (rest.length && isSealBytes(rest[0]!)) rest.shift();
    if (rest.length) {
      const trial: ChainState = { ...s.chain, pending: new Map(s.chain.pending) };
      const v = verifyRecords(rest, pub, trial);
      if (!v.valid) { s.rejected++; s.lastError = v.firstBad!.reason; return this.ack(dev, s); }
      if (v.unsealed > 0) { s.rejected++; s.lastError = 'batch does not end with a covering seal'; return this.ack(dev, s); }
      s.chain = trial;
      for (const r of rest) if (!isSealBytes(r)) { const e = parseEntry(r); if (e.ok) s.entries.set(e.value.seq, r); }
    }
    return this.ack(dev, s);
  }

  private ack(dev: string, s: DeviceStore): Uint8Array | null {
    const upTo = s.chain.sealedThrough;
    if (!upTo) return null;
    s.acked = upTo;
    return sign1(encode({ dev, seq: upTo }), this.key.secretKey);
  }
}
