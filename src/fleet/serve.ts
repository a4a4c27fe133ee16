// `preflight fleet serve` (SPEC §2): a web page of the fleet, rendered on the server (node:http, no
// build step, no script), and a small JSON API under /api. Pages: the fleet (terminals with online,
// last seen, ack lag and open alerts; open alerts; gaps) and one terminal's day (its decisions on its
// opening hours, its track against its geofence, both inline SVG). Every time is in the shop's local
// time with its offset; zh or en by ?lang=. Counts are verified journal entries; live previews are
// marked unverified (SPEC §7). Hours and geofence come from the signed policy the terminal journaled
// it accepted, found by digest among the .cose files of --policies DIR.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from '../core/codec/cbor';
import { parseSign1 } from '../core/crypto/cose';
import { parseEntry } from '../core/journal/entry';
import { validatePolicy } from '../core/policy/validate';
import type { Interval, Policy } from '../core/policy/types';
import { offsetAt, WEEKDAYS } from '../core/time/local';
import type { Lang } from '../core/reasons/catalog';
import { OUTCOME_WORDS, VERDICT_WORDS, word } from '../core/reasons/words';
import { amountText, gapsOf, gapWord, localTime, offsetText, type GapLine } from './report';
import type { FleetStore as Store } from './store';

/** Signed policies by digest (the first 16 bytes of SHA-512 of the COSE bytes, as the `policy` entry names it). */
export function loadPolicies(dir: string | undefined): Map<string, Policy> {
  const m = new Map<string, Policy>();
  if (!dir) return m;
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.cose')) continue;
    const b = new Uint8Array(readFileSync(join(dir, f)));
    const s = parseSign1(b, 'policy');
    const d = s.ok ? decode(s.value.payload, 'policy payload') : null;
    const v = d && d.ok ? validatePolicy(d.value, true) : null;
    if (v && v.ok) m.set(createHash('sha512').update(b).digest('hex').slice(0, 32), v.value);
  }
  return m;
}

export interface TerminalRow {
  dev: string; fleet: string | null; online: boolean | null; lastSeen: number | null; lastSeenLocal: string | null;
  stored: number; acked: number; ackLag: number; openAlerts: number; offset: string | null;
}
export interface AlertRow { id: number; t: number; local: string; dev: string | null; kind: string; severity: string; source: string; why: string | null; count: number; verified: boolean }
export interface DayDecision { seq: number; ref: string | null; time: string; minute: number; verdict: string; reasons: string[]; amountMinor: number | null; verified: boolean }
export interface TrackPoint { t: number; time: string; lat: number; lon: number; accuracyM: number; geo: string | null; distanceM: number | null }
export interface Day {
  dev: string; date: string; offset: string | null; policy: { version: number; digest: string | null; found: boolean } | null;
  hours: Interval[] | null; nightRisk: Interval | null; site: { lat: number; lon: number; radiusM: number } | null;
  decisions: DayDecision[]; track: TrackPoint[];
}

const offOf = async (store: Store, dev: string | null): Promise<number | null> => (dev ? (await store.device(dev))?.utc_offset_min ?? null : null);

export async function terminals(store: Store): Promise<TerminalRow[]> {
  const rows = await store.terminals();
  return rows.map((r) => ({
    dev: r.dev, fleet: r.fleet, online: r.online === null ? null : r.online === 1, lastSeen: r.last_seen,
    lastSeenLocal: r.last_seen === null ? null : localTime(r.last_seen, r.utc_offset_min), stored: r.last_seq, acked: r.seq_acked,
    ackLag: Math.max(0, r.last_seq - r.seq_acked), openAlerts: r.open, offset: r.utc_offset_min === null ? null : offsetText(r.utc_offset_min),
  }));
}

export async function openAlerts(store: Store, limit = 200): Promise<AlertRow[]> {
  const rows = await store.openAlerts(limit);
  // An alert the terminal published is a preview; one the consumer raised is its own finding.
  const out: AlertRow[] = [];
  for (const a of rows) out.push({ ...a, local: localTime(a.t, await offOf(store, a.dev)), verified: a.source === 'consumer' });
  return out;
}

