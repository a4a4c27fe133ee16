// The terminal's side of a real deployment (issue 16, issue 19) against a Mosquitto started here on
// a free loopback port: re-sends back off so a day nobody acknowledges costs a bounded number of
// messages and bytes (SPEC §7) while a consumer still gets prompt acks; one birth per connect; a
// clean shutdown leaves the retained {online: false}; an unreachable broker never stops trading;
// the run's counts cover every boot; a flashed folder's policy is the one a scenario without
// `policy` trades under.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import mqtt from 'mqtt';
import { decode } from '../../src/core/codec/cbor';
import { parseScenario } from '../../host-sim/scenario/parse';
import { runScenario } from '../../host-sim/scenario/run';
import { openLinks } from '../../host-sim/scenario/links';
import { allDelivered, runLinks } from '../helpers/links';
import { bundle } from '../helpers/bundle';
import { tmp } from '../helpers/device';
import { card } from '../helpers/scenario';
import { freePort, startMosquitto, type Mosquitto } from '../fleet/helpers/brokers';

const FLEET = 'dep';
const policy = () => {
  const p = JSON.parse(readFileSync('host-sim/scenarios/policy-shop.json', 'utf8'));
  p.resources.batchMaxTxns = 1000; p.limits.velocity = { count: 1000, windowS: 60 };
  return p;
};
/** A busy day (SPEC §8 wire_bytes_per_day): 200 sales from 09:00 to 21:00, then settlement. */
const busyDay = (id: string) => parseScenario({
  name: 'busy day', device: { id, fleet: FLEET }, policy: policy(),
  start: { time: '2026-03-02T09:00:00+08:00', fix: { lat: 31.2304, lon: 121.4737, accuracyM: 10 } },
  events: [...Array.from({ length: 200 }, (_, i) => ({ at: `+${Math.round(i * 216)}s`, ...card(`S${i}`, 100) })), { at: '+12h', settle: {} }],
});
const HOURS = 12;

/** Everything on the device's topics, as a broker subscriber sees it. */
async function tap(url: string, dev: string) {
  const c = mqtt.connect(url, { protocolVersion: 4 });
  await new Promise((res) => c.once('connect', res));
  const got: { kind: string; bytes: number; body: any; retain: boolean }[] = [];
  c.on('message', (t, p, pk) => { const d = decode(new Uint8Array(p), 'tap'); got.push({ kind: t.split('/')[4]!, bytes: p.length, body: d.ok ? d.value : null, retain: pk.retain }); });
  await new Promise((res) => c.subscribe(`preflight/v1/${FLEET}/${dev}/+`, { qos: 1 }, res));
  return { got, count: (k: string) => got.filter((g) => g.kind === k).length, bytes: (k: string) => got.filter((g) => g.kind === k).reduce((s, g) => s + g.bytes, 0),
    end: async () => { await new Promise((r) => setTimeout(r, 300)); c.end(true); } };
}

/** The retained `status` a newcomer reads. */
async function retainedStatus(url: string, dev: string): Promise<any> {
  const c = mqtt.connect(url, { protocolVersion: 4 });
  await new Promise((res) => c.once('connect', res));
  const v = await new Promise<any>((res) => {
    c.on('message', (_t, p) => { const d = decode(new Uint8Array(p), 'status'); res(d.ok ? d.value : null); });
    c.subscribe(`preflight/v1/${FLEET}/${dev}/status`, { qos: 1 });
    setTimeout(() => res(undefined), 1500);
  });
  c.end(true);
  return v;
}

let mosq: Mosquitto;
beforeAll(async () => { mosq = await startMosquitto(); }, 30_000);
afterAll(async () => { await mosq?.stop(); });

