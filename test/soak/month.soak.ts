// `make soak` (issue 11; not in CI): a simulated month at a shop with random faults (outages, power
// cuts mid-write, declines, time-outs, jump codes, clock jumps and syncs, GPS loss), on the embedded
// broker. At the end the journal verifies end to end and the backend holds every entry exactly once.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseScenario } from '../../host-sim/scenario/parse';
import { runScenario } from '../../host-sim/scenario/run';
import { openLinks } from '../../host-sim/scenario/links';
import { allDelivered, runLinks } from '../helpers/links';
import { bundle } from '../helpers/bundle';
import { tmp } from '../helpers/device';

const DAYS = Number(process.env.SOAK_DAYS ?? 30);
let seed = Number(process.env.SOAK_SEED ?? 20261122);
const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)]!;

function month() {
  const ev: Record<string, unknown>[] = [];
  const at = (day: number, min: number) => new Date(Date.parse('2026-03-02T00:00:00+08:00') + day * 86400_000 + min * 60_000).toISOString();
  let ref = 0;
  for (let d = 0; d < DAYS; d++) {
    ev.push({ at: at(d, 8 * 60 + 50), clock: { sync: true } }, { at: at(d, 8 * 60 + 51), fix: { lat: 31.2304, lon: 121.4737, accuracyM: 15 } });
    let t = 9 * 60 + 10;
    while (t < 21 * 60 + 30) {
      t += 5 + Math.floor(rnd() * 20);
      const r = rnd();
      if (r < 0.02) ev.push({ at: at(d, t), network: 'down' }, { at: at(d, t + 20), network: 'up' });
      else if (r < 0.03) ev.push({ at: at(d, t), power: { cutAtWrite: 1 + Math.floor(rnd() * 3), midWrite: rnd() < 0.7 } });
      else if (r < 0.035) ev.push({ at: at(d, t), power: 'cut' });
      else if (r < 0.04) ev.push({ at: at(d, t), fix: { lost: true } }, { at: at(d, t + 5), fix: { lat: 31.2304, lon: 121.4737, accuracyM: 15 } });
      else if (r < 0.045) ev.push({ at: at(d, t), clock: { jumpS: pick([-600, 900, 3600]) } });
      const host = rnd() < 0.05 ? pick([{ f39: '51' }, { f39: '05' }, { timeout: true }, { f42: '102581080626056' }, { f39: '61' }]) : undefined;
      ev.push({ at: at(d, t + 1), txn: { ref: `S${++ref}`, type: 'sale', channel: rnd() < 0.3 ? 'qr' : 'card', amountMinor: 100 + Math.floor(rnd() * 50000),
        entryMode: '051', conditionCode: '00', ...(host ? { host } : {}) } });
    }
    ev.push({ at: at(d, 22 * 60), settle: {} });
  }
  ev.sort((a, b) => Date.parse(a.at as string) - Date.parse(b.at as string));
  const policy = JSON.parse(readFileSync('host-sim/scenarios/policy-shop.json', 'utf8'));
  policy.resources.batchMaxTxns = 500; policy.limits.qr.dailyMinor = 10_000_000;
  return parseScenario({ name: `a month (${DAYS} days)`, device: { id: 'T-SOAK', fleet: 'soak' }, policy,
    start: { time: '2026-03-02T08:00:00+08:00', fix: { lat: 31.2304, lon: 121.4737, accuracyM: 15 } }, events: ev });
}

describe('soak', () => {
  it(`a ${DAYS}-day month with random faults: the journal verifies and the backend holds every entry`, async () => {
    const sc = month();
    const dataDir = tmp('pf-soak-');
    const net = await openLinks('embedded', dataDir);
    try {
      const t0 = Date.now();
      const r = await runScenario(sc, { dataDir, bundle: bundle(), ...runLinks(net) });
      const j = r.summary.journal as any;
      const d = await allDelivered(r, net, 'T-SOAK');           // the fleet verified and stored every entry once
      console.log(`soak: ${sc.events.length} events, ${j.entries} entries, ${r.lines.filter((l) => l.event === 'power').length} power events, ` +
        `${d.duplicates} duplicates dropped, ${Math.round((Date.now() - t0) / 1000)} s`);
      expect(r.lines.filter((l) => l.event === 'error')).toEqual([]);
    } finally { await net.close(); }
  }, 3_600_000);
});
