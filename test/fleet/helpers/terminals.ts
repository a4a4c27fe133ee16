// Simulated terminals for the fleet tests: a real journal per device (GenTerminal: the core's
// Journal, the device's own key), an MQTT client that publishes its batches QoS 1 and accepts an
// ack only as the terminal does (backend signature, its dev, not beyond what it sealed).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { decodeMaps } from '../../../src/core/codec/cbor';
import { ACK, ACK_HEAD_BYTES } from '../../../src/core/telemetry/wire';
import { openSign1 } from '../../../src/core/crypto/cose';
import { topic } from '../../../src/core/telemetry/topics';
import { toHex } from '../../../src/core/util/bytes';
import { GenTerminal } from '../../../src/fleet/journal-gen';
import { newKeyPair, writeKeyPair, type KeyPair } from '../../../src/node/keys';

export class SimTerminal {
  readonly gen: GenTerminal;
  client: MqttClient | null = null;
  acked = 0;
  acks = 0;
  refusedAcks = 0;
  published = 0;
  resent = 0;

  constructor(readonly dev: string, readonly fleet: string, private backendPub: Uint8Array, kp?: KeyPair) {
    this.gen = new GenTerminal(dev, kp);
  }

  get sealed(): number { return this.gen.journal.sealedSeq; }

  /** The terminal's rule (core/agent/acks.ts): backend-signed, for this dev, not beyond what was sealed, naming this journal's head. */
  accept(bytes: Uint8Array): boolean {
    const o = openSign1(bytes, [this.backendPub], 'ack');
    const d = o.ok ? decodeMaps(o.value.payload, 'ack') : null;
    const m = d && d.ok && d.value instanceof Map ? d.value : null;
    const a = m ? { dev: m.get(ACK.dev), seq: m.get(ACK.seq), head: m.get(ACK.head) } : null;
    const mine = a && typeof a.seq === 'number' ? this.gen.journal.sealedHead(a.seq)?.subarray(0, ACK_HEAD_BYTES) : null;
    if (!a || a.dev !== this.dev || typeof a.seq !== 'number' || a.seq > this.sealed ||
        !(a.head instanceof Uint8Array) || !mine || Buffer.compare(Buffer.from(a.head), Buffer.from(mine)) !== 0) { this.refusedAcks++; return false; }
    this.acks++;
    if (a.seq > this.acked) this.acked = a.seq;
    return true;
  }

  async connect(url: string | string[], extra: Partial<IClientOptions> = {}): Promise<void> {
    const urls = Array.isArray(url) ? url : [url];
    const servers = urls.map((u) => { const x = new URL(u); return { host: x.hostname, port: Number(x.port) }; });
    const c = mqtt.connect({ ...servers[0]!, servers, clientId: `term-${this.fleet}-${this.dev}`, protocolVersion: 4, clean: false,
      reconnectPeriod: 300, connectTimeout: 5_000, keepalive: 30, ...extra });
    c.on('message', (_t, p) => { this.accept(new Uint8Array(p)); });
    c.on('error', () => {});
    await new Promise<void>((res, rej) => { c.once('connect', () => res()); c.once('error', rej); });
    await c.subscribeAsync(topic(this.fleet, this.dev, 'ack'), { qos: 1 });
    this.client = c;
  }

  async publish(payload: Uint8Array): Promise<void> {
    this.published++;
    await this.client!.publishAsync(topic(this.fleet, this.dev, 'journal'), Buffer.from(payload), { qos: 1 });
  }

  /** Sends every batch from `fromSeq` (default: after the ack), as Telemetry.pump does after a reconnect. */
  async sendFrom(fromSeq = this.acked + 1): Promise<number> {
    const bs = this.gen.batches(fromSeq);
    for (const b of bs) await this.publish(b);
    return bs.length;
  }

  /** Waits for an ack covering everything sealed; re-sends from the ack cursor every `resendMs` (SPEC §7). */
  async waitAcked(timeoutMs: number, resendMs = 0): Promise<boolean> {
    const end = Date.now() + timeoutMs;
    let lastSend = Date.now();
    while (this.acked < this.sealed) {
      if (Date.now() > end) return false;
      if (resendMs && Date.now() - lastSend >= resendMs && this.client?.connected) {
        lastSend = Date.now();
        this.resent++;
        void this.sendFrom().catch(() => {});
      }
      await new Promise((r) => setTimeout(r, 25));
    }
    return true;
  }

  /** Drops the link at once (a terminal switched off); never waits on the broker. */
  async end(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (!c) return;
    c.stream?.destroy();
    await Promise.race([c.endAsync(true).catch(() => {}), new Promise((r) => setTimeout(r, 200))]);
  }
}

export interface Fleet { dir: string; registry: string; backend: KeyPair; backendKeyFile: string; terminals: SimTerminal[] }

/** A registry folder with one DEV.pub per terminal and a backend key file, as provisioning writes them. */
export function makeFleet(dir: string, n: number, opts: { fleet?: string; prefix?: string; decisions?: number; sealEvery?: number } = {}): Fleet {
  const registry = join(dir, 'registry');
  mkdirSync(registry, { recursive: true });
  const backend = newKeyPair();
  const backendKeyFile = writeKeyPair(join(dir, 'keys'), 'backend', backend).key;
  const terminals: SimTerminal[] = [];
  for (let i = 0; i < n; i++) {
    const t = new SimTerminal(`${opts.prefix ?? 'T'}-${String(i + 1).padStart(4, '0')}`, opts.fleet ?? 'demo', backend.pub);
    if (opts.decisions) t.gen.decisions(opts.decisions, opts.sealEvery ?? 16);
    writeFileSync(join(registry, `${t.dev}.pub`), toHex(t.gen.kp.pub) + '\n');
    terminals.push(t);
  }
  return { dir, registry, backend, backendKeyFile, terminals };
}

/** Polls until `f()` is true (or throws after timeoutMs). */
export async function until(f: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
