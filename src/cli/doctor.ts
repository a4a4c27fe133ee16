// `preflight doctor --data DIR` (SPEC §2): reads a terminal's flash (journal, policy, state) without
// writing to it and explains, most urgent first, what is wrong and what to do, in zh or en. Each
// problem says when it last happened in the shop's local time with its offset, on which
// transaction (ref and amount) or batch, and how often, counted as `sim run` counts (one per
// decision, result or settlement that carried it), so the two never disagree.
// Sealed entries no fleet acknowledged are said with their range, how long they waited and why (SPEC §7).

import { existsSync } from 'node:fs';
import { readOnlyFlash } from '../node/flash-folder';
import { localIso, policyOnFlash, readEntries, type ReadEntry } from '../node/flash-read';
import { Journal } from '../core/journal/journal';
import { deviceOf, readRecords } from '../core/journal/export';
import { segNumbers } from '../core/journal/segments';
import { openPolicy, readPolicyFile } from '../core/policy/store';
import { yuan } from '../core/checks/format';
import { describe, REASONS, type Lang, type Reason, type ReasonName } from '../core/reasons/catalog';
import type { Transitions } from '../core/time/local';
import { UsageError } from '../node/errors';
import { JSON_OPT, LANG_OPT, lang, type Command } from './command';

export interface Finding {
  urgency: number; title: string; message: string; remedy: string; open: boolean;
  count?: number; reason?: string;
  /** The last time it happened (local, with offset), and on what. */
  at?: string; ref?: string; amount?: string; batch?: number;
}

/** Where a reason was seen: a transaction (ref, amount) or a settlement (batch). */
interface Seen { name: ReasonName; params: Reason['params']; t: number; ref?: string; amountMinor?: number; batch?: number }

/** Every reason the journal carries, one per decision, result or settlement compared (the sim's rule). */
export function reasonsSeen(entries: ReadEntry[]): Seen[] {
  const out: Seen[] = [];
  for (const e of entries) {
    const x = e.rec;
    const add = (rs: Reason[], where: Omit<Seen, 'name' | 'params' | 't'>) => { for (const r of rs) out.push({ name: r.name, params: r.params, t: e.t, ...where }); };
    if (x.type === 'decision') add(x.body.reasons, { ref: x.body.txn.ref, amountMinor: x.body.txn.amountMinor });
    else if (x.type === 'decision-invalid') add(x.body.reasons, { ref: x.body.txn.ref });
    else if (x.type === 'result') add(x.body.reasons, { ref: x.body.ref, amountMinor: x.body.amountMinor });
    else if (x.type === 'settle' && x.body.step === 'compared') add(x.body.reasons, { batch: x.body.batch });
  }
  return out;
}

export const countReasons = (seen: Seen[]): Record<string, number> => {
  const c: Record<string, number> = {};
  for (const s of seen) c[s.name] = (c[s.name] ?? 0) + 1;
  return c;
};

/** A warning made moot by the problem it warned of, while that problem is open. */
const SUPERSEDED_BY: Partial<Record<ReasonName, ReasonName>> = { QUAL_EXPIRING: 'QUAL_EXPIRED', BATCH_NEAR_FULL: 'BATCH_FULL' };

const STEP_WORDS: Record<string, { zh: string; en: string }> = {
  begun: { zh: '已开始', en: 'begun' }, compared: { zh: '已对账', en: 'compared' }, uploaded: { zh: '已上送明细', en: 'uploaded' },
};

