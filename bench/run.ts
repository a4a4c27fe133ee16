// `make bench` (SPEC §8, issue 9): every benchmark key, measured on this machine in one run, with
// both sides of each ratio measured in the same process. Prints a table and writes
// bench/results.json. Everything that SPEC §8 places inside QuickJS runs in the built bundle.

import { readFileSync, writeFileSync, mkdtempSync, rmSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sign as nodeSign, verify as nodeVerify, generateKeyPairSync } from 'node:crypto';
import { DeviceVM } from '../host-sim/vm/vm';
import { NodeHal } from '../host-sim/hal/node-hal';
import { newKeyPair } from '../src/node/keys';
import { signPolicy } from '../device/provision/policy';
import { toHex } from '../src/core/util/bytes';
import { Journal } from '../src/core/journal/journal';
import { rec } from '../src/core/journal/records';
import { parseScenario } from '../host-sim/scenario/parse';
import { runScenario } from '../host-sim/scenario/run';
import { openLinks } from '../host-sim/scenario/links';
import { decode } from '../src/core/codec/cbor';

const BUNDLE = readFileSync('dist/device/agent.js', 'utf8');
/** The shipped methods plus benchAppend and cryptoLoop (device/build.mjs --bench); never shipped. */
const BENCH_BUNDLE = readFileSync('dist/bench/agent-bench.js', 'utf8');
const POLICY = JSON.parse(readFileSync('host-sim/scenarios/policy-shop.json', 'utf8'));
POLICY.resources.batchMaxTxns = 500; POLICY.limits.card.dailyCount = 1_000_000; POLICY.limits.card.dailyMinor = POLICY.limits.card.monthlyMinor = 1e13;
POLICY.limits.velocity = { count: 1000, windowS: 1 };
const START = Date.parse('2026-03-02T10:00:00+08:00');

const now = () => Number(process.hrtime.bigint()) / 1e6; // ms
const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!; };
const median = (xs: number[]) => pct(xs, 50);
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

function flashDir(nativeSigner = false) {
  const dir = mkdtempSync(join(tmpdir(), 'pf-bench-'));
  const op = newKeyPair(), be = newKeyPair();
  writeFileSync(join(dir, 'policy.cose'), signPolicy(POLICY, op, START));
  mkdirSync(join(dir, 'trust'), { recursive: true });
  writeFileSync(join(dir, 'trust/operator.pub'), toHex(op.pub) + '\n');
  writeFileSync(join(dir, 'trust/backend.pub'), toHex(be.pub) + '\n');
  const hal = new NodeHal({ dir, storageBytes: 1 << 30, startWallMs: START, nativeSigner });
  hal.fix = { lat: 31.2304, lon: 121.4737, accuracyM: 10, monoMs: 0 };
  return { dir, hal };
}

async function device(nativeSigner = false, heapLimitBytes = 1 << 20, bundle = BUNDLE) {
  const { dir, hal } = flashDir(nativeSigner);
  const vm = await DeviceVM.load({ bundle, hal, heapLimitBytes });
  const s = vm.start({ dev: 'T-BENCH', fleet: 'bench' }, 'power-on');
  if (!s.ok) throw new Error(s.error);
  return { dir, hal, vm };
}

const ok = <T>(r: { ok: boolean; value?: T; error?: string }): T => { if (!r.ok) throw new Error(r.error); return r.value as T; };

/** Closes the batch the way the acquirer would agree to (balanced totals). */
function settle(vm: DeviceVM) {
  const b = ok<any>(vm.call('settleBegin'));
  ok(vm.call('settleCompare', { host: b.local }));
  ok(vm.call('settleClose'));
}

function sale(vm: DeviceVM, hal: NodeHal, ref: string, answer = true) {
  hal.advance(2000);
  const d = ok<any>(vm.call('preflight', { ref, type: 'sale', channel: 'card', amountMinor: 1000, entryMode: '051', conditionCode: '00' }));
  if (answer && d.request) {
    const q = d.request;
    ok(vm.call('answer', { ref, answer: { mti: '0210', f3: q.f3, f4: q.f4, f11: q.f11, f25: q.f25, f39: '00', f41: q.f41, f42: q.f42, f49: q.f49 } }));
  }
  return d;
}

