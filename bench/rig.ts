// A terminal for the bench: a flash folder with a signed policy and trust anchors, the built bundle
// in one engine, and the few calls every measurement makes (a sale the acquirer approves, a batch
// closed as the acquirer agrees). Shared by bench/run.ts and bench/size-check.ts.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeviceVM, type Engine } from '../host-sim/vm/vm';
import { NodeHal } from '../host-sim/hal/node-hal';
import { signPolicy } from '../device/provision/policy';
import { newKeyPair } from '../src/node/keys';
import { toHex } from '../src/core/util/bytes';

export const START = Date.parse('2026-03-02T10:00:00+08:00');
export const SHIPPED = 'dist/device/agent.js';
/** The shipped methods plus benchAppend and cryptoLoop (device/build.mjs --bench); never shipped. */
export const BENCH_BUNDLE = 'dist/bench/agent-bench.js';

/** The shop's policy with limits no measurement reaches (a bench must not be denied by its own volume). */
export function benchPolicy(): Record<string, any> {
  const p = JSON.parse(readFileSync('host-sim/scenarios/policy-shop.json', 'utf8'));
  p.resources.batchMaxTxns = 500;
  p.limits.card.dailyCount = 1_000_000; p.limits.card.dailyMinor = p.limits.card.monthlyMinor = 1e13;
  p.limits.velocity = { count: 1000, windowS: 1 };
  return p;
}

export interface Flash { dir: string; hal: NodeHal; done(): void }

export function flash(o: { nativeSigner?: boolean; policy?: Record<string, any> } = {}): Flash {
  const dir = mkdtempSync(join(tmpdir(), 'pf-bench-'));
  const op = newKeyPair(), be = newKeyPair();
  writeFileSync(join(dir, 'policy.cose'), signPolicy(o.policy ?? benchPolicy(), op, START));
  mkdirSync(join(dir, 'trust'), { recursive: true });
  writeFileSync(join(dir, 'trust/operator.pub'), toHex(op.pub) + '\n');
  writeFileSync(join(dir, 'trust/backend.pub'), toHex(be.pub) + '\n');
  const hal = new NodeHal({ dir, storageBytes: 1 << 30, startWallMs: START, nativeSigner: o.nativeSigner });
  hal.fix = { lat: 31.2304, lon: 121.4737, accuracyM: 10, monoMs: 0 };
  return { dir, hal, done: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Terminal extends Flash { vm: DeviceVM; afterEvalBytes: number; end(): void }

/** Loads `bundle` into `engine` with the terminal's heap budget and boots it. */
export async function terminal(engine: Engine, o: { bundle?: string; nativeSigner?: boolean; heapLimitBytes?: number } = {}): Promise<Terminal> {
  const f = flash(o);
  const vm = await DeviceVM.load({ bundle: readFileSync(o.bundle ?? SHIPPED, 'utf8'), hal: f.hal, heapLimitBytes: o.heapLimitBytes ?? 1 << 20, engine });
  const afterEvalBytes = vm.heapUsedBytes;
  must(vm.start({ dev: 'T-BENCH', fleet: 'bench' }, 'power-on'));
  return { ...f, vm, afterEvalBytes, end: () => { vm.dispose(); f.done(); } };
}

export function must<T = any>(r: { ok: boolean; value?: T; error?: string }): T {
  if (!r.ok) throw new Error(r.error);
  return r.value as T;
}

export const SALE = { type: 'sale', channel: 'card', amountMinor: 1000, entryMode: '051', conditionCode: '00' } as const;

/** The acquirer's approval of a request, echoing what it must echo (ISO 8583 fields 3, 4, 11, 25, 41, 42, 49). */
export function approve(q: Record<string, string>) {
  return { mti: '0210', f3: q.f3, f4: q.f4, f11: q.f11, f25: q.f25, f39: '00', f41: q.f41, f42: q.f42, f49: q.f49 };
}

/** One approved card sale, two seconds after the last. */
export function sale(t: Terminal, ref: string, answer = true): any {
  t.hal.advance(2000);
  const d = must<any>(t.vm.call('preflight', { ref, ...SALE }));
  if (answer && d.request) must(t.vm.call('answer', { ref, answer: approve(d.request) }));
  return d;
}

/** Closes the batch the way the acquirer agrees to it (balanced totals). */
export function settle(t: Terminal): void {
  const b = must<any>(t.vm.call('settleBegin'));
  must(t.vm.call('settleCompare', { host: b.local }));
  must(t.vm.call('settleClose'));
}

export const now = (): number => Number(process.hrtime.bigint()) / 1e6; // ms
export const pct = (xs: number[], p: number): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!; };
export const median = (xs: number[]): number => pct(xs, 50);
export const round = (x: number, d = 3): number => Math.round(x * 10 ** d) / 10 ** d;
export const kb = (bytes: number): number => Math.round(bytes / 1024);
