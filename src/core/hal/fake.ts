// An in-memory HAL with a manual clock, for unit tests of the core under Node and as the model
// every adapter is checked against (test/contract). No files, no network: published messages
// are kept in `sent` for tests to read.

import { HAL_ABI, ST, STORAGE_NAME, type GpsFix, type Hal, type Status } from './types';

export interface FakeHal extends Hal {
  files: Map<string, Uint8Array>;
  keys: Map<string, Uint8Array>;
  sent: { topic: string; payload: Uint8Array; qos: number; retain: boolean }[];
  set: { wall(ms: number): void; advance(ms: number): void; fix(f: GpsFix | null): void;
         heapFree(n: number): void; capacity(n: number): void; online(up: boolean): void };
}

export function fakeHal(startWallMs = Date.UTC(2026, 2, 2, 1, 0, 0), seed = 1): FakeHal {
  let wall = startWallMs, mono = 0, fix: GpsFix | null = null, heapFree = 512 * 1024;
  let capacity = 4 * 1024 * 1024, online = true, rnd = seed >>> 0 || 1;
  const files = new Map<string, Uint8Array>();
  const keys = new Map<string, Uint8Array>();
  const sent: FakeHal['sent'] = [];
  const used = () => { let n = 0; files.forEach((f) => (n += f.length)); return n; };
  const put = (name: string, data: Uint8Array): Status => {
    if (!STORAGE_NAME.test(name)) return ST.INVALID;
    const old = files.get(name)?.length ?? 0;
    if (used() - old + data.length > capacity) return ST.NO_SPACE;
    files.set(name, data);
    return ST.OK;
  };
  return {
    abi: HAL_ABI,
    files, keys, sent,
    clock: { wallMs: () => wall, monoMs: () => mono },
    random: {
      fill(out) { // xorshift32: deterministic for tests, never for a real terminal
        for (let i = 0; i < out.length; i++) { rnd ^= rnd << 13; rnd ^= rnd >>> 17; rnd ^= rnd << 5; out[i] = rnd & 0xff; }
        return ST.OK;
      },
    },
    storage: {
      size: (n) => files.get(n)?.length ?? -1,
      read(n, off, len) {
        const f = files.get(n);
        if (!f || off < 0 || len < 0 || off > f.length) return null;
        return f.slice(off, Math.min(f.length, off + len));
      },
      append(n, d) {
        if (!STORAGE_NAME.test(n)) return ST.INVALID;
        const f = files.get(n) ?? new Uint8Array(0);
        const g = new Uint8Array(f.length + d.length); g.set(f); g.set(d, f.length);
        return put(n, g);
      },
      replace: (n, d) => put(n, d.slice()),
      truncate(n, len) {
        const f = files.get(n);
        if (!f) return ST.NOT_FOUND;
        files.set(n, f.slice(0, Math.min(len, f.length)));
        return ST.OK;
      },
      remove: (n) => (files.delete(n) ? ST.OK : ST.NOT_FOUND),
      list: (p) => [...files.keys()].filter((k) => k.startsWith(p)).sort(),
      freeBytes: () => capacity - used(),
    },
    keystore: {
      get: (s) => keys.get(s)?.slice() ?? null,
      put: (s, d) => { keys.set(s, d.slice()); return ST.OK; },
    },
    gps: { last: () => fix },
    net: {
      publish(topic, payload, qos, retain) {
        if (!online) return ST.OFFLINE;
        sent.push({ topic, payload: payload.slice(), qos, retain });
        return ST.OK;
      },
      subscribe: () => ST.OK,
      will: () => ST.OK,
      connected: () => online,
    },
    sys: { heapFreeBytes: () => heapFree, batteryPct: () => 80, firmware: () => 'fake-1' },
    log: () => {},
    set: {
      wall: (ms) => { wall = ms; },
      advance: (ms) => { wall += ms; mono += ms; },
      fix: (f) => { fix = f; },
      heapFree: (n) => { heapFree = n; },
      capacity: (n) => { capacity = n; },
      online: (up) => { online = up; },
    },
  };
}
