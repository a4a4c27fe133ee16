// `preflight fleet report`: why were this terminal's transactions denied (or flagged) on a day?
// Counts of deny/review reasons over its decisions and acquirer results, each with the reason
// catalog's message (SPEC §3) filled with the figures of its latest occurrence, and the remedy.
// A reason counts once for every decision or result that carried it, as `sim run` and doctor count.

import { describe, REASONS, type Lang, type ReasonName } from '../core/reasons/catalog';
import { fail, ok, type Result } from '../core/util/result';
import { OUTCOME_WORDS, VERDICT_WORDS, word } from '../core/reasons/words';
import type { Store } from './store';

export interface ReportLine {
  name: string; severity: string; stage: 'preflight' | 'acquirer'; count: number;
  message: string; remedy: string; lastSeq: number;
}
export interface DenialReport {
  dev: string; date: string; lang: Lang;
  preflight: Record<string, number>;      // verdict -> transactions
  acquirer: Record<string, number>;       // outcome -> transactions
  unverified: number;                     // rows known only from the decision topic so far
  reasons: ReportLine[];
}

/** The terminal's local date now, from the UTC offset its verified decisions showed (else UTC). */
export function deviceToday(store: Store, dev: string, nowMs = Date.now()): string {
  const off = store.device(dev)?.utc_offset_min ?? 0;
  return new Date(nowMs + off * 60_000).toISOString().slice(0, 10);
}

export function denialReport(store: Store, dev: string, date: string, lang: Lang): Result<DenialReport> {
  if (!store.device(dev)) {
    const known = (store.db.prepare(`SELECT dev FROM devices ORDER BY dev LIMIT 5`).all() as { dev: string }[]).map((r) => r.dev);
    return fail(`no device ${dev} in ${store.file}${known.length ? ` (known: ${known.join(', ')}${known.length === 5 ? ', …' : ''})` : ''}`);
  }
  const r: DenialReport = { dev, date, lang, preflight: {}, acquirer: {}, unverified: 0, reasons: [] };
  const rows = store.db.prepare(`SELECT stage, verdict, count(*) n, sum(verified = 0) u FROM decisions WHERE dev = ? AND local_date = ? GROUP BY stage, verdict`)
    .all(dev, date) as { stage: string; verdict: string; n: number; u: number }[];
  for (const x of rows) { (x.stage === 'acquirer' ? r.acquirer : r.preflight)[x.verdict] = x.n; r.unverified += x.u; }
  const reasons = store.db.prepare(`
    SELECT name, stage, max(severity) severity, count(*) n, max(seq) last FROM decision_reasons
    WHERE dev = ? AND local_date = ?
    GROUP BY name, stage ORDER BY n DESC, name`).all(dev, date) as { name: string; stage: 'preflight' | 'acquirer'; severity: string | null; n: number; last: number }[];
  const paramsOf = store.db.prepare(`SELECT params FROM decision_reasons WHERE dev = ? AND seq = ? AND name = ?`);
  for (const x of reasons) {
    const def = (REASONS as Record<string, { severity: string }>)[x.name];
    const severity = def?.severity ?? x.severity ?? 'deny';
    if (severity === 'warn') continue; // warnings ride along; they deny nothing (SPEC §3)
    const p = paramsOf.get(dev, x.last, x.name) as { params: string | null } | undefined;
    let params: Record<string, string | number> = {};
    try { params = p?.params ? JSON.parse(p.params) : {}; } catch { /* keep the template */ }
    const d = def ? describe({ name: x.name as ReasonName, severity: severity as 'deny', params }, lang) : { message: x.name, remedy: '' };
    r.reasons.push({ name: x.name, severity, stage: x.stage, count: x.n, message: d.message, remedy: d.remedy, lastSeq: x.last });
  }
  return ok(r);
}

export function renderReport(r: DenialReport, c: (code: string, s: string) => string): string {
  const zh = r.lang === 'zh';
  const counts = (m: Record<string, number>, words: typeof VERDICT_WORDS) => Object.entries(m).map(([k, n]) => `${word(words, k, r.lang)} ${n}`).join(zh ? '，' : ', ') || (zh ? '无' : 'none');
  const out = [c('1', zh ? `终端 ${r.dev} 在 ${r.date} 的拒绝与复核原因` : `Why ${r.dev}'s transactions were denied or flagged on ${r.date}`),
    `${zh ? '预检结论：' : 'preflight verdicts: '}${counts(r.preflight, VERDICT_WORDS)}`,
    `${zh ? '收单结果：' : 'acquirer outcomes: '}${counts(r.acquirer, OUTCOME_WORDS)}`];
  if (r.unverified) out.push(c('33', zh ? `其中 ${r.unverified} 笔仅来自实时上报，流水尚未验签入库。` : `${r.unverified} of them known only from live telemetry; their journal entries are not verified yet.`));
  if (!r.reasons.length) out.push('', zh ? '当天没有被拒绝或复核的交易。' : 'No transaction was denied or flagged that day.');
  for (const x of r.reasons) {
    const sevWord = word(VERDICT_WORDS, x.severity, r.lang);
    const sev = x.severity === 'deny' ? c('31', sevWord) : c('33', sevWord);
    out.push('', `${c('1', `${x.count} ×`)} ${x.name} [${sev}${x.stage === 'acquirer' ? (zh ? '，收单方' : ', acquirer') : ''}]`,
      `   ${x.message}`, `   ${zh ? '建议：' : 'what to do: '}${x.remedy}`);
  }
  return out.join('\n');
}
