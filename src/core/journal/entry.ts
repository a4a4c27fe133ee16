// Journal entries and seals (SPEC §6, stored format 2 of format.ts), and the checks on one record
// that the terminal, the fleet consumer and `journal verify` share. The stored bytes are what is
// hashed and signed, never a re-encoding; the encoder is deterministic (RFC 8949 §4.2.1), so any
// verifier that re-encodes a decoded entry gets the same bytes.

import { decodeMaps, encode } from '../codec/cbor';
import { head32 } from '../crypto/hash';
import { parseSign1, type Sign1 } from '../crypto/cose';
import { fail, ok, type Result } from '../util/result';
import { BODY, ENTRY, FORMAT_VERSION, SEAL, fromStored, toStored, typeCode, typeName } from './format';
import { readRecord, type JournalRecord } from './records';

export const ZERO32 = new Uint8Array(32);

/** An entry as stored. `type` and `body` are the record as read; `rec` is it typed (null: unknown or malformed). */
export interface StoredEntry { seq: number; prev: Uint8Array; t: number; type: string; body: Record<string, unknown> }
export interface Entry extends StoredEntry { v: number; rec: JournalRecord | null }
export interface SealPayload { dev: string; seq: number; head: Uint8Array; t: number }

export function encodeEntry(e: StoredEntry): Uint8Array {
  const shape = BODY[e.type];
  return encode(new Map<number, unknown>([
    [ENTRY.v, FORMAT_VERSION], [ENTRY.seq, e.seq], [ENTRY.prev, e.prev], [ENTRY.t, e.t],
    [ENTRY.type, typeCode(e.type)], [ENTRY.body, shape ? toStored(shape, e.body) : e.body],
  ]));
}

const isU = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

export function parseEntry(bytes: Uint8Array): Result<Entry> {
  const d = decodeMaps(bytes, 'entry');
  if (!d.ok) return d;
  const m = d.value;
  if (!(m instanceof Map)) return fail('entry: not a map');
  const v = m.get(ENTRY.v), seq = m.get(ENTRY.seq), prev = m.get(ENTRY.prev), t = m.get(ENTRY.t);
  if (v !== FORMAT_VERSION) return fail(`entry: expected format ${FORMAT_VERSION}, got ${String(v)}`);
  if (!isU(seq) || seq < 1) return fail('entry: seq must be an unsigned integer >= 1');
  if (!(prev instanceof Uint8Array) || prev.length !== 32) return fail('entry: prev must be 32 bytes');
  if (!isU(t)) return fail('entry: t must be an unsigned integer (epoch ms)');
  const type = typeName(m.get(ENTRY.type));
  if (type === null || type.length === 0 || type.length > 32) return fail('entry: type must be a record type code');
  const raw = m.get(ENTRY.body);
  if (!(raw instanceof Map)) return fail('entry: body must be a map');
  const shape = BODY[type];
  const body = (shape ? fromStored(shape, raw) : null) as Record<string, unknown> | null;
  return ok({ v, seq, prev, t, type, body: body ?? {}, rec: body ? readRecord(type, body) : null });
}

export interface ParsedSeal { cose: Sign1; payload: SealPayload }

export function encodeSealPayload(p: SealPayload): Uint8Array {
  return encode(new Map<number, unknown>([[SEAL.dev, p.dev], [SEAL.seq, p.seq], [SEAL.head, p.head], [SEAL.t, p.t]]));
}

export function parseSeal(bytes: Uint8Array): Result<ParsedSeal> {
  const c = parseSign1(bytes, 'seal');
  if (!c.ok) return c;
  const d = decodeMaps(c.value.payload, 'seal payload');
  if (!d.ok) return d;
  const m = d.value;
  if (!(m instanceof Map)) return fail('seal payload: not a map');
  const dev = m.get(SEAL.dev), seq = m.get(SEAL.seq), head = m.get(SEAL.head), t = m.get(SEAL.t);
  if (typeof dev !== 'string' || dev.length === 0 || dev.length > 64) return fail('seal payload: dev must be a text of 1..64 chars');
  if (!isU(seq) || seq < 1) return fail('seal payload: seq must be an unsigned integer >= 1');
  if (!(head instanceof Uint8Array) || head.length !== 32) return fail('seal payload: head must be 32 bytes');
  if (!isU(t)) return fail('seal payload: t must be an unsigned integer');
  return ok({ cose: c.value, payload: { dev, seq, head, t } });
}

/** SPEC §6: `prev` of the next entry and `head` of a seal: SHA-512 of the stored bytes, first 32. */
export const chainHash = head32;

/** Tells an entry (CBOR map) from a seal (CBOR tag 18) by its first byte. */
export function isSealBytes(b: Uint8Array): boolean {
  return b.length > 0 && b[0] === 0xd2;
}