describe('re-sends back off (SPEC §7)', () => {
  it('a busy day on a broker with no consumer costs a bounded number of journal messages and bytes an hour', async () => {
    const dev = 'T-NOACK', dataDir = tmp('pf-noack-');
    const t = await tap(mosq.url, dev);
    const net = await openLinks(mosq.url, dataDir, { protocolVersion: 4 });
    try {
      const r = await runScenario(busyDay(dev), { dataDir, bundle: bundle(), ...runLinks(net) });
      await t.end();
      const j = r.summary.journal as any, tel = r.summary.telemetry as any;
      const perHour = t.count('journal') / HOURS, bytesPerHour = t.bytes('journal') / HOURS;
      console.log(`busy day, no consumer: ${t.count('journal')} journal messages, ${t.bytes('journal')} bytes (${t.got.length} messages, ` +
        `${t.got.reduce((s, g) => s + g.bytes, 0)} bytes in all); ${j.entries} entries, ${tel.lastBoot?.resends} re-sends`);
      expect(j.acknowledgedThrough).toBe(0);
      // Each sealed batch goes out once, plus at most a probe batch per backoff step: < 20 an hour, < 20 KB an hour.
      expect(perHour).toBeLessThan(20);
      expect(bytesPerHour).toBeLessThan(20_000);
      // What the run reports is what the broker saw.
      expect(tel.byKind.journal).toBe(t.count('journal'));
      // And the run says how long and why the entries wait.
      expect(r.summary.unacked).toMatchObject({ from: 1, to: j.sealedThrough, acksSinceBoot: 0, lastAckAgeS: null });
      expect((r.summary.unacked as any).ageS).toBeGreaterThanOrEqual(HOURS * 3600);
    } finally { await net.close(); }
  }, 120_000);

  it('with a consumer the same day is acknowledged promptly and re-sends little', async () => {
    const dev = 'T-ACK', dataDir = tmp('pf-ack-');
    const t = await tap(mosq.url, dev);
    const net = await openLinks(mosq.url, dataDir, { protocolVersion: 4, fleet: true });
    try {
      const r = await runScenario(busyDay(dev), { dataDir, bundle: bundle(), ...runLinks(net) });
      await t.end();
      await allDelivered(r, net, dev);
      const acks = t.count('ack');
      console.log(`busy day, with consumer: ${t.count('journal')} journal messages, ${t.bytes('journal')} bytes, ${acks} acks`);
      expect(acks).toBeGreaterThan(10);
      expect(t.count('journal')).toBeLessThan(20 * HOURS);
      expect(r.summary.unacked).toBeNull();
    } finally { await net.close(); }
  }, 120_000);
});

describe('status on the wire (SPEC §7, issue 19)', () => {
  it('one birth per connect, and a clean shutdown leaves the retained {online: false}', async () => {
    const dev = 'T-BIRTH', dataDir = tmp('pf-birth-');
    const t = await tap(mosq.url, dev);
    const net = await openLinks(mosq.url, dataDir, { protocolVersion: 4, fleet: true });
    try {
      const sc = parseScenario({
        name: 'births', device: { id: dev, fleet: FLEET }, policy: policy(),
        start: { time: '2026-03-02T10:00:00+08:00', fix: { lat: 31.2304, lon: 121.4737, accuracyM: 10 } },
        events: [card('A'), { network: 'down' }, card('B'), { network: 'up' }, card('C'), { power: 'cut' }, card('D'), { power: 'restart' }, card('E')]
          .map((e, i) => ({ at: `+${i}m`, ...e })),
      });
      const r = await runScenario(sc, { dataDir, bundle: bundle(), ...runLinks(net) });
      await t.end();
      const births = t.got.filter((g) => g.kind === 'status' && g.body?.online === true);
      // The terminal's link came up four times: first boot, network back, boot after the cut, boot after the restart.
      const boots = r.lines.filter((l) => l.event === 'boot' && l.ok).length;
      const ups = r.lines.filter((l) => l.event === 'network' && l.up).length;
      expect(boots).toBe(3);
      expect(births).toHaveLength(boots + ups);
      expect((r.summary.telemetry as any).births).toBe(boots + ups);
      // The restart and the end of the run were clean: each said so on `status`; the cut left it to the Last Will.
      const offline = t.got.filter((g) => g.kind === 'status' && g.body?.online === false);
      expect(offline.filter((g) => g.body.clean)).toHaveLength(2);
      // The restart's goodbye reached the broker before the next boot's birth, so the retained status was never left stale.
      const statuses = t.got.filter((g) => g.kind === 'status');
      const firstClean = statuses.findIndex((g) => g.body?.clean);
      expect(statuses[firstClean + 1]?.body).toMatchObject({ online: true });
      expect(await retainedStatus(mosq.url, dev)).toMatchObject({ online: false, dev, clean: true });
      await allDelivered(r, net, dev);
    } finally { await net.close(); }
  }, 60_000);

  it('the run counts what went out over every boot, not the last boot only', async () => {
    const dev = 'T-COUNT', dataDir = tmp('pf-count-');
    const t = await tap(mosq.url, dev);
    const net = await openLinks(mosq.url, dataDir, { protocolVersion: 4, fleet: true });
    try {
      const sc = parseScenario({
        name: 'counts', device: { id: dev, fleet: FLEET }, policy: policy(),
        start: { time: '2026-03-02T10:00:00+08:00', fix: { lat: 31.2304, lon: 121.4737, accuracyM: 10 } },
        events: [card('A'), card('B'), { power: 'cut' }, card('C'), card('D'), { power: 'restart' }, card('E')].map((e, i) => ({ at: `+${i}m`, ...e })),
      });
      const r = await runScenario(sc, { dataDir, bundle: bundle(), ...runLinks(net) });
      await t.end();
      const tel = r.summary.telemetry as any;
      expect(tel.boots).toBe(3);
      // What the terminal sent: not what comes down, nor the Last Will the broker sent for it at the cut.
      const will = (g: { kind: string; body: any }) => g.kind === 'status' && g.body?.online === false && !g.body.clean;
      const up = t.got.filter((g) => g.kind !== 'ack' && g.kind !== 'cmd' && !will(g));
      expect(tel.count).toBe(up.length);
      expect(tel.bytes).toBe(up.reduce((s, g) => s + g.bytes, 0));
      expect(tel.count).toBeGreaterThan(tel.lastBoot.count);
      const { summaryText } = await import('../../host-sim/report/timeline');
      expect(summaryText(r.summary, (_c, s) => s, 'en')).toContain(`telemetry: ${up.length} messages, ${tel.bytes} bytes`);
    } finally { await net.close(); }
  }, 60_000);
});

