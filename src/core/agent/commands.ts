// Signed commands from the operator (SPEC §6): COSE_Sign1 with `dev`, a counter `n` above every
// accepted one, an expiry `exp` (epoch ms), a `kind` and its arguments. Every command, accepted or
// not, is journaled with its reason; a refused one also raises an alert preview.

import { decode } from '../codec/cbor';
import { openSign1 } from '../crypto/cose';
import { rec, type AcceptedCommand } from '../journal/records';
import { trustAnchors } from '../policy/store';
import type { Result } from '../util/result';
import type { Context } from './context';
import type { Noise } from './noise';

export const COMMAND_KINDS = ['policy', 'hours-extend', 'resend', 'lock', 'unlock', 'rotate-key', 'image-update'] as const;
/** The largest command counter accepted (and signed, src/fleet/commands.ts): far below 2^53. */
export const MAX_COUNTER = 2 ** 40;
export type CommandKind = (typeof COMMAND_KINDS)[number];

/** What a command may act on; the agent hands these in. */
export interface CommandTargets {
  installPolicy(bytes: Uint8Array): Result<{ version: number }>;
  rotateKey(): Result<{ newPub: string }>;
  /** Upload the journal again from `seq` (a resend command). */
  resendFrom(seq: number): void;
  /** The rate limiter refusals go through (noise.ts). */
  noise: Noise;
}

export interface CommandOutcome { accepted: boolean; why: string; n: number | null; kind: string | null }

export function applyCommand(ctx: Context, to: CommandTargets, bytes: Uint8Array): CommandOutcome {
  const reject = (why: string, n: number | null = null, kind: string | null = null): CommandOutcome => {
    // The first refusal of a window in full; the rest counted into one noise entry (noise.ts).
    if (to.noise.admit(kind ? `command:${kind}` : 'command:unauthenticated')) {
      const seq = ctx.record(rec.command({ accepted: false, n, kind, reason: 'COMMAND_REJECTED', why }));
      ctx.alert('COMMAND_REJECTED', { n, kind, why }, seq);
    }
    return { accepted: false, why, n, kind };
  };
  const o = openSign1(bytes, trustAnchors(ctx.hal, 'operator'), 'command');
  if (!o.ok) return reject(o.error);
  const d = decode(o.value.payload, 'command payload');
  if (!d.ok) return reject(d.error);
  const c = d.value as Record<string, any>;
  if (!c || typeof c !== 'object') return reject('command payload is not a map');
  const n = Number.isSafeInteger(c.n) ? (c.n as number) : null;
  const kind = typeof c.kind === 'string' ? c.kind : null;
  const held = ctx.journal.ledger.cmdCounter;
  if (c.dev !== ctx.cfg.dev) return reject(`addressed to ${String(c.dev)}, not this terminal`, n, kind);
  if (n === null || n < 1) return reject('counter n missing', n, kind);
  // A counter near 2^53 would leave no room for any later command: refused (SPEC §6).
  if (n > MAX_COUNTER) return reject(`counter ${n} is beyond ${MAX_COUNTER}`, n, kind);
  if (n <= held) return reject(`counter ${n} not above the last accepted ${held} (replay)`, n, kind);
  if (!Number.isSafeInteger(c.exp)) return reject('expiry exp missing', n, kind);
  if (c.exp <= ctx.now()) return reject(`expired at ${new Date(c.exp).toISOString()}`, n, kind);
  if (!kind || (COMMAND_KINDS as readonly string[]).indexOf(kind) < 0) return reject(`unknown kind ${String(c.kind)}`, n, kind);
  const accept = (a: AcceptedCommand): CommandOutcome => {
    ctx.record(rec.command({ accepted: true, n, ...a }));
    return { accepted: true, why: '', n, kind };
  };
  switch (kind as CommandKind) {
    case 'policy': {
      if (!(c.policy instanceof Uint8Array)) return reject('policy command carries no policy bytes', n, kind);
      const r = to.installPolicy(c.policy);
      if (!r.ok) return reject(`policy refused: ${r.error}`, n, kind);
      return accept({ kind: 'policy', version: r.value.version });
    }
    case 'hours-extend': {
      if (!Number.isSafeInteger(c.untilMs) || c.untilMs <= ctx.now() || c.untilMs - ctx.now() > 24 * 3600_000) {
        return reject('hours-extend needs untilMs within the next 24 hours', n, kind);
      }
      return accept({ kind: 'hours-extend', untilMs: c.untilMs });
    }
    case 'resend': {
      const fromSeq = Number.isSafeInteger(c.fromSeq) && c.fromSeq >= 1 ? (c.fromSeq as number) : 1;
      const out = accept({ kind: 'resend', fromSeq });
      to.resendFrom(fromSeq);
      return out;
    }
    case 'lock':
      return accept({ kind: 'lock', why: typeof c.why === 'string' ? c.why.slice(0, 80) : 'locked by operator' });
    case 'unlock':
      return accept({ kind: 'unlock' });
    case 'image-update': {
      // The agent authenticates the instruction; the firmware's loader fetches the image, checks
      // its manifest against the release key and switches slots at the next boot (device/README.md).
      if (typeof c.manifestSha512 !== 'string' || !/^[0-9a-f]{128}$/.test(c.manifestSha512)) return reject('image-update needs manifestSha512 (128 hex)', n, kind);
      if (!Number.isSafeInteger(c.version) || c.version < 1) return reject('image-update needs an integer version', n, kind);
      return accept({ kind: 'image-update', manifestSha512: c.manifestSha512, version: c.version });
    }
    case 'rotate-key': {
      const out = accept({ kind: 'rotate-key' });
      const r = to.rotateKey();
      if (!r.ok) ctx.hal.log(2, `rotate-key: ${r.error}`);
      return out;
    }
  }
}