export function doctor(dataDir: string, lang: Lang): { device: string | null; findings: Finding[]; counts: Record<string, number> } {
  if (!existsSync(dataDir)) throw new UsageError(`--data ${dataDir}: no such folder`);
  const hal = readOnlyFlash(dataDir);
  const zh = lang === 'zh';
  const say = (r: Reason) => describe(r, lang);
  const entries = readEntries(hal);
  const dev0 = entries.length ? deviceOf(hal) : null;
  if (!entries.length || dev0 === null) {
    // Segments on the flash but no readable journal (no entry, or none that names the device): that is
    // damage, not a terminal that never booted.
    const problem = segNumbers(hal).length ? readRecords(hal, () => {}) : null;
    if (!problem) throw new UsageError(`--data ${dataDir}: no journal found (has this terminal booted?)`);
    const cause = causeWords(problem, zh);
    return { device: null, counts: {}, findings: [{ open: true, urgency: 0, title: 'FLASH_DAMAGE',
      message: zh ? `存储损坏：流水已无法读取（只剩 ${entries.length} 条可读），原因：${cause}。` : `Flash damage: the journal can no longer be read (${entries.length === 1 ? "1 entry" : `${entries.length} entries`} left readable); cause: ${cause}.`,
      remedy: zh ? '终端下次开机会记录这次损坏：能从检查点确定流水位置就继续交易，否则拒绝交易（STATE_LOST），而不是另起一条流水。平台保存着已确认的流水（preflight fleet export）；请联系服务商检测存储芯片。'
        : 'The terminal records the damage at its next boot: it trades on if its checkpoint tells where the journal stood, else it refuses (STATE_LOST) rather than start a second chain. The fleet holds what it acknowledged (preflight fleet export); have the service provider check the flash chip.' }] };
  }
  const dev = dev0!;
  const lastT = entries.reduce((m, e) => Math.max(m, e.t), 0);
  const tz: Transitions = policyOnFlash(hal)?.site.tz ?? [[0, 0]];
  const when = (s: Seen): Pick<Finding, 'at' | 'ref' | 'amount' | 'batch'> => ({
    at: localIso(tz, s.t), ref: s.ref, amount: s.amountMinor !== undefined ? yuan(s.amountMinor) : undefined, batch: s.batch });
  const findings: Finding[] = [];
  const j = new Journal(hal, dev);
  j.open();
  const l = j.ledger;
  const pb = readPolicyFile(hal);
  const pol = pb ? openPolicy(hal, pb, 0, lastT) : null;
  if (!pb) findings.push({ open: true, urgency: 0, ...say({ name: 'POLICY_MISSING', severity: 'deny', params: {} }), title: 'POLICY_MISSING' });
  else if (pol && !pol.ok) findings.push({ open: true, urgency: 0, ...say(pol.reason ?? { name: 'POLICY_INVALID', severity: 'deny', params: { why: pol.error } }), title: pol.reason?.name ?? 'POLICY_INVALID' });
  if (l.locked) findings.push({ open: true, urgency: 0, title: 'DEVICE_LOCKED', ...say({ name: 'DEVICE_LOCKED', severity: 'deny', params: { why: l.locked } }) });
  if (l.reversals.length) findings.push({ open: true, urgency: 1, title: 'REVERSAL_PENDING',
    message: zh ? `有 ${l.reversals.length} 笔冲正尚未完成（${l.reversals.map((r) => `${r.ref} ${yuan(+r.f4)}`).join('、')}）。` : `${l.reversals.length} reversal(s) still pending (${l.reversals.map((r) => `${r.ref} ${yuan(+r.f4)}`).join(', ')}).`,
    remedy: zh ? '请让终端联网，冲正会在下一笔交易前自动发送；在此之前请勿交付相关商品。' : 'Bring the terminal online; reversals go out before the next sale. Do not hand over those goods.' });
  if (l.settle) {
    const step = STEP_WORDS[l.settle.step]?.[lang] ?? l.settle.step;
    findings.push({ open: true, urgency: 1, title: 'SETTLEMENT_INCOMPLETE', batch: l.settle.batch,
      message: zh ? `批次 ${l.settle.batch} 的结算停在“${step}”这一步。` : `Settlement of batch ${l.settle.batch} stopped at step "${step}".`,
      remedy: zh ? '重新开机并联网，结算会从中断处继续。' : 'Restart the terminal online; settlement resumes where it stopped.' });
  }
  if (l.signerFailed) findings.push({ open: true, urgency: 1, title: 'SIGNER_FAILED',
    message: zh ? '签名模块故障，流水仍在记录但未封签。' : 'The signing module failed: entries are recorded but not sealed.',
    remedy: zh ? '请联系服务商检修安全模块；恢复后会自动补签。' : 'Have the secure element checked; entries are sealed once it is back.' });
  if (pol && pol.ok) {
    const r = pol.value.policy.resources;
    if (l.batch.count >= r.batchMaxTxns) findings.push({ open: true, urgency: 1, title: 'BATCH_FULL', ...say({ name: 'BATCH_FULL', severity: 'deny', params: { count: l.batch.count, max: r.batchMaxTxns } }) });
    else if (l.batch.count >= r.batchWarnRatio * r.batchMaxTxns) findings.push({ open: true, urgency: 3, title: 'BATCH_NEAR_FULL', ...say({ name: 'BATCH_NEAR_FULL', severity: 'warn', params: { count: l.batch.count, max: r.batchMaxTxns } }) });
  }
  if (j.unsealed > 0) findings.push({ open: true, urgency: 4, title: 'UNSEALED',
    message: zh ? `${j.unsealed} 条流水尚未封签（封签到第 ${j.sealedSeq} 条）。` : `${j.unsealed} journal entries are not sealed yet (sealed through ${j.sealedSeq}).`,
    remedy: zh ? '正常情况下会自动封签；若持续增加，请检查签名模块。' : 'Sealing normally catches up by itself; if this keeps growing, check the signer.' });

  const w = unackedFinding(hal, j, entries, lastT, tz, lang);
  if (w) findings.push(w);
  findings.push(...flashFindings(entries, tz, lang));
  // Damage on the flash now that no flash-damage entry names yet (the terminal has not booted, or
  // its scrubber has not reached the segment): the seqs the readable entries skip, and the file.
  const problem = readRecords(hal, () => {});
  const skipped: [number, number][] = [];
  for (let i = 1; i < entries.length; i++) if (entries[i]!.seq > entries[i - 1]!.seq + 1) skipped.push([entries[i - 1]!.seq + 1, entries[i]!.seq - 1]);
  if (problem && !findings.some((f) => f.title === 'FLASH_DAMAGE')) {
    const n = countOf(skipped);
    const which = ranges(skipped, zh);
    const cause = causeWords(problem, zh);
    findings.push({ open: true, urgency: 1, title: 'FLASH_DAMAGE', count: n || undefined,
      message: zh ? `存储损坏：${n ? `第 ${which} 条流水（共 ${n} 条）已无法读取` : '有记录已无法读取'}，原因：${cause}。终端下次开机或空闲自检时会记录这次损坏并告警，其余流水不受影响。`
        : `Flash damage: ${n ? (n === 1 ? `journal entry ${which}` : `journal entries ${which} (${n} in all)`) + ' can no longer be read' : 'records can no longer be read'}; cause: ${cause}. The terminal records and alerts it at its next boot or idle check; every other entry is unaffected.`,
      remedy: zh ? '请开机让终端记录损坏并继续上送；若损坏反复出现，请联系服务商检测或更换存储芯片。'
        : 'Power the terminal on: it records the damage and uploads go on. If damage keeps recurring, have the flash chip checked or replaced.' });
  }

  // What the latest decision still ran into is open now; the rest was seen earlier and is history.
  const seen = reasonsSeen(entries);
  const counts = countReasons(seen);
  const lastDecision = [...entries].reverse().find((e) => e.rec.type === 'decision' || e.rec.type === 'decision-invalid');
  const latest = lastDecision && (lastDecision.rec.type === 'decision' || lastDecision.rec.type === 'decision-invalid') ? lastDecision.rec.body.reasons : [];
  const openNow = new Set(latest.map((x) => x.name));
  const lastOf = new Map<ReasonName, Seen>();
  for (const s of seen) lastOf.set(s.name, s);
  const listed = new Set(findings.map((f) => f.title));
  for (const [name, last] of lastOf) {
    const d = REASONS[name];
    if (!d || listed.has(name)) continue;
    const over = SUPERSEDED_BY[name];
    if (over && (openNow.has(over) || listed.has(over))) continue;
    const open = openNow.has(name);
    const m = say({ name, severity: d.severity, params: last.params });
    findings.push({ open, urgency: (open ? 0 : 5) + (d.severity === 'deny' ? 2 : d.severity === 'review' ? 3 : 4), title: name, count: counts[name], reason: name,
      message: m.message, remedy: m.remedy, ...when(last) });
  }
  findings.sort((a, b) => a.urgency - b.urgency || (b.count ?? 0) - (a.count ?? 0));
  return { device: dev, findings, counts };
}

