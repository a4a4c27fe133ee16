// The journal survives its flash (issue 15, SPEC §6 "Damage and lost state"): each finding of the
// issue as it was reproduced, on the agent core over a file-backed flash. A damaged record costs
// that record only; lost state is rebuilt from what survives or refused (STATE_LOST), never reset.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from '../../src/core/codec/cbor';
import { sign1 } from '../../src/core/crypto/cose';
import { verifyRecords } from '../../src/core/journal/verify';
import { exportJournal } from '../../src/core/journal/export';
import { parseEntry } from '../../src/core/journal/entry';
import { verifyExport } from '../../src/core/journal/verify-export';
import { signPolicy } from '../../device/provision/policy';
import { Agent } from '../../src/core/agent/agent';
import { NodeHal } from '../../host-sim/hal/node-hal';
import { ackOf, cleanup, reboot, rig, sell, type Rig } from '../helpers/device';
import { demoPolicyJson } from '../helpers/policy';

const roomy = (p: any) => { p.resources.batchMaxTxns = 10_000; p.limits.card.dailyCount = 10_000; p.limits.velocity = { count: 10_000, windowS: 60 }; };
const segs = (r: Rig) => readdirSync(join(r.dir, 'j')).sort();
const entries = (r: Rig) => exportJournal(r.hal).body.map(parseEntry).filter((e) => e.ok).map((e) => (e as any).value);
const types = (r: Rig, t: string) => entries(r).filter((e) => e.type === t);
const ack = (r: Rig, seq: number) => r.agent.ack(ackOf(r, seq));
const command = (r: Rig, body: Record<string, unknown>) => sign1(encode({ dev: 'T-TEST', exp: r.hal.clock.wallMs() + 3_600_000, ...body }), r.operator.secretKey);
const many = (r: Rig, n: number, from = 0) => { for (let i = 0; i < n; i++) { sell(r, `S${from + i}`, 10); r.hal.advance(2000); r.agent.idle(); } };
const settleAll = (r: Rig) => { const b = r.agent.settlement.begin(); if (!b.ok) throw new Error(b.error); r.agent.settlement.compare(b.value.local); r.agent.settlement.close(); };
const verify = (r: Rig) => verifyExport(exportJournal(r.hal).bytes, r.agent.sealing.key.pub);

/** Flips one bit in the payload of the frame that holds entry `seq`. */
function rot(r: Rig, seq: number): string {
  for (const n of segs(r)) {
    const p = join(r.dir, 'j', n);
    const b = readFileSync(p);
    let off = 0;
    while (off + 10 <= b.length) {
      const len = b.readUInt32BE(off + 2);
      const payload = new Uint8Array(b.subarray(off + 10, off + 10 + len));
      const e = b[off + 1] === 0x45 ? parseEntry(payload) : null;
      if (e && e.ok && e.value.seq === seq) { b[off + 10 + (len >> 1)] ^= 0x10; writeFileSync(p, b); return n; }
      off += 10 + len;
    }
  }
  throw new Error(`entry ${seq} not found`);
}

describe('1. a flipped byte in an old segment costs that record only', () => {
  it('boot keeps every intact record after it, journals the lost seq with its cause, and uploads go on', () => {
    let r = rig({ edit: roomy });
    many(r, 300);
    r.agent.sealing.sealNow();
    const before = r.agent.journal.seq;
    // Both checkpoints gone too, so the boot replays the rotten segment (the worst case of the finding).
    rmSync(join(r.dir, 'cp'), { recursive: true, force: true });
    const seg = rot(r, 40);
    r = reboot(r, 'restart');
    expect(r.agent.journal.seq).toBe(before + 2);                     // nothing cut: the boot and its flash-damage entry
    const dmg = types(r, 'flash-damage');
    expect(dmg).toHaveLength(1);
    expect(dmg[0].body.lost).toEqual([[40, 40]]);
    expect(dmg[0].body.cause).toMatch(new RegExp(`${seg}: checksum mismatch`));
    r.agent.sealing.sealNow();
    // Uploads continue: batches from before the damage to the end exist, cut by seq.
    const j = r.agent.journal;
    let from = 1, n = 0;
    for (let b = j.batchFrom(from); b; b = j.batchFrom(from)) { from = b.lastSeq + 1; n++; }
    expect(from - 1).toBe(j.sealedSeq);
    expect(n).toBeGreaterThan(2);
    // Several batches to a message (the upload window): each message verifies on its own, so none spans the lost seq.
    let m = 0;
    for (let b = j.batchFrom(1, 8192), at = 1; b; at = b.lastSeq + 1, b = j.batchFrom(at, 8192), m++) {
      const mv = verifyRecords(b.records, r.agent.sealing.key.pub);
      expect(mv.valid, `message from ${at}: ${mv.firstBad?.reason}`).toBe(true);
      expect(mv.unsealed).toBe(0);
    }
    expect(m).toBeGreaterThan(1);
    expect(m).toBeLessThan(n);
    const v = verify(r);
    expect(v.valid, v.firstBad?.reason).toBe(true);
    expect(v.lost).toEqual([[40, 40]]);
    // A second boot does not report it again.
    r = reboot(r, 'restart');
    expect(types(r, 'flash-damage')).toHaveLength(1);
    cleanup(r.dir);
  });
});

