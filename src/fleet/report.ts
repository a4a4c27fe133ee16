// `preflight fleet report`: why were this terminal's transactions denied (or flagged) on a day?
// Counts of deny/review reasons over its decisions and acquirer results, each with the reason
// catalog's message (SPEC §3) filled with the figures of its latest occurrence, and the remedy;
// the transactions themselves (ref, shop-local time with its offset, amount, reasons); and the gaps
// in the fleet's copy with their cause. A reason counts once for every decision or result that
// carried it, as `sim run` and doctor count. Only verified journal entries are reported as fact
// (SPEC §7): what only the live decision topic said is listed apart, as an unverified preview.
// Without a device: one row per terminal, fleet-wide.

import { describe, REASONS, type Lang, type ReasonName } from '../core/reasons/catalog';
import { fail, ok, type Result } from '../core/util/result';
import { OUTCOME_WORDS, VERDICT_WORDS, word } from '../core/reasons/words';
import { parseEntry } from '../core/journal/entry';
import type { FleetStore as Store } from './store';

export interface ReportLine {
  name: string; severity: string; stage: 'preflight' | 'acquirer'; count: number;
  message: string; remedy: string; lastSeq: number;
}
export interface TxnLine {
  seq: number; ref: string | null; stage: 'preflight' | 'acquirer'; verdict: string;
  t: number; time: string;                 // shop-local, with its UTC offset
  type: string | null; channel: string | null; amountMinor: number | null;
  reasons: string[]; verified: boolean;
}
export type GapCause = 'not-enrolled' | 'damaged' | 'missing' | 'not-received' | 'unacknowledged';
export interface GapLine { cause: GapCause; from: number | null; to: number | null; verified: boolean; why: string }
export interface DenialReport {
  dev: string; date: string; lang: Lang;
  enrolled: boolean;
  offset: string | null;                  // the shop's UTC offset, as learned from verified decisions
  preflight: Record<string, number>;      // verdict -> transactions (verified journal entries)
  acquirer: Record<string, number>;       // outcome -> transactions (verified journal entries)
  unverified: number;                     // rows known only from the decision topic so far
  reasons: ReportLine[];                  // verified only
  transactions: TxnLine[];                // denied or flagged, or not approved by the acquirer (verified)
  previews: TxnLine[];                    // from the live decision topic only: unverified
  gaps: GapLine[];
}

/** The terminal's local date now, from the UTC offset its verified decisions showed (else UTC). */
export async function deviceToday(store: Store, dev: string, nowMs = Date.now()): Promise<string> {
  const off = (await store.device(dev))?.utc_offset_min ?? 0;
  return new Date(nowMs + off * 60_000).toISOString().slice(0, 10);
}

export const offsetText = (min: number): string => `${min < 0 ? '-' : '+'}${String(Math.floor(Math.abs(min) / 60)).padStart(2, '0')}:${String(Math.abs(min) % 60).padStart(2, '0')}`;
/** `2026-03-02 10:15:00 +08:00`: the shop's wall clock and its offset. */
export function localTime(t: number, offMin: number | null): string {
  const off = offMin ?? 0;
  return `${new Date(t + off * 60_000).toISOString().slice(0, 19).replace('T', ' ')} ${offMin === null ? 'UTC' : offsetText(off)}`;
}
/** Minor units (fen) as yuan with two decimals, as the reason catalog writes amounts. */
export const amountText = (minor: number | null): string => (minor === null ? "" : `¥${(minor / 100).toFixed(2)}`);

