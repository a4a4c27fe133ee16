// The HTML report of a run (issue 10) renders in headless Chromium (Debian's package, installed by
// `make test`): both pictures are there, with one mark per transaction, and a screenshot is drawn.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseScenario } from '../../host-sim/scenario/parse';
import { runScenario } from '../../host-sim/scenario/run';
import { htmlReport } from '../../host-sim/report/html';
import { validatePolicy } from '../../src/core/policy/validate';
import { preparePolicy } from '../../device/provision/policy';
import { bundle } from '../helpers/bundle';
import { tmp } from '../helpers/device';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

describe('HTML report', () => {
  it('renders both pictures with a mark per transaction in headless Chromium', async () => {
    expect(existsSync(CHROMIUM), 'Debian chromium is installed by `make test` (make chromium)').toBe(true);
    const sc = parseScenario(JSON.parse(readFileSync('host-sim/scenarios/moved-terminal.json', 'utf8')));
    sc.policy = JSON.parse(readFileSync(resolve('host-sim/scenarios', sc.policy as string), 'utf8'));
    const dir = tmp('pf-html-');
    const r = await runScenario(sc, { dataDir: join(dir, 'flash'), bundle: bundle(), network: null });
    const p = validatePolicy(preparePolicy(sc.policy as Record<string, unknown>, sc.start.timeMs), true);
    if (!p.ok) throw new Error(p.error);
    const file = join(dir, 'report.html');
    writeFileSync(file, htmlReport(p.value, r.lines, r.summary));
    const ud = join(dir, 'chromium');
    const dom = execFileSync(CHROMIUM, [...FLAGS, `--user-data-dir=${ud}`, '--dump-dom', `file://${file}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 60_000 });
    const txns = r.lines.filter((l) => l.event === 'decision').length;
    expect((dom.match(/<svg /g) ?? []).length).toBe(2);
    // Each transaction is one dot on the map and one on the hours.
    expect((dom.match(/<circle cx=[^>]*fill="#(2e7d32|f9a825|c62828)"/g) ?? []).length).toBe(2 * txns);
    expect(dom).toContain('GEO_OUTSIDE');
    const png = join(dir, 'report.png');
    execFileSync(CHROMIUM, [...FLAGS, `--user-data-dir=${ud}`, `--screenshot=${png}`, '--window-size=800,1000', `file://${file}`], { stdio: 'ignore', timeout: 60_000 });
    expect(statSync(png).size).toBeGreaterThan(10_000);
  }, 120_000);
});
