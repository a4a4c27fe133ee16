// Acknowledgements from the fleet backend (SPEC §6, §7): a COSE_Sign1 by the backend key (a trust
// anchor of the image) over {dev, seq}, the highest seq it verified and stored. Only an ack that
// verifies, names this terminal and does not run past what was sealed moves the journal's ack
// mark, which is what lets compaction free flash.

import { decode } from '../codec/cbor';
import { openSign1 } from '../crypto/cose';
import { trustAnchors } from '../policy/store';
import type { Context } from './context';

export type AckOutcome = { ok: true; seq: number; advanced: boolean } | { ok: false; why: string };

export function readAck(ctx: Context, bytes: Uint8Array): AckOutcome {
  const o = openSign1(bytes, trustAnchors(ctx.hal, 'backend'), 'ack');
  if (!o.ok) return { ok: false, why: o.error };
  const d = decode(o.value.payload, 'ack payload');
  const a = d.ok ? (d.value as { dev?: unknown; seq?: unknown }) : null;
  if (!a || a.dev !== ctx.cfg.dev || typeof a.seq !== 'number' || !Number.isSafeInteger(a.seq)) return { ok: false, why: 'ack payload malformed or for another device' };
  const j = ctx.journal;
  // An ack beyond what was sealed is a forgery or a bug; never let it free unsealed entries.
  if (a.seq > j.sealedSeq) return { ok: false, why: `ack for seq ${a.seq} beyond the sealed ${j.sealedSeq}` };
  if (a.seq <= j.ackSeq) return { ok: true, seq: a.seq, advanced: false };
  j.acknowledge(a.seq);
  return { ok: true, seq: a.seq, advanced: true };
}
