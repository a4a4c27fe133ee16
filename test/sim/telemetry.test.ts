// Telemetry over MQTT (SPEC §7, issue 6) against real brokers started here on free loopback ports:
// the journal is the outbox, so outages, a broker hard kill, a crashed backend and power cuts lose
// nothing; the terminal compacts only what a signed ack covers; bad commands and acks are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { parseScenario } from '../../host-sim/scenario/parse';
import { runScenario } from '../../host-sim/scenario/run';
import { openLinks } from '../../host-sim/scenario/links';
import { allDelivered, runLinks, storedSeqs } from '../helpers/links';
import { encode } from '../../src/core/codec/cbor';
import { sign1 } from '../../src/core/crypto/cose';
import { newKeyPair } from '../../src/node/keys';
import { bundle } from '../helpers/bundle';
import { tmp } from '../helpers/device';
import { card } from '../helpers/scenario';
import { startMosquitto, startNatsCluster, waitPort, type Mosquitto } from '../fleet/helpers/brokers';

const policy = () => JSON.parse(readFileSync('host-sim/scenarios/policy-shop.json', 'utf8'));
const scenario = (events: Record<string, unknown>[], edit: (p: any) => void = () => {}, id = 'T-TEL') => {
  const p = policy(); edit(p);
  return parseScenario({ name: 'telemetry', device: { id, fleet: 'tel' }, policy: p,
    start: { time: '2026-03-02T10:00:00+08:00', fix: { lat: 31.2304, lon: 121.4737, accuracyM: 10 } },
    events: events.map((e, i) => ({ at: `+${i}m`, ...e })) });
};
const sales = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => card(`${prefix}${i}`, 1000 + i));

let mosq: Mosquitto;
beforeAll(async () => { mosq = await startMosquitto(); }, 30_000);
afterAll(async () => { await mosq?.stop(); });

