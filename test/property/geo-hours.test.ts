// Property tests (issue 3): the geofence against an independent distance formula (3-D chord on the
// sphere), business hours against a brute-force minute-of-week table, and local time through UTC
// offset transitions against Node's ICU for a zone with daylight saving (Europe/Vienna) and one
// without (Asia/Shanghai).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EARTH_RADIUS_M, haversineM, checkGeo } from '../../src/core/checks/geo';
import { checkHours, isOpen } from '../../src/core/checks/hours';
import { localTime } from '../../src/core/time/local';
import { transitions, offsetMinutes } from '../../src/node/tz';
import { policy } from '../helpers/policy';

/** Great-circle distance from the chord between two points on the sphere: no haversine involved. */
function chordDistanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const r = Math.PI / 180;
  const p = (la: number, lo: number) => [Math.cos(la * r) * Math.cos(lo * r), Math.cos(la * r) * Math.sin(lo * r), Math.sin(la * r)];
  const a = p(lat1, lon1), b = p(lat2, lon2);
  const c = Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, c / 2));
}

describe('geofence', () => {
  it('haversine agrees with the chord formula to a millimetre per kilometre', () => {
    fc.assert(fc.property(fc.double({ min: -89, max: 89, noNaN: true }), fc.double({ min: -180, max: 180, noNaN: true }),
      fc.double({ min: -0.5, max: 0.5, noNaN: true }), fc.double({ min: -0.5, max: 0.5, noNaN: true }), (la, lo, dla, dlo) => {
        const d1 = haversineM(la, lo, la + dla, lo + dlo), d2 = chordDistanceM(la, lo, la + dla, lo + dlo);
        expect(Math.abs(d1 - d2)).toBeLessThanOrEqual(1e-3 * Math.max(1, d2 / 1000) + 1e-6);
      }), { numRuns: 5000 });
  });
  it('the tri-state follows d ± a against the radius, computed independently', () => {
    const P = policy();
    fc.assert(fc.property(fc.double({ min: -0.05, max: 0.05, noNaN: true }), fc.double({ min: -0.05, max: 0.05, noNaN: true }),
      fc.double({ min: 0, max: 3000, noNaN: true }), (dla, dlo, acc) => {
        const lat = P.site.lat + dla, lon = P.site.lon + dlo;
        const d = chordDistanceM(P.site.lat, P.site.lon, lat, lon);
        fc.pre(Math.abs(d + acc - P.site.radiusM) > 0.01 && Math.abs(d - acc - P.site.radiusM) > 0.01); // off the knife edge
        const want = d + acc <= P.site.radiusM ? 'inside' : d - acc > P.site.radiusM ? 'outside' : 'uncertain';
        expect(checkGeo(P, { fix: { lat, lon, accuracyM: acc, monoMs: 0 }, monoMs: 0, implausible: null }).state).toBe(want);
      }), { numRuns: 5000 });
  });
});

describe('business hours', () => {
  const hm = fc.integer({ min: 0, max: 24 * 60 }).map((m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
  const interval = fc.tuple(hm, hm).filter(([a, b]) => a !== b);
  const days = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
  it('isOpen matches a brute-force table of the week, intervals past midnight included', () => {
    const P0 = policy();
    fc.assert(fc.property(fc.array(fc.array(interval, { maxLength: 2 }), { minLength: 7, maxLength: 7 }), fc.integer({ min: 0, max: 14 * 1440 - 1 }), (week, m) => {
      const toIv = (iv: [string, string]) => [+iv[0].slice(0, 2) * 60 + +iv[0].slice(3), +iv[1].slice(0, 2) * 60 + +iv[1].slice(3)] as [number, number];
      const P = { ...P0, hours: { ...P0.hours, exceptions: [], week: Object.fromEntries(days.map((d, i) => [d, week[i]!.map(toIv)])) as typeof P0.hours.week } };
      // Brute force: mark every open minute of a two-week window, spilling wrapped intervals into the next day.
      const open = new Uint8Array(15 * 1440);
      const toMin = (s: string) => +s.slice(0, 2) * 60 + +s.slice(3);
      // 2026-03-01 is a Sunday: day k of the window has weekday k % 7.
      for (let day = 0; day < 14; day++) for (const [a, b] of week[day % 7]!) {
        const s = toMin(a), e = toMin(b);
        if (s < e) for (let x = s; x < e; x++) open[day * 1440 + x] = 1;
        else { for (let x = s; x < 1440; x++) open[day * 1440 + x] = 1; for (let x = 0; x < e; x++) open[(day + 1) * 1440 + x] = 1; }
      }
      fc.pre(m >= 1440); // the first day has no "yesterday" in the table
      const t = Date.parse('2026-03-01T00:00:00+08:00') + m * 60_000;
      expect(isOpen(P, localTime(P.site.tz, t))).toBe(open[m] === 1);
    }), { numRuns: 3000 });
  });
  it('night risk marks exactly [start, end) across midnight', () => {
    const P = policy((j) => { j.hours.nightRisk = ['23:00', '06:00']; });
    for (let m = 0; m < 1440; m++) {
      const t = Date.parse('2026-03-03T00:00:00+08:00') + m * 60_000;
      const names = checkHours(P, localTime(P.site.tz, t), t, 0).map((r) => r.name);
      expect(names.includes('HOURS_NIGHT_RISK'), `${m}`).toBe(m >= 23 * 60 || m < 6 * 60);
    }
  });
});

describe('local time from signed offset transitions', () => {
  for (const zone of ['Europe/Vienna', 'Asia/Shanghai']) {
    it(`${zone}: every instant of a year maps to ICU's local offset`, () => {
      const from = Date.parse('2026-01-01T00:00:00Z'), until = Date.parse('2027-01-01T00:00:00Z');
      const tz = transitions(zone, from, until);
      if (zone === 'Europe/Vienna') {
        expect(tz.map(([, o]) => o)).toEqual([60, 120, 60]);                       // CET, CEST, CET
        expect(new Date(tz[1]![0]).toISOString()).toBe('2026-03-29T01:00:00.000Z');
        expect(new Date(tz[2]![0]).toISOString()).toBe('2026-10-25T01:00:00.000Z');
      } else expect(tz).toEqual([[from, 480]]);
      fc.assert(fc.property(fc.integer({ min: from, max: until - 1 }), (t) => {
        expect(localTime(tz, t).offsetMin).toBe(offsetMinutes(zone, t));
      }), { numRuns: 3000 });
    });
  }
  it('Vienna shop hours follow the clock change: 09:00 local opens at 08:00 UTC in winter, 07:00 UTC in summer', () => {
    const P = policy((j) => { j.site.timezone = 'Europe/Vienna'; j.site.lat = 48.2082; j.site.lon = 16.3738; j.hours.nightRisk = undefined;
      for (const d of days2) j.hours[d] = [['09:00', '18:00']]; });
    const at = (iso: string) => checkHours(P, localTime(P.site.tz, Date.parse(iso)), Date.parse(iso), 0).map((r) => r.name);
    expect(at('2026-03-27T07:59:00Z')).toEqual(['HOURS_CLOSED']);   // Friday before the change: 08:59 CET
    expect(at('2026-03-27T08:00:00Z')).toEqual([]);
    expect(at('2026-03-30T06:59:00Z')).toEqual(['HOURS_CLOSED']);   // Monday after: 08:59 CEST
    expect(at('2026-03-30T07:00:00Z')).toEqual([]);
  });
});
const days2 = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
