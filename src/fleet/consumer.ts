// The consumer core, independent of the transport: one message in -> ingest (verify, store,
// commit) -> events out -> ack requested. The transport acknowledges the message to its broker
// (MQTT PUBACK, JetStream ack) only after the promise of `handle` resolves, i.e. after the commit,
// and hands it the next message only then: one message at a time, in the broker's order.

import { Acker, type PublishAck } from './acks';
import { Ingest, type Handled } from './ingest';
import type { Registry } from './registry';
import type { FleetStore } from './store';
import type { KeyPair } from '../node/keys';

export type FleetEvent =
  | { event: 'batch'; dev: string; fleet: string; stored: number; from: number | null; to: number | null; duplicates: number }
  | { event: 'duplicate'; dev: string; fleet: string; entries: number }
  | { event: 'parked'; dev: string; fleet: string }
  | { event: 'alert'; dev: string | null; kind: string; severity: string; why: string; seq: number | null; repeated: boolean }
  | { event: 'status'; dev: string; online: boolean }
  | { event: 'ack'; dev: string; seq: number }
  | { event: 'error'; where: string; message: string };

export interface Counters {
  messages: number; batches: number; stored: number; duplicates: number; replays: number;
  parked: number; rejected: number; alerts: number; acks: number; errors: number;
}

export interface ConsumerOptions {
  store: FleetStore; registry: Registry; backendKey: KeyPair | null; publishAck: PublishAck;
  onEvent?: (e: FleetEvent) => void;
  ackDelayMs?: number;
  now?: () => number;
  /** Fault knob for tests: runs right after a message's commit, before its broker ack and our ack. */
  afterCommit?: (messages: number) => void;
}

export class Consumer {
  readonly counters: Counters = { messages: 0, batches: 0, stored: 0, duplicates: 0, replays: 0, parked: 0, rejected: 0, alerts: 0, acks: 0, errors: 0 };
  lastMessageAt: number;
  readonly ingest: Ingest;
  readonly acker: Acker;
  private emit: (e: FleetEvent) => void;

  constructor(private o: ConsumerOptions) {
    const now = o.now ?? Date.now;
    this.lastMessageAt = now();
    this.emit = o.onEvent ?? (() => {});
    this.ingest = new Ingest({ store: o.store, registry: o.registry, now });
    this.acker = new Acker({
      store: o.store, key: o.backendKey, publish: o.publishAck, delayMs: o.ackDelayMs, now,
      onAck: (dev, seq) => { this.counters.acks++; this.emit({ event: 'ack', dev, seq }); },
      onError: (dev, e) => { this.counters.errors++; this.emit({ event: 'error', where: `ack ${dev}`, message: e.message }); },
    });
  }

  /** Acks owed from before a crash go out first. */
  async start(): Promise<void> { await this.acker.resume(); }

  /** Resolves once the message's effects are committed. Rejects only on a bug or a DB failure. */
  async handle(topicName: string, payload: Uint8Array, retained = false): Promise<Handled> {
    this.lastMessageAt = (this.o.now ?? Date.now)();
    const h = await this.ingest.handle(topicName, payload, retained);
    const c = this.counters;
    c.messages++;
    this.o.afterCommit?.(c.messages);
    if (h.kind === 'journal') {
      c.duplicates += h.duplicates;
      if (h.stored) { c.batches++; c.stored += h.stored; this.emit({ event: 'batch', dev: h.dev, fleet: h.fleet, stored: h.stored, from: h.from, to: h.to, duplicates: h.duplicates }); }
      else if (h.duplicates && !h.alerts.some((a) => a.kind === 'gap')) { c.replays++; this.emit({ event: 'duplicate', dev: h.dev, fleet: h.fleet, entries: h.duplicates }); }
      if (h.parked) { c.parked++; this.emit({ event: 'parked', dev: h.dev, fleet: h.fleet }); }
      if (h.alerts.some((a) => a.severity !== 'info' && a.kind !== 'gap' && a.kind !== 'unsealed')) c.rejected++;
      if (h.ack !== null) this.acker.want(h.fleet, h.dev, h.ack);
    }
    if (h.online !== undefined) this.emit({ event: 'status', dev: h.dev, online: h.online });
    for (const a of h.alerts) {
      c.alerts++;
      this.emit({ event: 'alert', dev: h.dev || null, kind: a.kind, severity: a.severity, why: a.why, seq: a.seq, repeated: a.repeated });
    }
    return h;
  }

  error(where: string, e: unknown): void {
    this.counters.errors++;
    this.emit({ event: 'error', where, message: (e as Error)?.message ?? String(e) });
  }

  async close(): Promise<void> { await this.acker.drain(); }
}
