// Location rules (SPEC §5 Location): tri-state geofence with the fix's accuracy, missing or stale
// fix, and fixes that imply an impossible speed.

import type { GpsFix } from '../hal/types';
import type { Policy } from '../policy/types';
import { reason, type Reason } from '../reasons/names';
import { km } from './format';
import { whyParams } from '../reasons/why';

/** SPEC §5: mean Earth radius 6,371,008.8 m (IUGG). */
export const EARTH_RADIUS_M = 6371008.8;
const RAD = Math.PI / 180;

/** Great-circle distance by the haversine formula, metres. */
export function haversineM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const dLat = (lat2 - lat1) * RAD, dLon = (lon2 - lon1) * RAD;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}

export type GeoState = 'inside' | 'outside' | 'uncertain' | 'nofix';

export interface GeoInputs { fix: GpsFix | null; monoMs: number; implausible: { distanceM: number; speedKmh: number } | null }

export function checkGeo(p: Policy, g: GeoInputs): { state: GeoState; distanceM: number | null; reasons: Reason[] } {
  const site = p.site;
  const reasons: Reason[] = [];
  if (g.implausible) {
    reasons.push(reason('GEO_IMPLAUSIBLE_MOVE', {
      distanceKm: km(g.implausible.distanceM), speedKmh: Math.round(g.implausible.speedKmh), maxSpeedKmh: site.maxSpeedKmh }));
  }
  const f = g.fix;
  if (!f) { reasons.push(reason('GEO_NO_FIX', whyParams('FIX_NONE'))); return { state: 'nofix', distanceM: null, reasons }; }
  const ageS = (g.monoMs - f.monoMs) / 1000;
  if (ageS > site.maxFixAgeS) {
    reasons.push(reason('GEO_NO_FIX', whyParams('FIX_STALE', { ageS: Math.round(ageS), maxFixAgeS: site.maxFixAgeS })));
    return { state: 'nofix', distanceM: null, reasons };
  }
  const d = haversineM(site.lat, site.lon, f.lat, f.lon);
  const a = f.accuracyM;
  const params = { distanceKm: km(d), distanceM: Math.round(d), radiusKm: km(site.radiusM), radiusM: site.radiusM, accuracyM: Math.round(a) };
  if (d + a <= site.radiusM) return { state: 'inside', distanceM: d, reasons };
  if (d - a > site.radiusM) { reasons.push(reason('GEO_OUTSIDE', params)); return { state: 'outside', distanceM: d, reasons }; }
  reasons.push(reason('GEO_UNCERTAIN', params));
  return { state: 'uncertain', distanceM: d, reasons };
}

/** Speed implied by two consecutive fixes, km/h; the time between them is at least 1 s. */
export function impliedSpeedKmh(a: GpsFix, b: GpsFix): { distanceM: number; speedKmh: number } {
  const distanceM = haversineM(a.lat, a.lon, b.lat, b.lon);
  const dtS = Math.max(1, Math.abs(b.monoMs - a.monoMs) / 1000);
  return { distanceM, speedKmh: (distanceM / 1000) / (dtS / 3600) };
}
