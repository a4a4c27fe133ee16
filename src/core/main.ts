// Bundle entry (SPEC §1): defines globalThis.agent for the firmware or host-sim to drive.
// Calls cross the VM boundary as JSON strings (bytes as hex), so the boundary stays data-only;
// nothing thrown inside ever reaches the host: it comes back as {ok:false, error}.

import { Agent } from './agent/agent';
import { HAL_ABI, type Hal, type HalEvent } from './hal/types';
import { fromHex, toHex } from './util/bytes';
import { fail, ok, type Result } from './util/result';
import { exportJournal } from './journal/journal';
import { cryptoLoop, selftest } from './selftest';
import { runHalContract } from './hal/contract';

declare const __PREFLIGHT_VERSION__: string;
const VERSION = typeof __PREFLIGHT_VERSION__ === 'string' ? __PREFLIGHT_VERSION__ : 'dev';

let agent: Agent | null = null;

function hexArg(a: unknown, what: string): Uint8Array {
  const b = typeof a === 'string' ? fromHex(a) : null;
  if (!b) throw new TypeError(`${what} must be hex`);
  return b;
}

type Handler = (a: Agent, arg: any) => unknown;
const METHODS: Record<string, Handler> = {
  preflight: (a, x) => ok(a.preflight(x)),
  answer: (a, x) => a.answer(String(x?.ref), x?.answer ?? {}),
  nextReversal: (a) => ok(a.nextReversal()),
  reversalAnswer: (a, x) => a.reversalAnswer(String(x?.ref), x?.answer ?? {}),
  settleBegin: (a) => a.settleBegin(),
  settleCompare: (a, x) => a.settleCompare(x?.host ?? {}),
  settleUploaded: (a) => a.settleUploaded(),
  settleClose: (a) => a.settleClose(),
  clockSync: (a) => { a.clockSync(); return ok(null); },
  idle: (a) => ok(a.idle()),
  seal: (a) => ok({ sealed: a.sealNow() }),
  shutdown: (a) => { a.shutdown(); return ok(null); },
  status: (a) => ok(a.status()),
  installPolicy: (a, x) => a.installPolicy(hexArg(x?.cose, 'cose')),
  command: (a, x) => ok(a.command(hexArg(x?.cose, 'cose'))),
  ack: (a, x) => ok(a.telemetry.onAck(hexArg(x?.cose, 'cose'))),
  telemetryStats: (a) => ok({ ...a.telemetry.published, sentThrough: a.telemetry.sentThrough }),
  selftest: () => ok(selftest()),
  halContract: (a) => ok(runHalContract(a.hal)),
  rotateKey: (a) => a.rotateKey(),
  // make bench: `n` small entries appended (no checks, no seal) to time the journal alone.
  benchAppend: (a, x) => { const n = Math.min(10_000, Math.max(1, x?.n | 0)); for (let i = 0; i < n; i++) a.record('bench', { i }); return ok(n); },
  cryptoLoop: (_a, x) => ok(cryptoLoop(x?.op === 'verify' ? 'verify' : 'sign', x?.impl === 'tweetnacl' ? 'tweetnacl' : 'ours', Math.min(1000, Math.max(1, x?.n | 0)))),
  exportJournal: (a) => { const e = exportJournal(a.hal); return ok({ hex: toHex(e.bytes), records: e.records, warning: e.warning }); },
};

function wrap(f: () => unknown): string {
  try {
    return JSON.stringify(f());
  } catch (e) {
    // A thrown error here is a bug or an exhausted VM, not a user's mistake: report, don't crash.
    const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    try { agent?.hal.log(3, `internal: ${msg}`); } catch { /* the log itself failed */ }
    return JSON.stringify(fail(`internal: ${msg}`));
  }
}

(globalThis as unknown as { agent: unknown }).agent = {
  abi: HAL_ABI,
  version: VERSION,
  start(hal: Hal, cfgJson: string, bootReason: string): string {
    return wrap(() => {
      const cfg = JSON.parse(cfgJson);
      if (!cfg || typeof cfg.dev !== 'string' || typeof cfg.fleet !== 'string') return fail('config needs dev and fleet');
      agent = new Agent(hal, { dev: cfg.dev, fleet: cfg.fleet, version: VERSION });
      const r: Result<unknown> = agent.boot(bootReason || 'power-on');
      if (!r.ok) agent = null;
      return r;
    });
  },
  call(method: string, argJson: string): string {
    return wrap(() => {
      if (!agent) return fail('agent not started');
      const m = METHODS[method];
      if (!m) return fail(`unknown method ${method}`);
      return m(agent, argJson ? JSON.parse(argJson) : null);
    });
  },
  onEvent(ev: HalEvent): string {
    return wrap(() => { if (agent) agent.onEvent(ev); return ok(null); });
  },
};
