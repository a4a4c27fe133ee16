// Clock rules (SPEC §5 Clock): the wall clock may not run back past the journal's high-water
// mark (5 s grace), and may not drift beyond maxSkewS against the monotonic clock since the last
// trusted sync in this boot.

import { reason, type Reason } from '../reasons/names';
import { fmtIso } from '../time/iso';
import { whyParams } from '../reasons/why';

export const ROLLBACK_GRACE_MS = 5000;

/** Wall and monotonic readings taken together at the last trusted sync (or at boot). */
export interface ClockAnchor { wallMs: number; monoMs: number; trusted: boolean }

export function checkClock(wallMs: number, monoMs: number, highWaterMs: number, anchor: ClockAnchor,
                           maxSkewS: number, offsetMin: number): Reason[] {
  const out: Reason[] = [];
  if (highWaterMs > 0 && wallMs < highWaterMs - ROLLBACK_GRACE_MS) {
    out.push(reason('CLOCK_ROLLBACK', {
      now: fmtIso(wallMs, offsetMin), highWater: fmtIso(highWaterMs, offsetMin), backS: Math.round((highWaterMs - wallMs) / 1000) }));
  }
  const skewS = Math.abs((wallMs - anchor.wallMs) - (monoMs - anchor.monoMs)) / 1000;
  // An anchor taken at a boot whose clock stood behind the journal is untrusted until a sync:
  // the reason says so in words, not as a drift of 0 s.
  if (!anchor.trusted) out.push(reason('CLOCK_UNTRUSTED', { skewS: Math.round(skewS), maxSkewS, ...whyParams('CLOCK_BEHIND_AT_BOOT') }));
  else if (skewS > maxSkewS) out.push(reason('CLOCK_UNTRUSTED', { skewS: Math.round(skewS), maxSkewS, ...whyParams('CLOCK_DRIFT', { skewS: Math.round(skewS), maxSkewS }) }));
  return out;
}
