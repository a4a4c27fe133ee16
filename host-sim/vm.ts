// Runs the device bundle inside QuickJS (quickjs-emscripten, sync build) the way a terminal does:
// a heap budget watched after every call (the library's memory limit alone does not cap total
// use), a stack limit, a deadline interrupt, and the HAL bridged in as host functions.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import {
  newQuickJSWASMModule, RELEASE_SYNC, DEBUG_SYNC, shouldInterruptAfterDeadline,
  type QuickJSContext, type QuickJSHandle, type QuickJSRuntime, type QuickJSWASMModule,
} from 'quickjs-emscripten';
import type { HalEvent } from '../src/hal/types';
import type { NodeHal } from './hal-node';

const here = dirname(fileURLToPath(import.meta.url));
/** The prelude sits beside this file in the source tree and is copied beside the built CLI. */
function preludeSource(): string {
  for (const p of [join(here, 'hal-prelude.js'), join(here, '../../host-sim/hal-prelude.js')]) {
    try { return readFileSync(p, 'utf8'); } catch { /* try the next */ }
  }
  throw new Error('host-sim/hal-prelude.js not found');
}

let releaseModule: Promise<QuickJSWASMModule> | null = null;
let debugModule: Promise<QuickJSWASMModule> | null = null;
export function quickjs(debug = false): Promise<QuickJSWASMModule> {
  if (debug) return (debugModule ??= newQuickJSWASMModule(DEBUG_SYNC));
  return (releaseModule ??= newQuickJSWASMModule(RELEASE_SYNC));
}

export interface VmOptions {
  bundle: string;
  hal: NodeHal;
  heapLimitBytes: number;       // the terminal's JS heap budget (scenario device.heapLimitBytes)
  stackBytes?: number;
  callDeadlineMs?: number;
  debug?: boolean;
  /** A module to create the runtime in (tests pass a TestQuickJSWASMModule to check for leaks). */
  module?: Pick<QuickJSWASMModule, 'newRuntime'>;
}

export type CallResult<T = any> = { ok: true; value: T } | { ok: false; error: string; detail?: any };

/** Out of the heap budget, past the deadline, or a crash inside the VM: the terminal must restart. */
export class DeviceCrash extends Error {
  override name = 'DeviceCrash';
  constructor(readonly kind: 'oom' | 'deadline' | 'stack' | 'internal', message: string) { super(message); }
}

export class DeviceVM {
  heapPeakBytes = 0;
  heapUsedBytes = 0;
  /** Poll the heap after every call (the terminal's OOM watch). Benchmarks turn it off inside timed loops. */
  watchHeap = true;
  private constructor(private rt: QuickJSRuntime, private vm: QuickJSContext, private agent: QuickJSHandle,
                      private halHandle: QuickJSHandle, readonly opts: VmOptions) {}

