// Derived state on flash, kept so that no single lost or damaged file resets it (SPEC §6 "Damage
// and lost state"): two checkpoint copies (cp/0, cp/1, written in turn), each the whole ledger with
// the chain head at its seq, and the floors: the values that must never go lower (highest seq and
// its head, first kept seq, command counter, policy version, batch, settled-through, clock
// high-water), written with every checkpoint and at every rare event that raises one. Each file is
// one CRC frame (frame.ts) holding deterministic CBOR; a frame that does not check is no file.

import { decode, encode } from '../codec/cbor';
import { fail, ok, type Result } from '../util/result';
import { frame, KIND_STATE, scanFrames } from './frame';
import { emptyLedger, type Ledger } from './ledger';
import { TxnIndex } from './txn-index';

export const CHECKPOINTS = ['cp/0', 'cp/1'] as const;
export const FLOORS = 'floors';
const MAX_STATE_BYTES = 1 << 20;

/** A segment as a checkpoint knows it: its number, its first seq, and its size once it was closed. */
export type SegInfo = [segment: number, firstSeq: number, bytes: number];

export interface Checkpoint {
  seq: number; head: Uint8Array; sealedSeq: number; oldestUnsealedT: number;
  segs: SegInfo[]; ledger: Ledger;
}

export interface Floors {
  dev: string; seq: number; head: Uint8Array; firstSeq: number;
  cmdCounter: number; policyVersion: number; batchNo: number; settledThroughSeq: number; highWaterMs: number;
}

export const floorsOf = (dev: string, l: Ledger, head: Uint8Array, firstSeq: number): Floors => ({
  dev, seq: l.seq, head, firstSeq, cmdCounter: l.cmdCounter, policyVersion: l.policyVersion, batchNo: l.batch.no,
  settledThroughSeq: l.settledThroughSeq, highWaterMs: l.highWaterMs,
});

/** Raises what a ledger rebuilt from less than the whole journal holds to the floors (never lowers). */
export function applyFloors(l: Ledger, f: Floors): void {
  l.cmdCounter = Math.max(l.cmdCounter, f.cmdCounter);
  l.policyVersion = Math.max(l.policyVersion, f.policyVersion);
  l.settledThroughSeq = Math.max(l.settledThroughSeq, f.settledThroughSeq);
  l.highWaterMs = Math.max(l.highWaterMs, f.highWaterMs);
  if (l.batch.no < f.batchNo && !(f.batchNo - l.batch.no > 500_000)) l.batch = { no: f.batchNo, count: 0, totals: {} };
}

export function encodeCheckpoint(c: Checkpoint): Uint8Array {
  const { txns, ...rest } = c.ledger;
  return frame(KIND_STATE, encode({ v: 2, seq: c.seq, head: c.head, sealedSeq: c.sealedSeq, oldestUnsealedT: c.oldestUnsealedT,
    segs: c.segs, ledger: rest, txns: txns.pack() }));
}

const isU = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const is32 = (x: unknown): x is Uint8Array => x instanceof Uint8Array && x.length === 32;

/** The one frame of a state file, decoded; any damage makes it no file. */
function stateFile(b: Uint8Array | null, what: string): Result<Record<string, unknown>> {
  if (!b) return fail('absent');
  const s = scanFrames(b, MAX_STATE_BYTES);
  if (s.damaged.length || s.records.length !== 1 || s.records[0]!.kind !== KIND_STATE) return fail(s.damaged[0]?.why ?? 'not one state frame');
  const d = decode(s.records[0]!.payload, what);
  if (!d.ok) return d;
  return d.value && typeof d.value === 'object' ? ok(d.value as Record<string, unknown>) : fail(`${what}: not a map`);
}

export function decodeCheckpoint(b: Uint8Array | null): Result<Checkpoint> {
  const f = stateFile(b, 'checkpoint');
  if (!f.ok) return f;
  const c = f.value;
  if (c.v !== 2 || !isU(c.seq) || !is32(c.head) || !isU(c.sealedSeq) || !isU(c.oldestUnsealedT) || !Array.isArray(c.segs)) return fail('checkpoint: not format 2');
  if (!c.segs.every((s) => Array.isArray(s) && s.length === 3 && s.every(isU))) return fail('checkpoint: bad segment list');
  const txns = TxnIndex.unpack(c.txns);
  const l = c.ledger as Partial<Ledger> | null;
  if (!txns || !l || typeof l !== 'object' || l.seq !== c.seq) return fail('checkpoint: ledger does not match');
  // Fields a newer ledger has and this checkpoint lacks start empty; the rest is the checkpoint's.
  const ledger = { ...emptyLedger(), ...l, txns } as Ledger;
  return ok({ seq: c.seq, head: c.head, sealedSeq: c.sealedSeq, oldestUnsealedT: c.oldestUnsealedT, segs: c.segs as SegInfo[], ledger });
}

export function encodeFloors(f: Floors): Uint8Array {
  return frame(KIND_STATE, encode({ v: 2, ...f }));
}

export function decodeFloors(b: Uint8Array | null): Result<Floors> {
  const r = stateFile(b, 'floors');
  if (!r.ok) return r;
  const f = r.value;
  const nums = ['seq', 'firstSeq', 'cmdCounter', 'policyVersion', 'batchNo', 'settledThroughSeq', 'highWaterMs'];
  if (f.v !== 2 || typeof f.dev !== 'string' || !is32(f.head) || !nums.every((k) => isU(f[k]))) return fail('floors: not format 2');
  return ok(f as unknown as Floors);
}
