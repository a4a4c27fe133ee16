// The readable side of `preflight sim run` (SPEC §9): a timeline as it happens, in the shop's local
// time with its offset and a heading per local day, counts per reason with what to do, and the
// journal's state, all in the language asked for. A warn reason (a licence about to expire) is told
// once a day, not on every sale. --json prints the lines untouched instead.

import { describe, REASONS, type Lang, type Reason, type ReasonName } from '../../src/core/reasons/catalog';
import { sentenceIn } from '../../src/core/reasons/why-zh';
import { COMMAND_WORDS, OUTCOME_WORDS, VERDICT_WORDS, WEEKDAY_WORDS, word } from '../../src/core/reasons/words';
import { WEEKDAYS } from '../../src/core/time/local';
import type { Line } from '../scenario/run';
import type { Paint } from '../../src/node/term';
import type { Waiting } from '../../src/core/telemetry/telemetry';

type T = { zh: string; en: string };
const w = (zh: string, en: string): T => ({ zh, en });

/** Every word the report prints that is not a reason's own message. */
const WORDS = {
  boot: w('开机（{reason}）：流水第 {seq} 条，策略版本 {version}', 'boot ({reason}): journal seq {seq}, policy v{version}'),
  bootProblem: w('，策略问题 {problem}', ', policy problem {problem}'),
  bootFailed: w('开机失败：{error}', 'boot failed: {error}'),
  recovered: w('（断电前已发往收单机构，结果未知）', ' (sent before the power went: outcome unknown)'),
  settled: w('批次 {batch} 结算：{how}；下一批次 {next}', 'settlement of batch {batch}: {how}; next batch {next}'),
  balanced: w('对账平衡', 'balanced'),
  unbalanced: w('对账不平，已上送批次明细', 'UNBALANCED, batch uploaded'),
  resumedSettle: w('（重启后继续完成）', ' (resumed after reboot)'),
  settleFailed: w('结算未完成：{why}', 'settlement not done: {why}'),
  settleNoNet: w('网络断开，结算需要联系收单机构', 'network down: settlement needs the acquirer'),
  reversalDone: w('{ref} 的冲正：已完成', 'reversal of {ref}: done'),
  reversalPending: w('{ref} 的冲正：仍待完成', 'reversal of {ref}: still pending'),
  powerLost: w('断电', 'power lost'),
  powerDuring: w('（正在处理 {during}）', ' during {during}'),
  powerArmed: w('已设定：之后第 {atWrite} 次写入时断电', 'power cut armed at write {atWrite}'),
  powerOff: w('电源本已关闭', 'power already off'),
  crash: w('终端崩溃（{kind}）：{message}', 'terminal crashed ({kind}): {message}'),
  netUp: w('网络恢复', 'network up'), netDown: w('网络断开', 'network down'),
  linkUp: w('与消息服务器连接', 'broker link up'), linkDown: w('与消息服务器的连接中断', 'broker link lost'),
  clockSync: w('时钟已与可信时间同步', 'clock synced to trusted time'),
  clockJump: w('时钟跳变 {jumpS} 秒', 'clock jumped {jumpS} s'),
  clockFreeze: w('时钟停走', 'clock frozen'), clockThaw: w('时钟恢复走时', 'clock running again'),
  cmdOk: w('远程指令 {kind}：已接受', 'command {kind}: accepted'),
  cmdRefused: w('远程指令 {kind}：被拒绝：{why}', 'command {kind}: refused: {why}'),
  signerDown: w('签名模块故障', 'signer failed'), signerUp: w('签名模块恢复', 'signer recovered'),
  policyOk: w('策略更新：已安装版本 {version}', 'policy update: installed v{version}'),
  policyRefused: w('策略更新被拒绝：{why}', 'policy update: refused: {why}'),
  alert: w('告警 {kind}', 'ALERT {kind}'), alertOn: w('告警 {kind}（交易 {ref}）', 'ALERT {kind} on {ref}'),
  error: w('错误：{error}', 'error: {error}'),
  day: w('—— {date} {weekday}（当地时间）——', '-- {date} {weekday} (local time) --'),
  onceADay: w('（当天只提示一次）', ' (told once a day)'),
  verdicts: w('结论：{list}', 'verdicts: {list}'),
  outcomes: w('收单结果：{list}', 'acquirer outcomes: {list}'),
  none: w('无', 'none'),
  reasonsHead: w('原因（按出现次数，多的在前）：', 'reasons, most frequent first:'),
  journal: w('流水：共 {entries} 条，封签到第 {sealed} 条，确认到第 {acked} 条；批次 {batch} 有 {count} 笔；待冲正 {reversals} 笔',
    'journal: {entries} entries, sealed through {sealed}, acknowledged through {acked}; batch {batch} holds {count}; reversals pending {reversals}'),
  telemetry: w('遥测：{boots} 次开机共 {count} 条消息，{bytes} 字节（{kinds}）', 'telemetry: {count} messages, {bytes} bytes ({kinds}) over {boots} boot(s)'),
  brokerUnreachable: w('无法连接消息服务器 {url}（{error}）：终端离线交易，流水留在终端上，连上后再上送', 'broker {url} could not be reached ({error}): the terminal traded offline and keeps its journal to upload once it connects'),
  unacked: w('第 {from}–{to} 条流水等待确认已 {age}；{why}', 'entries {from}–{to} unacknowledged for {age}; {why}'),
  noAckSinceBoot: w('开机以来没有收到任何确认——平台消费端是否在运行（带 --backend-key）？', 'no acknowledgement received since boot — is a fleet consumer running with --backend-key?'),
  noLink: w('终端未连上消息服务器', 'the terminal is not connected to a broker'),
  lastAck: w('最近一次确认在 {age} 前', 'the last acknowledgement came {age} ago'),
  offline: w('离线', 'offline'),
  heap: w('QuickJS 堆峰值：{kib} KiB', 'QuickJS heap peak: {kib} KiB'),
  dataDir: w('数据目录（终端闪存）：{path}', 'data folder: {path}'),
  fleetDir: w('运营端（密钥、注册表、存储）：{path}', 'fleet (keys, registry, store): {path}'),
  reportFile: w('图形报告：{path}', 'report: {path}'),
} satisfies Record<string, T>;