  static async load(opts: VmOptions): Promise<DeviceVM> {
    const mod = opts.module ?? await quickjs(opts.debug);
    const rt = mod.newRuntime();
    rt.setMemoryLimit(opts.heapLimitBytes);
    rt.setMaxStackSize(opts.stackBytes ?? 256 * 1024);
    const vm = rt.newContext();
    let dvm: DeviceVM | null = null;
    try {
      const raw = bridge(vm, opts.hal, () => dvm);
      const prelude = vm.unwrapResult(vm.evalCode(preludeSource(), 'hal-prelude.js'));
      const halHandle = vm.unwrapResult(vm.callFunction(prelude, vm.undefined, raw));
      prelude.dispose(); raw.dispose();
      rt.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + (opts.callDeadlineMs ?? 30_000)));
      const ev = vm.evalCode(opts.bundle, 'agent.js');
      if (ev.error) { const e = vm.dump(ev.error); ev.error.dispose(); throw new DeviceCrash('internal', `bundle failed to load: ${JSON.stringify(e)}`); }
      ev.value.dispose();
      const agent = vm.getProp(vm.global, 'agent');
      dvm = new DeviceVM(rt, vm, agent, halHandle, opts);
      dvm.measure();
      return dvm;
    } catch (e) {
      vm.dispose(); rt.dispose();
      throw e;
    }
  }

  get abi(): number { const h = this.vm.getProp(this.agent, 'abi'); const n = this.vm.getNumber(h); h.dispose(); return n; }

  /** Heap in use by the JS engine; a reading over the budget is out-of-memory on a terminal. */
  measure(): number {
    const h = this.rt.computeMemoryUsage();
    const u = this.vm.dump(h) as { memory_used_size: number };
    h.dispose();
    this.heapUsedBytes = u.memory_used_size;
    if (this.heapUsedBytes > this.heapPeakBytes) this.heapPeakBytes = this.heapUsedBytes;
    return this.heapUsedBytes;
  }

  heapFree(): number { return Math.max(0, this.opts.heapLimitBytes - this.heapUsedBytes); }

  /** Changes the terminal's limits between calls (tests squeeze the stack or the deadline). */
  setLimits(o: { stackBytes?: number; callDeadlineMs?: number }): void {
    if (o.stackBytes !== undefined) this.rt.setMaxStackSize(o.stackBytes);
    if (o.callDeadlineMs !== undefined) (this.opts as VmOptions).callDeadlineMs = o.callDeadlineMs;
  }

  private invoke(fn: string, args: QuickJSHandle[]): string {
    this.rt.setInterruptHandler(shouldInterruptAfterDeadline(Date.now() + (this.opts.callDeadlineMs ?? 30_000)));
    const f = this.vm.getProp(this.agent, fn);
    const r = this.vm.callFunction(f, this.agent, ...args);
    f.dispose();
    for (const a of args) a.dispose();
    if (r.error) {
      const e = this.vm.dump(r.error) as { name?: string; message?: string } | string;
      r.error.dispose();
      const msg = typeof e === 'string' ? e : `${e?.name}: ${e?.message}`;
      if (/out of memory/i.test(msg)) throw new DeviceCrash('oom', msg);
      if (/interrupted/i.test(msg)) throw new DeviceCrash('deadline', msg);
      if (/stack overflow/i.test(msg)) throw new DeviceCrash('stack', msg);
      throw new DeviceCrash('internal', msg);
    }
    const s = this.vm.getString(r.value);
    r.value.dispose();
    this.rt.executePendingJobs();
    if (this.watchHeap && this.measure() > this.opts.heapLimitBytes) throw new DeviceCrash('oom', `heap ${this.heapUsedBytes} bytes over the budget of ${this.opts.heapLimitBytes}`);
    return s;
  }

  start(cfg: { dev: string; fleet: string }, bootReason: string): CallResult {
    return JSON.parse(this.invoke('start', [this.halHandle.dup(), this.vm.newString(JSON.stringify(cfg)), this.vm.newString(bootReason)]));
  }

  call<T = any>(method: string, arg?: unknown): CallResult<T> {
    return this.callJson<T>(method, arg === undefined ? '' : JSON.stringify(arg));
  }

  /** The same with the argument already as JSON text, exactly as the payment app would hand it over. */
  callJson<T = any>(method: string, json: string): CallResult<T> {
    return JSON.parse(this.invoke('call', [this.vm.newString(method), this.vm.newString(json)]));
  }

  event(ev: HalEvent): CallResult {
    const o = this.vm.newObject();
    // setProp copies the value: every handle made here is ours to dispose.
    const put = (k: string, h: QuickJSHandle) => { this.vm.setProp(o, k, h); h.dispose(); };
    put('t', this.vm.newString(ev.t));
    if (ev.t === 'net.state') this.vm.setProp(o, 'up', ev.up ? this.vm.true : this.vm.false);
    if (ev.t === 'net.msg') {
      put('topic', this.vm.newString(ev.topic));
      const ab = this.vm.newArrayBuffer(ev.payload.slice().buffer);
      const conv = this.vm.unwrapResult(this.vm.evalCode('(function (b) { return new Uint8Array(b); })'));
      const u8 = this.vm.unwrapResult(this.vm.callFunction(conv, this.vm.undefined, ab));
      conv.dispose(); ab.dispose();
      this.vm.setProp(o, 'payload', u8);
      u8.dispose();
    }
    return JSON.parse(this.invoke('onEvent', [o]));
  }

  dispose(): void {
    this.agent.dispose();
    this.halHandle.dispose();
    this.vm.dispose();
    this.rt.dispose();
  }
}