export async function allGaps(store: Store, lang: Lang): Promise<(GapLine & { dev: string })[]> {
  const out: (GapLine & { dev: string })[] = [];
  for (const dev of await store.reportDevices()) for (const g of await gapsOf(store, dev, lang)) out.push({ dev, ...g });
  return out;
}

/**
 * The policy the terminal was trading under by the end of `date`: the last `policy` entry (a policy
 * it accepted, named by digest), else its last boot (the provisioned policy: version, mid and tid).
 */
async function policyOf(store: Store, dev: string, endMs: number, policies: Map<string, Policy>): Promise<{ version: number; digest: string | null; policy: Policy | null } | null> {
  const last = async (type: string) => {
    const bytes = await store.lastEntryOfType(dev, type, endMs);
    const e = bytes ? parseEntry(bytes) : null;
    return e && e.ok ? e.value.rec : null;
  };
  const pe = await last('policy');
  if (pe?.type === 'policy' && policies.has(pe.body.digest)) return { version: pe.body.version, digest: pe.body.digest, policy: policies.get(pe.body.digest)! };
  const boot = await last('boot');
  const version = pe?.type === 'policy' ? pe.body.version : boot?.type === 'boot' ? boot.body.policyVersion : 0;
  const mid = pe?.type === 'policy' ? pe.body.mid : boot?.type === 'boot' ? boot.body.mid : undefined;
  const tid = pe?.type === 'policy' ? pe.body.tid : boot?.type === 'boot' ? boot.body.tid : undefined;
  if (!version) return null;
  for (const [digest, p] of policies) {
    if (p.version === version && p.merchant.mid === mid && p.merchant.tid === tid) return { version, digest, policy: p };
  }
  return { version, digest: pe?.type === 'policy' ? pe.body.digest : null, policy: null };
}

const dayNumber = (date: string) => Math.floor(Date.parse(date + 'T00:00:00Z') / 86_400_000);

export async function terminalDay(store: Store, dev: string, date: string, policies: Map<string, Policy>): Promise<Day | null> {
  const d = await store.device(dev);
  if (!d) return null;
  const off = d.utc_offset_min;
  const endMs = Date.parse(date + 'T00:00:00Z') + 86_400_000 - (off ?? 0) * 60_000;
  const pol = await policyOf(store, dev, endMs, policies);
  const p = pol?.policy ?? null;
  let hours: Interval[] | null = null;
  if (p) {
    const ex = p.hours.exceptions.find((x) => x.day === dayNumber(date));
    hours = ex ? (ex.closed ? [] : ex.intervals) : p.hours.week[WEEKDAYS[new Date(date + 'T00:00:00Z').getUTCDay()]!];
  }
  const rows = await store.dayDecisions(dev, date);
  const decisions: DayDecision[] = [];
  const track: TrackPoint[] = [];
  for (const r of rows) {
    let names: string[] = [];
    try { names = (JSON.parse(r.reasons) as { name: string }[]).map((y) => y.name); } catch { /* none */ }
    const o = p ? offsetAt(p.site.tz, r.t) : off ?? 0;
    let minute = Math.floor(((r.t + o * 60_000) % 86_400_000 + 86_400_000) % 86_400_000 / 60_000);
    let amount: number | null = null;
    const e = r.bytes ? parseEntry(r.bytes) : null;
    const rec = e && e.ok ? e.value.rec : null;
    if (rec?.type === 'decision') {
      amount = rec.body.txn.amountMinor;
      const i = rec.body.inputs;
      if (typeof i.localMinute === 'number') minute = i.localMinute;
      const f = i.fix;
      if (f && typeof f.lat === 'number' && typeof f.lon === 'number') {
        const last = track[track.length - 1];
        if (!last || last.lat !== f.lat || last.lon !== f.lon) {
          track.push({ t: r.t, time: localTime(r.t, o), lat: f.lat, lon: f.lon, accuracyM: f.accuracyM ?? 0, geo: i.geo ?? null, distanceM: i.distanceM ?? null });
        }
      }
    }
    decisions.push({ seq: r.seq, ref: r.ref, time: localTime(r.t, p || off !== null ? o : null), minute, verdict: r.verdict, reasons: names, amountMinor: amount, verified: r.verified === 1 });
  }
  return {
    dev, date, offset: off === null ? null : offsetText(off),
    policy: pol ? { version: pol.version, digest: pol.digest, found: !!p } : null,
    hours, nightRisk: p?.hours.nightRisk ?? null, site: p ? { lat: p.site.lat, lon: p.site.lon, radiusM: p.site.radiusM } : null,
    decisions, track,
  };
}