/** "3 h 10 min" / "3 小时 10 分". */
function span(ms: number, zh: boolean): string {
  const sec = Math.max(0, Math.floor(ms / 1000)), h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60);
  if (h >= 24) return zh ? `${Math.floor(h / 24)} 天 ${h % 24} 小时` : `${Math.floor(h / 24)} d ${h % 24} h`;
  if (h) return zh ? `${h} 小时 ${m} 分` : `${h} h ${m} min`;
  return m ? (zh ? `${m} 分` : `${m} min`) : (zh ? `${sec} 秒` : `${sec} s`);
}

/**
 * Sealed entries no fleet acknowledged (SPEC §7): how long the oldest has waited, as of the journal's
 * last entry, and why, from the ack mark and when it came (kept beside the journal).
 */
function unackedFinding(hal: ReturnType<typeof readOnlyFlash>, j: Journal, entries: ReadEntry[], lastT: number, tz: Transitions, lang: Lang): Finding | null {
  if (j.ackSeq >= j.sealedSeq) return null;
  const zh = lang === 'zh';
  const from = j.ackSeq + 1, to = j.sealedSeq;
  const oldest = entries.find((e) => e.seq >= from);
  if (!oldest) return null;
  const mark = Journal.ackMark(hal);
  const lastBoot = [...entries].reverse().find((e) => e.rec.type === 'boot');
  const consumer = zh ? '平台消费端是否在运行（带 --backend-key），且注册表里有这台终端？' : 'is a fleet consumer running with --backend-key, with this terminal in its registry?';
  const why = j.ackSeq === 0
    ? (zh ? `从未收到过任何确认——${consumer}` : `no acknowledgement was ever received — ${consumer}`)
    : mark.t !== null && lastBoot && mark.t < lastBoot.t
      ? (zh ? `本次开机（${localIso(tz, lastBoot.t)}）以来没有收到确认，上一次在 ${localIso(tz, mark.t)}——${consumer}` : `no acknowledgement received since boot (${localIso(tz, lastBoot.t)}); the last came ${localIso(tz, mark.t)} — ${consumer}`)
      : mark.t !== null
        ? (zh ? `最近一次确认在 ${localIso(tz, mark.t)}（确认到第 ${j.ackSeq} 条）` : `the last acknowledgement came ${localIso(tz, mark.t)} (through entry ${j.ackSeq})`)
        : (zh ? `已确认到第 ${j.ackSeq} 条` : `acknowledged through entry ${j.ackSeq}`);
  const age = span(lastT - oldest.t, zh);
  return {
    open: true, urgency: 4, title: 'UNACKNOWLEDGED',
    message: zh ? `第 ${from}–${to} 条流水等待平台确认已 ${age}；${why}` : `entries ${from}–${to} unacknowledged for ${age}; ${why}`,
    remedy: zh ? '流水会一直保留在终端上，并按退避间隔重发，直到平台确认；请检查终端能否连上消息服务器，以及平台消费端是否在运行。'
      : 'The entries stay on the terminal and are re-sent, backing off, until the fleet acknowledges them; check the terminal reaches the broker and a fleet consumer is running.',
  };
}

