// Telemetry over the HAL's message link (SPEC §7), as a port: it reads sealed records from the
// journal (the outbox) and is told of acknowledgements; it never writes journal state. Batches go
// out once as they are sealed, each ending with its covering seal; what no acknowledgement covers
// is re-sent from the acknowledged seq, backing off exponentially with jitter (capped) on the HAL's
// monotonic clock, so a terminal nobody acknowledges costs a bounded number of bytes an hour. A
// re-send is one batch (a probe); once an ack covers it, the rest follows a window at a time.
// Sealed batches wait up to `telemetry.uploadEveryS` and then travel together, several seals to a
// message (issue 18: each message costs its framing, a PUBACK and a signed ack on a metered link);
// a seal that is not the timer's (settlement, shutdown, a key rotation) goes out at once.
// One birth per connect, the retained {online: false} at a clean shutdown. Decisions, alerts and
// health are previews; the journal carries the truth.

import { encode } from '../codec/cbor';
import { ST, type Hal } from '../hal/types';
import { parseEntry } from '../journal/entry';
import type { Reason } from '../reasons/names';
import type { AlertKind } from './alerts';
import { topic, type Kind } from './topics';
import { healthBody, previewBody } from './wire';

/** The first re-send of unacknowledged data comes this long after it was sent (HAL monotonic time, virtual in the simulator). */
export const RESEND_AFTER_MS = 30_000;
/** Each re-send without an ack doubles the wait, up to this cap (SPEC §7: bounded bytes an hour). */
export const RESEND_MAX_MS = 15 * 60_000;
/** How long sealed batches wait to travel together when the policy does not say (`telemetry.uploadEveryS`; 0: at once). */
export const UPLOAD_EVERY_S = 300;
/** A journal message takes whole sealed batches until it reaches this many bytes (a probe takes one). */
export const UPLOAD_MAX_BYTES = 8 * 1024;
/** A wait is drawn from [JITTER_FLOOR, 1] of the current backoff, so a fleet's terminals do not re-send in step. */
export const JITTER_FLOOR = 0.75;

/** The journal as telemetry sees it: read-only. */
export interface Outbox {
  readonly sealedSeq: number;
  readonly ackSeq: number;
  /**
   * Stored records from `seq` up to and including the first seal covering them (SPEC §7 `journal`),
   * and the seq they end at; with `maxBytes`, further whole batches until the records reach it.
   */
  batchFrom(seq: number, maxBytes?: number): { records: Uint8Array[]; lastSeq: number } | null;
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
  /** Heartbeat period, journal messages per pump and how long sealed batches may wait to travel together, from the policy. */
  settings(): { heartbeatS: number; uploadBatch: number; uploadEveryS: number };
}

/** Sealed entries no acknowledgement covers yet, how long the oldest has waited, and what the link knows (status, health, birth, doctor). */
export interface Waiting {
  from: number; to: number;
  /** Wall ms of the oldest unacknowledged entry (as journaled), and its age now. */
  sinceT: number; ageS: number;
  /** Acknowledgements that moved the mark since boot; mono-ms age of the last one (null: none since boot). */
  acksSinceBoot: number; lastAckAgeS: number | null;
  connected: boolean; everConnected: boolean;
  /** Re-sends since boot, the current backoff and when the next re-send is due (seconds from now). */
  resends: number; backoffS: number; nextResendS: number | null;
}

export class Telemetry {
  sentThrough = 0;          // highest seq sent at least once in this boot
  lastHealthMs = 0;
  published = { count: 0, bytes: 0, byKind: {} as Record<string, number> };
  /** Backoff state (SPEC §7), in HAL monotonic ms. */
  backoffMs = RESEND_AFTER_MS;
  nextResendMs: number | null = null;
  resends = 0;
  /** Last seq of the re-send in flight (a probe or a window); 0 when none. */
  private resendUpTo = 0;
  private online = false;   // a birth went out on this connection
  private stopped = false;  // shut down cleanly: no birth after the offline status
  private everConnected = false;
  private acks = 0;
  private lastAckMono: number | null = null;
  private oldest: { seq: number; t: number } | null = null;
  /** Mono ms since sealed records have waited unsent (null: none wait); `flushNow`: send them at the next pump. */
  private pendingSince: number | null = null;
  private flushNow = false;

  constructor(private d: TelemetryDeps) {}

  private t(kind: Kind) { return topic(this.d.cfg.fleet, this.d.cfg.dev, kind); }
  private mono() { return this.d.hal.clock.monoMs(); }

