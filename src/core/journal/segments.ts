// Where the journal lives on flash: segments j/00000001, j/00000002, ... of at most SEGMENT_BYTES,
// appended to in order. The journal, its recovery and its readers share these names.

import type { Hal } from '../hal/types';
import { parseEntry, parseSeal } from './entry';
import { KIND_ENTRY, scanFrames } from './frame';

export const SEGMENT_BYTES = 64 * 1024;
export const SEG_PREFIX = 'j/';
export const segName = (n: number) => SEG_PREFIX + String(n).padStart(8, '0');
/** The segment numbers on flash, in order. */
export const segNumbers = (hal: Hal): number[] =>
  hal.storage.list(SEG_PREFIX).filter((n) => /^j\/\d{8}$/.test(n)).map((n) => +n.slice(2)).sort((a, b) => a - b);

/**
 * The seqs a segment should hold, [first, next), against what it does hold: every run missing
 * (lost), and the entries before a run that no seal in the segment covers (unverifiable: their
 * seal could only be reached through the lost record). Shared by recovery and the scrubber.
 */
export function segmentGaps(present: { seq: number; sealed: boolean }[], first: number, next: number): { lost: [number, number][]; unverifiable: [number, number][] } {
  const lost: [number, number][] = [], unverifiable: [number, number][] = [];
  let last = first - 1, sealed = first - 1;
  const gapTo = (seq: number) => {
    if (seq <= last + 1) return;
    lost.push([last + 1, seq - 1]);
    if (sealed < last) unverifiable.push([sealed + 1, last]);
  };
  for (const p of present) {
    if (p.seq < first || p.seq >= next) continue;
    gapTo(p.seq);
    last = Math.max(last, p.seq);
    if (p.sealed) sealed = last;
  }
  gapTo(next);
  return { lost, unverifiable };
}

/** The entries a segment's bytes hold, in order, each marked when the seal right after it covers it; and the first damage. */
export function presentIn(b: Uint8Array): { present: { seq: number; sealed: boolean }[]; damage: string | null } {
  const s = scanFrames(b);
  const present: { seq: number; sealed: boolean }[] = [];
  for (const r of s.records) {
    if (r.kind === KIND_ENTRY) { const e = parseEntry(r.payload); if (e.ok) present.push({ seq: e.value.seq, sealed: false }); continue; }
    const sl = parseSeal(r.payload), last = present[present.length - 1];
    if (sl.ok && last && sl.value.payload.seq === last.seq) last.sealed = true;
  }
  return { present, damage: s.damaged[0]?.why ?? null };
}
