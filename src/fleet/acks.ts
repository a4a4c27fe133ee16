// Signed acknowledgements (SPEC §6, §7): COSE_Sign1 by the backend key over CBOR {dev, seq, head}
// (core/telemetry/wire.ts ACK), the highest seq verified and stored and the start of that stored
// entry's chain hash, so the ack is this chain's and no other terminal's under the same id. Sent
// only after the commit is made durable: the terminal frees its journal on this word. Grouped: one
// fsync and one ack per device per flush, however many batches.

import { createPrivateKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import { encode } from '../core/codec/cbor';
import { assemble, protectedHeader, toBeSigned } from '../core/crypto/cose';
import { chainHash } from '../core/journal/entry';
import { topic } from '../core/telemetry/topics';
import { ackBody } from '../core/telemetry/wire';
import type { KeyPair } from '../node/keys';
import type { FleetStore } from './store';

export type PublishAck = (topicName: string, payload: Uint8Array) => Promise<void>;

export interface AckerOptions {
  store: FleetStore;
  key: KeyPair | null;            // null: an observer that stores but never acknowledges
  publish: PublishAck;
  delayMs?: number;               // group window; a flush also happens once `maxPending` devices wait
  maxPending?: number;
  now?: () => number;
  onAck?: (dev: string, seq: number) => void;
  onError?: (dev: string, e: Error) => void;
}

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex'); // RFC 8410 prefix of a 32-byte seed
const signers = new WeakMap<KeyPair, { key: KeyObject; prot: Uint8Array }>();

/** The same bytes as sign1(encode(ackBody(dev, seq, head)), key.secretKey), with the key object built once, not per ack. */
export function ackPayload(dev: string, seq: number, head: Uint8Array, kp: KeyPair): Uint8Array {
  let s = signers.get(kp);
  if (!s) {
    s = { key: createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, kp.seed]), format: 'der', type: 'pkcs8' }), prot: protectedHeader(kp.pub) };
    signers.set(kp, s);
  }
  const payload = encode(ackBody(dev, seq, head));
  return assemble(s.prot, payload, new Uint8Array(nodeSign(null, toBeSigned(s.prot, payload), s.key)));
}

export class Acker {
  private pending = new Map<string, { fleet: string; seq: number }>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inflight = new Set<Promise<void>>();
  sent = 0;

  constructor(private o: AckerOptions) {}

  /** Asks for an ack of `seq` (what the store holds for dev); the highest asked wins. */
  want(fleet: string, dev: string, seq: number): void {
    if (!this.o.key || seq <= 0) return;
    const p = this.pending.get(dev);
    if (!p || p.seq < seq) this.pending.set(dev, { fleet, seq });
    if (this.pending.size >= (this.o.maxPending ?? 512)) { this.flush(); return; }
    if (!this.timer) this.timer = setTimeout(() => { this.timer = null; this.flush(); }, this.o.delayMs ?? 20);
  }

  /** Re-acknowledges what is stored but was never acknowledged (a crash between commit and ack). */
  async resume(): Promise<number> {
    const rows = await this.o.store.unacked();
    for (const r of rows) this.want(r.fleet, r.dev, r.last_seq);
    return rows.length;
  }

  /** fsync, then one signed ack per waiting device. Returns when they are handed to the broker. */
  flush(): Promise<void> {
    if (this.timer) { clearTimeout(this.timer); this.timer = null; }
    if (!this.pending.size || !this.o.key) return Promise.resolve();
    const batch = [...this.pending];
    this.pending.clear();
    const p = this.send(batch);
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
  }

  private async send(batch: [string, { fleet: string; seq: number }][]): Promise<void> {
    try {
      await this.o.store.syncDurable((this.o.now ?? Date.now)());
    } catch (e) {
      // Not durable yet (the database stayed locked): keep them waiting, try again shortly.
      for (const [dev, a] of batch) if ((this.pending.get(dev)?.seq ?? 0) < a.seq) this.pending.set(dev, a);
      this.o.onError?.('fsync', e as Error);
      if (!this.timer) this.timer = setTimeout(() => { this.timer = null; this.flush(); }, 1_000);
      return;
    }
    const key = this.o.key!;
    await Promise.all(batch.map(async ([dev, a]) => {
      try {
        const held = (await this.o.store.held(dev, a.seq, a.seq)).get(a.seq);
        if (!held) throw new Error(`entry ${a.seq} is not in the store`);
        await this.o.publish(topic(a.fleet, dev, 'ack'), ackPayload(dev, a.seq, chainHash(held), key));
        this.sent++;
        await this.o.store.setAcked(dev, a.seq);
        this.o.onAck?.(dev, a.seq);
      } catch (e) {
        this.o.onError?.(dev, e as Error); // the terminal re-sends; its duplicate brings the ack again
      }
    }));
  }

  /** True while acks wait for their group to flush or for the broker to take them. */
  busy(): boolean { return this.pending.size > 0 || this.inflight.size > 0; }

  /** Flushes and waits for every ack handed out so far (at shutdown), at most `timeoutMs`. */
  async drain(timeoutMs = 5_000): Promise<void> {
    void this.flush();
    let t: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all([...this.inflight]), new Promise((r) => { t = setTimeout(r, timeoutMs); })]);
    clearTimeout(t);
  }
}
