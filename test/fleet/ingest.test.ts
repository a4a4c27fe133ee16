// The consumer's verdict on each journal batch (SPEC §6, §7), without a broker: stored once when
// it verifies and continues the chain; forged, replayed, spliced, gapped, forked, tampered, unsealed
// and unknown-device batches become alert rows and are never stored; acks cover only what is stored.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode, encode } from '../../src/core/codec/cbor';
import { encodeEntry, parseEntry } from '../../src/core/journal/entry';
import { HEADER, KIND_ENTRY, scanFrames } from '../../src/core/journal/frame';
import { rec } from '../../src/core/journal/records';
import { exportJournal } from '../../src/core/journal/export';
import { PUB_FILE } from '../../src/core/crypto/device-key';
import { toHex } from '../../src/core/util/bytes';
import { verifyExport } from '../../src/core/journal/verify-export';
import { fleetExport } from '../../src/fleet/export';
import { newChain, verifyRecords } from '../../src/core/journal/verify';
import { sign1 } from '../../src/core/crypto/cose';
import { healthBody, previewBody } from '../../src/core/telemetry/wire';
import { Consumer } from '../../src/fleet/consumer';
import { ackPayload } from '../../src/fleet/acks';
import { classify } from '../../src/fleet/batch';
import { Registry } from '../../src/fleet/registry';
import { SqliteStore } from '../../src/fleet/store-sqlite';
import { GenTerminal } from '../../src/fleet/journal-gen';
import { useNativeCrypto } from '../../src/fleet/native';
import { makeFleet, type Fleet, type SimTerminal } from './helpers/terminals';

useNativeCrypto();
const T = (t: SimTerminal | GenTerminal, kind = 'journal') => `preflight/v1/demo/${t.dev}/${kind}`;
/** The stored records a `journal` payload carries. */
const recsOf = (payload: Uint8Array): Uint8Array[] => { const d = decode(payload); if (!d.ok) throw new Error(d.error); return d.value as Uint8Array[]; };

let dir: string, fleet: Fleet, store: SqliteStore, consumer: Consumer, acks: { topic: string; payload: Uint8Array }[];
let A: SimTerminal, B: SimTerminal;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-ingest-'));
  fleet = makeFleet(dir, 2, { decisions: 48 });   // 3 sealed batches of 16 each
  [A, B] = fleet.terminals as [SimTerminal, SimTerminal];
  const s = SqliteStore.open(join(dir, 'fleet.sqlite'));
  if (!s.ok) throw new Error(s.error);
  store = s.value;
  acks = [];
  consumer = new Consumer({ store, registry: new Registry(fleet.registry), backendKey: fleet.backend, ackDelayMs: 1,
    publishAck: async (topic, payload) => { acks.push({ topic, payload }); } });
});
afterEach(async () => { await consumer.close(); await store.close(); rmSync(dir, { recursive: true, force: true }); });

const rows = (sql: string, ...a: unknown[]) => store.db.prepare(sql).all(...a) as any[];
const count = (dev: string) => (store.db.prepare('SELECT count(*) n FROM entries WHERE dev = ?').get(dev) as { n: number }).n;
const alerts = (kind?: string) => rows(`SELECT * FROM alerts ${kind ? 'WHERE kind = ?' : ''} ORDER BY id`, ...(kind ? [kind] : []));
/** The acks the terminal would accept after a flush, as {dev, seq}. */
async function ackedSeqs(t: SimTerminal): Promise<number[]> {
  await consumer.acker.flush();
  return acks.filter((a) => a.topic === `preflight/v1/demo/${t.dev}/ack` && t.accept(a.payload)).map(() => t.acked);
}

