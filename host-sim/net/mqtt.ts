// The simulator's network: mqtt.js clients (one per terminal boot) to an embedded aedes broker or
// a real one, and the mini backend subscribed to every terminal's journal. MQTT 3.1.1, QoS 1.

import { createServer, type Server } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { Aedes } from 'aedes';
import { ST } from '../../src/core/hal/types';
import { fromHex } from '../../src/core/util/bytes';
import { parseTopic, topic } from '../../src/core/telemetry/topics';
import { useEd25519 } from '../../src/core/crypto/ed25519-impl';
import { MiniBackend } from '../backend';
import { simKeys } from '../provision-sim';
import { nativeEd25519 } from '../../src/node/native-crypto';
import type { NetPort } from '../hal/node-hal';
import type { Inbound, Network } from './network';
import { UsageError } from '../../src/node/errors';

export interface SimPort extends NetPort { inbox: Inbound[]; end(abrupt: boolean): void; client: MqttClient }

export interface NetworkOptions {
  /** 4 = MQTT 3.1.1 (what aedes and NATS speak), 5 = MQTT 5; 'auto' tries 5 and falls back (SPEC §7). */
  protocolVersion?: 4 | 5 | 'auto';
}

/** Asks the broker for MQTT 5 once; brokers that refuse it get 3.1.1. */
async function probeVersion(url: string): Promise<4 | 5> {
  const c = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 3000 });
  const v = await new Promise<4 | 5>((res) => {
    c.once('connect', () => res(5));
    c.once('error', () => res(4));
    c.once('close', () => res(4));
  });
  c.end(true);
  return v;
}

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

export interface SimNetwork extends Network {
  backend: MiniBackend; url: string; protocolVersion: 4 | 5;
  /** The backend process dies (no ack for what it had in hand) and comes back later. */
  crashBackend(): void; restartBackend(): Promise<void>;
}

export async function connectNetwork(broker: string, dataDir: string, o: NetworkOptions = {}): Promise<SimNetwork> {
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
  const protocolVersion = o.protocolVersion === 4 || o.protocolVersion === 5 ? o.protocolVersion
    : embedded ? 4 : await probeVersion(url);
  // A persistent session (clean: false) so the broker keeps QoS 1 batches for a backend that restarts.
  const beId = `preflight-backend-${process.pid}-${Date.now() % 100000}`;
  const connectBackend = async () => {
    const c = mqtt.connect(url, { clientId: beId, protocolVersion, clean: false, reconnectPeriod: 200, connectTimeout: 5000,
      ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}) });
    await new Promise<void>((res, rej) => { c.once('connect', () => res()); c.once('error', (e) => rej(new UsageError(`broker ${url}: ${e.message}`))); });
    return c;
  };
  let be = await connectBackend();
  let backendBusy = 0;
  // Last time anything moved on the wire; settle() waits for a quiet spell after it, since a
  // broker may PUBACK a publish before it has forwarded it to the backend.
  let lastActivity = Date.now();
  const touch = () => { lastActivity = Date.now(); };
  // Counted so settle() knows when the round trip is over: batches published by terminals vs
  // handled by the backend, acks published by the backend vs delivered to terminals.
  const n = { journalOut: 0, journalIn: 0, acksOut: 0, acksIn: 0 };
  const onMessage = (t: string, payload: Buffer) => {
    const tp = parseTopic(t);
    if (!tp || tp.kind !== 'journal') return;
    touch();
    n.journalIn++;
    backendBusy++;
    const ack = backend.onJournal(tp.dev, new Uint8Array(payload));
    if (ack) { n.acksOut++; be.publish(topic(tp.fleet, tp.dev, 'ack'), Buffer.from(ack), { qos: 1 }, () => { backendBusy--; touch(); }); }
    else backendBusy--;
  };
  be.on('message', onMessage);
  await be.subscribeAsync('preflight/v1/+/+/journal', { qos: 1 });
  const ports = new Set<SimPort>();
  return {
    url, backend, protocolVersion,
    crashBackend() { (be as any).stream?.destroy(); be.end(true); backendBusy = 0; n.journalOut = n.journalIn; n.acksOut = n.acksIn; },
    async restartBackend() { be = await connectBackend(); be.on('message', onMessage); await be.subscribeAsync('preflight/v1/+/+/journal', { qos: 1 }); },
    port(device, linkUp): SimPort {
      let will: { topic: string; payload: Buffer } | null = null;
      let client: MqttClient | null = null;
      const inbox: SimPort['inbox'] = [];
      const subs: string[] = [];
      const ensure = () => {
        if (client) return client;
        client = mqtt.connect(url, {
          clientId: `preflight-${device.fleet}-${device.id}`, protocolVersion, clean: false, reconnectPeriod: 200,
          ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
          will: will ? { topic: will.topic, payload: will.payload, qos: 1, retain: true } : undefined,
        });
        client.on('message', (t, p) => { touch(); if (t.endsWith('/ack')) n.acksIn++; inbox.push({ topic: t, payload: new Uint8Array(p) }); });
        // The firmware tells the agent when its link comes and goes (HalEvent net.state).
        let wasUp = false;
        client.on('connect', () => { for (const s of subs) client!.subscribe(s, { qos: 1 }); if (!wasUp) { wasUp = true; inbox.push({ up: true }); touch(); } });
        client.on('close', () => { if (wasUp) { wasUp = false; inbox.push({ up: false }); touch(); } });
        return client;
      };
      const p: SimPort = {
        inbox,
        get client() { return ensure(); },
        publish(t, payload, qos, retain) {
          if (!linkUp() || !ensure().connected) return ST.OFFLINE;
          ensure().publish(t, Buffer.from(payload), { qos, retain });
          touch();
          if (t.endsWith('/journal')) n.journalOut++;
          return ST.OK;
        },
        subscribe(f) { subs.push(f); if (client?.connected) client.subscribe(f, { qos: 1 }); return ST.OK; },
        will(t, payload) { will = { topic: t, payload: Buffer.from(payload) }; ensure(); return ST.OK; },
        connected: () => linkUp() && !!client?.connected,
        end(abrupt) {
          if (client) {
            // What was in flight on a link that died is not waited for (the terminal re-sends it).
            if (abrupt) n.journalOut = Math.min(n.journalOut, n.journalIn);
            if (abrupt) (client as any).stream?.destroy();
            client.end(abrupt);
          }
          ports.delete(p);
        },
      };
      ports.add(p);
      return p;
    },
    async settle() {
      // Let publishes, backend verification and acks land: wait until nothing is in flight.
      // Done when every batch reached the backend and every ack reached its terminal, then a short
      // quiet spell; bounded, since a message to a terminal that lost power may never arrive.
      const QUIET_MS = 10, LIMIT_MS = 3000, t0 = Date.now();
      while (Date.now() - t0 < LIMIT_MS) {
        await new Promise((r) => setTimeout(r, 3));
        let busy = backendBusy;
        // A client whose broker is gone keeps its in-flight messages until it reconnects: not waited for.
        for (const p of ports) { const c = (p as any).client as MqttClient; if (c.connected) busy += (c as any).outgoing ? Object.keys((c as any).outgoing).length : 0; }
        const roundTripDone = n.journalIn >= n.journalOut && n.acksIn >= n.acksOut;
        if (busy === 0 && roundTripDone && Date.now() - lastActivity >= QUIET_MS) return;
        if (busy === 0 && !roundTripDone && Date.now() - lastActivity >= (be.connected ? 500 : 50)) return; // lost in flight
      }
    },
    async close() {
      for (const p of ports) p.end(false);
      await be.endAsync();
      await embedded?.close();
    },
  };
}
