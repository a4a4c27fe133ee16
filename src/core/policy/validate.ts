// Validates an operator's policy JSON (SPEC §4) and names every bad field with the rule it breaks,
// so `preflight policy sign` can tell an operator exactly what to fix. Shared by the CLI (before
// signing) and the agent (after verifying the signature): one set of rules, one place. A field
// the contract does not know is refused with the nearest known name: a misspelt field must never
// fall back to a default or switch a rule off in silence. Every problem is a code with figures
// (reasons/why.ts), told in zh-CN or English.

import { parseDate, parseHm, parseIsoMs } from '../time/iso';
import { WEEKDAYS, type Transitions } from '../time/local';
import { whyEn, type Figures, type Problem, type WhyCode } from '../reasons/why';
import { whyText } from '../reasons/why-zh';
import type { Lang } from '../reasons/names';
import { fail, ok, type Result } from '../util/result';
import { UPLOAD_EVERY_S } from '../telemetry/telemetry';
import type { ChannelLimits, Interval, Policy } from './types';

type J = Record<string, unknown>;
const isObj = (v: unknown): v is J => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
const MAX_MINOR = 1e13; // ¥100 billion: beyond any terminal; keeps sums exact in doubles

/** The fields the contract knows, per object (SPEC §4); the JSON Schema says the same. */
export const POLICY_FIELDS = {
  policy: ['$schema', 'version', 'validFrom', 'validUntil', 'merchant', 'site', 'hours', 'limits', 'resources', 'clock', 'sealing', 'telemetry'],
  merchant: ['mid', 'tid', 'name', 'mcc', 'qualifications'],
  qualification: ['kind', 'expires'],
  site: ['lat', 'lon', 'radiusM', 'timezone', 'maxFixAgeS', 'maxSpeedKmh', 'tz'],
  hours: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun', 'exceptions', 'nightRisk'],
  exception: ['date', 'closed', 'intervals'],
  limits: ['card', 'qr', 'velocity'],
  channel: ['singleMinor', 'dailyMinor', 'monthlyMinor', 'dailyCount'],
  velocity: ['count', 'windowS'],
  resources: ['minHeapFreeBytes', 'minStorageFreeBytes', 'batchMaxTxns', 'batchWarnRatio'],
  clock: ['maxSkewS'],
  sealing: ['maxUnsealedEntries', 'maxUnsealedS'],
  telemetry: ['heartbeatS', 'uploadBatch', 'uploadEveryS'],
} as const;

export const MAX_QUALIFICATIONS = 20;
export const MAX_EXCEPTIONS = 366;
export const MAX_KIND_CHARS = 40;

/** Edit distance, for "did you mean" (small strings only). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!; d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

/** The known name `got` most likely meant, or null when none is close. */
export function nearestName(got: string, known: readonly string[]): string | null {
  const lower = got.toLowerCase();
  const same = known.find((k) => k.toLowerCase() === lower);
  if (same) return same;
  let best: string | null = null, bestD = Infinity;
  for (const k of known) {
    const dd = distance(lower, k.toLowerCase());
    if (dd < bestD) { best = k; bestD = dd; }
  }
  return best !== null && bestD <= Math.max(2, Math.floor(got.length / 3)) ? best : null;
}

const shown = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  const s = typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v);   // 1e400 reads as Infinity, not JSON's null
  return s.length > 24 ? s.slice(0, 21) + '...' : s;
};

