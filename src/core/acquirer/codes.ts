// Field 39 response codes and MCC categories as a merchant needs them explained (domain notes §3,
// §5.11, §5.12; PosTrade hint table; Q/CUP 004—2004 MCC examples).

import type { Lang } from '../reasons/names';

export const HOST_LIMIT_CODES = ['61', '65'];
export const CARD_PROBLEM_CODES = ['14', '33', '41', '43', '51', '54', '55', '57', '58', '62', '75'];

const F39: Record<string, [string, string]> = {
  '01': ['请持卡人与发卡行联系', 'refer to card issuer'],
  '03': ['无效商户', 'invalid merchant'],
  '05': ['发卡行不予承兑', 'do not honour'],
  '12': ['无效交易', 'invalid transaction'],
  '13': ['无效金额', 'invalid amount'],
  '14': ['无效卡号', 'invalid card number'],
  '25': ['找不到原交易', 'original not found'],
  '30': ['报文格式错误', 'format error'],
  '33': ['过期的卡', 'expired card'],
  '41': ['挂失卡', 'lost card'],
  '43': ['被窃卡', 'stolen card'],
  '51': ['余额不足', 'insufficient funds'],
  '54': ['过期的卡', 'expired card'],
  '55': ['密码错误', 'incorrect PIN'],
  '57': ['不允许持卡人进行的交易', 'transaction not permitted to cardholder'],
  '58': ['不允许终端进行的交易', 'transaction not permitted to terminal'],
  '61': ['超出金额限制', 'exceeds amount limit'],
  '62': ['受限制的卡', 'restricted card'],
  '64': ['原始金额错误', 'original amount incorrect'],
  '65': ['超出消费次数限制', 'exceeds frequency limit'],
  '68': ['交易超时', 'response received too late'],
  '75': ['密码错误次数超限', 'PIN tries exceeded'],
  '91': ['发卡方不能操作', 'issuer unavailable'],
  '94': ['重复交易', 'duplicate transmission'],
  '96': ['系统异常', 'system malfunction'],
  '98': ['银联收不到发卡行应答', 'issuer response not received'],
  A0: ['MAC 校验错，请重新签到', 'MAC error, sign in again'],
  '99': ['PIN 格式错，请重新签到', 'PIN format error, sign in again'],
};

/** In one language, or (no `lang`) both, as journaled with the reason. */
export function f39Hint(code: string, lang?: Lang): string {
  return pick(F39[code] ?? ['未知应答码', 'unknown response code'], lang);
}

const pick = (h: readonly [string, string], lang?: Lang) => (lang === 'zh' ? h[0] : lang === 'en' ? h[1] : `${h[0]} / ${h[1]}`);

/** What the merchant should do for a plain decline, by code family. */
export function f39Remedy(code: string, lang?: Lang): string {
  const r: [string, string] = ['68', '91', '96', '98'].indexOf(code) >= 0 ? ['收单或发卡系统暂时不可用，请稍后重试。', 'The acquirer or issuer is unavailable: try again shortly.']
    : code === 'A0' || code === '99' ? ['请重新签到后再交易。', 'Sign the terminal in again, then retry.']
    : code === '94' ? ['重复交易，请勿重复提交。', 'Duplicate transaction: do not resubmit.']
    : ['请顾客联系发卡行，或换卡、换支付方式。', 'Ask the customer to call their bank or pay another way.'];
  return lang ? pick(r, lang) : `${r[0]} ${r[1]}`;
}

const MCC: Record<string, [string, string]> = {
  '5411': ['超市', 'supermarket'], '5331': ['便利店/杂货', 'variety store'], '5311': ['百货', 'department store'],
  '5812': ['餐馆', 'restaurant'], '5813': ['酒吧', 'bar'], '5814': ['快餐', 'fast food'],
  '7011': ['酒店', 'hotel'], '5094': ['珠宝', 'jewellery'], '7911': ['歌舞厅/KTV', 'dance hall / KTV'],
  '8062': ['医院（公益类）', 'hospital (public interest)'], '8211': ['学校（公益类）', 'school (public interest)'],
  '8398': ['慈善机构（公益类）', 'charity (public interest)'], '9311': ['缴税（公益类）', 'tax payment (public interest)'],
  '5541': ['加油站', 'service station'], '5999': ['其他零售', 'misc. retail'], '7399': ['商业服务', 'business services'],
  '4900': ['公用事业', 'utilities'], '5912': ['药店', 'pharmacy'],
};

export function mccCategory(mcc: string, lang?: Lang): string {
  return pick(MCC[mcc] ?? ['未登记类别', 'unlisted category'], lang);
}
