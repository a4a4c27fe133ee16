// The journal (SPEC §6): chain, seals, export and verify; recovery from the tail only; a power cut
// at every write boundary and in the middle of every write loses no committed entry.
import { describe, expect, it } from 'vitest';
import { SEGMENT_BYTES } from '../../src/core/journal/journal';
import { exportJournal } from '../../src/core/journal/export';
import { splitSequence } from '../../src/core/codec/cbor';
import { verifyRecords } from '../../src/core/journal/verify';
import { parseEntry } from '../../src/core/journal/entry';
import { toHex } from '../../src/core/util/bytes';
import { cleanup, rig, reboot, sell } from '../helpers/device';

const exported = (r: ReturnType<typeof rig>) => {
  const s = { value: exportJournal(r.hal).body };
    return s.value;
};

describe('journal chain and seals', () => {
  it('every decision and result is an entry; a seal covers them; the export verifies', () => {
    const r = rig();
    for (let i = 0; i < 5; i++) expect(sell(r, `S${i}`)).toBe('approved');
    expect(r.agent.sealing.sealNow()).toBe(true);
    const recs = exported(r);
    const v = verifyRecords(recs, r.agent.sealing.key.pub);
    expect(v).toMatchObject({ valid: true, entries: 11, seals: 1, firstSeq: 1, lastSeq: 11, sealedThrough: 11, unsealed: 0 });
    const types = recs.map((b) => parseEntry(b)).filter((e) => e.ok).map((e) => (e as any).value.type);
    expect(types.slice(0, 3)).toEqual(['boot', 'decision', 'result']);
    cleanup(r.dir);
  });

  it('a decision entry holds the inputs that decided it', () => {
    const r = rig();
    sell(r, 'X1', 4200);
    const e = exported(r).map(parseEntry).find((x) => x.ok && x.value.type === 'decision');
    const body = (e as any).value.body;
    expect(body.txn.amountMinor).toBe(4200);
    expect(body.verdict).toBe('allow');
    expect(body.inputs).toMatchObject({ geo: 'inside', policyVersion: 1, localDate: '2026-03-02', used: { dayAmount: 0, dayCount: 0 } });
    expect(body.inputs.fix.lat).toBeCloseTo(31.2304);
    cleanup(r.dir);
  });

  it('used totals survive a reboot (they come from the journal)', () => {
    let r = rig();
    for (let i = 0; i < 3; i++) sell(r, `S${i}`, 2_000_000);
    r = reboot(r, 'restart');
    expect(r.agent.journal.ledger.day.card).toEqual({ amount: 6_000_000, count: 3 });
    expect(r.agent.journal.ledger.batch.count).toBe(3);
    cleanup(r.dir);
  });

  const roomy = (p: any) => { p.resources.batchMaxTxns = 10_000; p.limits.card.dailyCount = 10_000; p.limits.velocity = { count: 1000, windowS: 60 }; };
  it('recovery reads only the checkpoint and the tail, not the whole journal', () => {
    let r = rig({ edit: roomy });
    // idle() between customers is where a terminal seals and writes its checkpoint.
    for (let i = 0; i < 1200; i++) { sell(r, `S${i}`, 10); r.hal.advance(5000); r.agent.idle(); }
    const segments = r.hal.storage.list('j/').length;
    expect(segments).toBeGreaterThan(6);
    r = reboot(r, 'restart');
    const rep = r.agent.recovery!;
    const vv = verifyRecords(exported(r), r.agent.sealing.key.pub);
    expect(vv.firstBad).toBeNull();
    expect(rep.fromCheckpoint).toBe(true);
    expect(rep.bytesRead).toBeLessThan(SEGMENT_BYTES * 2 + 200_000);
    expect(r.agent.journal.ledger.batch.count).toBe(1200);
    expect(verifyRecords(exported(r), r.agent.sealing.key.pub).valid).toBe(true);
    cleanup(r.dir);
  });

  it('a torn tail is cut off at boot and the chain continues', () => {
    let r = rig();
    sell(r, 'A'); r.agent.sealing.sealNow();
    const seg = r.hal.storage.list('j/').at(-1)!;
    r.hal.storage.append(seg, new Uint8Array([0xa5, 0x45, 0, 0, 1, 0, 1, 2])); // half a frame
    r = reboot(r);
    expect(r.agent.recovery!.tornBytes).toBe(8);
    sell(r, 'B'); r.agent.sealing.sealNow();
    expect(verifyRecords(exported(r), r.agent.sealing.key.pub).valid).toBe(true);
    cleanup(r.dir);
  });
});