class Check {
  problems: Problem[] = [];
  bad(code: WhyCode, figures: Figures): void { if (this.problems.length < 50) this.problems.push({ code, figures }); }
  /** An object whose keys must all be `known`; `v` undefined reads as {} when `optional`. */
  obj(v: unknown, path: string, known: readonly string[], optional = false): J {
    if (v === undefined && optional) return {};
    if (!isObj(v)) { this.bad(v === undefined ? 'MISSING' : 'NOT_OBJECT', { path }); return {}; }
    for (const k of Object.keys(v)) {
      if (known.indexOf(k) >= 0) continue;
      const near = nearestName(k, known);
      const top = path === '';
      if (near) this.bad(top ? 'UNKNOWN_TOP_FIELD_NEAR' : 'UNKNOWN_FIELD_NEAR', { path, field: k, near });
      else this.bad(top ? 'UNKNOWN_TOP_FIELD' : 'UNKNOWN_FIELD', { path, field: k, known: known.filter((x) => x !== '$schema').join(', ') });
    }
    return v;
  }
  list(v: unknown, path: string, max: number): unknown[] {
    if (v === undefined) return [];
    if (!Array.isArray(v)) { this.bad('NOT_LIST', { path }); return []; }
    if (v.length > max) { this.bad('TOO_MANY', { path, max, got: v.length }); return v.slice(0, max); }
    return v;
  }
  int(v: unknown, path: string, min: number, max: number, dflt?: number): number {
    if (v === undefined && dflt !== undefined) return dflt;
    if (v === undefined) { this.bad('MISSING', { path }); return min; }
    if (typeof v !== 'number' || !Number.isInteger(v)) { this.bad('NOT_INTEGER', { path, got: shown(v) }); return min; }
    if (v < min || v > max) { this.bad('OUT_OF_RANGE', { path, min, max, got: v }); return min; }
    return v;
  }
  num(v: unknown, path: string, min: number, max: number, dflt?: number): number {
    if (v === undefined && dflt !== undefined) return dflt;
    if (v === undefined) { this.bad('MISSING', { path }); return min; }
    if (typeof v !== 'number' || !Number.isFinite(v)) { this.bad('NOT_NUMBER', { path, got: shown(v) }); return min; }
    if (v < min || v > max) { this.bad('OUT_OF_RANGE', { path, min, max, got: v }); return min; }
    return v;
  }
  str(v: unknown, path: string, re?: RegExp, code?: WhyCode): string {
    if (v === undefined) { this.bad('MISSING', { path }); return ''; }
    if (typeof v !== 'string') { this.bad('NOT_STRING', { path, got: shown(v) }); return ''; }
    if (re && !re.test(v)) { this.bad(code!, { path, got: shown(v) }); return v; }
    return v;
  }
  interval(v: unknown, path: string): Interval | null {
    if (!Array.isArray(v) || v.length !== 2) { this.bad('BAD_INTERVAL', { path }); return null; }
    const a = parseHm(v[0]), b = parseHm(v[1]);
    if (a === null) this.bad('BAD_HM', { path: `${path}[0]` });
    if (b === null) this.bad('BAD_HM', { path: `${path}[1]` });
    if (a === null || b === null) return null;
    if (a === b) { this.bad('EMPTY_INTERVAL', { path }); return null; }
    return [a, b];
  }
  intervals(v: unknown, path: string): Interval[] {
    const out: Interval[] = [];
    this.list(v, path, 8).forEach((x, i) => { const iv = this.interval(x, `${path}[${i}]`); if (iv) out.push(iv); });
    return out;
  }
  channel(v: unknown, path: string): ChannelLimits {
    const o = this.obj(v, path, POLICY_FIELDS.channel);
    const l = {
      singleMinor: this.int(o.singleMinor, `${path}.singleMinor`, 1, MAX_MINOR),
      dailyMinor: this.int(o.dailyMinor, `${path}.dailyMinor`, 1, MAX_MINOR),
      monthlyMinor: this.int(o.monthlyMinor, `${path}.monthlyMinor`, 1, MAX_MINOR),
      dailyCount: this.int(o.dailyCount, `${path}.dailyCount`, 1, 1_000_000),
    };
    if (l.singleMinor > l.dailyMinor) this.bad('LIMIT_ORDER', { path: `${path}.singleMinor`, value: l.singleMinor, other: 'dailyMinor', otherValue: l.dailyMinor });
    if (l.dailyMinor > l.monthlyMinor) this.bad('LIMIT_ORDER', { path: `${path}.dailyMinor`, value: l.dailyMinor, other: 'monthlyMinor', otherValue: l.monthlyMinor });
    return l;
  }
}

