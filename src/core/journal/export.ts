// Reading a terminal's journal from its flash for people and auditors (SPEC §6): every intact record
// in journal order, the device it belongs to, and the export: a CBOR sequence (RFC 8742) that opens
// with a header naming the format, the device, its first public key and the proof of every key it
// rotated to, so the export plus the registry's copy of the first key is all a verifier needs.

import { decode, decodeMaps, encode } from '../codec/cbor';
import { PUB_FILE, readPub } from '../crypto/device-key';
import type { Hal } from '../hal/types';
import { concat } from '../util/bytes';
import { fail, ok, type Result } from '../util/result';
import { parseEntry, parseSeal } from './entry';
import { FORMAT_VERSION } from './format';
import { KIND_ENTRY, KIND_SEAL, scanFrames, type Framed } from './frame';
import { segName, segNumbers } from './segments';

/** Header keys (docs/journal.cddl `export-header`); key 0 tells a header from an entry. */
export const HEADER = { magic: 0, format: 1, dev: 2, firstKey: 3, rotations: 4, firstSeq: 5 } as const;
export const HEADER_MAGIC = 'preflight-journal';
/** The proofs of key rotations, kept beside the journal where compaction never reaches. */
export const KEYS_FILE = 'keys';

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

export function readRotationProofs(hal: Hal): RotationProof[] {
  const n = hal.storage.size(KEYS_FILE);
  const b = n > 0 ? hal.storage.read(KEYS_FILE, 0, n) : null;
  const d = b ? decode(b, 'keys') : null;
  return d && d.ok && Array.isArray(d.value) ? (d.value as RotationProof[]).filter((p) => Array.isArray(p) && p[0] instanceof Uint8Array && p[1] instanceof Uint8Array) : [];
}

/** Keeps a rotation's proof (after the old key sealed it) so an export can show it after compaction. */
export function keepRotationProof(hal: Hal, p: RotationProof): void {
  const all = readRotationProofs(hal);
  if (all.some((x) => x[0].length === p[0].length && x[0].every((v, i) => v === p[0][i]))) return;
  hal.storage.replace(KEYS_FILE, encode([...all, p]));
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
    const size = hal.storage.size(name);
    const b = size > 0 ? hal.storage.read(name, 0, size) : new Uint8Array(0);
    if (!b) { problem ??= `segment ${name} unreadable`; continue; }
    const s = scanFrames(b);
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
 * first entry; rotations proven before it go in the header (the ones after it are in the journal).
 */
export function exportJournal(hal: Hal): { bytes: Uint8Array; records: number; body: Uint8Array[]; warning: string | null } {
  const parts: Uint8Array[] = [];
  let firstSeq = 0;
  const warning = readRecords(hal, (r, seq) => {
    // A seal left over from a compacted segment covers nothing we can show: skip it.
    if (!firstSeq && r.kind === KIND_SEAL) return;
    if (r.kind === KIND_ENTRY && !firstSeq) firstSeq = seq;
    parts.push(r.payload);
  });
  const dev = deviceOf(hal) ?? '';
  const firstKey = readPub(hal, PUB_FILE) ?? new Uint8Array(32);
  const rotations = readRotationProofs(hal).filter((p) => { const e = parseEntry(p[0]); return e.ok && e.value.seq < firstSeq; });
  const header = encodeHeader({ dev, firstKey, rotations, firstSeq: firstSeq || 1 });
  return { bytes: concat(header, ...parts), records: parts.length, body: parts, warning };
}
