// What people read (issue 17, SPEC §3, §9): every scenario's report and doctor in zh carry no English
// outside codes and data; times are the shop's local time with its offset; a warn reason is told once
// a day; the counts of sim run and doctor agree; doctor says when, on what and how often, settlement
// included; a re-run says in words why the clock is not trusted.
import { beforeAll, describe, expect, it } from 'vitest';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseScenario } from '../../host-sim/scenario/parse';
import { runScenario, type RunResult } from '../../host-sim/scenario/run';
import { footerText, readableRun } from '../../host-sim/report/timeline';
import { doctor, doctorText } from '../../src/cli/doctor';
import { describe as tell, type Reason } from '../../src/core/reasons/catalog';
import { bundle } from '../helpers/bundle';
import { tmp } from '../helpers/device';
import { card, run } from '../helpers/scenario';

const plain = (_: string, s: string) => s;
const SCENARIOS = readdirSync('host-sim/scenarios').filter((n) => n.endsWith('.json') && !n.startsWith('policy'));
const json = (f: string) => JSON.parse(readFileSync(`host-sim/scenarios/${f}`, 'utf8'));
const load = (f: string) => {
  const raw = json(f);
  if (typeof raw.policy === 'string') raw.policy = JSON.parse(readFileSync(resolve('host-sim/scenarios', raw.policy), 'utf8'));
  return { raw, sc: parseScenario(raw) };
};

/** The data a scenario brings (names, ids, refs, licence kinds, the zone): printed as given, never translated. */
function dataOf(raw: any): string[] {
  const out = [raw.name, raw.device?.id, raw.device?.fleet, raw.policy?.merchant?.name, raw.policy?.site?.timezone,
    ...(raw.policy?.merchant?.qualifications ?? []).map((q: any) => q.kind)];
  for (const e of raw.events ?? []) out.push(e.txn?.ref, e.txn?.original, e.cmd?.why);
  return out.filter((x): x is string => typeof x === 'string').sort((a, b) => b.length - a.length);
}

/** English words left once codes (A_B, MCC, f42, T-0001), data and the two product words are taken out. */
function englishIn(text: string, data: string[]): string[] {
  let t = text;
  for (const d of data) t = t.split(d).join(' ');
  t = t.replace(/\/[\w./+-]+/g, ' ')                           // file paths
    .replace(/--[a-z][\w-]*/g, ' ')                            // command-line options, typed as they are
    .replace(/\b[A-Z][A-Z0-9_]+\b/g, ' ')                      // codes: reason names, MCC, MTI
    .replace(/\b[\w-]*\d[\w-]*\b/g, ' ')                       // refs, ids, field numbers, times
    .replace(/\b(QuickJS|KiB|COSE_Sign1)\b/g, ' ');            // the engine's name and a unit
  return [...new Set(t.match(/[A-Za-z]{2,}/g) ?? [])];
}

interface Ran { raw: any; r: RunResult; dir: string }
const ran: Record<string, Ran> = {};
let rerun: RunResult, rerunDir: string;
beforeAll(async () => {
  for (const f of SCENARIOS) {
    const { raw, sc } = load(f);
    const dir = join(tmp('pf-read-'), 'flash');
    ran[f] = { raw, dir, r: await runScenario(sc, { dataDir: dir, bundle: bundle(), network: null }) };
  }
  // The night shop once more on a copy of its flash: the clock starts behind what the journal holds.
  const again = join(tmp('pf-read-'), 'flash');
  cpSync(ran['night-shop.json']!.dir, again, { recursive: true });
  cpSync(`${ran['night-shop.json']!.dir}.fleet`, `${again}.fleet`, { recursive: true });   // the same operator side
  rerun = await runScenario(load('night-shop.json').sc, { dataDir: again, bundle: bundle(), network: null });
  rerunDir = again;
}, 120_000);

describe('plain Chinese', () => {
  it.each(SCENARIOS)('%s: the zh report and doctor carry no English outside codes and data', (f) => {
    const { raw, r, dir } = ran[f]!;
    const text = [readableRun(r.lines, plain, 'zh'), footerText({ dataDir: dir, report: `${dir}-report.html` }, 'zh'), doctorText(doctor(dir, 'zh'), 'zh')].join('\n');
    expect(englishIn(text, dataOf(raw)), text).toEqual([]);
  });

  it('a re-run, refused refs and bad entry modes read in Chinese too', async () => {
    const { raw } = ran['night-shop.json']!;
    const text = readableRun(rerun.lines, plain, 'zh') + '\n' + doctorText(doctor(rerunDir, 'zh'), 'zh');
    expect(text).toMatch(/交易参考号 N1 已经用过/);
    expect(englishIn(text, dataOf(raw)), text).toEqual([]);
    const bad = await run([card('E1', 1000, { entryMode: '12' }), card('E2', 1000, { entryMode: '991' }), card('E3', 1000, { entryMode: '053' }),
      { txn: { ref: 'V1', type: 'void', channel: 'card', amountMinor: 1000, entryMode: '051', conditionCode: '00', original: 'NOPE' } }]);
    const zh = readableRun(bad.lines, plain, 'zh');
    expect(zh).toMatch(/服务点输入方式码（22 域）“12”无效：必须是 3 位数字。/);
    expect(zh).toMatch(/“991”无效：卡号输入方式 99 未知。/);
    expect(zh).toMatch(/找不到原交易“NOPE”（本终端的流水中没有这笔交易）。/);
    expect(englishIn(zh, ['E1', 'E2', 'E3', 'V1', 'NOPE', 'test', 'T-SC']), zh).toEqual([]);
  });
});

