// Reversals (SPEC §5 After the acquirer answers; domain notes §4): a request whose outcome is unknown
// or whose answer did not echo it is reversed before the next sale. The queue lives in the journal,
// so it survives reboots; 00, 12 or 25 end a reversal, anything else keeps it queued.

import type { Answer, Request } from '../acquirer/types';
import { rec } from '../journal/records';
import { fail, ok, type Result } from '../util/result';
import type { Context } from './context';

export class Reversals {
  constructor(private ctx: Context) {}

  queue(req: Request): void {
    this.ctx.record(rec.reversal({ state: 'queued', request: req }));
  }

  /** The oldest queued reversal as an ISO 8583 0400 message, to send before the next sale. */
  next(): (Request & { reverses: Request }) | null {
    const r = this.ctx.journal.ledger.reversals[0];
    return r ? { ...r, mti: '0400', reverses: r } : null;
  }

  answer(ref: string, a: Answer): Result<{ done: boolean }> {
    const r = this.ctx.journal.ledger.reversals.find((x) => x.ref === ref);
    if (!r) return fail(`no reversal queued for ${ref}`);
    const done = !a.timeout && (a.f39 === '00' || a.f39 === '12' || a.f39 === '25');
    this.ctx.record(rec.reversal({ state: done ? 'done' : 'retry', ref, f39: a.f39 ?? null, timeout: !!a.timeout }));
    return ok({ done });
  }
}
