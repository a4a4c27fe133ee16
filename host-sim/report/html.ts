// The picture side of `preflight sim run`: one self-contained HTML page with inline SVG, written next
// to the data folder, in the language asked for. The terminal's positions against its geofence,
// every transaction on the clock face of the shop's hours (local time, SPEC §9), and each reason
// with its count and what to do. No scripts, no external resources.

import type { Policy } from '../../src/core/policy/types';
import { describe, REASONS, type Lang, type Reason, type ReasonName } from '../../src/core/reasons/catalog';
import { VERDICT_WORDS, WEEKDAY_WORDS, word } from '../../src/core/reasons/words';
import { localTime, WEEKDAYS } from '../../src/core/time/local';
import { fmtHm } from '../../src/core/time/iso';
import { haversineM } from '../../src/core/checks/geo';
import type { Line } from '../scenario/run';

const COLOR: Record<string, string> = { allow: '#2e7d32', review: '#f9a825', deny: '#c62828' };
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The page's fonts: a CJK face first where it exists, so Chinese renders as glyphs, not boxes. */
export const REPORT_FONTS = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", system-ui, sans-serif';

const T = {
  title: { zh: '预检报告', en: 'Preflight report' },
  legend: { zh: '结论：', en: 'verdicts:' },
  track: { zh: '终端在哪里（相对登记的经营地点）', en: 'Where the terminal was (against its registered site)' },
  hours: { zh: '何时交易（营业时间内为浅绿，夜间风险时段为紫线；当地时间 {zone}）', en: 'When it traded (open hours light green, night-risk purple; local time, {zone})' },
  reasons: { zh: '原因与处理建议', en: 'Reasons and what to do' },
  reason: { zh: '原因', en: 'reason' }, severity: { zh: '级别', en: 'severity' }, count: { zh: '次数', en: 'count' },
  meaning: { zh: '含义', en: 'what it means' }, remedy: { zh: '建议', en: 'what to do' },
  site: { zh: '登记地点，半径 {radius} 米；视图每个方向 {span} 公里', en: 'registered site, radius {radius} m; view {span} km each way' },
  journal: { zh: '流水：共 {entries} 条，封签到第 {sealed} 条，确认到第 {acked} 条', en: 'journal: {entries} entries, sealed through {sealed}, acknowledged through {acked}' },
  unknown: { zh: '流水：未知', en: 'journal: unknown' },
  km: { zh: '公里', en: 'km' },
} as const;
const SEVERITY: Record<string, { zh: string; en: string }> = { deny: { zh: '拒绝', en: 'deny' }, review: { zh: '复核', en: 'review' }, warn: { zh: '提示', en: 'warn' } };
const t = (k: keyof typeof T, lang: Lang, p: Record<string, string | number> = {}) => T[k][lang].replace(/\{(\w+)\}/g, (m, x: string) => (x in p ? String(p[x]) : m));

