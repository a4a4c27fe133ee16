// After the acquirer answers (SPEC §5, issue 5), through the built bundle: echo checks per field,
// jump codes, amount changes, decline classes, time-outs with reversals across a reboot, and a
// settlement cut by a power loss at each of its steps.
import { describe, expect, it } from 'vitest';
import { splitSequence } from '../../src/core/codec/cbor';
import { describe as tell } from '../../src/core/reasons/catalog';
import { exportJournal } from '../../src/core/journal/export';
import { verifyRecords } from '../../src/core/journal/verify';
import { fromHex } from '../../src/core/util/bytes';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { card, eachEngine, run } from '../helpers/scenario';

const journalOk = (dataDir: string, hal: any) => {
  const s = { value: exportJournal(hal).body };
    const pub = fromHex(readFileSync(join(dataDir, 'device.pub'), 'utf8').trim())!;
  return verifyRecords(s.value, pub);
};

eachEngine('after the acquirer answers', () => {
  describe('echo checks and jump codes', () => {
    it('each echoed field, when wrong, is named; the sale is not approved and is reversed', async () => {
      const cases: [string, Record<string, unknown>, string][] = [
        ['mti', { mti: '0230' }, 'mti'], ['f3', { f3: '200000' }, 'f3'], ['f11', { f11: '999999' }, 'f11'], ['f25', { f25: '06' }, 'f25'],
        ['f41', { f41: '99999999' }, 'f41'], ['f42', { f42: '102581054119999' }, 'f42'], ['f49', { f49: '840' }, 'f49'],
      ];
      const r = await run([...cases.map(([ref, host]) => card(ref, 1000, { host })), card('NEXT')]);
      for (const [ref, , field] of cases) {
        const res = r.byRef(ref, 'result');
        expect(res.outcome, ref).toBe('reversed');
        expect(res.reasons, ref).toContain('RESP_ECHO_MISMATCH');
        expect((res as any).detail.find((d: any) => d.name === 'RESP_ECHO_MISMATCH').params.field, ref).toBe(field);
      }
      expect(r.lines.filter((l) => l.event === 'reversal' && l.done).length).toBe(cases.length);
      expect(r.summary.journal).toMatchObject({ reversalsPending: 0 });
      expect(journalOk(r.dataDir, r.hal).valid).toBe(true);
    }, 60_000);

    it('another MCC inside field 42 is a suspected jump code, with both MCCs and their categories, and an alert', async () => {
      const r = await run([card('J1', 16800, { host: { f42: '102581080626056' } })]);
      const res = r.byRef('J1', 'result');
      expect(res.reasons).toEqual(expect.arrayContaining(['JUMP_CODE_SUSPECTED', 'RESP_ECHO_MISMATCH']));
      const j = (res as any).detail.find((d: any) => d.name === 'JUMP_CODE_SUSPECTED').params;
      expect(j).toMatchObject({ gotMcc: '8062', mcc: '5411' });
      // The terminal records the codes; the words for their categories are the reader's (localize.ts).
      const said = tell({ name: 'JUMP_CODE_SUSPECTED', severity: 'review', params: j }, 'en').message;
      expect(said).toMatch(/8062 \(.*hospital.*\).*5411 \(.*supermarket.*\)/i);
      expect(r.lines.some((l) => l.event === 'alert' && l.kind === 'JUMP_CODE_SUSPECTED')).toBe(true);
    }, 60_000);

    it('a different approved amount is AMOUNT_MISMATCH and never approved', async () => {
      const r = await run([card('AM', 10000, { host: { amountMinor: 1000 } })]);
      expect(r.byRef('AM', 'result')).toMatchObject({ outcome: 'reversed', reasons: ['AMOUNT_MISMATCH'] });
    }, 60_000);
  });

  describe('declines', () => {
    it('field 39 classes: limit, card problem, plain decline', async () => {
      const codes = { L61: '61', L65: '65', C51: '51', C14: '14', C55: '55', D05: '05', D96: '96' };
      const r = await run(Object.entries(codes).map(([ref, f39]) => card(ref, 1000, { host: { f39 } })));
      for (const ref of ['L61', 'L65']) expect(r.byRef(ref, 'result')).toMatchObject({ outcome: 'declined', reasons: ['HOST_LIMIT'] });
      for (const ref of ['C51', 'C14', 'C55']) expect(r.byRef(ref, 'result')).toMatchObject({ outcome: 'declined', reasons: ['CARD_PROBLEM'] });
      for (const ref of ['D05', 'D96']) expect(r.byRef(ref, 'result')).toMatchObject({ outcome: 'declined', reasons: ['HOST_DECLINED'] });
      const c51 = (r.byRef('C51', 'result') as any).detail[0];
      expect(c51.params).toEqual({ f39: '51' });   // codes on the terminal, words in the reader
      expect(tell(c51, 'zh').message).toContain('余额不足');
      expect(r.summary.journal).toMatchObject({ batch: { count: 0 } });   // declines are not counted
    }, 60_000);
  });

  describe('time-outs and reversals', () => {
    it('a time-out queues a reversal that survives a reboot and goes out before the next sale', async () => {
      const r = await run([card('T1', 5000, { host: { timeout: true } }), { power: 'cut' }, card('T2')]);
      expect(r.byRef('T1', 'result')).toMatchObject({ outcome: 'timeout', reasons: ['NETWORK_TIMEOUT'] });
      const order = r.lines.filter((l) => ['boot', 'reversal', 'decision'].includes(l.event)).map((l) => `${l.event}:${l.ref ?? ''}`);
      expect(order).toEqual(['boot:', 'decision:T1', 'boot:', 'reversal:T1', 'decision:T2']);
      expect(r.summary.journal).toMatchObject({ reversalsPending: 0, batch: { count: 1 } });
      expect(journalOk(r.dataDir, r.hal).valid).toBe(true);
    }, 60_000);

    it('a power cut mid-transaction (after the decision, before the answer is written) is reversed after boot', async () => {
      const r = await run([{ power: { cutAtWrite: 2, midWrite: true } }, card('PC'), card('AFTER')]);
      expect(r.lines.some((l) => l.event === 'power' && l.during === 'PC')).toBe(true);
      expect(r.lines.some((l) => l.event === 'reversal' && l.ref === 'PC' && l.done)).toBe(true);
      expect(r.byRef('AFTER', 'result').outcome).toBe('approved');
      expect(journalOk(r.dataDir, r.hal).valid).toBe(true);
    }, 60_000);
  });

  describe('settlement', () => {
    it('balanced totals close the batch and bump the batch number; unbalanced ones upload first', async () => {
      const r = await run([card('A'), card('B', 2000), { settle: {} }, card('C', 3000),
        { settle: { hostTotals: { sale: { count: 1, amount: 2999 } } } }]);
      const s = r.lines.filter((l) => l.event === 'settlement');
      expect(s[0]).toMatchObject({ ok: true, balanced: true, batch: 1, nextBatch: 2, local: { sale: { count: 2, amount: 3000 } } });
      expect(s[1]).toMatchObject({ ok: true, balanced: false, reasons: ['SETTLEMENT_UNBALANCED'], nextBatch: 3 });
    }, 60_000);

    for (let k = 1; k <= 5; k++) {
      it(`a power cut at write ${k} of a settlement resumes after boot and closes the batch once`, async () => {
        const r = await run([card('A'), card('B', 2000), { power: { cutAtWrite: k, midWrite: true } },
          { settle: { hostTotals: { sale: { count: 2, amount: 2999 } } } }, card('AFTER')]);
        expect(r.lines.some((l) => l.event === 'power' && l.state === 'lost'), 'power lost').toBe(true);
        const done = r.lines.filter((l) => l.event === 'settlement' && l.ok);
        expect(done.length, JSON.stringify(r.lines.filter((l) => l.event !== 'decision'))).toBe(1);
        expect(r.summary.journal).toMatchObject({ batch: { no: 2, count: 1 } });
        expect(journalOk(r.dataDir, r.hal).valid).toBe(true);
      }, 60_000);
    }
  });
});
