// `preflight sim run` (SPEC §2, §9): one simulated terminal through a scenario, on the embedded
// broker with the real fleet consumer, on a real broker, or offline; a readable report or JSON lines.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { readJsonFile } from '../../device/provision/policy';
import { policyOnFlash } from '../node/flash-read';
import { readOnlyFlash } from '../node/flash-folder';
import { installImage, loadInstalledImage } from '../../host-sim/loader';
import { htmlReport } from '../../host-sim/report/html';
import { footerText, summaryText, Timeline } from '../../host-sim/report/timeline';
import { openLinks } from '../../host-sim/scenario/links';
import { parseScenario } from '../../host-sim/scenario/parse';
import { runScenario } from '../../host-sim/scenario/run';
import { ENGINES, type Engine } from '../../host-sim/vm/vm';
import { CheckFailed, UsageError } from '../node/errors';
import { colours, progressBar } from '../node/term';
import { JSON_OPT, LANG_OPT, lang, readBytes, str, type Command } from './command';

const here = dirname(fileURLToPath(import.meta.url));
export function bundlePath(): string {
  for (const p of [join(here, '../device/agent.js'), join(here, '../dist/device/agent.js'), resolve('dist/device/agent.js')]) if (existsSync(p)) return p;
  throw new UsageError('dist/device/agent.js is missing: run `make device` first');
}

export const SIM: Command[] = [{
  name: 'sim run', args: 'SCENARIO.json',
  summary: 'Runs one simulated terminal through a scenario (SPEC §9) on a virtual clock, on the real bundle in QuickJS, and prints a timeline and a report (or JSON lines).',
  options: {
    data: { type: 'string', arg: 'DIR', help: 'the terminal\'s flash; kept between runs (default: a new temporary folder)' },
    image: { type: 'string', arg: 'DIR', help: 'boot what the loader verifies and installs from this image' },
    broker: { type: 'string', arg: 'embedded|none|mqtt://HOST:PORT', help: 'embedded: an in-process broker with the fleet consumer; a URL: a real broker, whose own consumer acknowledges; one that cannot be reached leaves the terminal trading offline and the report says so (default none)' },
    engine: { type: 'string', arg: 'quickjs|quickjs-ng', help: 'the JavaScript engine the terminal embeds (default quickjs)' },
    json: JSON_OPT,
    lang: LANG_OPT,
  },
  example: 'preflight sim run host-sim/scenarios/day-at-a-shop.json --data .sim-data/T-0001 --broker embedded',
  async run({ values, positionals, out }) {
    const file = positionals[0]!;
    const sc = parseScenario(readJsonFile(file, 'scenario'));
    // A policy may also be named as a .json file beside the scenario: inline, signed for the run.
    if (typeof sc.policy === 'string' && sc.policy.endsWith('.json')) sc.policy = readJsonFile(resolve(dirname(file), sc.policy), 'scenario policy') as Record<string, unknown>;
    const dataDir = str(values.data) ?? mkdtempSync(join(tmpdir(), `preflight-${sc.device.id}-`));
    mkdirSync(dataDir, { recursive: true });
    const policyBytes = typeof sc.policy === 'string' ? readBytes(resolve(dirname(file), sc.policy), 'scenario policy') : undefined;
    const L = lang(values.lang);
    const engine = str(values.engine) ?? 'quickjs';
    if (!(ENGINES as readonly string[]).includes(engine)) throw new UsageError(`--engine must be ${ENGINES.join(' or ')}, got "${engine}"`);
    const c = colours(process.stdout);
    const json = values.json === true;
    const bar = progressBar(process.stderr);
    // With --image the terminal boots what the loader verified and installed (issue 8), not a loose file.
    let bundle: string;
    if (values.image) {
      const inst = installImage(dataDir, str(values.image)!);
      if (!inst.ok) throw new CheckFailed(`image refused: ${inst.reason}`);
      bundle = inst.loaded.bundle;
    } else if (existsSync(join(dataDir, 'img'))) {
      // A flashed terminal boots what its loader verifies in its own slots, every boot, not the tree's bundle.
      const l = loadInstalledImage(dataDir);
      if (!l.ok) throw new CheckFailed(`the installed image does not verify, so the terminal does not boot: ${l.reason}`);
      bundle = l.bundle;
    } else bundle = readFileSync(bundlePath(), 'utf8');
    const links = await openLinks(str(values.broker) ?? 'none', dataDir);
    const timeline = new Timeline(c, L);
    try {
      const r = await runScenario(sc, {
        dataDir, bundle, network: links.network, fleet: links.fleet, operator: links.operator, policyBytes, engine: engine as Engine,
        // The bar is wiped before any text (src/node/term.ts), so it never shares a line with the timeline.
        onLine: (l) => { if (json) out(JSON.stringify(l)); else if (l.event !== 'summary') { const t = timeline.line(l); if (t) { bar.clear(); out(t); } } },
        onProgress: json ? undefined : (d, n) => bar.update(d, n),
      });
      bar.clear();
      if (!json) {
        out(summaryText(r.summary, c, L));
        const pol = policyOnFlash(readOnlyFlash(dataDir));
        let report: string | null = null;
        if (pol) {
          report = `${dataDir.replace(/\/+$/, '')}-report.html`;
          writeFileSync(report, htmlReport(pol, r.lines, r.summary, L));
        }
        out(footerText({ dataDir, fleetDir: links.fleet ? links.operator.dir : null, report }, L));
      }
      // A terminal that never came up (another device's flash, a journal it refuses) ran nothing: say so, exit 1.
      const boots = r.lines.filter((l) => l.event === 'boot');
      if (boots.length && !boots.some((l) => l.ok)) throw new CheckFailed(`the terminal never booted: ${boots[0]!.error}`);
    } finally { await links.close(); }
    return 0;
  },
}];
