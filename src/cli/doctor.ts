// `preflight doctor --data DIR` (SPEC §2): reads a terminal's flash (journal, policy, state) without
// writing to it and explains, most urgent first, what is wrong and what to do, in zh or en.

import { readOnlyFlash } from '../node/flash-folder';
import { Journal } from '../core/journal/journal';
import { parseEntry } from '../core/journal/entry';
import { deviceOf, readRecords } from '../core/journal/export';
import { KIND_ENTRY } from '../core/journal/frame';
import { openPolicy, readPolicyFile } from '../core/policy/store';
import { describe, REASONS, type Lang, type Reason, type ReasonName } from '../core/reasons/catalog';
import { UsageError } from '../node/errors';
import { JSON_OPT, LANG_OPT, lang, type Command } from './command';
import { existsSync } from 'node:fs';

export interface Finding { urgency: number; title: string; message: string; remedy: string; count?: number; reason?: string; open: boolean }

export function doctor(dataDir: string, lang: Lang): { device: string | null; findings: Finding[] } {
  if (!existsSync(dataDir)) throw new UsageError(`--data ${dataDir}: no such folder`);
  const hal = readOnlyFlash(dataDir);
  const findings: Finding[] = [];
  const zh = lang === 'zh';
  const say = (r: Reason) => describe(r, lang);
  let dev: string | null = null, lastT = 0;
  const recent: { name: ReasonName; params: Record<string, string | number>; t: number }[] = [];
  let latest: { name: ReasonName; params: Record<string, string | number> }[] = [];   // the last decision's reasons
  readRecords(hal, (r) => {
    if (r.kind !== KIND_ENTRY) return;
    const e = parseEntry(r.payload);
    if (!e.ok) return;
    lastT = Math.max(lastT, e.value.t);
    const x = e.value.rec;
    if (x?.type === 'decision') latest = x.body.reasons;
    if ((x?.type === 'decision' && x.body.verdict !== 'allow') || x?.type === 'result' || x?.type === 'decision-invalid') {
      for (const y of x.body.reasons) recent.push({ name: y.name, params: y.params, t: e.value.t });
    }
  });
  dev = deviceOf(hal);
  if (dev === null) throw new UsageError(`--data ${dataDir}: no journal found (has this terminal booted?)`);
  const j = new Journal(hal, dev);
  j.open();
  const l = j.ledger;
  const pb = readPolicyFile(hal);
  const pol = pb ? openPolicy(hal, pb, 0, lastT) : null;
  if (!pb) findings.push({ open: true, urgency: 0, ...say({ name: 'POLICY_MISSING', severity: 'deny', params: {} }), title: 'POLICY_MISSING' });
  else if (pol && !pol.ok) findings.push({ open: true, urgency: 0, ...say(pol.reason ?? { name: 'POLICY_INVALID', severity: 'deny', params: { why: pol.error } }), title: pol.reason?.name ?? 'POLICY_INVALID' });
  if (l.locked) findings.push({ open: true, urgency: 0, title: 'DEVICE_LOCKED', ...say({ name: 'DEVICE_LOCKED', severity: 'deny', params: { why: l.locked } }) });
  if (l.reversals.length) findings.push({ open: true, urgency: 1, title: 'REVERSAL_PENDING',
    message: zh ? `有 ${l.reversals.length} 笔冲正尚未完成（${l.reversals.map((r) => r.ref).join('、')}）。` : `${l.reversals.length} reversal(s) still pending (${l.reversals.map((r) => r.ref).join(', ')}).`,
    remedy: zh ? '请让终端联网，冲正会在下一笔交易前自动发送；在此之前请勿交付相关商品。' : 'Bring the terminal online; reversals go out before the next sale. Do not hand over those goods.' });
  if (l.settle) findings.push({ open: true, urgency: 1, title: 'SETTLEMENT_INCOMPLETE',
    message: zh ? `批次 ${l.settle.batch} 的结算停在“${l.settle.step}”步骤。` : `Settlement of batch ${l.settle.batch} stopped at step "${l.settle.step}".`,
    remedy: zh ? '重新开机并联网，结算会从中断处继续。' : 'Restart the terminal online; settlement resumes where it stopped.' });
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
  // What the latest decision still ran into is open now; the rest was seen earlier and is history.
  const openNow = new Set(latest.map((x) => x.name));
  const byName = new Map<ReasonName, { count: number; last: typeof recent[number] }>();
  for (const x of recent) {
    const k = byName.get(x.name);
    byName.set(x.name, { count: (k?.count ?? 0) + 1, last: x });
  }
  for (const x of latest) if (!byName.has(x.name)) byName.set(x.name, { count: 1, last: { ...x, t: lastT } });
  for (const [name, v] of byName) {
    const d = REASONS[name];
    if (!d) continue;
    const open = openNow.has(name);
    const last = open ? { ...v.last, params: latest.find((x) => x.name === name)!.params } : v.last;
    const m = say({ name, severity: d.severity, params: last.params });
    findings.push({ open, urgency: (open ? 0 : 5) + (d.severity === 'deny' ? 2 : d.severity === 'review' ? 3 : 4), title: name, count: v.count, reason: name,
      message: m.message, remedy: m.remedy });
  }
  findings.sort((a, b) => a.urgency - b.urgency || (b.count ?? 0) - (a.count ?? 0));
  return { device: dev, findings };
}

export const DOCTOR: Command[] = [{
  name: 'doctor',
  summary: 'Explains a terminal\'s state and recent denials in plain words, most urgent first, with what to do. Reads the data folder without writing to it. Exit 1 while something stops it from trading.',
  options: {
    data: { type: 'string', arg: 'DIR', help: 'the terminal\'s data folder (its flash)', required: true },
    lang: LANG_OPT, json: JSON_OPT,
  },
  example: 'preflight doctor --data .sim-data/T-0001 --lang en',
  run({ values, out }) {
    const L = lang(values.lang);
    const d = doctor(values.data as string, L);
    const failing = d.findings.some((f) => f.open && f.urgency <= 2);
    if (values.json) { out(JSON.stringify(d)); return failing ? 1 : 0; }
    out(L === 'zh' ? `终端 ${d.device} 体检结果：` : `Terminal ${d.device}:`);
    const show = (title: string, fs: Finding[], from: number) => {
      if (!fs.length) return;
      out(title);
      fs.forEach((f, i) => out(`${from + i}. [${f.title}${f.count && f.count > 1 ? ` ×${f.count}` : ''}] ${f.message}\n   ${L === 'zh' ? '建议' : 'what to do'}: ${f.remedy}`));
    };
    const open = d.findings.filter((f) => f.open), past = d.findings.filter((f) => !f.open);
    if (!open.length) out(L === 'zh' ? '现在没有待处理的问题。' : 'Nothing is wrong right now.');
    show(L === 'zh' ? '现在的问题（最紧急的在前）：' : 'Open now, most urgent first:', open, 1);
    show(L === 'zh' ? '近期出现过（已不再影响交易）：' : 'Seen recently (no longer in the way):', past, open.length + 1);
    return failing ? 1 : 0;
  },
}];