const BOOT_WORDS: Record<string, T> = {
  'power-on': w('上电', 'power-on'), 'power-cut': w('断电后重新上电', 'power-cut'), restart: w('重启', 'restart'),
};
const SEVERITY_WORDS: Record<string, T> = { deny: w('拒绝', 'deny'), review: w('复核', 'review'), warn: w('提示', 'warn') };
const TELEMETRY_WORDS: Record<string, T> = {
  status: w('状态', 'status'), health: w('心跳', 'health'), journal: w('流水', 'journal'), decision: w('决策', 'decision'), alert: w('告警', 'alert'),
};

export function say(key: keyof typeof WORDS, lang: Lang, p: Record<string, unknown> = {}): string {
  return WORDS[key][lang].replace(/\{(\w+)\}/g, (m, k: string) => (k in p ? String(p[k]) : m));
}

const bootReason = (r: string, lang: Lang): string => {
  if (BOOT_WORDS[r]) return BOOT_WORDS[r]![lang];
  const crash = /^crash-(.+)$/.exec(r);
  if (crash) return lang === 'zh' ? `崩溃后重启：${crash[1]}` : r;
  const img = /^image-updated: version (\d+)$/.exec(r);
  if (img) return lang === 'zh' ? `镜像已更新到版本 ${img[1]}` : r;
  const refused = /^image-refused: (.*)$/.exec(r);
  if (refused) return lang === 'zh' ? `新镜像被拒绝，仍运行原镜像：${refused[1]}` : r;
  return r;
};

const list = (counts: Record<string, number>, table: Record<string, T>, lang: Lang) =>
  Object.entries(counts).map(([k, n]) => `${word(table, k, lang)} ${n}`).join(lang === 'zh' ? '，' : ', ') || say('none', lang);

/** `2026-03-02T09:00:00+08:00` -> `09:00:00+08:00`: the local time and its offset, as the line carries it. */
const clock = (at: unknown) => (typeof at === 'string' && at.length >= 20 ? at.slice(11, 19) + at.slice(19).replace(/^\.\d+/, '') : '        ');

/** The timeline as it happens: one renderer per run, since it remembers the day and the warnings told. */
export class Timeline {
  private day = '';
  private warned = new Set<string>();
  constructor(private c: Paint, private lang: Lang) {}

