// The zh-CN sentence of every why code (why.ts holds the English and the rules). Read by people's
// tools through catalog.describe and policy validation's problemsText; the terminal never renders
// text, so the shipped bundle leaves this table out.

import type { Lang } from './names';
import { fillIn, WHY, whyEn, type Figures, type WhyCode } from './why';
import { SIGNED_WORDS, word } from './words';

export const WHY_ZH: Record<WhyCode, string> = {
  // Policy fields (SPEC §4). {path} is the field as written in the JSON, e.g. hours.mon[0][1].
  NOT_OBJECT: '{path} 必须是一个对象 {…}',
  NOT_LIST: '{path} 必须是一个列表 […]',
  MISSING: '缺少必填字段 {path}',
  UNKNOWN_FIELD_NEAR: '{path} 中没有字段“{field}”，您是否想写“{near}”？',
  UNKNOWN_FIELD: '{path} 中没有字段“{field}”（可用的字段：{known}）',
  UNKNOWN_TOP_FIELD_NEAR: '策略中没有字段“{field}”，您是否想写“{near}”？',
  UNKNOWN_TOP_FIELD: '策略中没有字段“{field}”（可用的字段：{known}）',
  NOT_INTEGER: '{path} 必须是整数，实际为 {got}',
  NOT_NUMBER: '{path} 必须是数字，实际为 {got}',
  NOT_STRING: '{path} 必须是文本，实际为 {got}',
  NOT_BOOLEAN: '{path} 必须是 true 或 false',
  OUT_OF_RANGE: '{path} 必须在 {min} 到 {max} 之间，实际为 {got}',
  TOO_MANY: '{path} 最多 {max} 项，实际有 {got} 项',
  TOO_LONG: '{path} 最多 {max} 个字符，实际有 {got} 个',
  BAD_TIME: '{path} 必须是带时区偏移的 RFC 3339 时间，例如“{example}”',
  BAD_DATE: '{path} 必须是日期“YYYY-MM-DD”，例如“2026-10-01”',
  BAD_HM: '{path} 必须是当地时间“HH:MM”（00:00 到 24:00）',
  BAD_INTERVAL: '{path} 必须是 ["HH:MM","HH:MM"]（开始、结束）',
  EMPTY_INTERVAL: '{path} 的开始与结束相同，是一个空时段（全天请写 "00:00","24:00"）',
  EXCEPTION_NEEDS: '{path} 需要写 "closed": true 或它自己的 "intervals"',
  VALID_ORDER: 'validUntil（{validUntil}）必须晚于 validFrom（{validFrom}）',
  POLICY_EXPIRED_AT_SIGNING: 'validUntil（{validUntil}）已经过去（现在是 {now}）：终端会拒绝过期的策略',
  MID_FORMAT: '{path} 必须是 15 位数字：收单机构(3) 地区(4) MCC(4) 序号(4)',
  MCC_FORMAT: '{path} 必须是 4 位数字的 MCC',
  MCC_NOT_IN_MID: '{path} 必须等于 merchant.mid 中的 MCC 部分（{midMcc}）',
  TID_FORMAT: '{path} 必须是 8 位字母或数字（41 域）',
  NAME_FORMAT: '{path} 必须是 1 到 40 个字符（43 域）',
  LIMIT_ORDER: '{path}（{value}）不能超过 {other}（{otherValue}）',
  TZ_FORMAT: '{path} 必须是 IANA 时区名，例如“Asia/Shanghai”',
  TZ_CASE: '{path}“{got}”的大小写不对：请写“{near}”',
  TZ_ALIAS: '{path}“{got}”只是别名，请写规范的 IANA 时区名“{near}”',
  TZ_ABBREVIATION: '{path}“{got}”是时区缩写，在不同国家指不同的时区（例如 CST 既指中国标准时间也指美国中部时间）：请写店铺所在城市的 IANA 时区名，例如“Asia/Shanghai”',
  TZ_UNKNOWN: '{path}“{got}”不是本机时区数据中的 IANA 时区名（例如“Asia/Shanghai”“Asia/Urumqi”“Europe/Vienna”）',
  TZ_TABLE: '{path} 必须是按时间排序的 [起始毫秒, 偏移分钟] 列表（由 preflight policy sign 添加）',
  POLICY_TOO_LARGE: '签名后的策略有 {bytes} 字节，终端最多接受 {max} 字节',
  POLICY_NOT_JSON_OBJECT: '策略必须是一个 JSON 对象',
  // The policy a terminal holds (SPEC §4).
  NO_TRUST_ANCHOR: '镜像中没有运营方信任公钥',
  VERSION_ROLLBACK: '版本 {version} 低于终端已持有的版本 {held}',
  // Signed input (SPEC §6).
  NOT_SIGN1: '{what}不是有效的 COSE_Sign1 签名数据',
  SIG_UNTRUSTED: '{what}的签名与任何受信任的公钥都不符',
  NOT_CBOR_DATA: '{what}不是完整可读的 CBOR 数据',
  // Transaction requests (SPEC §5): TXN_INVALID.
  TXN_NOT_OBJECT: '交易请求必须是一个对象',
  TXN_REF: '交易参考号 ref 必须是 1 到 32 个字母、数字或 ._:-',
  TXN_REF_USED: '交易参考号 {ref} 已经用过，每笔交易须用新的参考号',
  TXN_TYPE: '交易类型 type 必须是以下之一：{types}',
  TXN_CHANNEL: '渠道 channel 必须是 "card"（银行卡）或 "qr"（扫码）',
  TXN_AMOUNT: '金额 amountMinor 必须是 0 到 {max} 之间的整数（单位：分）',
  TXN_AMOUNT_ZERO: '金额 amountMinor 必须大于 0',
  TXN_ENTRY_MODE: '输入方式 entryMode（22 域）必须是文本',
  TXN_COND_CODE: '条件码 conditionCode（25 域）必须是不超过 4 个字符的文本',
  TXN_ORIGINAL: '原交易 original 必须是参考号文本',
  // Field 22 (SPEC §5 Message rules): ENTRY_MODE_INVALID.
  EM_DIGITS: '必须是 3 位数字',
  EM_PAN: '卡号输入方式 {pan} 未知',
  EM_PIN: '密码能力位 {pin} 未知',
  // Originals (SPEC §5 Message rules): ORIGINAL_NOT_FOUND and ORIGINAL_AMOUNT_EXCEEDED.
  ORIG_UNNAMED: '{txnType}必须写明原交易',
  ORIG_WRONG_TYPE: '它是{foundType}，不是{wantedType}',
  ORIG_NOT_IN_JOURNAL: '本终端的流水中没有这笔交易',
  ORIG_STATUS: '原交易的结果是“{status}”',
  ORIG_VOIDED: '原交易已被撤销',
  ORIG_EARLIER_BATCH: '原交易已在之前的批次结算，请改用退货',
  ORIG_COMPLETED: '该预授权已经完成过',
  RULE_VOID_EQUAL: '撤销金额必须等于原交易金额',
  RULE_COMPLETE_MAX: '预授权完成金额不能超过预授权金额',
  RULE_REFUND_MAX: '退货金额不能超过原交易剩余可退金额（{left}）',
  // Position fixes (SPEC §5 Location): GEO_NO_FIX.
  FIX_NONE: '没有收到定位',
  FIX_STALE: '最近一次定位已是 {ageS} 秒前，超过允许的 {maxFixAgeS} 秒',
  // The clock (SPEC §5 Clock): CLOCK_UNTRUSTED.
  CLOCK_DRIFT: '自上次校时以来，终端时钟相对单调时钟偏移了 {skewS} 秒（允许 {maxSkewS} 秒）',
  CLOCK_BEHIND_AT_BOOT: '开机时终端时钟早于流水中已记录的最晚时间，开机后还没有校过时',
};

