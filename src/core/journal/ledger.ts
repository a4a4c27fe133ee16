// The terminal's derived state as a pure fold over journal entries: used totals per channel,
// day and month, velocity window, batch counts, originals for voids and refunds, pending
// reversals, settlement progress, clock high-water, command counter, lock. Replaying the same
// entries always gives the same ledger, so a reboot restores it from a checkpoint plus the tail.

import { buildRequest } from '../acquirer/answer';
import type { Request, TxnType } from '../acquirer/types';
import type { BatchTotals, Bodies, JournalRecord, Totals } from './records';
import { TxnIndex, type TxnRecord } from './txn-index';

export type { BatchTotals, Totals } from './records';

export type { TxnRecord } from './txn-index';

export interface Ledger {
  seq: number;                 // last entry applied
  highWaterMs: number;         // latest wall time the journal has recorded (SPEC §5 Clock)
  day: { key: string; card: Totals; qr: Totals };
  month: { key: string; card: number; qr: number };
  recent: number[];            // wall ms of recent approvals (velocity window)
  batch: { no: number; count: number; totals: BatchTotals };
  settledThroughSeq: number;   // entries up to here belong to closed batches
  settle: null | { step: 'begun' | 'compared' | 'uploaded'; batch: number; local: BatchTotals; balanced?: boolean };
  txns: TxnIndex;             // originals for voids, completions and refunds (txn-index.ts)
  inflight: Request | null;    // a request sent without a recorded answer
  reversals: Request[];        // queued reversals, oldest first
  cmdCounter: number;          // highest accepted command counter (SPEC §6)
  locked: string | null;
  hoursExtensionUntilMs: number;
  policyVersion: number;
  signerFailed: boolean;
  keyRotation: { seq: number; newPub: string } | null; // journaled, not yet switched to
  merchant: { mid: string; tid: string } | null;        // fields 42 and 41 of the requests (boot, policy)
  damaged: [number, number][];                         // seq ranges a flash-damage entry already reported lost
}

export function emptyLedger(): Ledger {
  return {
    seq: 0, highWaterMs: 0,
    day: { key: '', card: { amount: 0, count: 0 }, qr: { amount: 0, count: 0 } },
    month: { key: '', card: 0, qr: 0 }, recent: [],
    batch: { no: 1, count: 0, totals: {} }, settledThroughSeq: 0, settle: null,
    txns: new TxnIndex(), inflight: null, reversals: [], cmdCounter: 0, locked: null, hoursExtensionUntilMs: 0,
    policyVersion: 0, signerFailed: false, keyRotation: null, merchant: null, damaged: [],
  };
}

/** Limits count approved sales and completions (SPEC §5 Limits). */
export const COUNTED: TxnType[] = ['sale', 'preauth-complete'];
// Originals kept for voids, completions and refunds. Each costs ~100 B of heap (txn-index.ts),
// so the index holds a full batch (500 by default) plus headroom, and settlement drops what can no
// longer be voided or completed (see applySettle). Refunds of older sales go to the acquirer's
// back office instead (ORIGINAL_NOT_FOUND says so).
const MAX_TXNS = 600;
const MAX_RECENT = 1000;   // >= the largest velocity count a policy may set

function addTotals(tt: BatchTotals, type: string, amount: number): void {
  const x = tt[type] ?? (tt[type] = { amount: 0, count: 0 });
  x.amount += amount; x.count += 1;
}

function rollKeys(l: Ledger, dateKey: string, monthKey: string): void {
  if (l.day.key !== dateKey) l.day = { key: dateKey, card: { amount: 0, count: 0 }, qr: { amount: 0, count: 0 } };
  if (l.month.key !== monthKey) l.month = { key: monthKey, card: 0, qr: 0 };
}

/** Applies one journal entry. A record this firmware cannot read (null) only moves seq and the high-water mark. */
export function apply(l: Ledger, seq: number, t: number, r: JournalRecord | null): void {
  l.seq = seq;
  if (t > l.highWaterMs) l.highWaterMs = t;
  // (a 'clock' sync below may lower it again)
  if (!r) return;
  switch (r.type) {
    case 'policy': l.policyVersion = Math.max(l.policyVersion, r.body.version); l.merchant = { mid: r.body.mid, tid: r.body.tid }; break;
    case 'boot':
      if (r.body.mid && r.body.tid) l.merchant = { mid: r.body.mid, tid: r.body.tid };
      // The provisioned policy counts towards the version floor too (SPEC §4).
      l.policyVersion = Math.max(l.policyVersion, r.body.policyVersion);
      break;
    case 'decision':
      // The request that went out follows from the decision (records.ts): fields 11 and 60 are this seq and batch.
      if (r.body.sent && l.merchant) l.inflight = buildRequest(r.body.txn, l.merchant.mid, l.merchant.tid, seq, l.batch.no);
      break;
    case 'result': applyResult(l, t, r.body); break;
    case 'reversal': {
      const b = r.body;
      if (b.state === 'queued') { if (!l.reversals.some((x) => x.ref === b.request.ref)) l.reversals.push(b.request); }
      else if (b.state === 'done') l.reversals = l.reversals.filter((x) => x.ref !== b.ref);
      if (l.inflight && l.inflight.ref === (b.state === 'queued' ? b.request.ref : b.ref)) l.inflight = null;
      break;
    }
    case 'settle': applySettle(l, seq, r.body); break;
    case 'clock':
      // A trusted sync is authoritative: times stamped while the clock ran ahead (journaled as
      // CLOCK_UNTRUSTED) must not hold the terminal in CLOCK_ROLLBACK until real time catches up.
      // The sync entry records the mark it replaced.
      l.highWaterMs = t;
      break;
    case 'signer': l.signerFailed = r.body.state === 'failed'; break;
    case 'key-rotate': l.keyRotation = { seq, newPub: r.body.newPub }; break;
    case 'key-rotated': l.keyRotation = null; break;
    case 'command': {
      const b = r.body;
      if (!b.accepted) break;
      l.cmdCounter = Math.max(l.cmdCounter, b.n);
      if (b.kind === 'lock') l.locked = b.why || 'locked by operator';
      else if (b.kind === 'unlock') l.locked = null;
      else if (b.kind === 'hours-extend') l.hoursExtensionUntilMs = b.untilMs;
      break;
    }
    case 'flash-damage': for (const x of r.body.lost) l.damaged.push(x); if (l.damaged.length > 64) l.damaged.splice(0, l.damaged.length - 64); break;
    case 'decision-invalid': case 'policy-rejected': case 'noise': break;
  }
}

