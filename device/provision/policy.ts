// `preflight policy sign|show`: validates an operator's policy JSON with errors that name the field
// and the rule, adds the site's UTC offset transitions for its validity, signs it as COSE_Sign1.
// Refuses (SPEC §4) an unknown field, a zone that is not a canonical IANA name, a policy whose
// validUntil has passed by the clock it is judged by, and a signed form larger than terminals take.

import { WEEKDAY_WORDS, word } from '../../src/core/reasons/words';
import { readFileSync } from 'node:fs';
import { decode, encode } from '../../src/core/codec/cbor';
import { parseSign1, sign1, verifySign1 } from '../../src/core/crypto/cose';
import { POLICY_MAX_BYTES } from '../../src/core/policy/store';
import { problemsOf, problemsText, validatePolicy } from '../../src/core/policy/validate';
import type { Policy } from '../../src/core/policy/types';
import type { Lang } from '../../src/core/reasons/catalog';
import type { Problem } from '../../src/core/reasons/why';
import { fmtHm, fmtIso } from '../../src/core/time/iso';
import { WEEKDAYS } from '../../src/core/time/local';
import { offsetMinutes, transitions, zoneProblem } from '../../src/node/tz';
import { UsageError } from '../../src/node/errors';
import type { KeyPair } from '../../src/node/keys';

export { readJsonFile } from '../../src/node/json';
/** A policy that may not be signed: every problem, told in the language asked for. */
export class PolicyRefused extends UsageError {
  constructor(readonly problems: Problem[], lang: Lang = 'en') {
    super(`${lang === 'zh' ? '策略' : 'policy'}: ${problemsText(problems, lang, lang === 'zh' ? '；' : '; ')}`);
  }
}

/**
 * Validates authored JSON and returns it with `site.tz` added, ready to sign. `nowMs` is the clock
 * validUntil is judged by (SPEC §4): the signer's, or a scenario's start in the simulator.
 */
export function preparePolicy(json: unknown, nowMs: number, lang: Lang = 'en'): Record<string, unknown> {
  const v = validatePolicy(json, false);
  const problems = v.ok ? [] : problemsOf(v);
  const zone = v.ok ? v.value.site.timezone : (json as any)?.site?.timezone;
  const zp = typeof zone === 'string' && zone ? zoneProblem(zone) : null;
  if (zp && !problems.some((x) => x.figures.path === 'site.timezone')) problems.push(zp);
  if (v.ok && !zp && v.value.validUntilMs <= nowMs) {
    problems.push({ code: 'POLICY_EXPIRED_AT_SIGNING', figures: { validUntil: v.value.validUntil, now: fmtIso(nowMs, offsetMinutes(zone, nowMs)) } });
  }
  if (problems.length || !v.ok) throw new PolicyRefused(problems, lang);
  const p = v.value;
  const src = structuredClone(json) as Record<string, any>;
  src.site.tz = transitions(p.site.timezone, p.validFromMs - 86400_000, p.validUntilMs + 86400_000);
  const again = validatePolicy(src, true);
  if (!again.ok) throw new PolicyRefused(problemsOf(again), lang);
  return src;
}

/** Validates and signs (COSE_Sign1); refuses a signed form larger than a terminal accepts. */
export function signPolicy(json: unknown, key: KeyPair, nowMs: number, lang: Lang = 'en'): Uint8Array {
  const cose = sign1(encode(preparePolicy(json, nowMs, lang)), key.secretKey);
  if (cose.length > POLICY_MAX_BYTES) throw new PolicyRefused([{ code: 'POLICY_TOO_LARGE', figures: { bytes: cose.length, max: POLICY_MAX_BYTES } }], lang);
  return cose;
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

/**
 * What a file that should be a signed policy is instead, in one line: a COSE_Sign1 starts with
 * tag 18 (0xd2); JSON text or an empty file is named as such, never decoded as CBOR lengths.
 */
export function notSignedPolicy(bytes: Uint8Array): string | null {
  if (bytes.length === 0) return 'is empty, not a signed policy';
  if (bytes[0] === 0xd2) return null;
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09 || bytes[i] === 0xef || bytes[i] === 0xbb || bytes[i] === 0xbf)) i++;
  if (bytes[i] === 0x7b) return 'is JSON text, not a signed policy: sign it first with `preflight policy sign FILE --key OPERATOR.key --out P.cose`';
  if (bytes.length <= 4096 && /^[0-9a-f]{64}\s*$/.test(new TextDecoder().decode(bytes))) return 'is a key file, not a signed policy';
  return 'is not a signed policy (a COSE_Sign1 starts with CBOR tag 18, byte 0xd2)';
}

