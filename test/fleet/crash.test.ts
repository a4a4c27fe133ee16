// A consumer killed mid-drain, right after a commit and before it acknowledged anything to the
// broker or the terminal, then restarted: the broker redelivers what was not PUBACKed, the store
// drops what it already holds, and every terminal ends acknowledged: nothing lost, nothing doubled.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import Database from 'better-sqlite3';
import { filters } from '../../src/fleet/source-mqtt';
import { useNativeCrypto } from '../../src/fleet/native';
import { startMosquitto, type Mosquitto } from './helpers/brokers';
import { makeFleet, until, type Fleet } from './helpers/terminals';
import { removeBundle, spawnConsumer } from './helpers/child';

useNativeCrypto();
let broker: Mosquitto, dir: string, fleet: Fleet;
const N = 12, BATCHES = 4;

beforeAll(async () => {
  broker = await startMosquitto();
  dir = mkdtempSync(join(tmpdir(), 'pf-crash-'));
  fleet = makeFleet(dir, N, { decisions: 16 * BATCHES });
});
afterAll(async () => {
  try { await Promise.all((fleet?.terminals ?? []).map((t) => t.end())); } finally {
    await broker?.stop();
    await removeBundle();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

it('kill -9 after a commit, before any ack; restart: nothing lost, nothing doubled, everything acknowledged', async () => {
  const db = join(dir, 'fleet.sqlite');
  const args = ['--broker', broker.url, '--registry', fleet.registry, '--db', db, '--backend-key', fleet.backendKeyFile,
    '--client-id', 'pf-crash-consumer', '--json', '--once-idle-ms', '1500'];
  // The consumer's persistent session exists before the terminals publish (a consumer that was running).
  const s = await mqtt.connectAsync(broker.url, { clientId: 'pf-crash-consumer', clean: false, protocolVersion: 4 });
  await s.subscribeAsync(filters(), { qos: 1 });
  await s.endAsync();
  for (const t of fleet.terminals) await t.connect(broker.url);
  await Promise.all(fleet.terminals.map((t) => t.sendFrom()));
  const total = N * BATCHES;

  const KILL_AT = 17;
  const first = await spawnConsumer(args, { PF_KILL_AFTER_COMMITS: String(KILL_AT) });
  const died = await first.exited;
  expect(died.signal).toBe('SIGKILL');
  const q = new Database(db, { readonly: true });
  const stored1 = (q.prepare('SELECT count(*) n FROM entries').get() as { n: number }).n;
  expect(stored1).toBe(KILL_AT * 16);                       // every commit up to the kill is there
  expect(fleet.terminals.every((t) => t.acked < t.sealed)).toBe(true);

  const second = await spawnConsumer(args);
  await until(() => fleet.terminals.every((t) => t.acked === t.sealed), 30_000, 'every terminal acknowledged');
  await second.exited;
  const sum = second.summary()!;
  const entries = (q.prepare('SELECT count(*) n FROM entries').get() as { n: number }).n;
  const counted = (q.prepare('SELECT sum(entries) n, sum(duplicates) d FROM devices').get() as { n: number; d: number });
  const perDev = q.prepare('SELECT dev, last_seq, entries FROM devices ORDER BY dev').all() as { dev: string; last_seq: number; entries: number }[];
  q.close();
  console.log(`crash test: ${total} batches, killed after commit ${KILL_AT}; restart stored ${sum.stored} entries, dropped ${sum.duplicates} redelivered duplicates`);
  expect(entries).toBe(total * 16);                         // nothing lost
  expect(counted.n).toBe(total * 16);                       // nothing stored twice
  expect(perDev.every((d) => d.last_seq === 16 * BATCHES && d.entries === 16 * BATCHES)).toBe(true);
  expect(sum.stored).toBe(total * 16 - stored1);
  expect(sum.duplicates).toBeGreaterThanOrEqual(16);         // the killed commit came back and was dropped
  expect(sum.duplicates % 16).toBe(0);
  expect(sum.rejected).toBe(0);
  expect(fleet.terminals.every((t) => t.refusedAcks === 0)).toBe(true);
}, 90_000);
