// The ledger fold (SPEC §5 Settlement, domain notes §4): settlement closes the batch, the batch
// number wraps 999999 -> 1, and replaying the same entries always gives the same ledger.
import { describe, expect, it } from 'vitest';
import { apply, emptyLedger } from '../../src/core/journal/ledger';
import { readRecord, rec } from '../../src/core/journal/records';

describe('ledger', () => {
  it('closing a batch numbers the next one, wrapping 999999 to 1', () => {
    const l = emptyLedger();
    l.batch.no = 999998;
    const close = (seq: number) => {
      apply(l, seq, seq, rec.settle({ step: 'begun', batch: l.batch.no, local: {}, count: 0 }));
      apply(l, seq + 1, seq + 1, rec.settle({ step: 'compared', batch: l.batch.no, host: {}, balanced: true, reasons: [] }));
      apply(l, seq + 2, seq + 2, rec.settle({ step: 'closed', batch: l.batch.no }));
    };
    close(1); expect(l.batch.no).toBe(999999);
    close(4); expect(l.batch.no).toBe(1);
    expect(l.settle).toBeNull();
    expect(l.settledThroughSeq).toBe(6);
  });

  it('replaying the same entries gives the same ledger', () => {
    const entries = [
      { seq: 1, t: 1000, type: 'boot', body: {} },
      { seq: 2, t: 2000, type: 'result', body: { ref: 'A', type: 'sale', channel: 'card', amountMinor: 500, outcome: 'approved', reasons: [], answer: null, dateKey: '2026-03-02', monthKey: '2026-03' } },
      { seq: 3, t: 3000, type: 'result', body: { ref: 'V', type: 'void', channel: 'card', amountMinor: 500, original: 'A', outcome: 'approved', reasons: [], answer: null, dateKey: '2026-03-02', monthKey: '2026-03' } },
      { seq: 4, t: 4000, type: 'command', body: { accepted: true, n: 3, kind: 'lock', why: 'x' } },
    ];
    const a = emptyLedger(), b = emptyLedger();
    for (const e of entries) apply(a, e.seq, e.t, readRecord(e.type, structuredClone(e.body)));
    for (const e of entries) apply(b, e.seq, e.t, readRecord(e.type, structuredClone(e.body)));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.day.card).toEqual({ amount: 0, count: 0 });     // the void gave the sale back
    expect(a.locked).toBe('x');
    expect(a.cmdCounter).toBe(3);
  });

  it('a result without monthKey counts toward the month of its dateKey, as an older entry with one does', () => {
    const sale = (ref: string, dateKey: string, monthKey?: string) =>
      readRecord('result', { ref, type: 'sale', channel: 'card', amountMinor: 700, outcome: 'approved', reasons: [], answer: null, dateKey, ...(monthKey ? { monthKey } : {}) });
    const l = emptyLedger();
    apply(l, 1, 1000, sale('A', '2026-03-31', '2026-03'));
    apply(l, 2, 2000, sale('B', '2026-03-31'));
    expect(l.month).toMatchObject({ key: '2026-03', card: 1400 });
    apply(l, 3, 3000, sale('C', '2026-04-01'));
    expect(l.month).toMatchObject({ key: '2026-04', card: 700 });
    expect(l.day).toMatchObject({ key: '2026-04-01', card: { amount: 700, count: 1 } });
  });
});