function applyResult(l: Ledger, t: number, b: Bodies['result']): void {
  if (l.inflight && l.inflight.ref === b.ref) l.inflight = null;
  const type = b.type;
  const rec: TxnRecord = {
    type, channel: b.channel, amountMinor: b.amountMinor, status: b.outcome, t, dateKey: b.dateKey, batch: l.batch.no, refundedMinor: 0,
  };
  if (b.outcome !== 'approved') { if (b.outcome !== 'declined') l.txns.set(b.ref, rec); return; }
  l.txns.set(b.ref, rec);
  if (type !== 'balance') { l.batch.count += 1; addTotals(l.batch.totals, type, b.amountMinor); }
  rollKeys(l, b.dateKey, b.monthKey ?? b.dateKey.slice(0, 7));
  const ch = b.channel;
  if (COUNTED.indexOf(type) >= 0) {
    l.day[ch].amount += b.amountMinor; l.day[ch].count += 1; l.month[ch] += b.amountMinor;
  }
  if (type !== 'balance' && type !== 'refund') {
    l.recent.push(t);
    // Velocity windows are at most a day (policy validation): older approvals can go.
    let drop = Math.max(0, l.recent.length - MAX_RECENT);
    while (drop < l.recent.length && l.recent[drop]! < t - 86_400_000) drop++;
    if (drop) l.recent.splice(0, drop);
  }
  const o = b.original ? l.txns.get(b.original) : undefined;
  if (o && b.original) {
    const ix = l.txns, ref = b.original;
    if (type === 'void' || type === 'preauth-complete-void') {
      ix.markVoided(ref);
      // An approved void gives its original back (SPEC §5 Limits), within the same day / month.
      if (COUNTED.indexOf(o.type) >= 0) {
        if (o.dateKey === l.day.key) { l.day[o.channel].amount -= o.amountMinor; l.day[o.channel].count -= 1; }
        if (o.dateKey.slice(0, 7) === l.month.key) l.month[o.channel] -= o.amountMinor;
      }
    } else if (type === 'preauth-void') ix.markVoided(ref);
    else if (type === 'preauth-complete') ix.markCompleted(ref);
    else if (type === 'refund') ix.addRefund(ref, b.amountMinor);
  }
  prune(l);
}

function applySettle(l: Ledger, seq: number, b: Bodies['settle']): void {
  if (b.step === 'begun') l.settle = { step: 'begun', batch: b.batch, local: b.local };
  else if (b.step === 'compared' && l.settle) { l.settle.step = 'compared'; l.settle.balanced = b.balanced; }
  else if (b.step === 'uploaded' && l.settle) l.settle.step = 'uploaded';
  else if (b.step === 'closed') {
    l.settle = null;
    l.settledThroughSeq = seq;
    // A closed batch's voids are over; keep sales and completions (refundable) and open preauths.
    for (const ref of l.txns.refs()) {
      const x = l.txns.get(ref)!;
      const keep = x.status === 'approved' && !x.voided &&
        (x.type === 'sale' || x.type === 'preauth-complete' || (x.type === 'preauth' && !x.completed));
      if (!keep) l.txns.delete(ref);
    }
    // Batch numbers wrap 999999 -> 1 (domain notes §4, settlement step 5).
    l.batch = { no: l.batch.no >= 999999 ? 1 : l.batch.no + 1, count: 0, totals: {} };
  }
}

/** Drops the oldest originals once the index runs 10% over its cap (amortised: not every sale). */
function prune(l: Ledger): void {
  if (l.txns.size <= MAX_TXNS * 1.1) return;
  const refs = l.txns.refs();
  refs.sort((a, b) => l.txns.timeOf(a) - l.txns.timeOf(b));
  for (const r of refs.slice(0, refs.length - MAX_TXNS)) l.txns.delete(r);
}
