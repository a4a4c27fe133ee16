// The one CBOR codec (RFC 8949) of the terminal, the fleet and the tools. The encoder writes core
// deterministic encoding (§4.2.1): shortest integers and lengths, definite lengths only, map keys
// sorted by their encoded bytes, floats in the shortest of half/single/double that keeps the value.
// The decoder takes plain RFC 8949 data and nothing else (SPEC §6): one item, definite lengths,
// shortest-form integers, no duplicate map keys, valid UTF-8 text, no tags but the ones the caller
// names (18 for COSE_Sign1), no undefined, no integers beyond 2^53, and limits for a terminal.
// Expected failures are values. No library does all of this, so it is written here, small.

import { fail, ok, type Result } from '../util/result';
import { fromUtf8Strict, utf8 } from '../util/bytes';

/** Limits for anything decoded on the terminal (policies, commands, acks, journal records). */
export const CBOR_LIMITS = { maxArraySize: 4096, maxMapSize: 512 };
/** Nesting deeper than this is refused (stack safety in QuickJS). */
export const CBOR_MAX_DEPTH = 16;
/** Largest single item the agent will decode. */
export const CBOR_MAX_BYTES = 1 << 20;

/** A tagged item (RFC 8949 §3.4). */
export class Tag {
  constructor(readonly value: unknown, readonly tag: number) {}
}

// ---- encoding --------------------------------------------------------------------------------

class Writer {
  buf: Uint8Array;
  n = 0;
  constructor(size = 256) { this.buf = new Uint8Array(size); }
  room(k: number): void {
    if (this.n + k <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + k) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
  }
  byte(x: number): void { this.room(1); this.buf[this.n++] = x; }
  bytes(b: Uint8Array): void { this.room(b.length); this.buf.set(b, this.n); this.n += b.length; }
  /** Major type and argument in the shortest form (§4.2.1). Arguments up to 2^53. */
  head(major: number, arg: number): void {
    const m = major << 5;
    if (arg < 24) this.byte(m | arg);
    else if (arg < 0x100) { this.room(2); this.buf[this.n++] = m | 24; this.buf[this.n++] = arg; }
    else if (arg < 0x10000) { this.room(3); this.buf[this.n++] = m | 25; this.buf[this.n++] = arg >> 8; this.buf[this.n++] = arg & 255; }
    else if (arg < 0x100000000) {
      this.room(5); this.buf[this.n++] = m | 26;
      this.buf[this.n++] = arg >>> 24; this.buf[this.n++] = (arg >>> 16) & 255; this.buf[this.n++] = (arg >>> 8) & 255; this.buf[this.n++] = arg & 255;
    } else {
      const hi = Math.floor(arg / 0x100000000), lo = arg >>> 0;
      this.room(9); this.buf[this.n++] = m | 27;
      this.buf[this.n++] = hi >>> 24; this.buf[this.n++] = (hi >>> 16) & 255; this.buf[this.n++] = (hi >>> 8) & 255; this.buf[this.n++] = hi & 255;
      this.buf[this.n++] = lo >>> 24; this.buf[this.n++] = (lo >>> 16) & 255; this.buf[this.n++] = (lo >>> 8) & 255; this.buf[this.n++] = lo & 255;
    }
  }
}

/** IEEE 754 half-precision bits of x, or -1 when x has no exact half (RFC 8949 §4.2.1 preferred floats). */
function toHalf(x: number): number {
  if (x === 0) return 1 / x < 0 ? 0x8000 : 0;
  const sign = x < 0 ? 0x8000 : 0, a = Math.abs(x);
  const e = Math.floor(Math.log2(a));
  if (e > 15) return -1;
  if (e >= -14) {
    const m = a / 2 ** e - 1;           // normal: 10-bit mantissa
    const mm = m * 1024;
    if (mm !== Math.floor(mm) || mm < 0 || mm >= 1024) return -1;
    if (2 ** e * (1 + mm / 1024) !== a) return -1;
    return sign | ((e + 15) << 10) | mm;
  }
  const mm = a / 2 ** -24;              // subnormal
  if (mm !== Math.floor(mm) || mm >= 1024) return -1;
  return sign | mm;
}

const f64 = new DataView(new ArrayBuffer(8));

