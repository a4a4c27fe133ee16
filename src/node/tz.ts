// Turns an IANA time zone into UTC offset transitions over a time range (SPEC §4): the terminal's
// QuickJS has no tz data, so the signed policy carries [fromEpochMs, offsetMinutes] pairs.
// Uses Node's ICU (Intl) data; transitions are found by hourly steps and bisected to the minute.

export function offsetMinutes(zone: string, ms: number): number {
  const f = fmtFor(zone);
  const parts = f.formatToParts(new Date(ms));
  const get = (t: string) => +(parts.find((p) => p.type === t)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour') % 24, get('minute'), get('second'));
  return Math.round((asUtc - Math.floor(ms / 1000) * 1000) / 60000);
}

const cache = new Map<string, Intl.DateTimeFormat>();
function fmtFor(zone: string): Intl.DateTimeFormat {
  let f = cache.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
                                          hour: 'numeric', minute: 'numeric', second: 'numeric' });
    cache.set(zone, f);
  }
  return f;
}

export function isValidZone(zone: string): boolean {
  try { fmtFor(zone); return true; } catch { return false; }
}

/** Offsets in force over [fromMs, untilMs], as sorted [fromEpochMs, offsetMinutes] pairs. */
export function transitions(zone: string, fromMs: number, untilMs: number): [number, number][] {
  const HOUR = 3600_000;
  const out: [number, number][] = [[fromMs, offsetMinutes(zone, fromMs)]];
  let prev = out[0]![1];
  for (let t = fromMs + HOUR; t <= untilMs + HOUR; t += HOUR) {
    const o = offsetMinutes(zone, t);
    if (o === prev) continue;
    let lo = t - HOUR, hi = t; // offset changes in (lo, hi]
    while (hi - lo > 1000) { const mid = Math.floor((lo + hi) / 2); if (offsetMinutes(zone, mid) === prev) lo = mid; else hi = mid; }
    out.push([hi, o]);
    prev = o;
  }
  return out;
}
