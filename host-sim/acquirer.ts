// A simulated acquirer host speaking the fields that matter (MTI, 3, 4, 11, 25, 37, 38, 39, 41, 42,
// 49, 60, 61): it echoes the request unless a scenario overrides a field, keeps its own record of
// what it approved and reversed, and answers settlement with its own totals.

import type { Answer, Request } from '../src/core/acquirer/types';
import { responseMti } from '../src/core/acquirer/answer';

type Totals = Record<string, { count: number; amount: number }>;

export class AcquirerSim {
  private approved = new Map<string, { type: string; amount: number }>();
  private rrn = 100000;

  answer(req: Request, host: Record<string, any> | null): Answer {
    if (host?.timeout) {
      // The host may have approved before the link dropped: that is what the reversal is for.
      this.approved.set(req.ref, { type: req.type, amount: +req.f4 });
      return { timeout: true };
    }
    const f4 = host?.amountMinor !== undefined ? String(host.amountMinor).padStart(12, '0') : (host?.f4 ?? req.f4);
    const a: Answer = {
      mti: host?.mti ?? responseMti(req.mti), f3: host?.f3 ?? req.f3, f4, f11: host?.f11 ?? req.f11, f25: host?.f25 ?? req.f25,
      f37: String(++this.rrn).padStart(12, '0'), f38: 'A' + String(this.rrn % 100000).padStart(5, '0'),
      f39: host?.f39 ?? '00', f41: host?.f41 ?? req.f41, f42: host?.f42 ?? req.f42, f49: host?.f49 ?? req.f49,
    };
    if (a.f39 === '00') this.approved.set(req.ref, { type: req.type, amount: +a.f4! });
    return a;
  }

  reversal(req: Request): Answer {
    const had = this.approved.delete(req.ref);
    return { mti: '0410', f3: req.f3, f4: req.f4, f11: req.f11, f25: req.f25, f39: had ? '00' : '25', f41: req.f41, f42: req.f42, f49: req.f49 };
  }

  /** Batch totals per transaction type as the host sees them; cleared when the batch closes. */
  totals(): Totals {
    const t: Totals = {};
    for (const { type, amount } of this.approved.values()) {
      if (type === 'balance') continue;
      const x = (t[type] ??= { count: 0, amount: 0 });
      x.count++; x.amount += amount;
    }
    return t;
  }

  closeBatch(): void { this.approved.clear(); }
}