  private details(l: Line): string[] {
    const d = Array.isArray(l.detail) ? (l.detail as Reason[]) : [];
    const out: string[] = [];
    for (const r of d) {
      const def = REASONS[r.name as ReasonName];
      if (!def) continue;
      let once = '';
      if (def.severity === 'warn') {
        const key = `${r.name}|${r.params.kind ?? ''}`;
        if (this.warned.has(key)) continue;
        this.warned.add(key);
        once = say('onceADay', this.lang);
      }
      out.push(`                 ${r.name}: ${describe({ name: r.name, severity: def.severity, params: r.params }, this.lang).message}${once}`);
    }
    return out;
  }

  /** The text for one line, or null for lines people need not see; a new local day gets a heading. */
  line(l: Line): string | null {
    const body = this.body(l);
    if (body === null) return null;
    const out: string[] = [];
    const at = typeof l.at === 'string' ? l.at : '';
    if (at && at.slice(0, 10) !== this.day) {
      this.day = at.slice(0, 10);
      this.warned.clear();
      const wd = WEEKDAYS[new Date(Date.parse(this.day + 'T00:00:00Z')).getUTCDay()]!;
      out.push(this.c('1', say('day', this.lang, { date: this.day, weekday: word(WEEKDAY_WORDS, wd, this.lang) })));
    }
    out.push(`${clock(l.at)} ${body}`);
    if (l.event === 'decision' || l.event === 'result' || l.event === 'settlement') out.push(...this.details(l));
    return out.join('\n');
  }

  private body(l: Line): string | null {
    const { c, lang } = this;
    const v = (x: string, words: Record<string, T>) => {
      const t = word(words, x, lang);
      return x === 'allow' || x === 'approved' ? c('32', t) : x === 'review' ? c('33', t) : c('31', t);
    };
    switch (l.event) {
      case 'boot':
        return l.ok ? c('36', say('boot', lang, { reason: bootReason(String(l.reason), lang), seq: l.seq, version: l.policyVersion })
          + (l.policyProblem ? say('bootProblem', lang, { problem: l.policyProblem }) : '')) : c('31', say('bootFailed', lang, { error: l.error }));
      case 'decision': return `${String(l.ref).padEnd(7)} ${v(String(l.verdict), VERDICT_WORDS)}`;
      case 'result': return `${String(l.ref).padEnd(7)} -> ${v(String(l.outcome), OUTCOME_WORDS)}${l.recovered ? say('recovered', lang) : ''}`;
      case 'settlement':
        if (!l.ok) return c('31', say('settleFailed', lang, { why: l.why === 'network down: settlement needs the acquirer' ? say('settleNoNet', lang) : l.why }));
        return c('36', say('settled', lang, { batch: l.batch, how: say(l.balanced ? 'balanced' : 'unbalanced', lang), next: l.nextBatch })
          + (l.resumed ? say('resumedSettle', lang) : ''));
      case 'reversal': return say(l.done ? 'reversalDone' : 'reversalPending', lang, { ref: l.ref });
      case 'power':
        if (l.state === 'armed') return c('35', say('powerArmed', lang, { atWrite: l.atWrite ?? 1 }));
        if (l.state === 'already off') return c('35', say('powerOff', lang));
        return c('35', say('powerLost', lang) + (l.during ? say('powerDuring', lang, { during: l.during }) : ''));
      case 'crash': return c('31', say('crash', lang, { kind: l.kind, message: l.message }));
      case 'network': return c('35', say(l.up ? 'netUp' : 'netDown', lang));
      case 'link': return c('35', say(l.up ? 'linkUp' : 'linkDown', lang));
      case 'clock':
        if (l.sync) return c('35', say('clockSync', lang));
        if (l.freeze !== undefined) return c('35', say(l.freeze ? 'clockFreeze' : 'clockThaw', lang));
        return c('35', say('clockJump', lang, { jumpS: l.jumpS }));
      case 'command': return say(l.accepted ? 'cmdOk' : 'cmdRefused', lang, { kind: l.kind ? word(COMMAND_WORDS, String(l.kind), lang) : (lang === 'zh' ? '（未知）' : '(unknown)'), why: l.why ? sentenceIn(String(l.why), lang) : '' });
      case 'signer': return c('35', say(l.up ? 'signerUp' : 'signerDown', lang));
      case 'policy': return say(l.accepted ? 'policyOk' : 'policyRefused', lang, { version: l.version, why: l.why });
      case 'alert': return c('31', l.ref ? say('alertOn', lang, { kind: l.kind, ref: l.ref }) : say('alert', lang, { kind: l.kind }));
      case 'error': return c('31', say('error', lang, { error: l.error }));
      default: return null;
    }
  }
}

