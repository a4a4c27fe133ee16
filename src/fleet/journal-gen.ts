// Real journals for load tests and benchmarks: the core's own Journal on an in-memory HAL, sealed
// with the terminal's key through Node's native signer, cut into the batches Telemetry.pump sends.

import { encode } from '../core/codec/cbor';
import { fakeHal, type FakeHal } from '../core/hal/fake';
import { Journal, type SealSigner } from '../core/journal/journal';
import { rec } from '../core/journal/records';
import type { Reason } from '../core/reasons/catalog';
import { newKeyPair, type KeyPair } from '../node/keys';
import { nativeEd25519 } from './native';

/** Decision bodies shaped like the agent's (SPEC §6): verdict, reasons with params, inputs. */
const SAMPLES = [
  { verdict: 'allow', reasons: [] },
  { verdict: 'deny', reasons: [{ name: 'GEO_OUTSIDE', severity: 'deny', params: { distanceKm: '12.4', radiusKm: '1', accuracyM: 15 } }] },
  { verdict: 'deny', reasons: [{ name: 'HOURS_CLOSED', severity: 'deny', params: { localTime: '22:40', weekday: 'Mon', todayHours: '09:00-22:00' } }] },
  { verdict: 'review', reasons: [{ name: 'GEO_UNCERTAIN', severity: 'review', params: { distanceKm: '0.9', radiusKm: '1', accuracyM: 300 } }] },
  { verdict: 'deny', reasons: [{ name: 'LIMIT_SINGLE', severity: 'deny', params: { amount: '60000.00', limit: '50000.00', channel: 'card' } }] },
  { verdict: 'allow', reasons: [] },
] as const;

export class GenTerminal {
  readonly hal: FakeHal;
  readonly journal: Journal;
  readonly signer: SealSigner;
  private n = 0;

  constructor(readonly dev: string, readonly kp: KeyPair = newKeyPair(), readonly startMs = Date.UTC(2026, 2, 2, 1, 0, 0)) {
    this.hal = fakeHal(startMs);
    this.hal.set.capacity(1 << 30);
    this.journal = new Journal(this.hal, dev);
    this.journal.open();
    this.signer = { pub: kp.pub, sign: (m) => nativeEd25519.sign(m, kp.secretKey) };
  }

  /** Appends `count` decision entries, sealing every `sealEvery` and at the end. */
  decisions(count: number, sealEvery = 16): void {
    for (let i = 0; i < count; i++) {
      const k = this.n++;
      const s = SAMPLES[k % SAMPLES.length]!;
      const t = this.startMs + k * 60_000;
      const localMinute = (9 * 60 + k) % 1440; // Shanghai: UTC+8, start 09:00 local
      const r = this.journal.append(rec.decision({
        txn: { ref: `${this.dev}.${k}`, type: 'sale', channel: 'card', amountMinor: 1000 + k, entryMode: '051', conditionCode: '00' },
        verdict: s.verdict, reasons: s.reasons as unknown as Reason[], sent: s.verdict !== 'deny',
        inputs: { monoMs: 0, fix: null, geo: 'inside', distanceM: 10, used: null, heapFree: 400_000, storageFree: 1 << 20, batchCount: 0, policyVersion: 1, localDate: '2026-03-02', localMinute },
      }), t);
      if (!r.ok) throw new Error(r.error);
      if (this.journal.unsealed >= sealEvery) this.seal(t);
    }
    if (this.journal.unsealed) this.seal(this.startMs + this.n * 60_000);
  }

  private seal(t: number): void {
    const s = this.journal.seal(this.signer, t);
    if (!s.ok) throw new Error(s.error);
  }

  /** The `journal` payloads from `fromSeq` on, cut as Telemetry.pump cuts them (SPEC §7). */
  batches(fromSeq = 1): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let next = fromSeq; next <= this.journal.sealedSeq;) {
      const b = this.journal.batchFrom(next);
      if (!b) break;
      out.push(encode(b.records));
      next = b.lastSeq + 1;
    }
    return out;
  }
}
