// Past one broker (SPEC §7): terminals publish to the MQTT gateways of a 3-node NATS cluster, the
// consumer reads a replicated JetStream stream through a durable consumer and acks over NATS back
// to the terminals' MQTT sessions. The node the consumer is on is killed mid-stream: nothing lost.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import type { SqliteStore } from '../../src/fleet/store-sqlite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConsumer, type RunningConsumer } from '../../src/fleet/run';
import { useNativeCrypto } from '../../src/fleet/native';
import { startNatsCluster, type NatsCluster } from './helpers/brokers';
import { makeFleet, until, type Fleet } from './helpers/terminals';

useNativeCrypto();
let cluster: NatsCluster, dir: string, fleet: Fleet, run: RunningConsumer | null = null;
const N = 30, BATCHES = 8;

beforeAll(async () => {
  cluster = await startNatsCluster(3);
  dir = mkdtempSync(join(tmpdir(), 'pf-nats-test-'));
  fleet = makeFleet(dir, N, { decisions: 16 * BATCHES });
}, 60_000);
afterAll(async () => {
  try {
    await run?.stop();
    await Promise.all((fleet?.terminals ?? []).map((t) => t.end()));
  } finally {
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

it('a 3-node NATS cluster loses the consumer\'s node mid-stream; every entry is stored once and acknowledged', async () => {
  const events: string[] = [];
  const r = await startConsumer({ broker: cluster.servers, registry: fleet.registry, db: join(dir, 'fleet.sqlite'),
    backendKey: fleet.backendKeyFile, share: 'fleet', replicas: 3, ackWaitMs: 2_000,
    onEvent: (e) => { if (e.event === 'error') events.push(`${e.where}: ${e.message}`); } });
  if (!r.ok) throw new Error(r.error);
  run = r.value;
  expect(run.mode).toBe('nats');
  // Terminals spread over the three MQTT gateways, each able to fail over to the others.
  const gw = cluster.nodes.map((n) => n.mqttUrl);
  await Promise.all(fleet.terminals.map((t, i) => t.connect([gw[i % 3]!, gw[(i + 1) % 3]!, gw[(i + 2) % 3]!])));

  const victim = cluster.nodes.find((n) => n.url.endsWith(`:${run!.server().split(':').pop()}`))!;
  expect(victim).toBeDefined();
  // Batches go out one by one per terminal (a day of uploads); the node dies a third of the way in.
  const sending = Promise.all(fleet.terminals.map(async (t) => {
    const bs = t.gen.batches(1);
    for (let i = 0; i < bs.length; i++) {
      await t.publish(bs[i]!).catch(() => {});   // a publish cut by the kill is re-sent from the ack cursor
      await new Promise((res) => setTimeout(res, 120));
    }
  }));
  await new Promise((res) => setTimeout(res, 350));
  await victim.proc.kill('SIGKILL');
  const killedAt = run.consumer.counters.stored;
  await sending;
  // Terminals re-send from their ack cursor until acknowledged (Telemetry: RESEND_AFTER_MS, shortened).
  const acked = await Promise.all(fleet.terminals.map((t) => t.waitAcked(120_000, 3_000)));
  expect(acked.every(Boolean)).toBe(true);

  const q = (run.store as SqliteStore).db;
  const total = N * BATCHES * 16;
  const stored = (q.prepare('SELECT count(*) n FROM entries').get() as { n: number }).n;
  const c = run.consumer.counters;
  console.log(`NATS: killed ${victim.name} after ${killedAt} of ${total} entries; stored ${stored}, ${c.duplicates} duplicate entries dropped, ` +
    `${fleet.terminals.reduce((n, t) => n + t.resent, 0)} terminal re-sends; consumer errors: ${events.length}`);
  expect(killedAt).toBeLessThan(total);
  expect(stored).toBe(total);
  expect((q.prepare('SELECT sum(entries) n FROM devices').get() as { n: number }).n).toBe(total);
  expect(q.prepare(`SELECT kind, why FROM alerts WHERE severity <> 'info' AND resolved IS NULL`).all()).toEqual([]);
}, 170_000);

it('fleet consume on NATS ends on SIGTERM even when its server is already gone (a stopped service must not linger)', async () => {
  const one = await startNatsCluster(1);
  const p = spawn('node', ['bin/preflight.js', 'fleet', 'consume', '--broker', one.servers.split(',')[0]!, '--registry', fleet.registry,
    '--db', join(dir, 'sigterm.sqlite'), '--client-id', 'sigterm', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  p.stdout!.on('data', (d) => { log += d; });
  const exited = new Promise<number | null>((res) => p.on('exit', (code) => res(code)));
  try {
    await until(() => log.includes('"event":"ready"'), 20_000, 'the consumer to start');
    await one.stop();                                  // the server goes first, as when a whole host stops
    p.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000))]);
    expect(code).not.toBe('hung');
    expect(log).toMatch(/"event":"summary","mode":"nats"/);
  } finally { p.kill('SIGKILL'); }
}, 60_000);