export function openPolicyFile(bytes: Uint8Array, pub: Uint8Array | null, name = 'the file'): ShownPolicy {
  const what = notSignedPolicy(bytes);
  if (what) throw new UsageError(`${name} ${what}`);
  const s = parseSign1(bytes, 'policy');
  if (!s.ok) throw new UsageError(`${name}: ${s.error}`);
  const d = decode(s.value.payload, 'policy payload');
  if (!d.ok) throw new UsageError(d.error);
  const v = validatePolicy(d.value, true);
  return {
    policy: d.value as Record<string, unknown>,
    signature: pub ? (verifySign1(s.value, pub) ? 'valid' : 'invalid') : 'unchecked',
    errors: v.ok ? null : v.error,
  };
}

/** The validUntil of a signed policy when it has passed at `nowMs` (SPEC §4), else null. */
export function policyExpiredAt(bytes: Uint8Array, nowMs: number): string | null {
  const s = parseSign1(bytes, 'policy');
  const d = s.ok ? decode(s.value.payload, 'policy payload') : null;
  const v = d && d.ok ? validatePolicy(d.value, true) : null;
  return v && v.ok && v.value.validUntilMs <= nowMs ? v.value.validUntil : null;
}

/** A text summary for people, in zh or en: hours in local time, the geofence as words, limits in yuan. */
export function describePolicy(raw: Record<string, unknown>, lang: Lang = 'en'): string {
  const v = validatePolicy(raw, true);
  const zh = lang === 'zh';
  if (!v.ok) return zh ? `策略无效：${v.error}` : `invalid policy: ${v.error}`;
  const p: Policy = v.value;
  const y = (m: number) => '¥' + (m / 100).toFixed(2);
  const ivs = (xs: [number, number][]) => xs.map((iv) => fmtHm(iv[0]) + '-' + fmtHm(iv[1])).join(zh ? '，' : ', ');
  const closed = zh ? '休息' : 'closed';
  const day = (d: string) => word(WEEKDAY_WORDS, d, lang);
  const chan = (c: 'card' | 'qr') => (zh ? (c === 'card' ? '银行卡' : '扫码') : c);
  const lines = zh ? [
    `策略版本 ${p.version}，有效期 ${p.validFrom} 至 ${p.validUntil}`,
    `商户 ${p.merchant.name}，商户号 ${p.merchant.mid}，终端号 ${p.merchant.tid}，MCC ${p.merchant.mcc}`,
    `经营地点：${p.site.lat.toFixed(5)}, ${p.site.lon.toFixed(5)} 周围 ${p.site.radiusM} 米内（时区 ${p.site.timezone}）；超过 ${p.site.maxFixAgeS} 秒的定位不算数；移动速度超过 ${p.site.maxSpeedKmh} 公里/小时视为异常`,
    '营业时间（当地时间）：',
    ...WEEKDAYS.map((d) => `  ${day(d)}：${p.hours.week[d].length ? ivs(p.hours.week[d]) : closed}`),
    ...p.hours.exceptions.map((e) => `  ${e.date}：${e.closed ? closed : ivs(e.intervals)}`),
    p.hours.nightRisk ? `  夜间风险时段 ${fmtHm(p.hours.nightRisk[0])}-${fmtHm(p.hours.nightRisk[1])}` : '  无夜间风险时段',
    ...(['card', 'qr'] as const).map((c) => `${chan(c)}限额：单笔 ${y(p.limits[c].singleMinor)}，每日 ${y(p.limits[c].dailyMinor)} / ${p.limits[c].dailyCount} 笔，每月 ${y(p.limits[c].monthlyMinor)}`),
    `频率：${p.limits.velocity.windowS} 秒内最多批准 ${p.limits.velocity.count} 笔`,
    `资源：可用内存 ≥ ${p.resources.minHeapFreeBytes} 字节，可用存储 ≥ ${p.resources.minStorageFreeBytes} 字节，每批最多 ${p.resources.batchMaxTxns} 笔（${Math.round(p.resources.batchWarnRatio * 100)}% 时提醒）`,
    ...p.merchant.qualifications.map((q) => `资质 ${q.kind} 于 ${q.expires} 到期`),
    `时钟：自上次校时起与单调时钟偏差超过 ${p.clock.maxSkewS} 秒即不可信`,
    `封签：至少每 ${p.sealing.maxUnsealedEntries} 条流水或 ${p.sealing.maxUnsealedS} 秒一次`,
    `遥测：心跳每 ${p.telemetry.heartbeatS} 秒；已封签的流水最多等 ${p.telemetry.uploadEveryS} 秒一起上送，每次最多 ${p.telemetry.uploadBatch} 条消息`,
    `时区切换点：${p.site.tz.length} 个`,
  ] : [
    `policy version ${p.version}, valid ${p.validFrom} to ${p.validUntil}`,
    `merchant ${p.merchant.name} mid ${p.merchant.mid} tid ${p.merchant.tid} MCC ${p.merchant.mcc}`,
    `site within ${p.site.radiusM} m of ${p.site.lat.toFixed(5)}, ${p.site.lon.toFixed(5)} (${p.site.timezone}); fixes older than ${p.site.maxFixAgeS} s do not count; moves faster than ${p.site.maxSpeedKmh} km/h are implausible`,
    'hours (local time):',
    ...WEEKDAYS.map((d) => `  ${d}: ${p.hours.week[d].length ? ivs(p.hours.week[d]) : closed}`),
    ...p.hours.exceptions.map((e) => `  ${e.date}: ${e.closed ? closed : ivs(e.intervals)}`),
    p.hours.nightRisk ? `  night risk ${fmtHm(p.hours.nightRisk[0])}-${fmtHm(p.hours.nightRisk[1])}` : '  no night-risk window',
    ...(['card', 'qr'] as const).map((c) => `limits ${c}: single ${y(p.limits[c].singleMinor)}, daily ${y(p.limits[c].dailyMinor)} / ${p.limits[c].dailyCount} txns, monthly ${y(p.limits[c].monthlyMinor)}`),
    `velocity: at most ${p.limits.velocity.count} approvals in ${p.limits.velocity.windowS} s`,
    `resources: heap >= ${p.resources.minHeapFreeBytes} B, storage >= ${p.resources.minStorageFreeBytes} B, batch <= ${p.resources.batchMaxTxns} (warn at ${Math.round(p.resources.batchWarnRatio * 100)}%)`,
    ...p.merchant.qualifications.map((q) => `qualification ${q.kind} expires ${q.expires}`),
    `clock: untrusted once it drifts more than ${p.clock.maxSkewS} s from the monotonic clock since the last sync`,
    `sealing: at least every ${p.sealing.maxUnsealedEntries} entries or ${p.sealing.maxUnsealedS} s`,
    `telemetry: heartbeat every ${p.telemetry.heartbeatS} s; sealed batches wait up to ${p.telemetry.uploadEveryS} s to travel together, at most ${p.telemetry.uploadBatch} messages at a time`,
    `tz transitions: ${p.site.tz.length}`,
  ];
  return lines.join('\n');
}
