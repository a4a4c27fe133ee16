// Acknowledgements from the fleet backend (SPEC §6, §7): a COSE_Sign1 by the backend key (a trust
// anchor of the image) over {dev, seq, head} (telemetry/wire.ts ACK), the highest seq it verified
// and stored and the start of that entry's chain hash. Only an ack that verifies, names this
// terminal, does not run past what was sealed and names this journal's own entry (a replayed ack
// from an earlier terminal under the same id names another) moves the journal's ack mark, which is
// what lets compaction free flash.

import { decodeMaps } from '../codec/cbor';
import { ACK, ACK_HEAD_BYTES } from '../telemetry/wire';
import { equalBytes, toHex } from '../util/bytes';
import { openSign1 } from '../crypto/cose';
import { trustAnchors } from '../policy/store';
import type { Context } from './context';

export type AckOutcome = { ok: true; seq: number; advanced: boolean } | { ok: false; why: string };

export function readAck(ctx: Context, bytes: Uint8Array): AckOutcome {
  const o = openSign1(bytes, trustAnchors(ctx.hal, 'backend'), 'ack');
  if (!o.ok) return { ok: false, why: o.error };
  const d = decodeMaps(o.value.payload, 'ack payload');
  const m = d.ok && d.value instanceof Map ? d.value : null;
  const a = m ? { dev: m.get(ACK.dev), seq: m.get(ACK.seq), head: m.get(ACK.head) } : null;
  if (!a || a.dev !== ctx.cfg.dev || typeof a.seq !== 'number' || !Number.isSafeInteger(a.seq)) return { ok: false, why: 'ack payload malformed or for another device' };
  const j = ctx.journal;
  // An ack beyond what was sealed is a forgery or a bug; never let it free unsealed entries.
  if (a.seq > j.sealedSeq) return { ok: false, why: `ack for seq ${a.seq} beyond the sealed ${j.sealedSeq}` };
  if (a.seq <= j.ackSeq) return { ok: true, seq: a.seq, advanced: false };
  if (!(a.head instanceof Uint8Array) || a.head.length !== ACK_HEAD_BYTES) return { ok: false, why: 'ack without the head of the entry it acknowledges' };
  const mine = j.sealedHead(a.seq)?.subarray(0, ACK_HEAD_BYTES);
  if (!mine) return { ok: false, why: `ack for seq ${a.seq}: no seal of that entry on this flash to check it against` };
  if (!equalBytes(mine, a.head)) return { ok: false, why: `ack for seq ${a.seq} names another journal (head ${toHex(a.head).slice(0, 16)}…, this one's ${toHex(mine).slice(0, 16)}…)` };
  j.acknowledge(a.seq);
  return { ok: true, seq: a.seq, advanced: true };
}
