// The compact decision preview and heartbeat (core/telemetry/wire.ts, issue 18): what the terminal
// sends is what the fleet reads back, a newer firmware's codes and keys survive, and junk is refused.
import { describe, expect, it } from 'vitest';
import { decode, decodeMaps, encode } from '../../src/core/codec/cbor';
import { REASON_NAMES } from '../../src/core/reasons/names';
import { healthBody, previewBody, readHealth, readPreview } from '../../src/core/telemetry/wire';

const viaWire = (v: unknown) => (decode(encode(v)) as { value: unknown }).value;
const healthViaWire = (v: unknown) => (decodeMaps(encode(v)) as { value: unknown }).value;

describe('decision preview', () => {
  it('round-trips and is small: 20 bytes for an allow with no reasons', () => {
    const body = previewBody(318, 'D158', 'allow', [], 1772447328000);
    expect(encode(body).length).toBeLessThanOrEqual(20);
    expect(readPreview(viaWire(body))).toEqual({ seq: 318, ref: 'D158', verdict: 'allow', reasons: [], t: 1772447328000 });
    const deny = previewBody(2, 'R1', 'deny', [{ name: 'GEO_OUTSIDE' }, { name: 'HOURS_CLOSED' }], 5);
    expect(readPreview(viaWire(deny))).toMatchObject({ verdict: 'deny', reasons: ['GEO_OUTSIDE', 'HOURS_CLOSED'] });
  });

  it('keeps a reason code newer than this table, and refuses what is not a preview', () => {
    expect(readPreview([1, 'X', 2, [0, REASON_NAMES.length + 5], 9])!.reasons).toEqual([REASON_NAMES[0], `REASON_${REASON_NAMES.length + 5}`]);
    for (const junk of [null, {}, [], [1, 'X', 2, [], -1], [1, 'X', 7, [], 9], [1, 'X', 'maybe', [], 9], [1.5, 'X', 0, [], 9],
      [1, 'X', 0, [-1], 9], [1, 'X', 0, 'GEO', 9], [1, 'X', 0, [[0]], 9], [1, 'X', 0, [], 9, 'extra']]) {
      expect(readPreview(junk), JSON.stringify(junk)).toBeNull();
    }
  });
});

describe('heartbeat', () => {
  it('round-trips by name with integer keys on the wire, nested figures included', () => {
    const h = { heapFree: 498000, storageFree: 4190000, batch: { no: 1, count: 119 }, seq: 50, unacked: { from: 40, to: 50, ageS: 12 } };
    const wire = healthBody(h);
    expect([...wire.keys()].every((k) => typeof k === 'number')).toBe(true);
    expect(readHealth(healthViaWire(wire))).toEqual(h);
  });

  it('keeps a newer firmware\'s key under its number and a text key by name; refuses a non-map or a bad key', () => {
    expect(readHealth(new Map<unknown, unknown>([[99, 1], ['extra', 2], [1, 3]]))).toEqual({ 99: 1, extra: 2, heapFree: 3 });
    expect(readHealth([1, 2])).toBeNull();
    expect(readHealth(new Map<unknown, unknown>([[-1, 1]]))).toBeNull();
    expect(readHealth(new Map<unknown, unknown>([[0, 1]]))).toEqual({ 0: 1 });
  });
});
