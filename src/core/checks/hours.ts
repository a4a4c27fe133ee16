// Business hours (SPEC §5 Hours): weekly intervals that may run past midnight, dated exceptions
// that replace the weekday, a night-risk window, and a signed temporary extension.

import type { Interval, Policy } from '../policy/types';
import { reason, type Reason } from '../reasons/names';
import { fmtHm } from '../time/iso';
import { WEEKDAYS, type LocalTime } from '../time/local';

/** [start, end) with end < start wrapping past midnight; `minute` is minutes after local midnight. */
export function inInterval(iv: Interval, minute: number): boolean {
  const [s, e] = iv;
  return s < e ? minute >= s && minute < e : minute >= s || minute < e;
}

function intervalsFor(p: Policy, day: number, weekdayIdx: number): Interval[] {
  const ex = p.hours.exceptions.find((x) => x.day === day);
  if (ex) return ex.closed ? [] : ex.intervals;
  return p.hours.week[WEEKDAYS[weekdayIdx]!];
}

/**
 * Open when t lies in an interval of today, or in the after-midnight part of a wrapping interval
 * of yesterday (an exception for a date replaces that date's intervals).
 */
export function isOpen(p: Policy, lt: LocalTime): boolean {
  const wd = WEEKDAYS.indexOf(lt.weekday);
  for (const iv of intervalsFor(p, lt.day, wd)) {
    if (iv[0] < iv[1] ? lt.minute >= iv[0] && lt.minute < iv[1] : lt.minute >= iv[0]) return true;
  }
  for (const iv of intervalsFor(p, lt.day - 1, (wd + 6) % 7)) {
    if (iv[1] < iv[0] && lt.minute < iv[1]) return true;
  }
  return false;
}

export function describeDay(p: Policy, lt: LocalTime): string {
  const ivs = intervalsFor(p, lt.day, WEEKDAYS.indexOf(lt.weekday));
  return ivs.map((iv) => fmtHm(iv[0]) + '-' + fmtHm(iv[1])).join(', '); // '' when closed: the reader's word for it (localize.ts)
}

export function checkHours(p: Policy, lt: LocalTime, nowMs: number, extensionUntilMs: number): Reason[] {
  const out: Reason[] = [];
  const localTime = fmtHm(lt.minute);
  if (!isOpen(p, lt) && !(nowMs < extensionUntilMs)) {
    out.push(reason('HOURS_CLOSED', { localTime, weekday: lt.weekday, todayHours: describeDay(p, lt) }));
  }
  const nr = p.hours.nightRisk;
  if (nr && inInterval(nr, lt.minute)) {
    out.push(reason('HOURS_NIGHT_RISK', { localTime, nightRisk: fmtHm(nr[0]) + '-' + fmtHm(nr[1]) }));
  }
  return out;
}
