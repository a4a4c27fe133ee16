// Commands from the fleet operator to one terminal (SPEC §6): a COSE_Sign1 by the operator key over
// {dev, n, exp, kind, ...args}. The counter `n` must exceed every counter the terminal accepted, so
// the registry keeps the last one used per device (REGISTRY/DEV.cmd) and hands out the next.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from '../core/codec/cbor';
import { sign1 } from '../core/crypto/cose';
import { COMMAND_KINDS, MAX_COUNTER, type CommandKind } from '../core/agent/commands';
import { fail, ok, type Result } from '../core/util/result';
import type { KeyPair } from '../node/keys';

export { COMMAND_KINDS, type CommandKind };

/** The largest counter a command may carry: a terminal must still be able to accept a later one. */
export { MAX_COUNTER };

export interface CommandSpec { dev: string; kind: string; n: number; exp: number; args?: Record<string, unknown> }

/** The signed command, ready for the device's `cmd` topic. */
export function signCommand(key: KeyPair, c: CommandSpec): Uint8Array {
  const { dev, n, exp, kind } = c;
  return sign1(encode({ ...(c.args ?? {}), dev, n, exp, kind }), key.secretKey);
}

const counterFile = (registry: string, dev: string) => join(registry, `${dev}.cmd`);

/** The counter file names a counter nobody can trust: sending would reuse (or skip) counters. */
export class CounterDamaged extends Error {}

/** The last counter used for `dev` (0 when none was). A damaged file is refused, never read as 0:
 *  a reset counter would make every later command a replay the terminal drops. */
export function lastCounter(registry: string, dev: string): number {
  const p = counterFile(registry, dev);
  if (!existsSync(p)) return 0;
  let text: string;
  try { text = readFileSync(p, 'utf8').trim(); } catch { throw new CounterDamaged(`${p}: cannot be read`); }
  const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!(Number.isSafeInteger(n) && n >= 0 && n <= MAX_COUNTER)) {
    throw new CounterDamaged(`${p} is damaged ("${text.slice(0, 20)}"): put back the last counter sent to ${dev} (the terminal's journal has it: its last accepted command's n) before sending`);
  }
  return n;
}

/** Reserves the next counter for `dev` (or `at` if given and above it) and records it before use. */
export function nextCounter(registry: string, dev: string, at?: number): Result<number> {
  let last: number;
  try { last = lastCounter(registry, dev); } catch (e) { if (e instanceof CounterDamaged) return fail(e.message); throw e; }
  const n = at ?? last + 1;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_COUNTER) return fail(`command counter ${n} is outside 1..${MAX_COUNTER}`);
  mkdirSync(registry, { recursive: true });
  const p = counterFile(registry, dev);
  // Written before the command leaves, so a crash never hands the same counter out twice.
  writeFileSync(p + '.tmp', `${Math.max(last, n)}\n`);
  renameSync(p + '.tmp', p);
  return ok(n);
}
