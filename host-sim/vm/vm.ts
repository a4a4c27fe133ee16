// Runs the device bundle inside QuickJS (quickjs-emscripten, sync build) the way a terminal does:
// a heap budget watched after every call (the library's memory limit alone does not cap total
// use), a stack limit, a deadline interrupt, and the HAL bridged in as host functions (bridge.ts).
// Both engines terminals embed run it: QuickJS and quickjs-ng, through the same quickjs-emscripten API.

import {
  newQuickJSWASMModule, newQuickJSWASMModuleFromVariant, RELEASE_SYNC, DEBUG_SYNC, shouldInterruptAfterDeadline,
  type QuickJSContext, type QuickJSHandle, type QuickJSRuntime, type QuickJSWASMModule,
} from 'quickjs-emscripten';
import QUICKJS_NG from '@jitl/quickjs-ng-wasmfile-release-sync';
import type { HalEvent } from '../../src/core/hal/types';
import { ARG_MAX_CHARS } from '../../src/core/boundary';
import { bridge, type BridgedHal } from './bridge';
import { HAL_PRELUDE } from './prelude';

/** The two engines terminals embed (SPEC §1): Bellard's QuickJS and the quickjs-ng fork. */
export type Engine = 'quickjs' | 'quickjs-ng';
export const ENGINES: readonly Engine[] = ['quickjs', 'quickjs-ng'];

const modules = new Map<string, Promise<QuickJSWASMModule>>();
/** One WASM module per engine and process (each terminal gets its own runtime in it). */
export function quickjs(debug = false, engine: Engine = 'quickjs'): Promise<QuickJSWASMModule> {
  const key = `${engine}${debug ? '-debug' : ''}`;
  let m = modules.get(key);
  if (!m) {
    m = engine === 'quickjs-ng' ? newQuickJSWASMModuleFromVariant(QUICKJS_NG) : newQuickJSWASMModule(debug ? DEBUG_SYNC : RELEASE_SYNC);
    modules.set(key, m);
  }
  return m;
}

export interface VmOptions {
  bundle: string;
  hal: BridgedHal;
  heapLimitBytes: number;       // the terminal's JS heap budget (scenario device.heapLimitBytes)
  stackBytes?: number;
  callDeadlineMs?: number;
  debug?: boolean;
  /** QuickJS (default) or quickjs-ng; `debug` applies to QuickJS only. */
  engine?: Engine;
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
    const mod = opts.module ?? await quickjs(opts.debug, opts.engine);
    const rt = mod.newRuntime();
    rt.setMemoryLimit(opts.heapLimitBytes);
    rt.setMaxStackSize(opts.stackBytes ?? 256 * 1024);
    const vm = rt.newContext();
    let dvm: DeviceVM | null = null;
    try {
      const raw = bridge(vm, opts.hal, () => (dvm ? dvm.heapFree() : null));
      const prelude = vm.unwrapResult(vm.evalCode(HAL_PRELUDE, 'hal-prelude.js'));
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

  /** The engine's own account of its heap (QuickJS JS_ComputeMemoryUsage): atoms, strings, objects, bytecode. */
  memoryUsage(): Record<string, number> {
    const h = this.rt.computeMemoryUsage();
    const u = this.vm.dump(h) as Record<string, number>;
    h.dispose();
    return u;
  }

  /** The same as QuickJS prints it (JS_DumpMemoryUsage), for the bench's notes. */
  memoryDump(): string { return this.rt.dumpMemoryUsage(); }

  /**
   * The engine's hard allocation limit, apart from the budget the agent is told (heapLimitBytes):
   * a bench sets it to the peak it claims, so an allocation inside a call that passes it fails the run.
   */
  setHardLimit(bytes: number): void { this.rt.setMemoryLimit(bytes); }

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
    // As the firmware does (device/README.md): a string that large would take the terminal's heap before the agent could refuse it.
    if (json.length > ARG_MAX_CHARS) return { ok: false, error: `argument of ${json.length} characters is larger than ${ARG_MAX_CHARS}; refused before the VM` };
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