function trackSvg(p: Policy, decisions: Line[], lang: Lang): string {
  const W = 440, pts = decisions.filter((d) => d.fix).map((d) => {
    const f = d.fix as { lat: number; lon: number; accuracyM: number };
    // Local east/north metres from the site (equirectangular: fine at these distances).
    const x = (f.lon - p.site.lon) * (Math.PI / 180) * 6371008.8 * Math.cos((p.site.lat * Math.PI) / 180);
    const y = (f.lat - p.site.lat) * (Math.PI / 180) * 6371008.8;
    return { x, y, a: f.accuracyM, d, dist: haversineM(p.site.lat, p.site.lon, f.lat, f.lon) };
  });
  const span = Math.max(p.site.radiusM * 1.5, ...pts.map((q) => Math.max(Math.abs(q.x), Math.abs(q.y)) * 1.15));
  const k = (W / 2 - 10) / span, c = W / 2;
  const dots = pts.map((q) => `<circle cx="${(c + q.x * k).toFixed(1)}" cy="${(c - q.y * k).toFixed(1)}" r="5" fill="${COLOR[q.d.verdict as string] ?? '#555'}">` +
    `<title>${esc(String(q.d.ref))} ${esc(String(q.d.at))} ${esc(word(VERDICT_WORDS, String(q.d.verdict), lang))} ${(q.dist / 1000).toFixed(2)} ${t('km', lang)} ${esc((q.d.reasons as string[]).join(' '))}</title></circle>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${W}" viewBox="0 0 ${W} ${W}" role="img" aria-label="${esc(t('track', lang))}">
<rect width="${W}" height="${W}" fill="#fafafa" stroke="#ccc"/>
<circle cx="${c}" cy="${c}" r="${(p.site.radiusM * k).toFixed(1)}" fill="#e3f2fd" stroke="#1565c0" stroke-dasharray="4 3"/>
<path d="M${c - 6} ${c}h12M${c} ${c - 6}v12" stroke="#1565c0"/>
<text x="8" y="18" font-size="12">${esc(t('site', lang, { radius: p.site.radiusM, span: (span / 1000).toFixed(1) }))}</text>
${dots}</svg>`;
}

function hoursSvg(p: Policy, decisions: Line[], lang: Lang): string {
  const days = [...new Set(decisions.map((d) => localTime(p.site.tz, Date.parse(d.at as string)).dateKey))].sort();
  // Room on the left for "2026-03-02 Wednesday" and on the right for the "24:00" tick.
  const W = 760, rowH = 34, left = 170, right = 30, H = 30 + days.length * rowH;
  const x = (min: number) => left + (min / 1440) * (W - left - right);
  const rows = days.map((day, i) => {
    const y = 20 + i * rowH;
    const dayNo = Date.parse(day + 'T00:00:00Z') / 86400000;
    const wd = WEEKDAYS[new Date(dayNo * 86400000).getUTCDay()]!;
    const ex = p.hours.exceptions.find((e) => e.day === dayNo);
    const ivs = ex ? (ex.closed ? [] : ex.intervals) : p.hours.week[wd];
    const open = ivs.flatMap(([s, e]) => (s < e ? [[s, e]] : [[s, 1440], [0, e]]))
      .map(([s, e]) => `<rect x="${x(s!).toFixed(1)}" y="${y}" width="${(x(e!) - x(s!)).toFixed(1)}" height="${rowH - 8}" fill="#e8f5e9"/>`).join('');
    const nr = p.hours.nightRisk;
    const night = nr ? (nr[0] < nr[1] ? [[nr[0], nr[1]]] : [[nr[0], 1440], [0, nr[1]]])
      .map(([s, e]) => `<rect x="${x(s!).toFixed(1)}" y="${y + rowH - 12}" width="${(x(e!) - x(s!)).toFixed(1)}" height="4" fill="#5e35b1" opacity="0.5"/>`).join('') : '';
    const dots = decisions.filter((d) => localTime(p.site.tz, Date.parse(d.at as string)).dateKey === day).map((d) => {
      const lt = localTime(p.site.tz, Date.parse(d.at as string));
      return `<circle cx="${x(lt.minute).toFixed(1)}" cy="${y + (rowH - 8) / 2}" r="4.5" fill="${COLOR[d.verdict as string] ?? '#555'}"><title>${esc(String(d.ref))} ${fmtHm(lt.minute)} ${esc(word(VERDICT_WORDS, String(d.verdict), lang))} ${esc((d.reasons as string[]).join(' '))}</title></circle>`;
    }).join('');
    return `<text x="6" y="${y + 16}" font-size="12">${day} ${esc(word(WEEKDAY_WORDS, wd, lang))}</text>${open}${night}${dots}`;
  }).join('\n');
  const ticks = Array.from({ length: 13 }, (_, h) => `<text x="${x(h * 120).toFixed(1)}" y="${H - 2}" font-size="10" text-anchor="middle">${String(h * 2).padStart(2, '0')}:00</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 10}" viewBox="0 0 ${W} ${H + 10}" role="img" aria-label="${esc(t('hours', lang, { zone: p.site.timezone }))}">
<rect width="${W}" height="${H + 10}" fill="#fafafa" stroke="#ccc"/>${rows}${ticks}</svg>`;
}

export function htmlReport(p: Policy, lines: Line[], summary: Line, lang: Lang = 'zh'): string {
  const decisions = lines.filter((l) => l.event === 'decision');
  const reasons = Object.entries(summary.reasons as Record<string, number>).sort((a, b) => b[1] - a[1]);
  const j = summary.journal as Record<string, any> | null;
  // Each reason told with the figures of its last occurrence, as the timeline told it.
  const last = new Map<string, Reason>();
  for (const l of lines) if (Array.isArray(l.detail)) for (const r of l.detail as Reason[]) if (r && typeof r.name === 'string') last.set(r.name, r);
  const row = ([n, c]: [string, number]) => {
    const d = REASONS[n as ReasonName];
    const r = last.get(n);
    const told = d && r ? describe({ name: r.name, severity: d.severity, params: r.params ?? {} }, lang) : null;
    const meaning = told ? told.message : d ? (lang === 'zh' ? d.zh : d.en) : '';
    const remedy = told ? told.remedy : d ? (lang === 'zh' ? d.remedyZh : d.remedyEn) : '';
    return `<tr><td><code>${esc(n)}</code></td><td>${d ? esc(word(SEVERITY, d.severity, lang)) : ''}</td><td>${c}</td><td>${esc(meaning)}</td><td>${esc(remedy)}</td></tr>`;
  };
  const legend = (['allow', 'review', 'deny'] as const).map((v) => `<span style="background:${COLOR[v]}"></span>${esc(word(VERDICT_WORDS, v, lang))}`).join('');
  return `<!doctype html>
<html lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><title>${esc(t('title', lang))}: ${esc(String(summary.scenario))}</title>
<style>body{font:14px ${REPORT_FONTS};margin:24px;color:#222}svg{font-family:${REPORT_FONTS.replace(/"/g, "'")}}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse}td,th{padding:3px 10px;text-align:left;vertical-align:top;border-bottom:1px solid #eee}th,td:nth-child(-n+3){white-space:nowrap}.k span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}</style></head>
<body><h1>${esc(t('title', lang))}: ${esc(String(summary.scenario))} — ${esc(String(summary.dev))}</h1>
<p class="k">${esc(t('legend', lang))}${legend}</p>
<h2 id="track">${esc(t('track', lang))}</h2>${trackSvg(p, decisions, lang)}
<h2 id="hours">${esc(t('hours', lang, { zone: p.site.timezone }))}</h2>${hoursSvg(p, decisions, lang)}
<h2 id="reasons">${esc(t('reasons', lang))}</h2><table><tr><th>${t('reason', lang)}</th><th>${t('severity', lang)}</th><th>${t('count', lang)}</th><th>${t('meaning', lang)}</th><th>${t('remedy', lang)}</th></tr>${reasons.map(row).join('')}</table>
<p>${esc(j ? t('journal', lang, { entries: j.entries, sealed: j.sealedThrough, acked: j.acknowledgedThrough }) : t('unknown', lang))}</p>
</body></html>
`;
}
