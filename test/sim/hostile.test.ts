// A terminal on a shop counter for years (issue 11): shrinking heaps and out-of-memory, clock and
// location attacks, storage that fails or rots. Through the built bundle in QuickJS; each case must
// give its SPEC reason, never let through what the policy forbids, and never lose a committed entry.
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitSequence } from '../../src/core/codec/cbor';
import { exportJournal } from '../../src/core/journal/export';
import { verifyRecords } from '../../src/core/journal/verify';
import { fromHex } from '../../src/core/util/bytes';
import { NodeHal } from '../../host-sim/hal/node-hal';
import { card, run, SITE } from '../helpers/scenario';

const verify = (dataDir: string) => {
  const hal = new NodeHal({ dir: dataDir, storageBytes: 1 << 30, startWallMs: 0 });
  const s = { value: exportJournal(hal).body };
    return verifyRecords(s.value, fromHex(readFileSync(join(dataDir, 'device.pub'), 'utf8').trim())!);
};
const decisions = (r: any) => r.lines.filter((l: any) => l.event === 'decision');

describe('memory', () => {
  it('under shrinking heap budgets it denies with MEM_LOW before running out, and an OOM loses nothing', async () => {
    for (const kb of [1024, 640, 580, 540, 520]) {
      const r = await run(Array.from({ length: 30 }, (_, i) => card(`M${i}`)), { device: { heapLimitBytes: kb * 1024 },
        edit: (p) => { p.resources.minHeapFreeBytes = 65536; p.resources.batchMaxTxns = 1000; p.limits.velocity = { count: 100, windowS: 60 }; } });
      for (const d of decisions(r)) {
        // Allowed only with the heap it needs; otherwise denied for memory, never for nothing.
        if (d.verdict === 'deny') expect(d.reasons, `${kb} KB`).toContain('MEM_LOW');
      }
      const crashes = r.lines.filter((l) => l.event === 'crash');
      for (const c of crashes) expect(c.kind).toBe('oom');
      const v = verify(r.dataDir);
      expect(v.valid, `${kb} KB: ${v.firstBad?.reason}`).toBe(true);
      if (kb === 1024) { expect(crashes).toHaveLength(0); expect(decisions(r).every((d: any) => d.verdict !== 'deny')).toBe(true); }
      if (kb <= 580) expect(decisions(r).some((d: any) => d.reasons.includes('MEM_LOW')) || crashes.length > 0, `${kb} KB`).toBe(true);
    }
  }, 180_000);
});

describe('clock attacks', () => {
  it('set back, jumped forward, frozen: each is named and journaled, and a rollback is denied', async () => {
    const r = await run([card('OK'), { clock: { jumpS: -86400 } }, card('BACK'), { clock: { sync: true } },
      { clock: { jumpS: 7 * 86400 } }, card('FWD'), { clock: { sync: true } }, card('OK2'),
      { clock: { freeze: true } }, { at: '+20m', ...card('FROZEN') }, { at: '+21m', clock: { sync: true } }, { at: '+21m', ...card('OK3') }]);
    const by = (ref: string) => r.byRef(ref);
    expect(by('BACK').reasons).toContain('CLOCK_ROLLBACK');
    expect(by('BACK').verdict).toBe('deny');
    expect(by('FWD').reasons).toContain('CLOCK_UNTRUSTED');
    expect(by('FROZEN').reasons).toContain('CLOCK_UNTRUSTED');
    // After a trusted sync the terminal trades again at once, even after a week-long jump ahead.
    for (const ok of ['OK', 'OK2', 'OK3']) expect(by(ok).reasons.filter((x) => x.startsWith('CLOCK'))).toEqual([]);
    expect(verify(r.dataDir).valid).toBe(true);
  }, 60_000);
});

