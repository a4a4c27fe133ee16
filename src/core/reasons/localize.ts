// A reason's figures in the reader's language (SPEC §3): a `whyCode` becomes its sentence, and
// figures journaled as codes (a weekday, a transaction type, an MCC, a field 39 code) become words.
// Entries journaled before the codes existed still read: their English `why` is kept as given.

import { f39Hint, f39Remedy, mccCategory } from '../acquirer/codes';
import type { Lang, Reason } from './names';
import { isWhyCode, type Figures, type WhyCode } from './why';
import { whyText } from './why-zh';
import { CLOSED_WORDS, OUTCOME_WORDS, SIGNED_WORDS, TXN_TYPE_WORDS, WEEKDAY_WORDS, word } from './words';

/** Reasons whose `why` had one meaning before it had a code. */
const DEFAULT_WHY: Partial<Record<Reason['name'], WhyCode>> = { CLOCK_UNTRUSTED: 'CLOCK_DRIFT' };

/** Batch totals as the agent journals them ("sale 2/76.00, void 1/10.00" or "empty"), in words. */
function totalsWords(s: string, lang: Lang): string {
  if (s === 'empty') return lang === 'zh' ? '没有交易' : 'no transactions';
  return s.split(', ').map((part) => {
    const m = /^([\w-]+) (\d+)\/(\d+\.\d{2})$/.exec(part);
    if (!m) return part;
    const t = word(TXN_TYPE_WORDS, m[1]!, lang);
    return lang === 'zh' ? `${t} ${m[2]} 笔共 ¥${m[3]}` : `${t} ${m[2]} for ¥${m[3]}`;
  }).join(lang === 'zh' ? '，' : ', ');
}

export function localParams(x: Reason, lang: Lang): Figures {
  const p: Figures = { ...x.params };
  const has = (k: string) => typeof p[k] === 'string' || typeof p[k] === 'number';
  if (typeof p.weekday === 'string') p.weekday = word(WEEKDAY_WORDS, p.weekday, lang);
  if (x.name === 'HOURS_CLOSED' && (p.todayHours === '' || p.todayHours === 'closed / 休息')) p.todayHours = CLOSED_WORDS[lang];
  for (const k of ['type', 'txnType', 'foundType', 'wantedType']) if (typeof p[k] === 'string') p[k] = word(TXN_TYPE_WORDS, p[k] as string, lang);
  if (typeof p.what === 'string' && lang === 'zh') p.what = word(SIGNED_WORDS, p.what, lang);
  if (typeof p.status === 'string') p.status = word(OUTCOME_WORDS, p.status, lang);
  if (has('gotMcc')) p.gotCategory = mccCategory(String(p.gotMcc), lang);
  if (has('mcc') && x.name === 'JUMP_CODE_SUSPECTED') p.category = mccCategory(String(p.mcc), lang);
  if (has('f39')) { p.hint = f39Hint(String(p.f39), lang); if (x.name === 'HOST_DECLINED') p.remedy = f39Remedy(String(p.f39), lang); }
  if (x.name === 'SETTLEMENT_UNBALANCED') for (const k of ['local', 'host']) if (typeof p[k] === 'string') p[k] = totalsWords(p[k] as string, lang);
  if (lang === 'zh' && typeof p.field === 'string') p.field = /^f\d+$/.test(p.field) ? `第 ${p.field.slice(1)} 域` : p.field === 'mti' ? '消息类型（MTI）' : p.field;
  if (p.why === undefined && typeof p.rule === 'string') p.why = p.rule; // ORIGINAL_AMOUNT_EXCEEDED before the codes
  const code = isWhyCode(p.whyCode) ? p.whyCode : p.why === undefined ? DEFAULT_WHY[x.name] : undefined;
  if (code) {
    const more = typeof p.whyMore === 'number' && p.whyMore > 0 ? p.whyMore : 0;
    p.why = whyText(code, p, lang) + (more ? (lang === 'zh' ? `（另有 ${more} 处问题）` : ` (and ${more} more)`) : '');
  }
  return p;
}
