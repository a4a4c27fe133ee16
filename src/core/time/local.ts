// Local civil time at the site from UTC offset transitions (SPEC §4: QuickJS has no tz data, so
// host tools turn the IANA zone into [fromMs, offsetMin] pairs and sign them into the policy).

export type Transitions = [number, number][]; // sorted by fromMs; first entry covers earlier times

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface LocalTime {
  offsetMin: number;
  day: number;       // local day number (days since 1970-01-01 in local time)
  minute: number;    // minutes after local midnight
  weekday: Weekday;
  dateKey: string;   // YYYY-MM-DD
  monthKey: string;  // YYYY-MM
}

export function offsetAt(tz: Transitions, ms: number): number {
  let lo = 0, hi = tz.length - 1, ans = 0;
  if (hi < 0) return 0;
  if (ms < tz[0]![0]) return tz[0]![1];
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (tz[mid]![0] <= ms) { ans = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return tz[ans]![1];
}

export function localTime(tz: Transitions, ms: number): LocalTime {
  const offsetMin = offsetAt(tz, ms);
  const l = ms + offsetMin * 60000;
  const day = Math.floor(l / 86400000);
  const minute = Math.floor((l - day * 86400000) / 60000);
  const d = new Date(day * 86400000);
  const y = d.getUTCFullYear(), m = d.getUTCMonth() + 1, dd = d.getUTCDate();
  const monthKey = y + '-' + (m < 10 ? '0' : '') + m;
  return { offsetMin, day, minute, weekday: WEEKDAYS[d.getUTCDay()]!, dateKey: monthKey + '-' + (dd < 10 ? '0' : '') + dd, monthKey };
}
