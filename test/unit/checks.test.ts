// Table tests per SPEC §5 rule, at the boundaries the SPEC states.
import { describe, expect, it } from 'vitest';
import { checkGeo, haversineM } from '../../src/core/checks/geo';
import { checkHours } from '../../src/core/checks/hours';
import { checkQualifications } from '../../src/core/checks/qualification';
import { checkLimits, usedFor } from '../../src/core/checks/limits';
import { checkResources } from '../../src/core/checks/resources';
import { checkMessage } from '../../src/core/checks/message';
import { checkClock } from '../../src/core/checks/clock';
import { decide } from '../../src/core/checks/preflight';
import { rec } from '../../src/core/journal/records';
import { apply, emptyLedger, type Ledger } from '../../src/core/journal/ledger';
import { localTime } from '../../src/core/time/local';
import { parseDate } from '../../src/core/time/iso';
import type { Txn } from '../../src/core/acquirer/types';
import { policy, sh } from '../helpers/policy';

const P = policy();
const names = (rs: { name: string }[]) => rs.map((r) => r.name);
const sale = (o: Partial<Txn> = {}): Txn => ({ ref: 'T1', type: 'sale', channel: 'card', amountMinor: 100, entryMode: '051', conditionCode: '00', ...o });

describe('location (SPEC §5 Location)', () => {
  // A point due north of the site at distance d metres.
  const north = (d: number) => ({ lat: P.site.lat + (d / 6371008.8) * (180 / Math.PI), lon: P.site.lon });
  const geo = (d: number, acc: number, ageS = 0) => checkGeo(P, { fix: { ...north(d), accuracyM: acc, monoMs: 0 }, monoMs: ageS * 1000, implausible: null });
  it('inside when d + a equals the radius exactly, uncertain just past it', () => {
    const d = haversineM(P.site.lat, P.site.lon, north(900).lat, north(900).lon);
    expect(d).toBeCloseTo(900, 6);
    expect(checkGeo(P, { fix: { ...north(900), accuracyM: P.site.radiusM - d, monoMs: 0 }, monoMs: 0, implausible: null }).state).toBe('inside');
    expect(geo(900, 100.01).state).toBe('uncertain');
  });
  it('outside only when d - a exceeds the radius', () => {
    expect(geo(1100, 100.001).state).toBe('uncertain'); // d - a just under the radius
    expect(geo(1100, 99.999).state).toBe('outside');
    expect(names(geo(2400, 20).reasons)).toEqual(['GEO_OUTSIDE']);
    expect(geo(2400, 20).reasons[0]!.params.distanceKm).toBe('2.40');
  });
  it('no fix, and a fix older than maxFixAgeS, are GEO_NO_FIX; exactly maxFixAgeS is still fresh', () => {
    expect(names(checkGeo(P, { fix: null, monoMs: 0, implausible: null }).reasons)).toEqual(['GEO_NO_FIX']);
    expect(geo(10, 5, 600).state).toBe('inside');
    expect(geo(10, 5, 600.001).state).toBe('nofix');
  });
  it('an implausible move is reported alongside the geofence result', () => {
    const r = checkGeo(P, { fix: { ...north(10), accuracyM: 5, monoMs: 0 }, monoMs: 0, implausible: { distanceM: 50_000, speedKmh: 3000 } });
    expect(names(r.reasons)).toEqual(['GEO_IMPLAUSIBLE_MOVE']);
  });
});