describe('location attacks', () => {
  it('a teleport, a perfect-accuracy spoof outside the fence, and a stuck receiver', async () => {
    const r = await run([card('HOME'),
      { fix: { lat: 39.9042, lon: 116.4074, accuracyM: 0 } }, card('BEIJING'),        // 1,000 km in a minute, claimed exact
      { fix: SITE }, card('BACK'),
      { fix: { lat: 31.2500, lon: 121.4737, accuracyM: 0 } }, { at: '+30m', ...card('SPOOF') }, // 2.2 km out, "perfect" accuracy
      { at: '+31m', fix: { ...SITE, frozen: true } }, { at: '+45m', ...card('STUCK') }]);
    expect(r.byRef('BEIJING').reasons).toEqual(expect.arrayContaining(['GEO_IMPLAUSIBLE_MOVE', 'GEO_OUTSIDE']));
    expect(r.byRef('BEIJING').verdict).toBe('deny');
    expect(r.byRef('SPOOF').reasons).toContain('GEO_OUTSIDE');
    expect(r.byRef('STUCK').reasons).toContain('GEO_NO_FIX');
    expect(r.byRef('HOME').verdict).toBe('allow');
  }, 60_000);
});

describe('storage faults', () => {
  it('write errors and short writes deny with a reason and leave the journal whole', async () => {
    const r = await run([card('A'), { fault: 'write-error' }, card('ERR'), { fault: 'none' }, card('B'),
      { fault: 'short-write' }, card('SHORT'), card('C')]);
    expect(r.byRef('ERR').verdict).toBe('deny');
    expect(r.byRef('ERR').reasons).toContain('STORAGE_LOW');
    expect(r.byRef('B', 'result').outcome).toBe('approved');
    expect(r.byRef('C', 'result').outcome).toBe('approved');
    const v = verify(r.dataDir);
    expect(v.valid, v.firstBad?.reason).toBe(true);
  }, 60_000);

  it('a full device refuses sales with STORAGE_LOW and never deletes unacknowledged entries', async () => {
    const r = await run(Array.from({ length: 40 }, (_, i) => card(`F${i}`)), { device: { storageBytes: 24 * 1024 },
      edit: (p) => { p.limits.velocity = { count: 100, windowS: 60 }; p.resources.batchMaxTxns = 1000; } });
    const low = decisions(r).filter((d: any) => d.reasons.includes('STORAGE_LOW'));
    expect(low.length).toBeGreaterThan(0);
    expect(low.every((d: any) => d.verdict === 'deny')).toBe(true);
    const v = verify(r.dataDir);
    expect(v.valid).toBe(true);
    expect(v.firstSeq).toBe(1);                                      // nothing was deleted to make room
  }, 60_000);

  it('bit rot in an old segment is not served at boot and is found by verify', async () => {
    const edit = (p: any) => { p.limits.velocity = { count: 1000, windowS: 60 }; p.resources.batchMaxTxns = 1000; };
    const r = await run(Array.from({ length: 175 }, (_, i) => card(`R${i}`)), { edit });
    const segs = readdirSync(join(r.dataDir, 'j')).sort();
    expect(segs.length).toBeGreaterThan(1);
    const old = join(r.dataDir, 'j', segs[0]!);
    const b = readFileSync(old); b[5000] ^= 0x04; writeFileSync(old, b);
    const before = verify(r.dataDir).entries;
    // Boots from the checkpoint and the tail; the scrubber reads the old segment back in idle time.
    const again = await run([card('AFTER'), card('AFTER2')], { dataDir: r.dataDir, edit, start: '2026-03-02T12:00:00+08:00' });
    expect(again.byRef('AFTER', 'result').outcome).toBe('approved');
    const { exportJournal: ex } = await import('../../src/core/journal/export');
    const { verifyExport } = await import('../../src/core/journal/verify-export');
    const e = ex(new NodeHal({ dir: r.dataDir, storageBytes: 1 << 30, startWallMs: 0 }));
    expect(e.warning).toMatch(/checksum mismatch/);
    const v = verifyExport(e.bytes, fromHex(readFileSync(join(r.dataDir, 'device.pub'), 'utf8').trim())!);
    // One record lost, said by a sealed flash-damage entry; every intact record after it kept and verified.
    expect(v.valid, v.firstBad?.reason).toBe(true);
    expect(v.lost).toHaveLength(1);
    expect(v.lost[0]![1] - v.lost[0]![0]).toBe(0);
    expect(v.entries).toBeGreaterThan(before);
  }, 120_000);
});