describe('a verified batch', () => {
  it('is stored once per (dev, seq) with its seal, decisions and chain state, then acknowledged after the commit', async () => {
    const [b1, b2] = A.gen.batches();
    const h = await consumer.handle(T(A), b1!);
    expect(h).toMatchObject({ stored: 16, from: 1, to: 16, duplicates: 0, ack: 16, alerts: [] });
    await consumer.handle(T(A), b2!);
    expect(count(A.dev)).toBe(32);
    expect(rows('SELECT seq FROM seals WHERE dev = ?', A.dev).map((r) => r.seq)).toEqual([16, 32]);
    expect(rows('SELECT DISTINCT verified FROM entries')).toEqual([{ verified: 1 }]);
    expect(await store.device(A.dev)).toMatchObject({ last_seq: 32, first_seq: 1, entries: 32, batches: 2, utc_offset_min: 480 });
    expect(rows(`SELECT verdict, count(*) n FROM decisions WHERE dev = ? GROUP BY verdict ORDER BY verdict`, A.dev))
      .toEqual([{ verdict: 'allow', n: 11 }, { verdict: 'deny', n: 16 }, { verdict: 'review', n: 5 }]);
    expect(acks).toHaveLength(0); // grouped: nothing before the flush
    expect(await ackedSeqs(A)).toEqual([32]);
    expect((await store.device(A.dev))!.seq_acked).toBe(32);
    // The stored bytes still verify as a journal export (SPEC §6), seals interleaved.
    const recs = rows(`SELECT seq, bytes, 0 k FROM entries WHERE dev = ? UNION ALL SELECT seq, bytes, 1 k FROM seals WHERE dev = ? ORDER BY seq, k`, A.dev, A.dev)
      .map((r) => new Uint8Array(r.bytes));
    expect(verifyRecords(recs, A.gen.kp.pub)).toMatchObject({ valid: true, entries: 32, sealedThrough: 32 });
  });
});

