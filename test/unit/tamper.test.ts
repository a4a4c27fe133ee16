// Tampering with an export (SPEC §6, issue 4): flip any byte, drop, reorder, duplicate or splice
// records from another device: verify fails and names the first bad record.
import { beforeAll, describe, expect, it } from 'vitest';
import { exportJournal } from '../../src/core/journal/export';
import { splitSequence } from '../../src/core/codec/cbor';
import { verifyRecords } from '../../src/core/journal/verify';
import { isSealBytes } from '../../src/core/journal/entry';
import { useEd25519, portableEd25519 } from '../../src/core/crypto/ed25519-impl';
import { nativeEd25519 } from '../../src/node/native-crypto';
import { cleanup, rig, sell } from '../helpers/device';

function journalOf(prefix: string, n: number): { recs: Uint8Array[]; pub: Uint8Array } {
  const r = rig();
  for (let i = 0; i < n; i++) { sell(r, `${prefix}${i}`, 100 + i); if (i % 3 === 2) r.agent.sealing.sealNow(); }
  r.agent.sealing.sealNow();
  const s = { value: exportJournal(r.hal).body };
  cleanup(r.dir);
    return { recs: s.value, pub: r.agent.sealing.key.pub };
}

let A: { recs: Uint8Array[]; pub: Uint8Array }, B: { recs: Uint8Array[]; pub: Uint8Array };
beforeAll(() => { A = journalOf('A', 9); B = journalOf('B', 4); useEd25519(nativeEd25519); return () => useEd25519(portableEd25519); });

const check = (recs: Uint8Array[], pub = A.pub) => verifyRecords(recs, pub);

describe('tampered exports are rejected at the right record', () => {
  it('the untouched export verifies and ends sealed', () => {
    expect(check(A.recs)).toMatchObject({ valid: true, unsealed: 0 });
    expect(isSealBytes(A.recs.at(-1)!)).toBe(true);
  });

  it('a flipped bit anywhere in any record is caught at that record', () => {
    let tried = 0;
    A.recs.forEach((rec, i) => {
      for (let pos = 0; pos < rec.length; pos += Math.max(1, Math.floor(rec.length / 40))) {
        for (const bit of [0x01, 0x80]) {
          const t = A.recs.map((x) => x);
          const m = rec.slice(); m[pos]! ^= bit; t[i] = m;
          const v = check(t);
          expect(v.valid, `record ${i} byte ${pos}`).toBe(false);
          expect(v.firstBad!.index, `record ${i} byte ${pos}: ${v.firstBad!.reason}`).toBe(i);
          tried++;
        }
      }
    });
    expect(tried).toBeGreaterThan(1000);
  });

  it('a dropped entry is named where the gap shows', () => {
    for (let i = 1; i < A.recs.length - 1; i++) {
      if (isSealBytes(A.recs[i]!)) continue;
      const t = A.recs.filter((_, k) => k !== i);
      const v = check(t);
      expect(v.valid, `drop ${i}`).toBe(false);
      expect(v.firstBad!.index, `drop ${i}: ${v.firstBad!.reason}`).toBe(i);
    }
  });

  it('a dropped intermediate seal loses nothing: the next seal still covers every entry', () => {
    const i = A.recs.findIndex(isSealBytes);
    const v = check(A.recs.filter((_, k) => k !== i));
    expect(v).toMatchObject({ valid: true, entries: check(A.recs).entries, unsealed: 0 });
  });

  it('two records swapped are caught at the first of them (a moved seal where it now stands)', () => {
    for (let i = 1; i < A.recs.length - 1; i++) {
      const t = A.recs.slice(); [t[i], t[i + 1]] = [t[i + 1]!, t[i]!];
      const v = check(t);
      expect(v.valid, `swap ${i}`).toBe(false);
      const expected = isSealBytes(t[i]!) ? i : isSealBytes(t[i + 1]!) ? i + 1 : i;
      expect(v.firstBad!.index, `swap ${i}: ${v.firstBad!.reason}`).toBe(expected);
    }
  });

  it('a duplicated record is caught at the copy', () => {
    for (let i = 0; i < A.recs.length; i++) {
      const t = [...A.recs.slice(0, i + 1), A.recs[i]!, ...A.recs.slice(i + 1)];
      const v = check(t);
      expect(v.valid, `dup ${i}`).toBe(false);
      expect(v.firstBad!.index, `dup ${i}: ${v.firstBad!.reason}`).toBe(i + 1);
    }
  });

  it('a record spliced in from another device is caught where it stands', () => {
    for (let i = 1; i < A.recs.length; i++) for (const foreign of [B.recs[1]!, B.recs.find(isSealBytes)!]) {
      const t = [...A.recs.slice(0, i), foreign, ...A.recs.slice(i)];
      const v = check(t);
      expect(v.valid, `splice at ${i}`).toBe(false);
      expect(v.firstBad!.index, `splice at ${i}: ${v.firstBad!.reason}`).toBe(i);
    }
  });

  it('the wrong device key fails at the first seal', () => {
    const v = check(A.recs, B.pub);
    expect(v.valid).toBe(false);
    expect(v.firstBad!.index).toBe(A.recs.findIndex(isSealBytes));
  });
});
