// Past one broker (SPEC §7): terminals publish to NATS's MQTT gateway, which maps topic a/b/c to
// subject a.b.c; a JetStream stream captures the telemetry subjects and consumers read it through
// one durable pull consumer, each message acked only after its commit (redelivered after ack_wait).

import { AckPolicy, connect, DeliverPolicy, nanos, RetentionPolicy, StorageType, type NatsConnection } from 'nats';
import { fail, ok, type Result } from '../core/util/result';
import { CONSUMED_KINDS } from './ingest';

export interface NatsSourceOptions {
  servers: string[];
  stream: string;                 // created if absent, capturing preflight.v1.*.*.{kinds}
  durable: string;                // consumers sharing one durable share the load
  replicas?: number;              // stream replicas when it is created (3 on a 3-node cluster)
  ackWaitMs?: number;             // redelivery after a consumer died holding a message
  subscribe?: boolean;
  /** Acked to JetStream once its promise resolves; the next message waits for that. */
  onMessage?: (topicName: string, payload: Uint8Array) => void | Promise<void>;
  onError?: (where: string, e: unknown) => void;
}

export interface NatsLink {
  nc: NatsConnection;
  publish(topicName: string, payload: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

/** MQTT topic <-> NATS subject, as the gateway maps them ('/' is '.'; NATS 2.9 refuses '.' in MQTT topics). */
export const topicToSubject = (t: string): string => t.split('/').join('.');
export const subjectToTopic = (s: string): string => s.split('.').join('/');

export const streamSubjects = (): string[] => CONSUMED_KINDS.map((k) => `preflight.v1.*.*.${k}`);

export async function connectNats(o: NatsSourceOptions): Promise<Result<NatsLink>> {
  let nc: NatsConnection;
  try {
    nc = await connect({ servers: o.servers, name: `preflight-fleet-${o.durable}`, maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout: 10_000 });
  } catch (e) { return fail(`NATS ${o.servers.join(',')}: ${(e as Error).message}`); }
  let closing = false;
  if (o.subscribe !== false) {
    const ready = await ensure(nc, o);
    if (!ready.ok) { await nc.close(); return ready; }
    void pull(nc, o, () => closing);
  }
  return ok({
    nc,
    async publish(t, payload) { nc.publish(topicToSubject(t), payload); },
    // Drain what is in flight, but never wait on a server that is gone (a stop under SIGTERM must end).
    async close() {
      closing = true;
      const drained = await Promise.race([nc.drain().then(() => true, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), 2000).unref())]);
      if (!drained) await nc.close().catch(() => {});
    },
  });
}

async function ensure(nc: NatsConnection, o: NatsSourceOptions): Promise<Result<true>> {
  // JetStream may still be electing a leader right after a cluster starts or loses a node.
  let last = '';
  for (let i = 0; i < 40; i++) {
    try {
      const jsm = await nc.jetstreamManager({ timeout: 5_000 });
      try { await jsm.streams.info(o.stream); } catch (e) {
        if (!/not found/i.test((e as Error).message)) throw e;
        await jsm.streams.add({ name: o.stream, subjects: streamSubjects(), storage: StorageType.File, num_replicas: o.replicas ?? 1,
          retention: RetentionPolicy.Limits, max_age: nanos(7 * 86_400_000) });
      }
      try { await jsm.consumers.info(o.stream, o.durable); } catch (e) {
        if (!/not found/i.test((e as Error).message)) throw e;
        await jsm.consumers.add(o.stream, { durable_name: o.durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All,
          ack_wait: nanos(o.ackWaitMs ?? 10_000), max_ack_pending: 2_000 });
      }
      return ok(true);
    } catch (e) {
      last = (e as Error).message;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  return fail(`JetStream stream ${o.stream}: ${last}`);
}

/** Pulls for as long as the link is open; a broken pull (node lost, leader moved) starts again. */
async function pull(nc: NatsConnection, o: NatsSourceOptions, closing: () => boolean): Promise<void> {
  const js = nc.jetstream();
  while (!closing() && !nc.isClosed()) {
    try {
      const c = await js.consumers.get(o.stream, o.durable);
      const msgs = await c.consume({ max_messages: 256, idle_heartbeat: 2_000 });
      for await (const m of msgs) {
        if (closing()) break;
        try {
          await o.onMessage?.(subjectToTopic(m.subject), m.data);
          m.ack();
        } catch (e) {
          o.onError?.('handle', e);
          m.nak(1_000);
        }
      }
    } catch (e) {
      if (closing() || nc.isClosed()) break;
      o.onError?.('jetstream', e);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
