// Scenario files (SPEC §9): parsed and checked up front so a bad one is refused with the event
// index and field that are wrong, before a terminal boots.

import { parseIsoMs } from '../../src/core/time/iso';
import { UsageError } from '../../src/node/errors';

export interface Fix { lat: number; lon: number; accuracyM: number }
export type SimEvent = { at: number; index: number } & (
  | { kind: 'txn'; txn: Record<string, any>; host: Record<string, any> | null }
  | { kind: 'fix'; fix: Fix | null; frozen: boolean }
  | { kind: 'clock'; jumpS?: number; sync?: boolean; freeze?: boolean }
  | { kind: 'network'; up: boolean }
  | { kind: 'power'; mode: 'cut' | 'restart' | 'arm'; atWrite?: number; midWrite?: boolean }
  | { kind: 'heap'; freeBytes: number | null }
  | { kind: 'storage'; freeBytes: number | null }
  | { kind: 'settle'; hostTotals: Record<string, { count: number; amount: number }> | null }
  | { kind: 'cmd'; cmd: Record<string, any> }
  | { kind: 'signer'; up: boolean }
  | { kind: 'fault'; fault: 'write-error' | 'short-write' | 'none' }
  | { kind: 'policy'; policy: Record<string, any> }
);

export interface Scenario {
  name: string;
  device: { id: string; fleet: string; heapLimitBytes: number; storageBytes: number; nativeSigner: boolean };
  /** Inline JSON, a file beside the scenario, null (no policy), or left out: what the data folder holds (SPEC §9). */
  policy: Record<string, any> | string | null | undefined;
  /** offsetMin: the start time's own UTC offset, for showing times before a policy says the zone. */
  start: { timeMs: number; fix: Fix | null; offsetMin: number };
  events: SimEvent[];
}

const MAX_EVENTS = 200_000;
const isObj = (v: unknown): v is Record<string, any> => v !== null && typeof v === 'object' && !Array.isArray(v);

function bad(where: string, what: string): never { throw new UsageError(`scenario: ${where}: ${what}`); }

function fix(v: unknown, where: string): Fix {
  if (!isObj(v)) bad(where, 'must be an object {lat, lon, accuracyM}');
  const { lat, lon, accuracyM } = v;
  if (typeof lat !== 'number' || !(lat >= -90 && lat <= 90)) bad(`${where}.lat`, 'must be a number from -90 to 90');
  if (typeof lon !== 'number' || !(lon >= -180 && lon <= 180)) bad(`${where}.lon`, 'must be a number from -180 to 180');
  const a = accuracyM ?? 10;
  if (typeof a !== 'number' || !(a >= 0 && a <= 1e6)) bad(`${where}.accuracyM`, 'must be a number of metres from 0 to 1000000');
  return { lat, lon, accuracyM: a };
}

/** The times a scenario may name: a terminal's clock in this century (four-digit years, dates JavaScript can hold). */
const EARLIEST_MS = Date.UTC(2000, 0, 1), LATEST_MS = Date.UTC(2100, 0, 1);
const inRange = (ms: number, where: string, v: unknown): number =>
  ms >= EARLIEST_MS && ms < LATEST_MS ? ms : bad(where, `must fall in 2000-01-01..2099-12-31, got ${JSON.stringify(v)}`);

/** "+90s", "+10m", "+2h", "+1d" from the start, or an absolute RFC 3339 time. */
export function parseAt(v: unknown, startMs: number, where: string): number {
  if (typeof v === 'string') {
    const m = /^\+(\d{1,9})(ms|s|m|h|d)$/.exec(v);
    if (m) return inRange(startMs + +m[1]! * { ms: 1, s: 1000, m: 60_000, h: 3600_000, d: 86_400_000 }[m[2] as 'ms']!, where, v);
    const abs = parseIsoMs(v);
    if (abs !== null) return inRange(abs, where, v);
  }
  bad(where, `must be an offset like "+90s", "+10m", "+2h", "+1d" or an RFC 3339 time, got ${JSON.stringify(v)}`);
}

