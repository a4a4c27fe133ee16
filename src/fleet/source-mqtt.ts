// The MQTT side of the consumer (SPEC §7): 3.1.1 by default; MQTT 5 with a shared subscription
// `$share/GROUP/...` to split the load between consumers. A persistent session (clean: false), and
// the PUBACK of each message is held back until its commit, so a crash leaves it with the broker.

import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { fail, ok, type Result } from '../core/util/result';
import { CONSUMED_KINDS } from './ingest';

export interface MqttSourceOptions {
  url: string;
  clientId: string;
  share?: string;                 // MQTT 5 shared-subscription group
  subscribe?: boolean;            // false: publish only (acks through an MQTT gateway)
  connectTimeoutMs?: number;
  /** The message is acknowledged to the broker when its promise resolves; the next one waits for that. */
  onMessage?: (topicName: string, payload: Uint8Array, retained: boolean) => void | Promise<void>;
  onError?: (where: string, e: unknown) => void;
}

export interface MqttLink {
  client: MqttClient;
  publish(topicName: string, payload: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export const filters = (share?: string): string[] =>
  CONSUMED_KINDS.map((k) => `${share ? `$share/${share}/` : ''}preflight/v1/+/+/${k}`);

export async function connectMqtt(o: MqttSourceOptions): Promise<Result<MqttLink>> {
  const v5 = !!o.share;
  const opts: IClientOptions = {
    clientId: o.clientId, protocolVersion: v5 ? 5 : 4, clean: false, reconnectPeriod: 1_000,
    connectTimeout: o.connectTimeoutMs ?? 10_000, keepalive: 30,
    ...(v5 ? { properties: { sessionExpiryInterval: 86_400 } } : {}),
  };
  const client = mqtt.connect(o.url, opts);
  // Installed before the connection opens: a persistent session may deliver the moment it does.
  // mqtt.js reads the next packet only once `done` is called: messages are handled one at a time.
  client.handleMessage = (packet, done) => {
    Promise.resolve().then(() => o.onMessage?.(packet.topic, toBytes(packet.payload), packet.retain)).then(() => done(), (e) => {
      // No PUBACK: drop the link so the broker redelivers after the reconnect (and the terminal
      // re-sends anyway until acknowledged).
      o.onError?.('handle', e);
      client.stream?.destroy();
    });
  };
  client.on('error', (e) => o.onError?.('mqtt', e));
  const up = await new Promise<Result<true>>((res) => {
    const t = setTimeout(() => res(fail(`broker ${o.url}: no answer within ${opts.connectTimeout} ms`)), opts.connectTimeout);
    client.once('connect', () => { clearTimeout(t); res(ok(true)); });
    client.once('error', (e) => { clearTimeout(t); res(fail(`broker ${o.url}: ${e.message}`)); });
  });
  if (!up.ok) { client.end(true); return up; }
  if (o.subscribe !== false) {
    try {
      const granted = await client.subscribeAsync(filters(o.share), { qos: 1 });
      const refused = granted.filter((g) => g.qos >= 0x80);
      if (refused.length) {
        client.end(true);
        return fail(`broker ${o.url} refused ${refused.map((g) => g.topic).join(', ')}${o.share ? ' (shared subscriptions need an MQTT 5 broker such as Mosquitto)' : ''}`);
      }
    } catch (e) {
      client.end(true);
      return fail(`broker ${o.url}: subscribe failed: ${(e as Error).message}${o.share ? ' (shared subscriptions need MQTT 5)' : ''}`);
    }
  }
  return ok({
    client,
    async publish(t, payload) { await client.publishAsync(t, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength), { qos: 1 }); },
    async close() { await client.endAsync(); },
  });
}

function toBytes(p: Buffer | string): Uint8Array {
  if (typeof p === 'string') return new TextEncoder().encode(p);
  return new Uint8Array(p.buffer, p.byteOffset, p.byteLength);
}
