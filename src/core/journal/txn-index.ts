// The originals index (voids, completions and refunds look their original up by ref, SPEC §5
// Message rules) kept in columns of typed arrays instead of one object per transaction: on a 1 MiB
// terminal a batch of 500 objects cost ~110 KB of QuickJS heap (issue 18 measured it); columns and
// a ref -> slot map cost about a third. Callers read a TxnRecord view and change an original only
// through the methods below, so the layout stays private.

import type { Channel, TxnType } from '../acquirer/types';

/** One original as the index keeps it: only what voids, completions and refunds need. */
export interface TxnRecord {
  type: TxnType; channel: Channel; amountMinor: number; status: TxnStatus;
  t: number; dateKey: string; batch: number;
  voided?: boolean; completed?: boolean; refundedMinor: number;
}

export type TxnStatus = 'approved' | 'declined' | 'reversed' | 'timeout';

export const TXN_TYPE_CODES: readonly TxnType[] = ['sale', 'void', 'refund', 'balance', 'preauth', 'preauth-void', 'preauth-complete', 'preauth-complete-void'];
export const TXN_STATUS_CODES: readonly TxnStatus[] = ['approved', 'declined', 'reversed', 'timeout'];

// flags: type (bits 0-3), qr (4), status (5-6), voided (7), completed (8)
const QR = 1 << 4, VOIDED = 1 << 7, COMPLETED = 1 << 8;

/** "2026-03-02" <-> 20260302: a date key as one number. */
const dateNum = (k: string): number => Number(k.slice(0, 4)) * 10000 + Number(k.slice(5, 7)) * 100 + Number(k.slice(8, 10));
const pad = (n: number, w: number) => String(n).padStart(w, '0');
const dateStr = (n: number): string => `${pad(Math.floor(n / 10000), 4)}-${pad(Math.floor(n / 100) % 100, 2)}-${pad(n % 100, 2)}`;

/** A packed original as a checkpoint stores it (checkpoint.ts): [ref, type, qr, amount, status, t, dateKey, batch, flags, refunded]. */
export type PackedTxn = [string, number, number, number, number, number, string, number, number, number];

export class TxnIndex {
  private slots = new Map<string, number>();
  private free: number[] = [];
  private cap = 0;
  private flags = new Uint16Array(0);
  private amount = new Float64Array(0);
  private refunded = new Float64Array(0);
  private time = new Float64Array(0);
  private date = new Uint32Array(0);
  private batchNo = new Uint32Array(0);

  get size(): number { return this.slots.size; }
  has(ref: string): boolean { return this.slots.has(ref); }
  refs(): string[] { return [...this.slots.keys()]; }

  get(ref: string): TxnRecord | undefined {
    const i = this.slots.get(ref);
    if (i === undefined) return undefined;
    const f = this.flags[i]!;
    return {
      type: TXN_TYPE_CODES[f & 15]!, channel: f & QR ? 'qr' : 'card', amountMinor: this.amount[i]!, status: TXN_STATUS_CODES[(f >> 5) & 3]!,
      t: this.time[i]!, dateKey: dateStr(this.date[i]!), batch: this.batchNo[i]!,
      voided: f & VOIDED ? true : undefined, completed: f & COMPLETED ? true : undefined, refundedMinor: this.refunded[i]!,
    };
  }

  set(ref: string, x: TxnRecord): void {
    let i = this.slots.get(ref);
    if (i === undefined) { i = this.free.pop() ?? this.grow(); this.slots.set(ref, i); }
    this.flags[i] = TXN_TYPE_CODES.indexOf(x.type) | (x.channel === 'qr' ? QR : 0) | (TXN_STATUS_CODES.indexOf(x.status) << 5) |
      (x.voided ? VOIDED : 0) | (x.completed ? COMPLETED : 0);
    this.amount[i] = x.amountMinor; this.refunded[i] = x.refundedMinor; this.time[i] = x.t;
    this.date[i] = dateNum(x.dateKey); this.batchNo[i] = x.batch;
  }

  delete(ref: string): void {
    const i = this.slots.get(ref);
    if (i === undefined) return;
    this.slots.delete(ref);
    this.free.push(i);
  }

  markVoided(ref: string): void { this.setFlag(ref, VOIDED); }
  markCompleted(ref: string): void { this.setFlag(ref, COMPLETED); }
  addRefund(ref: string, amountMinor: number): void { const i = this.slots.get(ref); if (i !== undefined) this.refunded[i] += amountMinor; }
  /** Wall time of an original (pruning keeps the newest). */
  timeOf(ref: string): number { const i = this.slots.get(ref); return i === undefined ? 0 : this.time[i]!; }

  pack(): PackedTxn[] {
    const out: PackedTxn[] = [];
    for (const [ref, i] of this.slots) {
      const f = this.flags[i]!;
      out.push([ref, f & 15, f & QR ? 1 : 0, this.amount[i]!, (f >> 5) & 3, this.time[i]!, dateStr(this.date[i]!), this.batchNo[i]!,
        (f & VOIDED ? 1 : 0) | (f & COMPLETED ? 2 : 0), this.refunded[i]!]);
    }
    return out;
  }

  /** The index a checkpoint packed, or null when any row is not one. */
  static unpack(v: unknown): TxnIndex | null {
    if (!Array.isArray(v)) return null;
    const ix = new TxnIndex();
    for (const r of v) {
      if (!Array.isArray(r) || r.length !== 10 || typeof r[0] !== 'string' || TXN_TYPE_CODES[r[1]] === undefined || TXN_STATUS_CODES[r[4]] === undefined ||
        typeof r[6] !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(r[6])) return null;
      ix.set(r[0], { type: TXN_TYPE_CODES[r[1]]!, channel: r[2] ? 'qr' : 'card', amountMinor: r[3], status: TXN_STATUS_CODES[r[4]]!, t: r[5], dateKey: r[6], batch: r[7],
        voided: (r[8] & 1) !== 0, completed: (r[8] & 2) !== 0, refundedMinor: r[9] });
    }
    return ix;
  }

  private setFlag(ref: string, bit: number): void { const i = this.slots.get(ref); if (i !== undefined) this.flags[i] |= bit; }

  /** One more slot: the columns grow by half (amortised), so a batch of n costs O(log n) copies. */
  private grow(): number {
    const i = this.cap;
    if (i >= this.flags.length) {
      const n = Math.max(64, Math.ceil(this.flags.length * 1.5));
      const g = <T extends Uint16Array | Uint32Array | Float64Array>(a: T, C: new (n: number) => T): T => { const b = new C(n); b.set(a); return b; };
      this.flags = g(this.flags, Uint16Array); this.amount = g(this.amount, Float64Array); this.refunded = g(this.refunded, Float64Array);
      this.time = g(this.time, Float64Array); this.date = g(this.date, Uint32Array); this.batchNo = g(this.batchNo, Uint32Array);
    }
    this.cap++;
    return i;
  }
}
