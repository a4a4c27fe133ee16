// The simulated terminal's link to a broker: one mqtt.js client per boot (MQTT 3.1.1 by default,
// QoS 1, a persistent session so the broker keeps what comes down while it is off), standing in
// for the firmware's network stack behind the HAL's net calls. It carries the terminal's traffic
// and nothing else: whoever verifies and acknowledges is a fleet consumer on the same broker. It
// counts what it hands the broker over the whole run (every boot), and says when a broker was never
// reached, so the report can (issue 19, SPEC §7).

import mqtt, { type MqttClient } from 'mqtt';
import { decode } from '../../src/core/codec/cbor';
import { ST } from '../../src/core/hal/types';
import { UsageError } from '../../src/node/errors';
import type { Network, Peer, Port } from './network';

export interface NetworkOptions {
  /** 4 = MQTT 3.1.1 (what aedes and NATS speak), 5 = MQTT 5; 'auto' tries 5 and falls back (SPEC §7). */
  protocolVersion?: 4 | 5 | 'auto';
  /** How long a first connection may take before the terminal trades offline (default 3 s). */
  connectTimeoutMs?: number;
}

export const BROKER_URL = /^mqtts?:\/\/[\w.-]+(:\d+)?$/;

/** Asks the broker for MQTT 5 once; brokers that refuse it, or do not answer, get 3.1.1. */
async function probeVersion(url: string, timeoutMs: number): Promise<4 | 5> {
  const c = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: timeoutMs });
  const v = await new Promise<4 | 5>((res) => {
    c.once('connect', () => res(5));
    c.once('error', () => res(4));
    c.once('close', () => res(4));
  });
  c.end(true);
  return v;
}

/** A `status` payload saying {online: true}: a birth (SPEC §7). */
function isBirth(payload: Uint8Array): boolean {
  const d = decode(payload, 'status');
  return d.ok && !!d.value && (d.value as { online?: unknown }).online === true;
}

export async function connectNetwork(url: string, o: NetworkOptions = {}): Promise<Network> {
  if (!BROKER_URL.test(url)) throw new UsageError(`--broker must be embedded, none or mqtt://HOST:PORT, got "${url}"`);
  const timeout = o.connectTimeoutMs ?? 3_000;
  const protocolVersion = o.protocolVersion === 4 || o.protocolVersion === 5 ? o.protocolVersion : await probeVersion(url, timeout);
  let peer: Peer | null = null;
  // Last time anything moved on the wire; settle() waits for a quiet spell after it, since a
  // broker may PUBACK a publish before it has forwarded it on.
  let lastActivity = Date.now();
  const touch = () => { lastActivity = Date.now(); };
  const n = { published: 0, acksIn: 0 };
  // What went on the wire over every boot of the run (issue 19: the agent's own counters restart at each boot).
  const wire = { count: 0, bytes: 0, byKind: {} as Record<string, number>, connects: 0, births: 0 };
  const link = { reached: false, error: null as string | null };
  const ports = new Set<Port & { client: MqttClient | null }>();
  return {
    url, protocolVersion,
    attach(p) { peer = p; },
    sent: () => ({ ...wire, byKind: { ...wire.byKind } }),
    reachability: () => ({ ...link }),
    port(device, linkUp) {
      let will: { topic: string; payload: Buffer } | null = null;
      let client: MqttClient | null = null;
      const inbox: Port['inbox'] = [];
      const subs: string[] = [];
      const ensure = () => {
        if (client) return client;
        client = mqtt.connect(url, {
          clientId: `preflight-${device.fleet}-${device.id}`, protocolVersion, clean: false, reconnectPeriod: 200, connectTimeout: timeout,
          // MQTT 5 topic aliases where the broker offers them: after the first message a topic costs 3 bytes, not ~35 (issue 18).
          ...(protocolVersion === 5 ? { properties: { sessionExpiryInterval: 86_400, topicAliasMaximum: 16 }, autoAssignTopicAlias: true } : {}),
          will: will ? { topic: will.topic, payload: will.payload, qos: 1, retain: true } : undefined,
        });
        // An unreachable broker: the terminal trades offline (SPEC §7); the report says why.
        client.on('error', (e) => { if (!link.reached) link.error = e.message || String(e); });
        client.on('message', (t, p) => { touch(); if (t.endsWith('/ack')) n.acksIn++; inbox.push({ topic: t, payload: new Uint8Array(p) }); });
        // The firmware tells the agent when its link comes and goes (HalEvent net.state).
        let wasUp = false;
        client.on('connect', () => { for (const s of subs) client!.subscribe(s, { qos: 1 }); if (!wasUp) { wasUp = true; wire.connects++; link.reached = true; link.error = null; inbox.push({ up: true }); touch(); } });
        client.on('close', () => { if (wasUp) { wasUp = false; inbox.push({ up: false }); touch(); } });
        return client;
      };
      const p: Port & { client: MqttClient | null } = {
        inbox,
        get client() { return client; },
        publish(t, payload, qos, retain) {
          if (!linkUp() || !ensure().connected) return ST.OFFLINE;
          ensure().publish(t, Buffer.from(payload), { qos, retain });
          touch();
          n.published++;
          const kind = t.slice(t.lastIndexOf('/') + 1);
          wire.count++; wire.bytes += payload.length; wire.byKind[kind] = (wire.byKind[kind] ?? 0) + 1;
          if (kind === 'status' && isBirth(payload)) wire.births++;
          return ST.OK;
        },
        subscribe(f) { subs.push(f); if (client?.connected) client.subscribe(f, { qos: 1 }); return ST.OK; },
        will(t, payload) { will = { topic: t, payload: Buffer.from(payload) }; ensure(); return ST.OK; },
        connected: () => linkUp() && !!client?.connected,
        end(abrupt) {
          if (client) {
            if (abrupt) (client as unknown as { stream?: { destroy(): void } }).stream?.destroy();
            client.end(abrupt);
          }
          ports.delete(p);
        },
      };
      ports.add(p);
      return p;
    },
    async settle() {
      // Done when every terminal publish left its client, the peer (if any) took as many messages
      // as were published and its acks reached the terminals, then a short quiet spell. Bounded:
      // a message to a terminal that lost power may never arrive, and a dead peer is not waited for.
      const QUIET_MS = 10, LIMIT_MS = 3000, t0 = Date.now();
      while (Date.now() - t0 < LIMIT_MS) {
        await new Promise((r) => setTimeout(r, 3));
        let busy = 0;
        // A client whose broker is gone keeps its in-flight messages until it reconnects: not waited for.
        for (const x of ports) {
          const c = x.client;
          if (c?.connected) busy += Object.keys((c as unknown as { outgoing?: object }).outgoing ?? {}).length;
        }
        const p = peer?.running() ? peer : null;
        const caughtUp = !p || (p.received() >= n.published && n.acksIn >= p.acksSent() && !p.busy());
        const quiet = Date.now() - lastActivity;
        if (busy === 0 && caughtUp && quiet >= QUIET_MS) return;
        if (busy === 0 && !caughtUp && quiet >= 500) return; // lost in flight: the terminal re-sends
      }
    },
    async close() {
      for (const x of ports) x.end(false);
    },
  };
}
