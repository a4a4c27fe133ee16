// One `journal` message (SPEC §7: a CBOR array of stored records, entries then the seal covering
// them) read into entries and seals without trusting it yet, and the verifier's first-bad reason
// mapped to an alert kind by its code. Verification itself is src/core/journal/verify.ts, shared with the terminal.

import { decode } from '../core/codec/cbor';
import { isSealBytes, parseEntry, parseSeal } from '../core/journal/entry';
import { fail, ok, type Result } from '../core/util/result';
import type { VerifyCode } from '../core/journal/verify';
import type { JournalRecord } from '../core/journal/records';
import type { Severity } from './store';

export interface BatchEntry { seq: number; type: string; t: number; bytes: Uint8Array; rec: JournalRecord | null }
export interface BatchSeal { seq: number; t: number; bytes: Uint8Array }
export interface Batch {
  records: Uint8Array[];   // what is verified: leading seals and any unsealed tail already cut off
  entries: BatchEntry[];
  seals: BatchSeal[];
  unsealedTail: number;    // entries after the last seal, dropped (nothing authenticates them)
}

/** Reads a batch; a malformed one fails with detail.kind 'malformed', one with no seal 'unsealed'. */
export function readBatch(payload: Uint8Array): Result<Batch> {
  const d = decode(payload, 'journal batch');
  if (!d.ok) return fail(d.error, { kind: 'malformed' });
  const arr = d.value;
  if (!Array.isArray(arr) || arr.length === 0 || !arr.every((x) => x instanceof Uint8Array)) {
    return fail('journal batch: expected a non-empty array of byte strings', { kind: 'malformed' });
  }
  let recs = (arr as Uint8Array[]).map((x) => (x.constructor === Uint8Array ? x : new Uint8Array(x)));
  // A seal before any entry covers nothing in this batch (Journal.batchFrom never sends one).
  let lead = 0;
  while (lead < recs.length && isSealBytes(recs[lead]!)) lead++;
  recs = recs.slice(lead);
  let lastSeal = -1;
  for (let i = recs.length - 1; i >= 0; i--) if (isSealBytes(recs[i]!)) { lastSeal = i; break; }
  const entries: BatchEntry[] = [], seals: BatchSeal[] = [];
  let tail = 0;
  for (let i = 0; i < recs.length; i++) {
    const b = recs[i]!;
    if (isSealBytes(b)) {
      const s = parseSeal(b);
      if (!s.ok) return fail(`record ${i + lead}: ${s.error}`, { kind: 'malformed' });
      seals.push({ seq: s.value.payload.seq, t: s.value.payload.t, bytes: b });
    } else {
      const e = parseEntry(b);
      if (!e.ok) return fail(`record ${i + lead}: ${e.error}`, { kind: 'malformed' });
      if (i > lastSeal) { tail++; continue; }
      entries.push({ seq: e.value.seq, type: e.value.type, t: e.value.t, bytes: b, rec: e.value.rec });
    }
  }
  if (!entries.length) {
    return tail ? fail(`journal batch: ${tail} entries and no seal covering them`, { kind: 'unsealed' })
      : fail('journal batch: no entry', { kind: 'malformed' });
  }
  return ok({ records: recs.slice(0, lastSeal + 1), entries, seals, unsealedTail: tail });
}

export type RejectKind = 'bad-signature' | 'wrong-device' | 'tampered' | 'malformed' | 'invalid-batch';

/** Who could have produced a batch that fails with this verifier code? The alert kind says. */
const KIND_OF: Record<VerifyCode, RejectKind> = {
  BAD_SIGNATURE: 'bad-signature', WRONG_DEVICE: 'wrong-device',
  ALTERED: 'tampered', PREV_MISMATCH: 'tampered', BAD_FIRST_PREV: 'tampered',
  MALFORMED_ENTRY: 'malformed', MALFORMED_SEAL: 'malformed', NOT_CBOR: 'malformed', BAD_HEADER: 'malformed', EMPTY: 'malformed',
  SEAL_NOT_ADVANCING: 'invalid-batch', SEAL_OUT_OF_ORDER: 'invalid-batch', SEAL_UNKNOWN_SEQ: 'invalid-batch', SEQ_GAP: 'invalid-batch',
  SEQ_REPEATED: 'invalid-batch', BAD_ROTATION: 'invalid-batch', KEY_MISMATCH: 'bad-signature',
};

export function classify(code: VerifyCode): { kind: RejectKind; severity: Severity } {
  const kind = KIND_OF[code];
  return { kind, severity: kind === 'malformed' || kind === 'invalid-batch' ? 'warn' : 'critical' };
}
