// Sending one command to one terminal (SPEC §2 `fleet send`, §6): signed with the operator key and
// the next counter the registry holds for the device, published QoS 1 on its `cmd` topic. A terminal
// that is offline gets it when it next connects (its persistent session keeps it at the broker).

import mqtt from 'mqtt';
import { topic } from '../core/telemetry/topics';
import { fail, ok, type Result } from '../core/util/result';
import type { KeyPair } from '../node/keys';
import { nextCounter, signCommand } from './commands';

export interface SendOptions {
  broker: string; registry: string; key: KeyPair;
  fleet: string; dev: string; kind: string; args?: Record<string, unknown>;
  validForMs: number; now?: number;
  /** A counter chosen by the caller instead of the registry's next (tests of replay and order). */
  n?: number;
  connectTimeoutMs?: number;
}

/** Publishes bytes QoS 1 and waits for the broker's PUBACK. */
export async function publishOnce(broker: string, topicName: string, payload: Uint8Array, connectTimeoutMs = 5_000): Promise<Result<null>> {
  const c = mqtt.connect(broker, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: connectTimeoutMs, clean: true });
  try {
    await new Promise<void>((res, rej) => {
      c.once('connect', () => res());
      c.once('error', rej);
      c.once('close', () => rej(new Error('connection closed')));
    });
    await c.publishAsync(topicName, Buffer.from(payload), { qos: 1 });
    return ok(null);
  } catch (e) {
    return fail(`broker ${broker}: ${(e as Error).message || 'cannot connect'}`);
  } finally {
    c.end(true);
  }
}

export async function sendCommand(o: SendOptions): Promise<Result<{ n: number; bytes: Uint8Array; topic: string }>> {
  const n = nextCounter(o.registry, o.dev, o.n);
  if (!n.ok) return n;
  const bytes = signCommand(o.key, { dev: o.dev, kind: o.kind, n: n.value, exp: (o.now ?? Date.now()) + o.validForMs, args: o.args });
  const t = topic(o.fleet, o.dev, 'cmd');
  const p = await publishOnce(o.broker, t, bytes, o.connectTimeoutMs);
  if (!p.ok) return p;
  return ok({ n: n.value, bytes, topic: t });
}
