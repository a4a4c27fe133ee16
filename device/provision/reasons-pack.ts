// The reason catalog's words as a file of the image (`text/reasons.cbor`, covered by the manifest):
// the bundle decides with names and severities only (src/core/reasons/names.ts), and the terminal's
// screen tells the merchant what happened and what to do from this table, off the JS heap. One CBOR
// map in core deterministic encoding (RFC 8949 §4.2.1):
//   { "v": 1, "reasons": { NAME: [zh message, en message, zh remedy, en remedy], ... } }
// Texts hold {placeholders} named after the reason's params (SPEC §3); device/README.md says how
// a screen fills them in.

import { decode, encode } from '../../src/core/codec/cbor';
import { REASON_NAMES, REASON_TEXT, type ReasonName } from '../../src/core/reasons/catalog';
import { fail, ok, type Result } from '../../src/core/util/result';

export const REASONS_PACK = 'text/reasons.cbor';
export const REASONS_PACK_FORMAT = 1;

export type PackedReason = [zh: string, en: string, remedyZh: string, remedyEn: string];

/** The pack for this build's catalog. */
export function packReasons(): Uint8Array {
  const reasons: Record<string, PackedReason> = {};
  for (const n of REASON_NAMES) { const t = REASON_TEXT[n]; reasons[n] = [t.zh, t.en, t.remedyZh, t.remedyEn]; }
  return encode({ v: REASONS_PACK_FORMAT, reasons });
}

/** Reads a pack back, checking its shape: every name of the catalog, four texts each. */
export function readReasonsPack(bytes: Uint8Array): Result<Record<ReasonName, PackedReason>> {
  const d = decode(bytes);
  if (!d.ok) return fail(`${REASONS_PACK}: not CBOR (${d.error})`);
  const m = d.value as { v?: unknown; reasons?: Record<string, unknown> };
  if (!m || typeof m !== 'object' || m.v !== REASONS_PACK_FORMAT || !m.reasons || typeof m.reasons !== 'object') return fail(`${REASONS_PACK}: not a format ${REASONS_PACK_FORMAT} reason pack`);
  for (const n of REASON_NAMES) {
    const t = m.reasons[n];
    if (!Array.isArray(t) || t.length !== 4 || !t.every((x) => typeof x === 'string' && x.length > 0)) return fail(`${REASONS_PACK}: ${n} is missing or not four texts`);
  }
  return ok(m.reasons as Record<ReasonName, PackedReason>);
}
