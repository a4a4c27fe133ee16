// UTF-8 and hex helpers of the core against Node's own encoders (QuickJS has no TextEncoder).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, fromUtf8, toHex, utf8, crc32 } from '../../src/core/util/bytes';

describe('bytes', () => {
  it('utf8 and fromUtf8 agree with Node on any string, lone surrogates included', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
      const mine = utf8(s);
      expect(Buffer.from(mine).equals(Buffer.from(s, 'utf8'))).toBe(true);
      expect(fromUtf8(mine)).toBe(Buffer.from(s, 'utf8').toString('utf8'));
    }), { numRuns: 3000 });
    expect(fromUtf8(utf8('服务点条件码不符 😀'))).toBe('服务点条件码不符 😀');
  });
  it('hex round-trips and refuses odd or non-hex input', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (b) => { expect(fromHex(toHex(b))).toEqual(b); }), { numRuns: 1000 });
    expect(fromHex('abc')).toBeNull();
    expect(fromHex('zz')).toBeNull();
  });
  it('crc32 is the IEEE 802.3 check value', () => {
    expect(crc32(utf8('123456789'))).toBe(0xcbf43926);
  });
});
