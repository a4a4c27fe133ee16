// The reason table as three readers hold it (SPEC §3): the journal's integer codes (append-only: a
// stored code must name the same reason forever), the words the host tools render, and the pack in
// the image the terminal's screen reads. The bundle itself carries names and severities, no prose.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { decode as cbor2decode } from 'cbor2';
import { REASON_CODES } from '../../src/core/journal/format';
import { describe as tell, REASON_TEXT, REASONS } from '../../src/core/reasons/catalog';
import { reason, SEVERITY } from '../../src/core/reasons/names';
import { packReasons, readReasonsPack } from '../../device/provision/reasons-pack';

// The codes journals on flash already use, in order. New names go at the end; never edit this list.
const STORED = ['GEO_OUTSIDE', 'GEO_UNCERTAIN', 'GEO_NO_FIX', 'GEO_IMPLAUSIBLE_MOVE', 'HOURS_CLOSED', 'HOURS_NIGHT_RISK',
  'QUAL_EXPIRED', 'QUAL_EXPIRING'];

describe('the reason table', () => {
  it('keeps the stored codes where they were, and words for every name in the same order', () => {
    expect(REASON_CODES.slice(0, STORED.length)).toEqual(STORED);
    expect(Object.keys(REASON_TEXT)).toEqual([...REASON_CODES]);
    expect(Object.keys(REASONS)).toEqual([...REASON_CODES]);
    for (const n of REASON_CODES) expect(REASONS[n].severity, n).toBe(SEVERITY[n]);
  });

  it('the shipped bundle carries none of the words', () => {
    const bundle = readFileSync('dist/device/agent.js', 'utf8');
    for (const n of REASON_CODES) {
      const t = REASON_TEXT[n];
      for (const s of [t.en, t.zh, t.remedyEn, t.remedyZh]) expect(bundle.includes(s.slice(0, 24)), `${n}: ${s.slice(0, 24)}`).toBe(false);
    }
  });

  it('the image pack holds every reason in four texts, read by a standard CBOR decoder too', () => {
    const bytes = packReasons();
    const ours = readReasonsPack(bytes);
    expect(ours.ok).toBe(true);
    const theirs = cbor2decode(bytes) as unknown as { v: number; reasons: Record<string, string[]> };
    expect(theirs.v).toBe(1);
    expect(Object.keys(theirs.reasons).sort()).toEqual([...REASON_CODES].sort());
    // A screen filling the placeholders from the pack says what the host tools say.
    const r = reason('HOURS_CLOSED', { localTime: '23:30', weekday: '周五', todayHours: '09:00–21:00' });
    expect(theirs.reasons.HOURS_CLOSED[0].replace(/\{(\w+)\}/g, (_, k) => String(r.params[k]))).toBe(tell(r, 'zh').message);
  });

  it('a pack missing a reason or with a wrong shape is refused by name', () => {
    const bytes = packReasons();
    expect(readReasonsPack(bytes.subarray(0, 100))).toMatchObject({ ok: false });
    expect(readReasonsPack(new Uint8Array([0xa0]))).toMatchObject({ ok: false, error: expect.stringMatching(/not a format 1/) });
  });
});
