// The VM boundary (SPEC §1): defines globalThis.agent = { abi, version, start, call, onEvent } over a
// table of methods. Calls cross as JSON strings (bytes as hex), so the boundary stays data-only;
// nothing thrown inside ever reaches the host: it comes back as {ok:false, error}. The shipped
// bundle installs the methods of main.ts; the bench bundle adds its own measuring hooks.

import { Agent } from './agent/agent';
import { HAL_ABI, type Hal, type HalEvent } from './hal/types';
import { fromHex } from './util/bytes';
import { fail, type Result } from './util/result';

export type Method = (a: Agent, arg: any) => unknown;

/** A hex argument as bytes; anything else is a caller's bug, reported as a failed call. */
export function hexArg(a: unknown, what: string): Uint8Array {
  const b = typeof a === 'string' ? fromHex(a) : null;
  if (!b) throw new TypeError(`${what} must be hex`);
  return b;
}

/** The largest argument `agent.call` reads (device/README.md): firmware refuses larger ones before the VM sees them. */
export const ARG_MAX_CHARS = 96 * 1024;

export function defineAgent(methods: Record<string, Method>, version: string): void {
  let agent: Agent | null = null;
  const wrap = (f: () => unknown): string => {
    try {
      return JSON.stringify(f());
    } catch (e) {
      // A thrown error here is a bug or an exhausted VM, not a user's mistake: report, don't crash.
      const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      try { agent?.hal.log(3, `internal: ${msg}`); } catch { /* the log itself failed */ }
      return JSON.stringify(fail(`internal: ${msg}`));
    }
  };
  (globalThis as unknown as { agent: unknown }).agent = {
    abi: HAL_ABI,
    version,
    start(hal: Hal, cfgJson: string, bootReason: string): string {
      return wrap(() => {
        const cfg = JSON.parse(cfgJson);
        if (!cfg || typeof cfg.dev !== 'string' || typeof cfg.fleet !== 'string') return fail('config needs dev and fleet');
        agent = new Agent(hal, { dev: cfg.dev, fleet: cfg.fleet, version });
        const r: Result<unknown> = agent.boot(bootReason || 'power-on');
        if (!r.ok) agent = null;
        return r;
      });
    },
    call(method: string, argJson: string): string {
      return wrap(() => {
        if (!agent) return fail('agent not started');
        const m = Object.prototype.hasOwnProperty.call(methods, method) ? methods[method] : undefined;
        if (!m) return fail(`unknown method ${method}`);
        // An argument bigger than any signed input could be (hex of a 32 KiB policy) is refused unread.
        if (argJson && argJson.length > ARG_MAX_CHARS) return fail(`argument of ${argJson.length} characters is larger than ${ARG_MAX_CHARS}`);
        return m(agent, argJson ? JSON.parse(argJson) : null);
      });
    },
    onEvent(ev: HalEvent): string {
      return wrap(() => ({ ok: true, value: agent ? agent.onEvent(ev) : null }));
    },
  };
}
