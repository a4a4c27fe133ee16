// Telemetry over the HAL's message link (SPEC §7). The journal is the outbox: batches are sent
// from the acknowledged seq onwards, each ending with its covering seal, and re-sent until a
// signed acknowledgement from the backend covers them; only then may compaction free them.
// Decisions, alerts and health are best-effort extras: the journal carries the truth.

import { decode, encode } from '../codec/cbor';
import { openSign1 } from '../crypto/cose';
import { ST, type HalEvent } from '../hal/types';
import { trustAnchors } from '../policy/store';
import type { Reason } from '../reasons/catalog';
import type { TelemetryHost } from '../agent/ports';
import { parseTopic, topic, type Kind } from './topics';

const ACK_FILE = 'ack';
/** Unacknowledged data is sent again after this long without an ack (virtual or real time). */
export const RESEND_AFTER_MS = 30_000;

export class Telemetry {
  sentThrough = 0;          // highest seq sent since the last (re)connect
  lastSendMs = 0;
  lastHealthMs = 0;
  published = { count: 0, bytes: 0, byKind: {} as Record<string, number> };

  constructor(private agent: TelemetryHost) {}

  private get hal() { return this.agent.hal; }
  private t(kind: Kind) { return topic(this.agent.cfg.fleet, this.agent.cfg.dev, kind); }

  private publish(kind: Kind, body: unknown, retain = false): boolean {
    if (!this.hal.net.connected()) return false;
    const payload = encode(body);
    const st = this.hal.net.publish(this.t(kind), payload, 1, retain);
    if (st !== ST.OK) return false;
    this.published.count++; this.published.bytes += payload.length;
    this.published.byKind[kind] = (this.published.byKind[kind] ?? 0) + 1;
    return true;
  }

  onBoot(): void {
    const n = this.hal.storage.size(ACK_FILE);
    const b = n > 0 && n < 64 ? this.hal.storage.read(ACK_FILE, 0, n) : null;
    const d = b ? decode(b, 'ack file') : null;
    if (d && d.ok && typeof (d.value as { seq?: unknown }).seq === 'number') this.agent.journal.ackSeq = (d.value as { seq: number }).seq;
    // The upload cursor starts at what the backend already holds, not at the journal's start.
    this.sentThrough = this.agent.journal.ackSeq;
    // SPEC §7: the Last Will on `status` says {online: false} if the link drops.
    this.hal.net.will(this.t('status'), encode({ online: false, dev: this.agent.cfg.dev }));
    this.hal.net.subscribe(this.t('cmd'));
    this.hal.net.subscribe(this.t('ack'));
    if (this.hal.net.connected()) this.onConnect();
  }

  private onConnect(): void {
    this.sentThrough = this.agent.journal.ackSeq; // re-send everything not yet acknowledged
    const s = this.agent.status();
    this.publish('status', { online: true, dev: s.dev, pub: s.pub, abi: s.abi, seq: s.seq, policyVersion: s.policyVersion, t: this.agent.now() }, true);
    this.pump();
  }

  decision(seq: number, ref: string, verdict: string, reasons: Reason[]): void {
    this.publish('decision', { seq, ref, verdict, reasons: reasons.map((r) => r.name), t: this.agent.now() });
  }

  alert(kind: string, detail: Record<string, unknown>): void {
    this.publish('alert', { kind, detail, seq: this.agent.journal.seq, t: this.agent.now() });
  }

  sealed(): void { this.pump(); }

  /** Sends what is sealed and not yet sent; re-sends after RESEND_AFTER_MS without an ack. */
  pump(): void {
    if (!this.hal.net.connected()) return;
    const j = this.agent.journal;
    const now = this.hal.clock.monoMs();
    if (this.sentThrough > j.ackSeq && now - this.lastSendMs >= RESEND_AFTER_MS) this.sentThrough = j.ackSeq;
    const rounds = this.agent.policy?.telemetry.uploadBatch ?? 32; // batches per pump, so one pump stays short
    for (let k = 0; k < rounds && this.sentThrough < j.sealedSeq; k++) {
      const recs = j.batchFrom(this.sentThrough + 1);
      if (!recs.length) break;
      if (!this.publish('journal', recs)) break;
      this.sentThrough += recs.length - 1;
      this.lastSendMs = now;
    }
    const hb = (this.agent.policy?.telemetry.heartbeatS ?? 300) * 1000;
    if (now - this.lastHealthMs >= hb || this.lastHealthMs === 0) {
      const s = this.agent.status();
      if (this.publish('health', {
        heapFree: this.hal.sys.heapFreeBytes(), storageFree: this.hal.storage.freeBytes(), batch: s.batch,
        battery: this.hal.sys.batteryPct(), uptimeS: Math.floor(now / 1000), fw: this.hal.sys.firmware(),
        version: this.agent.cfg.version ?? '0', policyVersion: s.policyVersion, unsealed: s.unsealed, seq: s.seq, ackSeq: s.ackSeq,
      })) this.lastHealthMs = now || 1;
    }
  }

  onEvent(ev: HalEvent): void {
    if (ev.t === 'net.state') { if (ev.up) this.onConnect(); return; }
    if (ev.t === 'tick') { this.pump(); return; }
    if (ev.t !== 'net.msg') return;
    const tp = parseTopic(ev.topic);
    if (!tp || tp.dev !== this.agent.cfg.dev) return;
    if (tp.kind === 'ack') this.onAck(ev.payload);
    else if (tp.kind === 'cmd') this.agent.command(ev.payload);
  }

  /** An acknowledgement signed by the backend key: the highest seq it verified and stored. */
  onAck(bytes: Uint8Array): { ok: boolean; why?: string } {
    const o = openSign1(bytes, trustAnchors(this.hal, 'backend'), 'ack');
    if (!o.ok) { this.hal.log(2, o.error); return { ok: false, why: o.error }; }
    const d = decode(o.value.payload, 'ack payload');
    const a = d.ok ? (d.value as { dev?: unknown; seq?: unknown }) : null;
    if (!a || a.dev !== this.agent.cfg.dev || typeof a.seq !== 'number' || !Number.isSafeInteger(a.seq)) return { ok: false, why: 'ack payload malformed or for another device' };
    const j = this.agent.journal;
    // An ack beyond what was sealed is a forgery or a bug; never let it free unsealed entries.
    if (a.seq > j.sealedSeq) return { ok: false, why: `ack for seq ${a.seq} beyond the sealed ${j.sealedSeq}` };
    if (a.seq <= j.ackSeq) return { ok: true };
    j.ackSeq = a.seq;
    this.hal.storage.replace(ACK_FILE, encode({ seq: a.seq }));
    j.compact();
    this.pump();
    return { ok: true };
  }
}
