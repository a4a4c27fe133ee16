// `make size` (issue 9): the bundle's bytes and gzip bytes, and the QuickJS heap high-water over a
// run of transactions on both engines, against device/budget.json. Fails the build when a change bloats the terminal.

import { readFileSync, mkdtempSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DeviceVM, type Engine } from '../host-sim/vm/vm';
import { NodeHal } from '../host-sim/hal/node-hal';
import { newKeyPair } from '../src/node/keys';
import { signPolicy } from '../device/provision/policy';
import { toHex } from '../src/core/util/bytes';

const budget = JSON.parse(readFileSync('device/budget.json', 'utf8'));
const bundlePath = process.argv[2] ?? 'dist/device/agent.js';
const bundle = readFileSync(bundlePath);

async function heapPeak(engine: Engine): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'pf-size-'));
  const op = newKeyPair();
  const policy = JSON.parse(readFileSync('host-sim/scenarios/policy-shop.json', 'utf8'));
  policy.resources.batchMaxTxns = 500; policy.limits.velocity = { count: 1000, windowS: 1 };
  policy.limits.card.dailyCount = 1e6; policy.limits.card.dailyMinor = policy.limits.card.monthlyMinor = 1e13;
  mkdirSync(join(dir, 'trust'));
  writeFileSync(join(dir, 'trust/operator.pub'), toHex(op.pub));
  const start = Date.parse('2026-03-02T10:00:00+08:00');
  writeFileSync(join(dir, 'policy.cose'), signPolicy(policy, op, start));
  const hal = new NodeHal({ dir, storageBytes: 1 << 30, startWallMs: start });
  hal.fix = { lat: 31.2304, lon: 121.4737, accuracyM: 10, monoMs: 0 };
  const vm = await DeviceVM.load({ bundle: bundle.toString('utf8'), hal, heapLimitBytes: budget.heapLimitBytes, engine });
  const must = (r: any) => { if (!r.ok) throw new Error(r.error); return r.value; };
  must(vm.start({ dev: 'T-SIZE', fleet: 'size' }, 'power-on'));
  for (let i = 0; i < budget.transactions; i++) {
    hal.advance(2000);
    const d = must(vm.call('preflight', { ref: `S${i}`, type: 'sale', channel: 'card', amountMinor: 1000, entryMode: '051', conditionCode: '00' }));
    const q = d.request;
    must(vm.call('answer', { ref: `S${i}`, answer: { mti: '0210', f3: q.f3, f4: q.f4, f11: q.f11, f25: q.f25, f39: '00', f41: q.f41, f42: q.f42, f49: q.f49 } }));
    must(vm.call('idle'));
    if (i % 450 === 449) { const b = must(vm.call('settleBegin')); must(vm.call('settleCompare', { host: b.local })); must(vm.call('settleClose')); }
  }
  const peak = vm.heapPeakBytes;
  vm.dispose(); rmSync(dir, { recursive: true, force: true });
  return Math.round(peak / 1024);
}

const rows: [string, number, number][] = [
  ['bundle bytes', bundle.length, budget.bundleBytes],
  ['bundle gzip bytes', gzipSync(bundle, { level: 9 }).length, budget.bundleGzipBytes],
  ['QuickJS heap peak KB', await heapPeak('quickjs'), budget.heapPeakKb],
  ['quickjs-ng heap peak KB', await heapPeak('quickjs-ng'), budget.heapPeakKb],
];
let over = 0;
for (const [what, got, max] of rows) {
  const d = got - max;
  console.log(`${what.padEnd(22)} ${String(got).padStart(8)}  budget ${String(max).padStart(8)}  ${d > 0 ? `OVER by ${d}` : `${-d} to spare`}`);
  if (d > 0) over++;
}
if (over) { console.error(`size: ${over} budget(s) exceeded (device/budget.json)`); process.exit(1); }
