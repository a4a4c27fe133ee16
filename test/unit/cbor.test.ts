// The codec (src/core/codec/cbor.ts) against RFC 8949: Appendix A's examples in preferred
// serialisation, core deterministic encoding (§4.2.1) byte for byte as an independent library
// (cbor2's cde options) writes it, and a strict decoder that refuses everything signed input must
// not carry (SPEC §6, issue 19): library extension tags, indefinite lengths, second spellings.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { cdeEncodeOptions, encode as cbor2Encode } from 'cbor2';
import { decode, decodeMaps, encode, Tag } from '../../src/core/codec/cbor';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const un = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

describe('RFC 8949 Appendix A, preferred serialisation', () => {
  const cases: [unknown, string][] = [
    [0, '00'], [1, '01'], [10, '0a'], [23, '17'], [24, '1818'], [25, '1819'], [100, '1864'], [1000, '1903e8'],
    [1000000, '1a000f4240'], [1000000000000, '1b000000e8d4a51000'], [Number.MAX_SAFE_INTEGER, '1b001fffffffffffff'],
    [-1, '20'], [-10, '29'], [-100, '3863'], [-1000, '3903e7'],
    [0.5, 'f93800'], [-0, 'f98000'], [1.5, 'f93e00'], [-65504.5, 'fac77fe080'], [100000.5, 'fa47c35040'], [3.4028234663852886e+38, 'fa7f7fffff'],
    [1.1, 'fb3ff199999999999a'], [1.0e+300, 'fb7e37e43c8800759c'], [5.960464477539063e-8, 'f90001'], [0.00006103515625, 'f90400'], [-4.1, 'fbc010666666666666'],
    [false, 'f4'], [true, 'f5'], [null, 'f6'],
    [new Uint8Array([1, 2, 3, 4]), '4401020304'], ['', '60'], ['a', '6161'], ['IETF', '6449455446'], ['"\\', '62225c'], ['ü', '62c3bc'], ['水', '63e6b0b4'],
    [[], '80'], [[1, 2, 3], '83010203'], [[1, [2, 3], [4, 5]], '8301820203820405'],
    [{}, 'a0'], [new Map([[1, 2], [3, 4]]), 'a201020304'], [{ a: 1, b: [2, 3] }, 'a26161016162820203'],
    [{ a: 'A', b: 'B', c: 'C', d: 'D', e: 'E' }, 'a56161614161626142616361436164614461656145'],
    [new Tag(new Uint8Array([1, 2, 3, 4]), 23), 'd74401020304'],
  ];
  for (const [v, h] of cases) it(`${h}`, () => {
    expect(hex(encode(v))).toBe(h);
    const d = decode(un(h), 'x', { maps: v instanceof Map ? 'map' : 'object', tags: [23] });
    expect(d.ok, d.ok ? '' : d.error).toBe(true);
    expect(d.ok && d.value).toEqual(v);
  });
});

describe('core deterministic encoding (RFC 8949 §4.2.1)', () => {
  it('sorts map keys by their encoded bytes: shorter first, integers before text', () => {
    expect(hex(encode({ bb: 1, a: 2, c: 3 }))).toBe(hex(encode(new Map<unknown, unknown>([['a', 2], ['c', 3], ['bb', 1]]))));
    expect(hex(encode(new Map<number | string, number>([['a', 1], [10, 2], [-1, 3], [100, 4]])))).toBe('a40a021864042003616101');
  });
  it('agrees byte for byte with cbor2\'s core deterministic encoder on random values', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }).filter((v) => !JSON.stringify(v).includes('"__proto__"')), (v) => {
      expect(hex(encode(v))).toBe(hex(cbor2Encode(v, cdeEncodeOptions)));
    }), { numRuns: 2000 });
  });
});

describe('the strict decoder refuses what signed input must not carry', () => {
  const refused: [string, string, RegExp][] = [
    ['d9010300', 'tag 259 (a cbor-x Map)', /tag 259 is not accepted/],
    ['d84000', 'tag 64 (a typed array)', /tag 64 is not accepted/],
    ['d81c00', 'tag 28 (shared reference)', /tag 28 is not accepted/],
    ['d81d00', 'tag 29 (shared reference)', /tag 29 is not accepted/],
    ['d9dfff00', 'tag 57343 (a cbor-x record)', /tag 57343 is not accepted/],
    ['c11a514b67b0', 'tag 1 (a date)', /tag 1 is not accepted/],
    ['5f42010243030405ff', 'an indefinite byte string', /indefinite-length/],
    ['9fff', 'an indefinite array', /indefinite-length/],
    ['1817', 'an integer not in its shortest form', /shortest form/],
    ['a2616101616102', 'a duplicate map key', /duplicate map key/],
    ['62c328', 'invalid UTF-8', /not valid UTF-8/],
    ['63eda080', 'a UTF-8 surrogate', /not valid UTF-8/],
    ['f7', 'undefined', /undefined is not accepted/],
    ['f97e00', 'NaN', /NaN/],
    ['1b0020000000000000', 'an integer beyond 2^53', /beyond 2\^53/],
    ['a1695f5f70726f746f5f5fa0', 'a __proto__ key', /__proto__/],
    ['0000', 'trailing bytes', /trailing bytes/],
    ['a10102', 'an integer key where text keys are expected', /map keys must be text/],
    ['f0', 'an unassigned simple value', /simple value 16/],
    ['8181818181818181818181818181818181818100', 'nesting past the limit', /nested deeper/],
  ];
  for (const [h, what, re] of refused) it(what, () => {
    const d = decode(un(h), 'input');
    expect(d.ok).toBe(false);
    expect(!d.ok && d.error).toMatch(re);
    expect(!d.ok && d.error).toMatch(/^input: /);
  });
  it('integer keys are read only where the caller asks for maps', () => {
    expect(decodeMaps(un('a10102'))).toMatchObject({ ok: true });
  });
});
