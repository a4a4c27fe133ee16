// Telemetry over the HAL's message link (SPEC §7), as a port: it reads sealed records from the
// journal (the outbox) and is told of acknowledgements; it never writes journal state. Batches go
// out from the acknowledged seq onwards, each ending with its covering seal, and are sent again
// until an acknowledgement covers them. Decisions, alerts and health are previews; the journal
// carries the truth.

import { encode } from '../codec/cbor';
import { ST, type Hal } from '../hal/types';
import type { Reason } from '../reasons/names';
import type { AlertKind } from './alerts';
import { topic, type Kind } from './topics';

/** Unacknowledged data is sent again after this long without an ack (virtual or real time). */
export const RESEND_AFTER_MS = 30_000;

/** The journal as telemetry sees it: read-only. */
export interface Outbox {
  readonly sealedSeq: number;
  readonly ackSeq: number;
  /** Stored records from `seq` up to and including the first seal covering them (SPEC §7 `journal`), and the seq they end at. */
  batchFrom(seq: number): { records: Uint8Array[]; lastSeq: number } | null;
}

export interface TelemetryDeps {
  hal: Hal;
  cfg: { dev: string; fleet: string };
  outbox: Outbox;
  now(): number;
  /** The birth announced on `status` at every connect. */
  birth(): Record<string, unknown>;
  /** One heartbeat's figures for `health`. */
  health(): Record<string, unknown>;
  /** Heartbeat period and journal batches per pump, from the policy. */
  settings(): { heartbeatS: number; uploadBatch: number };
}

export class Telemetry {
  sentThrough = 0;          // highest seq sent since the last (re)connect or ack
  lastSendMs = 0;
  lastHealthMs = 0;
  published = { count: 0, bytes: 0, byKind: {} as Record<string, number> };

  constructor(private d: TelemetryDeps) {}

  private t(kind: Kind) { return topic(this.d.cfg.fleet, this.d.cfg.dev, kind); }

  private publish(kind: Kind, body: unknown, retain = false): boolean {
    const net = this.d.hal.net;
    if (!net.connected()) return false;
    const payload = encode(body);
    if (net.publish(this.t(kind), payload, 1, retain) !== ST.OK) return false;
    this.published.count++; this.published.bytes += payload.length;
    this.published.byKind[kind] = (this.published.byKind[kind] ?? 0) + 1;
    return true;
  }

  /** At boot: the Last Will, the two topics that come down, and the birth if the link is up. */
  onBoot(): void {
    const net = this.d.hal.net;
    // The upload cursor starts at what the backend already holds, not at the journal's start.
    this.sentThrough = this.d.outbox.ackSeq;
    // SPEC §7: the Last Will on `status` says {online: false} if the link drops.
    net.will(this.t('status'), encode({ online: false, dev: this.d.cfg.dev }));
    net.subscribe(this.t('cmd'));
    net.subscribe(this.t('ack'));
    if (net.connected()) this.onConnect();
  }

  onConnect(): void {
    this.sentThrough = this.d.outbox.ackSeq; // re-send everything not yet acknowledged
    this.publish('status', { online: true, ...this.d.birth(), t: this.d.now() }, true);
    this.pump();
  }

  decision(seq: number, ref: string, verdict: string, reasons: Reason[]): void {
    this.publish('decision', { seq, ref, verdict, reasons: reasons.map((r) => r.name), t: this.d.now() });
  }

  alert(kind: AlertKind, detail: Record<string, unknown>, seq: number): void {
    this.publish('alert', { kind, detail, seq, t: this.d.now() });
  }

  /** The backend acknowledged through `seq` (the agent verified the ack and recorded it). */
  acked(seq: number): void {
    if (this.sentThrough < seq) this.sentThrough = seq;
    this.pump();
  }

  /** A `resend` command: upload again from `seq`. */
  resendFrom(seq: number): void { this.sentThrough = Math.max(0, Math.min(this.sentThrough, seq - 1)); }

  /** Sends what is sealed and not yet sent; re-sends after RESEND_AFTER_MS without an ack. */
  pump(): void {
    if (!this.d.hal.net.connected()) return;
    const o = this.d.outbox;
    const now = this.d.hal.clock.monoMs();
    if (this.sentThrough > o.ackSeq && now - this.lastSendMs >= RESEND_AFTER_MS) this.sentThrough = o.ackSeq;
    const { uploadBatch, heartbeatS } = this.d.settings();
    for (let k = 0; k < uploadBatch && this.sentThrough < o.sealedSeq; k++) {
      const b = o.batchFrom(this.sentThrough + 1);
      if (!b) break;
      if (!this.publish('journal', b.records)) break;
      this.sentThrough = b.lastSeq;
      this.lastSendMs = now;
    }
    if (now - this.lastHealthMs >= heartbeatS * 1000 || this.lastHealthMs === 0) {
      if (this.publish('health', this.d.health())) this.lastHealthMs = now || 1;
    }
  }
}