/** Host functions for the prelude; every one converts handles to plain values and never throws. */
function bridge(vm: QuickJSContext, hal: NodeHal, dvm: () => DeviceVM | null): QuickJSHandle {
  const raw = vm.newObject();
  const num = (h: QuickJSHandle | undefined) => (h ? vm.getNumber(h) : 0);
  const str = (h: QuickJSHandle | undefined) => (h ? vm.getString(h) : '');
  const bytes = (h: QuickJSHandle | undefined): Uint8Array => {
    if (!h) return new Uint8Array(0);
    const l = vm.getArrayBuffer(h);
    const copy = new Uint8Array(l.value); // copy before the lifetime ends
    l.dispose();
    return copy;
  };
  const ret = (v: unknown): QuickJSHandle => {
    if (v === null || v === undefined) return vm.null;
    if (typeof v === 'number') return vm.newNumber(v);
    if (typeof v === 'boolean') return v ? vm.true : vm.false;
    if (typeof v === 'string') return vm.newString(v);
    if (v instanceof Uint8Array) return vm.newArrayBuffer(v.slice().buffer);
    return vm.null;
  };
  const def = (name: string, f: (...a: QuickJSHandle[]) => unknown) => {
    const fn = vm.newFunction(name, (...args) => {
      try { return ret(f(...args)); } catch (e) {
        hal.log(3, `hal.${name} threw on the host: ${(e as Error).message}`);
        return vm.newNumber(-5); // HAL calls never throw into the agent
      }
    });
    vm.setProp(raw, name, fn);
    fn.dispose();
  };
  const abi = vm.newNumber(hal.abi);
  vm.setProp(raw, 'abi', abi);
  abi.dispose();
  def('wallMs', () => hal.clock.wallMs());
  def('monoMs', () => hal.clock.monoMs());
  def('random', (n) => { const b = new Uint8Array(Math.min(4096, Math.max(0, num(n)))); return hal.random.fill(b) === 0 ? b : null; });
  def('size', (n) => hal.storage.size(str(n)));
  def('read', (n, o, l) => hal.storage.read(str(n), num(o), num(l)));
  def('append', (n, d) => hal.storage.append(str(n), bytes(d)));
  def('replace', (n, d) => hal.storage.replace(str(n), bytes(d)));
  def('truncate', (n, l) => hal.storage.truncate(str(n), num(l)));
  def('remove', (n) => hal.storage.remove(str(n)));
  def('list', (p) => JSON.stringify(hal.storage.list(str(p))));
  def('freeBytes', () => hal.storage.freeBytes());
  def('kget', (s) => hal.keystore.get(str(s)));
  def('kput', (s, d) => hal.keystore.put(str(s), bytes(d)));
  if (hal.keystore.sign) def('ksign', (s, m) => hal.keystore.sign!(str(s), bytes(m)));
  def('gps', () => (hal.gps.last() ? JSON.stringify(hal.gps.last()) : null));
  def('publish', (t, p, q, r) => hal.net.publish(str(t), bytes(p), num(q) === 0 ? 0 : 1, r ? vm.dump(r) === true : false));
  def('subscribe', (f) => hal.net.subscribe(str(f)));
  def('will', (t, p) => hal.net.will(str(t), bytes(p)));
  def('connected', () => hal.net.connected());
  def('heapFree', () => (hal.heapFreeOverride ?? dvm()?.heapFree() ?? 512 * 1024));
  def('battery', () => hal.sys.batteryPct());
  def('firmware', () => hal.sys.firmware());
  def('log', (l, m) => { hal.log(Math.max(0, Math.min(3, num(l))) as 0, str(m)); return null; });
  return raw;
}