describe('crash points: power lost at every write, and in the middle of every write', () => {
  // The workload: sales (decision, then answer), seals through idle, a settlement. After every
  // step that returned, what the journal holds is what the terminal has reported committed.
  const workload = (r: ReturnType<typeof rig>, committed: Map<number, string>) => {
    const note = () => {
      for (const b of exported(r)) { const e = parseEntry(b); if (e.ok) committed.set(e.value.seq, toHex(b)); }
      return !r.hal.dead;
    };
    const step = (f: () => unknown) => { f(); return !r.hal.dead && note(); };
    note();
    for (let i = 0; i < 6; i++) {
      let req: any = null;
      if (!step(() => { req = r.agent.tx.preflight({ ref: `W${i}`, type: 'sale', channel: 'card', amountMinor: 1000 + i, entryMode: '051', conditionCode: '00' }).request; })) return;
      if (!step(() => r.agent.tx.answer(`W${i}`, r.acq.answer(req, null)))) return;
      if (i % 2 === 1 && (!step(() => r.agent.idle()) || !step(() => r.agent.sealing.sealNow()))) return;
    }
    if (!step(() => r.agent.settlement.begin())) return;
    if (!step(() => r.agent.settlement.compare(r.acq.totals()))) return;
    step(() => r.agent.settlement.close());
  };
  const base = rig();
  const w0 = base.hal.writes;
  workload(base, new Map());
  const total = base.hal.writes - w0;
  cleanup(base.dir);

  it(`the workload makes enough writes to matter (${total})`, () => { expect(total).toBeGreaterThanOrEqual(15); });

  for (const mid of [false, true]) {
    it(`cut ${mid ? 'mid-write' : 'at the write boundary'} at each of the writes: nothing committed is lost, nothing invented`, () => {
      for (let k = 1; k <= total; k++) {
        let r = rig();
        const committed = new Map<number, string>();
        r.hal.faults.cutAtWrite = k; r.hal.faults.midWrite = mid;
        workload(r, committed);
        expect(r.hal.dead, `cut at write ${k}`).toBe(true);
        r = reboot(r);
        const recs = exported(r);
        const v = verifyRecords(recs, r.agent.sealing.key.pub);
        expect(v.valid, `write ${k}: ${v.firstBad?.reason}`).toBe(true);
        const after = new Map<number, string>();
        for (const b of recs) { const e = parseEntry(b); if (e.ok) after.set(e.value.seq, toHex(b)); }
        for (const [seq, hex] of committed) expect(after.get(seq), `write ${k}: entry ${seq}`).toBe(hex);
        // Nothing invented: after the committed entries comes at most the lost write's entry, then this boot's.
        const maxCommitted = Math.max(0, ...committed.keys());
        // Nothing invented: after the reported entries come at most the interrupted step's own
        // (durable, but its call never returned), then this boot.
        const isBoot = (seq: number) => { const e = after.has(seq) ? parseEntry(Buffer.from(after.get(seq)!, 'hex')) : null;
          return !!e && e.ok && e.value.type === 'boot' && e.value.body.reason === 'power-cut'; };
        const bootAt = [1, 2, 3].map((d) => maxCommitted + d).find(isBoot);
        expect(bootAt, `write ${k}: the new boot follows the committed entries within the interrupted step`).toBeDefined();
        // And the terminal goes on working after the reboot.
        expect(sell(r, 'AFTER', 500)).toBe('approved');
        expect(r.agent.sealing.sealNow()).toBe(true);
        expect(verifyRecords(exported(r), r.agent.sealing.key.pub).valid).toBe(true);
        cleanup(r.dir);
      }
    }, 120_000);
  }
});