export async function denialReport(store: Store, dev: string, date: string, lang: Lang): Promise<Result<DenialReport>> {
  const d = await store.device(dev);
  const ne = await store.lastUnknownDevice(dev);
  if (!d && !ne) {
    const known = await store.knownDevices(5);
    return fail(`no device ${dev} in ${store.file}${known.length ? ` (known: ${known.join(', ')}${known.length === 5 ? ', …' : ''})` : ''}`);
  }
  const off = d?.utc_offset_min ?? null;
  const r: DenialReport = { dev, date, lang, enrolled: !!d, offset: off === null ? null : offsetText(off), preflight: {}, acquirer: {}, unverified: 0,
    reasons: [], transactions: [], previews: [], gaps: await gapsOf(store, dev, lang) };
  const rows = await store.dayVerdicts(dev, date);
  for (const x of rows) {
    if (!x.verified) { r.unverified += x.n; continue; }
    const m = x.stage === 'acquirer' ? r.acquirer : r.preflight;
    m[x.verdict] = (m[x.verdict] ?? 0) + x.n;
  }
  const reasons = await store.dayReasons(dev, date);
  for (const x of reasons) {
    const def = (REASONS as Record<string, { severity: string }>)[x.name];
    const severity = def?.severity ?? x.severity ?? 'deny';
    if (severity === 'warn') continue; // warnings ride along; they deny nothing (SPEC §3)
    const p = await store.reasonParams(dev, x.last, x.name);
    let params: Record<string, string | number> = {};
    try { params = p ? JSON.parse(p) : {}; } catch { /* keep the template */ }
    const desc = def ? describe({ name: x.name as ReasonName, severity: severity as 'deny', params }, lang) : { message: x.name, remedy: '' };
    r.reasons.push({ name: x.name, severity, stage: x.stage, count: x.n, message: desc.message, remedy: desc.remedy, lastSeq: x.last });
  }
  // The day's transactions that were not plainly allowed and approved, from the entries themselves.
  const txns = await store.dayFlagged(dev, date);
  for (const x of txns) {
    let names: string[] = [];
    try { names = (JSON.parse(x.reasons) as { name: string }[]).map((y) => y.name); } catch { /* none */ }
    const line: TxnLine = { seq: x.seq, ref: x.ref, stage: x.stage, verdict: x.verdict, t: x.t, time: localTime(x.t, off), type: null, channel: null, amountMinor: null,
      reasons: names, verified: x.verified === 1 };
    if (x.bytes) {
      const e = parseEntry(x.bytes);
      const rec = e.ok ? e.value.rec : null;
      if (rec?.type === 'decision') {
        line.type = rec.body.txn.type; line.channel = rec.body.txn.channel; line.amountMinor = rec.body.txn.amountMinor;
        const i = rec.body.inputs;
        if (typeof i.localDate === 'string' && typeof i.localMinute === 'number') {
          const m = Math.round((Date.parse(i.localDate + 'T00:00:00Z') + i.localMinute * 60_000 - x.t) / 60_000 / 15) * 15;
          if (Math.abs(m) <= 14 * 60) line.time = localTime(x.t, m);
        }
      } else if (rec?.type === 'result') {
        line.type = rec.body.type; line.channel = rec.body.channel; line.amountMinor = rec.body.amountMinor;
      }
    }
    (line.verified ? r.transactions : r.previews).push(line);
  }
  return ok(r);
}

/** Missing stretches of the fleet's copy of `dev`'s journal, each with its cause. */
export async function gapsOf(store: Store, dev: string, lang: Lang = 'en'): Promise<GapLine[]> {
  const zh = lang === 'zh';
  const out: GapLine[] = [];
  const d = await store.device(dev);
  const ne = await store.lastUnknownDevice(dev);
  if (ne && (!d || d.last_seq === 0)) {
    out.push({ cause: 'not-enrolled', from: null, to: null, verified: false, why: zh
      ? `未在登记处注册：自 ${new Date(ne.t).toISOString()} 起拒收 ${ne.count} 条消息；请用 preflight enrol 注册，终端会重发未确认的流水`
      : `not in the registry: ${ne.count} ${ne.count === 1 ? 'message' : 'messages'} refused since ${new Date(ne.t).toISOString()}; enrol it (preflight enrol) and the terminal re-sends what was not acknowledged` });
  }
  if (!d) return out;
  // Damage the terminal itself reported in a sealed, verified flash-damage entry.
  const damaged: [number, number][] = [];
  for (const x of await store.entriesOfType(dev, 'flash-damage')) {
    const e = parseEntry(x.bytes);
    if (!e.ok || e.value.rec?.type !== 'flash-damage') continue;
    const b = e.value.rec.body;
    for (const [a, z] of b.lost) {
      damaged.push([a, z]);
      out.push({ cause: 'damaged', from: a, to: z, verified: true, why: zh
        ? `终端闪存损坏丢失（其第 ${x.seq} 条已封签流水记载：${b.cause}）`
        : `lost to flash damage on the terminal (its sealed flash-damage entry at seq ${x.seq}: ${b.cause})` });
    }
  }
  const missing = (a: number, z: number, why: string) => {
    // Parts a flash-damage entry explains are damage, not missing.
    let from = a;
    for (const [da, dz] of [...damaged].sort((p, q) => p[0] - q[0])) {
      if (dz < from || da > z) continue;
      if (da > from) out.push({ cause: 'missing', from, to: da - 1, verified: true, why });
      from = dz + 1;
    }
    if (from <= z) out.push({ cause: 'missing', from, to: z, verified: true, why });
  };
  const notReceived = zh ? '平台未收到（终端未上传，或批次丢失；终端会从未确认处重发）' : 'not received by the fleet (not uploaded yet, or the batch was lost; the terminal re-sends from its last acknowledged seq)';
  if (d.first_seq !== null && d.first_seq > 1) missing(1, d.first_seq - 1, notReceived);
  for (const h of await store.holes(dev)) {
    missing(h.a, h.z, notReceived);
  }
  const parked = await store.parkedSpan(dev);
  if (parked.f !== null && parked.f > d.last_seq + 1) {
    missing(d.last_seq + 1, parked.f - 1, zh ? `未收到；其后的第 ${parked.f}..${parked.l} 条已暂存（未信任），等缺口补上再入库` : `not received; the later seq ${parked.f}..${parked.l} are parked (not trusted) until it arrives`);
  }
  let health: { seq?: unknown } | null = null;
  const hj = await store.health(dev);
  try { health = hj ? JSON.parse(hj) : null; } catch { health = null; }
  const top = Math.max(d.last_seq, parked.l ?? 0);
  if (health && typeof health.seq === 'number' && health.seq > top) {
    out.push({ cause: 'not-received', from: top + 1, to: health.seq, verified: false, why: zh
      ? `终端最近的心跳（未验签）称其流水已到第 ${health.seq} 条；尚未封签、上传或验签`
      : `the terminal's last heartbeat (unverified) says its journal reaches seq ${health.seq}; not yet sealed, uploaded or verified here` });
  }
  if (d.seq_acked < d.last_seq) {
    out.push({ cause: 'unacknowledged', from: d.seq_acked + 1, to: d.last_seq, verified: true, why: zh
      ? '已验签入库但尚未确认：终端会一直重发（消费者是否带了 --backend-key？）'
      : 'stored and verified here but not acknowledged yet: the terminal keeps re-sending them (does the consumer run with --backend-key?)' });
  }
  return out;
}

