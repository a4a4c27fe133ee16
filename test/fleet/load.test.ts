// Load: 1,000 terminals, each with its own key and a real sealed journal (the core's Journal), publish
// through one Mosquitto into two consumer processes sharing the load (MQTT 5 shared subscription)
// and one store. Every terminal also re-sends its first batch (a reconnect). Loss must be 0. Once on
// each store (SPEC §7): a SQLite file, and a PostgreSQL database on a server started here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { useNativeCrypto } from '../../src/fleet/native';
import { startMosquitto, type Mosquitto } from './helpers/brokers';
import { startPostgres, type Postgres } from './helpers/postgres';
import { makeFleet, type Fleet } from './helpers/terminals';
import { removeBundle, spawnConsumer, type ChildConsumer } from './helpers/child';

useNativeCrypto();
const TERMINALS = 1_000, BATCHES = 3, PER_BATCH = 16;

/** Where the two consumers store, and one number read back from it by SQL (the test's own view, not the store's). */
interface Db { url: string; one(sql: string): Promise<number>; stop(): Promise<void> }
const sqlite = async (dir: string): Promise<Db> => {
  const url = join(dir, 'fleet.sqlite');
  return { url, stop: async () => {}, async one(sql) { const q = new Database(url, { readonly: true }); try { return Number(Object.values(q.prepare(sql).get() as object)[0]); } finally { q.close(); } } };
};
const postgres = async (): Promise<Db> => {
  const server: Postgres = await startPostgres();
  const url = await server.database();
  return { url, stop: () => server.stop(), async one(sql) { const c = new pg.Client({ connectionString: url }); await c.connect(); try { return Number(Object.values((await c.query(sql)).rows[0])[0]); } finally { await c.end(); } } };
};

// PostgreSQL answers each statement over a socket: the same load takes it longer (README: Numbers).
for (const [name, open, ackWithinMs] of [['SQLite', sqlite, 90_000], ['PostgreSQL', postgres, 150_000]] as const) {
describe(`load on ${name}`, () => {
let broker: Mosquitto, dir: string, fleet: Fleet, store: Db;
const consumers: ChildConsumer[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
  dir = mkdtempSync(join(tmpdir(), 'pf-load-'));
  store = await open(dir);
  fleet = makeFleet(dir, TERMINALS, { decisions: BATCHES * PER_BATCH, sealEvery: PER_BATCH });
}, 120_000);
afterAll(async () => {
  try {
    for (const c of consumers) if (c.child.exitCode === null) c.child.kill('SIGKILL');
    await Promise.all((fleet?.terminals ?? []).map((t) => t.end()));
  } finally {
    await broker?.stop();
    await store?.stop();
    await removeBundle();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

it(`${TERMINALS} terminals into two consumers: every entry stored once, duplicates dropped, loss 0`, async () => {
  const db = store.url;
  // The terminals connect first: on a busy machine 1,000 connects outlast the consumers' idle exit.
  const ts = fleet.terminals;
  for (let i = 0; i < ts.length; i += 100) await Promise.all(ts.slice(i, i + 100).map((t) => t.connect(broker.url)));
  for (const id of ['c1', 'c2']) {
    consumers.push(await spawnConsumer(['--broker', broker.url, '--registry', fleet.registry, '--db', db, '--backend-key', fleet.backendKeyFile,
      '--share', 'load', '--client-id', `pf-load-${id}`, '--json', '--once-idle-ms', '6000']));
  }
  await Promise.all(consumers.map((c) => c.ready));

  const t0 = performance.now();
  await Promise.all(ts.map(async (t) => {
    await t.sendFrom(1);
    await t.publish(t.gen.batches(1)[0]!);   // the first batch again, as after a reconnect
  }));
  const acked = await Promise.all(ts.map((t) => t.waitAcked(ackWithinMs, 15_000)));
  const secs = (performance.now() - t0) / 1000;
  const exits = await Promise.all(consumers.map((c) => c.exited));
  expect(exits.map((e) => e.code)).toEqual([0, 0]);

  const [a, b] = consumers.map((c) => c.summary()!) as [Record<string, number>, Record<string, number>];
  const stored = await store.one('SELECT count(*) AS n FROM entries');
  const counted = { n: await store.one('SELECT sum(entries) AS n FROM devices') };
  const open = await store.one(`SELECT count(*) AS n FROM alerts WHERE severity <> 'info' AND resolved IS NULL`);
  const sent = TERMINALS * BATCHES * PER_BATCH;
  const loss = sent - stored;
  const messages = ts.reduce((n, t) => n + t.published, 0);
  const resent = ts.reduce((n, t) => n + t.resent, 0);
  console.log(`load (${name}): ${TERMINALS} terminals, ${messages} journal messages, ${sent} entries stored and acknowledged in ${secs.toFixed(1)} s ` +
    `= ${Math.round(sent / secs)} entries/s end to end; loss ${loss}; duplicates dropped ${a.duplicates + b.duplicates} entries; ` +
    `split ${a.messages}/${b.messages} (consumer CPU ${a.cpuMs}/${b.cpuMs} ms); parked ${a.parked + b.parked}; terminal re-sends ${resent}`);
  expect(loss).toBe(0);
  expect(acked.every(Boolean)).toBe(true);
  expect(counted.n).toBe(sent);                                  // nothing stored twice
  expect(a.duplicates + b.duplicates).toBeGreaterThanOrEqual(TERMINALS * PER_BATCH);
  expect(a.messages + b.messages).toBeGreaterThanOrEqual(messages);
  expect(Math.min(a.messages, b.messages)).toBeGreaterThan(messages * 0.3);
  expect(a.rejected + b.rejected).toBe(0);
  expect(open).toBe(0);
}, ackWithinMs + 80_000);
});
}