describe('store and forward', () => {
  for (const v of [4, 5] as const) {
    it(`a day with outages and power cuts on Mosquitto (MQTT ${v === 4 ? '3.1.1' : '5'}) delivers every entry once`, async () => {
      const dataDir = tmp('pf-tel-');
      const net = await openLinks(mosq.url, dataDir, { protocolVersion: v, fleet: true });
      try {
        const r = await runScenario(scenario([
          ...sales('A', 6), { network: 'down' }, ...sales('B', 8), { power: 'cut' }, ...sales('C', 3),
          { network: 'up' }, ...sales('D', 4), { power: { cutAtWrite: 2, midWrite: true } }, card('E0'), ...sales('F', 3),
        ]), { dataDir, bundle: bundle(), ...runLinks(net) });
        expect(net.network!.protocolVersion).toBe(v);
        const d = await allDelivered(r, net, 'T-TEL');
        expect(d.duplicates).toBeLessThan((r.summary.journal as any).entries);   // re-sends happen, but are dropped
      } finally { await net.close(); }
    }, 120_000);
  }

  it('outages, a broker hard kill mid-upload and power cuts in one day: every entry arrives once', async () => {
    const dataDir = tmp('pf-kill-');
    const m = await startMosquitto();
    const net = await openLinks(m.url, dataDir, { protocolVersion: 4, fleet: true });
    const conf = join(m.dir, 'mosquitto.conf');
    try {
      const events = [...sales('A', 5), { network: 'down' }, ...sales('O', 3), { network: 'up' }, { power: 'cut' },
        ...sales('B', 5), ...sales('K', 6), { power: { cutAtWrite: 2, midWrite: true } }, card('PC'), ...sales('C', 6)];
      const killAt = events.findIndex((e: any) => e.txn?.ref === 'K0'), restartAt = events.findIndex((e: any) => e.txn?.ref === 'C0');
      const r = await runScenario(scenario(events), {
        dataDir, bundle: bundle(), ...runLinks(net),
        beforeEvent: async (i) => {
          if (i === killAt) await m.proc.kill('SIGKILL');                  // gone mid-day, without a goodbye
          if (i === restartAt) {
            const { spawn } = await import('node:child_process');
            const child = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
            m.proc = { child, log: '', kill: async (s = 'SIGTERM') => { child.kill(s); await new Promise((res) => child.once('exit', res)); } };
            await waitPort(m.port);
            await new Promise((res) => setTimeout(res, 600));               // clients reconnect (200 ms period)
          }
        },
      });
      // The kill was real: the terminal saw its link go and come back, and carried on; so were the cuts.
      expect(r.lines.filter((l) => l.event === 'link').map((l) => l.up)).toEqual(expect.arrayContaining([false, true]));
      expect(r.lines.filter((l) => l.event === 'power' && l.state === 'lost')).toHaveLength(2);
      await allDelivered(r, net, 'T-TEL');
    } finally { await net.close(); await m.stop(); }
  }, 120_000);

  it('a backend that crashes mid-drain and comes back: nothing lost, nothing stored twice', async () => {
    const dataDir = tmp('pf-crash-');
    let crashed = false;
    const net = await openLinks(mosq.url, dataDir, { protocolVersion: 4, fleet: true });
    try {
      const r = await runScenario(scenario([...sales('A', 10), ...sales('B', 10)]), {
        dataDir, bundle: bundle(), ...runLinks(net),
        beforeEvent: async (i) => { if (i === 5) { await net.fleet!.stop(); crashed = true; } if (i === 12) await net.fleet!.start(); },
      });
      expect(crashed).toBe(true);
      await allDelivered(r, net, 'T-TEL');
    } finally { await net.close(); }
  }, 120_000);

  it('the terminal compacts only what was settled and acknowledged', async () => {
    const dataDir = tmp('pf-compact-');
    const net = await openLinks(mosq.url, dataDir, { protocolVersion: 4, fleet: true });
    try {
      const many = Array.from({ length: 260 }, (_, i) => ({ at: `+${i * 20}s`, ...card(`S${i}`, 100) }));
      const p = policy();
      p.resources.batchMaxTxns = 1000; p.limits.velocity = { count: 1000, windowS: 60 };
      const sc = parseScenario({ name: 'compact', device: { id: 'T-TEL', fleet: 'tel' }, policy: p,
        start: { time: '2026-03-02T10:00:00+08:00', fix: { lat: 31.2304, lon: 121.4737, accuracyM: 10 } },
        events: [...many, { at: '+90m', settle: {} }, { at: '+91m', ...card('AFTER') }] });
      const r = await runScenario(sc, { dataDir, bundle: bundle(), ...runLinks(net) });
      await allDelivered(r, net, 'T-TEL');
      const { readdirSync } = await import('node:fs');
      const segs = readdirSync(join(dataDir, 'j')).sort();
      expect(segs.length).toBeGreaterThanOrEqual(1);
      expect(+segs[0]!).toBeGreaterThan(1);                                   // old segments are gone
      const { exportJournal } = await import('../../src/core/journal/export');
      const { NodeHal } = await import('../../host-sim/hal/node-hal');
      const { splitSequence } = await import('../../src/core/codec/cbor');
      const { parseEntry } = await import('../../src/core/journal/entry');
      const recs = ({ ok: true as const, value: exportJournal(new NodeHal({ dir: dataDir, storageBytes: 1 << 30, startWallMs: 0 })).body });
      const first = (recs as any).value.map(parseEntry).find((e: any) => e.ok).value.seq;
      expect(first).toBeLessThanOrEqual((r.summary.journal as any).acknowledgedThrough);  // nothing past the ack was deleted
      expect(first).toBeGreaterThan(1);
    } finally { await net.close(); }
  }, 180_000);
});

