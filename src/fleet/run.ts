// Starts a consumer from plain options (what `preflight fleet consume` parses): registry, store,
// backend key, and a transport: MQTT (one broker, optionally a shared subscription) or a NATS
// JetStream durable consumer with acks back through NATS or an MQTT gateway. Set-up failures are values.

import { hostname } from 'node:os';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { readSecretKey, type KeyPair } from '../node/keys';
import { fail, ok, type Result } from '../core/util/result';
import { Consumer, type FleetEvent } from './consumer';
import { useNativeCrypto } from './native';
import { Registry } from './registry';
import { connectMqtt, type MqttLink } from './source-mqtt';
import { connectNats, type NatsLink } from './source-nats';
import { isPostgresUrl, openStore, type FleetStore } from './store';

export interface ConsumeOptions {
  broker: string;                 // mqtt://HOST:PORT, or nats://HOST:PORT[,nats://...] for JetStream
  registry: string;
  db: string;                     // a SQLite file, or postgres://USER@HOST:PORT/DB (SPEC §7)
  backendKey?: string;            // K.key; without it the consumer stores and never acknowledges
  share?: string;                 // MQTT 5 shared subscription group, or the JetStream durable name
  clientId?: string;              // MQTT client id (keep it across restarts: the session holds unacked messages)
  ackBroker?: string;             // with NATS: send acks over this MQTT gateway instead of NATS
  stream?: string; replicas?: number; ackWaitMs?: number;
  ackDelayMs?: number;
  onEvent?: (e: FleetEvent) => void;
  afterCommit?: (messages: number) => void;
}

export interface RunningConsumer {
  consumer: Consumer;
  store: FleetStore;
  mode: 'mqtt' | 'mqtt-shared' | 'nats';
  /** The broker server the source is connected to right now (host:port). */
  server(): string;
  /** Resolves once no message has arrived for `ms` (checked a few times a second). */
  idle(ms: number): Promise<void>;
  stop(): Promise<void>;
}

const BROKER_RE = /^(mqtts?|nats):\/\/[\w.-]+(:\d+)?$/;

/** Validates options that need no network: folder, database, key, broker syntax. */
export function checkOptions(o: ConsumeOptions): Result<{ registry: Registry; key: KeyPair | null; nats: string[] | null }> {
  const urls = o.broker.split(',').map((s) => s.trim()).filter(Boolean);
  if (!urls.length || !urls.every((u) => BROKER_RE.test(u))) return fail(`--broker must be mqtt://HOST:PORT or nats://HOST:PORT[,nats://...], got "${o.broker}"`);
  const nats = urls[0]!.startsWith('nats:') ? urls : null;
  if (nats && !urls.every((u) => u.startsWith('nats:'))) return fail('--broker: do not mix nats:// and mqtt:// URLs');
  if (!nats && urls.length > 1) return fail('--broker: one mqtt:// URL (a cluster is reached through one address or NATS)');
  if (o.ackBroker && !/^mqtts?:\/\/[\w.-]+(:\d+)?$/.test(o.ackBroker)) return fail(`--ack-broker must be mqtt://HOST:PORT, got "${o.ackBroker}"`);
  if (o.share !== undefined && !/^[\w-]{1,64}$/.test(o.share)) return fail('--share must be 1-64 letters, digits, _ or -');
  const r = Registry.check(o.registry);
  if (!r.ok) return r;
  let key: KeyPair | null = null;
  if (o.backendKey) {
    try { key = readSecretKey(o.backendKey); } catch (e) { return fail((e as Error).message); }
  }
  return ok({ registry: r.value, key, nats });
}

/** A client id that stays the same across restarts of the same consumer (its broker session). */
export function defaultClientId(o: ConsumeOptions): string {
  const h = createHash('sha256').update(isPostgresUrl(o.db) ? o.db : resolve(o.db)).digest('hex').slice(0, 8);
  return `pf-fleet-${hostname().replace(/[^\w-]/g, '').slice(0, 20)}-${h}${o.share ? '-' + o.share : ''}`;
}

export async function startConsumer(o: ConsumeOptions): Promise<Result<RunningConsumer>> {
  const c = checkOptions(o);
  if (!c.ok) return c;
  const st = await openStore(o.db);
  if (!st.ok) return st;
  const store = st.value;
  useNativeCrypto();
  let consumer: Consumer | null = null;
  const onError = (where: string, e: unknown) => consumer?.error(where, e);
  const onMessage = async (t: string, p: Uint8Array, retained = false) => { await consumer!.handle(t, p, retained); };
  let source: MqttLink | NatsLink;
  let acks: MqttLink | NatsLink;
  const links: (MqttLink | NatsLink)[] = [];
  // The consumer exists before the link opens (a persistent session may deliver at once); acks
  // asked for meanwhile wait for the link.
  let linkUp!: (l: MqttLink | NatsLink) => void;
  const ackLink = new Promise<MqttLink | NatsLink>((res) => { linkUp = res; });
  consumer = new Consumer({ store, registry: c.value.registry, backendKey: c.value.key, publishAck: async (t, p) => (await ackLink).publish(t, p),
    onEvent: o.onEvent, ackDelayMs: o.ackDelayMs, afterCommit: o.afterCommit });
  const clientId = o.clientId ?? defaultClientId(o);
  if (c.value.nats) {
    const n = await connectNats({ servers: c.value.nats, stream: o.stream ?? 'PREFLIGHT', durable: o.share ?? 'preflight-fleet', replicas: o.replicas,
      ackWaitMs: o.ackWaitMs, onMessage, onError });
    if (!n.ok) { await store.close(); return n; }
    source = n.value; links.push(source);
    acks = source;
    if (o.ackBroker) {
      const m = await connectMqtt({ url: o.ackBroker, clientId: `${clientId}-acks`, subscribe: false, onError });
      if (!m.ok) { await source.close(); await store.close(); return m; }
      acks = m.value; links.push(acks);
    }
  } else {
    const m = await connectMqtt({ url: o.broker, clientId, share: o.share, onMessage, onError });
    if (!m.ok) { await store.close(); return m; }
    source = acks = m.value; links.push(source);
  }
  linkUp(acks);
  await consumer.start();
  const mode = c.value.nats ? 'nats' : o.share ? 'mqtt-shared' : 'mqtt';
  let stopped = false;
  return ok({
    consumer, store, mode,
    server: () => ('nc' in source ? source.nc.getServer() : o.broker.replace(/^mqtts?:\/\//, '')),
    idle: (ms) => new Promise<void>((res) => {
      const tick = setInterval(() => {
        if (stopped || Date.now() - consumer!.lastMessageAt >= ms) { clearInterval(tick); res(); }
      }, Math.max(20, Math.min(250, ms / 4)));
    }),
    async stop() {
      if (stopped) return;
      stopped = true;
      await consumer!.close();
      for (const l of links.reverse()) await l.close().catch(() => {});
      await store.close();
    },
  });
}