// ---- HTML ----------------------------------------------------------------------------------

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]!));
type Words = Record<string, { zh: string; en: string }>;
const W: Words = {
  title: { zh: 'Preflight 终端管理平台', en: 'Preflight fleet' },
  terminals: { zh: '终端', en: 'Terminals' }, dev: { zh: '终端', en: 'Device' }, fleet: { zh: '平台', en: 'Fleet' },
  online: { zh: '在线', en: 'Online' }, lastSeen: { zh: '最后联系（门店当地时间）', en: 'Last seen (shop time)' },
  stored: { zh: '已验签入库', en: 'Stored' }, ackLag: { zh: '待确认', en: 'Ack lag' }, alerts: { zh: '未处理告警', en: 'Open alerts' },
  yes: { zh: '是', en: 'yes' }, no: { zh: '否', en: 'no' }, unknown: { zh: '未知', en: 'unknown' },
  time: { zh: '时间（门店当地）', en: 'Time (shop)' }, kind: { zh: '类型', en: 'Kind' }, severity: { zh: '级别', en: 'Severity' },
  why: { zh: '说明', en: 'Why' }, count: { zh: '次数', en: 'Count' }, gaps: { zh: '缺口', en: 'Gaps' }, range: { zh: '范围', en: 'Seq' },
  cause: { zh: '原因', en: 'Cause' }, none: { zh: '无', en: 'none' }, day: { zh: '当天', en: 'Day' },
  decisions: { zh: '交易决策与营业时间', en: 'Decisions on the opening hours' }, track: { zh: '定位轨迹与地理围栏', en: 'Track against the geofence' },
  ref: { zh: '单号', en: 'Ref' }, amount: { zh: '金额', en: 'Amount' }, verdict: { zh: '结论', en: 'Verdict' }, reasons: { zh: '原因', en: 'Reasons' },
  preview: { zh: '未验签预览', en: 'unverified preview' }, verifiedNote: { zh: '统计只含已验签的流水；标注“未验签预览”的来自实时上报，尚待流水验证。', en: 'Counts are verified journal entries only; rows marked “unverified preview” come from live telemetry and wait for their journal entries.' },
  noPolicy: { zh: '没有该终端所用策略的签名文件（用 --policies DIR 提供），营业时间与围栏无法绘制。', en: 'The signed policy this terminal uses is not available (pass --policies DIR): hours and geofence cannot be drawn.' },
  noFix: { zh: '当天没有定位记录。', en: 'No fix recorded that day.' }, back: { zh: '返回平台', en: 'Back to the fleet' },
  device: { zh: '终端上报', en: 'terminal' }, consumer: { zh: '消费者核验', en: 'consumer' }, source: { zh: '来源', en: 'Source' },
  open: { zh: '营业', en: 'open' }, site: { zh: '登记地址', en: 'site' },
};
const w = (k: string, l: Lang) => W[k]?.[l] ?? k;

const CSS = `body{font-family:"Noto Sans CJK SC","Noto Sans",sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 12px}h2{font-size:17px;margin:22px 0 8px}table{border-collapse:collapse;font-size:13px}
td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;white-space:nowrap}th{background:#f3f3f3}
.on{color:#137333;font-weight:bold}.off{color:#b3261e}.crit{color:#b3261e;font-weight:bold}.warn{color:#a15c00}
.deny{color:#b3261e}.review{color:#a15c00}.allow{color:#137333}.prev{color:#777;font-style:italic}nav{margin-bottom:12px;font-size:13px}
.note{color:#555;font-size:12px}svg{border:1px solid #ccc;background:#fafafa}`;

