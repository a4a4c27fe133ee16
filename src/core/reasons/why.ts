// Why something was refused, as a stable code with its figures and a whole sentence in zh-CN and
// English (SPEC §3: messages in the language asked for). Policy validation (§4), transaction
// checks (§5) and signed input (§6) answer with these; a reason that carries one (`whyCode` among
// its params) is told in the reader's language, never in the language of the code that refused.

import type { Lang } from './catalog';
import { fail, type Fail } from '../util/result';

export type Figures = Record<string, string | number>;

export const WHY = {
  // Policy fields (SPEC §4). {path} is the field as written in the JSON, e.g. hours.mon[0][1].
  NOT_OBJECT: { zh: '{path} 必须是一个对象 {…}', en: '{path}: must be an object' },
  NOT_LIST: { zh: '{path} 必须是一个列表 […]', en: '{path}: must be a list' },
  MISSING: { zh: '缺少必填字段 {path}', en: '{path}: is required (missing)' },
  UNKNOWN_FIELD_NEAR: { zh: '{path} 中没有字段“{field}”，您是否想写“{near}”？', en: '{path}: unknown field "{field}"; did you mean "{near}"?' },
  UNKNOWN_FIELD: { zh: '{path} 中没有字段“{field}”（可用的字段：{known}）', en: '{path}: unknown field "{field}" (known fields: {known})' },
  UNKNOWN_TOP_FIELD_NEAR: { zh: '策略中没有字段“{field}”，您是否想写“{near}”？', en: 'unknown field "{field}"; did you mean "{near}"?' },
  UNKNOWN_TOP_FIELD: { zh: '策略中没有字段“{field}”（可用的字段：{known}）', en: 'unknown field "{field}" (known fields: {known})' },
  NOT_INTEGER: { zh: '{path} 必须是整数，实际为 {got}', en: '{path}: must be an integer, got {got}' },
  NOT_NUMBER: { zh: '{path} 必须是数字，实际为 {got}', en: '{path}: must be a number, got {got}' },
  NOT_STRING: { zh: '{path} 必须是文本，实际为 {got}', en: '{path}: must be a string, got {got}' },
  NOT_BOOLEAN: { zh: '{path} 必须是 true 或 false', en: '{path}: must be true or false' },
  OUT_OF_RANGE: { zh: '{path} 必须在 {min} 到 {max} 之间，实际为 {got}', en: '{path}: must be between {min} and {max}, got {got}' },
  TOO_MANY: { zh: '{path} 最多 {max} 项，实际有 {got} 项', en: '{path}: at most {max} items, got {got}' },
  TOO_LONG: { zh: '{path} 最多 {max} 个字符，实际有 {got} 个', en: '{path}: at most {max} characters, got {got}' },
  BAD_TIME: { zh: '{path} 必须是带时区偏移的 RFC 3339 时间，例如“{example}”', en: '{path}: must be an RFC 3339 time with offset, e.g. "{example}"' },
  BAD_DATE: { zh: '{path} 必须是日期“YYYY-MM-DD”，例如“2026-10-01”', en: '{path}: must be a date "YYYY-MM-DD", e.g. "2026-10-01"' },
  BAD_HM: { zh: '{path} 必须是当地时间“HH:MM”（00:00 到 24:00）', en: '{path}: must be a local time "HH:MM" (00:00 to 24:00)' },
  BAD_INTERVAL: { zh: '{path} 必须是 ["HH:MM","HH:MM"]（开始、结束）', en: '{path}: must be ["HH:MM","HH:MM"] (start, end)' },
  EMPTY_INTERVAL: { zh: '{path} 的开始与结束相同，是一个空时段（全天请写 "00:00","24:00"）', en: '{path}: start and end are equal, an empty interval (use "00:00","24:00" for all day)' },
  EXCEPTION_NEEDS: { zh: '{path} 需要写 "closed": true 或它自己的 "intervals"', en: '{path}: needs "closed": true or its own "intervals"' },
  VALID_ORDER: { zh: 'validUntil（{validUntil}）必须晚于 validFrom（{validFrom}）', en: 'validUntil ({validUntil}) must be after validFrom ({validFrom})' },
  POLICY_EXPIRED_AT_SIGNING: { zh: 'validUntil（{validUntil}）已经过去（现在是 {now}）：终端会拒绝过期的策略', en: 'validUntil ({validUntil}) has already passed (now is {now}): terminals refuse an expired policy' },
  MID_FORMAT: { zh: '{path} 必须是 15 位数字：收单机构(3) 地区(4) MCC(4) 序号(4)', en: '{path}: must be 15 digits: acquirer(3) area(4) MCC(4) serial(4)' },
  MCC_FORMAT: { zh: '{path} 必须是 4 位数字的 MCC', en: '{path}: must be a 4-digit MCC' },
  MCC_NOT_IN_MID: { zh: '{path} 必须等于 merchant.mid 中的 MCC 部分（{midMcc}）', en: '{path}: must equal the MCC part of merchant.mid ({midMcc})' },
  TID_FORMAT: { zh: '{path} 必须是 8 位字母或数字（41 域）', en: '{path}: must be 8 letters or digits (field 41)' },
  NAME_FORMAT: { zh: '{path} 必须是 1 到 40 个字符（43 域）', en: '{path}: must be 1 to 40 characters (field 43)' },
  LIMIT_ORDER: { zh: '{path}（{value}）不能超过 {other}（{otherValue}）', en: '{path} ({value}) must not exceed {other} ({otherValue})' },
  TZ_FORMAT: { zh: '{path} 必须是 IANA 时区名，例如“Asia/Shanghai”', en: '{path}: must be an IANA zone name like "Asia/Shanghai"' },
  TZ_CASE: { zh: '{path}“{got}”的大小写不对：请写“{near}”', en: '{path}: "{got}" has the wrong case: write "{near}"' },
  TZ_ALIAS: { zh: '{path}“{got}”只是别名，请写规范的 IANA 时区名“{near}”', en: '{path}: "{got}" is an alias: write the canonical IANA name "{near}"' },
  TZ_ABBREVIATION: { zh: '{path}“{got}”是时区缩写，在不同国家指不同的时区（例如 CST 既指中国标准时间也指美国中部时间）：请写店铺所在城市的 IANA 时区名，例如“Asia/Shanghai”', en: '{path}: "{got}" is an abbreviation that names different zones in different countries (CST is both China and US Central): write the IANA zone of the shop\'s city, e.g. "Asia/Shanghai"' },
  TZ_UNKNOWN: { zh: '{path}“{got}”不是本机时区数据中的 IANA 时区名（例如“Asia/Shanghai”“Asia/Urumqi”“Europe/Vienna”）', en: '{path}: "{got}" is not an IANA zone this machine\'s time-zone data knows (e.g. "Asia/Shanghai", "Asia/Urumqi", "Europe/Vienna")' },
  TZ_TABLE: { zh: '{path} 必须是按时间排序的 [起始毫秒, 偏移分钟] 列表（由 preflight policy sign 添加）', en: '{path}: must be a sorted list of [fromEpochMs, offsetMinutes] (added by `preflight policy sign`)' },
  POLICY_TOO_LARGE: { zh: '签名后的策略有 {bytes} 字节，终端最多接受 {max} 字节', en: 'the signed policy is {bytes} bytes; a terminal accepts at most {max}' },
  POLICY_NOT_JSON_OBJECT: { zh: '策略必须是一个 JSON 对象', en: 'a policy must be a JSON object' },
  // The policy a terminal holds (SPEC §4).
  NO_TRUST_ANCHOR: { zh: '镜像中没有运营方信任公钥', en: 'no operator trust anchor in the image' },
  VERSION_ROLLBACK: { zh: '版本 {version} 低于终端已持有的版本 {held}', en: 'version {version} is lower than the held version {held}' },
  // Signed input (SPEC §6).
  NOT_SIGN1: { zh: '{what}不是有效的 COSE_Sign1 签名数据', en: '{what}: not a COSE_Sign1 ({detail})' },
  SIG_UNTRUSTED: { zh: '{what}的签名与任何受信任的公钥都不符', en: '{what}: signature does not verify against any trusted key' },
  NOT_CBOR_DATA: { zh: '{what}不是完整可读的 CBOR 数据', en: '{detail}' },
  // Transaction requests (SPEC §5): TXN_INVALID.
  TXN_NOT_OBJECT: { zh: '交易请求必须是一个对象', en: 'txn must be an object' },
  TXN_REF: { zh: '交易参考号 ref 必须是 1 到 32 个字母、数字或 ._:-', en: 'ref must be 1-32 letters, digits or ._:-' },
  TXN_REF_USED: { zh: '交易参考号 {ref} 已经用过，每笔交易须用新的参考号', en: 'ref {ref} was already used; every transaction needs a new ref' },
  TXN_TYPE: { zh: '交易类型 type 必须是以下之一：{types}', en: 'type must be one of {types}' },
  TXN_CHANNEL: { zh: '渠道 channel 必须是 "card"（银行卡）或 "qr"（扫码）', en: 'channel must be "card" or "qr"' },
  TXN_AMOUNT: { zh: '金额 amountMinor 必须是 0 到 {max} 之间的整数（单位：分）', en: 'amountMinor must be an integer number of fen from 0 to {max}' },
  TXN_AMOUNT_ZERO: { zh: '金额 amountMinor 必须大于 0', en: 'amountMinor must be above 0' },
  TXN_ENTRY_MODE: { zh: '输入方式 entryMode（22 域）必须是文本', en: 'entryMode (field 22) must be a string' },
  TXN_COND_CODE: { zh: '条件码 conditionCode（25 域）必须是不超过 4 个字符的文本', en: 'conditionCode (field 25) must be a short string' },
  TXN_ORIGINAL: { zh: '原交易 original 必须是参考号文本', en: 'original must be a ref string' },
  // Field 22 (SPEC §5 Message rules): ENTRY_MODE_INVALID.
  EM_DIGITS: { zh: '必须是 3 位数字', en: 'must be 3 digits' },
  EM_PAN: { zh: '卡号输入方式 {pan} 未知', en: 'PAN mode {pan} unknown' },
  EM_PIN: { zh: '密码能力位 {pin} 未知', en: 'PIN digit {pin} unknown' },
  // Originals (SPEC §5 Message rules): ORIGINAL_NOT_FOUND and ORIGINAL_AMOUNT_EXCEEDED.
  ORIG_UNNAMED: { zh: '{txnType}必须写明原交易', en: 'a {txnType} must name its original' },
  ORIG_WRONG_TYPE: { zh: '它是{foundType}，不是{wantedType}', en: 'it is a {foundType}, not a {wantedType}' },
  ORIG_NOT_IN_JOURNAL: { zh: '本终端的流水中没有这笔交易', en: 'not in this terminal\'s journal' },
  ORIG_STATUS: { zh: '原交易的结果是“{status}”', en: 'it was {status}' },
  ORIG_VOIDED: { zh: '原交易已被撤销', en: 'it was already voided' },
  ORIG_EARLIER_BATCH: { zh: '原交易已在之前的批次结算，请改用退货', en: 'it was settled in an earlier batch; use a refund' },
  ORIG_COMPLETED: { zh: '该预授权已经完成过', en: 'the preauth was already completed' },
  RULE_VOID_EQUAL: { zh: '撤销金额必须等于原交易金额', en: 'a void must equal its original' },
  RULE_COMPLETE_MAX: { zh: '预授权完成金额不能超过预授权金额', en: 'a completion may not exceed its preauth' },
  RULE_REFUND_MAX: { zh: '退货金额不能超过原交易剩余可退金额（{left}）', en: 'a refund may not exceed what is left of its original ({left})' },
  // Position fixes (SPEC §5 Location): GEO_NO_FIX.
  FIX_NONE: { zh: '没有收到定位', en: 'no fix' },
  FIX_STALE: { zh: '最近一次定位已是 {ageS} 秒前，超过允许的 {maxFixAgeS} 秒', en: 'last fix {ageS} s old, limit {maxFixAgeS} s' },
  // The clock (SPEC §5 Clock): CLOCK_UNTRUSTED.
  CLOCK_DRIFT: { zh: '自上次校时以来，终端时钟相对单调时钟偏移了 {skewS} 秒（允许 {maxSkewS} 秒）', en: 'since the last time sync the wall clock drifted {skewS} s against the monotonic clock (allowed {maxSkewS} s)' },
  CLOCK_BEHIND_AT_BOOT: { zh: '开机时终端时钟早于流水中已记录的最晚时间，开机后还没有校过时', en: 'the terminal booted with its clock behind the latest time in its journal and has not synced its time since' },
} as const;

