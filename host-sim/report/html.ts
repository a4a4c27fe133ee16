// The picture side of `preflight sim run`: one self-contained HTML page with inline SVG, written next
// to the data folder. The terminal's positions against its geofence, and every transaction on the
// clock face of the shop's hours, coloured by verdict. No scripts, no external resources.

import type { Policy } from '../../src/core/policy/types';
import { localTime, WEEKDAYS } from '../../src/core/time/local';
import { haversineM } from '../../src/core/checks/geo';
import type { Line } from '../scenario/run';

const COLOR: Record<string, string> = { allow: '#2e7d32', review: '#f9a825', deny: '#c62828' };
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function trackSvg(p: Policy, decisions: Line[]): string {
  const W = 420, pts = decisions.filter((d) => d.fix).map((d) => {
    const f = d.fix as { lat: number; lon: number; accuracyM: number };
    // Local east/north metres from the site (equirectangular: fine at these distances).
    const x = (f.lon - p.site.lon) * (Math.PI / 180) * 6371008.8 * Math.cos((p.site.lat * Math.PI) / 180);
    const y = (f.lat - p.site.lat) * (Math.PI / 180) * 6371008.8;
    return { x, y, a: f.accuracyM, d, dist: haversineM(p.site.lat, p.site.lon, f.lat, f.lon) };
  });
  const span = Math.max(p.site.radiusM * 1.5, ...pts.map((q) => Math.max(Math.abs(q.x), Math.abs(q.y)) * 1.15));
  const k = W / 2 / span, c = W / 2;
  const dots = pts.map((q) => `<circle cx="${(c + q.x * k).toFixed(1)}" cy="${(c - q.y * k).toFixed(1)}" r="5" fill="${COLOR[q.d.verdict as string] ?? '#555'}">` +
    `<title>${esc(String(q.d.ref))} ${esc(String(q.d.verdict))} ${(q.dist / 1000).toFixed(2)} km ${esc((q.d.reasons as string[]).join(' '))}</title></circle>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${W}" viewBox="0 0 ${W} ${W}" role="img" aria-label="positions against the geofence">
<rect width="${W}" height="${W}" fill="#fafafa" stroke="#ccc"/>
<circle cx="${c}" cy="${c}" r="${(p.site.radiusM * k).toFixed(1)}" fill="#e3f2fd" stroke="#1565c0" stroke-dasharray="4 3"/>
<path d="M${c - 6} ${c}h12M${c} ${c - 6}v12" stroke="#1565c0"/>
<text x="8" y="18" font-size="12">registered site, radius ${p.site.radiusM} m; view ${(span / 1000).toFixed(1)} km each way</text>
${dots}</svg>`;
}

function hoursSvg(p: Policy, decisions: Line[]): string {
  const days = [...new Set(decisions.map((d) => localTime(p.site.tz, Date.parse(d.at as string)).dateKey))].sort();
  const W = 720, rowH = 34, left = 90, H = 30 + days.length * rowH;
  const x = (min: number) => left + (min / 1440) * (W - left - 10);
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
      return `<circle cx="${x(lt.minute).toFixed(1)}" cy="${y + (rowH - 8) / 2}" r="4.5" fill="${COLOR[d.verdict as string] ?? '#555'}"><title>${esc(String(d.ref))} ${String(lt.minute / 60 | 0).padStart(2, '0')}:${String(lt.minute % 60).padStart(2, '0')} ${esc(String(d.verdict))} ${esc((d.reasons as string[]).join(' '))}</title></circle>`;
    }).join('');
    return `<text x="4" y="${y + 16}" font-size="12">${day} ${wd}</text>${open}${night}${dots}`;
  }).join('\n');
  const ticks = Array.from({ length: 13 }, (_, h) => `<text x="${x(h * 120).toFixed(1)}" y="${H - 2}" font-size="10" text-anchor="middle">${String(h * 2).padStart(2, '0')}:00</text>`).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 10}" viewBox="0 0 ${W} ${H + 10}" role="img" aria-label="transactions on the business hours">
<rect width="${W}" height="${H + 10}" fill="#fafafa" stroke="#ccc"/>${rows}${ticks}</svg>`;
}

export function htmlReport(p: Policy, lines: Line[], summary: Line): string {
  const decisions = lines.filter((l) => l.event === 'decision');
  const reasons = Object.entries(summary.reasons as Record<string, number>).sort((a, b) => b[1] - a[1]);
  const j = summary.journal as Record<string, any> | null;
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>Preflight: ${esc(String(summary.scenario))}</title>
<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
td,th{padding:2px 10px;text-align:left}.k span{display:inline-block;width:10px;height:10px;margin:0 4px 0 12px}</style></head>
<body><h1>${esc(String(summary.scenario))} — ${esc(String(summary.dev))}</h1>
<p class="k">verdicts:<span style="background:${COLOR.allow}"></span>allow<span style="background:${COLOR.review}"></span>review<span style="background:${COLOR.deny}"></span>deny</p>
<h2 id="track">Where the terminal was (服务点位置)</h2>${trackSvg(p, decisions)}
<h2 id="hours">When it traded (营业时间)</h2>${hoursSvg(p, decisions)}
<h2 id="reasons">Reasons</h2><table><tr><th>reason</th><th>count</th></tr>${reasons.map(([n, c]) => `<tr><td>${esc(n)}</td><td>${c}</td></tr>`).join('')}</table>
<p>journal: ${j ? `${j.entries} entries, sealed through ${j.sealedThrough}, acknowledged through ${j.acknowledgedThrough}` : 'unknown'}</p>
</body></html>
`;
}
