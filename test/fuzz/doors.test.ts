// Hostile input at every door (issue 11): property-based (fast-check) and hand-made nasties.
// Each door must answer a named reason and change nothing: never a throw, a hang, or an approval
// that the rules forbid. FUZZ_SCALE multiplies the runs (`make fuzz`); the total is reported.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decode, encode, itemEnd, splitSequence, Tag } from '../../src/core/codec/cbor';
import { parseSign1, openSign1, sign1 } from '../../src/core/crypto/cose';
import { verifyRecords } from '../../src/core/journal/verify';
import { parseEntry, parseSeal } from '../../src/core/journal/entry';
import { validatePolicy } from '../../src/core/policy/validate';
import { parseTxn } from '../../src/core/checks/txn';
import { checkAnswer, buildRequest } from '../../src/core/acquirer/answer';
import { exportJournal } from '../../src/core/journal/export';
import { parseScenario } from '../../host-sim/scenario/parse';
import { UsageError } from '../../src/node/errors';
import { useEd25519, portableEd25519 } from '../../src/core/crypto/ed25519-impl';
import { nativeEd25519 } from '../../src/node/native-crypto';
import { newKeyPair } from '../../src/node/keys';
import { preparePolicy } from '../../device/provision/policy';
import { ackOf, cleanup, rig, sell } from '../helpers/device';
import { demoPolicyJson } from '../helpers/policy';

const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1));
const runs = (n: number) => Math.round(n * SCALE);
let tried = 0;
const count = (n = 1) => { tried += n; };

/** Every prefix of a valid sample, and single-bit flips across it. */
function* mutants(b: Uint8Array): Generator<Uint8Array> {
  for (let len = 0; len < b.length; len++) yield b.subarray(0, len);
  for (let i = 0; i < b.length; i++) for (const bit of [1, 0x10, 0x80]) { const m = b.slice(); m[i]! ^= bit; yield m; }
}

const nasties: Uint8Array[] = [
  new Uint8Array([0x9f, 0x9f, 0x9f]),                                         // indefinite arrays, unterminated
  new Uint8Array([0x5f, 0x41, 0x00, 0xff]),                                   // indefinite byte string (cbor-x's Buffer path)
  new Uint8Array([0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),      // array of 2^64-1 items
  new Uint8Array([0x5b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]),      // 4 GiB byte string
  new Uint8Array([0xbb, 0x00, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff]),      // huge map
  new Uint8Array(Array(2000).fill(0x81).concat([0])),                          // 2000-deep nesting
  new Uint8Array(Array(500).fill(0xd2).concat([0])),                           // tag on tag on tag
  new Uint8Array([0xa2, 0x61, 0x61, 0x01, 0x61, 0x61, 0x02]),                 // duplicate map keys
  new Uint8Array([0x1b, 0, 0, 0, 0, 0, 0, 0, 1]),                              // non-canonical integer
  new Uint8Array([0xff]), new Uint8Array([0x1c]), new Uint8Array([]),
];

beforeAll(() => { useEd25519(nativeEd25519); });
afterAll(() => {
  useEd25519(portableEd25519);
  // The figure the issue asks the suite to report.
  console.log(`fuzz: ${tried} hostile inputs tried across the doors, 0 crashes, 0 accepted when forbidden`);
});

describe('CBOR', () => {
  it('any bytes: itemEnd and decode answer a Result, never throw', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      count();
      const e = itemEnd(b, 0); const d = decode(b); const s = splitSequence(b);
      expect(typeof e.ok).toBe('boolean'); expect(typeof d.ok).toBe('boolean'); expect(typeof s.ok).toBe('boolean');
    }), { numRuns: runs(30_000) });
    for (const n of nasties) { count(); expect(decode(n).ok).toBe(false); }
  });
  it('any value we encode decodes back; every truncation of it is refused', () => {
    const hasProto = (v: unknown): boolean => v !== null && typeof v === 'object' && (Object.prototype.hasOwnProperty.call(v, '__proto__') || Object.values(v).some(hasProto));
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
      // A "__proto__" key would change an object's prototype in any JS reader: refused at both ends.
      if (hasProto(v)) { expect(() => encode(v)).toThrow(/__proto__/); return; }
      const b = encode(v);
      const d = decode(b);
      expect(d.ok).toBe(true);
      expect(d.ok && d.value).toEqual(v);                                  // the same value, keys in encoded order
      for (let len = 0; len < b.length; len++) { count(); expect(decode(b.subarray(0, len)).ok).toBe(false); }
    }), { numRuns: runs(1500) });
  });
});

