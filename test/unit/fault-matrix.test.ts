// The fault matrix (issue 15), the way SQLite tests itself: one workload (sales, seals, a policy
// install, commands, a key rotation, settlement, an acknowledgement that compacts), cut by the
// power at every one of its flash writes (before the write, half-way through it, just after it),
// and every file kind on the flash hit by a bit flip, zeros, truncation and deletion. After each,
// the terminal reboots and must: lose or alter no intact committed entry, never write a seq twice
// (no second chain), never lower a floor, and trade again, or say STATE_LOST.
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from '../../src/core/codec/cbor';
import { sign1 } from '../../src/core/crypto/cose';
import { decodeFloors } from '../../src/core/journal/checkpoint';
import { exportJournal } from '../../src/core/journal/export';
import { parseEntry } from '../../src/core/journal/entry';
import { KIND_ENTRY, scanFrames } from '../../src/core/journal/frame';
import { verifyExport } from '../../src/core/journal/verify-export';
import { signPolicy } from '../../device/provision/policy';
import { ackOf, cleanup, reboot, rig, sell, type Rig } from '../helpers/device';
import { demoPolicyJson } from '../helpers/policy';

const roomy = (p: any) => { p.resources.batchMaxTxns = 10_000; p.limits.card.dailyCount = 10_000; p.limits.velocity = { count: 10_000, windowS: 60 }; };
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The steps of the workload; each one stops as soon as the power is gone. */
function workload(r: Rig, tail = 3): Rig {
  const alive = () => !r.hal.dead;
  const step = (f: () => void) => { if (alive()) f(); };
  const cmd = (body: Record<string, unknown>) => r.agent.command(sign1(encode({ dev: 'T-TEST', exp: r.hal.clock.wallMs() + 3_600_000, ...body }), r.operator.secretKey));
  for (let i = 0; i < 6; i++) step(() => { sell(r, `A${i}`, 100 + i); r.hal.advance(1000); });
  step(() => r.agent.sealing.sealNow());
  step(() => { const p = { ...demoPolicyJson(), version: 2 }; roomy(p); r.agent.policy.install(signPolicy(p, r.operator, r.hal.clock.wallMs())); });
  step(() => cmd({ n: 1, kind: 'lock', why: 'audit' }));
  step(() => cmd({ n: 2, kind: 'unlock' }));
  for (let i = 0; i < 4; i++) step(() => { sell(r, `B${i}`, 200 + i); r.hal.advance(1000); });
  step(() => r.agent.sealing.rotateKey());
  step(() => { sell(r, 'C0', 300); r.agent.sealing.sealNow(); });
  step(() => { const b = r.agent.settlement.begin(); if (b.ok) { r.agent.settlement.compare(b.value.local); r.agent.settlement.close(); } });
  step(() => r.agent.ack(ackOf(r, r.agent.journal.sealedSeq)));
  step(() => r.agent.journal.writeCheckpoint());
  for (let i = 0; i < tail; i++) step(() => { sell(r, `D${i}`, 400 + i); r.hal.advance(1000); });
  step(() => r.agent.shutdown());
  return r;
}

/** Entries on the flash that are intact now, by seq (what a crash must never take away). */
function intact(r: Rig): Map<number, string> {
  const m = new Map<number, string>();
  for (const b of exportJournal(r.hal).body) { const e = parseEntry(b); if (e.ok) m.set(e.value.seq, hex(b)); }
  return m;
}

function floors(r: Rig) {
  const p = join(r.dir, 'floors');
  const f = decodeFloors(existsSync(p) ? new Uint8Array(readFileSync(p)) : null);
  return f.ok ? f.value : null;
}

interface Outcome { stateLost: boolean }

/** The entries a segment file holds that can still be read from it. */
function entriesIn(path: string): Set<number> {
  const out = new Set<number>();
  if (!existsSync(path)) return out;
  for (const f of scanFrames(new Uint8Array(readFileSync(path))).records) {
    const e = f.kind === KIND_ENTRY ? parseEntry(f.payload) : null;
    if (e?.ok) out.add(e.value.seq);
  }
  return out;
}

/**
 * After a fault and a reboot: the four promises, and one more sale to show the terminal trades.
 * `spoilt`: the entries the fault made unreadable; every other entry must survive byte for byte.
 */