export function whyText(code: WhyCode, figures: Figures, lang: Lang): string {
  return lang === 'zh' ? fillIn(WHY_ZH[code], figures) : whyEn(code, figures);
}

/** A command's refusals that predate the why codes (agent/commands.ts), as zh sentences. */
const COMMAND_REFUSALS: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^addressed to (.+), not this terminal$/, (m) => `指令发给 ${m[1]}，不是本终端`],
  [/^counter n missing$/, () => '指令缺少计数器 n'],
  [/^counter (\d+) is beyond (\d+)$/, (m) => `计数器 ${m[1]} 超过上限 ${m[2]}`],
  [/^counter (\d+) not above the last accepted (\d+) \(replay\)$/, (m) => `计数器 ${m[1]} 不大于已接受的 ${m[2]}（重放）`],
  [/^expiry exp missing$/, () => '指令缺少有效期 exp'],
  [/^expired at (.+)$/, (m) => `指令已于 ${m[1]} 过期`],
  [/^unknown kind (.+)$/, (m) => `未知的指令类型 ${m[1]}`],
  [/^command payload is not a map$/, () => '指令内容不是映射'],
  [/^policy command carries no policy bytes$/, () => '策略指令没有携带策略'],
  [/^hours-extend needs untilMs within the next 24 hours$/, () => '延长营业时间的截止时间须在未来 24 小时内'],
  [/^policy refused: (.+)$/, (m) => `策略被拒绝：${sentenceIn(m[1]!, 'zh')}`],
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
let templates: [RegExp, WhyCode, string[]][] | null = null;

/**
 * A sentence the terminal answered in English (a why code's text, or a command refusal), in `lang`:
 * matched against the English templates of why.ts and told with its figures; unknown text as it is.
 */
export function sentenceIn(text: string, lang: Lang): string {
  if (lang === 'en') return text;
  for (const [re, say] of COMMAND_REFUSALS) { const m = re.exec(text); if (m) return say(m); }
  // Templates with words of their own: one that is only a placeholder ('{detail}') would match anything.
  templates ??= (Object.keys(WHY) as WhyCode[]).filter((code) => /[a-z]{3}/i.test(WHY[code].replace(/\{\w+\}/g, ''))).map((code) => {
    const names: string[] = [];
    const re = escape(WHY[code]).replace(/\\\{(\w+)\\\}/g, (_m, n: string) => { names.push(n); return '(.+?)'; });
    return [new RegExp(`^${re}$`), code, names];
  });
  for (const [re, code, names] of templates) {
    const m = re.exec(text);
    if (m) return whyText(code, Object.fromEntries(names.map((n, i) => [n, n === 'what' ? word(SIGNED_WORDS, m[i + 1]!, 'zh') : m[i + 1]!])), 'zh');
  }
  return text;
}

