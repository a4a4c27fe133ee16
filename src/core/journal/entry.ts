// Journal entries and seals exactly as SPEC §6 fixes them, and the checks on one record that the
// terminal, the fleet consumer and `journal verify` share.

import { decode, encode } from '../codec/cbor';
import { head32 } from '../crypto/hash';
import { parseSign1, type Sign1 } from '../crypto/cose';
import { fail, ok, type Result } from '../util/result';
import { readRecord, type JournalRecord } from './records';

export const ZERO32 = new Uint8Array(32);

/** An entry as stored (SPEC §6). `type` and `body` are the record; `rec` is it read through its type. */
export interface StoredEntry { v: 1; dev: string; seq: number; prev: Uint8Array; t: number; type: string; body: Record<string, unknown> }
export interface Entry extends StoredEntry { rec: JournalRecord | null }
export interface SealPayload { dev: string; seq: number; head: Uint8Array; t: number }

export function encodeEntry(e: StoredEntry): Uint8Array {
  // Key order as SPEC §6 lists it; the stored bytes are what is hashed, never a re-encoding.
  // t (epoch ms) is beyond 32 bits: hand it over as BigInt so it encodes as a uint (SPEC §6) and
  // the body alone decides whether the encoder must walk for wide numbers.
  return encode({ v: e.v, dev: e.dev, seq: e.seq, prev: e.prev, t: BigInt(e.t), type: e.type, body: e.body });
}

const isU = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

export function parseEntry(bytes: Uint8Array): Result<Entry> {
  const d = decode(bytes, 'entry');
  if (!d.ok) return d;
  const e = d.value as Record<string, unknown>;
  if (!e || typeof e !== 'object' || Array.isArray(e)) return fail('entry: not a map');
  if (e.v !== 1) return fail(`entry: expected v 1, got ${String(e.v)}`);
  if (typeof e.dev !== 'string' || e.dev.length === 0 || e.dev.length > 64) return fail('entry: dev must be a text of 1..64 chars');
  if (!isU(e.seq) || e.seq < 1) return fail('entry: seq must be an unsigned integer >= 1');
  if (!(e.prev instanceof Uint8Array) || e.prev.length !== 32) return fail('entry: prev must be 32 bytes');
  if (!isU(e.t)) return fail('entry: t must be an unsigned integer (epoch ms)');
  if (typeof e.type !== 'string' || e.type.length === 0 || e.type.length > 32) return fail('entry: type must be a short text');
  if (!e.body || typeof e.body !== 'object' || Array.isArray(e.body) || e.body instanceof Uint8Array) return fail('entry: body must be a map');
  const x = e as unknown as Entry;
  x.rec = readRecord(x.type, x.body);
  return ok(x);
}

export interface ParsedSeal { cose: Sign1; payload: SealPayload }

export function parseSeal(bytes: Uint8Array): Result<ParsedSeal> {
  const c = parseSign1(bytes, 'seal');
  if (!c.ok) return c;
  const d = decode(c.value.payload, 'seal payload');
  if (!d.ok) return d;
  const p = d.value as Record<string, unknown>;
  if (!p || typeof p !== 'object') return fail('seal payload: not a map');
  if (typeof p.dev !== 'string') return fail('seal payload: dev must be a text');
  if (!isU(p.seq) || p.seq < 1) return fail('seal payload: seq must be an unsigned integer >= 1');
  if (!(p.head instanceof Uint8Array) || p.head.length !== 32) return fail('seal payload: head must be 32 bytes');
  if (!isU(p.t)) return fail('seal payload: t must be an unsigned integer');
  return ok({ cose: c.value, payload: p as unknown as SealPayload });
}

/** SPEC §6: `prev` of the next entry and `head` of a seal: SHA-512 of the stored bytes, first 32. */
export const chainHash = head32;

/** Tells an entry (CBOR map) from a seal (CBOR tag 18) by its first byte. */
export function isSealBytes(b: Uint8Array): boolean {
  return b.length > 0 && b[0] === 0xd2;
}