describe('2. a lost checkpoint after compaction never starts a second chain', () => {
  for (const how of ['deleted', 'bit-flipped'] as const) {
    it(`with both checkpoint copies ${how}, the journal goes on where it stood and the floors hold`, () => {
      let r = rig({ edit: roomy });
      many(r, 150);
      expect(r.agent.command(command(r, { n: 7, kind: 'lock', why: 'audit' })).accepted).toBe(true);
      const lockBytes = command(r, { n: 8, kind: 'unlock' });
      expect(r.agent.command(lockBytes).accepted).toBe(true);
      settleAll(r);
      ack(r, r.agent.journal.sealedSeq);
      expect(segs(r).length).toBe(1);                                  // compacted: the journal no longer starts at seq 1
      many(r, 20, 1000);
      r.agent.sealing.sealNow();
      const seq = r.agent.journal.seq, batch = r.agent.journal.ledger.batch.no, hw = r.agent.journal.ledger.highWaterMs;
      for (const c of ['cp/0', 'cp/1']) {
        const p = join(r.dir, c);
        if (!existsSync(p)) continue;
        if (how === 'deleted') rmSync(p); else { const b = readFileSync(p); b[b.length >> 1] ^= 1; writeFileSync(p, b); }
      }
      r = reboot(r, 'restart');
      expect(r.agent.journal.seq).toBe(seq + 1);                       // the boot entry, after the last one: one chain
      expect(r.agent.journal.ledger.cmdCounter).toBe(8);
      expect(r.agent.journal.ledger.batch.no).toBe(batch);
      expect(r.agent.journal.ledger.highWaterMs).toBeGreaterThanOrEqual(hw);
      expect(r.agent.command(lockBytes).accepted).toBe(false);          // a replayed genuine command stays refused
      expect(sell(r, 'AFTER')).toBe('approved');
      cleanup(r.dir);
    });
  }
});

describe('3. junk on the command topic never fills the flash', () => {
  it('25,000 unsigned messages: one refusal entry and one count, the flash untouched, sales go on', () => {
    const r = rig();
    sell(r, 'A');
    const seq = r.agent.journal.seq, free = r.hal.storage.freeBytes();
    for (let i = 0; i < 25_000; i++) {
      const junk = new Uint8Array(40 + (i % 60)).map((_, k) => (i * 31 + k * 7) & 255);
      r.agent.onEvent({ t: 'net.msg', topic: 'preflight/v1/test/T-TEST/cmd', payload: junk });
    }
    expect(r.agent.journal.seq).toBe(seq + 1);
    expect(free - r.hal.storage.freeBytes()).toBeLessThan(2048);
    r.hal.advance(11 * 60_000); r.agent.idle();
    const noise = types(r, 'noise');
    expect(noise.map((e) => e.body.count)).toEqual([25_000]);
    expect(sell(r, 'B')).toBe('approved');
    cleanup(r.dir);
  });

  it('below twice the storage reserve, noise is not journaled at all, and STORAGE_LOW is said once', () => {
    const r = rig();
    r.hal.storageFreeOverride = 15_000;                                 // reserve 10,240: under twice it
    const seq = r.agent.journal.seq;
    for (let i = 0; i < 100; i++) r.agent.onEvent({ t: 'net.msg', topic: 'preflight/v1/test/T-TEST/cmd', payload: new Uint8Array([i]) });
    expect(r.agent.journal.seq).toBe(seq);
    r.hal.storageFreeOverride = 100;
    r.hal.faults.writeError = true;
    const d = r.agent.tx.preflight({ ref: 'LOW', type: 'sale', channel: 'card', amountMinor: 100, entryMode: '051', conditionCode: '00' });
    expect(d.verdict).toBe('deny');
    expect(d.reasons.filter((x) => x.name === 'STORAGE_LOW')).toHaveLength(1);
    cleanup(r.dir);
  });
});

describe('4. an older policy never replaces a newer one', () => {
  it('the provisioned version is the floor: refused by command and at boot', () => {
    let r = rig({ edit: (p) => { p.version = 5; } });
    const v1 = signPolicy({ ...demoPolicyJson(), version: 1 }, r.operator, r.hal.clock.wallMs());
    const c = r.agent.command(command(r, { n: 1, kind: 'policy', policy: v1 }));
    expect(c.accepted).toBe(false);
    expect(c.why).toMatch(/version 1 is lower than the held version 5/);
    // A genuine older policy.cose put in place of the held one: the boot refuses it and goes back
    // to its copy of the newer one, which heals the file.
    writeFileSync(join(r.dir, 'policy.cose'), v1);
    r = reboot(r, 'restart');
    expect(r.agent.policy.policy?.version).toBe(5);
    expect(Buffer.compare(readFileSync(join(r.dir, 'policy.cose')), readFileSync(join(r.dir, 'policy.copy')))).toBe(0);
    // Both put in its place: refused, and the terminal does not trade under it.
    writeFileSync(join(r.dir, 'policy.cose'), v1); writeFileSync(join(r.dir, 'policy.copy'), v1);
    r = reboot(r, 'restart');
    expect(r.agent.policy.policy).toBeNull();
    expect(r.agent.policy.problem?.name).toBe('POLICY_INVALID');
    expect(r.agent.tx.preflight({ ref: 'X', type: 'sale', channel: 'card', amountMinor: 100, entryMode: '051', conditionCode: '00' }).verdict).toBe('deny');
    cleanup(r.dir);
  });
});