  private publish(kind: Kind, body: unknown, retain = false): boolean {
    const net = this.d.hal.net;
    if (!net.connected()) return false;
    const payload = encode(body);
    if (net.publish(this.t(kind), payload, 1, retain) !== ST.OK) return false;
    this.published.count++; this.published.bytes += payload.length;
    this.published.byKind[kind] = (this.published.byKind[kind] ?? 0) + 1;
    return true;
  }

  /** A wait of the current backoff, jittered with the HAL's random source. */
  private jittered(): number {
    const r = new Uint8Array(2);
    const u = this.d.hal.random.fill(r) === ST.OK ? ((r[0]! << 8) | r[1]!) / 65536 : 1;
    return Math.round(this.backoffMs * (JITTER_FLOOR + (1 - JITTER_FLOOR) * u));
  }
  private arm(now: number): void { this.nextResendMs = now + this.jittered(); }

  /** At boot: the Last Will, the two topics that come down, and the birth if the link is up. */
  onBoot(): void {
    const net = this.d.hal.net;
    // What earlier boots sent and nobody acknowledged is not sent again in full: the connect's
    // probe finds out whether a consumer is there (SPEC §7), and an ack brings the rest.
    this.sentThrough = Math.max(this.d.outbox.ackSeq, this.d.outbox.sealedSeq);
    // SPEC §7: the Last Will on `status` says {online: false} if the link drops.
    net.will(this.t('status'), encode({ online: false, dev: this.d.cfg.dev }));
    net.subscribe(this.t('cmd'));
    net.subscribe(this.t('ack'));
    if (net.connected()) this.onConnect();
  }

  /** The link came up: one birth per connection however often the platform says so (issue 19), then a prompt probe. */
  onConnect(): void {
    if (!this.d.hal.net.connected()) return;
    if (this.online || this.stopped) { this.pump(); return; }
    if (!this.publish('status', { online: true, ...this.d.birth(), ...this.waitingBody(), t: this.d.now() }, true)) return;
    this.online = true; this.everConnected = true;
    // A new connection may be a new broker or a consumer that came back: the backoff starts over,
    // and what was sent before and never acknowledged is probed now (data not yet sent goes out in pump).
    this.backoffMs = RESEND_AFTER_MS; this.resendUpTo = 0; this.nextResendMs = null;
    if (this.d.outbox.ackSeq < this.sentThrough) this.resend(this.d.outbox.ackSeq, 1, this.mono());
    this.flush();
  }

  /** Sends what is sealed now rather than at the end of the upload window (a connect, a seal that was not the timer's). */
  flush(): void { this.flushNow = true; this.pump(); }

  /** The link went down: the next connect announces itself again. */
  onDisconnect(): void { this.online = false; }

  /** Clean shutdown (SPEC §7): the retained status says the terminal is offline; a Last Will would not, on a clean disconnect. */
  onShutdown(): boolean {
    const ok = this.publish('status', { online: false, dev: this.d.cfg.dev, clean: true, ...this.waitingBody(), t: this.d.now() }, true);
    this.online = false; this.stopped = true;
    return ok;
  }

  decision(seq: number, ref: string, verdict: string, reasons: Reason[]): void {
    this.publish('decision', previewBody(seq, ref, verdict, reasons, this.d.now()));
  }

  alert(kind: AlertKind, detail: Record<string, unknown>, seq: number): void {
    this.publish('alert', { kind, detail, seq, t: this.d.now() });
  }

  /** The backend acknowledged through `seq` (the agent verified the ack and recorded it): the backoff starts over. */
  acked(seq: number): void {
    const now = this.mono();
    this.acks++; this.lastAckMono = now;
    this.backoffMs = RESEND_AFTER_MS;
    if (this.sentThrough < seq) this.sentThrough = seq;
    if (this.resendUpTo && seq >= this.resendUpTo) {
      // The re-send reached a consumer: it is there and missing the rest, so the next window follows now.
      this.resendUpTo = 0;
      if (seq < this.sentThrough) this.resend(seq, this.d.settings().uploadBatch, now, UPLOAD_MAX_BYTES);
    }
    if (this.d.outbox.ackSeq >= this.sentThrough) { this.nextResendMs = null; this.resendUpTo = 0; }
    else if (!this.resendUpTo) this.arm(now);
    this.pump();
  }

  /** A `resend` command: upload again from `seq`. */
  resendFrom(seq: number): void { this.sentThrough = Math.max(0, Math.min(this.sentThrough, seq - 1)); }