describe("the shop's local time", () => {
  it('the timeline, its JSON lines and its messages give local time with the offset and the local weekday', () => {
    const { r } = ran['night-shop.json']!;
    const zh = readableRun(r.lines, plain, 'zh'), en = readableRun(r.lines, plain, 'en');
    expect(zh).not.toMatch(/\d{2}:\d{2}:\d{2}Z/);
    expect(zh).toMatch(/^23:30:00\+08:00 N4 +拒绝$/m);
    expect(zh).toMatch(/^—— 2026-03-06 周五（当地时间）——$/m);
    expect(zh).toMatch(/^—— 2026-03-07 周六（当地时间）——$/m);
    expect(zh).toMatch(/当前当地时间 23:30（周五）不在营业时间内/);
    expect(en).toMatch(/Local time 23:30 \(Friday\) is outside business hours/);
    expect(r.lines.find((l) => l.event === 'decision' && l.ref === 'N4')!.at).toBe('2026-03-06T23:30:00+08:00');
    expect(r.lines.every((l) => l.event === 'summary' || /[+-]\d{2}:\d{2}$/.test(String(l.at))), 'every line carries its local time').toBe(true);
  });

  it('doctor says when each problem last happened, on which ref and amount or batch', () => {
    const d = doctor(ran['day-at-a-shop.json']!.dir, 'en');
    for (const f of d.findings.filter((x) => x.reason)) expect(f.at, f.title).toMatch(/^2026-03-0\dT\d{2}:\d{2}:\d{2}\+08:00$/);
    expect(d.findings.find((f) => f.title === 'QUAL_EXPIRED')).toMatchObject({ open: true, ref: 'D1', at: '2026-03-03T09:30:00+08:00' });
    expect(d.findings.find((f) => f.title === 'LIMIT_SINGLE')).toMatchObject({ ref: 'A3', amount: '¥60000.00' });
    const s = d.findings.find((f) => f.title === 'SETTLEMENT_UNBALANCED');
    expect(s).toMatchObject({ open: false, batch: 2 });
    expect(s!.message).toMatch(/terminal sale 2 for ¥76\.00, acquirer sale 3 for ¥91\.00/);
    expect(doctorText(d, 'en')).toMatch(/\[LIMIT_SINGLE\] .*\n   last: 2026-03-02 09:30:00\+08:00, ref A3, amount ¥60000\.00\n   what to do: /);
  });
});

describe('counts and warnings', () => {
  it.each(SCENARIOS)('%s: sim run and doctor count every reason alike', (f) => {
    const { r, dir } = ran[f]!;
    const d = doctor(dir, 'en');
    expect(d.counts).toEqual(r.summary.reasons);
    for (const x of d.findings) if (x.count !== undefined) expect(x.count, x.title).toBe((r.summary.reasons as Record<string, number>)[x.title]);
  });

  it('the demo day: NETWORK_TIMEOUT twice in both, QUAL_EXPIRING told once a day and not listed after QUAL_EXPIRED', () => {
    const { r, dir } = ran['day-at-a-shop.json']!;
    const reasons = r.summary.reasons as Record<string, number>;
    expect(reasons.NETWORK_TIMEOUT).toBe(2);                           // A10 timed out; A12 was cut short by the power
    expect(r.lines.filter((l) => l.event === 'result' && l.outcome === 'timeout').map((l) => l.ref)).toEqual(['A10', 'A12']);
    expect(reasons.QUAL_EXPIRING).toBe(26);
    const zh = readableRun(r.lines, plain, 'zh');
    const days = new Set(r.lines.filter((l) => l.event === 'decision' && (l.reasons as string[]).includes('QUAL_EXPIRING')).map((l) => String(l.at).slice(0, 10)));
    expect(zh.match(/QUAL_EXPIRING: /g)).toHaveLength(days.size);
    expect(zh).toMatch(/QUAL_EXPIRING: 资质“business-license”将于 2026-03-02 到期（还剩 0 天）。（当天只提示一次）/);
    const titles = doctor(dir, 'zh').findings.map((f) => f.title);
    expect(titles[0]).toBe('QUAL_EXPIRED');
    expect(titles).not.toContain('QUAL_EXPIRING');
    expect(titles).toContain('NETWORK_TIMEOUT');
  });

  it('a re-run says the clock booted behind the journal, not that it drifted 0 s', () => {
    const untrusted = rerun.lines.flatMap((l) => ((l.detail as Reason[] | undefined) ?? []).filter((x) => x?.name === 'CLOCK_UNTRUSTED'));
    expect(untrusted.length).toBeGreaterThan(0);
    for (const x of untrusted) {
      expect(x.params.whyCode).toBe('CLOCK_BEHIND_AT_BOOT');
      expect(tell(x, 'en').message).toBe('The terminal\'s clock is not trusted: the terminal booted with its clock behind the latest time in its journal and has not synced its time since.');
      expect(tell(x, 'zh').message).toBe('终端时钟不可信：开机时终端时钟早于流水中已记录的最晚时间，开机后还没有校过时。');
    }
    // An entry journaled before the codes still reads as the drift it was.
    expect(tell({ name: 'CLOCK_UNTRUSTED', severity: 'review', params: { skewS: 900, maxSkewS: 300 } }, 'en').message).toMatch(/drifted 900 s against the monotonic clock \(allowed 300 s\)/);
  });
});
