// The simulator's network: mqtt.js clients (one per terminal boot) to an embedded aedes broker or
// a real one, and the mini backend subscribed to every terminal's journal. MQTT 3.1.1, QoS 1.

import { createServer, type Server } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { Aedes } from 'aedes';
import { ST } from '../src/hal/types';
import { fromHex } from '../src/util/bytes';
import { parseTopic, topic } from '../src/telemetry/topics';
import { useEd25519 } from '../src/crypto/ed25519-impl';
import { MiniBackend } from './backend';
import { simKeys } from './provision-sim';
import { nativeEd25519 } from './native-ed25519';
import type { NetPort } from './hal-node';
import type { Network } from './network';
import { UsageError } from './errors';

export interface SimPort extends NetPort { inbox: { topic: string; payload: Uint8Array }[]; end(abrupt: boolean): void; client: MqttClient }

export async function startEmbeddedBroker(): Promise<{ url: string; close(): Promise<void> }> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle as never);
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as { port: number }).port;
  return {
    url: `mqtt://127.0.0.1:${port}`,
    close: () => new Promise<void>((res) => { broker.close(() => server.close(() => res())); }),
  };
}

export async function connectNetwork(broker: string, dataDir: string): Promise<Network & { backend: MiniBackend; url: string }> {
  useEd25519(nativeEd25519);
  let embedded: Awaited<ReturnType<typeof startEmbeddedBroker>> | null = null;
  let url = broker;
  if (broker === 'embedded') { embedded = await startEmbeddedBroker(); url = embedded.url; }
  else if (!/^mqtts?:\/\/[\w.-]+(:\d+)?$/.test(broker)) throw new UsageError(`--broker must be embedded, none or mqtt://HOST:PORT, got "${broker}"`);
  const keys = simKeys(dataDir);
  const registry = (dev: string): Uint8Array | null => {
    const p = join(dataDir, 'device.pub');
    return existsSync(p) ? fromHex(readFileSync(p, 'utf8').trim()) : (dev ? null : null);
  };
  const backend = new MiniBackend(keys.backend, registry);
  const be = mqtt.connect(url, { clientId: `preflight-backend-${process.pid}`, protocolVersion: 4, reconnectPeriod: 200, connectTimeout: 5000 });
  await new Promise<void>((res, rej) => { be.once('connect', () => res()); be.once('error', (e) => rej(new UsageError(`broker ${url}: ${e.message}`))); });
  let backendBusy = 0;
  // Last time anything moved on the wire; settle() waits for a quiet spell after it, since a
  // broker may PUBACK a publish before it has forwarded it to the backend.
  let lastActivity = Date.now();
  const touch = () => { lastActivity = Date.now(); };
  await be.subscribeAsync('preflight/v1/+/+/journal', { qos: 1 });
  be.on('message', (t, payload) => {
    const tp = parseTopic(t);
    if (!tp || tp.kind !== 'journal') return;
    touch();
    backendBusy++;
    const ack = backend.onJournal(tp.dev, new Uint8Array(payload));
    if (ack) be.publish(topic(tp.fleet, tp.dev, 'ack'), Buffer.from(ack), { qos: 1 }, () => { backendBusy--; touch(); });
    else backendBusy--;
  });
  const ports = new Set<SimPort>();
  return {
    url, backend,
    port(device, linkUp): SimPort {
      let will: { topic: string; payload: Buffer } | null = null;
      let client: MqttClient | null = null;
      const inbox: SimPort['inbox'] = [];
      const subs: string[] = [];
      const ensure = () => {
        if (client) return client;
        client = mqtt.connect(url, {
          clientId: `preflight-${device.fleet}-${device.id}`, protocolVersion: 4, clean: false, reconnectPeriod: 200,
          will: will ? { topic: will.topic, payload: will.payload, qos: 1, retain: true } : undefined,
        });
        client.on('message', (t, p) => { touch(); inbox.push({ topic: t, payload: new Uint8Array(p) }); });
        client.on('connect', () => { for (const s of subs) client!.subscribe(s, { qos: 1 }); });
        return client;
      };
      const p: SimPort = {
        inbox,
        get client() { return ensure(); },
        publish(t, payload, qos, retain) {
          if (!linkUp() || !ensure().connected) return ST.OFFLINE;
          ensure().publish(t, Buffer.from(payload), { qos, retain });
          touch();
          return ST.OK;
        },
        subscribe(f) { subs.push(f); if (client?.connected) client.subscribe(f, { qos: 1 }); return ST.OK; },
        will(t, payload) { will = { topic: t, payload: Buffer.from(payload) }; ensure(); return ST.OK; },
        connected: () => linkUp() && !!client?.connected,
        end(abrupt) { if (client) { if (abrupt) (client as any).stream?.destroy(); client.end(abrupt); } ports.delete(p); },
      };
      ports.add(p);
      return p;
    },
    async settle() {
      // Let publishes, backend verification and acks land: wait until nothing is in flight.
      const QUIET_MS = 25;
      for (let i = 0; i < 400; i++) {
        await new Promise((r) => setTimeout(r, 5));
        let busy = backendBusy;
        for (const p of ports) { const c = (p as any).client as MqttClient; busy += (c as any).outgoing ? Object.keys((c as any).outgoing).length : 0; }
        if (busy === 0 && Date.now() - lastActivity >= QUIET_MS) return;
      }
    },
    async close() {
      for (const p of ports) p.end(false);
      await be.endAsync();
      await embedded?.close();
    },
  };
}