const ranges = (rs: [number, number][], zh: boolean) => rs.map(([a, b]) => (a === b ? `${a}` : `${a}–${b}`)).join(zh ? '、' : ', ');
const countOf = (rs: [number, number][]) => rs.reduce((n, [a, b]) => n + b - a + 1, 0);

/** What the cause of a damage says, in words: the file, and whether it was missing, empty or failed its check. */
function causeWords(cause: string, zh: boolean): string {
  const file = /^(?:segment )?(\S+?)(?::| is )/.exec(cause)?.[1] ?? '';
  const kind = /missing/.test(cause) ? (zh ? '缺少记录' : 'is missing records') : /empty/.test(cause) ? (zh ? '为空' : 'is empty')
    : (zh ? '校验失败（位翻转或写入中断）' : 'failed its check (a flipped bit or a torn write)');
  return file ? (zh ? `存储文件 ${file} ${kind}` : `flash file ${file} ${kind}`) : (zh ? '存储记录缺失' : 'records are missing');
}

/**
 * The flash's own story (SPEC §6 "Damage and lost state"): records lost to damage (each flash-damage
 * entry names the seq ranges and the cause), and noise from the network counted instead of journaled.
 */
export function flashFindings(entries: ReadEntry[], tz: Transitions, lang: Lang): Finding[] {
  const zh = lang === 'zh';
  const out: Finding[] = [];
  const damage = entries.filter((e) => e.rec.type === 'flash-damage');
  if (damage.length) {
    const lost: [number, number][] = [], unverifiable: [number, number][] = [];
    for (const e of damage) if (e.rec.type === 'flash-damage') { lost.push(...e.rec.body.lost); unverifiable.push(...e.rec.body.unverifiable); }
    const last = damage[damage.length - 1]!;
    const cause = last.rec.type === 'flash-damage' ? causeWords(last.rec.body.cause, zh) : '';
    const n = countOf(lost), u = countOf(unverifiable);
    out.push({ open: false, urgency: 2, title: 'FLASH_DAMAGE', count: damage.length, at: localIso(tz, last.t),
      message: zh
        ? `存储损坏：第 ${ranges(lost, zh)} 条流水（共 ${n} 条）已无法读取，原因：${cause}。其余流水完好并继续上送${u ? `；其中 ${u} 条失去了封签，无法再单独验证` : ''}。`
        : `Flash damage: ${n === 1 ? `journal entry ${ranges(lost, zh)}` : `journal entries ${ranges(lost, zh)} (${n} in all)`} can no longer be read; cause: ${cause}. Every other entry is intact and uploads go on${u ? `; ${u === 1 ? '1 entry' : `${u} entries`} lost the seal that covered ${u === 1 ? 'it' : 'them'} and cannot be verified on ${u === 1 ? 'its' : 'their'} own` : ''}.`,
      remedy: zh
        ? '终端可以继续交易，无需操作。平台若在损坏前已确认这些流水，它们仍在平台存储中；若损坏反复出现，请联系服务商检测或更换存储芯片。'
        : 'The terminal trades on; nothing to do now. If the fleet acknowledged these entries before the damage it still holds them; if damage keeps recurring, have the flash chip checked or replaced.' });
  }
  const noise = entries.filter((e) => e.rec.type === 'noise');
  if (noise.length) {
    let count = 0;
    for (const e of noise) if (e.rec.type === 'noise') count += e.rec.body.count;
    const last = noise[noise.length - 1]!;
    out.push({ open: false, urgency: 6, title: 'NETWORK_NOISE', count, at: localIso(tz, last.t),
      message: zh ? `终端拒绝了 ${count} 条未签名、签名无效或格式错误的网络消息，只计数，不占用交易所需的存储。`
        : `The terminal refused ${count} unsigned, wrongly signed or malformed network messages; they are counted, never stored where trading needs the room.`,
      remedy: zh ? '偶尔出现无需处理；若持续增加，请检查是谁在向该终端的指令主题发送消息。'
        : 'Nothing to do if it is rare; if it keeps growing, find who publishes on this terminal\'s command topic.' });
  }
  return out;
}

