// Reading a terminal's journal from its flash for people and auditors (SPEC §6): every intact record
// in journal order, the device it belongs to, and the export: a CBOR sequence (RFC 8742) that opens
// with a header naming the format, the device, its first public key and the proof of every key it
// rotated to, so the export plus the registry's copy of the first key is all a verifier needs.

import { decode, decodeMaps, encode } from '../codec/cbor';
import { PUB_FILE, readPub } from '../crypto/device-key';
import { readWhole } from '../hal/read';
import type { Hal } from '../hal/types';
import { concat, equalBytes } from '../util/bytes';
import { fail, ok, type Result } from '../util/result';
import { parseEntry, parseSeal } from './entry';
import { FORMAT_VERSION } from './format';
import { frame, KIND_ENTRY, KIND_SEAL, KIND_STATE, scanFrames, type Framed } from './frame';
import { segName, segNumbers } from './segments';

/** Header keys (docs/journal.cddl `export-header`); key 0 tells a header from an entry. */
export const HEADER = { magic: 0, format: 1, dev: 2, firstKey: 3, rotations: 4, firstSeq: 5 } as const;
export const HEADER_MAGIC = 'preflight-journal';
/** The proofs of key rotations, kept beside the journal where compaction never reaches: two CRC-framed copies. */
export const KEYS_FILES = ['keys/0', 'keys/1'] as const;

/** A key rotation as proven by the journal: the key-rotate entry and the old key's seal over it. */
export type RotationProof = [entry: Uint8Array, seal: Uint8Array];

export interface ExportHeader { dev: string; firstKey: Uint8Array; rotations: RotationProof[]; firstSeq: number }

export function encodeHeader(h: ExportHeader): Uint8Array {
  return encode(new Map<number, unknown>([[HEADER.magic, HEADER_MAGIC], [HEADER.format, FORMAT_VERSION], [HEADER.dev, h.dev],
    [HEADER.firstKey, h.firstKey], [HEADER.rotations, h.rotations], [HEADER.firstSeq, h.firstSeq]]));
}

/** The header if `b` is one; null if `b` is some other record; a failure if it is a broken header. */
export function parseHeader(b: Uint8Array): Result<ExportHeader> | null {
  const d = decodeMaps(b, 'export header');
  if (!d.ok || !(d.value instanceof Map) || !d.value.has(HEADER.magic)) return null;
  const m = d.value;
  if (m.get(HEADER.magic) !== HEADER_MAGIC) return fail('not a preflight journal export');
  if (m.get(HEADER.format) !== FORMAT_VERSION) return fail(`format ${String(m.get(HEADER.format))}, this verifier reads ${FORMAT_VERSION}`);
  const dev = m.get(HEADER.dev), key = m.get(HEADER.firstKey), rot = m.get(HEADER.rotations), first = m.get(HEADER.firstSeq);
  if (typeof dev !== 'string' || !(key instanceof Uint8Array) || key.length !== 32) return fail('the device or its first key is missing');
  if (!Array.isArray(rot) || !rot.every((p) => Array.isArray(p) && p.length === 2 && p[0] instanceof Uint8Array && p[1] instanceof Uint8Array)) return fail('rotations must be [entry, seal] pairs');
  if (typeof first !== 'number' || !Number.isSafeInteger(first) || first < 1) return fail('firstSeq must be a positive integer');
  return ok({ dev, firstKey: key, rotations: rot as RotationProof[], firstSeq: first });
}

/** The proofs in one copy, or null when the copy is absent or damaged. */
function readProofCopy(hal: Hal, name: string): RotationProof[] | null {
  const b = readWhole(hal, name);
  const s = b ? scanFrames(b) : null;
  if (!s || s.damaged.length || s.records.length !== 1 || s.records[0]!.kind !== KIND_STATE) return null;
  const d = decode(s.records[0]!.payload, 'keys');
  if (!d.ok || !Array.isArray(d.value)) return null;
  const all = d.value as unknown[];
  return all.every((p) => Array.isArray(p) && p[0] instanceof Uint8Array && p[1] instanceof Uint8Array) ? all as RotationProof[] : null;
}