/** Validates tz transitions added by the host tools (policy.site.tz). */
function transitions(c: Check, v: unknown, path: string): Transitions {
  if (!Array.isArray(v) || v.length === 0 || v.length > 400) { c.bad('TZ_TABLE', { path }); return [[0, 0]]; }
  const out: Transitions = [];
  let last = -Infinity;
  v.forEach((x, i) => {
    if (!Array.isArray(x) || x.length !== 2 || !Number.isSafeInteger(x[0]) || !Number.isInteger(x[1]) || Math.abs(x[1]) > 18 * 60 || x[0] <= last) {
      c.bad('TZ_TABLE', { path: `${path}[${i}]` }); return;
    }
    last = x[0];
    out.push([x[0], x[1]]);
  });
  return out.length ? out : [[0, 0]];
}

/** Every problem as sentences in `lang`, one per line. */
export function problemsText(problems: readonly Problem[], lang: Lang, sep = '; '): string {
  return problems.map((p) => whyText(p.code, p.figures, lang)).join(sep);
}

/** The problems a failed validation carries (detail.problems). */
export const problemsOf = (f: { detail?: Record<string, unknown> }): Problem[] => (f.detail?.problems as Problem[] | undefined) ?? [];

/**
 * `needTz`: the agent requires the signed offset transitions; the CLI validates before adding them.
 */
