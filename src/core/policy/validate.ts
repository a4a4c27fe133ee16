// Validates an operator's policy JSON (SPEC §4) and names every bad field with the rule it breaks,
// so `preflight policy sign` can tell an operator exactly what to fix. Shared by the CLI (before
// signing) and the agent (after verifying the signature): one set of rules, one place.

import { parseDate, parseHm, parseIsoMs } from '../time/iso';
import { WEEKDAYS, type Transitions } from '../time/local';
import { fail, ok, type Result } from '../util/result';
import type { ChannelLimits, Interval, Policy } from './types';

type J = Record<string, unknown>;
const isObj = (v: unknown): v is J => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
const MAX_MINOR = 1e13; // ¥100 billion: beyond any terminal; keeps sums exact in doubles

class Check {
  errors: string[] = [];
  bad(path: string, rule: string): void { if (this.errors.length < 50) this.errors.push(`${path}: ${rule}`); }
  obj(v: unknown, path: string): J {
    if (isObj(v)) return v;
    this.bad(path, 'must be an object'); return {};
  }
  int(v: unknown, path: string, min: number, max: number, dflt?: number): number {
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== 'number' || !Number.isInteger(v)) { this.bad(path, `must be an integer${v === undefined ? ' (missing)' : ''}`); return min; }
    if (v < min || v > max) { this.bad(path, `must be between ${min} and ${max}, got ${v}`); return min; }
    return v;
  }
  num(v: unknown, path: string, min: number, max: number, dflt?: number): number {
    if (v === undefined && dflt !== undefined) return dflt;
    if (typeof v !== 'number' || !Number.isFinite(v)) { this.bad(path, `must be a number${v === undefined ? ' (missing)' : ''}`); return min; }
    if (v < min || v > max) { this.bad(path, `must be between ${min} and ${max}, got ${v}`); return min; }
    return v;
  }
  str(v: unknown, path: string, re?: RegExp, rule?: string): string {
    if (typeof v !== 'string') { this.bad(path, `must be a string${v === undefined ? ' (missing)' : ''}`); return ''; }
    if (re && !re.test(v)) { this.bad(path, rule ?? `must match ${re}`); return v; }
    return v;
  }
  interval(v: unknown, path: string): Interval | null {
    if (!Array.isArray(v) || v.length !== 2) { this.bad(path, 'must be ["HH:MM","HH:MM"]'); return null; }
    const a = parseHm(v[0]), b = parseHm(v[1]);
    if (a === null) this.bad(`${path}[0]`, 'must be a time "HH:MM" (00:00 to 24:00)');
    if (b === null) this.bad(`${path}[1]`, 'must be a time "HH:MM" (00:00 to 24:00)');
    if (a === null || b === null) return null;
    if (a === b) { this.bad(path, 'start and end are equal: an empty interval (use "00:00","24:00" for all day)'); return null; }
    return [a, b];
  }
  intervals(v: unknown, path: string): Interval[] {
    if (!Array.isArray(v)) { this.bad(path, 'must be a list of ["HH:MM","HH:MM"] intervals (empty list: closed)'); return []; }
    if (v.length > 8) { this.bad(path, 'at most 8 intervals a day'); return []; }
    const out: Interval[] = [];
    v.forEach((x, i) => { const iv = this.interval(x, `${path}[${i}]`); if (iv) out.push(iv); });
    return out;
  }
  channel(v: unknown, path: string): ChannelLimits {
    const o = this.obj(v, path);
    const l = {
      singleMinor: this.int(o.singleMinor, `${path}.singleMinor`, 1, MAX_MINOR),
      dailyMinor: this.int(o.dailyMinor, `${path}.dailyMinor`, 1, MAX_MINOR),
      monthlyMinor: this.int(o.monthlyMinor, `${path}.monthlyMinor`, 1, MAX_MINOR),
      dailyCount: this.int(o.dailyCount, `${path}.dailyCount`, 1, 1_000_000),
    };
    if (l.singleMinor > l.dailyMinor) this.bad(`${path}.singleMinor`, `must not exceed dailyMinor (${l.dailyMinor})`);
    if (l.dailyMinor > l.monthlyMinor) this.bad(`${path}.dailyMinor`, `must not exceed monthlyMinor (${l.monthlyMinor})`);
    return l;
  }
}

