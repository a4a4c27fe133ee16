// `preflight fleet serve` (SPEC §2) as an operator runs it, on the built bundle: the demo day goes
// through the embedded broker into the fleet store; the server renders the fleet and one terminal's
// day as HTML with inline SVG, answers a small JSON API, and headless Chromium draws the pages (not blank).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ink, readPng, region } from '../helpers/png';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--hide-scrollbars', '--force-device-scale-factor=1'];
const cli = (...args: string[]) => spawnSync('node', ['bin/preflight.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

let dir: string, data: string, server: ChildProcess | null = null, url = '';
const shot = (name: string, path: string, size = '1100,900') => {
  const png = join(dir, `${name}.png`);
  execFileSync(CHROMIUM, [...FLAGS, `--user-data-dir=${join(dir, 'chromium')}`, `--screenshot=${png}`, `--window-size=${size}`, url + path.replace(/^\//, '')],
    { stdio: ['ignore', 'ignore', 'ignore'], timeout: 60_000 });
  return readPng(readFileSync(png));
};
const get = async (path: string) => { const r = await fetch(url + path.replace(/^\//, '')); return { status: r.status, type: r.headers.get('content-type'), body: await r.text() }; };

beforeAll(async () => {
  expect(existsSync(CHROMIUM), 'Debian chromium is installed by `make test` (make chromium)').toBe(true);
  if (!existsSync('dist/host/preflight.mjs') || !existsSync('dist/device/agent.js')) execFileSync('make', ['build'], { stdio: 'inherit' });
  dir = mkdtempSync(join(tmpdir(), 'pf-serve-'));
  data = join(dir, 'T-0001');
  const r = cli('sim', 'run', 'host-sim/scenarios/day-at-a-shop.json', '--data', data, '--broker', 'embedded', '--json');
  if (r.status !== 0) throw new Error(r.stderr);
  // The operator keeps the policies they signed; the terminal's is found by what it journaled.
  mkdirSync(join(dir, 'policies'));
  copyFileSync(join(data, 'policy.cose'), join(dir, 'policies', 'shop.cose'));
  server = spawn('node', ['bin/preflight.js', 'fleet', 'serve', '--db', join(`${data}.fleet`, 'fleet.sqlite'), '--port', '0', '--policies', join(dir, 'policies'), '--json'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  url = await new Promise<string>((res, rej) => {
    let out = '', err = '';
    server!.stdout!.on('data', (d: Buffer) => { out += d; const m = /"url":"([^"]+)"/.exec(out); if (m) res(m[1]!); });
    server!.stderr!.on('data', (d: Buffer) => { err += d; });
    server!.once('exit', (c) => rej(new Error(`fleet serve exited ${c}: ${err}`)));
    setTimeout(() => rej(new Error(`fleet serve not ready: ${out} ${err}`)), 20_000);
  });
}, 120_000);
afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGTERM');
    await exited;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('fleet serve', () => {
  it('answers the JSON API: terminals, alerts, gaps, and a terminal\'s day on its hours and geofence', async () => {
    const t = await get('/api/terminals');
    expect(t.status).toBe(200);
    expect(t.type).toMatch(/application\/json/);
    const [row] = JSON.parse(t.body);
    expect(row).toMatchObject({ dev: 'T-0001', fleet: 'demo', ackLag: 0, offset: '+08:00' });
    expect(row.stored).toBeGreaterThan(40);
    expect(row.openAlerts).toBeGreaterThan(0);
    expect(row.lastSeenLocal).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+08:00$/);
    const alerts = JSON.parse((await get('/api/alerts')).body);
    expect(alerts.map((a: any) => a.kind)).toEqual(expect.arrayContaining(['JUMP_CODE_SUSPECTED']));
    expect(alerts.find((a: any) => a.kind === 'JUMP_CODE_SUSPECTED')).toMatchObject({ source: 'device', verified: false });
    expect(JSON.parse((await get('/api/gaps')).body)).toEqual([]);
    const day = JSON.parse((await get('/api/terminals/T-0001/day?date=2026-03-02')).body);
    expect(day).toMatchObject({ dev: 'T-0001', date: '2026-03-02', offset: '+08:00', policy: { version: 1, found: true },
      hours: [[540, 1320]], site: { lat: 31.2304, lon: 121.4737, radiusM: 1000 } });
    expect(day.decisions.length).toBeGreaterThan(20);
    expect(day.decisions[0]).toMatchObject({ ref: 'A1', time: '2026-03-02 09:00:00 +08:00', minute: 540, verdict: 'allow', amountMinor: 12800, verified: true });
    expect(day.track.some((p: any) => p.geo === 'outside')).toBe(true);
    expect((await get('/api/terminals/T-9/day')).status).toBe(404);
    expect((await get('/api/terminals/T-0001/day?date=March')).status).toBe(400);
    expect((await get('/api/terminals/T-0001/day?date=2026-02-30')).status).toBe(400);   // not a day of the calendar
  });

  it('renders the pages on the server, in zh and en, with the hours and the track as inline SVG', async () => {
    const zh = await get('/');
    expect(zh.type).toMatch(/text\/html/);
    expect(zh.body).toMatch(/<html lang="zh-CN">/);
    expect(zh.body).toMatch(/终端管理平台/);
    expect(zh.body).toContain('href="/?lang=en"');                                 // the language switch works from the home page
    expect(zh.body).toMatch(/未验签预览/);
    expect(zh.body).not.toMatch(/<script/);
    const en = await get('/t/T-0001?date=2026-03-02&lang=en');
    expect(en.body).toMatch(/Decisions on the opening hours/);
    expect(en.body).toMatch(/<svg[^>]*aria-label="Decisions on the opening hours"/);
    expect(en.body).toMatch(/<circle class="geofence"/);
    expect(en.body).toMatch(/class="fix outside"/);
    expect(en.body).toMatch(/2026-03-02 09:30:00 \+08:00<\/td><td>A3<\/td><td>¥60000\.00/);
    expect((en.body.match(/class="decision /g) ?? []).length).toBeGreaterThan(20);
  });

  it('draws in headless Chromium: the pages are not blank, the hours strip and the geofence in colour', async () => {
    const fleet = shot('fleet', '/?lang=zh');
    expect(ink(region(fleet, 0, 0, 700, 300))).toBeGreaterThan(0.01);
    const day = shot('day', '/t/T-0001?date=2026-03-02&lang=zh', '1100,1100');
    // The hours strip (open hours shaded, one mark per decision) and the geofence both carry colour.
    const coloured = (x0: number, y0: number, w: number, h: number) => {
      let n = 0;
      for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) {
        const i = (y * day.width + x) * 4, r = day.rgba[i]!, g = day.rgba[i + 1]!, b = day.rgba[i + 2]!;
        if (Math.max(r, g, b) - Math.min(r, g, b) > 40) n++;
      }
      return n;
    };
    expect(coloured(0, 150, 1000, 150)).toBeGreaterThan(2000);
    expect(coloured(0, 330, 460, 440)).toBeGreaterThan(200);
    expect(ink(region(day, 0, 0, 1000, 1100))).toBeGreaterThan(0.01);
    // The page names Noto Sans CJK first; the font is installed (test/sim/report.test.ts checks CJK glyphs against tofu).
    expect(execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' }).trim()).not.toBe('');
  }, 120_000);
});