function writeFloat(w: Writer, x: number): void {
  if (!Number.isFinite(x)) throw new TypeError('cbor: NaN and infinities are not encoded');
  const h = toHalf(x);
  if (h >= 0) { w.byte(0xf9); w.byte(h >> 8); w.byte(h & 255); return; }
  if (Math.fround(x) === x) {
    f64.setFloat32(0, x);
    w.byte(0xfa); for (let i = 0; i < 4; i++) w.byte(f64.getUint8(i));
    return;
  }
  f64.setFloat64(0, x);
  w.byte(0xfb); for (let i = 0; i < 8; i++) w.byte(f64.getUint8(i));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function writeValue(w: Writer, v: unknown, depth: number): void {
  if (depth > CBOR_MAX_DEPTH + 4) throw new TypeError('cbor: nested too deep to encode');
  switch (typeof v) {
    case 'number':
      // Integers within 2^53 as CBOR integers; anything else (a fraction, a huge double) as a float.
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) { if (v >= 0) w.head(0, v); else w.head(1, -1 - v); }
      else writeFloat(w, v);
      return;
    case 'bigint':
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) throw new TypeError('cbor: integer beyond 2^53');
      writeValue(w, Number(v), depth);
      return;
    case 'string': { const b = utf8(v); w.head(3, b.length); w.bytes(b); return; }
    case 'boolean': w.byte(v ? 0xf5 : 0xf4); return;
    case 'object':
      if (v === null) { w.byte(0xf6); return; }
      if (v instanceof Uint8Array) { w.head(2, v.length); w.bytes(v); return; }
      if (Array.isArray(v)) { w.head(4, v.length); for (let i = 0; i < v.length; i++) writeValue(w, v[i], depth + 1); return; }
      if (v instanceof Tag) { w.head(6, v.tag); writeValue(w, v.value, depth + 1); return; }
      if (v instanceof Map && smallOrdered(v)) { // the journal's maps: keys 0..23 in order, one byte each
        w.head(5, v.size);
        for (const [k, x] of v) { w.byte(k as number); writeValue(w, x, depth + 1); }
        return;
      }
      writeMap(w, v instanceof Map ? [...v.entries()] : Object.keys(v).map((k) => [k, (v as Record<string, unknown>)[k]]), depth);
      return;
  }
  throw new TypeError(`cbor: cannot encode a ${typeof v}`);
}

/** Integer keys 0..23 are one byte (§3.1); every entry's keys are, so they are made once. */
const SMALL_KEYS: Uint8Array[] = [];
for (let i = 0; i < 24; i++) SMALL_KEYS.push(new Uint8Array([i]));

/** True when every key is an integer 0..23, in increasing order, and no value is undefined. */
function smallOrdered(m: Map<unknown, unknown>): boolean {
  let last = -1;
  for (const [k, x] of m) {
    if (typeof k !== 'number' || !(k > last && k < 24 && k === Math.floor(k)) || x === undefined) return false;
    last = k;
  }
  return true;
}

function keyBytes(k: string | number): Uint8Array {
  if (typeof k === 'number' && k >= 0 && k < 24 && k === Math.floor(k)) return SMALL_KEYS[k]!;
  const w = new Writer(typeof k === 'string' ? k.length * 3 + 9 : 9);
  writeValue(w, k, 0);
  return w.buf.subarray(0, w.n);
}

/** Map entries in the order of their encoded keys (§4.2.1); entries whose value is undefined are left out. */
function writeMap(w: Writer, entries: [unknown, unknown][], depth: number): void {
  const items: { k: Uint8Array; v: unknown }[] = [];
  for (const [k, val] of entries) {
    if (val === undefined) continue;
    if (typeof k !== 'string' && typeof k !== 'number') throw new TypeError('cbor: map keys are text or integers');
    if (k === '__proto__') throw new TypeError('cbor: the map key __proto__ is not encoded (no reader could take it)');
    items.push({ k: keyBytes(k), v: val });
  }
  // Maps built in key order (the journal's integer-keyed ones) need no sort.
  let sorted = true;
  for (let i = 1; i < items.length && sorted; i++) sorted = compareBytes(items[i - 1]!.k, items[i]!.k) < 0;
  if (!sorted) items.sort((a, b) => compareBytes(a.k, b.k));
  w.head(5, items.length);
  for (const it of items) { w.bytes(it.k); writeValue(w, it.v, depth + 1); }
}

/** Core deterministic encoding (RFC 8949 §4.2.1). Throws only for values no CBOR can hold (a bug). */
export function encode(value: unknown): Uint8Array {
  const w = new Writer();
  writeValue(w, value, 0);
  return w.buf.slice(0, w.n);
}