/** Every rotation proof either copy holds (a copy may be older, or damaged). */
export function readRotationProofs(hal: Hal): RotationProof[] {
  const out: RotationProof[] = [];
  for (const name of KEYS_FILES) for (const p of readProofCopy(hal, name) ?? []) if (!out.some((x) => equalBytes(x[0], p[0]))) out.push(p);
  return out;
}

const seqOf = (b: Uint8Array) => { const e = parseEntry(b); return e.ok ? e.value.seq : 0; };

/** Keeps a rotation's proof (after the old key sealed it) so an export can show it after compaction. */
export function keepRotationProof(hal: Hal, p: RotationProof): void {
  const all = readRotationProofs(hal);
  if (all.some((x) => equalBytes(x[0], p[0]))) return;
  const b = frame(KIND_STATE, encode([...all, p]));
  for (const name of KEYS_FILES) hal.storage.replace(name, b);
}

/**
 * Every intact record of every segment in order, with the seq of its entry (for a seal, the entry
 * before it). Damaged stretches are skipped and named in the answer.
 */
export function readRecords(hal: Hal, cb: (r: Framed, seq: number, segment: string) => void): string | null {
  let lastSeq = 0;
  let problem: string | null = null;
  for (const n of segNumbers(hal)) {
    const name = segName(n);
    const s = scanFrames(readWhole(hal, name) ?? new Uint8Array(0));
    for (const r of s.records) {
      if (r.kind === KIND_ENTRY) {
        const e = parseEntry(r.payload);
        if (e.ok) lastSeq = e.value.seq;
      }
      cb(r, lastSeq, name);
    }
    if (s.damaged.length) problem ??= `segment ${name}: ${s.damaged[0]!.why}`;
  }
  return problem;
}

/** The device a journal belongs to: named by its boot entries and signed into its seals. */
export function deviceOf(hal: Hal): string | null {
  let dev: string | null = null;
  readRecords(hal, (r) => {
    if (dev !== null) return;
    if (r.kind === KIND_ENTRY) { const e = parseEntry(r.payload); if (e.ok && e.value.rec?.type === 'boot') dev = e.value.rec.body.dev; }
    else { const s = parseSeal(r.payload); if (s.ok) dev = s.value.payload.dev; }
  });
  return dev;
}

/**
 * The export (SPEC §6): the header, then every intact record in journal order. A record lost to
 * flash damage is not in it; the flash-damage entry that reports it is. `firstSeq` is the export's
 * first entry; the header carries the proof of every rotation, so compaction or damage never hides one.
 */
export function exportJournal(hal: Hal): { bytes: Uint8Array; records: number; body: Uint8Array[]; warning: string | null } {
  const parts: Uint8Array[] = [];
  let firstSeq = 0;
  const warning = readRecords(hal, (r, seq) => {
    // A seal left over from a compacted segment covers nothing we can show: skip it. So does one
    // whose entry was lost to damage (its head names bytes no longer there): the upload drops it
    // too (Journal.batchFrom), so the fleet's copy and this export stay byte-identical.
    if (r.kind === KIND_SEAL) { const sl = parseSeal(r.payload); if (!firstSeq || !sl.ok || sl.value.payload.seq !== seq) return; }
    if (r.kind === KIND_ENTRY && !firstSeq) firstSeq = seq;
    parts.push(r.payload);
  });
  const dev = deviceOf(hal) ?? '';
  const firstKey = readPub(hal, PUB_FILE) ?? new Uint8Array(32);
  // Every proven rotation, in order: also those whose entry is in the body, or was lost to damage.
  const rotations = readRotationProofs(hal).sort((a, b) => seqOf(a[0]) - seqOf(b[0]));
  const header = encodeHeader({ dev, firstKey, rotations, firstSeq: firstSeq || 1 });
  return { bytes: concat(header, ...parts), records: parts.length, body: parts, warning };
}