describe('5. compaction resumes after a power cut at any of its writes', () => {
  it('cut at each write of a compaction: the next boot and compaction leave one segment', () => {
    const base = rig({ edit: roomy });
    many(base, 300); settleAll(base);
    const w0 = base.hal.writes; ack(base, base.agent.journal.sealedSeq); const writes = base.hal.writes - w0;
    expect(segs(base).length).toBe(1);
    cleanup(base.dir);
    expect(writes).toBeGreaterThan(1);
    for (let k = 1; k <= writes + 1; k++) {
      let r = rig({ edit: roomy });
      many(r, 300); settleAll(r);
      const sealed = r.agent.journal.sealedSeq;
      r.hal.faults.cutAtWrite = k; r.hal.faults.midWrite = true;
      ack(r, sealed);
      r = reboot(r, 'power-cut');
      ack(r, sealed);
      r.agent.sealing.sealNow(); settleAll(r); ack(r, r.agent.journal.sealedSeq);
      expect(segs(r).length, `cut at write ${k}`).toBe(1);
      expect(verify(r).valid, `cut at write ${k}`).toBe(true);
      cleanup(r.dir);
    }
  });
});

describe('6. a missing, zeroed or emptied segment is reported, never passed over', () => {
  for (const how of ['deleted', 'zeroed', 'emptied'] as const) {
    it(`a ${how} segment: the boot names the seqs it held, verify agrees`, () => {
      let r = rig({ edit: roomy });
      many(r, 300);
      r.agent.sealing.sealNow();
      r.agent.journal.writeCheckpoint();
      const [first, second] = segs(r);
      const p = join(r.dir, 'j', second!);
      const firstOfSecond = parseEntry(new Uint8Array(readFileSync(p).subarray(10, 10 + readFileSync(p).readUInt32BE(2)))).ok;
      expect(firstOfSecond).toBe(true);
      if (how === 'deleted') rmSync(p);
      else if (how === 'zeroed') writeFileSync(p, new Uint8Array(readFileSync(p).length));
      else writeFileSync(p, new Uint8Array(0));
      r = reboot(r, 'restart');
      const dmg = types(r, 'flash-damage');
      expect(dmg, first).toHaveLength(1);
      expect(dmg[0].body.lost.length).toBeGreaterThan(0);
      r.agent.sealing.sealNow();
      const v = verify(r);
      expect(v.valid, v.firstBad?.reason).toBe(true);
      expect(v.lost).toEqual(dmg[0].body.lost);
      cleanup(r.dir);
    });
  }

  it('an empty export, or one with only its header, is not valid', () => {
    const r = rig();
    const hdr = exportJournal(r.hal).bytes.subarray(0, 0);
    expect(verifyExport(hdr, r.agent.sealing.key.pub).valid).toBe(false);
    rmSync(join(r.dir, 'j'), { recursive: true });
    const e = exportJournal(r.hal);
    const v = verifyExport(e.bytes, r.agent.sealing.key.pub);
    expect(v.valid).toBe(false);
    expect(v.firstBad?.code).toBe('EMPTY');
    cleanup(r.dir);
  });
});

describe('7. bad input and foreign flash', () => {
  it('a command counter near 2^53 is refused, and later commands still work', () => {
    const r = rig();
    const c = r.agent.command(command(r, { n: Number.MAX_SAFE_INTEGER, kind: 'lock' }));
    expect(c.accepted).toBe(false);
    expect(c.why).toMatch(/beyond/);
    expect(r.agent.command(command(r, { n: 3, kind: 'lock' })).accepted).toBe(true);
    cleanup(r.dir);
  });

  it('a data folder of another device is refused at boot, and nothing is appended to it', () => {
    const r = rig();
    sell(r, 'A'); r.agent.shutdown();
    const before = exportJournal(r.hal).bytes;
    r.hal.powerOn();
    const other = new Agent(new NodeHal({ dir: r.dir, storageBytes: 4 << 20, startWallMs: r.hal.clock.wallMs() }), { dev: 'T-OTHER', fleet: 'test' });
    const b = other.boot('power-on');
    expect(b.ok).toBe(false);
    expect(!b.ok && b.error).toMatch(/holds the journal of T-TEST, not of T-OTHER/);
    expect(Buffer.from(exportJournal(r.hal).bytes).equals(Buffer.from(before))).toBe(true);
    cleanup(r.dir);
  });
});
