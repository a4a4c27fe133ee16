// Strict ISO 8601 / RFC 3339 parsing and formatting. QuickJS has Date but no time-zone data, and
// Date.parse accepts too much; policy and scenario times must be exact or refused.

const RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2})$/;

/** RFC 3339 date-time with a zone designator, to epoch ms; null if malformed or impossible. */
export function parseIsoMs(s: unknown): number | null {
  if (typeof s !== 'string') return null;
  const m = RE.exec(s);
  if (!m) return null;
  const [y, mo, d, h, mi, se] = [+m[1]!, +m[2]!, +m[3]!, +m[4]!, +m[5]!, m[6] ? +m[6] : 0];
  const ms = m[7] ? +m[7].padEnd(3, '0') : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || se > 59) return null;
  let off = 0;
  if (m[8] !== 'Z') {
    const sign = m[8]![0] === '-' ? -1 : 1;
    const oh = +m[8]!.slice(1, 3), om = +m[8]!.slice(4, 6);
    if (oh > 23 || om > 59) return null;
    off = sign * (oh * 60 + om);
  }
  return Date.UTC(y, mo - 1, d, h, mi, se, ms) - off * 60000;
}

/** "YYYY-MM-DD" to a day number (days since 1970-01-01); null if malformed. */
export function parseDate(s: unknown): number | null {
  if (typeof s !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return null;
  const y = +s.slice(0, 4), mo = +s.slice(5, 7), d = +s.slice(8, 10);
  if (mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo)) return null;
  return Date.UTC(y, mo - 1, d) / 86400000;
}

/** "HH:MM" to minutes after midnight (00:00..24:00); null if malformed. */
export function parseHm(s: unknown): number | null {
  if (typeof s !== 'string' || !/^\d{2}:\d{2}$/.test(s)) return null;
  const h = +s.slice(0, 2), m = +s.slice(3, 5);
  if (m > 59 || h > 24 || (h === 24 && m !== 0)) return null;
  return h * 60 + m;
}

export function daysIn(y: number, mo: number): number {
  return new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

const p2 = (n: number) => (n < 10 ? '0' : '') + n;

export function fmtHm(min: number): string {
  return p2(Math.floor(min / 60)) + ':' + p2(min % 60);
}

/** Epoch ms with a UTC offset in minutes, as RFC 3339 local time ("2026-03-02T09:00:00+08:00"). */
export function fmtIso(ms: number, offsetMin: number): string {
  const d = new Date(ms + offsetMin * 60000);
  const sign = offsetMin < 0 ? '-' : '+';
  const a = Math.abs(offsetMin);
  return d.getUTCFullYear() + '-' + p2(d.getUTCMonth() + 1) + '-' + p2(d.getUTCDate()) + 'T' +
    p2(d.getUTCHours()) + ':' + p2(d.getUTCMinutes()) + ':' + p2(d.getUTCSeconds()) +
    sign + p2(Math.floor(a / 60)) + ':' + p2(a % 60);
}