function page(title: string, lang: Lang, body: string, self: string): string {
  const other: Lang = lang === 'zh' ? 'en' : 'zh';
  const bare = self.replace(/[?&]lang=\w+/, '');
  const sep = bare.includes('?') ? '&' : '?';
  return `<!doctype html><html lang="${lang === 'zh' ? 'zh-CN' : 'en'}"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${CSS}</style></head>
<body><nav><a href="/?lang=${lang}">${esc(w('title', lang))}</a> · <a href="${esc(bare + sep + 'lang=' + other)}">${other === 'zh' ? '中文' : 'English'}</a></nav>${body}</body></html>`;
}

function table(head: string[], rows: string[][]): string {
  return `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</table>`;
}

export async function fleetPage(store: Store, lang: Lang): Promise<string> {
  const ts = await terminals(store), al = await openAlerts(store), gs = await allGaps(store, lang);
  const onWord = (o: boolean | null) => (o === null ? esc(w('unknown', lang)) : o ? `<span class="on">${esc(w('yes', lang))}</span>` : `<span class="off">${esc(w('no', lang))}</span>`);
  const body = `<h1>${esc(w('title', lang))}</h1><p class="note">${esc(w('verifiedNote', lang))}</p>
<h2>${esc(w('terminals', lang))} (${ts.length})</h2>
${table([w('dev', lang), w('fleet', lang), w('online', lang), w('lastSeen', lang), w('stored', lang), w('ackLag', lang), w('alerts', lang)],
    ts.map((t) => [`<a href="/t/${encodeURIComponent(t.dev)}?lang=${lang}">${esc(t.dev)}</a>`, esc(t.fleet ?? ''), onWord(t.online), esc(t.lastSeenLocal ?? '—'),
      String(t.stored), t.ackLag ? `<span class="warn">${t.ackLag}</span>` : '0', t.openAlerts ? `<span class="crit">${t.openAlerts}</span>` : '0']))}
<h2>${esc(w('alerts', lang))} (${al.length})</h2>
${al.length ? table([w('time', lang), w('dev', lang), w('kind', lang), w('severity', lang), w('source', lang), w('count', lang), w('why', lang)],
    al.map((a) => [esc(a.local), esc(a.dev ?? ''), esc(a.kind), `<span class="${a.severity === 'critical' ? 'crit' : 'warn'}">${esc(a.severity)}</span>`,
      a.verified ? esc(w('consumer', lang)) : `<span class="prev">${esc(w('device', lang))} · ${esc(w('preview', lang))}</span>`, String(a.count), esc(a.why)])) : `<p>${esc(w('none', lang))}</p>`}
<h2>${esc(w('gaps', lang))} (${gs.length})</h2>
${gs.length ? table([w('dev', lang), w('cause', lang), w('range', lang), w('why', lang)],
    gs.map((g) => [esc(g.dev), esc(gapWord(g.cause, lang)) + (g.verified ? '' : ` <span class="prev">(${esc(w('preview', lang))})</span>`), g.from === null ? '' : esc(g.from === g.to ? g.from : `${g.from}..${g.to}`), esc(g.why)])) : `<p>${esc(w('none', lang))}</p>`}`;
  return page(w('title', lang), lang, body, `/?lang=${lang}`);
}

const hm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
const COLOR: Record<string, string> = { allow: '#137333', review: '#d08a00', deny: '#b3261e' };

