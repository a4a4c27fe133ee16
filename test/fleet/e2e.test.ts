// The real agent core (Agent + Telemetry, the code the bundle runs) uploading through Mosquitto to
// `preflight fleet consume`: its batches are stored, the ack the consumer signs is accepted by the
// agent's own Telemetry.onAck, and `fleet report` then explains that day's denials.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { ST } from '../../src/core/hal/types';
import { toHex } from '../../src/core/util/bytes';
import { writeKeyPair } from '../../src/node/keys';
import { dispatch } from '../../src/cli/dispatch';

const fleetCommand = (argv: string[]) => dispatch(['fleet', ...argv], (s) => process.stdout.write(s + '\n'));
import type { NetPort } from '../../host-sim/hal/node-hal';
import { startMosquitto, type Mosquitto } from './helpers/brokers';
import { until } from './helpers/terminals';
import { cleanup, rig, sell, type Rig } from '../helpers/device';

let broker: Mosquitto, dir: string, r: Rig, client: MqttClient;

beforeAll(async () => { broker = await startMosquitto(); dir = mkdtempSync(join(tmpdir(), 'pf-e2e-')); });
afterAll(async () => {
  try { client?.stream?.destroy(); client?.end(true); } finally {
    await broker?.stop();
    if (r) cleanup(r.dir);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

/** The HAL's message link over mqtt.js; inbound messages go to the agent as net.msg events. */
async function link(rg: Rig): Promise<NetPort> {
  client = await mqtt.connectAsync(broker.url, { clientId: 'agent-T-TEST', protocolVersion: 4, clean: false });
  client.on('message', (t, p) => rg.agent.onEvent({ t: 'net.msg', topic: t, payload: new Uint8Array(p) }));
  await client.subscribeAsync('preflight/v1/test/T-TEST/ack', { qos: 1 });
  return {
    publish: (t, p, qos, retain) => { client.publish(t, Buffer.from(p), { qos, retain }); return ST.OK; },
    subscribe: (f) => { client.subscribe(f, { qos: 1 }); return ST.OK; },
    will: () => ST.OK,
    connected: () => client.connected,
  };
}

it('a terminal\'s journal goes through MQTT into the store; the agent accepts the signed ack; the report explains the denials', async () => {
  r = rig();
  // A morning: approvals, two sales over the card single limit, then the terminal carried 50 km away.
  for (let i = 0; i < 8; i++) { sell(r, `S${i}`, 12_800); r.agent.idle(); }
  for (let i = 0; i < 2; i++) { sell(r, `BIG${i}`, 6_000_000); r.agent.idle(); }
  r.hal.fix = { lat: 31.68, lon: 121.4737, accuracyM: 10, monoMs: 0 };
  for (let i = 0; i < 3; i++) { sell(r, `FAR${i}`, 500); r.agent.idle(); }
  r.agent.sealing.sealNow();
  const sealed = r.agent.journal.sealedSeq;

  mkdirSync(join(dir, 'registry'));
  writeFileSync(join(dir, 'registry', 'T-TEST.pub'), toHex(r.agent.sealing.key.pub) + '\n');
  const keyFile = writeKeyPair(join(dir, 'keys'), 'backend', r.backend).key;
  const db = join(dir, 'fleet.sqlite');

  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  let code: number;
  try {
    const consuming = fleetCommand(['consume', '--broker', broker.url, '--registry', join(dir, 'registry'), '--db', db,
      '--backend-key', keyFile, '--json', '--once-idle-ms', '1500']);
    await until(() => out.includes('"event":"ready"'), 10_000, 'consumer ready');
    r.hal.net = await link(r);
    r.agent.onEvent({ t: 'net.state', up: true });   // birth, then the journal from the ack cursor
    await until(() => r.agent.journal.ackSeq === sealed, 15_000, 'the agent to accept an ack covering its journal');
    code = await consuming;
  } finally { spy.mockRestore(); }
  expect(code).toBe(0);
  const lines = out.trim().split('\n').map((l) => JSON.parse(l));
  expect(lines[0]).toMatchObject({ event: 'ready', mode: 'mqtt' });
  expect(lines.filter((l) => l.event === 'alert')).toEqual([]);
  expect(lines.at(-1)).toMatchObject({ event: 'summary', stored: sealed, rejected: 0 });
  expect(lines.some((l) => l.event === 'status' && l.dev === 'T-TEST' && l.online === true)).toBe(true);
  expect(lines.filter((l) => l.event === 'ack').at(-1)).toMatchObject({ dev: 'T-TEST', seq: sealed });

  let rep = '';
  const spy2 = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { rep += String(s); return true; });
  try { expect(await fleetCommand(['report', '--db', db, '--dev', 'T-TEST', '--lang', 'en', '--date', '2026-03-02', '--json'])).toBe(0); }
  finally { spy2.mockRestore(); }
  const report = JSON.parse(rep);
  expect(report.preflight).toMatchObject({ deny: 5 });
  expect(report.reasons.map((x: any) => [x.name, x.count])).toEqual(expect.arrayContaining([['GEO_OUTSIDE', 3], ['LIMIT_SINGLE', 2]]));
  expect(report.reasons.find((x: any) => x.name === 'GEO_OUTSIDE').message).toMatch(/^The terminal is 50\.\d km from its registered address/);
}, 60_000);
