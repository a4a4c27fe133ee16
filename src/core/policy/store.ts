// Which policy the terminal trusts (SPEC §4): a COSE_Sign1 from the operator key in the image's
// trust anchors, a version not lower than the one held, valid now. A rejected policy never
// replaces the held one.

import { decode } from '../codec/cbor';
import { openSign1 } from '../crypto/cose';
import { sha512 } from '../crypto/hash';
import { ST, type Hal } from '../hal/types';
import { reason, type Reason } from '../reasons/catalog';
import { fromHex, toHex } from '../util/bytes';
import { fail, ok, type Result } from '../util/result';
import type { Policy } from './types';
import { validatePolicy } from './validate';

export const POLICY_FILE = 'policy.cose';
/** A second copy, written before the first, so one rotten or lost file never costs the policy (SPEC §6). */
export const POLICY_COPY = 'policy.copy';

/** Trust anchors are one lowercase-hex public key per line in `trust/<role>.pub`. */
export function trustAnchors(hal: Hal, role: 'operator' | 'backend' | 'release'): Uint8Array[] {
  const name = `trust/${role}.pub`;
  const n = hal.storage.size(name);
  if (n <= 0 || n > 4096) return [];
  const b = hal.storage.read(name, 0, n);
  if (!b) return [];
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  const out: Uint8Array[] = [];
  for (const line of s.split(/\s+/)) {
    const k = line.length === 64 ? fromHex(line) : null;
    if (k) out.push(k);
  }
  return out;
}

export interface Accepted { policy: Policy; digest: string; bytes: Uint8Array }

/** Opens and validates a signed policy; `heldVersion` guards against rollback. */
export function openPolicy(hal: Hal, bytes: Uint8Array, heldVersion: number, nowMs: number): Result<Accepted> & { reason?: Reason } {
  const anchors = trustAnchors(hal, 'operator');
  const bad = (why: string) => Object.assign(fail(why), { reason: reason('POLICY_INVALID', { why }) });
  if (!anchors.length) return bad('no operator trust anchor in the image');
  const o = openSign1(bytes, anchors, 'policy');
  if (!o.ok) return bad(o.error);
  const d = decode(o.value.payload, 'policy payload');
  if (!d.ok) return bad(d.error);
  const v = validatePolicy(d.value, true);
  if (!v.ok) return bad(v.error);
  const p = v.value;
  if (p.version < heldVersion) return bad(`version ${p.version} is lower than the held version ${heldVersion}`);
  if (nowMs < p.validFromMs || nowMs >= p.validUntilMs) {
    return Object.assign(fail(`not valid now (valid ${p.validFrom} to ${p.validUntil})`),
      { reason: reason('POLICY_EXPIRED', { version: p.version, validFrom: p.validFrom, validUntil: p.validUntil }) });
  }
  return ok({ policy: p, digest: toHex(sha512(bytes).subarray(0, 16)), bytes });
}

export function readPolicyFile(hal: Hal, name: string = POLICY_FILE): Uint8Array | null {
  const n = hal.storage.size(name);
  if (n <= 0 || n > 65_536) return null;
  return hal.storage.read(name, 0, n);
}

/** Writes the copy, then the file the provisioning tools and doctor read. */
export function writePolicyFile(hal: Hal, bytes: Uint8Array): boolean {
  return hal.storage.replace(POLICY_COPY, bytes) === ST.OK && hal.storage.replace(POLICY_FILE, bytes) === ST.OK;
}