describe('hours (SPEC §5 Hours)', () => {
  const hrs = (local: string, p = P) => names(checkHours(p, localTime(p.site.tz, sh(local)), sh(local), 0));
  it('open on [start, end): 09:00 open, 21:59 open, 22:00 closed (Monday)', () => {
    expect(hrs('2026-03-02T08:59')).toEqual(['HOURS_CLOSED']);
    expect(hrs('2026-03-02T09:00')).toEqual([]);
    expect(hrs('2026-03-02T20:59')).toEqual([]);
    expect(hrs('2026-03-02T21:00')).toEqual(['HOURS_NIGHT_RISK']);
    expect(hrs('2026-03-02T22:00')).toEqual(['HOURS_CLOSED', 'HOURS_NIGHT_RISK']);
  });
  it('night risk 22:59 / 23:00 / 06:00 on a shop open past midnight', () => {
    const late = policy((j) => { j.hours.mon = [['18:00', '03:00']]; j.hours.nightRisk = ['23:00', '06:00']; });
    expect(hrs('2026-03-02T22:59', late)).toEqual([]);
    expect(hrs('2026-03-02T23:00', late)).toEqual(['HOURS_NIGHT_RISK']);
    expect(hrs('2026-03-03T02:59', late)).toEqual(['HOURS_NIGHT_RISK']);          // Tuesday, in Monday's interval
    expect(hrs('2026-03-03T03:00', late)).toEqual(['HOURS_CLOSED', 'HOURS_NIGHT_RISK']);
    expect(hrs('2026-03-03T05:59', late)).toEqual(['HOURS_CLOSED', 'HOURS_NIGHT_RISK']);
    expect(hrs('2026-03-03T06:00', late)).toEqual(['HOURS_CLOSED']);
  });
  it('an exception replaces the weekday: closed on 2026-10-01 (a Thursday)', () => {
    expect(hrs('2026-10-01T12:00')).toEqual(['HOURS_CLOSED']);
    expect(hrs('2026-10-02T12:00')).toEqual([]);
    const special = policy((j) => { j.hours.exceptions = [{ date: '2026-03-02', intervals: [['12:00', '14:00']] }]; });
    expect(hrs('2026-03-02T11:59', special)).toEqual(['HOURS_CLOSED']);
    expect(hrs('2026-03-02T12:00', special)).toEqual([]);
  });
  it('a signed extension opens the shop until it ends', () => {
    const t = sh('2026-03-02T22:30');
    expect(names(checkHours(P, localTime(P.site.tz, t), t, t + 1))).toEqual(['HOURS_NIGHT_RISK']);
    expect(names(checkHours(P, localTime(P.site.tz, t), t, t))).toContain('HOURS_CLOSED');
  });
});

describe('qualification (SPEC §5 Qualification)', () => {
  const q = (date: string) => names(checkQualifications(P, parseDate(date)!));
  it('valid through its expiry date, expiring within the 30 days before', () => {
    expect(q('2026-01-30')).toEqual([]);
    expect(q('2026-01-31')).toEqual(['QUAL_EXPIRING']);   // 30 days before 2026-03-02
    expect(q('2026-03-02')).toEqual(['QUAL_EXPIRING']);   // the day it expires
    expect(q('2026-03-03')).toEqual(['QUAL_EXPIRED']);
  });
});

function approve(l: Ledger, ref: string, type: Txn['type'], channel: Txn['channel'], amountMinor: number, t: number, original?: string) {
  const lt = localTime(P.site.tz, t);
  apply(l, l.seq + 1, t, rec.result({ ref, type, channel, amountMinor, original, outcome: 'approved', reasons: [], answer: null, dateKey: lt.dateKey, monthKey: lt.monthKey }));
}

