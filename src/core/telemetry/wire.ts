// The compact forms of the messages that go most often besides the journal (SPEC §7, issue 18: a
// small data plan). A `decision` preview goes out with every sale, a `health` heartbeat every few
// minutes, an `ack` comes down for every upload; as text-keyed maps the first two cost 47 and 155
// bytes, most of it key names. Here:
//   decision  [seq, ref, verdict, [reason, ...], t]   verdict and reasons as codes of the published
//             tables (VERDICTS below, REASON_NAMES in reasons/names.ts, append-only); a reader keeps a
//             reason code newer than its table as REASON_<code>
//   health    a map with integer keys from HEALTH_KEYS (key i + 1); a name the table lacks goes as
//             text, and a reader keeps a key newer than its table under its number
//   ack       (down, COSE_Sign1 payload) {1: dev, 2: seq, 3: the first ACK_HEAD_BYTES of entry seq's chain
//             hash}: the head ties the ack to this journal, so a replayed ack of another terminal
//             under the same id frees nothing; 8 bytes do it, since only the backend can sign one
// The fleet reads previews and heartbeats back into named objects; they stay unverified either way.

import { REASON_NAMES, type ReasonName } from '../reasons/names';

export const VERDICTS = ['allow', 'review', 'deny'] as const;

/** Heartbeat fields in key order: key i + 1 is HEALTH_KEYS[i]. Append-only. */
export const HEALTH_KEYS = ['heapFree', 'storageFree', 'batch', 'battery', 'uptimeS', 'fw', 'version', 'policyVersion',
  'unsealed', 'seq', 'ackSeq', 'unacked'] as const;

export interface Preview { seq: number; ref: string | null; verdict: string; reasons: string[]; t: number }

const code = (table: readonly string[], name: string): number | string => { const i = table.indexOf(name); return i < 0 ? name : i; };
const name = (table: readonly string[], c: unknown): string | null =>
  typeof c === 'number' ? table[c] ?? null : typeof c === 'string' ? c : null;
const isSeq = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

export function previewBody(seq: number, ref: string, verdict: string, reasons: readonly { name: ReasonName }[], t: number): unknown[] {
  return [seq, ref, code(VERDICTS, verdict), reasons.map((r) => code(REASON_NAMES, r.name)), t];
}

/** A decoded `decision` payload as a preview; null when it does not have the shape. */
export function readPreview(v: unknown): Preview | null {
  if (!Array.isArray(v) || v.length !== 5 || !isSeq(v[0]) || !isSeq(v[4]) || !Array.isArray(v[3])) return null;
  const verdict = typeof v[2] === 'number' ? VERDICTS[v[2]] ?? null : null;
  // A code this table lacks is a newer firmware's reason: kept as REASON_<code>, not a reason to drop the preview.
  const reasons = (v[3] as unknown[]).map((x) => name(REASON_NAMES, x) ?? (isSeq(x) ? `REASON_${x}` : null));
  if (verdict === null || reasons.some((r) => r === null)) return null;
  return { seq: v[0], ref: typeof v[1] === 'string' ? v[1] : null, verdict, reasons: reasons as string[], t: v[4] };
}

export function healthBody(h: Record<string, unknown>): Map<number | string, unknown> {
  const m = new Map<number | string, unknown>();
  for (const k of Object.keys(h)) {
    const i = (HEALTH_KEYS as readonly string[]).indexOf(k);
    if (h[k] !== undefined) m.set(i < 0 ? k : i + 1, h[k]);
  }
  return m;
}

/** A decoded `health` payload with its field names back; null when it is not a map. */
export function readHealth(v: unknown): Record<string, unknown> | null {
  if (!(v instanceof Map)) return null;
  const o: Record<string, unknown> = {};
  for (const [k, x] of v) {
    // A key this table lacks is a newer firmware's figure: kept under its number, not a reason to drop the heartbeat.
    const n = typeof k === 'string' ? k : isSeq(k) ? HEALTH_KEYS[k - 1] ?? String(k) : null;
    if (n === null) return null;
    o[n] = x instanceof Map ? Object.fromEntries(x) : x;
  }
  return o;
}

/** Keys of an ack's payload map, and how much of the acknowledged entry's chain hash it names. */
export const ACK = { dev: 1, seq: 2, head: 3 } as const;
export const ACK_HEAD_BYTES = 8;

export function ackBody(dev: string, seq: number, head: Uint8Array): Map<number, unknown> {
  return new Map<number, unknown>([[ACK.dev, dev], [ACK.seq, seq], [ACK.head, head.subarray(0, ACK_HEAD_BYTES)]]);
}
