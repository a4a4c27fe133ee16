// The HTML report of a run (issues 10, 17) renders in headless Chromium (Debian's package, installed by
// `make test` with fonts-noto-cjk): both pictures with a mark per transaction, in the language asked
// for with a remedy per reason, no label cut off at the edge of its picture, and Chinese drawn as
// glyphs (compared with a reference render of the same text), not as boxes.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseScenario, type Scenario } from '../../host-sim/scenario/parse';
import { runScenario, type RunResult } from '../../host-sim/scenario/run';
import { htmlReport, REPORT_FONTS } from '../../host-sim/report/html';
import { policyOnFlash } from '../../src/node/flash-read';
import { readOnlyFlash } from '../../src/node/flash-folder';
import { REASONS } from '../../src/core/reasons/catalog';
import type { Policy } from '../../src/core/policy/types';
import { bundle } from '../helpers/bundle';
import { tmp } from '../helpers/device';
import { difference, ink, readPng, region } from '../helpers/png';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--hide-scrollbars', '--force-device-scale-factor=1'];
const load = (name: string): Scenario => {
  const sc = parseScenario(JSON.parse(readFileSync(`host-sim/scenarios/${name}`, 'utf8')));
  if (typeof sc.policy === 'string') sc.policy = JSON.parse(readFileSync(resolve('host-sim/scenarios', sc.policy), 'utf8'));
  return sc;
};
const chromium = (dir: string, ...args: string[]) =>
  execFileSync(CHROMIUM, [...FLAGS, `--user-data-dir=${join(dir, 'chromium')}`, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 });

let dir: string;
const runs: Record<string, { r: RunResult; p: Policy }> = {};
beforeAll(async () => {
  expect(existsSync(CHROMIUM), 'Debian chromium is installed by `make test` (make chromium)').toBe(true);
  dir = tmp('pf-html-');
  for (const f of ['moved-terminal.json', 'day-at-a-shop.json']) {
    const data = join(dir, f);
    const r = await runScenario(load(f), { dataDir: data, bundle: bundle(), network: null });
    runs[f] = { r, p: policyOnFlash(readOnlyFlash(data))! };
  }
}, 60_000);

const page = (f: string, lang: 'zh' | 'en', extra = '') => {
  const { r, p } = runs[f]!;
  const file = join(dir, `${f}-${lang}.html`);
  writeFileSync(file, htmlReport(p, r.lines, r.summary, lang).replace('</body>', `${extra}</body>`));
  return file;
};

describe('HTML report', () => {
  it('renders both pictures with a mark per transaction in headless Chromium', () => {
    const dom = chromium(dir, '--dump-dom', `file://${page('moved-terminal.json', 'en')}`);
    const txns = runs['moved-terminal.json']!.r.lines.filter((l) => l.event === 'decision').length;
    expect((dom.match(/<svg /g) ?? []).length).toBe(2);
    // Each transaction is one dot on the map and one on the hours.
    expect((dom.match(/<circle cx=[^>]*fill="#(2e7d32|f9a825|c62828)"/g) ?? []).length).toBe(2 * txns);
    expect(dom).toContain('GEO_OUTSIDE');
  }, 60_000);

  it('speaks the language asked for, with the remedy of every reason', () => {
    const { r } = runs['day-at-a-shop.json']!;
    const zh = readFileSync(page('day-at-a-shop.json', 'zh'), 'utf8');
    expect(zh).toMatch(/<html lang="zh-CN">/);
    // Headings and table headers are Chinese: no English word in them.
    for (const h of zh.match(/<(h1|h2|th)[^>]*>[^<]*</g)!) expect(h.replace(/<[^>]*>|Preflight|QuickJS/g, '').replace(/a day at a shop|T-0001|Asia\/Shanghai/g, ''), h).not.toMatch(/[A-Za-z]{3,}/);
    for (const name of Object.keys(r.summary.reasons as object)) {
      const d = REASONS[name as keyof typeof REASONS];
      expect(zh, name).toContain(`<code>${name}</code>`);
      if (!d.remedyZh.includes('{')) expect(zh, name).toContain(d.remedyZh.replace(/“|”/g, (c) => c));
    }
    const en = readFileSync(page('day-at-a-shop.json', 'en'), 'utf8');
    expect(en).toMatch(/<html lang="en">/);
    expect(en).toContain(REASONS.BATCH_FULL.remedyEn);
    expect(en).toMatch(/2026-03-03 Tuesday/);
  });

  it('cuts no label off at the edge of its picture (the weekday, the 24:00 tick)', () => {
    // The page measures every <text> against its <svg> and writes what sticks out into the DOM.
    const measure = `<script>
      const out = [];
      for (const svg of document.querySelectorAll('svg')) {
        const w = svg.viewBox.baseVal.width, h = svg.viewBox.baseVal.height;
        for (const t of svg.querySelectorAll('text')) {
          const b = t.getBBox();
          if (b.x < 0 || b.y < 0 || b.x + b.width > w || b.y + b.height > h) out.push(t.textContent + ' ' + [b.x, b.width, w].map(Math.round).join('/'));
        }
      }
      document.body.insertAdjacentHTML('beforeend', '<pre id="clip' + 'ped">' + JSON.stringify(out) + '</pre>');
    </script>`;
    for (const lang of ['zh', 'en'] as const) {
      const dom = chromium(dir, '--dump-dom', `file://${page('day-at-a-shop.json', lang, measure)}`);
      const m = /<pre id="clipped">([^<]*)<\/pre>/.exec(dom);
      expect(m, 'the measuring script ran').not.toBeNull();
      expect(JSON.parse(m![1]!.replace(/&quot;/g, '"')), lang).toEqual([]);
      expect(dom).toMatch(lang === 'zh' ? /2026-03-03 周二/ : /2026-03-03 Tuesday/);
    }
  }, 60_000);

  it('draws Chinese as glyphs, like a reference render of the same text, not as boxes', () => {
    expect(execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' }).trim(), 'fonts-noto-cjk is installed by `make test` (make chromium)').not.toBe('');
    const text = '终端在哪里营业时间原因建议';
    // Three bands: the report's own fonts, the reference CJK face named outright, and code points no
    // font has (what missing glyphs look like here).
    const band = (top: number, font: string, s: string) =>
      `<div style="position:absolute;left:0;top:${top}px;width:800px;height:80px;font:40px/80px ${font.replace(/"/g, "'")};white-space:nowrap">${s}</div>`;
    const file = join(dir, 'glyphs.html');
    writeFileSync(file, `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"></head><body style="margin:0;background:#fff;color:#000">
      ${band(0, REPORT_FONTS, text)}${band(100, '"Noto Sans CJK SC"', text)}${band(200, REPORT_FONTS, '\u{E000}'.repeat(text.length))}</body></html>`);
    const png = join(dir, 'glyphs.png');
    chromium(dir, `--screenshot=${png}`, '--window-size=800,300', `file://${file}`);
    const shot = readPng(readFileSync(png));
    const report = region(shot, 0, 0, 800, 80), reference = region(shot, 0, 100, 800, 80), tofu = region(shot, 0, 200, 800, 80);
    expect(ink(reference), 'the reference render has ink').toBeGreaterThan(0.05);
    expect(difference(report, reference), 'the report draws the reference glyphs').toBeLessThan(0.05);
    expect(difference(report, tofu), 'and not the boxes of missing glyphs').toBeGreaterThan(0.5);
  }, 60_000);
});
