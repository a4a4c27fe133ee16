// The deployment path of issue 16, walked the way the README tells a newcomer to, with the shipped
// CLI only (bin/preflight.js, one process per step) and keys, a policy and scenarios made here:
// keys -> policy -> image -> flash -> first boot offline -> enrol -> `fleet consume` on a real
// Mosquitto -> a day of sales -> lock, unlock and rotate-key sent with `fleet send` -> `fleet export`
// byte-identical to the terminal's export and verifying with the first key -> fleet-wide report ->
// an unreachable broker: the terminal trades offline and the run ends normally. Once on Mosquitto,
// once on NATS (the terminal through its MQTT gateway, the consumer a JetStream durable), and once
// on Mosquitto with the store on PostgreSQL (SPEC §7, `--db postgres://...`, a server started here):
// there a second consumer, an observer without the backend key, keeps a SQLite copy of the same
// messages, and report and export answer the same from both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmp } from '../helpers/device';
import { freePort, startMosquitto, startNatsCluster, type Mosquitto, type NatsCluster } from './helpers/brokers';
import { startPostgres, type Postgres } from './helpers/postgres';
import { until } from './helpers/terminals';
import { openStore } from '../../src/fleet/store';

let dir = '';
const at = (p: string) => join(dir, p);
const cli = (...args: string[]) => {
  const r = spawnSync('node', ['bin/preflight.js', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const must = (...args: string[]) => { const r = cli(...args); expect(r.code, `${args.join(' ')}\n${r.out}\n${r.err}`).toBe(0); return r.out; };
const day = (date: string, refs: string[]) => {
  const f = at(`day-${date}.json`);
  writeFileSync(f, JSON.stringify({
    name: `a day at T-0001 (${date})`, device: { id: 'T-0001', fleet: 'shop' },
    start: { time: `${date}T10:00:00+08:00`, fix: { lat: 31.2304, lon: 121.4737, accuracyM: 15 } },
    events: refs.map((ref, i) => ({ at: `+${i + 1}m`, txn: { ref, type: 'sale', channel: 'card', amountMinor: 1200 + i, entryMode: '051', conditionCode: '00' } })),
  }));
  return f;
};
const lines = (out: string) => out.trim().split('\n').map((l) => JSON.parse(l));

/** Where the terminal connects (MQTT), where the consumer reads (MQTT or NATS JetStream), and its extra flags. */
interface Broker { terminal: string; consumer: string; flags: string[]; stop(): Promise<void> }
const mosquitto = async (): Promise<Broker> => { const m: Mosquitto = await startMosquitto(); return { terminal: m.url, consumer: m.url, flags: [], stop: () => m.stop() }; };
const nats = async (): Promise<Broker> => {
  const c: NatsCluster = await startNatsCluster(1);
  const n = c.nodes[0]!;
  return { terminal: n.mqttUrl, consumer: c.servers, flags: ['--ack-broker', n.mqttUrl], stop: () => c.stop() };
};

for (const [name, start, store] of [['Mosquitto', mosquitto, 'SQLite'], ['NATS JetStream', nats, 'SQLite'], ['Mosquitto', mosquitto, 'PostgreSQL']] as const) {
describe(`the deployment path on ${name}, stored in ${store}`, () => {
let b: Broker, pg: Postgres | null = null, db = '';
// Each run's own consumers and log: a consumer of the run before may still print as it stops.
let consumer: ChildProcess | null = null, observer: ChildProcess | null = null, consumerLog = '';
beforeAll(async () => {
  b = await start(); dir = tmp('pf-walk-'); consumer = observer = null; consumerLog = '';
  if (store === 'PostgreSQL') { pg = await startPostgres(); db = await pg.database(); } else db = at('fleet.sqlite');
}, 60_000);
afterAll(async () => { consumer?.kill('SIGTERM'); observer?.kill('SIGTERM'); await b?.stop(); await pg?.stop(); });

it('from keys to the fleet and back, with nothing but the product', async () => {
  const mosq = { url: b.terminal };
  // Provisioning: the operator's, the backend's and the release keys, a policy, an image, a flash.
  for (const n of ['operator', 'backend', 'release']) must('keys', 'new', '--out', at('keys'), '--name', n);
  must('policy', 'sign', 'host-sim/scenarios/policy-shop.json', '--key', at('keys/operator.key'), '--out', at('shop.cose'));
  must('image', 'build', '--policy', at('shop.cose'), '--trust', at('keys/operator.pub'), '--backend', at('keys/backend.pub'),
    '--key', at('keys/release.key'), '--out', at('image'));
  expect(must('image', 'flash', '--image', at('image'), '--data', at('term'))).toMatch(/flashed: version \d+/);

  // First boot, offline; then enrolment of the key it made.
  const first = lines(must('sim', 'run', day('2026-03-02', ['A1', 'A2']), '--data', at('term'), '--broker', 'none', '--json'));
  expect(first.filter((l) => l.event === 'decision').map((l) => l.verdict)).toEqual(['allow', 'allow']);
  mkdirSync(at('registry')); writeFileSync(at('registry/fleet'), 'shop\n');
  must('enrol', '--data', at('term'), '--registry', at('registry'), '--dev', 'T-0001');
  expect(readFileSync(at('registry/T-0001.pub'), 'utf8')).toBe(readFileSync(at('term/device.pub'), 'utf8'));

  // The fleet consumer on the real broker.
  consumer = spawn('node', ['bin/preflight.js', 'fleet', 'consume', '--broker', b.consumer, '--registry', at('registry'), '--db', db,
    '--backend-key', at('keys/backend.key'), '--client-id', 'walk-fleet', '--json', ...b.flags], { stdio: ['ignore', 'pipe', 'pipe'] });
  consumer.stdout!.on('data', (d) => { consumerLog += d; });
  consumer.stderr!.on('data', (d) => { consumerLog += d; });
  await until(() => consumerLog.length > 0 || consumer!.exitCode !== null, 15_000, 'the consumer to start');
  if (store === 'PostgreSQL') {
    let seen = '';
    observer = spawn('node', ['bin/preflight.js', 'fleet', 'consume', '--broker', b.consumer, '--registry', at('registry'), '--db', at('witness.sqlite'),
      '--client-id', 'walk-witness', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    observer.stdout!.on('data', (d) => { seen += d; });
    await until(() => seen.includes('"event":"ready"') || observer!.exitCode !== null, 15_000, 'the observer to start');
    expect(seen).toMatch(/"event":"ready","mode":"mqtt","db":".*witness\.sqlite"/);
    expect(consumerLog).toMatch(/"event":"ready","mode":"mqtt","db":"postgres:\/\/postgres@127\.0\.0\.1:\d+\/pf_\w+"/);
  }
  await new Promise((r) => setTimeout(r, 500));

  // A day of sales online: everything it sealed is acknowledged by the consumer.
  const d2 = lines(must('sim', 'run', day('2026-03-03', ['B1', 'B2', 'B3']), '--data', at('term'), '--broker', mosq.url, '--json'));
  const s2 = d2.find((l) => l.event === 'summary');
  expect(s2.journal.acknowledgedThrough, consumerLog).toBe(s2.journal.sealedThrough);

  // Commands from the fleet: a lock reaches the terminal at its next connect and stops its sales.
  expect(must('fleet', 'send', 'lock', '--dev', 'T-0001', '--broker', mosq.url, '--registry', at('registry'), '--key', at('keys/operator.key'),
    '--args', '{"why":"audit"}')).toMatch(/sent lock to T-0001 \(counter 1/);
  const d3 = lines(must('sim', 'run', day('2026-03-04', ['C1', 'C2', 'C3']), '--data', at('term'), '--broker', mosq.url, '--json'));
  expect(d3.some((l) => l.event === 'command' && l.kind === 'lock' && l.accepted)).toBe(true);
  expect(d3.filter((l) => l.event === 'decision').at(-1).reasons).toContain('DEVICE_LOCKED');
  must('fleet', 'send', 'unlock', '--dev', 'T-0001', '--broker', mosq.url, '--registry', at('registry'), '--key', at('keys/operator.key'));
  must('fleet', 'send', 'rotate-key', '--dev', 'T-0001', '--broker', mosq.url, '--registry', at('registry'), '--key', at('keys/operator.key'));
  const d4 = lines(must('sim', 'run', day('2026-03-05', ['D1', 'D2', 'D3']), '--data', at('term'), '--broker', mosq.url, '--json'));
  expect(d4.filter((l) => l.event === 'command' && l.accepted).map((l) => l.kind)).toEqual(['unlock', 'rotate-key']);
  expect(d4.filter((l) => l.event === 'decision').at(-1).verdict).toBe('allow');
  expect(readFileSync(at('term/device.pub'), 'utf8')).not.toBe(readFileSync(at('term/device.current.pub'), 'utf8'));

  // The fleet's copy is the terminal's journal, byte for byte, and verifies with the first key.
  must('journal', 'export', '--data', at('term'), '--out', at('term.cbor'));
  const mine = readFileSync(at('term.cbor'));
  await until(() => { cli('fleet', 'export', '--db', db, '--dev', 'T-0001', '--out', at('fleet.cbor'));
    try { return readFileSync(at('fleet.cbor')).equals(mine); } catch { return false; } }, 20_000, 'the fleet to hold the whole journal');
  expect(must('journal', 'verify', at('fleet.cbor'), '--pub', at('registry/T-0001.pub'), '--lang', 'en')).toMatch(/^valid: \d+ entries of T-0001/);
  // A consumer that answers is never sent the same batch twice: nothing re-sent, nothing dropped as a replay.
  const opened = await openStore(db);
  if (!opened.ok) throw new Error(opened.error);
  try { expect(await opened.value.device('T-0001')).toMatchObject({ duplicates: 0, replays: 0 }); } finally { await opened.value.close(); }

  // The fleet-wide report: the lock's denials are there, verified, and nothing is missing.
  const rep = JSON.parse(must('fleet', 'report', '--db', db, '--date', '2026-03-04', '--json', '--lang', 'en'));
  const row = rep.terminals.find((t: any) => t.dev === 'T-0001');
  expect(row.preflight.deny).toBe(3);
  expect(row.gaps).toEqual([]);
  if (store === 'PostgreSQL') {
    // The observer's SQLite copy of the same messages: the same journal, the same report (its acks aside: it sends none).
    await until(() => { cli('fleet', 'export', '--db', at('witness.sqlite'), '--dev', 'T-0001', '--out', at('witness.cbor'));
      try { return readFileSync(at('witness.cbor')).equals(mine); } catch { return false; } }, 20_000, 'the observer to hold the whole journal');
    const dev = (db: string) => JSON.parse(must('fleet', 'report', '--db', db, '--dev', 'T-0001', '--date', '2026-03-04', '--json', '--lang', 'en'));
    const [p, s] = [dev(db), dev(at('witness.sqlite'))];
    expect(s.gaps.map((g: any) => g.cause)).toEqual(['unacknowledged']);
    expect({ ...p, gaps: [] }).toEqual({ ...s, gaps: [] });
    expect(p.transactions.map((t: any) => t.ref)).toEqual(['C1', 'C2', 'C3']);
  }

  // The broker gone: the terminal trades offline and the run ends normally.
  const port = await freePort();
  const off = cli('sim', 'run', day('2026-03-06', ['E1', 'E2']), '--data', at('term'), '--broker', `mqtt://127.0.0.1:${port}`, '--lang', 'en');
  expect(off.code, off.err).toBe(0);
  expect(off.out).toMatch(/could not be reached/);
  expect(off.out).toMatch(/E2\s+allow/);

  // The terminal boots what its loader verifies on its flash, every boot: a changed bundle in its slot does not run.
  const slot = at('term/img/a/agent.js');
  writeFileSync(slot, 'globalThis.agent = null;\n' + readFileSync(slot, 'utf8'));
  const tampered = cli('sim', 'run', day('2026-03-07', ['F1']), '--data', at('term'), '--broker', 'none', '--lang', 'en');
  expect(tampered.code).toBe(1);
  expect(tampered.err).toMatch(/the installed image does not verify.*agent\.js does not match the manifest/);
}, 240_000);
});
}
