// The words a reason's figures are made of, in zh-CN and English (SPEC §3: a message is a whole
// sentence in the language asked for): weekdays, transaction types and outcomes. Figures are
// journaled as codes ('fri', 'preauth-complete'); these turn them into words when a person reads.

import type { Lang } from './catalog';

const W = (zh: string, en: string) => ({ zh, en });

export const WEEKDAY_WORDS: Record<string, { zh: string; en: string }> = {
  sun: W('周日', 'Sunday'), mon: W('周一', 'Monday'), tue: W('周二', 'Tuesday'), wed: W('周三', 'Wednesday'),
  thu: W('周四', 'Thursday'), fri: W('周五', 'Friday'), sat: W('周六', 'Saturday'),
};

export const TXN_TYPE_WORDS: Record<string, { zh: string; en: string }> = {
  sale: W('消费', 'sale'), void: W('撤销', 'void'), refund: W('退货', 'refund'), balance: W('余额查询', 'balance inquiry'),
  preauth: W('预授权', 'preauth'), 'preauth-void': W('预授权撤销', 'preauth void'),
  'preauth-complete': W('预授权完成', 'preauth completion'), 'preauth-complete-void': W('预授权完成撤销', 'preauth completion void'),
};

export const OUTCOME_WORDS: Record<string, { zh: string; en: string }> = {
  approved: W('已批准', 'approved'), declined: W('被拒绝', 'declined'), reversed: W('已冲正', 'reversed'), timeout: W('超时', 'timed out'),
  pending: W('待定', 'pending'),
};

export const VERDICT_WORDS: Record<string, { zh: string; en: string }> = {
  allow: W('通过', 'allow'), review: W('复核', 'review'), deny: W('拒绝', 'deny'),
};

/** What a signed input is (SPEC §6), as the refusal names it. */
export const SIGNED_WORDS: Record<string, { zh: string; en: string }> = {
  policy: W('策略', 'policy'), command: W('指令', 'command'), manifest: W('镜像清单', 'manifest'), ack: W('确认', 'ack'),
};

export const CLOSED_WORDS = W('休息', 'closed');

/** The word for a code in `table`, or the code itself when the table does not know it. */
export function word(table: Record<string, { zh: string; en: string }>, code: string, lang: Lang): string {
  const w = Object.prototype.hasOwnProperty.call(table, code) ? table[code] : undefined;
  return w ? w[lang] : code;
}