/** A decision entry as the terminal writes one for an allowed card sale (recovery benchmark filler). */
const sampleDecision = (ref: string) => rec.decision({
  txn: { ref, type: 'sale', channel: 'card', amountMinor: 1000, entryMode: '051', conditionCode: '00' }, verdict: 'allow', reasons: [],
  inputs: { monoMs: 0, fix: null, geo: 'inside', distanceM: 12, used: null, heapFree: 400_000, storageFree: 1 << 20, batchCount: 0, policyVersion: 1, localDate: '2026-03-02', localMinute: 600 },
  sent: true,
});

async function main() {
  const results: Record<string, number> = {};
  const notes: Record<string, string> = {};
  console.log(`preflight bench on ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, node ${process.version}`);

  // Decisions: one preflight (all checks + its journal append; no seal, no acquirer) inside QuickJS.
  {
    const { dir, hal, vm } = await device();
    for (let i = 0; i < 200; i++) sale(vm, hal, `W${i}`);        // warm up: ledger and caches in steady state
    ok(vm.call('seal'));
    settle(vm);
    vm.watchHeap = false;
    // A terminal is idle between customers (and while the acquirer answers): idle() then seals when
    // due and hashes the last entry, off the decision path. `noIdle` shows the cost without it.
    const timed = (n: number, withIdle: boolean, tag: string) => {
      const t: number[] = [];
      for (let i = 0; i < n; i++) {
        hal.advance(2000);
        const t0 = now();
        const d = ok<any>(vm.call('preflight', { ref: `${tag}${i}`, type: 'sale', channel: 'card', amountMinor: 1000, entryMode: '051', conditionCode: '00' }));
        t.push(now() - t0);
        const q = d.request;
        ok(vm.call('answer', { ref: `${tag}${i}`, answer: { mti: '0210', f3: q.f3, f4: q.f4, f11: q.f11, f25: q.f25, f39: '00', f41: q.f41, f42: q.f42, f49: q.f49 } }));
        if (withIdle) ok(vm.call('idle'));
        else if (i % 16 === 15) ok(vm.call('seal'));
        if (i % 450 === 449) settle(vm);
      }
      return t;
    };
    const t = timed(2000, true, 'P');
    settle(vm);
    const raw = timed(400, false, 'R');
    results.preflight_us_p99_no_idle = round(pct(raw, 99) * 1000, 1);
    results.preflight_us_p50 = round(median(t) * 1000, 1);
    results.preflight_us_p99 = round(pct(t, 99) * 1000, 1);
    notes.preflight = 'host-timed vm.call("preflight"): every check, the CBOR entry and its durable framed append, the VM crossing and JSON in/out; 2,000 sales after 200 warm-up, idle() between sales (untimed) as between customers; preflight_us_p99_no_idle: 400 sales with no idle time, so each decision also hashes the previous entry';
    vm.dispose(); rmSync(dir, { recursive: true, force: true });
  }
  {
    const { dir, hal, vm } = await device(false, 1 << 20, BENCH_BUNDLE);
    // append_us: entries appended alone (hash chain, CBOR, framed write through the HAL).
    const n = 2000, t0 = now();
    ok(vm.call('benchAppend', { n }));
    results.append_us = round(((now() - t0) / n) * 1000, 1);
    // seal_ms: one real seal (COSE_Sign1 over the head, framed append, checkpoint) vs tweetnacl's sign.
    const seals: number[] = [];
    for (let i = 0; i < 30; i++) { sale(vm, hal, `SL${i}`, false); const s0 = now(); ok(vm.call('seal')); seals.push(now() - s0); }
    results.seal_ms = round(median(seals));
    const loop = (op: string, impl: string, k: number) => { const a = now(); ok(vm.call('cryptoLoop', { op, impl, n: k })); return (now() - a) / k; };
    loop('sign', 'ours', 3);
    results.sign_ms = round(loop('sign', 'ours', 50));
    results.seal_tweetnacl_ms = round(loop('sign', 'tweetnacl', 5));
    results.verify_ms = round(loop('verify', 'ours', 30));
    results.verify_tweetnacl_ms = round(loop('verify', 'tweetnacl', 3));
    results.seal_speedup_x = round(results.seal_tweetnacl_ms / results.sign_ms, 1);
    results.verify_speedup_x = round(results.verify_tweetnacl_ms / results.verify_ms, 1);
    notes.seal = 'seal_ms is a whole seal (sign + COSE_Sign1 + framed append); sign_ms / seal_tweetnacl_ms sign the same 200-byte message with each implementation in the same bundle';
    vm.dispose(); rmSync(dir, { recursive: true, force: true });
  }

  // seal_native_ms: the same seal through the HAL's native signer (Node's OpenSSL behind a host function).
  {
    const { dir, hal, vm } = await device(true);
    const seals: number[] = [];
    for (let i = 0; i < 30; i++) { sale(vm, hal, `N${i}`, false); const s0 = now(); ok(vm.call('seal')); seals.push(now() - s0); }
    results.seal_native_ms = round(median(seals));
    vm.dispose(); rmSync(dir, { recursive: true, force: true });
  }

  // Cold start: runtime + bundle eval + boot (key, journal recovery, policy signature check).
  {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { dir, hal } = flashDir();
      const t0 = now();
      const vm = await DeviceVM.load({ bundle: BUNDLE, hal, heapLimitBytes: 1 << 20 });
      ok(vm.start({ dev: 'T-COLD', fleet: 'bench' }, 'power-on'));
      times.push(now() - t0);
      vm.dispose(); rmSync(dir, { recursive: true, force: true });
    }
    results.cold_start_ms = round(median(times.slice(1)), 1);
    notes.cold_start = 'WASM module already loaded (one per process); first boot of a terminal incl. key generation';
  }

  // recovery_ms_100k: boot after a power cut with 100,000 entries on flash (the tail torn mid-write).
  {
    const { dir, hal } = flashDir();
    const j = new Journal(hal, 'T-BIG');
    j.open();
    const t0 = now();
    for (let i = 0; i < 100_000; i++) {
      j.append(sampleDecision(`R${i}`), START + i);
      if (i % 1000 === 999) j.writeCheckpoint();
    }
    const build = now() - t0;
    const seg = hal.storage.list('j/').at(-1)!;
    hal.storage.append(seg, new Uint8Array([0xa5, 0x45, 0, 0, 3, 0, 1, 2, 3])); // torn tail
    const vm = await DeviceVM.load({ bundle: BUNDLE, hal, heapLimitBytes: 1 << 20 });
    const reads0 = readsOf(hal);
    const b0 = now();
    const r = ok<any>(vm.start({ dev: 'T-BIG', fleet: 'bench' }, 'power-cut'));
    results.recovery_ms_100k = round(now() - b0, 1);
    results.recovery_bytes_read_100k = readsOf(hal) - reads0;
    results.journal_segments_100k = hal.storage.list('j/').length;
    if (r.seq !== 100_001) throw new Error(`recovery lost entries: seq ${r.seq}`);
    notes.recovery = `100,000 entries in ${results.journal_segments_100k} segments built in ${Math.round(build)} ms; boot reads the checkpoint and the tail only`;
    vm.dispose(); rmSync(dir, { recursive: true, force: true });
  }

  // heap_peak_kb: the QuickJS heap high-water over 10,000 transactions, settling every 450.
  {
    const { dir, hal, vm } = await device(false, 1 << 20);
    const marks: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      sale(vm, hal, `H${i}`);
      if (i % 16 === 15) ok(vm.call('idle'));
      if (i % 450 === 449) settle(vm);
      if (i % 1000 === 999) marks.push(vm.heapUsedBytes);
    }
    results.heap_peak_kb = Math.round(vm.heapPeakBytes / 1024);
    results.heap_after_1k_kb = Math.round(marks[0]! / 1024);
    results.heap_after_10k_kb = Math.round(marks.at(-1)! / 1024);
    notes.heap = `heap after each 1,000 txns (KB): ${marks.map((m) => Math.round(m / 1024)).join(', ')}`;
    vm.dispose(); rmSync(dir, { recursive: true, force: true });
  }

  // Bundle size.
  const bundleBytes = readFileSync('dist/device/agent.js');
  results.bundle_bytes = bundleBytes.length;
  results.bundle_gzip_bytes = gzipSync(bundleBytes, { level: 9 }).length;

  // wire_bytes_per_txn: the default scenario on the embedded broker; the same messages as JSON.
  {
    const dataDir = mkdtempSync(join(tmpdir(), 'pf-wire-'));
    const links = await openLinks('embedded', dataDir);
    const net = links.network!;
    let cbor = 0, json = 0, msgs = 0;
    const port = net.port.bind(net);
    net.port = (d, up) => {
      const p = port(d, up);
      const pub = p.publish.bind(p);
      p.publish = (t, payload, q, r) => {
        const st = pub(t, payload, q, r);
        if (st === 0) { msgs++; cbor += payload.length + t.length; json += jsonSize(payload) + t.length; }
        return st;
      };
      return p;
    };
    const sc = parseScenario(JSON.parse(readFileSync('host-sim/scenarios/day-at-a-shop.json', 'utf8')));
    const r = await runScenario(sc, { dataDir, bundle: BUNDLE, network: net, fleet: links.fleet, operator: links.operator });
    await links.close();
    const txns = r.lines.filter((l) => l.event === 'decision').length;
    results.wire_bytes_per_txn = Math.round(cbor / txns);
    results.wire_bytes_per_txn_json = Math.round(json / txns);
    notes.wire = `${msgs} messages for ${txns} transactions (payload + topic bytes; MQTT framing not counted); JSON encodes byte strings as base64`;
    rmSync(dataDir, { recursive: true, force: true });
  }

  // Fleet side: the consumer's verification throughput against Node's native Ed25519, same run.
  {
    const f = await fleetVerify();
    results.verify_entries_per_s = f.verify_entries_per_s;
    results.node_ed25519_verify_per_s = f.node_ed25519_verify_per_s;
  }

  writeFileSync('bench/results.json', JSON.stringify({ ...results, measured_at: new Date().toISOString(), notes }, null, 2) + '\n');
  const w = Math.max(...Object.keys(results).map((k) => k.length));
  for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(w)}  ${v}`);
  for (const [k, v] of Object.entries(notes)) console.log(`  ${k}: ${v}`);
  console.log('wrote bench/results.json');
}

const readsOf = (hal: NodeHal): number => hal.bytesRead;

function jsonSize(payload: Uint8Array): number {
  const d = decode(payload, 'telemetry');
  if (!d.ok) return payload.length;
  return Buffer.byteLength(JSON.stringify(d.value, (_k, v) =>
    v instanceof Uint8Array || (v && v.type === 'Buffer') ? Buffer.from(v.data ?? v).toString('base64') : typeof v === 'bigint' ? Number(v) : v));
}

/** Verification throughput: entries/s through the fleet's verifier vs raw native verifies/s. */
async function fleetVerify(): Promise<{ verify_entries_per_s: number; node_ed25519_verify_per_s: number }> {
  try {
    const m = await import('../src/fleet/measure');
    return await (m as any).measureVerify();
  } catch (e) {
    // Without the fleet module, measure the shared verifier directly against native Ed25519.
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const msg = Buffer.alloc(150, 7);
    const sig = nodeSign(null, msg, privateKey);
    let n = 0; const t0 = now();
    while (now() - t0 < 500) { nodeVerify(null, msg, publicKey, sig); n++; }
    console.error(`fleet measure unavailable (${(e as Error).message})`);
    return { verify_entries_per_s: 0, node_ed25519_verify_per_s: Math.round(n / ((now() - t0) / 1000)) };
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