export type WhyCode = keyof typeof WHY;

export const isWhyCode = (c: unknown): c is WhyCode => typeof c === 'string' && Object.prototype.hasOwnProperty.call(WHY, c);

export function fillIn(t: string, p: Figures): string {
  return t.replace(/\{(\w+)\}/g, (m, k: string) => (k in p ? String(p[k]) : m));
}

export function whyText(code: WhyCode, figures: Figures, lang: Lang): string {
  return fillIn(WHY[code][lang], figures);
}

/** Reason params for a why: the code and figures, and `why` in English for readers that predate the codes. */
export function whyParams(code: WhyCode, figures: Figures = {}): Figures {
  return { ...figures, whyCode: code, why: whyText(code, figures, 'en') };
}

/** One problem: a code and its figures. */
export interface Problem { code: WhyCode; figures: Figures }

/** A Fail whose error is the English sentence and whose detail carries the code and figures. */
export function failWhy(code: WhyCode, figures: Figures = {}): Fail {
  return fail(whyText(code, figures, 'en'), { why: { code, figures } });
}

/** The problem a Fail carries, if it was made by failWhy. */
export function problemOf(f: Fail): Problem | null {
  const w = f.detail?.why as Problem | undefined;
  return w && isWhyCode(w.code) ? w : null;
}