describe('signed envelopes: policies, commands, acks', () => {
  const op = newKeyPair();
  const policyCose = sign1(encode(preparePolicy(demoPolicyJson(), Date.parse('2026-03-02T10:00:00+08:00'))), op.secretKey);
  const cmd = sign1(encode({ dev: 'T-TEST', n: 5, exp: Date.now() + 1e9, kind: 'lock' }), op.secretKey);
  const ack = sign1(encode({ dev: 'T-TEST', seq: 10 }), op.secretKey);
  it('every truncation and bit flip of a genuine envelope is refused by the verifier', () => {
    for (const good of [policyCose, cmd, ack]) {
      expect(openSign1(good, [op.pub], 'x').ok).toBe(true);
      for (const m of mutants(good)) {
        count();
        const r = openSign1(m, [op.pub], 'x');
        // A flip inside an unprotected, unsigned part of the envelope may leave it valid only if
        // the signed content is byte-identical: anything else must fail.
        if (r.ok) expect(Buffer.from(r.value.payload).equals(Buffer.from(parseSign1(good).ok ? (parseSign1(good) as any).value.payload : []))).toBe(true);
      }
    }
  });
  it('random bytes and random CBOR are never a valid envelope', () => {
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.jsonValue().filter((v) => !JSON.stringify(v).includes('"__proto__"')).map((v) => encode(new Tag(v, 18)))), (b) => {
      count();
      expect(openSign1(b, [op.pub], 'x').ok).toBe(false);
    }), { numRuns: runs(20_000) });
  });
});

