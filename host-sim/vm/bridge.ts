// The HAL as host functions for the prelude (prelude.ts), which assembles them into the HAL
// object inside the VM. Every function converts handles to plain values and never throws into
// the agent: a host-side failure answers -5 (IO), as a C HAL would.

import type { QuickJSContext, QuickJSHandle } from 'quickjs-emscripten';
import type { Hal } from '../../src/core/hal/types';

/** A HAL the bridge can serve; a simulator's HAL may pin the free-heap figure (scenario `heap` events). */
export type BridgedHal = Hal & { heapFreeOverride?: number | null };

/** Host functions for the prelude; every one converts handles to plain values and never throws. */
export function bridge(vm: QuickJSContext, hal: BridgedHal, heapFree: () => number | null): QuickJSHandle {
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
  def('heapFree', () => (hal.heapFreeOverride ?? heapFree() ?? hal.sys.heapFreeBytes()));
  def('battery', () => hal.sys.batteryPct());
  def('firmware', () => hal.sys.firmware());
  def('log', (l, m) => { hal.log(Math.max(0, Math.min(3, num(l))) as 0, str(m)); return null; });
  return raw;
}
