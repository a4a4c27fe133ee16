// Record framing on flash: each journal record (an entry or a seal, as stored CBOR bytes) is
// framed as  magic(1) kind(1) length(4, big-endian) crc32(4) payload(length)  so that a torn tail,
// a flipped bit or a zeroed stretch is detected at boot. A damaged frame costs that frame only
// (SPEC §6 "Damage and lost state"): the scan resynchronises on the next frame whose CRC holds.

import { crc32, readU32, writeU32 } from '../util/bytes';

export const MAGIC = 0xa5;
export const KIND_ENTRY = 0x45; // 'E'
export const KIND_SEAL = 0x53;  // 'S'
export const KIND_STATE = 0x43; // 'C': checkpoints and floors, never in a segment
export const HEADER = 10;
export const MAX_RECORD = 64 * 1024;

export function frame(kind: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + payload.length);
  out[0] = MAGIC; out[1] = kind;
  writeU32(out, 2, payload.length);
  out.set(payload, HEADER);
  writeU32(out, 6, crc32(out, HEADER));
  return out;
}

export interface Framed { kind: number; payload: Uint8Array; offset: number; end: number }

/** A stretch of a segment that held no intact frame: damage (or a torn tail, when it runs to the end). */
export interface Damaged { offset: number; end: number; why: string }

export interface Scan { records: Framed[]; damaged: Damaged[]; validEnd: number }

const kindOk = (k: number | undefined) => k === KIND_ENTRY || k === KIND_SEAL || k === KIND_STATE;

/** The intact frame at p, or why there is none. */
function frameAt(b: Uint8Array, p: number, maxRecord: number): Framed | string {
  if (b.length - p < HEADER) return `torn header at byte ${p}`;
  if (b[p] !== MAGIC || !kindOk(b[p + 1])) return b[p] === 0 && b[p + 1] === 0 ? `zeroed at byte ${p}` : `bad magic at byte ${p}`;
  const len = readU32(b, p + 2);
  if (len > maxRecord) return `absurd length ${len} at byte ${p}`;
  if (p + HEADER + len > b.length) return `torn record at byte ${p}`;
  if (crc32(b, p + HEADER, p + HEADER + len) !== readU32(b, p + 6)) return `checksum mismatch at byte ${p}`;
  return { kind: b[p + 1]!, payload: b.subarray(p + HEADER, p + HEADER + len), offset: p, end: p + HEADER + len };
}

/**
 * Every intact frame of a segment. Where a frame is damaged, the scan looks for the next offset at
 * which an intact frame starts and goes on from there; each skipped stretch is reported. `validEnd`
 * is the end of the last intact frame (a torn tail after it can be cut off).
 */
export function scanFrames(b: Uint8Array, maxRecord = MAX_RECORD): Scan {
  const records: Framed[] = [];
  const damaged: Damaged[] = [];
  let p = 0, validEnd = 0;
  while (p < b.length) {
    const f = frameAt(b, p, maxRecord);
    if (typeof f !== 'string') { records.push(f); p = f.end; validEnd = p; continue; }
    let q = p + 1;
    for (; q < b.length; q++) if (b[q] === MAGIC && typeof frameAt(b, q, maxRecord) !== 'string') break;
    damaged.push({ offset: p, end: q, why: f });
    p = q;
  }
  return { records, damaged, validEnd };
}
