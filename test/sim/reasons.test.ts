// Every SPEC §3 reason that can fire before the acquirer answers, fired in a scenario run on the
// built bundle in QuickJS, at the boundaries SPEC §5 states (issue 3's "done when").
import { describe, expect, it } from 'vitest';
import { REASONS } from '../../src/core/reasons/catalog';
import { signPolicy } from '../../device/provision/policy';
import { newKeyPair } from '../../src/node/keys';
import { demoPolicyJson, sh } from '../helpers/policy';
import { card, eachEngine, run, SITE } from '../helpers/scenario';
import { tmp } from '../helpers/device';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

eachEngine('pre-acquirer reasons through the bundle', () => {
  const fired = new Set<string>();
  const expectReasons = (l: { reasons: string[] } | undefined, want: string[], not: string[] = []) => {
    expect(l, 'decision line').toBeDefined();
    for (const w of want) { expect(l!.reasons, w).toContain(w); fired.add(w); }
    for (const n of not) expect(l!.reasons, n).not.toContain(n);
  };
  const north = (m: number, acc: number) => ({ lat: SITE.lat + (m / 6371008.8) * (180 / Math.PI), lon: SITE.lon, accuracyM: acc });

  it('location: outside, uncertain, no fix, stale fix, implausible move', async () => {
    const r = await run([
      { fix: north(900, 100) }, card('IN'),            // d + a = 1000: inside
      { fix: north(900, 101) }, card('UNC'),           // uncertain
      { fix: north(1200, 150) }, card('UNC2'),         // d - a = 1050 > 1000: outside
      { fix: { lost: true } }, card('NOFIX'),
      { fix: { ...SITE, frozen: true } }, card('FRESH'),
      { at: '+20m', ...card('STALE') },                // frozen fix now 20 min old
      { at: '+21m', fix: SITE }, { at: '+21m', ...card('HOME') },
      { at: '+22m', fix: { lat: 32.2, lon: 121.47, accuracyM: 10 } }, { at: '+22m', ...card('JUMP') },
    ]);
    expectReasons(r.byRef('IN'), [], ['GEO_OUTSIDE', 'GEO_UNCERTAIN', 'GEO_NO_FIX']);
    expectReasons(r.byRef('UNC'), ['GEO_UNCERTAIN']);
    expectReasons(r.byRef('UNC2'), ['GEO_OUTSIDE']);
    expectReasons(r.byRef('NOFIX'), ['GEO_NO_FIX']);
    expectReasons(r.byRef('FRESH'), [], ['GEO_NO_FIX']);
    expectReasons(r.byRef('STALE'), ['GEO_NO_FIX']);
    expectReasons(r.byRef('HOME'), [], ['GEO_NO_FIX', 'GEO_OUTSIDE']);
    expectReasons(r.byRef('JUMP'), ['GEO_IMPLAUSIBLE_MOVE', 'GEO_OUTSIDE']);
    expect(r.byRef('UNC').verdict).toBe('review');
    expect(r.byRef('UNC2').verdict).toBe('deny');
  }, 60_000);

  it('hours: 22:59 / 23:00 / 06:00 on a shop open past midnight, and closed', async () => {
    const r = await run([
      { at: '2026-03-02T22:59:00+08:00', ...card('H2259') },
      { at: '2026-03-02T23:00:00+08:00', ...card('H2300') },
      { at: '2026-03-03T02:30:00+08:00', ...card('H0230') },
      { at: '2026-03-03T03:00:00+08:00', ...card('H0300') },
      { at: '2026-03-03T06:00:00+08:00', ...card('H0600') },
    ], { start: '2026-03-02T22:00:00+08:00', edit: (p) => { p.hours.mon = [['18:00', '03:00']]; p.hours.tue = [['18:00', '03:00']]; p.hours.nightRisk = ['23:00', '06:00']; } });
    expectReasons(r.byRef('H2259'), [], ['HOURS_NIGHT_RISK', 'HOURS_CLOSED']);
    expectReasons(r.byRef('H2300'), ['HOURS_NIGHT_RISK'], ['HOURS_CLOSED']);
    expectReasons(r.byRef('H0230'), ['HOURS_NIGHT_RISK'], ['HOURS_CLOSED']);
    expectReasons(r.byRef('H0300'), ['HOURS_CLOSED', 'HOURS_NIGHT_RISK']);
    expectReasons(r.byRef('H0600'), ['HOURS_CLOSED'], ['HOURS_NIGHT_RISK']);
  }, 60_000);

  it('qualification: expiring on its last day, expired the day after', async () => {
    const r = await run([
      { at: '2026-03-02T12:00:00+08:00', ...card('Q1') },
      { at: '2026-03-03T12:00:00+08:00', ...card('Q2') },
    ], { edit: (p) => { p.merchant.qualifications = [{ kind: 'business-license', expires: '2026-03-02' }]; } });
    expectReasons(r.byRef('Q1'), ['QUAL_EXPIRING'], ['QUAL_EXPIRED']);
    expect(r.byRef('Q1').verdict).toBe('allow');
    expectReasons(r.byRef('Q2'), ['QUAL_EXPIRED']);
  }, 60_000);

  it('limits: single at the limit and one fen more, daily amount, daily count, monthly, velocity', async () => {
    const r = await run([
      card('S-EQ', 5_000_000), card('S-OVER', 5_000_001),
      ...[1, 2, 3, 4, 5].map((i) => card(`D${i}`, 5_000_000)), card('D-OVER', 1),     // 6 x 5,000,000 = daily 30,000,000
      { txn: { ref: 'V1', type: 'void', original: 'D5', channel: 'card', amountMinor: 5_000_000, entryMode: '051', conditionCode: '00' } },
      card('D-AFTER-VOID', 5_000_000),
    ], { edit: (p) => { p.limits.velocity = { count: 100, windowS: 60 }; } });
    expectReasons(r.byRef('S-EQ'), [], ['LIMIT_SINGLE']);
    expectReasons(r.byRef('S-OVER'), ['LIMIT_SINGLE']);
    expectReasons(r.byRef('D-OVER'), ['LIMIT_DAILY_AMOUNT']);
    expectReasons(r.byRef('D-AFTER-VOID'), [], ['LIMIT_DAILY_AMOUNT']);
    const c = await run([card('C1'), card('C2'), card('C3')], { edit: (p) => { p.limits.card.dailyCount = 2; } });
    expectReasons(c.byRef('C3'), ['LIMIT_DAILY_COUNT']);
    const m = await run([card('M1', 400_000), { at: '2026-03-03T10:00:00+08:00', ...card('M2', 400_000) }, { at: '2026-03-04T10:00:00+08:00', ...card('M3', 400_000) }],
      { edit: (p) => { p.limits.card = { singleMinor: 500_000, dailyMinor: 500_000, monthlyMinor: 1_000_000, dailyCount: 200 }; } });
    expectReasons(m.byRef('M2'), [], ['LIMIT_MONTHLY_AMOUNT']);
    expectReasons(m.byRef('M3'), ['LIMIT_MONTHLY_AMOUNT']);
    const v = await run([1, 2, 3, 4].map((i) => ({ at: `+${i}s`, ...card(`VEL${i}`) })), { edit: (p) => { p.limits.velocity = { count: 3, windowS: 60 }; } });
    expectReasons(v.byRef('VEL3'), [], ['LIMIT_VELOCITY']);
    expectReasons(v.byRef('VEL4'), ['LIMIT_VELOCITY']);
  }, 90_000);

  it('resources: heap, storage, batch near full and full', async () => {
    const r = await run([
      { heap: { freeBytes: 65536 } }, card('HEAP-EQ'), { heap: { freeBytes: 65535 } }, card('HEAP-LOW'), { heap: { freeBytes: null } },
      { storage: { freeBytes: 10239 } }, card('STO-LOW'), { storage: { freeBytes: null } },
      ...[1, 2, 3, 4, 5, 6].map((i) => card(`B${i}`)),
    ], { edit: (p) => { p.resources.batchMaxTxns = 5; p.resources.batchWarnRatio = 0.8; } });
    expectReasons(r.byRef('HEAP-EQ'), [], ['MEM_LOW']);
    expectReasons(r.byRef('HEAP-LOW'), ['MEM_LOW']);
    expectReasons(r.byRef('STO-LOW'), ['STORAGE_LOW']);
    expectReasons(r.byRef('B4'), ['BATCH_NEAR_FULL']);      // 3 approved before it... HEAP-EQ, B1..B3 = 4 >= 0.8 x 5
    expectReasons(r.byRef('B5'), ['BATCH_FULL']);
  }, 60_000);

  it('message rules: condition code, entry mode, originals', async () => {
    const r = await run([
      { txn: { ref: 'P1', type: 'preauth', channel: 'card', amountMinor: 5000, entryMode: '051', conditionCode: '06' } },
      { txn: { ref: 'PC-00', type: 'preauth-complete', original: 'P1', channel: 'card', amountMinor: 5000, entryMode: '051', conditionCode: '00' } },
      { txn: { ref: 'PC-OVER', type: 'preauth-complete', original: 'P1', channel: 'card', amountMinor: 5001, entryMode: '051', conditionCode: '06' } },
      { txn: { ref: 'PC-NONE', type: 'preauth-complete', original: 'NOPE', channel: 'card', amountMinor: 100, entryMode: '051', conditionCode: '06' } },
      { txn: { ref: 'EM', type: 'sale', channel: 'card', amountMinor: 100, entryMode: '031', conditionCode: '00' } },
      { txn: { ref: 'PC-OK', type: 'preauth-complete', original: 'P1', channel: 'card', amountMinor: 5000, entryMode: '051', conditionCode: '06' } },
    ]);
    expectReasons(r.byRef('PC-00'), ['COND_CODE_MISMATCH']);
    expectReasons(r.byRef('PC-OVER'), ['ORIGINAL_AMOUNT_EXCEEDED']);
    expectReasons(r.byRef('PC-NONE'), ['ORIGINAL_NOT_FOUND']);
    expectReasons(r.byRef('EM'), ['ENTRY_MODE_INVALID']);
    expect(r.byRef('PC-OK').verdict).toBe('allow');
  }, 60_000);

  it('clock: rolled back past the journal, then jumped against the monotonic clock', async () => {
    const r = await run([card('T0'), { clock: { jumpS: -3600 } }, card('BACK'), { clock: { sync: true } }, card('SYNCED'),
      { clock: { jumpS: 301 } }, card('SKEW')]);
    expectReasons(r.byRef('BACK'), ['CLOCK_ROLLBACK']);
    expectReasons(r.byRef('SYNCED'), [], ['CLOCK_ROLLBACK', 'CLOCK_UNTRUSTED']);
    expectReasons(r.byRef('SKEW'), ['CLOCK_UNTRUSTED'], ['CLOCK_ROLLBACK']);
  }, 60_000);

  it('policy: missing, expired, signed by an untrusted key; device locked by command', async () => {
    const miss = await run([card('PM')], { policy: null });
    expectReasons(miss.byRef('PM'), ['POLICY_MISSING']);
    // Valid when the scenario starts (the clock the simulator signs by, SPEC §4), expired 10 s later.
    const exp = await run([{ fix: SITE }, card('PE')], { edit: (p) => { p.validUntil = '2026-03-02T10:00:10+08:00'; p.validFrom = '2026-01-01T00:00:00+08:00'; } });
    expectReasons(exp.byRef('PE'), ['POLICY_EXPIRED']);
    // A policy on the flash that no trust anchor vouches for (written there by someone with the chip in hand).
    const untrusted = tmp('pf-untrusted-');
    writeFileSync(join(untrusted, 'policy.cose'), signPolicy(demoPolicyJson(), newKeyPair(), sh('2026-03-02T10:00')));
    const inv = await run([card('PI')], { policy: undefined, keep: true, dataDir: untrusted });
    expectReasons(inv.byRef('PI'), ['POLICY_INVALID']);
    // The simulator itself refuses, in words, to hand a terminal a policy it would not trust.
    await expect(run([card('PX')], { policy: 'mine.cose', policyBytes: signPolicy(demoPolicyJson(), newKeyPair(), sh('2026-03-02T10:00')) })).rejects.toThrow(/is not signed by this terminal's operator key/);
    // A journal that begins past seq 1, with both checkpoint copies and the floors gone: nothing says
    // where it stood, so it refuses to trade rather than start a second chain (SPEC §6).
    const lostDir = tmp('pf-lost-');
    const roomy = (p: any) => { p.limits.velocity = { count: 1000, windowS: 60 }; p.resources.batchMaxTxns = 1000; };
    await run(Array.from({ length: 200 }, (_, i) => card(`L${i}`)), { dataDir: lostDir, edit: roomy });
    const segs = readdirSync(join(lostDir, 'j')).sort();
    expect(segs.length).toBeGreaterThan(1);
    for (const f of ['cp/0', 'cp/1', 'floors', `j/${segs[0]}`]) rmSync(join(lostDir, f), { force: true });
    const sl = await run([card('SL')], { dataDir: lostDir, edit: roomy });
    expectReasons(sl.byRef('SL'), ['STATE_LOST']);
    expect(sl.byRef('SL').verdict).toBe('deny');
    const lock = await run([{ cmd: { kind: 'lock', why: 'fraud investigation' } }, card('LK'), { cmd: { kind: 'unlock' } }, card('UL')]);
    expectReasons(lock.byRef('LK'), ['DEVICE_LOCKED']);
    expectReasons(lock.byRef('UL'), [], ['DEVICE_LOCKED']);
  }, 90_000);

  it('every pre-acquirer reason of SPEC §3 fired above', () => {
    const pre = Object.entries(REASONS).filter(([n, d]) => d.area !== 'acquirer' && !['TXN_INVALID', 'COMMAND_REJECTED'].includes(n)).map(([n]) => n);
    expect(pre.filter((n) => !fired.has(n))).toEqual([]);
  });
});