function check(r: Rig, before: Map<number, string>, floorsBefore: ReturnType<typeof floors>, what: string, spoilt = new Set<number>()): Outcome {
  r = reboot(r, 'power-cut');
  const lost = r.agent.journal.stateLost;
  const after = intact(r);
  if (!lost) for (const [seq, bytes] of before) if (!spoilt.has(seq)) expect(after.get(seq), `${what}: entry ${seq} kept byte for byte`).toBe(bytes);
  const f = floors(r);
  if (floorsBefore && f && !lost) {
    for (const k of ['seq', 'cmdCounter', 'policyVersion', 'batchNo'] as const) expect(f[k], `${what}: floor ${k}`).toBeGreaterThanOrEqual(floorsBefore[k]);
  }
  // Idle time: the scrubber reads each closed segment in turn and journals what rot took (SPEC §6).
  for (let i = 0; i <= readdirSync(join(r.dir, 'j')).length; i++) { r.hal.advance(61_000); r.agent.idle(); }
  // A cut between the lock and the unlock leaves it locked, as the operator left it: they unlock it.
  if (r.agent.journal.ledger.locked) r.agent.command(sign1(encode({ dev: 'T-TEST', n: 99, exp: r.hal.clock.wallMs() + 3_600_000, kind: 'unlock' }), r.operator.secretKey));
  const d = r.agent.tx.preflight({ ref: 'AFTER', type: 'sale', channel: 'card', amountMinor: 123, entryMode: '051', conditionCode: '00' });
  if (lost) expect(d.reasons.map((x) => x.name), what).toEqual(['STATE_LOST']);
  else {
    expect(d.verdict, `${what}: trades again (${d.reasons.map((x) => x.name).join(' ')})`).not.toBe('deny');
    if (d.request) r.agent.tx.answer('AFTER', r.acq.answer(d.request, null));
    r.agent.sealing.sealNow();
    const v = verifyExport(exportJournal(r.hal).bytes, null);
    // One chain: seqs strictly increasing, every prev and seal in order, every gap explained.
    expect(v.valid, `${what}: ${v.firstBad?.reason}`).toBe(true);
  }
  return { stateLost: !!lost };
}

describe('the fault matrix', () => {
  it('a power cut before, during and after every write of the workload', () => {
    const base = workload(rig({ edit: roomy }));
    const writes = base.hal.writes;
    cleanup(base.dir);
    let runs = 0, stateLost = 0;
    for (let k = 1; k <= writes; k++) {
      for (const mode of ['before', 'mid', 'after'] as const) {
        const r = rig({ edit: roomy });
        r.hal.faults.cutAtWrite = mode === 'after' ? k + 1 : k;
        r.hal.faults.midWrite = mode === 'mid';
        workload(r);
        const before = intact(r), fl = floors(r);
        if (check(r, before, fl, `cut ${mode} write ${k}`).stateLost) stateLost++;
        runs++;
        cleanup(r.dir);
      }
    }
    console.log(`fault matrix: ${writes} writes x 3 = ${runs} power cuts; STATE_LOST ${stateLost}; no intact entry lost, no seq written twice, no floor lowered`);
    expect(stateLost).toBe(0);                                       // a power cut alone never loses the state
  }, 300_000);

  it('every file kind, bit-flipped, zeroed, truncated and deleted', () => {
    const kinds: Record<string, (dir: string) => string | null> = {
      'old segment': (d) => { const s = readdirSync(join(d, 'j')).sort(); return s.length > 1 ? join(d, 'j', s[0]!) : null; },
      'tail segment': (d) => { const s = readdirSync(join(d, 'j')).sort(); return join(d, 'j', s[s.length - 1]!); },
      'checkpoint copy 0': (d) => join(d, 'cp/0'), 'checkpoint copy 1': (d) => join(d, 'cp/1'), floors: (d) => join(d, 'floors'),
      'ack mark': (d) => join(d, 'ack'), 'rotation proofs copy 0': (d) => join(d, 'keys/0'), 'rotation proofs copy 1': (d) => join(d, 'keys/1'), policy: (d) => join(d, 'policy.cose'), 'policy copy': (d) => join(d, 'policy.copy'),
    };
    const faults: Record<string, (p: string) => void> = {
      'bit flip': (p) => { const b = readFileSync(p); b[b.length >> 1] ^= 0x08; writeFileSync(p, b); },
      zeroed: (p) => writeFileSync(p, new Uint8Array(readFileSync(p).length)),
      truncated: (p) => truncateSync(p, readFileSync(p).length >> 1),
      deleted: (p) => rmSync(p),
    };
    const counts: Record<string, number> = {};
    let runs = 0;
    for (const [kind, where] of Object.entries(kinds)) {
      for (const [fault, hit] of Object.entries(faults)) {
        const r = workload(rig({ edit: roomy }), 300);     // enough sales after the ack to fill a segment
        const p = where(r.dir);
        expect(p && existsSync(p), `the workload leaves a ${kind} on the flash`).toBe(true);
        if (!p) continue;
        const before = intact(r), fl = floors(r);
        const had = entriesIn(p);
        hit(p);
        const left = entriesIn(p), spoilt = new Set([...had].filter((x) => !left.has(x)));
        // A flipped bit costs the one record it hit, and nothing else.
        if (fault === 'bit flip') expect(spoilt.size, `${kind}: a bit flip spoils one record`).toBeLessThanOrEqual(1);
        const o = check(r, before, fl, `${kind} ${fault}`, spoilt);
        counts[o.stateLost ? 'state lost' : 'trading'] = (counts[o.stateLost ? 'state lost' : 'trading'] ?? 0) + 1;
        runs++;
        cleanup(r.dir);
      }
    }
    console.log(`fault matrix: ${Object.keys(kinds).length} file kinds x ${Object.keys(faults).length} faults = ${runs} runs; ${JSON.stringify(counts)}`);
    expect(runs).toBe(Object.keys(kinds).length * Object.keys(faults).length);
  }, 300_000);
});
