// Sending one command to one terminal (SPEC §2 `fleet send`, §6): signed with the operator key and
// the next counter the registry holds for the device, published QoS 1 on its `cmd` topic. A terminal
// that is offline gets it when it next connects (its persistent session keeps it at the broker).

import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { topic } from '../core/telemetry/topics';
import { fail, ok, type Result } from '../core/util/result';
import type { KeyPair } from '../node/keys';
import { COMMAND_KINDS, nextCounter, signCommand } from './commands';
import { decode } from '../core/codec/cbor';
import { parseSign1 } from '../core/crypto/cose';
import { validatePolicy } from '../core/policy/validate';

/** What each kind carries besides dev, n, exp and kind (SPEC §6; src/core/agent/commands.ts checks it again). */
const ARGS: Record<string, Record<string, 'string' | 'int' | 'hex128' | 'file' | 'time'>> = {
  lock: { why: 'string' }, unlock: {}, 'rotate-key': {},
  'hours-extend': { untilMs: 'int', until: 'time' },
  resend: { fromSeq: 'int' },
  policy: { policy: 'file' },
  'image-update': { manifestSha512: 'hex128', version: 'int' },
};
const REQUIRED: Record<string, string[][]> = {
  'hours-extend': [['untilMs', 'until']], policy: [['policy']], 'image-update': [['manifestSha512'], ['version']],
};

/**
 * The arguments of a command of `kind` from the JSON given on the command line, as the terminal
 * wants them: `until` (an ISO time) becomes untilMs, `policy` (a .cose path) its signed bytes.
 * A failure names the problem in one line.
 */
export function commandArgs(kind: string, json: string | undefined): Result<Record<string, unknown>> {
  if (!(COMMAND_KINDS as readonly string[]).includes(kind)) return fail(`unknown command kind "${kind}" (one of ${COMMAND_KINDS.join(', ')})`);
  let given: unknown = {};
  if (json !== undefined) {
    try { given = JSON.parse(json); } catch (e) { return fail(`--args is not JSON: ${(e as Error).message.split('\n')[0]}`); }
    if (!given || typeof given !== 'object' || Array.isArray(given)) return fail('--args must be a JSON object, e.g. {"why":"audit"}');
  }
  const spec = ARGS[kind]!;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(given as Record<string, unknown>)) {
    const t = spec[k];
    const allowed = Object.keys(spec).join(', ') || 'none';
    if (!t) return fail(`${kind} takes no argument "${k}" (arguments: ${allowed})`);
    if (t === 'string') { if (typeof v !== 'string') return fail(`${k} must be a string`); out[k] = v; }
    if (t === 'int') { if (!Number.isSafeInteger(v) || (v as number) < 1) return fail(`${k} must be a positive integer`); out[k] = v; }
    if (t === 'hex128') { if (typeof v !== 'string' || !/^[0-9a-f]{128}$/.test(v)) return fail(`${k} must be 128 lowercase hex characters (a SHA-512)`); out[k] = v; }
    if (t === 'time') {
      const ms = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(v) ? Date.parse(v) : NaN;
      if (Number.isNaN(ms) || !/(Z|[+-]\d\d:\d\d)$/.test(v as string)) return fail(`${k} must be an ISO time with its offset, e.g. 2026-03-02T23:30:00+08:00`);
      if ('untilMs' in (given as object)) return fail('give until or untilMs, not both');
      out.untilMs = ms;
    }
    if (t === 'file') {
      if (typeof v !== 'string') return fail(`${k} must be the path of a signed policy (.cose)`);
      let b: Uint8Array;
      try { b = new Uint8Array(readFileSync(v)); } catch { return fail(`${k} ${v}: cannot be read`); }
      // Only a signed policy leaves: anything else would be signed onto the broker for the terminal to refuse.
      const s1 = parseSign1(b, 'policy');
      const d = s1.ok ? decode(s1.value.payload, 'policy payload') : null;
      if (!s1.ok || !d || !d.ok) return fail(`${k} ${v}: not a signed policy (${s1.ok ? (d as { error: string }).error : s1.error}); sign one with \`preflight policy sign\``);
      const pv = validatePolicy(d.value, true);
      if (!pv.ok) return fail(`${k} ${v}: not a valid policy: ${pv.error}`);
      out[k] = b;
    }
  }
  for (const any of REQUIRED[kind] ?? []) if (!any.some((k) => k in (given as object))) return fail(`${kind} needs ${any.join(' or ')} in --args`);
  if (kind === 'hours-extend') {
    // The terminal takes an extension only within the next 24 hours of its clock (core agent/commands.ts).
    const until = out.untilMs as number, now = Date.now();
    if (!(until > now && until - now <= 24 * 3_600_000)) return fail(`hours-extend: until must be within the next 24 hours (now ${new Date(now).toISOString()}), or the terminal refuses it`);
  }
  return ok(out);
}

/** `10m`, `90s`, `2h`, `1d` as milliseconds (1 s to 30 days). */
export function parseDuration(s: string): Result<number> {
  const m = /^(\d+)(s|m|h|d)$/.exec(s);
  const ms = m ? Number(m[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's']! : NaN;
  if (!(ms >= 1_000 && ms <= 30 * 86_400_000)) return fail(`--valid-for must be a duration from 1s to 30d like 90s, 10m, 2h, got "${s}"`);
  return ok(ms);
}

export interface SendOptions {
  broker: string; registry: string; key: KeyPair;
  fleet: string; dev: string; kind: string; args?: Record<string, unknown>;
  validForMs: number; now?: number;
  /** A counter chosen by the caller instead of the registry's next (tests of replay and order). */
  n?: number;
  connectTimeoutMs?: number;
}

/** Publishes bytes QoS 1 and waits for the broker's PUBACK. */
export async function publishOnce(broker: string, topicName: string, payload: Uint8Array, connectTimeoutMs = 5_000): Promise<Result<null>> {
  const c = mqtt.connect(broker, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: connectTimeoutMs, clean: true });
  try {
    await new Promise<void>((res, rej) => {
      c.once('connect', () => res());
      c.once('error', rej);
      c.once('close', () => rej(new Error('connection closed')));
    });
    await c.publishAsync(topicName, Buffer.from(payload), { qos: 1 });
    return ok(null);
  } catch (e) {
    return fail(`broker ${broker}: ${(e as Error).message || 'cannot connect'}`);
  } finally {
    c.end(true);
  }
}

export async function sendCommand(o: SendOptions): Promise<Result<{ n: number; bytes: Uint8Array; topic: string }>> {
  const n = nextCounter(o.registry, o.dev, o.n);
  if (!n.ok) return n;
  const bytes = signCommand(o.key, { dev: o.dev, kind: o.kind, n: n.value, exp: (o.now ?? Date.now()) + o.validForMs, args: o.args });
  const t = topic(o.fleet, o.dev, 'cmd');
  const p = await publishOnce(o.broker, t, bytes, o.connectTimeoutMs);
  if (!p.ok) return p;
  return ok({ n: n.value, bytes, topic: t });
}