// ---- decoding --------------------------------------------------------------------------------

export interface DecodeOptions {
  /** 'object': maps become plain objects and need text keys; 'map': maps become Map (integer keys allowed). */
  maps?: 'object' | 'map';
  /** Tags allowed anywhere in the item (default none). */
  tags?: readonly number[];
}

class Bad extends Error {}

class Reader {
  p = 0;
  constructor(readonly b: Uint8Array, readonly o: DecodeOptions) {}
  need(k: number): void { if (this.p + k > this.b.length) throw new Bad('truncated'); }
  /** The argument of the head at p (§3): shortest form required (§4.2.1). */
  arg(ai: number, major: number): number {
    if (ai < 24) return ai;
    if (ai > 27) throw new Bad(ai === 31 ? (major === 7 ? 'unexpected break' : 'indefinite-length items are not accepted') : `reserved additional info ${ai}`);
    const n = 1 << (ai - 24);
    this.need(n);
    let x = 0;
    for (let i = 0; i < n; i++) x = x * 256 + this.b[this.p + i]!;
    this.p += n;
    if (major !== 7 && x < (ai === 24 ? 24 : ai === 25 ? 256 : ai === 26 ? 65536 : 4294967296)) throw new Bad('integer not in its shortest form (RFC 8949 §4.2.1)');
    return x;
  }
  item(depth: number): unknown {
    if (depth > CBOR_MAX_DEPTH) throw new Bad(`nested deeper than ${CBOR_MAX_DEPTH}`);
    this.need(1);
    const ib = this.b[this.p++]!, major = ib >> 5, ai = ib & 31;
    if (major === 7) return this.simple(ai);
    const arg = this.arg(ai, major);
    switch (major) {
      case 0: if (arg > Number.MAX_SAFE_INTEGER) throw new Bad('integer beyond 2^53'); return arg;
      case 1: if (arg >= Number.MAX_SAFE_INTEGER) throw new Bad('integer beyond 2^53'); return -1 - arg;
      case 2: { this.need(arg); const v = this.b.slice(this.p, this.p + arg); this.p += arg; return v; }
      case 3: {
        this.need(arg);
        const s = fromUtf8Strict(this.b, this.p, this.p + arg);
        if (s === null) throw new Bad('text is not valid UTF-8');
        this.p += arg;
        return s;
      }
      case 4: {
        if (arg > CBOR_LIMITS.maxArraySize) throw new Bad(`array of ${arg} items, limit ${CBOR_LIMITS.maxArraySize}`);
        if (arg > this.b.length - this.p) throw new Bad(`length ${arg} runs past the end`);
        const a: unknown[] = [];
        for (let i = 0; i < arg; i++) a.push(this.item(depth + 1));
        return a;
      }
      case 5: return this.map(arg, depth);
      case 6: {
        if (!(this.o.tags ?? []).includes(arg)) throw new Bad(`CBOR tag ${arg} is not accepted here`);
        return new Tag(this.item(depth + 1), arg);
      }
    }
    throw new Bad('unreachable');
  }
  map(n: number, depth: number): unknown {
    if (n > CBOR_LIMITS.maxMapSize) throw new Bad(`map of ${n} items, limit ${CBOR_LIMITS.maxMapSize}`);
    if (n * 2 > this.b.length - this.p) throw new Bad(`length ${n} runs past the end`);
    const asMap = this.o.maps === 'map';
    const m = new Map<string | number, unknown>();
    const o: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const k = this.item(depth + 1);
      if (typeof k !== 'string' && !(asMap && typeof k === 'number')) throw new Bad(asMap ? 'map keys must be text or integers' : 'map keys must be text');
      if (k === '__proto__') throw new Bad('map key __proto__ is not accepted');
      // RFC 8949 §5.6: a map with duplicate keys is not valid; readers would keep only one.
      if (asMap ? m.has(k) : Object.prototype.hasOwnProperty.call(o, k as string)) throw new Bad('duplicate map key');
      const v = this.item(depth + 1);
      if (asMap) m.set(k, v); else o[k as string] = v;
    }
    return asMap ? m : o;
  }
  simple(ai: number): unknown {
    if (ai === 20) return false;
    if (ai === 21) return true;
    if (ai === 22) return null;
    if (ai === 25 || ai === 26 || ai === 27) {
      const n = ai === 25 ? 2 : ai === 26 ? 4 : 8;
      this.need(n);
      const dv = new DataView(this.b.buffer, this.b.byteOffset + this.p, n);
      const x = n === 2 ? half(dv.getUint16(0)) : n === 4 ? dv.getFloat32(0) : dv.getFloat64(0);
      this.p += n;
      if (!Number.isFinite(x)) throw new Bad('NaN and infinities are not accepted');
      return x;
    }
    if (ai === 31) throw new Bad('unexpected break');
    throw new Bad(ai === 23 ? 'undefined is not accepted' : `simple value ${ai} is not accepted`);
  }
}