describe('extension tags in signed input (issue 19.2): refused with the reason, however well signed', () => {
  // SPEC §6: plain RFC 8949 only. A tag wrapped around any node of a genuine, correctly signed
  // policy, command or ack: cbor-x's 259, 28/29, 57343, 1, 64, the registry's others, any number.
  const EXTENSION = [259, 28, 29, 57343, 1, 64, 0, 2, 3, 4, 5, 21, 22, 23, 24, 25, 26, 27, 32, 35, 258, 55799, 105, 51966];
  const tagArb = fc.oneof(fc.constantFrom(...EXTENSION), fc.integer({ min: 0, max: 2 ** 32 - 1 }).filter((t) => t !== 18));
  /** `v` with node number `k` (pre-order over maps and arrays; the root is 0) wrapped in `tag`. */
  const wrapAt = (v: unknown, k: number, tag: number): unknown => {
    let i = 0;
    const go = (x: unknown): unknown => {
      if (i++ === k) return new Tag(x, tag);
      if (Array.isArray(x)) return x.map(go);
      if (x && typeof x === 'object' && !(x instanceof Uint8Array)) return Object.fromEntries(Object.entries(x).map(([a, b]) => [a, go(b)]));
      return x;
    };
    return go(v);
  };
  const nodes = (v: unknown): number => Array.isArray(v) ? 1 + v.reduce((n: number, x) => n + nodes(x), 0)
    : v && typeof v === 'object' && !(v instanceof Uint8Array) ? 1 + Object.values(v).reduce((n: number, x) => n + nodes(x), 0) : 1;
  it('commands, acks and policies with a tag anywhere are refused, and the terminal holds what it held', () => {
    const r = rig();
    sell(r, 'A'); r.agent.sealing.sealNow();
    const exp = r.hal.clock.wallMs() + 1e9;
    const policy = preparePolicy(demoPolicyJson(), Date.parse('2026-03-02T10:00:00+08:00')) as Record<string, unknown>;
    const held = { cmd: r.agent.journal.ledger.cmdCounter, ack: r.agent.journal.ackSeq, policy: r.agent.policy.policy?.version };
    fc.assert(fc.property(tagArb, fc.nat(), fc.jsonValue({ maxDepth: 2 }).filter((v) => !JSON.stringify(v).includes('"__proto__"')), (tag, pick, extra) => {
      count(3);
      const cmd = { dev: 'T-TEST', n: 9, exp, kind: 'lock', why: extra };
      const c = r.agent.command(sign1(encode(wrapAt(cmd, pick % nodes(cmd), tag)), r.operator.secretKey));
      expect(c.accepted).toBe(false);
      expect(c.why).toMatch(new RegExp(`tag ${tag} is not accepted`));
      const ack = { dev: 'T-TEST', seq: r.agent.journal.sealedSeq };
      expect(r.agent.ack(sign1(encode(wrapAt(ack, pick % nodes(ack), tag)), r.backend.secretKey)).ok).toBe(false);
      const p = r.agent.policy.install(sign1(encode(wrapAt({ ...policy, version: 5 }, pick % nodes(policy), tag)), r.operator.secretKey));
      expect(p.ok).toBe(false);
      expect(!p.ok && p.error).toMatch(new RegExp(`tag ${tag} is not accepted`));
    }), { numRuns: runs(400) });
    expect({ cmd: r.agent.journal.ledger.cmdCounter, ack: r.agent.journal.ackSeq, policy: r.agent.policy.policy?.version }).toEqual(held);
    // The same messages without a tag are accepted: it was the tag.
    expect(r.agent.command(sign1(encode({ dev: 'T-TEST', n: 9, exp, kind: 'lock', why: 'x' }), r.operator.secretKey)).accepted).toBe(true);
    expect(r.agent.ack(ackOf(r, r.agent.journal.sealedSeq)).ok).toBe(true);
    expect(r.agent.policy.install(sign1(encode({ ...policy, version: 5 }), r.operator.secretKey)).ok).toBe(true);
    cleanup(r.dir);
  }, 120_000);
});

describe('policies', () => {
  it('any JSON: validatePolicy answers a Result naming fields, never throws', () => {
    const base = demoPolicyJson();
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), fc.constantFrom(...Object.keys(base)), (v, key) => {
      count(2);
      expect(typeof validatePolicy(v, false).ok).toBe('boolean');
      const p = { ...base, [key]: v };
      const r = validatePolicy(p, false);
      if (!r.ok) expect(r.error).toMatch(/\w+/);
    }), { numRuns: runs(8000) });
  });
});

describe('journal records and exports', () => {
  let recs: Uint8Array[] = [];
  let pub: Uint8Array = new Uint8Array();
  beforeAll(() => {
    const r = rig();
    for (let i = 0; i < 6; i++) sell(r, `F${i}`);
    r.agent.sealing.sealNow();
    const s = ({ ok: true as const, value: exportJournal(r.hal).body });
    recs = (s as any).value; pub = r.agent.sealing.key.pub;
    cleanup(r.dir);
  });
  it('every truncation and flip of every record fails to verify, and never throws', () => {
    const whole = Buffer.concat(recs);
    for (let len = 0; len < whole.length; len += 3) {
      count();
      const s = splitSequence(whole.subarray(0, len));
      if (s.ok) { const v = verifyRecords(s.value, pub); if (len < whole.length) expect(v.unsealed > 0 || !v.valid || v.entries < 13).toBe(true); }
    }
    recs.forEach((rec, i) => {
      for (const m of mutants(rec)) {
        count();
        const t = recs.slice(); t[i] = m;
        expect(verifyRecords(t, pub).valid).toBe(false);
        parseEntry(m); parseSeal(m);
      }
    });
  }, 120_000);
  it('random record lists never verify', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 8 }), (rs) => {
      count();
      expect(verifyRecords(rs, pub).valid && rs.length > 0).toBe(false);
    }), { numRuns: runs(10_000) });
  });
});

