// The wire, captured independently of the code that writes it (issue 18): a TCP relay in front of
// the embedded broker counts every byte of the terminal's own connection both ways (MQTT framing,
// PUBACKs and pings included). The fleet consumer connects to the broker directly, so only the
// terminal's link is counted. The day: 200 sales from 09:00, heartbeats as the policy sets them,
// settlement at the close; the real consumer verifies, stores and acknowledges all of it.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedBroker } from '../host-sim/net/broker';
import { connectNetwork } from '../host-sim/net/mqtt';
import { startFleet } from '../host-sim/scenario/fleet';
import { operatorSide } from '../host-sim/scenario/operator';
import { parseScenario } from '../host-sim/scenario/parse';
import { runScenario } from '../host-sim/scenario/run';
import { readOnlyFlash } from '../src/node/flash-folder';
import { decode } from '../src/core/codec/cbor';
import { benchPolicy, SHIPPED } from './rig';
import { decisionEntries, type EntryFigures } from './entry';

interface Relay { url: string; up: number; down: number; connections: number; close(): Promise<void> }

/** A byte-counting TCP relay to `port`: up = terminal to broker, down = broker to terminal. */
async function relay(target: URL): Promise<Relay> {
  const socks = new Set<Socket>();
  const r: Relay = { url: '', up: 0, down: 0, connections: 0, close: async () => {} };
  const server: Server = createServer((a) => {
    r.connections++;
    const b = createConnection(Number(target.port), target.hostname);
    socks.add(a); socks.add(b);
    a.on('data', (d) => { r.up += d.length; b.write(d); });
    b.on('data', (d) => { r.down += d.length; a.write(d); });
    const end = () => { a.destroy(); b.destroy(); socks.delete(a); socks.delete(b); };
    a.on('close', end); b.on('close', end); a.on('error', end); b.on('error', end);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  r.url = `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`;
  r.close = () => new Promise<void>((res) => { for (const s of socks) s.destroy(); server.close(() => res()); });
  return r;
}

/** 200 sales, 09:00 to 21:00 (three in four by card), and settlement at 21:30. */
export function busyDay(edit: (policy: Record<string, any>) => void = () => {}): unknown {
  const policy = benchPolicy();
  edit(policy);
  const events: unknown[] = [];
  for (let i = 0; i < 200; i++) {
    const qr = i % 4 === 3;
    events.push({ at: `+${i * 216}s`, txn: { ref: `D${i}`, type: 'sale', channel: qr ? 'qr' : 'card', amountMinor: 1000 + 37 * i, entryMode: qr ? '981' : '051', conditionCode: '00' } });
  }
  events.push({ at: '+750m', settle: {} });
  return {
    name: 'a busy day', device: { id: 'T-WIRE', fleet: 'bench', heapLimitBytes: 1 << 20, storageBytes: 4 << 20 },
    policy, start: { time: '2026-03-02T09:00:00+08:00', fix: { lat: 31.2304, lon: 121.4737, accuracyM: 15 } }, events,
  };
}

export interface WireFigures { bytesPerDay: number; bytesPerTxn: number; up: number; down: number; txns: number; published: number; byKind: Record<string, { n: number; bytes: number }>; seals: number; connections: number; entry: EntryFigures }

/**
 * The busy day on the embedded broker (MQTT 3.1.1, as `make sim`), or on `o.broker` with MQTT 5, where
 * the terminal's client uses topic aliases (a deployment's Mosquitto).
 */
export async function measureWire(o: { broker?: string; protocolVersion?: 4 | 5; policy?: (p: Record<string, any>) => void } = {}): Promise<WireFigures> {
  const dataDir = mkdtempSync(join(tmpdir(), 'pf-wire-'));
  const broker = o.broker ? { url: o.broker, close: async () => {} } : await startEmbeddedBroker();
  const r = await relay(new URL(broker.url));
  const net = await connectNetwork(r.url, { protocolVersion: o.protocolVersion ?? 4 });
  const operator = operatorSide(dataDir);
  const fleet = await startFleet(net, operator, { broker: broker.url, clientId: 'preflight-bench-fleet' });
  try {
    let published = 0, seals = 0;
    const byKind: Record<string, { n: number; bytes: number }> = {};
    const port = net.port.bind(net);
    net.port = (d, up) => {
      const p = port(d, up);
      const pub = p.publish.bind(p);
      p.publish = (t, payload, q, rt) => { const st = pub(t, payload, q, rt);
        if (st === 0) {
          published++; const k = t.slice(t.lastIndexOf('/') + 1); const e = (byKind[k] ??= { n: 0, bytes: 0 }); e.n++; e.bytes += payload.length;
          const d = k === 'journal' ? decode(payload, 'journal') : null;
          if (d?.ok && Array.isArray(d.value)) seals += d.value.filter((r) => r instanceof Uint8Array && r[0] === 0xd2).length;   // COSE_Sign1, tag 18
        }
        return st;
      };
      return p;
    };
    const sc = parseScenario(busyDay(o.policy));
    const run = await runScenario(sc, { dataDir, bundle: readFileSync(SHIPPED, 'utf8'), network: net, fleet, operator });
    const txns = run.lines.filter((l) => l.event === 'decision').length;
    const entry = decisionEntries(readOnlyFlash(dataDir));
    await net.close();
    const total = r.up + r.down;
    return { bytesPerDay: total, bytesPerTxn: Math.round(total / txns), up: r.up, down: r.down, txns, published, byKind, seals, connections: r.connections, entry };
  } finally {
    await fleet.stop();
    await r.close();
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
