// Turns an IANA time zone into UTC offset transitions over a time range (SPEC §4): the terminal's
// QuickJS has no tz data, so the signed policy carries [fromEpochMs, offsetMinutes] pairs.
// Uses Node's ICU (Intl) data; transitions are found by hourly steps and bisected to the minute.
// Only canonical IANA names are accepted (SPEC §4): not abbreviations ("CST" is China to some and
// US Central to ICU), not aliases ("PRC"), not another case ("asia/shanghai").

import type { Problem } from '../core/reasons/why';

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

/**
 * ICU's canonical ids follow CLDR, which kept some names IANA has since renamed; IANA's canonical
 * name is the one to write (tzdata's `backward` file lists the old names as links).
 */
const IANA_RENAMED: Record<string, string> = {
  'Asia/Calcutta': 'Asia/Kolkata', 'Asia/Katmandu': 'Asia/Kathmandu', 'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Asia/Rangoon': 'Asia/Yangon', 'Europe/Kiev': 'Europe/Kyiv', 'Atlantic/Faeroe': 'Atlantic/Faroe',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires', 'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Cordoba': 'America/Argentina/Cordoba', 'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Mendoza': 'America/Argentina/Mendoza', 'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Louisville': 'America/Kentucky/Louisville', 'Pacific/Truk': 'Pacific/Chuuk', 'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Enderbury': 'Pacific/Kanton', 'America/Godthab': 'America/Nuuk', 'Asia/Ulan_Bator': 'Asia/Ulaanbaatar',
};

let canonicalZones: Set<string> | null = null;
/** The canonical IANA zone names in this machine's ICU data. */
export function canonicalZoneNames(): Set<string> {
  if (!canonicalZones) {
    canonicalZones = new Set(Intl.supportedValuesOf('timeZone').map((z) => IANA_RENAMED[z] ?? z));
    canonicalZones.add('Etc/UTC');
  }
  return canonicalZones;
}

/** Why `zone` is not a canonical IANA name at `path`, or null when it is one. */
export function zoneProblem(zone: string, path = 'site.timezone'): Problem | null {
  const names = canonicalZoneNames();
  if (names.has(zone)) return null;
  const got = zone;
  const lower = zone.toLowerCase();
  const sameCase = [...names].find((z) => z.toLowerCase() === lower);
  if (sameCase) return { code: 'TZ_CASE', figures: { path, got, near: sameCase } };
  // Capitals ending in T, with or without a DST rule: an abbreviation (CST, IST, EST5EDT) whatever ICU
  // maps it to. Country links such as PRC are aliases and fall through to the next rule.
  if (/^[A-Z]{1,4}T(\d{1,2}[A-Z]{3,4})?$/.test(zone) && zone !== 'UTC') return { code: 'TZ_ABBREVIATION', figures: { path, got } };
  let resolved: string | null = null;
  try { resolved = fmtFor(zone).resolvedOptions().timeZone; } catch { /* not a zone ICU knows */ }
  if (resolved) {
    const near = IANA_RENAMED[resolved] ?? (resolved === 'UTC' ? 'Etc/UTC' : resolved);
    if (names.has(near)) return { code: 'TZ_ALIAS', figures: { path, got, near } };
  }
  return { code: 'TZ_UNKNOWN', figures: { path, got } };
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
