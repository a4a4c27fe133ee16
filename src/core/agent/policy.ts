// The policy the terminal trades under (SPEC §4): loaded from flash at boot, replaced only by a
// signed policy that verifies against the image's operator key and is not older than the one held.
// A refused policy is journaled with its reason and never replaces the held one.

import { openPolicy, POLICY_COPY, POLICY_FILE, readPolicyFile, writePolicyFile } from '../policy/store';
import { equalBytes } from '../util/bytes';
import type { Policy } from '../policy/types';
import { reason, type Reason } from '../reasons/names';
import { rec } from '../journal/records';
import { fail, ok, type Result } from '../util/result';
import type { Context } from './context';

export class PolicyHolder {
  policy: Policy | null = null;
  /** Why there is no usable policy (POLICY_MISSING, POLICY_INVALID, POLICY_EXPIRED), or null. */
  problem: Reason | null = null;

  constructor(private ctx: Context) {}

  /**
   * The held policy: the file, or its copy where the file is rotten, lost or older (a flashed image
   * may lay down its own older policy). The one that verifies heals the other (SPEC §6).
   */
  load(): void {
    const hal = this.ctx.hal, held = this.ctx.journal.ledger.policyVersion, now = this.ctx.now();
    const main = readPolicyFile(hal, POLICY_FILE), copy = readPolicyFile(hal, POLICY_COPY);
    let bytes = main ?? copy;
    if (!bytes) { this.policy = null; this.problem = reason('POLICY_MISSING'); return; }
    let o = openPolicy(hal, bytes, held, now);
    if (!o.ok && main && copy && !equalBytes(main, copy)) {
      const c = openPolicy(hal, copy, held, now);
      // The copy wins when it verifies, or when it is genuine but expired and the file is not even that.
      if (c.ok || (c.reason?.name === 'POLICY_EXPIRED' && o.reason?.name !== 'POLICY_EXPIRED')) { o = c; bytes = copy; }
    }
    if (o.ok || o.reason?.name === 'POLICY_EXPIRED') {
      if (!main || !equalBytes(main, bytes)) hal.storage.replace(POLICY_FILE, bytes);
      if (!copy || !equalBytes(copy, bytes)) hal.storage.replace(POLICY_COPY, bytes);
    }
    if (o.ok) { this.policy = o.value.policy; this.problem = null; return; }
    // An expired but genuine policy still drives the checks; POLICY_EXPIRED then fires on each.
    if (o.reason?.name === 'POLICY_EXPIRED') {
      const again = openPolicy(hal, bytes, 0, Number.NaN);
      this.policy = again.ok ? again.value.policy : null;
    } else this.policy = null;
    this.problem = o.reason ?? reason('POLICY_INVALID', { why: o.error });
  }

  /** Installs a signed policy (SPEC §4); a refused one is journaled with its reason. */
  install(bytes: Uint8Array): Result<{ version: number }> {
    const o = openPolicy(this.ctx.hal, bytes, this.ctx.journal.ledger.policyVersion, this.ctx.now());
    if (!o.ok) {
      const rs = o.reason ?? reason('POLICY_INVALID', { why: o.error });
      this.ctx.record(rec.policyRejected(rs.name, o.error));
      return fail(o.error, { reason: rs.name });
    }
    if (!writePolicyFile(this.ctx.hal, bytes)) return fail('storage refused the policy');
    this.policy = o.value.policy; this.problem = null;
    const m = o.value.policy.merchant;
    this.ctx.record(rec.policy({ version: o.value.policy.version, digest: o.value.digest, validUntil: o.value.policy.validUntil, mid: m.mid, tid: m.tid }));
    return ok({ version: o.value.policy.version });
  }
}
