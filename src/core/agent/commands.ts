// Signed commands from the operator (SPEC §6): COSE_Sign1 with `dev`, a counter `n` above every
// accepted one, an expiry `exp` (epoch ms), a `kind` and its arguments. Every command, accepted or
// not, is journaled with its reason.

import { decode } from '../codec/cbor';
import { openSign1 } from '../crypto/cose';
import { trustAnchors } from '../policy/store';
import type { CommandHost } from './ports';

export const COMMAND_KINDS = ['policy', 'hours-extend', 'resend', 'lock', 'unlock', 'rotate-key', 'image-update'] as const;

export function applyCommand(agent: CommandHost, bytes: Uint8Array): { accepted: boolean; why: string } {
  const reject = (why: string, n: number | null = null, kind: string | null = null) => {
    agent.record('command', { accepted: false, n, kind, reason: 'COMMAND_REJECTED', why });
    agent.alert('COMMAND_REJECTED', { n, kind, why });
    return { accepted: false, why };
  };
  const o = openSign1(bytes, trustAnchors(agent.hal, 'operator'), 'command');
  if (!o.ok) return reject(o.error);
  const d = decode(o.value.payload, 'command payload');
  if (!d.ok) return reject(d.error);
  const c = d.value as Record<string, any>;
  if (!c || typeof c !== 'object') return reject('command payload is not a map');
  const n = Number.isSafeInteger(c.n) ? (c.n as number) : null;
  const kind = typeof c.kind === 'string' ? c.kind : null;
  if (c.dev !== agent.cfg.dev) return reject(`addressed to ${String(c.dev)}, not this terminal`, n, kind);
  if (n === null || n < 1) return reject('counter n missing', n, kind);
  if (n <= agent.journal.ledger.cmdCounter) return reject(`counter ${n} not above the last accepted ${agent.journal.ledger.cmdCounter} (replay)`, n, kind);
  if (!Number.isSafeInteger(c.exp)) return reject('expiry exp missing', n, kind);
  if (c.exp <= agent.now()) return reject(`expired at ${new Date(c.exp).toISOString()}`, n, kind);
  if (!kind || (COMMAND_KINDS as readonly string[]).indexOf(kind) < 0) return reject(`unknown kind ${String(c.kind)}`, n, kind);
  const base = { accepted: true, n, kind };
  switch (kind) {
    case 'policy': {
      if (!(c.policy instanceof Uint8Array)) return reject('policy command carries no policy bytes', n, kind);
      const r = agent.installPolicy(c.policy);
      if (!r.ok) return reject(`policy refused: ${r.error}`, n, kind);
      agent.record('command', { ...base, version: r.value.version });
      break;
    }
    case 'hours-extend': {
      if (!Number.isSafeInteger(c.untilMs) || c.untilMs <= agent.now() || c.untilMs - agent.now() > 24 * 3600_000) {
        return reject('hours-extend needs untilMs within the next 24 hours', n, kind);
      }
      agent.record('command', { ...base, untilMs: c.untilMs });
      break;
    }
    case 'resend':
      agent.record('command', { ...base, fromSeq: c.fromSeq ?? 1 });
      agent.resendFrom(Number.isSafeInteger(c.fromSeq) ? c.fromSeq : 1);
      break;
    case 'lock':
      agent.record('command', { ...base, why: typeof c.why === 'string' ? c.why.slice(0, 80) : 'locked by operator' });
      break;
    case 'unlock':
      agent.record('command', base);
      break;
    case 'image-update': {
      // The agent authenticates the instruction; the firmware's loader fetches the image, checks
      // its manifest against the release key and switches slots at the next boot (device/README.md).
      if (typeof c.manifestSha512 !== 'string' || !/^[0-9a-f]{128}$/.test(c.manifestSha512)) return reject('image-update needs manifestSha512 (128 hex)', n, kind);
      if (!Number.isSafeInteger(c.version) || c.version < 1) return reject('image-update needs an integer version', n, kind);
      agent.record('command', { ...base, manifestSha512: c.manifestSha512, version: c.version });
      break;
    }
    case 'rotate-key': {
      agent.record('command', base);
      const r = agent.rotateKey();
      if (!r.ok) agent.hal.log(2, `rotate-key: ${r.error}`);
      break;
    }
  }
  return { accepted: true, why: '' };
}
