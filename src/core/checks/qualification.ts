// Qualification expiry (SPEC §5 Qualification): valid through its local expiry date; expiring
// within the 30 days before and on it.

import type { Policy } from '../policy/types';
import { reason, type Reason } from '../reasons/names';

export const EXPIRING_DAYS = 30;

export function checkQualifications(p: Policy, localDay: number): Reason[] {
  const out: Reason[] = [];
  for (const q of p.merchant.qualifications) {
    const left = q.expiresDay - localDay;
    if (left < 0) out.push(reason('QUAL_EXPIRED', { kind: q.kind, expires: q.expires }));
    else if (left <= EXPIRING_DAYS) out.push(reason('QUAL_EXPIRING', { kind: q.kind, expires: q.expires, daysLeft: left }));
  }
  return out;
}