const int = (v: unknown, where: string, min: number, max: number): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) bad(where, `must be an integer from ${min} to ${max}`);
  return v;
};

export function parseScenario(json: unknown): Scenario {
  if (!isObj(json)) bad('top level', 'must be a JSON object');
  const d = json.device ?? {};
  if (!isObj(d)) bad('device', 'must be an object');
  if (typeof d.id !== 'string' || !/^[\w.-]{1,32}$/.test(d.id)) bad('device.id', 'must be 1-32 letters, digits, ".", "_" or "-"');
  const fleet = d.fleet ?? 'demo';
  if (typeof fleet !== 'string' || !/^[\w.-]{1,32}$/.test(fleet)) bad('device.fleet', 'must be 1-32 letters, digits, ".", "_" or "-"');
  const device = {
    id: d.id, fleet,
    heapLimitBytes: d.heapLimitBytes === undefined ? 1 << 20 : int(d.heapLimitBytes, 'device.heapLimitBytes', 64 * 1024, 256 << 20),
    storageBytes: d.storageBytes === undefined ? 4 << 20 : int(d.storageBytes, 'device.storageBytes', 16 * 1024, 1 << 30),
    nativeSigner: d.nativeSigner === true,
  };
  if (json.policy !== undefined && !isObj(json.policy) && typeof json.policy !== 'string' && json.policy !== null) bad('policy', 'must be an inline policy object, a .json or .cose file beside the scenario, null (no policy), or left out (what the data folder holds)');
  if (!isObj(json.start)) bad('start', 'must be an object {time, fix}');
  const startMs = parseIsoMs(json.start.time);
  if (startMs === null) bad('start.time', 'must be an RFC 3339 time with offset, e.g. "2026-03-02T09:00:00+08:00"');
  inRange(startMs, 'start.time', json.start.time);
  const off = /([+-])(\d{2}):(\d{2})$/.exec(json.start.time);
  const offsetMin = off ? (off[1] === '-' ? -1 : 1) * (+off[2]! * 60 + +off[3]!) : 0;
  const start = { timeMs: startMs, fix: json.start.fix === undefined ? null : fix(json.start.fix, 'start.fix'), offsetMin };
  if (!Array.isArray(json.events)) bad('events', 'must be a list');
  if (json.events.length > MAX_EVENTS) bad('events', `at most ${MAX_EVENTS} events`);
  const events: SimEvent[] = [];
  let last = startMs;
  json.events.forEach((e: unknown, i: number) => {
    const w = `events[${i}]`;
    if (!isObj(e)) bad(w, 'must be an object');
    const at = parseAt(e.at ?? '+0s', startMs, `${w}.at`);
    if (at < last) bad(`${w}.at`, 'events must be in time order');
    last = at;
    const base = { at, index: i };
    if (e.txn !== undefined) {
      if (!isObj(e.txn)) bad(`${w}.txn`, 'must be an object');
      const host = e.txn.host;
      if (host !== undefined && !isObj(host)) bad(`${w}.txn.host`, 'must be an object');
      for (const k of Object.keys(host ?? {})) {
        if (!['f4', 'amountMinor', 'f25', 'f41', 'f42', 'f49', 'f3', 'f11', 'mti', 'f39', 'timeout'].includes(k)) bad(`${w}.txn.host.${k}`, 'is not a field the acquirer simulator can override');
      }
      const { host: _h, ...txn } = e.txn;
      events.push({ ...base, kind: 'txn', txn, host: host ?? null });
    } else if (e.fix !== undefined) {
      const lost = isObj(e.fix) && e.fix.lost === true;
      events.push({ ...base, kind: 'fix', fix: lost ? null : fix(e.fix, `${w}.fix`), frozen: isObj(e.fix) && e.fix.frozen === true });
    } else if (e.clock !== undefined) {
      if (!isObj(e.clock)) bad(`${w}.clock`, 'must be {jumpS: n}, {sync: true} or {freeze: true|false}');
      if (e.clock.sync === true) events.push({ ...base, kind: 'clock', sync: true });
      else if (typeof e.clock.freeze === 'boolean') events.push({ ...base, kind: 'clock', freeze: e.clock.freeze });
      else events.push({ ...base, kind: 'clock', jumpS: int(e.clock.jumpS, `${w}.clock.jumpS`, -10 * 365 * 86400, 10 * 365 * 86400) });
    } else if (e.network !== undefined) {
      if (e.network !== 'up' && e.network !== 'down') bad(`${w}.network`, 'must be "up" or "down"');
      events.push({ ...base, kind: 'network', up: e.network === 'up' });
    } else if (e.power !== undefined) {
      if (e.power === 'cut' || e.power === 'restart') events.push({ ...base, kind: 'power', mode: e.power });
      else if (isObj(e.power) && e.power.cutAtWrite !== undefined) {
        events.push({ ...base, kind: 'power', mode: 'arm', atWrite: int(e.power.cutAtWrite, `${w}.power.cutAtWrite`, 1, 1e6), midWrite: e.power.midWrite !== false });
      } else bad(`${w}.power`, 'must be "cut", "restart" or {"cutAtWrite": n, "midWrite": true}');
    } else if (e.heap !== undefined) {
      if (!isObj(e.heap)) bad(`${w}.heap`, 'must be {freeBytes: n} or {freeBytes: null}');
      events.push({ ...base, kind: 'heap', freeBytes: e.heap.freeBytes === null ? null : int(e.heap.freeBytes, `${w}.heap.freeBytes`, 0, 1 << 30) });
    } else if (e.storage !== undefined) {
      if (!isObj(e.storage)) bad(`${w}.storage`, 'must be {freeBytes: n} or {freeBytes: null}');
      events.push({ ...base, kind: 'storage', freeBytes: e.storage.freeBytes === null ? null : int(e.storage.freeBytes, `${w}.storage.freeBytes`, 0, 1 << 30) });
    } else if (e.settle !== undefined) {
      if (!isObj(e.settle)) bad(`${w}.settle`, 'must be {} or {hostTotals: {...}}');
      const ht = e.settle.hostTotals;
      if (ht !== undefined) {
        if (!isObj(ht)) bad(`${w}.settle.hostTotals`, 'must map a transaction type to {count, amount}');
        for (const [k, v] of Object.entries(ht)) {
          if (!isObj(v)) bad(`${w}.settle.hostTotals.${k}`, 'must be {count, amount}');
          int(v.count, `${w}.settle.hostTotals.${k}.count`, 0, 1e9); int(v.amount, `${w}.settle.hostTotals.${k}.amount`, -1e15, 1e15);
        }
      }
      events.push({ ...base, kind: 'settle', hostTotals: ht ?? null });
    } else if (e.cmd !== undefined) {
      if (!isObj(e.cmd) || typeof e.cmd.kind !== 'string') bad(`${w}.cmd`, 'must be an object with a kind');
      events.push({ ...base, kind: 'cmd', cmd: e.cmd });
    } else if (e.fault !== undefined) {
      if (!['write-error', 'short-write', 'none'].includes(e.fault)) bad(`${w}.fault`, 'must be "write-error", "short-write" or "none"');
      events.push({ ...base, kind: 'fault', fault: e.fault });
    } else if (e.signer !== undefined) {
      if (e.signer !== 'fail' && e.signer !== 'recover') bad(`${w}.signer`, 'must be "fail" or "recover"');
      events.push({ ...base, kind: 'signer', up: e.signer === 'recover' });
    } else if (e.policy !== undefined) {
      if (!isObj(e.policy)) bad(`${w}.policy`, 'must be an inline policy object');
      events.push({ ...base, kind: 'policy', policy: e.policy });
    } else bad(w, 'has no event (txn, fix, clock, network, power, heap, storage, settle, cmd, signer, fault, policy)');
  });
  return { name: typeof json.name === 'string' ? json.name : 'scenario', device, policy: json.policy, start, events };
}
