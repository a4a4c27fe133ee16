// Settlement (SPEC §5 Settlement; domain notes §4): begin -> compare with the acquirer's totals ->
// (upload the batch if unbalanced) -> close. Every step is a journal entry, so a settlement cut
// short by a power loss resumes where it stopped. Closing seals, checkpoints and compacts.

import type { BatchTotals } from '../journal/ledger';
import { rec } from '../journal/records';
import { reason, type Reason } from '../reasons/names';
import { fail, ok, type Result } from '../util/result';
import type { Context } from './context';
import type { Sealing } from './sealing';

export class Settlement {
  constructor(private ctx: Context, private sealing: Sealing) {}

  begin(): Result<{ batch: number; local: BatchTotals }> {
    const l = this.ctx.journal.ledger;
    if (l.settle) return ok({ batch: l.settle.batch, local: l.settle.local });
    this.ctx.record(rec.settle({ step: 'begun', batch: l.batch.no, local: l.batch.totals, count: l.batch.count }));
    return ok({ batch: l.batch.no, local: l.batch.totals });
  }

  compare(host: BatchTotals): Result<{ balanced: boolean; reasons: Reason[] }> {
    const s = this.ctx.journal.ledger.settle;
    if (!s) return fail('no settlement in progress');
    const balanced = totalsEqual(s.local, host);
    const reasons = balanced ? [] : [reason('SETTLEMENT_UNBALANCED', { local: fmtTotals(s.local), host: fmtTotals(host) })];
    const seq = this.ctx.record(rec.settle({ step: 'compared', batch: s.batch, host, balanced, reasons }));
    if (!balanced) this.ctx.alert('SETTLEMENT_UNBALANCED', { batch: s.batch, local: fmtTotals(s.local), host: fmtTotals(host) }, seq);
    return ok({ balanced, reasons });
  }

  uploaded(): Result<null> {
    const s = this.ctx.journal.ledger.settle;
    if (!s || s.step !== 'compared') return fail('settlement is not waiting for a batch upload');
    this.ctx.record(rec.settle({ step: 'uploaded', batch: s.batch }));
    return ok(null);
  }

  close(): Result<{ nextBatch: number }> {
    const j = this.ctx.journal;
    const s = j.ledger.settle;
    if (!s || (s.step === 'begun') || (s.step === 'compared' && !s.balanced)) return fail(`settlement cannot close at step ${s ? s.step : 'none'}`);
    this.ctx.record(rec.settle({ step: 'closed', batch: s.batch }));
    this.sealing.sealNow(); // SPEC §6: seal at settlement
    j.writeCheckpoint();
    j.compact();
    return ok({ nextBatch: j.ledger.batch.no });
  }
}

function totalsEqual(a: BatchTotals, b: BatchTotals): boolean {
  const keys = Object.keys(a).concat(Object.keys(b));
  for (const k of keys) {
    const x = a[k] ?? { amount: 0, count: 0 }, y = b[k] ?? { amount: 0, count: 0 };
    if (x.amount !== y.amount || x.count !== y.count) return false;
  }
  return true;
}

function fmtTotals(t: BatchTotals): string {
  const parts = Object.keys(t).sort().map((k) => `${k} ${t[k]!.count}/${(t[k]!.amount / 100).toFixed(2)}`);
  return parts.length ? parts.join(', ') : 'empty';
}