describe('commands and acknowledgements from the network', () => {
  it('forged, replayed and expired commands, and an unsigned ack, are refused and journaled with a reason', async () => {
    const dataDir = tmp('pf-cmd-');
    const net = await openLinks(mosq.url, dataDir, { protocolVersion: 4, fleet: true });
    const attacker = mqtt.connect(mosq.url, { protocolVersion: 4 });
    await new Promise((res) => attacker.once('connect', res));
    const cmdTopic = 'preflight/v1/tel/T-TEL/cmd', ackTopic = 'preflight/v1/tel/T-TEL/ack';
    try {
      const r = await runScenario(scenario([
        card('A'), { cmd: { kind: 'lock', why: 'audit' } }, card('LOCKED'), { cmd: { kind: 'unlock' } }, { cmd: { kind: 'unlock', replay: true } },
        { cmd: { kind: 'lock', forge: true } }, { cmd: { kind: 'lock', expired: true } },
        card('B'), card('C'), card('D'),
      ]), {
        dataDir, bundle: bundle(), ...runLinks(net),
        beforeEvent: async (i) => {
          if (i === 7) {
            // Straight onto the wire: an ack with no signature, and one signed by someone else.
            attacker.publish(ackTopic, Buffer.from(encode({ dev: 'T-TEL', seq: 1_000_000 })), { qos: 1 });
            attacker.publish(ackTopic, Buffer.from(sign1(encode({ dev: 'T-TEL', seq: 1_000_000 }), newKeyPair().secretKey)), { qos: 1 });
            attacker.publish(cmdTopic, Buffer.from(sign1(encode({ dev: 'T-TEL', n: 99, exp: Date.now() + 1e9, kind: 'lock' }), newKeyPair().secretKey)), { qos: 1 });
            await new Promise((res) => setTimeout(res, 200));
          }
        },
      });
      const cmds = r.lines.filter((l) => l.event === 'command');
      // Every command that came down is answered, the attacker's too; an unauthenticated one has no kind the terminal could trust.
      expect(cmds.map((c) => [c.kind, c.accepted])).toEqual([['lock', true], ['unlock', true], ['unlock', false], [null, false], ['lock', false], [null, false]]);
      expect(cmds[2]!.why).toMatch(/replay/);
      expect(cmds[3]!.why).toMatch(/signature/);
      expect(cmds[4]!.why).toMatch(/expired/);
      expect(cmds[5]!.why).toMatch(/signature/);
      expect((r.lines.find((l) => l.event === 'decision' && l.ref === 'LOCKED') as any).reasons).toContain('DEVICE_LOCKED');
      expect((r.lines.find((l) => l.event === 'decision' && l.ref === 'D') as any).reasons).not.toContain('DEVICE_LOCKED');
      await allDelivered(r, net, 'T-TEL');                                       // the forged acks freed nothing and stopped nothing
      const { exportJournal } = await import('../../src/core/journal/export');
      const { NodeHal } = await import('../../host-sim/hal/node-hal');
      const { splitSequence } = await import('../../src/core/codec/cbor');
      const { parseEntry } = await import('../../src/core/journal/entry');
      const recs = (({ ok: true as const, value: exportJournal(new NodeHal({ dir: dataDir, storageBytes: 1 << 30, startWallMs: 0 })).body }) as any).value;
      // Rate-limited (SPEC §6): the window's first refusal in full, then one entry counting them all,
      // three from the scenario and one from the wire.
      const rejected = recs.map(parseEntry).filter((e: any) => e.ok && e.value.type === 'command' && !e.value.body.accepted);
      expect(rejected.length).toBe(1);
      expect(rejected[0].value.body).toMatchObject({ reason: 'COMMAND_REJECTED', why: expect.stringMatching(/replay/) });
      const noise = recs.map(parseEntry).filter((e: any) => e.ok && e.value.type === 'noise');
      expect(noise.map((e: any) => e.value.body.count)).toEqual([4 + 2]);   // with the two forged acks
    } finally { attacker.end(true); await net.close(); }
  }, 120_000);
});

describe('other brokers', () => {
  it('the embedded broker (aedes) and the NATS MQTT gateway deliver the default day', async () => {
    const day = JSON.parse(readFileSync('host-sim/scenarios/day-at-a-shop.json', 'utf8'));
    for (const broker of ['embedded', 'nats'] as const) {
      const dataDir = tmp(`pf-${broker}-`);
      const nats = broker === 'nats' ? await startNatsCluster(3) : null;
      const net = await openLinks(nats ? nats.nodes[0]!.mqttUrl : 'embedded', dataDir, { protocolVersion: 4, fleet: true });
      try {
        const sc = parseScenario(day);
        const r = await runScenario(sc, { dataDir, bundle: bundle(), ...runLinks(net) });
        await allDelivered(r, net, 'T-0001');
      } finally { await net.close(); await nats?.stop(); }
    }
  }, 180_000);
});