describe('storage full and write errors', () => {
  it('a failed journal write denies the sale and changes nothing', () => {
    const r = rig();
    sell(r, 'OK1');
    const seq = r.agent.journal.seq;
    r.hal.faults.writeError = true;
    const d = r.agent.tx.preflight({ ref: 'F1', type: 'sale', channel: 'card', amountMinor: 100, entryMode: '051', conditionCode: '00' });
    expect(d.verdict).toBe('deny');
    expect(d.reasons.map((x) => x.name)).toContain('STORAGE_LOW');
    expect(d.request).toBeNull();
    expect(r.agent.journal.seq).toBe(seq);
    r.hal.faults.writeError = false;
    expect(sell(r, 'OK2')).toBe('approved');
    expect(verifyRecords(exported(r), r.agent.sealing.key.pub).valid).toBe(true);
    cleanup(r.dir);
  });

  it('never deletes what is not both settled and acknowledged', () => {
    const r = rig({ edit: (p: any) => { p.resources.batchMaxTxns = 10_000; p.limits.card.dailyCount = 10_000; p.limits.velocity = { count: 1000, windowS: 60 }; } });
    for (let i = 0; i < 300; i++) { sell(r, `S${i}`, 10); if (i % 8 === 7) r.agent.sealing.sealNow(); }
    r.agent.sealing.sealNow();
    const before = r.hal.storage.list('j/').length;
    r.agent.settlement.begin(); r.agent.settlement.compare(r.acq.totals()); r.agent.settlement.close();
    expect(r.hal.storage.list('j/').length).toBe(before);   // settled but not acknowledged: kept
    r.agent.journal.ackSeq = r.agent.journal.sealedSeq;        // as an ack would set it
    expect(r.agent.journal.compact()).toBeGreaterThan(0);
    const v = verifyRecords(exported(r), r.agent.sealing.key.pub);
    expect(v.valid).toBe(true);
    expect(v.firstSeq).toBeGreaterThan(1);                   // an export may begin after seq 1
    cleanup(r.dir);
  });
});

describe('upload batches', () => {
  it('end at the seal that covers them and never split the entries under one seal', () => {
    const r = rig({ edit: (p: any) => { p.resources.batchMaxTxns = 10_000; p.limits.card.dailyCount = 10_000; p.limits.velocity = { count: 1000, windowS: 60 }; } });
    r.hal.faults.signerDown = true;                         // an outage: 40 entries pile up unsealed
    for (let i = 0; i < 20; i++) sell(r, `U${i}`, 10);
    r.agent.sealing.sealNow();
    r.hal.faults.signerDown = false;
    r.agent.sealing.sealNow();                                      // one seal now covers all of them
    for (let i = 0; i < 3; i++) { sell(r, `V${i}`, 10); r.agent.sealing.sealNow(); }
    const j = r.agent.journal;
    let from = 1, batches = 0;
    while (from <= j.sealedSeq) {
      const b = j.batchFrom(from)!.records;
      expect(b.length, `batch from ${from}`).toBeGreaterThan(1);
      const v = verifyRecords(b, r.agent.sealing.key.pub);          // each batch verifies on its own, first prev as given
      expect(v.valid, v.firstBad?.reason).toBe(true);
      expect(v.unsealed).toBe(0);
      from = v.lastSeq! + 1; batches++;
    }
    expect(from - 1).toBe(j.sealedSeq);
    expect(batches).toBeGreaterThan(1);
    expect(j.batchFrom(2)!.records.length - 1).toBeGreaterThan(32);     // the outage's entries travel whole, with their seal
    // With a byte budget, whole batches follow one another until the records reach it; each message verifies alone.
    expect(j.batchFrom(1, 1)!.lastSeq).toBe(j.batchFrom(1)!.lastSeq);   // a budget of 1 byte: still one whole batch
    const all = j.batchFrom(1, 1 << 20)!;
    expect(all.lastSeq).toBe(j.sealedSeq);
    const va = verifyRecords(all.records, r.agent.sealing.key.pub);
    expect(va.valid, va.firstBad?.reason).toBe(true);
    expect(all.records.filter((x) => x[0] === 0xd2).length).toBe(batches);   // every seal travels (the fleet's copy is the terminal's)
    cleanup(r.dir);
  });
});
