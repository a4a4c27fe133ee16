// One preflight (SPEC §3, §5): every check runs every time and the verdict lists every reason.
// Pure: all inputs are handed in, so a decision can be re-checked later from its journal entry.

import type { Txn } from '../acquirer/types';
import type { GpsFix } from '../hal/types';
import type { Ledger } from '../journal/ledger';
import type { Policy } from '../policy/types';
import { reason, verdictOf, type Reason } from '../reasons/names';
import { localTime } from '../time/local';
import { checkClock, type ClockAnchor } from './clock';
import { checkGeo } from './geo';
import { checkHours } from './hours';
import { checkLimits, usedFor, type Used } from './limits';
import { checkMessage } from './message';
import { checkQualifications } from './qualification';
import { checkResources } from './resources';

export interface DecideInputs {
  policy: Policy | null;
  policyProblem: Reason | null;  // POLICY_MISSING / POLICY_INVALID when policy is null
  txn: Txn;
  wallMs: number; monoMs: number;
  fix: GpsFix | null;
  implausible: { distanceM: number; speedKmh: number } | null;
  heapFree: number; storageFree: number;
  ledger: Ledger;
  anchor: ClockAnchor;
}

export interface Decision {
  verdict: 'allow' | 'review' | 'deny';
  reasons: Reason[];
  /** What decided, recorded in the journal so the verdict can be re-checked (SPEC §6); the wall clock is the entry's t. */
  inputs: { monoMs: number; fix: GpsFix | null; geo: string; distanceM: number | null;
            used: Used | null; heapFree: number; storageFree: number; batchCount: number; policyVersion: number;
            localDate: string | null; localMinute: number | null };
}

export function decide(i: DecideInputs): Decision {
  const reasons: Reason[] = [];
  const l = i.ledger;
  const p = i.policy;
  if (l.locked !== null) reasons.push(reason('DEVICE_LOCKED', { why: l.locked }));
  const inputs: Decision['inputs'] = {
    monoMs: i.monoMs, fix: i.fix, geo: 'unchecked', distanceM: null, used: null,
    heapFree: i.heapFree, storageFree: i.storageFree, batchCount: l.batch.count, policyVersion: p ? p.version : 0,
    localDate: null, localMinute: null,
  };
  if (!p) {
    reasons.push(i.policyProblem ?? reason('POLICY_MISSING'));
    return { verdict: verdictOf(reasons), reasons, inputs };
  }
  if (i.wallMs < p.validFromMs || i.wallMs >= p.validUntilMs) {
    reasons.push(reason('POLICY_EXPIRED', { version: p.version, validFrom: p.validFrom, validUntil: p.validUntil }));
  }
  const lt = localTime(p.site.tz, i.wallMs);
  inputs.localDate = lt.dateKey; inputs.localMinute = lt.minute;
  reasons.push(...checkClock(i.wallMs, i.monoMs, l.highWaterMs, i.anchor, p.clock.maxSkewS, lt.offsetMin));
  const g = checkGeo(p, { fix: i.fix, monoMs: i.monoMs, implausible: i.implausible });
  inputs.geo = g.state; inputs.distanceM = g.distanceM === null ? null : Math.round(g.distanceM);
  reasons.push(...g.reasons);
  reasons.push(...checkHours(p, lt, i.wallMs, l.hoursExtensionUntilMs));
  reasons.push(...checkQualifications(p, lt.day));
  const used = usedFor(l, i.txn, lt, i.wallMs, p.limits.velocity.windowS);
  inputs.used = used;
  reasons.push(...checkLimits(p, i.txn, used));
  reasons.push(...checkResources(p, i.heapFree, i.storageFree, l.batch.count));
  reasons.push(...checkMessage(i.txn, l));
  return { verdict: verdictOf(reasons), reasons, inputs };
}
