// Which policy the terminal trusts (SPEC §4): a COSE_Sign1 from the operator key in the image's
// trust anchors, a version not lower than the one held, valid now. A rejected policy never
// replaces the held one. A signed policy larger than POLICY_MAX_BYTES is refused before it is
// decoded: the signer refuses to make one (device/provision/policy.ts), so both sides agree.

import { decode } from '../codec/cbor';
import { openSign1 } from '../crypto/cose';
import { sha512 } from '../crypto/hash';
import { readWhole } from '../hal/read';
import { ST, type Hal } from '../hal/types';
import { reason, type Reason } from '../reasons/names';
import { fromHex, toHex } from '../util/bytes';
import { fail, ok, type Result } from '../util/result';
import type { Policy } from './types';
import { problemsOf, validatePolicy } from './validate';
import { problemOf, whyParams, type Figures, type WhyCode } from '../reasons/why';

export const POLICY_FILE = 'policy.cose';
/** A second copy, written before the first, so one rotten or lost file never costs the policy (SPEC §6). */
export const POLICY_COPY = 'policy.copy';
/** The largest signed policy a terminal accepts (SPEC §4): decoded within a 1 MiB heap with room to spare. */
export const POLICY_MAX_BYTES = 32 * 1024;

/** Trust anchors are one lowercase-hex public key per line in `trust/<role>.pub`. */
export function trustAnchors(hal: Hal, role: 'operator' | 'backend' | 'release'): Uint8Array[] {
  const b = readWhole(hal, `trust/${role}.pub`, 4096);
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
  const bad = (code: WhyCode, figures: Figures = {}, more = 0) => {
    const params = whyParams(code, figures);
    return Object.assign(fail(String(params.why)), { reason: reason('POLICY_INVALID', more ? { ...params, whyMore: more } : params) });
  };
  if (bytes.length > POLICY_MAX_BYTES) return bad('POLICY_TOO_LARGE', { bytes: bytes.length, max: POLICY_MAX_BYTES });
  const anchors = trustAnchors(hal, 'operator');
  if (!anchors.length) return bad('NO_TRUST_ANCHOR');
  const o = openSign1(bytes, anchors, 'policy');
  if (!o.ok) { const pr = problemOf(o); return pr ? bad(pr.code, pr.figures) : bad('NOT_SIGN1', { what: 'policy', detail: o.error }); }
  const d = decode(o.value.payload, 'policy payload');
  if (!d.ok) return bad('NOT_CBOR_DATA', { what: 'policy', detail: d.error });
  const v = validatePolicy(d.value, true);
  if (!v.ok) {
    const ps = problemsOf(v);
    return ps.length ? bad(ps[0]!.code, ps[0]!.figures, ps.length - 1) : bad('NOT_CBOR_DATA', { what: 'policy', detail: v.error });
  }
  const p = v.value;
  if (p.version < heldVersion) return bad('VERSION_ROLLBACK', { version: p.version, held: heldVersion });
  if (nowMs < p.validFromMs || nowMs >= p.validUntilMs) {
    return Object.assign(fail(`not valid now (valid ${p.validFrom} to ${p.validUntil})`),
      { reason: reason('POLICY_EXPIRED', { version: p.version, validFrom: p.validFrom, validUntil: p.validUntil }) });
  }
  return ok({ policy: p, digest: toHex(sha512(bytes).subarray(0, 16)), bytes });
}

export function readPolicyFile(hal: Hal, name: string = POLICY_FILE): Uint8Array | null {
  const n = hal.storage.size(name);
  if (n <= 0) return null;
  return hal.storage.read(name, 0, Math.min(n, POLICY_MAX_BYTES + 1));   // enough for openPolicy to say it is too large
}

/** Writes the copy, then the file the provisioning tools and doctor read. */
export function writePolicyFile(hal: Hal, bytes: Uint8Array): boolean {
  return hal.storage.replace(POLICY_COPY, bytes) === ST.OK && hal.storage.replace(POLICY_FILE, bytes) === ST.OK;
}