  /** Again from after `ackSeq` up to what was already sent once: a probe is one sealed batch (`maxBytes` 0), small while nobody may listen; a window is `messages` full ones. */
  private resend(ackSeq: number, messages: number, now: number, maxBytes = 0): void {
    let at = ackSeq;
    for (let k = 0; k < messages && at < this.sentThrough; k++) {
      const b = this.d.outbox.batchFrom(at + 1, maxBytes);
      if (!b || !this.publish('journal', b.records)) break;
      at = b.lastSeq;
    }
    if (at > this.sentThrough) this.sentThrough = at;   // a window may carry what was sealed since
    if (at > ackSeq) { this.resendUpTo = at; this.resends++; }
    this.arm(now);
  }

  /** Sends what is sealed and not yet sent; re-sends a probe when the backoff says so. */
  pump(): void {
    if (!this.d.hal.net.connected()) { this.online = false; return; }
    const o = this.d.outbox;
    const now = this.mono();
    const { uploadBatch, heartbeatS, uploadEveryS } = this.d.settings();
    if (this.sentThrough < o.sealedSeq) this.pendingSince ??= now;
    for (let k = 0; k < uploadBatch && this.sentThrough < o.sealedSeq && (this.flushNow || now - this.pendingSince! >= uploadEveryS * 1000); k++) {
      const b = o.batchFrom(this.sentThrough + 1, UPLOAD_MAX_BYTES);
      if (!b) break;
      if (!this.publish('journal', b.records)) break;
      this.sentThrough = Math.max(this.sentThrough, b.lastSeq);
      if (this.nextResendMs === null) this.arm(now);
    }
    if (this.sentThrough >= o.sealedSeq) { this.pendingSince = null; this.flushNow = false; }
    if (o.ackSeq < this.sentThrough && this.nextResendMs !== null && now >= this.nextResendMs) {
      // Nobody acknowledged in time: one batch from the mark (a probe), then wait twice as long.
      this.resend(o.ackSeq, 1, now);
      this.backoffMs = Math.min(this.backoffMs * 2, RESEND_MAX_MS);
    }
    if (now - this.lastHealthMs >= heartbeatS * 1000 || this.lastHealthMs === 0) {
      if (this.publish('health', healthBody({ ...this.d.health(), ...this.waitingBody() }))) this.lastHealthMs = now || 1;
    }
  }

  /** Ms until `pump` has work by the clock (a heartbeat, the end of the upload window, a re-send); Infinity while offline. */
  dueInMs(): number {
    if (!this.d.hal.net.connected()) return Infinity;
    const { heartbeatS, uploadEveryS } = this.d.settings(), p = this.pendingSince, r = this.nextResendMs;
    return Math.max(0, Math.min(this.lastHealthMs && this.lastHealthMs + heartbeatS * 1000,
      p === null ? Infinity : this.flushNow ? 0 : p + uploadEveryS * 1000,
      r !== null && this.d.outbox.ackSeq < this.sentThrough ? r : Infinity) - this.mono());
  }

  /** What waits for an acknowledgement (null: nothing sealed is unacknowledged). */
  waiting(): Waiting | null {
    const o = this.d.outbox;
    if (o.ackSeq >= o.sealedSeq) return null;
    const from = o.ackSeq + 1, now = this.mono();
    if (!this.oldest || this.oldest.seq !== from) {
      const b = o.batchFrom(from);
      let t = 0;
      for (const r of b?.records ?? []) { const e = parseEntry(r); if (e.ok) { t = e.value.t; break; } }
      this.oldest = { seq: from, t };
    }
    const wall = this.d.now();
    return {
      from, to: o.sealedSeq, sinceT: this.oldest.t, ageS: this.oldest.t ? Math.max(0, Math.floor((wall - this.oldest.t) / 1000)) : 0,
      acksSinceBoot: this.acks, lastAckAgeS: this.lastAckMono === null ? null : Math.floor((now - this.lastAckMono) / 1000),
      connected: this.d.hal.net.connected(), everConnected: this.everConnected,
      resends: this.resends, backoffS: Math.round(this.backoffMs / 1000),
      nextResendS: this.nextResendMs === null ? null : Math.max(0, Math.round((this.nextResendMs - now) / 1000)),
    };
  }

  /** The short form birth and health carry: the range and the oldest entry's age. */
  private waitingBody(): Record<string, unknown> {
    const w = this.waiting();
    return w ? { unacked: { from: w.from, to: w.to, ageS: w.ageS } } : {};
  }
}