function half(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 31, m = h & 1023;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Decodes exactly one CBOR item; `what` names the input in every error. */
export function decode(bytes: Uint8Array, what = 'cbor', o: DecodeOptions = {}): Result<unknown> {
  if (!(bytes instanceof Uint8Array)) return fail(`${what}: expected bytes`);
  if (bytes.length === 0) return fail(`${what}: empty`);
  if (bytes.length > CBOR_MAX_BYTES) return fail(`${what}: ${bytes.length} bytes, limit ${CBOR_MAX_BYTES}`);
  const r = new Reader(bytes, o);
  try {
    const v = r.item(0);
    if (r.p !== bytes.length) return fail(`${what}: ${bytes.length - r.p} trailing bytes after the item`);
    return ok(v);
  } catch (e) {
    if (e instanceof Bad) return fail(`${what}: ${e.message}`);
    throw e;
  }
}

/** Decodes exactly one CBOR item; maps become Map (for integer-keyed COSE headers and records). */
export const decodeMaps = (bytes: Uint8Array, what = 'cbor', tags?: readonly number[]) => decode(bytes, what, { maps: 'map', tags });

/**
 * Where the CBOR item starting at `off` ends (RFC 8949 §3), without building it. Used to split a
 * CBOR sequence (RFC 8742) into the exact stored bytes of each record.
 */
export function itemEnd(b: Uint8Array, off: number, depth = 0): Result<number> {
  if (depth > CBOR_MAX_DEPTH) return fail(`nested deeper than ${CBOR_MAX_DEPTH}`);
  if (off >= b.length) return fail('truncated');
  const r = new Reader(b, { maps: 'map', tags: ALL_TAGS });
  r.p = off;
  try {
    skip(r, depth);
    return ok(r.p);
  } catch (e) {
    if (e instanceof Bad) return fail(e.message);
    throw e;
  }
}

const ALL_TAGS = { includes: () => true } as unknown as readonly number[];

function skip(r: Reader, depth: number): void {
  if (depth > CBOR_MAX_DEPTH) throw new Bad(`nested deeper than ${CBOR_MAX_DEPTH}`);
  r.need(1);
  const ib = r.b[r.p++]!, major = ib >> 5, ai = ib & 31;
  if (major === 7) { if (ai >= 25 && ai <= 27) { const n = 1 << (ai - 24); r.need(n); r.p += n; return; } if (ai === 24) { r.need(1); r.p++; return; } if (ai === 31) throw new Bad('unexpected break'); return; }
  const arg = r.arg(ai, major);
  switch (major) {
    case 0: case 1: return;
    case 2: case 3: if (arg > r.b.length - r.p) throw new Bad(`length ${arg} runs past the end`); r.p += arg; return;
    case 4: case 5: {
      const items = major === 5 ? arg * 2 : arg;
      const limit = major === 5 ? CBOR_LIMITS.maxMapSize : CBOR_LIMITS.maxArraySize;
      if (arg > limit) throw new Bad(`${major === 5 ? 'map' : 'array'} of ${arg} items, limit ${limit}`);
      if (items > r.b.length - r.p) throw new Bad(`length ${arg} runs past the end`);
      for (let i = 0; i < items; i++) skip(r, depth + 1);
      return;
    }
    case 6: skip(r, depth + 1); return;
  }
}

/** Splits a CBOR sequence (RFC 8742) into the exact bytes of each item. */
export function splitSequence(b: Uint8Array, maxItems = 1_000_000): Result<Uint8Array[]> {
  const out: Uint8Array[] = [];
  let p = 0;
  while (p < b.length) {
    if (out.length >= maxItems) return fail(`more than ${maxItems} items`);
    const e = itemEnd(b, p);
    if (!e.ok) return fail(`item ${out.length} at byte ${p}: ${e.error}`, { index: out.length });
    out.push(b.subarray(p, e.value));
    p = e.value;
  }
  return ok(out);
}
