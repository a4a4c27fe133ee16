// The words a reason's figures are made of, in zh-CN and English (SPEC §3: a message is a whole
// sentence in the language asked for): weekdays, transaction types and outcomes. Figures are
// journaled as codes ('fri', 'preauth-complete'); these turn them into words when a person reads.

import type { Lang } from './names';

export const WEEKDAY_WORDS: Record<string, { zh: string; en: string }> = {
  sun: { zh: '周日', en: 'Sunday' }, mon: { zh: '周一', en: 'Monday' }, tue: { zh: '周二', en: 'Tuesday' }, wed: { zh: '周三', en: 'Wednesday' },
  thu: { zh: '周四', en: 'Thursday' }, fri: { zh: '周五', en: 'Friday' }, sat: { zh: '周六', en: 'Saturday' },
};

export const TXN_TYPE_WORDS: Record<string, { zh: string; en: string }> = {
  sale: { zh: '消费', en: 'sale' }, void: { zh: '撤销', en: 'void' }, refund: { zh: '退货', en: 'refund' }, balance: { zh: '余额查询', en: 'balance inquiry' },
  preauth: { zh: '预授权', en: 'preauth' }, 'preauth-void': { zh: '预授权撤销', en: 'preauth void' },
  'preauth-complete': { zh: '预授权完成', en: 'preauth completion' }, 'preauth-complete-void': { zh: '预授权完成撤销', en: 'preauth completion void' },
};

export const OUTCOME_WORDS: Record<string, { zh: string; en: string }> = {
  approved: { zh: '已批准', en: 'approved' }, declined: { zh: '被拒绝', en: 'declined' }, reversed: { zh: '已冲正', en: 'reversed' }, timeout: { zh: '超时', en: 'timed out' },
  pending: { zh: '待定', en: 'pending' },
};

export const VERDICT_WORDS: Record<string, { zh: string; en: string }> = {
  allow: { zh: '通过', en: 'allow' }, review: { zh: '复核', en: 'review' }, deny: { zh: '拒绝', en: 'deny' },
};

/** What a signed input is (SPEC §6), as the refusal names it. */
export const SIGNED_WORDS: Record<string, { zh: string; en: string }> = {
  policy: { zh: '策略', en: 'policy' }, command: { zh: '指令', en: 'command' }, manifest: { zh: '镜像清单', en: 'manifest' }, ack: { zh: '确认', en: 'ack' },
};

/** Command kinds (SPEC §6), as the timeline and doctor name them. */
export const COMMAND_WORDS: Record<string, { zh: string; en: string }> = {
  lock: { zh: '锁机', en: 'lock' }, unlock: { zh: '解锁', en: 'unlock' }, 'hours-extend': { zh: '延长营业时间', en: 'hours-extend' },
  policy: { zh: '下发策略', en: 'policy' }, 'rotate-key': { zh: '更换设备密钥', en: 'rotate-key' }, resend: { zh: '重传流水', en: 'resend' },
  'image-update': { zh: '固件更新', en: 'image-update' },
};

export const CLOSED_WORDS = { zh: '休息', en: 'closed' };

/** The word for a code in `table`, or the code itself when the table does not know it. */
export function word(table: Record<string, { zh: string; en: string }>, code: string, lang: Lang): string {
  const w = Object.prototype.hasOwnProperty.call(table, code) ? table[code] : undefined;
  return w ? w[lang] : code;
}