export interface FleetRow {
  dev: string; fleet: string | null; enrolled: boolean; online: boolean | null; lastSeen: number | null; date: string; offset: string | null;
  preflight: Record<string, number>; acquirer: Record<string, number>; unverified: number;
  reasons: { name: string; count: number }[]; gaps: GapLine[];
}
export interface FleetReport { date: string | null; lang: Lang; terminals: FleetRow[] }

/** One row per terminal (and per sender not enrolled yet), on `date` or on each shop's own today. */
export async function fleetReport(store: Store, date: string | null, lang: Lang, nowMs = Date.now()): Promise<FleetReport> {
  const devs = await store.reportDevices();
  const terminals: FleetRow[] = [];
  for (const dev of devs) {
    const d = await store.device(dev);
    const day = date ?? await deviceToday(store, dev, nowMs);
    const r = await denialReport(store, dev, day, lang);
    if (!r.ok) continue;
    terminals.push({ dev, fleet: d?.fleet ?? null, enrolled: !!d, online: d?.online === null || d?.online === undefined ? null : d.online === 1, lastSeen: d?.last_seen ?? null,
      date: day, offset: r.value.offset, preflight: r.value.preflight, acquirer: r.value.acquirer, unverified: r.value.unverified,
      reasons: r.value.reasons.map((x) => ({ name: x.name, count: x.count })), gaps: r.value.gaps });
  }
  return { date, lang, terminals };
}

