// The HAL contract as executable checks (device/hal-contract.md in code). Portable on purpose: the
// same checks run under Node against the fake and the host-sim HALs, inside QuickJS through the
// bridge (agent.call('halContract')), and on a real terminal's firmware as part of bring-up.

import { HAL_ABI, ST, type Hal } from './types';

export interface ContractResult { name: string; ok: boolean; detail: string }

const eq = (a: Uint8Array | null, b: Uint8Array) => !!a && a.length === b.length && a.every((x, i) => x === b[i]);

export function runHalContract(hal: Hal): ContractResult[] {
  const out: ContractResult[] = [];
  const check = (name: string, f: () => string | true) => {
    try { const r = f(); out.push({ name, ok: r === true, detail: r === true ? '' : r }); }
    catch (e) { out.push({ name, ok: false, detail: `threw: ${(e as Error).message}` }); } // a HAL must never throw
  };
  const P = 'contract/';
  check('abi matches the bundle', () => hal.abi === HAL_ABI || `abi ${hal.abi}, expected ${HAL_ABI}`);
  check('clock: numbers, monotonic never goes back', () => {
    const w = hal.clock.wallMs(), m1 = hal.clock.monoMs(), m2 = hal.clock.monoMs();
    if (typeof w !== 'number' || !Number.isFinite(w)) return 'wallMs is not a finite number';
    return m2 >= m1 || `monoMs went back ${m1} -> ${m2}`;
  });
  check('random: fills the whole buffer, differently each time', () => {
    const a = new Uint8Array(32), b = new Uint8Array(32);
    if (hal.random.fill(a) !== ST.OK || hal.random.fill(b) !== ST.OK) return 'fill did not answer OK';
    if (a.every((x) => x === 0)) return 'all zeros';
    return !eq(a, b) || 'two fills gave the same bytes';
  });
  check('storage: absent files answer -1 / null', () => {
    hal.storage.remove(P + 'a');
    return (hal.storage.size(P + 'a') === -1 && hal.storage.read(P + 'a', 0, 10) === null) || 'absent file not reported as absent';
  });
  check('storage: append creates and extends; read returns the bytes at an offset', () => {
    const s1 = hal.storage.append(P + 'a', new Uint8Array([1, 2, 3]));
    const s2 = hal.storage.append(P + 'a', new Uint8Array([4, 5]));
    if (s1 !== ST.OK || s2 !== ST.OK) return `append answered ${s1}, ${s2}`;
    if (hal.storage.size(P + 'a') !== 5) return `size ${hal.storage.size(P + 'a')}, expected 5`;
    if (!eq(hal.storage.read(P + 'a', 1, 3), new Uint8Array([2, 3, 4]))) return 'read at offset 1 is wrong';
    const tail = hal.storage.read(P + 'a', 3, 100);
    return eq(tail, new Uint8Array([4, 5])) || 'a read past the end must return what there is';
  });
  check('storage: replace swaps the whole file; truncate shortens it', () => {
    if (hal.storage.replace(P + 'a', new Uint8Array([9, 8])) !== ST.OK) return 'replace failed';
    if (!eq(hal.storage.read(P + 'a', 0, 10), new Uint8Array([9, 8]))) return 'replace did not replace';
    if (hal.storage.truncate(P + 'a', 1) !== ST.OK) return 'truncate failed';
    return eq(hal.storage.read(P + 'a', 0, 10), new Uint8Array([9])) || 'truncate did not shorten';
  });
  check('storage: list is sorted and filtered by prefix; remove deletes', () => {
    hal.storage.replace(P + 'c', new Uint8Array([1])); hal.storage.replace(P + 'b', new Uint8Array([1]));
    const l = hal.storage.list(P);
    if (l.join() !== [P + 'a', P + 'b', P + 'c'].join()) return `list gave ${JSON.stringify(l)}`;
    for (const n of l) hal.storage.remove(n);
    return hal.storage.list(P).length === 0 || 'remove left files behind';
  });
  check('storage: a bad name is refused with a status, not an exception', () => {
    const s = hal.storage.append('../escape', new Uint8Array([1]));
    return (typeof s === 'number' && s < 0) || `answered ${s}`;
  });
  check('storage: freeBytes is a count', () => { const f = hal.storage.freeBytes(); return (Number.isInteger(f) && f >= 0) || `freeBytes ${f}`; });
  check('keystore: absent slot is null; a stored value comes back as a copy', () => {
    if (hal.keystore.get('contract.none') !== null) return 'absent slot not null';
    const v = new Uint8Array([7, 7, 7]);
    if (hal.keystore.put('contract.slot', v) !== ST.OK) return 'put failed';
    const g = hal.keystore.get('contract.slot');
    if (!eq(g, v)) return 'get does not return what was put';
    g![0] = 0;
    return eq(hal.keystore.get('contract.slot'), v) || 'get must return a copy';
  });
  check('gps: null or a fix of numbers', () => {
    const f = hal.gps.last();
    return f === null || (['lat', 'lon', 'accuracyM', 'monoMs'] as const).every((k) => typeof f[k] === 'number') || 'fix fields are not numbers';
  });
  check('net and sys answer plain values', () => {
    if (typeof hal.net.connected() !== 'boolean') return 'connected is not a boolean';
    const h = hal.sys.heapFreeBytes(), b = hal.sys.batteryPct();
    if (!Number.isFinite(h) || h < 0) return `heapFreeBytes ${h}`;
    if (!(b === -1 || (b >= 0 && b <= 100))) return `batteryPct ${b}`;
    hal.log(0, 'contract check');
    return typeof hal.sys.firmware() === 'string' || 'firmware is not a string';
  });
  return out;
}