/** "3 h 10 min", "45 s", "3 小时 10 分". */
export function duration(sec: number, lang: Lang): string {
  const zh = lang === 'zh', h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60);
  if (h >= 24) { const d = Math.floor(h / 24), hh = h % 24; return zh ? `${d} 天 ${hh} 小时` : `${d} d ${hh} h`; }
  if (h) return zh ? `${h} 小时 ${m} 分` : `${h} h ${m} min`;
  if (m) return zh ? `${m} 分` : `${m} min`;
  return zh ? `${sec} 秒` : `${sec} s`;
}

/** How long sealed entries have waited for an acknowledgement, and the likeliest why (SPEC §7). */
export function unackedText(u: Waiting, lang: Lang): string {
  const why = !u.connected && !u.everConnected ? say('noLink', lang)
    : u.lastAckAgeS === null ? say('noAckSinceBoot', lang)
    : say('lastAck', lang, { age: duration(u.lastAckAgeS, lang) });
  return say('unacked', lang, { from: u.from, to: u.to, age: duration(u.ageS, lang), why });
}

export function summaryText(s: Line, c: Paint, lang: Lang): string {
  const out: string[] = ['', c('1', `== ${s.scenario}: ${s.dev} ==`)];
  out.push(say('verdicts', lang, { list: list(s.verdicts as Record<string, number>, VERDICT_WORDS, lang) }));
  out.push(say('outcomes', lang, { list: list(s.outcomes as Record<string, number>, OUTCOME_WORDS, lang) }));
  out.push('', c('1', say('reasonsHead', lang)));
  const rs = Object.entries(s.reasons as Record<string, number>).sort((a, b) => b[1] - a[1]);
  for (const [name, n] of rs) {
    const d = REASONS[name as ReasonName];
    if (!d) continue;
    const remedy = (lang === 'zh' ? d.remedyZh : d.remedyEn).replace('{remedy}', '').trim();
    out.push(`  ${String(n).padStart(3)}  ${name} [${word(SEVERITY_WORDS, d.severity, lang)}]  ${remedy}`);
  }
  const j = s.journal as Record<string, any> | null;
  if (j) out.push('', say('journal', lang, { entries: j.entries, sealed: j.sealedThrough, acked: j.acknowledgedThrough, batch: j.batch.no, count: j.batch.count, reversals: j.reversalsPending }));
  const t = s.telemetry as Record<string, any> | null;
  if (t) out.push(say('telemetry', lang, { count: t.count, bytes: t.bytes, boots: t.boots ?? 1, kinds: list(t.byKind, TELEMETRY_WORDS, lang) === say('none', lang) ? say('offline', lang) : list(t.byKind, TELEMETRY_WORDS, lang) }));
  const b = s.broker as { url: string; reached: boolean; error: string | null } | null | undefined;
  if (b && !b.reached) out.push(c('33', say('brokerUnreachable', lang, { url: b.url, error: b.error ?? '?' })));
  const u = s.unacked as Waiting | null | undefined;
  if (u) out.push(c('33', unackedText(u, lang)));
  out.push(say('heap', lang, { kib: Math.round((s.heapPeakBytes as number) / 1024) }));
  return out.join('\n');
}

/** Where the run left its files. */
export function footerText(f: { dataDir: string; fleetDir?: string | null; report?: string | null }, lang: Lang): string {
  return ['', say('dataDir', lang, { path: f.dataDir }),
    ...(f.fleetDir ? [say('fleetDir', lang, { path: f.fleetDir })] : []),
    ...(f.report ? [say('reportFile', lang, { path: f.report })] : [])].join('\n');
}

/** A whole run as people read it (what `sim run` prints, for tests and reports). */
export function readableRun(lines: Line[], c: Paint, lang: Lang): string {
  const tl = new Timeline(c, lang);
  const out: string[] = [];
  for (const l of lines) { if (l.event === 'summary') out.push(summaryText(l, c, lang)); else { const t = tl.line(l); if (t) out.push(t); } }
  return out.join('\n');
}
