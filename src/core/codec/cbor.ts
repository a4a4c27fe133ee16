// The one CBOR codec of the agent (RFC 8949), a wrapper over cbor-x set up so that QuickJS and
// Node produce the same bytes: no tag on Uint8Array, no tag 259 on Map, no records, minimal map
// headers, and size limits for a terminal instead of V8's defaults. Decoding answers a Result.

import { Encoder, Decoder, Tag, setSizeLimits } from 'cbor-x';
import { fail, ok, type Result } from '../util/result';

/** Limits for anything decoded on the terminal (policies, commands, acks, journal records). */
export const CBOR_LIMITS = { maxArraySize: 4096, maxMapSize: 512, maxObjectSize: 512 };
/** Nesting deeper than this is refused before cbor-x recurses (stack safety in QuickJS). */
export const CBOR_MAX_DEPTH = 16;
/** Largest single item the agent will decode. */
export const CBOR_MAX_BYTES = 1 << 20;

setSizeLimits(CBOR_LIMITS);

const OPTS = {
  useRecords: false,
  mapsAsObjects: true,
  tagUint8Array: false,
  useTag259ForMaps: false,
  variableMapSize: true,
  copyBuffers: true,
  pack: false,
  bundleStrings: false,
  useTimestamp32: false,
  largeBigIntToFloat: false,
  int64AsNumber: true,
} as const;

const encoder = new Encoder(OPTS as never);
const decoder = new Decoder(OPTS as never);
// COSE headers have integer keys: decode them into a Map so 1 and "1" stay apart (RFC 9052 §3).
const mapDecoder = new Decoder({ ...OPTS, mapsAsObjects: false } as never);

export { Tag };

/**
 * cbor-x writes integers beyond 32 bits as float64; RFC 8949 §4.2.1 (preferred serialisation) and
 * SPEC §6 (`t: uint`) want them as major type 0/1. Widen such numbers to BigInt on the way in.
 */
/** True when some number inside `v` needs widening; lets encode skip the copying walk. */
function needsWiden(v: unknown, depth = 0): boolean {
  if (typeof v === 'number') return (v > 0xffffffff || v < -0x100000000) && Number.isSafeInteger(v);
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array || depth > CBOR_MAX_DEPTH) return false;
  if (Array.isArray(v)) { for (let i = 0; i < v.length; i++) if (needsWiden(v[i], depth + 1)) return true; return false; }
  if (v instanceof Map) { let n = false; v.forEach((x) => { if (!n && needsWiden(x, depth + 1)) n = true; }); return n; }
  if (v instanceof Tag) return needsWiden(v.value, depth + 1);
  for (const k in v as Record<string, unknown>) {
    const x = (v as Record<string, unknown>)[k];
    if (x === undefined || needsWiden(x, depth + 1)) return true; // widen() also drops undefined fields
  }
  return false;
}

function widen(v: unknown): unknown {
  if (typeof v === 'number') {
    return (v > 0xffffffff || v < -0x100000000) && Number.isSafeInteger(v) ? BigInt(v) : v;
  }
  if (v === null || typeof v !== 'object' || v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(widen);
  if (v instanceof Map) {
    const m = new Map();
    v.forEach((x, k) => m.set(k, widen(x)));
    return m;
  }
  if (v instanceof Tag) return new Tag(widen(v.value), v.tag);
  const o: Record<string, unknown> = {};
  for (const k in v as Record<string, unknown>) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) o[k] = widen(x);
  }
  return o;
}

export function encode(value: unknown): Uint8Array {
  const b = encoder.encode(needsWiden(value) ? widen(value) : value) as Uint8Array;
  // Under Node, cbor-x hands back a pooled Node byte array: copy into a plain Uint8Array.
  return b.constructor === Uint8Array ? b : new Uint8Array(b);
}