describe('batches that are never stored as trusted', () => {
  it('forged: the same device id sealed by another key -> bad-signature, nothing stored, no ack', async () => {
    const forger = new GenTerminal(A.dev); // same dev, entries look right, a key the registry does not hold
    forger.decisions(16);
    const h = await consumer.handle(T(A), forger.batches()[0]!);
    expect(h).toMatchObject({ stored: 0, ack: null });
    expect(alerts('bad-signature')).toMatchObject([{ dev: A.dev, severity: 'critical', source: 'consumer' }]);
    expect(count(A.dev)).toBe(0);
    expect(await ackedSeqs(A)).toEqual([]);
    expect((await store.device(A.dev))!.rejected).toBe(1);
  });

  it('replayed: an old batch sent again is a counted duplicate, alerted as info, stored once, acked again', async () => {
    const [b1, b2] = A.gen.batches();
    await consumer.handle(T(A), b1!);
    await consumer.handle(T(A), b2!);
    const h = await consumer.handle(T(A), b1!);
    expect(h).toMatchObject({ stored: 0, duplicates: 16, ack: 32 });
    await consumer.handle(T(A), b1!);
    expect(count(A.dev)).toBe(32);
    expect(await store.device(A.dev)).toMatchObject({ duplicates: 32, replays: 2, entries: 32 });
    expect(alerts('replay')).toMatchObject([{ dev: A.dev, severity: 'info', seq: 16, count: 2, why: 'batch 1..16 is already held; dropped as a duplicate' }]);
    expect(consumer.counters).toMatchObject({ stored: 32, duplicates: 32, replays: 2 });
    expect(await ackedSeqs(A)).toEqual([32]);
  });

  it('a "re-send" over stored seqs with a flipped seal or an entry left out is named as a forgery, not a duplicate (attacker\'s run)', async () => {
    const [b1] = A.gen.batches();
    await consumer.handle(T(A), b1!);
    const recs = decode(b1!).ok ? ((decode(b1!) as { value: Uint8Array[] }).value) : [];
    const flipped = recs.map((r, i) => (i === recs.length - 1 ? r.map((x, j) => (j === r.length - 1 ? x ^ 1 : x)) : r));
    expect((await consumer.handle(T(A), encode(flipped))).alerts.map((a) => a.kind)).toContain('bad-signature');
    const gapped = [...recs.slice(0, 3), ...recs.slice(4)];
    expect((await consumer.handle(T(A), encode(gapped))).alerts.map((a) => a.kind)).toContain('invalid-batch');
    expect(count(A.dev)).toBe(16);                       // the stored copy is untouched
    expect(alerts('replay')).toEqual([]);
  });

  it('spliced: another registered device\'s batch on this topic -> wrong-device, nothing stored for either', async () => {
    const h = await consumer.handle(T(A), B.gen.batches()[0]!);
    expect(h.stored).toBe(0);
    expect(alerts('wrong-device')).toMatchObject([{ dev: A.dev, severity: 'critical' }]);
    expect(alerts('wrong-device')[0].why).toMatch(/belongs to device T-0002, the journal is T-0001/);
    await consumer.handle(T(A), B.gen.batches()[0]!);
    expect(alerts('wrong-device')).toMatchObject([{ seq: 1, count: 2 }]); // an open alert is counted again, not repeated
    // Entries of A with one of B's entries spliced in the middle: entries do not repeat the device
    // (format 2), so the foreign entry breaks A's chain like any altered one.
    const a = recsOf(A.gen.batches()[0]!);
    const b = recsOf(B.gen.batches()[0]!);
    await consumer.handle(T(A), encode([...a.slice(0, 5), b[5]!, ...a.slice(6)]));
    expect(alerts('tampered')).toMatchObject([{ seq: 1, severity: 'critical' }]);
    expect(count(A.dev) + count(B.dev)).toBe(0);
    expect(await ackedSeqs(A)).toEqual([]);
  });

  it('gap: a batch ahead of a missing one is alerted and parked, untrusted; the missing one unblocks both', async () => {
    const [b1, b2, b3] = A.gen.batches();
    await consumer.handle(T(A), b1!);
    const h = await consumer.handle(T(A), b3!);
    expect(h).toMatchObject({ stored: 0, parked: true, ack: 16 });
    expect(alerts('gap')).toMatchObject([{ dev: A.dev, seq: 17, severity: 'warn', resolved: null }]);
    expect(count(A.dev)).toBe(16);
    expect(rows('SELECT first_seq, last_seq FROM parked')).toEqual([{ first_seq: 33, last_seq: 48 }]);
    expect(await ackedSeqs(A)).toEqual([16]);
    const h2 = await consumer.handle(T(A), b2!);
    expect(h2).toMatchObject({ stored: 32, from: 17, to: 48, ack: 48 });
    expect(count(A.dev)).toBe(48);
    expect(rows('SELECT * FROM parked')).toEqual([]);
    expect(alerts('gap')[0].resolved).not.toBeNull();
    expect(await ackedSeqs(A)).toContain(48);
  });

  it('gap on first contact: a history that does not start at seq 1 is not taken as given', async () => {
    const h = await consumer.handle(T(A), A.gen.batches()[1]!);
    expect(h).toMatchObject({ stored: 0, parked: true, ack: null });
    expect(alerts('gap')).toMatchObject([{ seq: 1 }]);
  });

  it('fork: the device key signed a different entry under a held seq -> fork, nothing replaced', async () => {
    const [b1, b2] = A.gen.batches();
    await consumer.handle(T(A), b1!);
    await consumer.handle(T(A), b2!);
    const clone = new GenTerminal(A.dev, A.gen.kp, A.gen.startMs + 1_000); // same key, another history
    clone.decisions(48);
    const cb = clone.batches();
    expect(await consumer.handle(T(A), cb[0]!)).toMatchObject({ stored: 0, ack: null });
    expect(alerts('fork')).toMatchObject([{ dev: A.dev, seq: 1, severity: 'critical' }]);
    // Its next batch does not continue our chain at seq 33 either: a fork at the join.
    expect(await consumer.handle(T(A), cb[2]!)).toMatchObject({ stored: 0, ack: null });
    expect(alerts('fork')).toMatchObject([{ seq: 1 }, { seq: 33 }]);
    expect(alerts('fork')[1].why).toMatch(/prev of seq 33 does not match/);
    expect(count(A.dev)).toBe(32);
    const held = rows('SELECT bytes FROM entries WHERE dev = ? AND seq = 1', A.dev)[0].bytes;
    expect(Buffer.compare(held, Buffer.from((recsOf(b1!))[0]!))).toBe(0);
    expect(await ackedSeqs(A)).toEqual([32]);
  });

  it('tampered: an entry changed after sealing -> tampered; an unsealed batch -> unsealed', async () => {
    const recs = recsOf(A.gen.batches()[0]!);
    const e = parseEntry(recs[3]!);
    if (!e.ok) throw new Error(e.error);
    const forged = encodeEntry({ ...e.value, body: { ...e.value.body, verdict: 'allow', reasons: [] } });
    await consumer.handle(T(A), encode([...recs.slice(0, 3), forged, ...recs.slice(4)]));
    expect(alerts('tampered')).toMatchObject([{ severity: 'critical' }]);
    await consumer.handle(T(A), encode(recs.slice(0, -1)));
    expect(alerts('unsealed')).toMatchObject([{ severity: 'warn' }]);
    await consumer.handle(T(A), new Uint8Array([0xa1, 0x01]));
    expect(alerts('malformed')).toHaveLength(1);
    expect(count(A.dev)).toBe(0);
  });

  it('unknown device: alerted once and counted, never stored, never acknowledged', async () => {
    const stranger = new GenTerminal('T-9999');
    stranger.decisions(16);
    await consumer.handle(T(stranger), stranger.batches()[0]!);
    await consumer.handle(T(stranger), stranger.batches()[0]!);
    await consumer.handle(T(stranger, 'status'), encode({ online: true, dev: 'T-9999' }));
    expect(alerts('unknown-device')).toMatchObject([{ dev: 'T-9999', count: 3, severity: 'warn' }]);
    expect(rows('SELECT * FROM devices WHERE dev = ?', 'T-9999')).toEqual([]);
    expect(rows('SELECT * FROM entries WHERE dev = ?', 'T-9999')).toEqual([]);
    await consumer.acker.flush();
    expect(acks).toEqual([]);
    // Names that could walk out of the registry folder are refused without touching the disk.
    await consumer.handle('preflight/v1/demo/..%2Fkeys/journal', stranger.batches()[0]!);
    expect(alerts('unknown-device')).toHaveLength(2);
  });

  it('the registry picks up a terminal provisioned or re-keyed while the consumer runs', async () => {
    let now = 0;
    const reg = new Registry(fleet.registry, () => now);
    expect(reg.lookup('T-0042')).toMatchObject({ ok: false, error: 'device T-0042 is not in the registry' });
    writeFileSync(join(fleet.registry, 'T-0042.pub'), 'ab'.repeat(32) + '\n');
    expect(reg.lookup('T-0042').ok).toBe(false);               // a miss is remembered for 5 s
    now += 5_000;
    expect(reg.lookup('T-0042')).toMatchObject({ ok: true });
    writeFileSync(join(fleet.registry, 'T-0042.pub'), 'cd'.repeat(32) + '\n');
    now += 60_000;
    const r = reg.lookup('T-0042');
    expect(r.ok && r.value[0]).toBe(0xcd);
    writeFileSync(join(fleet.registry, 'T-0042.pub'), 'not hex');
    now += 60_000;
    expect(reg.lookup('T-0042')).toMatchObject({ ok: false, error: 'registry file T-0042.pub does not hold 64 lowercase hex chars' });
  });

  it('sorts verifier failures into alert kinds by their code', async () => {
    const [b1] = A.gen.batches();
    const recs = recsOf(b1!);
    const reason = (r: Uint8Array[]) => verifyRecords(r, A.gen.kp.pub, { ...newChain(), dev: A.dev }).firstBad!.code;
    expect(classify(reason(recs.slice().reverse())).kind).toBe('invalid-batch');
    expect(classify(reason([...recs.slice(0, 2), ...recs.slice(3)])).kind).toBe('invalid-batch');
    expect(classify(reason(recs.map((r, i) => (i === recs.length - 1 ? r.map((x, j) => (j === r.length - 1 ? x ^ 1 : x)) : r)))).kind).toBe('bad-signature');
  });
});