/** Validates tz transitions added by the host tools (policy.site.tz). */
function transitions(c: Check, v: unknown, path: string): Transitions {
  if (!Array.isArray(v) || v.length === 0 || v.length > 400) {
    c.bad(path, 'must be a non-empty list of [fromEpochMs, offsetMinutes] (added by `preflight policy sign`)');
    return [[0, 0]];
  }
  const out: Transitions = [];
  let last = -Infinity;
  v.forEach((x, i) => {
    if (!Array.isArray(x) || x.length !== 2 || !Number.isSafeInteger(x[0]) || !Number.isInteger(x[1]) || Math.abs(x[1]) > 18 * 60) {
      c.bad(`${path}[${i}]`, 'must be [fromEpochMs, offsetMinutes within ±18h]'); return;
    }
    if (x[0] <= last) { c.bad(`${path}[${i}]`, 'transitions must be sorted by time'); return; }
    last = x[0];
    out.push([x[0], x[1]]);
  });
  return out.length ? out : [[0, 0]];
}

/**
 * `needTz`: the agent requires the signed offset transitions; the CLI validates before adding them.
 */
export function validatePolicy(input: unknown, needTz = true): Result<Policy> {
  const c = new Check();
  if (!isObj(input)) return fail('policy: must be a JSON object');
  const p = input;
  const version = c.int(p.version, 'version', 1, 2 ** 31 - 1);
  const validFromMs = parseIsoMs(p.validFrom);
  const validUntilMs = parseIsoMs(p.validUntil);
  if (validFromMs === null) c.bad('validFrom', 'must be an RFC 3339 time with offset, e.g. "2026-01-01T00:00:00+08:00"');
  if (validUntilMs === null) c.bad('validUntil', 'must be an RFC 3339 time with offset, e.g. "2027-01-01T00:00:00+08:00"');
  if (validFromMs !== null && validUntilMs !== null && validUntilMs <= validFromMs) c.bad('validUntil', 'must be after validFrom');

  const m = c.obj(p.merchant, 'merchant');
  const mid = c.str(m.mid, 'merchant.mid', /^\d{15}$/, 'must be 15 digits: acquirer(3) area(4) MCC(4) serial(4)');
  const mcc = c.str(m.mcc, 'merchant.mcc', /^\d{4}$/, 'must be a 4-digit MCC');
  if (/^\d{15}$/.test(mid) && /^\d{4}$/.test(mcc) && mid.slice(7, 11) !== mcc) {
    c.bad('merchant.mcc', `must equal the MCC part of merchant.mid (${mid.slice(7, 11)})`);
  }
  const quals: Policy['merchant']['qualifications'] = [];
  if (m.qualifications !== undefined && !Array.isArray(m.qualifications)) c.bad('merchant.qualifications', 'must be a list');
  (Array.isArray(m.qualifications) ? m.qualifications : []).slice(0, 20).forEach((q, i) => {
    const qo = c.obj(q, `merchant.qualifications[${i}]`);
    const kind = c.str(qo.kind, `merchant.qualifications[${i}].kind`);
    const day = parseDate(qo.expires);
    if (day === null) c.bad(`merchant.qualifications[${i}].expires`, 'must be a date "YYYY-MM-DD"');
    else quals.push({ kind, expires: qo.expires as string, expiresDay: day });
  });
  const merchant = {
    mid, mcc, qualifications: quals,
    tid: c.str(m.tid, 'merchant.tid', /^[0-9A-Za-z]{8}$/, 'must be 8 characters (field 41)'),
    name: c.str(m.name, 'merchant.name', /^.{1,40}$/, 'must be 1 to 40 characters (field 43)'),
  };

  const s = c.obj(p.site, 'site');
  const site = {
    lat: c.num(s.lat, 'site.lat', -90, 90),
    lon: c.num(s.lon, 'site.lon', -180, 180),
    radiusM: c.num(s.radiusM, 'site.radiusM', 1, 1_000_000),
    timezone: c.str(s.timezone, 'site.timezone', /^[A-Za-z_+\-/0-9]{1,64}$/, 'must be an IANA zone name like "Asia/Shanghai"'),
    maxFixAgeS: c.int(s.maxFixAgeS, 'site.maxFixAgeS', 1, 7 * 86400, 600),
    maxSpeedKmh: c.num(s.maxSpeedKmh, 'site.maxSpeedKmh', 1, 2000, 300),
    tz: needTz ? transitions(c, s.tz, 'site.tz') : ([[0, 0]] as Transitions),
  };

  const h = c.obj(p.hours, 'hours');
  const week = {} as Policy['hours']['week'];
  for (const d of WEEKDAYS) week[d] = c.intervals(h[d] ?? [], `hours.${d}`);
  const exceptions: Policy['hours']['exceptions'] = [];
  if (h.exceptions !== undefined && !Array.isArray(h.exceptions)) c.bad('hours.exceptions', 'must be a list');
  (Array.isArray(h.exceptions) ? h.exceptions : []).slice(0, 366).forEach((e, i) => {
    const eo = c.obj(e, `hours.exceptions[${i}]`);
    const day = parseDate(eo.date);
    if (day === null) { c.bad(`hours.exceptions[${i}].date`, 'must be a date "YYYY-MM-DD"'); return; }
    const closed = eo.closed === true;
    if (eo.closed !== undefined && typeof eo.closed !== 'boolean') c.bad(`hours.exceptions[${i}].closed`, 'must be true or false');
    const intervals = eo.intervals === undefined ? [] : c.intervals(eo.intervals, `hours.exceptions[${i}].intervals`);
    if (!closed && eo.intervals === undefined) c.bad(`hours.exceptions[${i}]`, 'needs "closed": true or its own "intervals"');
    exceptions.push({ day, date: eo.date as string, closed, intervals });
  });
  const nightRisk = h.nightRisk === undefined ? null : c.interval(h.nightRisk, 'hours.nightRisk');

  const l = c.obj(p.limits, 'limits');
  const v = c.obj(l.velocity ?? { count: 1_000_000, windowS: 1 }, 'limits.velocity');
  const limits = {
    card: c.channel(l.card, 'limits.card'),
    qr: c.channel(l.qr, 'limits.qr'),
    velocity: { count: c.int(v.count, 'limits.velocity.count', 1, 1_000_000), windowS: c.int(v.windowS, 'limits.velocity.windowS', 1, 86400) },
  };
  const r = c.obj(p.resources ?? {}, 'resources');
  const resources = {
    minHeapFreeBytes: c.int(r.minHeapFreeBytes, 'resources.minHeapFreeBytes', 0, 1 << 30, 65536),
    minStorageFreeBytes: c.int(r.minStorageFreeBytes, 'resources.minStorageFreeBytes', 0, 1 << 30, 10240),
    batchMaxTxns: c.int(r.batchMaxTxns, 'resources.batchMaxTxns', 1, 100_000, 500),
    batchWarnRatio: c.num(r.batchWarnRatio, 'resources.batchWarnRatio', 0.01, 1, 0.9),
  };
  const ck = c.obj(p.clock ?? {}, 'clock');
  const se = c.obj(p.sealing ?? {}, 'sealing');
  const te = c.obj(p.telemetry ?? {}, 'telemetry');
  const policy: Policy = {
    version, validFrom: p.validFrom as string, validUntil: p.validUntil as string,
    validFromMs: validFromMs ?? 0, validUntilMs: validUntilMs ?? 0,
    merchant, site, hours: { week, exceptions, nightRisk }, limits, resources,
    clock: { maxSkewS: c.int(ck.maxSkewS, 'clock.maxSkewS', 1, 86400, 300) },
    sealing: {
      maxUnsealedEntries: c.int(se.maxUnsealedEntries, 'sealing.maxUnsealedEntries', 1, 10_000, 16),
      maxUnsealedS: c.int(se.maxUnsealedS, 'sealing.maxUnsealedS', 1, 86400, 60),
    },
    telemetry: {
      heartbeatS: c.int(te.heartbeatS, 'telemetry.heartbeatS', 10, 86400, 300),
      uploadBatch: c.int(te.uploadBatch, 'telemetry.uploadBatch', 1, 500, 32),
    },
    source: p,
  };
  if (c.errors.length) return fail(c.errors.join('; '), { errors: c.errors });
  return ok(policy);
}