function decodeWith(d: Decoder, bytes: Uint8Array, what: string): Result<unknown> {
  if (!(bytes instanceof Uint8Array)) return fail(`${what}: expected bytes`);
  if (bytes.length === 0) return fail(`${what}: empty`);
  if (bytes.length > CBOR_MAX_BYTES) return fail(`${what}: ${bytes.length} bytes, limit ${CBOR_MAX_BYTES}`);
  const end = itemEnd(bytes, 0);
  if (!end.ok) return fail(`${what}: ${end.error}`);
  if (end.value !== bytes.length) return fail(`${what}: ${bytes.length - end.value} trailing bytes after the item`);
  try {
    return ok(d.decode(bytes));
  } catch (e) {
    return fail(`${what}: malformed CBOR (${(e as Error).message})`);
  }
}

/** Decodes exactly one CBOR item; maps become plain objects. */
export const decode = (bytes: Uint8Array, what = 'cbor') => decodeWith(decoder, bytes, what);
/** Decodes exactly one CBOR item; maps become Map (for integer-keyed COSE headers). */
export const decodeMaps = (bytes: Uint8Array, what = 'cbor') => decodeWith(mapDecoder, bytes, what);

/**
 * Where the CBOR item starting at `off` ends (RFC 8949 §3), without building it. Used to split a
 * CBOR sequence (RFC 8742) into the exact stored bytes of each record, and to refuse truncated,
 * over-deep or absurdly long input before a decoder allocates for it.
 */
export function itemEnd(b: Uint8Array, off: number, depth = 0): Result<number> {
  if (depth > CBOR_MAX_DEPTH) return fail(`nested deeper than ${CBOR_MAX_DEPTH}`);
  if (off >= b.length) return fail('truncated');
  const ib = b[off]!;
  const major = ib >> 5;
  const ai = ib & 31;
  let p = off + 1;
  let arg = 0;
  if (ai < 24) arg = ai;
  else if (ai <= 27) {
    const n = 1 << (ai - 24);
    if (p + n > b.length) return fail('truncated');
    for (let i = 0; i < n; i++) arg = arg * 256 + b[p + i]!;
    p += n;
    // RFC 8949 §4.2.1 preferred serialisation: an integer or tag number in the shortest form. A
    // longer one is a second spelling of the same value, which a signed format must not allow.
    if ((major === 0 || major === 1 || major === 6) && arg < (ai === 24 ? 24 : ai === 25 ? 256 : ai === 26 ? 65536 : 4294967296)) {
      return fail('integer not in its shortest form (RFC 8949 §4.2.1)');
    }
  } else if (ai === 31) {
    // Indefinite lengths have no place in deterministic encoding (RFC 8949 §4.2.1); none of our
    // formats use them, and refusing them here keeps cbor-x off its Node-only concat path.
    return fail(major === 7 ? 'unexpected break' : 'indefinite-length items are not accepted');
  } else return fail(`reserved additional info ${ai}`);
  switch (major) {
    case 0: case 1: case 7: return ok(p);
    case 2: case 3:
      if (arg > b.length - p) return fail(`length ${arg} runs past the end`);
      return ok(p + arg);
    case 4: case 5: {
      const items = major === 5 ? arg * 2 : arg;
      const limit = major === 5 ? CBOR_LIMITS.maxMapSize : CBOR_LIMITS.maxArraySize;
      if (arg > limit) return fail(`${major === 5 ? 'map' : 'array'} of ${arg} items, limit ${limit}`);
      if (items > b.length - p) return fail(`length ${arg} runs past the end`);
      // RFC 8949 §5.6: a map with duplicate keys is not valid; decoders would keep only one.
      const keys: string[] | null = major === 5 ? [] : null;
      for (let i = 0; i < items; i++) {
        const e = itemEnd(b, p, depth + 1);
        if (!e.ok) return e;
        if (keys && i % 2 === 0) {
          let k = '';
          for (let j = p; j < e.value; j++) k += String.fromCharCode(b[j]!);
          if (keys.indexOf(k) >= 0) return fail('duplicate map key');
          keys.push(k);
        }
        p = e.value;
      }
      return ok(p);
    }
    case 6: return itemEnd(b, p, depth + 1);
  }
  return fail('unreachable');
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
