// Runs scenarios through the built bundle in QuickJS (the real artifact), offline, in a temp flash.
import { afterAll, beforeAll, describe } from 'vitest';
import { runScenario, type Line } from '../../host-sim/scenario/run';
import { ENGINES, type Engine } from '../../host-sim/vm/vm';
import { parseScenario } from '../../host-sim/scenario/parse';
import { bundle } from './bundle';
import { demoPolicyJson } from './policy';
import { tmp } from './device';

export const SITE = { lat: 31.2304, lon: 121.4737, accuracyM: 15 };
export const card = (ref: string, amountMinor = 1000, extra: Record<string, unknown> = {}) =>
  ({ txn: { ref, type: 'sale', channel: 'card', amountMinor, entryMode: '051', conditionCode: '00', ...extra } });

export interface Opts { engine?: Engine; policy?: Record<string, any> | null | string; keep?: boolean; edit?: (p: any) => void; start?: string; dataDir?: string; policyBytes?: Uint8Array; device?: Record<string, unknown> }

export async function run(events: Record<string, unknown>[], o: Opts = {}) {
  // `keep`: the scenario leaves `policy` out, so the terminal keeps what its data folder holds.
  let policy: any = o.keep ? undefined : o.policy === undefined ? demoPolicyJson() : o.policy;
  if (policy && typeof policy === 'object') { policy.merchant.qualifications = []; o.edit?.(policy); }
  const sc = parseScenario({
    name: 'test', device: { id: 'T-SC', ...(o.device ?? {}) }, policy,
    start: { time: o.start ?? '2026-03-02T10:00:00+08:00', fix: SITE },
    events: events.map((e, i) => ({ at: `+${i * 30}s`, ...e })),
  });
  const dataDir = o.dataDir ?? tmp('pf-sc-');
  const r = await runScenario(sc, { dataDir, bundle: bundle(), network: null, policyBytes: o.policyBytes, engine: o.engine ?? engine });
  const byRef = (ref: string, ev = 'decision') => r.lines.find((l) => l.event === ev && l.ref === ref) as Line & { reasons: string[]; verdict?: string; outcome?: string };
  return { ...r, dataDir, byRef };
}

let engine: Engine = 'quickjs';
/** The engine scenario runs use (eachEngine sets it per block). */
export const currentEngine = (): Engine => engine;

/** The same tests once per engine terminals embed (SPEC §1): QuickJS and quickjs-ng. */
export function eachEngine(title: string, body: (e: Engine) => void): void {
  for (const e of ENGINES) {
    describe(`${title} [${e}]`, () => {
      beforeAll(() => { engine = e; });
      afterAll(() => { engine = 'quickjs'; });
      body(e);
    });
  }
}
