// `preflight policy sign|show`: validates an operator's policy JSON with errors that name the field
// and the rule, adds the site's UTC offset transitions for its validity, signs it as COSE_Sign1.

import { readFileSync } from 'node:fs';
import { decode, encode } from '../../src/core/codec/cbor';
import { parseSign1, sign1, verifySign1 } from '../../src/core/crypto/cose';
import { validatePolicy } from '../../src/core/policy/validate';
import type { Policy } from '../../src/core/policy/types';
import { fmtHm } from '../../src/core/time/iso';
import { WEEKDAYS } from '../../src/core/time/local';
import { isValidZone, transitions } from '../../src/node/tz';
import { UsageError } from '../../src/node/errors';
import type { KeyPair } from '../../src/node/keys';

export { readJsonFile } from '../../src/node/json';

/** Validates authored JSON and returns it with `site.tz` added, ready to sign. */
export function preparePolicy(json: unknown): Record<string, unknown> {
  const v = validatePolicy(json, false);
  if (!v.ok) throw new UsageError(`policy: ${v.error}`);
  const p = v.value;
  if (!isValidZone(p.site.timezone)) throw new UsageError(`policy: site.timezone: "${p.site.timezone}" is not an IANA time zone this machine knows`);
  const src = structuredClone(json) as Record<string, any>;
  src.site.tz = transitions(p.site.timezone, p.validFromMs - 86400_000, p.validUntilMs + 86400_000);
  const again = validatePolicy(src, true);
  if (!again.ok) throw new UsageError(`policy: ${again.error}`);
  return src;
}

export function signPolicy(json: unknown, key: KeyPair): Uint8Array {
  return sign1(encode(preparePolicy(json)), key.secretKey);
}

/**
 * The version a signed policy names, read WITHOUT checking its signature: for comparing versions
 * (the loader, the policy floor of SPEC §4) only; the agent checks the signature before it trusts one.
 * null when the bytes are not a COSE_Sign1 whose payload has an integer version.
 */
export function signedPolicyVersion(bytes: Uint8Array | null): number | null {
  const s = bytes ? parseSign1(bytes, 'policy') : null;
  const d = s && s.ok ? decode(s.value.payload, 'policy payload') : null;
  const v = d && d.ok && d.value && typeof d.value === 'object' ? (d.value as { version?: unknown }).version : null;
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null;
}

export interface ShownPolicy { policy: Record<string, unknown> | null; signature: 'valid' | 'invalid' | 'unchecked'; errors: string | null }

export function openPolicyFile(bytes: Uint8Array, pub: Uint8Array | null): ShownPolicy {
  const s = parseSign1(bytes, 'policy');
  if (!s.ok) throw new UsageError(s.error);
  const d = decode(s.value.payload, 'policy payload');
  if (!d.ok) throw new UsageError(d.error);
  const v = validatePolicy(d.value, true);
  return {
    policy: d.value as Record<string, unknown>,
    signature: pub ? (verifySign1(s.value, pub) ? 'valid' : 'invalid') : 'unchecked',
    errors: v.ok ? null : v.error,
  };
}

/** A text summary for people: hours in local time, the geofence as words, limits in yuan. */
export function describePolicy(raw: Record<string, unknown>): string {
  const v = validatePolicy(raw, true);
  if (!v.ok) return `invalid policy: ${v.error}`;
  const p: Policy = v.value;
  const y = (m: number) => '¥' + (m / 100).toFixed(2);
  const lines = [
    `policy version ${p.version}, valid ${p.validFrom} to ${p.validUntil}`,
    `merchant ${p.merchant.name} mid ${p.merchant.mid} tid ${p.merchant.tid} MCC ${p.merchant.mcc}`,
    `site within ${p.site.radiusM} m of ${p.site.lat.toFixed(5)}, ${p.site.lon.toFixed(5)} (${p.site.timezone}); fixes older than ${p.site.maxFixAgeS} s do not count; moves faster than ${p.site.maxSpeedKmh} km/h are implausible`,
    'hours (local time):',
    ...WEEKDAYS.map((d) => `  ${d}: ${p.hours.week[d].length ? p.hours.week[d].map((iv) => fmtHm(iv[0]) + '-' + fmtHm(iv[1])).join(', ') : 'closed'}`),
    ...p.hours.exceptions.map((e) => `  ${e.date}: ${e.closed ? 'closed' : e.intervals.map((iv) => fmtHm(iv[0]) + '-' + fmtHm(iv[1])).join(', ')}`),
    p.hours.nightRisk ? `  night risk ${fmtHm(p.hours.nightRisk[0])}-${fmtHm(p.hours.nightRisk[1])}` : '  no night-risk window',
    ...(['card', 'qr'] as const).map((c) => `limits ${c}: single ${y(p.limits[c].singleMinor)}, daily ${y(p.limits[c].dailyMinor)} / ${p.limits[c].dailyCount} txns, monthly ${y(p.limits[c].monthlyMinor)}`),
    `velocity: at most ${p.limits.velocity.count} approvals in ${p.limits.velocity.windowS} s`,
    `resources: heap >= ${p.resources.minHeapFreeBytes} B, storage >= ${p.resources.minStorageFreeBytes} B, batch <= ${p.resources.batchMaxTxns} (warn at ${Math.round(p.resources.batchWarnRatio * 100)}%)`,
    ...p.merchant.qualifications.map((q) => `qualification ${q.kind} expires ${q.expires}`),
    `tz transitions: ${p.site.tz.length}`,
  ];
  return lines.join('\n');
}