export function validatePolicy(input: unknown, needTz = true): Result<Policy> {
  const c = new Check();
  if (!isObj(input)) return fail(whyEn('POLICY_NOT_JSON_OBJECT', {}), { problems: [{ code: 'POLICY_NOT_JSON_OBJECT', figures: {} }] });
  const p = c.obj(input, '', POLICY_FIELDS.policy);
  const version = c.int(p.version, 'version', 1, 2 ** 31 - 1);
  const validFromMs = parseIsoMs(p.validFrom);
  const validUntilMs = parseIsoMs(p.validUntil);
  if (validFromMs === null) c.bad(p.validFrom === undefined ? 'MISSING' : 'BAD_TIME', { path: 'validFrom', example: '2026-01-01T00:00:00+08:00' });
  if (validUntilMs === null) c.bad(p.validUntil === undefined ? 'MISSING' : 'BAD_TIME', { path: 'validUntil', example: '2027-01-01T00:00:00+08:00' });
  if (validFromMs !== null && validUntilMs !== null && validUntilMs <= validFromMs) c.bad('VALID_ORDER', { validFrom: String(p.validFrom), validUntil: String(p.validUntil) });

  const m = c.obj(p.merchant, 'merchant', POLICY_FIELDS.merchant);
  const mid = c.str(m.mid, 'merchant.mid', /^\d{15}$/, 'MID_FORMAT');
  const mcc = c.str(m.mcc, 'merchant.mcc', /^\d{4}$/, 'MCC_FORMAT');
  if (/^\d{15}$/.test(mid) && /^\d{4}$/.test(mcc) && mid.slice(7, 11) !== mcc) c.bad('MCC_NOT_IN_MID', { path: 'merchant.mcc', midMcc: mid.slice(7, 11) });
  const quals: Policy['merchant']['qualifications'] = [];
  c.list(m.qualifications, 'merchant.qualifications', MAX_QUALIFICATIONS).forEach((q, i) => {
    const path = `merchant.qualifications[${i}]`;
    const qo = c.obj(q, path, POLICY_FIELDS.qualification);
    const kind = c.str(qo.kind, `${path}.kind`);
    if (kind.length > MAX_KIND_CHARS) c.bad('TOO_LONG', { path: `${path}.kind`, max: MAX_KIND_CHARS, got: kind.length });
    const day = parseDate(qo.expires);
    if (day === null) c.bad(qo.expires === undefined ? 'MISSING' : 'BAD_DATE', { path: `${path}.expires` });
    else quals.push({ kind, expires: qo.expires as string, expiresDay: day });
  });
  const merchant = {
    mid, mcc, qualifications: quals,
    tid: c.str(m.tid, 'merchant.tid', /^[0-9A-Za-z]{8}$/, 'TID_FORMAT'),
    name: c.str(m.name, 'merchant.name', /^.{1,40}$/, 'NAME_FORMAT'),
  };

  const s = c.obj(p.site, 'site', POLICY_FIELDS.site);
  const site = {
    lat: c.num(s.lat, 'site.lat', -90, 90),
    lon: c.num(s.lon, 'site.lon', -180, 180),
    radiusM: c.num(s.radiusM, 'site.radiusM', 1, 1_000_000),
    timezone: c.str(s.timezone, 'site.timezone', /^[A-Za-z_+\-/0-9]{1,64}$/, 'TZ_FORMAT'),
    maxFixAgeS: c.int(s.maxFixAgeS, 'site.maxFixAgeS', 1, 7 * 86400, 600),
    maxSpeedKmh: c.num(s.maxSpeedKmh, 'site.maxSpeedKmh', 1, 2000, 300),
    tz: needTz ? transitions(c, s.tz, 'site.tz') : ([[0, 0]] as Transitions),
  };

  const h = c.obj(p.hours, 'hours', POLICY_FIELDS.hours);
  const week = {} as Policy['hours']['week'];
  for (const d of WEEKDAYS) week[d] = c.intervals(h[d] ?? [], `hours.${d}`);
  const exceptions: Policy['hours']['exceptions'] = [];
  c.list(h.exceptions, 'hours.exceptions', MAX_EXCEPTIONS).forEach((e, i) => {
    const path = `hours.exceptions[${i}]`;
    const eo = c.obj(e, path, POLICY_FIELDS.exception);
    const day = parseDate(eo.date);
    if (day === null) { c.bad(eo.date === undefined ? 'MISSING' : 'BAD_DATE', { path: `${path}.date` }); return; }
    const closed = eo.closed === true;
    if (eo.closed !== undefined && typeof eo.closed !== 'boolean') c.bad('NOT_BOOLEAN', { path: `${path}.closed` });
    const intervals = eo.intervals === undefined ? [] : c.intervals(eo.intervals, `${path}.intervals`);
    if (!closed && eo.intervals === undefined) c.bad('EXCEPTION_NEEDS', { path });
    exceptions.push({ day, date: eo.date as string, closed, intervals });
  });
  const nightRisk = h.nightRisk === undefined ? null : c.interval(h.nightRisk, 'hours.nightRisk');

  const l = c.obj(p.limits, 'limits', POLICY_FIELDS.limits);
  const v = c.obj(l.velocity ?? { count: 1_000_000, windowS: 1 }, 'limits.velocity', POLICY_FIELDS.velocity);
  const limits = {
    card: c.channel(l.card, 'limits.card'),
    qr: c.channel(l.qr, 'limits.qr'),
    velocity: { count: c.int(v.count, 'limits.velocity.count', 1, 1_000_000), windowS: c.int(v.windowS, 'limits.velocity.windowS', 1, 86400) },
  };
  const r = c.obj(p.resources, 'resources', POLICY_FIELDS.resources, true);
  const resources = {
    minHeapFreeBytes: c.int(r.minHeapFreeBytes, 'resources.minHeapFreeBytes', 0, 1 << 30, 65536),
    minStorageFreeBytes: c.int(r.minStorageFreeBytes, 'resources.minStorageFreeBytes', 0, 1 << 30, 10240),
    batchMaxTxns: c.int(r.batchMaxTxns, 'resources.batchMaxTxns', 1, 100_000, 500),
    batchWarnRatio: c.num(r.batchWarnRatio, 'resources.batchWarnRatio', 0.01, 1, 0.9),
  };
  const ck = c.obj(p.clock, 'clock', POLICY_FIELDS.clock, true);
  const se = c.obj(p.sealing, 'sealing', POLICY_FIELDS.sealing, true);
  const te = c.obj(p.telemetry, 'telemetry', POLICY_FIELDS.telemetry, true);
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
      uploadEveryS: c.int(te.uploadEveryS, 'telemetry.uploadEveryS', 0, 86400, UPLOAD_EVERY_S),
    },
    source: p,
  };
  if (c.problems.length) return fail(c.problems.map((x) => whyEn(x.code, x.figures)).join('; '), { problems: c.problems });
  return ok(policy);
}
