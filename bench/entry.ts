// Where a stored decision entry's bytes go (issue 18: measure before cutting): the mean frame on
// flash, its payload, and each field's share, keys included, read back from a terminal's own flash.

import { decodeMaps, encode } from '../src/core/codec/cbor';
import type { Hal } from '../src/core/hal/types';
import { readRecords } from '../src/core/journal/export';
import { BODY, ENTRY } from '../src/core/journal/format';
import { HEADER, KIND_ENTRY } from '../src/core/journal/frame';
import { RECORD_TYPES } from '../src/core/journal/records';

const DECISION = RECORD_TYPES.indexOf('decision') + 1;

/** The names of a field table, by stored key (format.ts: field i under key i + 1). */
function names(shape: unknown): string[] {
  const f = (shape as { fields?: readonly (readonly [string, unknown])[] }).fields;
  return f ? f.map((x) => x[0]) : [];
}

export interface EntryFigures { meanFrameBytes: number; meanPayloadBytes: number; count: number; fields: string }

export function decisionEntries(hal: Hal): EntryFigures {
  let n = 0, frames = 0, payloads = 0;
  const share = new Map<string, number>();
  const add = (k: string, b: number) => share.set(k, (share.get(k) ?? 0) + b);
  const top = Object.fromEntries(Object.entries(ENTRY).map(([k, v]) => [v, k]));
  const body = names(BODY.decision);
  readRecords(hal, (r) => {
    if (r.kind !== KIND_ENTRY) return;
    const d = decodeMaps(r.payload, 'entry');
    if (!d.ok || !(d.value instanceof Map) || d.value.get(ENTRY.type) !== DECISION) return;
    n++; frames += HEADER + r.payload.length; payloads += r.payload.length;
    add('frame header', HEADER);
    add('map headers', 1);
    for (const [k, v] of d.value) {
      if (k === ENTRY.body && v instanceof Map) {
        add('body map header', 1);
        for (const [bk, bv] of v) add(`body.${body[(bk as number) - 1] ?? bk}`, encode(bk).length + encode(bv).length);
      } else add(top[k as number] ?? String(k), encode(k).length + encode(v).length);
    }
  });
  const fields = [...share].sort((a, b) => b[1] - a[1]).map(([k, b]) => `${k} ${(b / Math.max(1, n)).toFixed(1)}`).join(', ');
  return { meanFrameBytes: n ? Math.round(frames / n) : 0, meanPayloadBytes: n ? Math.round(payloads / n) : 0, count: n, fields };
}