describe('limits (SPEC §5 Limits)', () => {
  const t = sh('2026-03-02T12:00');
  const lt = localTime(P.site.tz, t);
  const lim = (l: Ledger, x: Txn, now = t) => names(checkLimits(P, x, usedFor(l, x, localTime(P.site.tz, now), now, P.limits.velocity.windowS)));
  it('amount equal to the single limit passes, one fen more fails', () => {
    expect(lim(emptyLedger(), sale({ amountMinor: 5_000_000 }))).toEqual([]);
    expect(lim(emptyLedger(), sale({ amountMinor: 5_000_001 }))).toEqual(['LIMIT_SINGLE']);
    expect(lim(emptyLedger(), sale({ channel: 'qr', amountMinor: 500_001 }))).toEqual(['LIMIT_SINGLE']);
  });
  it('daily amount counts approved sales of the channel today; a void gives back', () => {
    const l = emptyLedger();
    approve(l, 'Q1', 'sale', 'qr', 500_000, t - 3600_000);
    approve(l, 'Q2', 'sale', 'qr', 400_000, t - 1800_000);
    expect(lim(l, sale({ channel: 'qr', amountMinor: 100_000 }))).toEqual([]);            // 1,000,000 exactly
    expect(lim(l, sale({ channel: 'qr', amountMinor: 100_001 }))).toEqual(['LIMIT_DAILY_AMOUNT']);
    expect(lim(l, sale({ channel: 'card', amountMinor: 100_001 }))).toEqual([]);          // other channel
    approve(l, 'V1', 'void', 'qr', 400_000, t - 60_000, 'Q2');
    expect(lim(l, sale({ channel: 'qr', amountMinor: 500_000 }))).toEqual([]);
    expect(lim(l, sale({ channel: 'qr', amountMinor: 100_000 }), sh('2026-03-03T00:00'))).toEqual([]); // a new day
    expect(lt.dateKey).toBe('2026-03-02');
  });
  it('daily count: at dailyCount approvals the next is refused; refunds are not counted', () => {
    const p = policy((j) => { j.limits.card.dailyCount = 2; j.limits.velocity = { count: 100, windowS: 60 }; });
    const l = emptyLedger();
    approve(l, 'A', 'sale', 'card', 100, t - 7200_000);
    approve(l, 'R', 'refund', 'card', 100, t - 7000_000, 'A');
    const x = sale();
    expect(names(checkLimits(p, x, usedFor(l, x, lt, t, 60)))).toEqual([]);
    approve(l, 'B', 'sale', 'card', 100, t - 3600_000);
    expect(names(checkLimits(p, x, usedFor(l, x, lt, t, 60)))).toEqual(['LIMIT_DAILY_COUNT']);
  });
  it('monthly amount and velocity', () => {
    const p = policy((j) => { j.limits.card.monthlyMinor = 40_000_000; j.limits.card.dailyMinor = 40_000_000; });
    const l = emptyLedger();
    approve(l, 'M1', 'sale', 'card', 5_000_000, sh('2026-03-01T10:00'));
    for (let i = 0; i < 7; i++) approve(l, `M2${i}`, 'sale', 'card', 5_000_000, sh('2026-03-02T09:00') + i * 60_000);
    const x = sale({ amountMinor: 1 });
    expect(names(checkLimits(p, x, usedFor(l, x, lt, t, 60)))).toEqual(['LIMIT_MONTHLY_AMOUNT']);
    const v = emptyLedger();
    for (let i = 0; i < 10; i++) approve(v, `V${i}`, 'sale', 'card', 100, t - 59_000 + i * 1000);
    expect(lim(v, sale())).toEqual(['LIMIT_VELOCITY']);
    expect(lim(v, sale(), t + 2000)).toEqual([]);   // the oldest two left the 60 s window
  });
  it('limits apply to sale and preauth-complete only', () => {
    expect(lim(emptyLedger(), sale({ type: 'refund', amountMinor: 99_000_000 }))).toEqual([]);
    expect(lim(emptyLedger(), sale({ type: 'preauth-complete', amountMinor: 5_000_001 }))).toEqual(['LIMIT_SINGLE']);
  });
});

describe('resources (SPEC §5 Resources)', () => {
  const r = (heap: number, storage: number, batch: number) => names(checkResources(P, heap, storage, batch));
  it('heap, storage and batch boundaries', () => {
    expect(r(65536, 10240, 0)).toEqual([]);
    expect(r(65535, 10240, 0)).toEqual(['MEM_LOW']);
    expect(r(65536, 10239, 0)).toEqual(['STORAGE_LOW']);
    expect(r(65536, 10240, 11)).toEqual([]);
    expect(r(65536, 10240, 12)).toEqual(['BATCH_NEAR_FULL']);  // 0.8 x 15
    expect(r(65536, 10240, 14)).toEqual(['BATCH_NEAR_FULL']);
    expect(r(65536, 10240, 15)).toEqual(['BATCH_FULL']);
  });
});

