// Scale-out on one MQTT 5 broker (SPEC §7): two consumers in one shared-subscription group split
// the messages between them and share one store; batches of one terminal that land on different
// consumers out of order are parked and joined, so every terminal ends stored and acknowledged.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { SqliteStore } from '../../src/fleet/store-sqlite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startConsumer, type RunningConsumer } from '../../src/fleet/run';
import { useNativeCrypto } from '../../src/fleet/native';
import { startMosquitto, type Mosquitto } from './helpers/brokers';
import { makeFleet, until, type Fleet } from './helpers/terminals';

useNativeCrypto();
let broker: Mosquitto, dir: string, fleet: Fleet;
const consumers: RunningConsumer[] = [];
const N = 40, BATCHES = 4;

beforeAll(async () => {
  broker = await startMosquitto();
  dir = mkdtempSync(join(tmpdir(), 'pf-shared-'));
  fleet = makeFleet(dir, N, { decisions: 16 * BATCHES });
});
afterAll(async () => {
  try {
    for (const c of consumers) await c.stop();
    await Promise.all((fleet?.terminals ?? []).map((t) => t.end()));
  } finally {
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

it('two consumers with --share split the load evenly, and every terminal is stored once and acknowledged', async () => {
  const db = join(dir, 'fleet.sqlite');
  for (const id of ['c1', 'c2']) {
    const r = await startConsumer({ broker: broker.url, registry: fleet.registry, db, backendKey: fleet.backendKeyFile, share: 'fleet', clientId: `pf-shared-${id}` });
    if (!r.ok) throw new Error(r.error);
    expect(r.value.mode).toBe('mqtt-shared');
    consumers.push(r.value);
  }
  for (const t of fleet.terminals) await t.connect(broker.url);
  // Every terminal sends all its batches at once, as Telemetry.pump does after a reconnect.
  await Promise.all(fleet.terminals.map((t) => t.sendFrom(1)));
  await until(() => fleet.terminals.every((t) => t.acked === t.sealed), 30_000, 'every terminal acknowledged');

  const [a, b] = consumers.map((c) => c.consumer.counters) as [typeof consumers[0]['consumer']['counters'], typeof consumers[0]['consumer']['counters']];
  const total = N * BATCHES;
  console.log(`shared subscription: consumer 1 took ${a.messages} messages, consumer 2 ${b.messages}; ${a.parked + b.parked} batches parked ahead of a gap and joined`);
  expect(a.messages + b.messages).toBe(total);
  expect(Math.min(a.messages, b.messages)).toBeGreaterThanOrEqual(total * 0.3);
  const q = (consumers[0]!.store as SqliteStore).db;
  expect((q.prepare('SELECT count(*) n FROM entries').get() as { n: number }).n).toBe(total * 16);
  expect((q.prepare('SELECT sum(entries) n FROM devices').get() as { n: number }).n).toBe(total * 16);
  expect(q.prepare('SELECT * FROM parked').all()).toEqual([]);
  expect(q.prepare(`SELECT * FROM alerts WHERE resolved IS NULL AND severity <> 'info'`).all()).toEqual([]);
  expect(a.rejected + b.rejected).toBe(0);
}, 60_000);