const cli = (...args: string[]) => {
  const r = spawnSync('node', ['bin/preflight.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

describe('an unreachable broker (SPEC §7)', () => {
  it('sim run against a port nothing listens on trades offline, ends with exit 0 and says the broker could not be reached', async () => {
    const port = await freePort();
    const dataDir = tmp('pf-unreach-');
    const t0 = Date.now();
    const r = cli('sim', 'run', 'host-sim/scenarios/day-at-a-shop.json', '--data', dataDir, '--broker', `mqtt://127.0.0.1:${port}`, '--lang', 'en');
    expect(r.code, r.err).toBe(0);
    expect(Date.now() - t0).toBeLessThan(45_000);
    expect(r.out).toMatch(new RegExp(`broker mqtt://127\\.0\\.0\\.1:${port} could not be reached \\(connect ECONNREFUSED[^)]*\\): the terminal traded offline`));
    expect(r.out).toMatch(/verdicts: allow \d+/);
    expect(r.out).toMatch(/entries 1–\d+ unacknowledged for .*; the terminal is not connected to a broker/);
    expect(r.err).not.toMatch(/\n\s+at /);
    const j = cli('sim', 'run', 'host-sim/scenarios/day-at-a-shop.json', '--data', tmp('pf-unreach-'), '--broker', `mqtt://127.0.0.1:${port}`, '--json');
    expect(j.code).toBe(0);
    const summary = JSON.parse(j.out.trim().split('\n').pop()!);
    expect(summary.broker).toMatchObject({ reached: false, error: expect.stringMatching(/ECONNREFUSED/) });
    expect(summary.telemetry.count).toBe(0);
    expect(summary.verdicts.allow).toBeGreaterThan(0);
  }, 120_000);
});

describe('a flashed data folder (issue 16)', () => {
  it('a scenario that leaves `policy` out trades under the policy the image flashed into the folder', async () => {
    const { writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const w = tmp('pf-flashpol-');
    for (const k of ['operator', 'backend', 'release']) expect(cli('keys', 'new', '--out', w, '--name', k).code).toBe(0);
    // A policy the scenario's throwaway one could never be: version 7, its own terminal id, valid for years.
    const p = policy(); p.version = 7; p.merchant.tid = '77777777'; p.validUntil = '2031-01-01T00:00:00+08:00';
    writeFileSync(join(w, 'P.json'), JSON.stringify(p));
    expect(cli('policy', 'sign', join(w, 'P.json'), '--key', join(w, 'operator.key'), '--out', join(w, 'P.cose')).code).toBe(0);
    const b = cli('image', 'build', '--policy', join(w, 'P.cose'), '--trust', join(w, 'operator.pub'), '--backend', join(w, 'backend.pub'),
      '--out', join(w, 'img'), '--key', join(w, 'release.key'));
    expect(b.code, b.err).toBe(0);
    const data = join(w, 'data');
    expect(cli('image', 'flash', '--image', join(w, 'img'), '--data', data).code).toBe(0);
    writeFileSync(join(w, 'sc.json'), JSON.stringify({
      name: 'flashed', device: { id: 'T-FLASH', fleet: FLEET },
      start: { time: '2026-03-02T10:00:00+08:00', fix: { lat: 31.2304, lon: 121.4737, accuracyM: 10 } },
      events: [{ at: '+1m', ...card('F1') }],
    }));
    const r = cli('sim', 'run', join(w, 'sc.json'), '--data', data, '--json');
    expect(r.code, r.err).toBe(0);
    const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.find((l) => l.event === 'boot')).toMatchObject({ ok: true, policyVersion: 7, policyProblem: null });
    expect(lines.find((l) => l.event === 'policy')).toBeUndefined();           // nothing was installed over it
    expect(lines.find((l) => l.event === 'decision')).toMatchObject({ ref: 'F1', verdict: 'allow' });
  }, 60_000);
});

describe('how long entries wait for an ack, and why (issue 16)', () => {
  it('doctor and the run report say the range, the wait and that no ack came since boot', async () => {
    const dev = 'T-WAIT', dataDir = tmp('pf-wait-');
    const day = (prefix: string, start: string) => parseScenario({
      name: 'wait', device: { id: dev, fleet: FLEET }, policy: policy(),
      start: { time: start, fix: { lat: 31.2304, lon: 121.4737, accuracyM: 10 } },
      events: Array.from({ length: 8 }, (_, i) => ({ at: `+${i * 25}m`, ...card(`${prefix}${i}`, 100) })),
    });
    // Monday a consumer acknowledges everything; Tuesday the broker is there but the consumer is not.
    const withFleet = await openLinks(mosq.url, dataDir, { protocolVersion: 4, fleet: true });
    try { await allDelivered(await runScenario(day('M', '2026-03-02T10:00:00+08:00'), { dataDir, bundle: bundle(), ...runLinks(withFleet) }), withFleet, dev); }
    finally { await withFleet.close(); }
    const bare = await openLinks(mosq.url, dataDir, { protocolVersion: 4 });
    let r;
    try { r = await runScenario(day('T', '2026-03-03T10:00:00+08:00'), { dataDir, bundle: bundle(), ...runLinks(bare) }); }
    finally { await bare.close(); }
    const j = r.summary.journal as any, u = r.summary.unacked as any;
    expect(u).toMatchObject({ from: j.acknowledgedThrough + 1, to: j.sealedThrough, acksSinceBoot: 0, lastAckAgeS: null, connected: true });
    const { summaryText } = await import('../../host-sim/report/timeline');
    expect(summaryText(r.summary, (_c, s) => s, 'en')).toMatch(new RegExp(`entries ${u.from}–${u.to} unacknowledged for 2 h 5\\d min; no acknowledgement received since boot — is a fleet consumer running with --backend-key\\?`));
    const { doctor } = await import('../../src/cli/doctor');
    const f = doctor(dataDir, 'en').findings.find((x) => x.title === 'UNACKNOWLEDGED')!;
    expect(f.open).toBe(true);
    expect(f.message).toMatch(new RegExp(`^entries ${u.from}–${u.to} unacknowledged for 2 h 5\\d min; no acknowledgement received since boot \\(2026-03-03T10:00:00\\+08:00\\); the last came 2026-03-02T1\\d:\\d\\d:\\d\\d\\+08:00 — is a fleet consumer running with --backend-key`));
    expect(doctor(dataDir, 'zh').findings.find((x) => x.title === 'UNACKNOWLEDGED')!.message).toMatch(/本次开机.*以来没有收到确认/);
  }, 60_000);
});