describe('message rules (SPEC §5, ISO 8583 fields 22 and 25)', () => {
  const l = emptyLedger();
  const t = sh('2026-03-02T12:00');
  approve(l, 'S1', 'sale', 'card', 1000, t);
  approve(l, 'P1', 'preauth', 'card', 5000, t);
  const m = (x: Partial<Txn>) => names(checkMessage(sale(x), l));
  it('field 25 per type', () => {
    expect(m({})).toEqual([]);
    expect(m({ conditionCode: '06' })).toEqual(['COND_CODE_MISMATCH']);
    expect(m({ type: 'preauth', conditionCode: '06' })).toEqual([]);
    expect(m({ type: 'preauth-complete', original: 'P1', amountMinor: 5000, conditionCode: '00' })).toEqual(['COND_CODE_MISMATCH']);
    expect(m({ type: 'preauth-complete', original: 'P1', amountMinor: 5000, conditionCode: '06' })).toEqual([]);
  });
  it('field 22: three digits, known PAN mode, PIN digit 0-2', () => {
    for (const ok of ['011', '021', '051', '072', '790', '801', '902', '911', '951', '961', '981']) expect(m({ entryMode: ok })).toEqual([]);
    for (const bad of ['05', '0511', '031', '053', 'abc', '']) expect(m({ entryMode: bad })).toEqual(['ENTRY_MODE_INVALID']);
  });
  it('originals: missing, unknown, wrong type, amounts', () => {
    expect(m({ type: 'void' })).toEqual(['ORIGINAL_NOT_FOUND']);
    expect(m({ type: 'void', original: 'NOPE', amountMinor: 1000 })).toEqual(['ORIGINAL_NOT_FOUND']);
    expect(m({ type: 'void', original: 'P1', amountMinor: 5000 })).toEqual(['ORIGINAL_NOT_FOUND']);
    expect(m({ type: 'void', original: 'S1', amountMinor: 1000 })).toEqual([]);
    expect(m({ type: 'void', original: 'S1', amountMinor: 999 })).toEqual(['ORIGINAL_AMOUNT_EXCEEDED']);
    expect(m({ type: 'refund', original: 'S1', amountMinor: 1000 })).toEqual([]);
    expect(m({ type: 'refund', original: 'S1', amountMinor: 1001 })).toEqual(['ORIGINAL_AMOUNT_EXCEEDED']);
    expect(m({ type: 'preauth-complete', original: 'P1', amountMinor: 5001, conditionCode: '06' })).toEqual(['ORIGINAL_AMOUNT_EXCEEDED']);
  });
});

describe('clock (SPEC §5 Clock)', () => {
  const anchor = { wallMs: 1_000_000, monoMs: 0, trusted: true };
  it('rollback beyond 5 s before the high-water mark', () => {
    expect(names(checkClock(1_000_000, 0, 1_005_000, anchor, 300, 480))).toEqual([]);
    expect(names(checkClock(1_000_000, 0, 1_005_001, anchor, 300, 480))).toEqual(['CLOCK_ROLLBACK']);
  });
  it('skew against the monotonic clock beyond maxSkewS', () => {
    expect(names(checkClock(1_000_000 + 300_000 + 60_000, 60_000, 0, anchor, 300, 480))).toEqual([]);
    expect(names(checkClock(1_000_000 + 300_001 + 60_000, 60_000, 0, anchor, 300, 480))).toEqual(['CLOCK_UNTRUSTED']);
  });
});

describe('a verdict lists every reason (SPEC §3)', () => {
  it('deny beats review beats warn, and all fire together', () => {
    const l = emptyLedger();
    l.highWaterMs = sh('2026-03-03T12:00');
    const d = decide({
      policy: P, policyProblem: null, txn: sale({ amountMinor: 6_000_000, conditionCode: '06' }), wallMs: sh('2026-03-02T23:30'), monoMs: 0,
      fix: { lat: 31.4, lon: 121.47, accuracyM: 10, monoMs: 0 }, implausible: null, heapFree: 1000, storageFree: 100, ledger: l,
      anchor: { wallMs: sh('2026-03-02T23:30'), monoMs: 0, trusted: true },
    });
    expect(d.verdict).toBe('deny');
    expect(names(d.reasons).sort()).toEqual(['CLOCK_ROLLBACK', 'COND_CODE_MISMATCH', 'GEO_OUTSIDE', 'HOURS_CLOSED', 'HOURS_NIGHT_RISK',
      'LIMIT_SINGLE', 'MEM_LOW', 'QUAL_EXPIRING', 'STORAGE_LOW'].sort());
  });
});