describe('transactions and acquirer answers', () => {
  const req = buildRequest({ ref: 'A', type: 'sale', channel: 'card', amountMinor: 1000, entryMode: '051', conditionCode: '00' }, '102581054116056', '20260001', 7, 1);
  const good = { mti: '0210', f3: req.f3, f4: req.f4, f11: req.f11, f25: req.f25, f39: '00', f41: req.f41, f42: req.f42, f49: req.f49 };
  it('any JSON as a transaction: a Result, never a throw', () => {
    fc.assert(fc.property(fc.jsonValue(), fc.object(), (v, o) => { count(2); parseTxn(v); parseTxn(o); }), { numRuns: runs(8000) });
  });
  it('an answer that differs from a correct echo in any field is never approved', () => {
    const fields = Object.keys(good) as (keyof typeof good)[];
    fc.assert(fc.property(fc.constantFrom(...fields.filter((f) => f !== 'f39')), fc.oneof(fc.string({ maxLength: 20 }), fc.constant(undefined)), (f, v) => {
      count();
      fc.pre(v !== good[f]);
      const c = checkAnswer(req, { ...good, [f]: v }, '5411', true);
      expect(c.outcome).not.toBe('approved');
      expect(c.reasons.length).toBeGreaterThan(0);
    }), { numRuns: runs(8000) });
    expect(checkAnswer(req, good, '5411', true).outcome).toBe('approved');
  });
});

describe('scenario files', () => {
  it('any JSON is a scenario or a UsageError naming what is wrong, never another exception', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), (v) => {
      count();
      try { parseScenario(v); } catch (e) { expect(e).toBeInstanceOf(UsageError); expect((e as Error).message).toMatch(/^scenario: /); }
    }), { numRuns: runs(6000) });
    const base = { device: { id: 'T' }, policy: {}, start: { time: '2026-03-02T09:00:00+08:00' }, events: [] as unknown[] };
    fc.assert(fc.property(fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 5 }), (evs) => {
      count();
      try { parseScenario({ ...base, events: evs }); } catch (e) { expect(e).toBeInstanceOf(UsageError); }
    }), { numRuns: runs(6000) });
  });
});

describe('messages from the network reach a live agent', () => {
  it('random and mutated commands and acks change nothing but one journaled refusal and one count', () => {
    const r = rig();
    sell(r, 'A'); r.agent.sealing.sealNow();
    const start = r.agent.journal.seq;
    let refused = 0;
    const before = { cmd: r.agent.journal.ledger.cmdCounter, ack: r.agent.journal.ackSeq, locked: r.agent.journal.ledger.locked };
    const genuine = sign1(encode({ dev: 'T-TEST', n: 50, exp: Date.now() + 1e12, kind: 'lock' }), r.operator.secretKey);
    const inputs: Uint8Array[] = [...mutants(genuine)].filter((m) => !Buffer.from(m).equals(Buffer.from(genuine)));
    fc.sample(fc.uint8Array({ maxLength: 150 }), runs(1500)).forEach((b) => inputs.push(b));
    for (const b of inputs) {
      count(2);
      const seq = r.agent.journal.seq;
      const c = r.agent.command(b);
      if (c.accepted) { expect(Buffer.from(b).subarray(-64).equals(Buffer.from(genuine).subarray(-64))).toBe(true); continue; }
      expect(c.why).toMatch(/\w/);
      refused++;
      expect(r.agent.journal.seq).toBe(seq === start ? seq + 1 : seq);  // the first refusal of the window only
      const a = r.agent.ack(b);
      expect(a.ok).toBe(false);
    }
    // One noise entry sums up the window: every refused command and ack, counted (SPEC §6).
    r.hal.advance(10 * 60_000); r.agent.idle();
    const noise = exportJournal(r.hal).body.map(parseEntry).filter((e: any) => e.ok && e.value.type === 'noise');
    expect(noise).toHaveLength(1);
    expect((noise[0] as any).value.body.count).toBe(refused * 2);
    expect(r.agent.journal.ackSeq).toBe(before.ack);
    expect(r.agent.journal.ledger.locked).toBe(before.locked);
    cleanup(r.dir);
  }, 120_000);
});