/** Where and when, for people: "last 2026-03-03 09:30:00+08:00, ref D1, amount ¥12.00 (26 times)". */
function whenText(f: Finding, L: Lang): string | null {
  if (!f.at) return null;
  const zh = L === 'zh';
  const parts = [zh ? `最近一次：${f.at.replace('T', ' ')}` : `last: ${f.at.replace('T', ' ')}`];
  if (f.ref) parts.push(zh ? `交易 ${f.ref}` : `ref ${f.ref}`);
  if (f.amount) parts.push(zh ? `金额 ${f.amount}` : `amount ${f.amount}`);
  if (f.batch !== undefined) parts.push(zh ? `批次 ${f.batch}` : `batch ${f.batch}`);
  if (f.count && f.count > 1) parts.push(zh ? `共 ${f.count} 次` : `${f.count} times in all`);
  return parts.join(zh ? '，' : ', ');
}

/** Doctor's answer as people read it. */
export function doctorText(d: ReturnType<typeof doctor>, L: Lang): string {
  const out: string[] = [L === 'zh' ? `终端 ${d.device ?? '（未知）'} 体检结果：` : `Terminal ${d.device ?? '(unknown)'}:`];
  const show = (title: string, fs: Finding[], from: number) => {
    if (!fs.length) return;
    out.push(title);
    fs.forEach((f, i) => {
      out.push(`${from + i}. [${f.title}${f.count && f.count > 1 ? ` ×${f.count}` : ''}] ${f.message}`);
      const w = whenText(f, L);
      if (w) out.push(`   ${w}`);
      out.push(`   ${L === 'zh' ? '建议' : 'what to do'}${L === 'zh' ? '：' : ': '}${f.remedy}`);
    });
  };
  const open = d.findings.filter((f) => f.open), past = d.findings.filter((f) => !f.open);
  if (!open.length) out.push(L === 'zh' ? '现在没有待处理的问题。' : 'Nothing is wrong right now.');
  show(L === 'zh' ? '现在的问题（最紧急的在前）：' : 'Open now, most urgent first:', open, 1);
  show(L === 'zh' ? '近期出现过（已不再影响交易）：' : 'Seen recently (no longer in the way):', past, open.length + 1);
  return out.join('\n');
}

export const DOCTOR: Command[] = [{
  name: 'doctor',
  summary: 'Explains a terminal\'s state and recent denials in plain words, most urgent first, with what to do: when each last happened (shop\'s local time), on which transaction or batch, and how often; entries no fleet acknowledged, for how long and why. Reads the data folder without writing to it. Exit 1 while something stops it from trading.',
  options: {
    data: { type: 'string', arg: 'DIR', help: 'the terminal\'s data folder (its flash)', required: true },
    lang: LANG_OPT, json: JSON_OPT,
  },
  example: 'preflight doctor --data .sim-data/T-0001 --lang en',
  run({ values, out }) {
    const L = lang(values.lang);
    const d = doctor(values.data as string, L);
    const failing = d.findings.some((f) => f.open && f.urgency <= 2);
    out(values.json ? JSON.stringify(d) : doctorText(d, L));
    return failing ? 1 : 0;
  },
}];