export function renderReport(r: DenialReport, c: (code: string, s: string) => string): string {
  const zh = r.lang === 'zh';
  const counts = (m: Record<string, number>, words: typeof VERDICT_WORDS) => Object.entries(m).map(([k, n]) => `${word(words, k, r.lang)} ${n}`).join(zh ? '，' : ', ') || (zh ? '无' : 'none');
  const out = [c('1', zh ? `终端 ${r.dev} 在 ${r.date} 的拒绝与复核原因` : `Why ${r.dev}'s transactions were denied or flagged on ${r.date}`)];
  if (!r.enrolled) out.push(c('31', zh ? '该终端尚未注册，平台没有它的任何已验签流水。' : 'This terminal is not enrolled: the fleet holds no verified entry of it.'));
  out.push(`${zh ? '预检结论（已验签）：' : 'preflight verdicts (verified): '}${counts(r.preflight, VERDICT_WORDS)}`,
    `${zh ? '收单结果（已验签）：' : 'acquirer outcomes (verified): '}${counts(r.acquirer, OUTCOME_WORDS)}`);
  if (r.unverified) out.push(c('33', zh ? `另有 ${r.unverified} 笔仅来自实时上报（未验签预览，不计入上面的统计），流水尚未验签入库。` : `${r.unverified} more known only from live telemetry (unverified previews, not counted above); their journal entries are not verified yet.`));
  if (!r.reasons.length) out.push('', zh ? '当天没有被拒绝或复核的交易。' : 'No transaction was denied or flagged that day.');
  for (const x of r.reasons) {
    const sevWord = word(VERDICT_WORDS, x.severity, r.lang);
    const sev = x.severity === 'deny' ? c('31', sevWord) : c('33', sevWord);
    out.push('', `${c('1', `${x.count} ×`)} ${x.name} [${sev}${x.stage === 'acquirer' ? (zh ? '，收单方' : ', acquirer') : ''}]`,
      `   ${x.message}`, `   ${zh ? '建议：' : 'what to do: '}${x.remedy}`);
  }
  const txn = (t: TxnLine) => `  ${t.time}  ${(t.ref ?? '-').padEnd(8)} ${[t.type, t.channel].filter(Boolean).join(' ').padEnd(12)} ${amountText(t.amountMinor).padStart(14)}  ${word(t.stage === 'acquirer' ? OUTCOME_WORDS : VERDICT_WORDS, t.verdict, r.lang)}  ${t.reasons.join(', ')}`;
  if (r.transactions.length) out.push('', c('1', zh ? `交易（门店当地时间${r.offset ? ` ${r.offset}` : ''}）` : `Transactions (shop-local time${r.offset ? ` ${r.offset}` : ''})`), ...r.transactions.map(txn));
  if (r.previews.length) out.push('', c('33', zh ? '实时预览（未验签，流水到达并验签后才算数）' : 'Live previews (unverified: they count once their journal entries arrive and verify)'), ...r.previews.map(txn));
  out.push('', c('1', zh ? '缺口' : 'Gaps'));
  if (!r.gaps.length) out.push(zh ? '  无：平台持有连续的已验签流水。' : '  none: the fleet holds a contiguous verified journal.');
  for (const g of r.gaps) out.push(`  ${gapWord(g.cause, r.lang)}${g.from !== null ? ` ${g.from === g.to ? g.from : `${g.from}..${g.to}`}` : ''}: ${g.why}`);
  return out.join('\n');
}

const GAP_WORDS: Record<GapCause, { zh: string; en: string }> = {
  'not-enrolled': { zh: '未注册', en: 'not enrolled' }, damaged: { zh: '闪存损坏', en: 'damaged' }, missing: { zh: '缺失', en: 'missing' },
  'not-received': { zh: '未收到', en: 'not received' }, unacknowledged: { zh: '未确认', en: 'unacknowledged' },
};
export const gapWord = (g: GapCause, lang: Lang): string => GAP_WORDS[g][lang];

export function renderFleetReport(r: FleetReport, c: (code: string, s: string) => string): string {
  const zh = r.lang === 'zh';
  // Enrolled terminals are the headline; ids only an unauthenticated topic named are counted apart (attacker's run).
  const n = r.terminals.filter((t) => t.enrolled).length, stray = r.terminals.length - n;
  const strayText = stray ? (zh ? `，另有 ${stray} 个未注册的设备号` : `, and ${stray} id${stray === 1 ? '' : 's'} not enrolled`) : '';
  const out = [c('1', zh ? `平台报告${r.date ? `：${r.date}` : '（各门店的今天）'}，${n} 台终端${strayText}` : `Fleet report${r.date ? ` for ${r.date}` : ' (each shop\'s today)'}: ${n} terminal${n === 1 ? '' : 's'}${strayText}`),
    c('1', zh ? '终端            日期        在线  通过  复核  拒绝  未验签  主要原因                       缺口' : 'DEVICE          DATE        ONLINE ALLOW REVIEW DENY UNVERIF TOP REASONS                    GAPS')];
  for (const t of r.terminals) {
    const on = t.online === null ? '?' : t.online ? (zh ? '是' : 'yes') : (zh ? '否' : 'no');
    const top = t.reasons.slice(0, 3).map((x) => `${x.name}×${x.count}`).join(' ') || '-';
    const gaps = t.gaps.map((g) => `${gapWord(g.cause, r.lang)}${g.from !== null ? ` ${g.from === g.to ? g.from : `${g.from}..${g.to}`}` : ''}`).join('; ') || '-';
    out.push(`${t.dev.padEnd(15).slice(0, 15)} ${t.date}  ${on.padEnd(6)} ${String(t.preflight.allow ?? 0).padStart(5)} ${String(t.preflight.review ?? 0).padStart(6)} ${String(t.preflight.deny ?? 0).padStart(4)} ${String(t.unverified).padStart(7)} ${top.padEnd(30)} ${t.gaps.some((g) => g.cause !== 'unacknowledged') ? c('33', gaps) : gaps}`);
  }
  out.push('', zh ? '只统计已验签的流水；“未验签”是仅来自实时上报的预览。' : 'Counts are verified journal entries only; UNVERIF are live previews not verified yet.');
  return out.join('\n');
}