describe('damage on the terminal\'s flash (SPEC §6: a damaged record costs that record and nothing else)', () => {
  it('a range the terminal\'s own sealed flash-damage entry declares lost is not waited for: what follows is stored and acknowledged (attacker\'s run)', async () => {
    const g = A.gen;
    const seg = [...g.hal.files.keys()].find((n) => n.startsWith('j/'))!;
    const f = g.hal.files.get(seg)!;
    const r20 = scanFrames(f).records.find((r) => r.kind === KIND_ENTRY && parseEntry(r.payload).ok && (parseEntry(r.payload) as any).value.seq === 20)!;
    f[r20.offset + HEADER + 4] ^= 0x40;                       // bit rot inside entry 20
    const uploaded = g.batches();                              // 1..16, then from 21 (17..19 can no longer chain to a seal)
    expect(g.journal.foundDamage).toEqual([{ lost: [[20, 20]], unverifiable: [[17, 19]], cause: expect.stringMatching(/checksum/) }]);
    const d = g.journal.foundDamage.splice(0)[0]!;
    g.journal.append(rec.flashDamage({ lost: d.lost, cause: d.cause, unverifiable: d.unverifiable }), g.startMs + 3_600_000);
    g.journal.seal(g.signer, g.startMs + 3_600_000);
    for (const p of [...uploaded, ...g.batches(49)]) await consumer.handle(T(A), p);
    expect(count(A.dev)).toBe(49 - 4);
    expect(alerts('lost')).toMatchObject([{ dev: A.dev, severity: 'info', seq: 17, why: expect.stringMatching(/17\.\.20 lost on the terminal's flash/) }]);
    expect(alerts('gap').filter((a) => !a.resolved)).toEqual([]);
    expect(await ackedSeqs(A)).toContain(49);
    expect(rows('SELECT count(*) n FROM parked')).toEqual([{ n: 0 }]);
  });

  it('an entry lost under a seal that survived: the terminal\'s own export verifies, the loss explained, and so does the fleet\'s copy (attacker\'s run)', async () => {
    const g = A.gen;
    const seg = [...g.hal.files.keys()].find((n) => n.startsWith('j/'))!;
    const f = g.hal.files.get(seg)!;
    const r16 = scanFrames(f).records.find((r) => r.kind === KIND_ENTRY && (parseEntry(r.payload) as any).value?.seq === 16)!;
    f[r16.offset + HEADER + 4] ^= 0x40;                       // entry 16 rots; the seal right after it (seq 16) is intact
    const uploaded = g.batches();
    const d = g.journal.foundDamage.splice(0)[0]!;
    expect(d).toMatchObject({ lost: [[16, 16]], unverifiable: [[1, 15]] });
    g.journal.append(rec.flashDamage({ lost: d.lost, cause: d.cause, unverifiable: d.unverifiable }), g.startMs + 3_600_000);
    g.journal.seal(g.signer, g.startMs + 3_600_000);
    for (const p of [...uploaded, ...g.batches(49)]) await consumer.handle(T(A), p);
    // The terminal keeps 1..15 (intact, though nothing can authenticate them now); the fleet never got them.
    g.hal.files.set(PUB_FILE, new TextEncoder().encode(toHex(g.kp.pub) + '\n'));   // the device key as the terminal keeps it
    expect(verifyExport(exportJournal(g.hal).bytes, g.kp.pub)).toMatchObject({ valid: true, lost: [[16, 16]], unverifiable: 15, sealedThrough: 49 });
    const theirs = await fleetExport(store, A.dev);
    if (!theirs.ok) throw new Error(theirs.error);
    expect(verifyExport(theirs.value.bytes, g.kp.pub)).toMatchObject({ valid: true, firstSeq: 17, sealedThrough: 49 });
    expect(await ackedSeqs(A)).toContain(49);
  });
});

describe('acknowledgements', () => {
  it('are COSE_Sign1 by the backend key over {1: dev, 2: seq, 3: head}, byte for byte what sign1 makes (SPEC §6, §7)', async () => {
    const head = new Uint8Array(32).fill(7);
    expect(Buffer.from(ackPayload('T-0001', 48, head, fleet.backend))).toEqual(Buffer.from(sign1(encode(new Map<number, unknown>([[1, 'T-0001'], [2, 48], [3, head.subarray(0, 8)]])), fleet.backend.secretKey)));
  });

  it('after a crash between commit and ack, the next start acknowledges what is stored but unacknowledged', async () => {
    await consumer.handle(T(A), A.gen.batches()[0]!);   // committed; the process "dies" before the flush
    const again = new Consumer({ store, registry: new Registry(fleet.registry), backendKey: fleet.backend, ackDelayMs: 1,
      publishAck: async (topic, payload) => { acks.push({ topic, payload }); } });
    await again.start();
    await again.acker.flush();
    expect(acks.filter((a) => A.accept(a.payload))).toHaveLength(1);
    expect(A.acked).toBe(16);
  });
});

describe('the other topics', () => {
  it('status, health, decision and alert update the device and tables; a different key in a birth is critical', async () => {
    await consumer.handle(T(A, 'status'), encode({ online: true, dev: A.dev, pub: 'ab'.repeat(32), abi: 1, seq: 0, policyVersion: 1, t: 1 }));
    expect(alerts('key-mismatch')).toMatchObject([{ dev: A.dev, severity: 'critical' }]);
    await consumer.handle(T(A, 'health'), encode(healthBody({ heapFree: 100, storageFree: 200, unsealed: 3 })));
    expect(await store.device(A.dev)).toMatchObject({ online: 1 });
    expect(JSON.parse(rows('SELECT health FROM devices WHERE dev = ?', A.dev)[0].health)).toMatchObject({ unsealed: 3 });
    await consumer.handle(T(A, 'status'), encode({ online: false, dev: A.dev }));
    expect((await store.device(A.dev))!.online).toBe(0);
    // A decision known from the live topic first, then from its verified journal entry.
    await consumer.handle(T(A, 'decision'), encode(previewBody(2, 'R1', 'deny', [{ name: 'GEO_OUTSIDE' }], A.gen.startMs + 60_000)));
    expect(rows('SELECT verified, local_date FROM decisions WHERE dev = ? AND seq = 2', A.dev)).toEqual([{ verified: 0, local_date: '2026-03-02' }]);
    // The text-keyed preview of format 1 is not a preview: alerted as malformed, nothing stored.
    await consumer.handle(T(A, 'decision'), encode({ seq: 3, ref: 'R2', verdict: 'deny', reasons: ['GEO_OUTSIDE'], t: A.gen.startMs }));
    expect(alerts('malformed').at(-1)).toMatchObject({ why: expect.stringContaining('decision: expected [seq, ref, verdict, reasons, t]') });
    expect(rows('SELECT seq FROM decisions WHERE dev = ? AND seq = 3', A.dev)).toEqual([]);
    await consumer.handle(T(A), A.gen.batches()[0]!);
    expect(rows('SELECT verified FROM decisions WHERE dev = ? AND seq = 2', A.dev)).toEqual([{ verified: 1 }]);
    await consumer.handle(T(A, 'alert'), encode({ kind: 'JUMP_CODE_SUSPECTED', detail: { ref: 'R9', mcc: '5411' }, seq: 9, t: 1 }));
    expect(alerts('JUMP_CODE_SUSPECTED')).toMatchObject([{ source: 'device', severity: 'critical', seq: 9 }]);
  });
});

describe('where acks go (SPEC §7: the fleet and device the registry names)', () => {
  it('an unverified status on another fleet\'s topic changes nothing; acks go to the fleet of the verified journal', async () => {
    const [b1, b2] = A.gen.batches();
    // A forged birth first, on a fleet the device is not in: it must not name the device's fleet.
    await consumer.handle(`preflight/v1/evil/${A.dev}/status`, encode({ online: true }));
    expect((await store.device(A.dev))?.fleet ?? null).toBe(null);
    await consumer.handle(T(A), b1!);
    expect((await store.device(A.dev))!.fleet).toBe('demo');
    // Afterwards: the same authentic batch replayed on another fleet's topic is dropped, never acknowledged there.
    const h = await consumer.handle(`preflight/v1/evil/${A.dev}/journal`, b2!);
    expect(h).toMatchObject({ stored: 0, ack: null });
    expect(alerts('wrong-fleet')).toHaveLength(1);
    await consumer.handle(`preflight/v1/evil/${A.dev}/status`, encode({ online: false }));
    await consumer.acker.flush();
    expect(acks.map((a) => a.topic)).toEqual([`preflight/v1/demo/${A.dev}/ack`]);
    expect(await store.device(A.dev)).toMatchObject({ fleet: 'demo', last_seq: 16 });
    // Acks owed after a restart go to the stored fleet, too.
    store.db.prepare('UPDATE devices SET seq_acked = 0').run();
    acks.length = 0;
    await consumer.acker.resume();
    await consumer.acker.flush();
    expect(acks.map((a) => a.topic)).toEqual([`preflight/v1/demo/${A.dev}/ack`]);
  });

  it('a fleet named in the registry wins over the first topic the device used', async () => {
    writeFileSync(join(fleet.registry, 'fleet'), 'shops-east\n');
    const reg = new Registry(fleet.registry);
    const c = new Consumer({ store, registry: reg, backendKey: fleet.backend, ackDelayMs: 1, publishAck: async (topic, payload) => { acks.push({ topic, payload }); } });
    const [b1] = B.gen.batches();
    expect(await c.handle(T(B), b1!)).toMatchObject({ stored: 0, ack: null });   // on "demo": not the registry's fleet
    expect(await c.handle(`preflight/v1/shops-east/${B.dev}/journal`, b1!)).toMatchObject({ stored: 16, ack: 16 });
    await c.acker.flush();
    expect(acks.map((a) => a.topic)).toEqual([`preflight/v1/shops-east/${B.dev}/ack`]);
    await c.close();
  });
});
