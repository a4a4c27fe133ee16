// Record framing on flash: each journal record (an entry or a seal, as stored CBOR bytes) is
// framed as  magic(1) kind(1) length(4, big-endian) crc32(4) payload(length)  so that a torn or
// corrupted tail is detected at boot and cut off instead of being served (SPEC §6).

import { crc32, readU32, writeU32 } from '../util/bytes';

export const MAGIC = 0xa5;
export const KIND_ENTRY = 0x45; // 'E'
export const KIND_SEAL = 0x53;  // 'S'
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

export interface Framed { kind: number; payload: Uint8Array; offset: number; end: number; damaged?: boolean }

/**
 * Splits a segment's bytes into records; stops at the first bad frame and says where. With
 * `keepDamaged`, a whole frame whose checksum fails is kept (marked) and reading goes on: an export
 * must show rotten bytes where they are, for verify to name them, rather than end early.
 */
export function unframe(b: Uint8Array, maxRecord = MAX_RECORD, keepDamaged = false): { records: Framed[]; validEnd: number; error: string | null } {
  let damage: string | null = null;
  const records: Framed[] = [];
  let p = 0;
  while (p < b.length) {
    if (b.length - p < HEADER) return { records, validEnd: p, error: `torn header at byte ${p}` };
    if (b[p] !== MAGIC || (b[p + 1] !== KIND_ENTRY && b[p + 1] !== KIND_SEAL)) return { records, validEnd: p, error: `bad magic at byte ${p}` };
    const len = readU32(b, p + 2);
    if (len > maxRecord) return { records, validEnd: p, error: `absurd length ${len} at byte ${p}` };
    if (p + HEADER + len > b.length) return { records, validEnd: p, error: `torn record at byte ${p}` };
    if (crc32(b, p + HEADER, p + HEADER + len) !== readU32(b, p + 6)) {
      if (!keepDamaged) return { records, validEnd: p, error: `checksum mismatch at byte ${p}` };
      damage ??= `checksum mismatch at byte ${p}`;
      records.push({ kind: b[p + 1]!, payload: b.subarray(p + HEADER, p + HEADER + len), offset: p, end: p + HEADER + len, damaged: true });
      p += HEADER + len;
      continue;
    }
    records.push({ kind: b[p + 1]!, payload: b.subarray(p + HEADER, p + HEADER + len), offset: p, end: p + HEADER + len });
    p += HEADER + len;
  }
  return { records, validEnd: p, error: damage };
}
