// Verifying a whole export (SPEC §2 `journal verify`, §6): the header, the key in force at the
// export's first record (the first key, followed through the header's rotation proofs), then every
// record (verify.ts). An export with no entry is not valid. Without a key from the caller the
// header's first key is used, and the answer says that it still has to be checked against the registry.

import { splitSequence } from '../codec/cbor';
import { verifySign1 } from '../crypto/cose';
import { equalBytes, fromHex, toHex } from '../util/bytes';
import { chainHash, parseEntry, parseSeal } from './entry';
import { parseHeader, type ExportHeader } from './export';
import { newChain, verifyRecords, type VerifyReport } from './verify';
import { verifyMessage, type VerifyCode } from './verify-codes';

export interface ExportReport extends VerifyReport {
  header: { dev: string; firstKey: string; rotations: number; firstSeq: number } | null;
  /** Where the first key came from: the caller (`--pub`), or the export's own header (check it against the registry). */
  keyFrom: 'given' | 'header' | null;
}

const empty = (): VerifyReport => ({ valid: false, firstBad: null, records: 0, entries: 0, seals: 0, dev: null, firstSeq: null, lastSeq: null,
  sealedThrough: null, unsealed: 0, lost: [], unverifiable: 0 });

function refuse(r: VerifyReport, index: number, code: VerifyCode, detail: Record<string, string | number> = {}): VerifyReport {
  return { ...r, valid: false, firstBad: { index, code, detail, reason: verifyMessage(code, detail, 'en') } };
}

/** The header's rotation proofs checked in order, each against the key before it: the keys and where they take over. */
function provenKeys(h: ExportHeader, first: Uint8Array): { seq: number; newPub: Uint8Array }[] | string {
  let pub = first;
  const out: { seq: number; newPub: Uint8Array }[] = [];
  for (let k = 0; k < h.rotations.length; k++) {
    const [eb, sb] = h.rotations[k]!;
    const e = parseEntry(eb), s = parseSeal(sb);
    const np = e.ok && e.value.rec?.type === 'key-rotate' ? fromHex(e.value.rec.body.newPub) : null;
    if (!np || !e.ok || !s.ok || s.value.payload.seq !== e.value.seq || !equalBytes(s.value.payload.head, chainHash(eb)) || !verifySign1(s.value.cose, pub)) {
      return `rotation proof ${k + 1} does not verify against the key before it`;
    }
    out.push({ seq: e.value.seq, newPub: np });
    pub = np;
  }
  return out;
}

export function verifyExport(bytes: Uint8Array, given: Uint8Array | null): ExportReport {
  const split = splitSequence(bytes);
  if (!split.ok) return { ...refuse(empty(), (split.detail?.index as number) ?? 0, 'NOT_CBOR', { index: (split.detail?.index as number) ?? 0, why: split.error }), header: null, keyFrom: null };
  const recs = split.value;
  const h = recs.length ? parseHeader(recs[0]!) : null;
  const out = (r: VerifyReport, keyFrom: ExportReport['keyFrom']): ExportReport => ({
    ...r, keyFrom, header: h && h.ok ? { dev: h.value.dev, firstKey: toHex(h.value.firstKey), rotations: h.value.rotations.length, firstSeq: h.value.firstSeq } : null,
  });
  if (h && !h.ok) return out(refuse(empty(), 0, 'BAD_HEADER', { why: h.error }), null);
  const header = h ? h.value : null;
  const body = header ? recs.slice(1) : recs;
  const first = given ?? header?.firstKey ?? null;
  const keyFrom = given ? 'given' : header ? 'header' : null;
  if (!first) return out(refuse(empty(), 0, 'BAD_HEADER', { why: 'no header names the first key, and none was given' }), null);
  if (given && header && !equalBytes(given, header.firstKey)) return out(refuse(empty(), 0, 'KEY_MISMATCH'), keyFrom);
  const proofs = header ? provenKeys(header, first) : [];
  if (typeof proofs === 'string') return out(refuse(empty(), 0, 'BAD_HEADER', { why: proofs }), keyFrom);
  // The key in force at the first record: the first key, through every rotation proven before it.
  let pub = first;
  const firstBody = body.length ? parseEntry(body[0]!) : null;
  const start = firstBody && firstBody.ok ? firstBody.value.seq : 1;
  while (proofs.length && proofs[0]!.seq < start) pub = proofs.shift()!.newPub;
  const r = verifyRecords(body, pub, { ...newChain(), dev: header?.dev ?? null, pub, proofs }, header ? 1 : 0);
  if (r.valid && r.entries === 0) return out(refuse(r, recs.length ? recs.length - 1 : 0, 'EMPTY'), keyFrom);
  return out(r, keyFrom);
}