/** 24 hours left to right: open intervals shaded, night risk hatched, one mark per decision. */
export function hoursSvg(day: Day, lang: Lang): string {
  const W0 = 60, WIDTH = 960, H = 120, x = (m: number) => W0 + (m / 1440) * (WIDTH - W0 - 20);
  const parts: string[] = [];
  const span = ([a, b]: Interval, cls: string, fill: string) => (b > a ? [[a, b]] : [[a, 1440], [0, b]]).map(([s, e]) =>
    `<rect class="${cls}" x="${x(s!).toFixed(1)}" y="30" width="${(x(e!) - x(s!)).toFixed(1)}" height="50" fill="${fill}"/>`).join('');
  for (const iv of day.hours ?? []) parts.push(span(iv, 'open', '#d7f0dc'));
  if (day.nightRisk) parts.push(span(day.nightRisk, 'night', '#ececf7'));
  for (let h = 0; h <= 24; h += 2) parts.push(`<line x1="${x(h * 60)}" y1="26" x2="${x(h * 60)}" y2="84" stroke="#bbb"/><text x="${x(h * 60)}" y="100" font-size="11" text-anchor="middle">${hm(h * 60)}</text>`);
  day.decisions.forEach((d, i) => {
    const cy = 40 + (i % 4) * 10;
    parts.push(`<circle class="decision ${esc(d.verdict)}" cx="${x(d.minute).toFixed(1)}" cy="${cy}" r="5" fill="${d.verified ? COLOR[d.verdict] ?? '#555' : '#fff'}" stroke="${COLOR[d.verdict] ?? '#555'}" stroke-width="2"><title>${esc(`${d.time} ${d.ref ?? ''} ${word(VERDICT_WORDS, d.verdict, lang)} ${d.reasons.join(', ')}${d.verified ? '' : ' · ' + w('preview', lang)}`)}</title></circle>`);
  });
  parts.push(`<text x="4" y="60" font-size="12">${esc(w('open', lang))}</text><text x="${W0}" y="16" font-size="11">${esc(day.date)} ${esc(day.offset ?? '')}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${H}" viewBox="0 0 ${WIDTH} ${H}" role="img" aria-label="${esc(w('decisions', lang))}">${parts.join('')}</svg>`;
}

/** The fixes of the day in metres around the site (equirectangular, fine at a shop's scale), and the geofence circle. */
export function trackSvg(day: Day, lang: Lang): string {
  const S = 420, c = S / 2;
  const site = day.site!;
  const toXY = (lat: number, lon: number) => ({ x: (lon - site.lon) * Math.cos((site.lat * Math.PI) / 180) * 111_320, y: (lat - site.lat) * 110_540 });
  const pts = day.track.map((p) => ({ ...p, ...toXY(p.lat, p.lon) }));
  const reach = Math.max(site.radiusM * 1.25, ...pts.map((p) => Math.hypot(p.x, p.y) + p.accuracyM)) * 1.05;
  const k = (S / 2 - 10) / reach;
  const X = (m: number) => (c + m * k).toFixed(1), Y = (m: number) => (c - m * k).toFixed(1);
  const parts = [`<circle class="geofence" cx="${c}" cy="${c}" r="${(site.radiusM * k).toFixed(1)}" fill="#e6f1fb" stroke="#1a73e8" stroke-width="2"/>`,
    `<circle cx="${c}" cy="${c}" r="3" fill="#1a73e8"/><text x="${c + 6}" y="${c - 6}" font-size="11">${esc(w('site', lang))} ${site.radiusM} m</text>`];
  if (pts.length > 1) parts.push(`<polyline class="track" fill="none" stroke="#555" stroke-width="1.5" points="${pts.map((p) => `${X(p.x)},${Y(p.y)}`).join(' ')}"/>`);
  for (const p of pts) {
    const out = p.geo === 'outside' || (p.distanceM !== null && p.distanceM - p.accuracyM > site.radiusM);
    parts.push(`<circle class="fix${out ? ' outside' : ''}" cx="${X(p.x)}" cy="${Y(p.y)}" r="5" fill="${out ? '#b3261e' : '#137333'}"><title>${esc(`${p.time} ${p.lat.toFixed(5)}, ${p.lon.toFixed(5)} ±${p.accuracyM} m${p.distanceM !== null ? ` · ${Math.round(p.distanceM)} m` : ''}`)}</title></circle>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${S}" height="${S}" viewBox="0 0 ${S} ${S}" role="img" aria-label="${esc(w('track', lang))}">${parts.join('')}</svg>`;
}

export function dayPage(day: Day, lang: Lang): string {
  const self = `/t/${encodeURIComponent(day.dev)}?date=${day.date}&lang=${lang}`;
  const drawn = day.site !== null;
  const body = `<h1>${esc(day.dev)} · ${esc(day.date)} <span class="note">(${esc(day.offset ?? 'UTC')})</span></h1>
<p class="note">${esc(w('verifiedNote', lang))}${day.policy ? ` · policy v${day.policy.version}` : ''}</p>
${drawn ? '' : `<p class="warn">${esc(w('noPolicy', lang))}</p>`}
<h2>${esc(w('decisions', lang))}</h2>${hoursSvg(day, lang)}
<h2>${esc(w('track', lang))}</h2>${drawn ? (day.track.length ? trackSvg(day, lang) : `<p>${esc(w('noFix', lang))}</p>`) : ''}
<h2>${esc(w('day', lang))}</h2>
${table([w('time', lang), w('ref', lang), w('amount', lang), w('verdict', lang), w('reasons', lang)], day.decisions.map((d) => [
    esc(d.time), esc(d.ref ?? ''), esc(amountText(d.amountMinor)),
    `<span class="${esc(d.verdict)}">${esc(word(VERDICT_WORDS, d.verdict, lang))}</span>${d.verified ? '' : ` <span class="prev">(${esc(w('preview', lang))})</span>`}`, esc(d.reasons.join(', '))]))}
<p><a href="/?lang=${lang}">${esc(w('back', lang))}</a></p>`;
  return page(`${day.dev} ${day.date}`, lang, body, self);
}

// ---- the server ----------------------------------------------------------------------------

export interface ServeOptions { store: Store; policies: Map<string, Policy>; today?: (dev: string) => string }

/** YYYY-MM-DD that names a day of the calendar (2026-02-30 does not). */
export const isCalendarDate = (d: string): boolean => /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(d + 'T00:00:00Z')) && new Date(d + 'T00:00:00Z').toISOString().slice(0, 10) === d;

export function fleetServer(o: ServeOptions): Server {
  const { store } = o;
  return createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const send = (code: number, type: string, body: string) => {
      res.writeHead(code, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
      res.end(body);
    };
    const json = (code: number, v: unknown) => send(code, 'application/json', JSON.stringify(v));
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') { json(405, { error: 'GET only' }); return; }
      const u = new URL(req.url ?? '/', 'http://localhost');
      const lang: Lang = u.searchParams.get('lang') === 'en' ? 'en' : 'zh';
      const date = u.searchParams.get('date');
      if (date !== null && !isCalendarDate(date)) { json(400, { error: 'date must be a calendar date YYYY-MM-DD' }); return; }
      const p = u.pathname;
      const devOf = (prefix: string, suffix = '') => { try { return decodeURIComponent(p.slice(prefix.length, p.length - suffix.length)); } catch { return ''; } };
      const dayFor = async (dev: string) => terminalDay(store, dev, date ?? await latestDay(store, dev) ?? o.today?.(dev) ?? new Date().toISOString().slice(0, 10), o.policies);
      if (p === '/api/terminals') return json(200, await terminals(store));
      if (p === '/api/alerts') return json(200, await openAlerts(store));
      if (p === '/api/gaps') return json(200, await allGaps(store, lang));
      if (p.startsWith('/api/terminals/') && p.endsWith('/day')) {
        const day = await dayFor(devOf('/api/terminals/', '/day'));
        return day ? json(200, day) : json(404, { error: 'no such device' });
      }
      if (p === '/') return send(200, 'text/html', await fleetPage(store, lang));
      if (p.startsWith('/t/')) {
        const day = await dayFor(devOf('/t/'));
        return day ? send(200, 'text/html', dayPage(day, lang)) : send(404, 'text/html', page('404', lang, `<h1>404</h1><p>${esc(devOf('/t/'))}</p>`, p));
      }
      json(404, { error: 'not found', paths: ['/', '/t/DEV', '/api/terminals', '/api/alerts', '/api/gaps', '/api/terminals/DEV/day'] });
    } catch (e) {
      json(500, { error: (e as Error).message });
    }
  });
}

/** The terminal's most recent local date with a decision (the page opens on its last trading day). */
export function latestDay(store: Store, dev: string): Promise<string | null> { return store.latestDay(dev); }
