// Issue 19.1: the terminal raises an alert on its `alert` topic for every kind SPEC §7 lists (jump
// code, geofence breach, clock rollback, tamper, signer failure, settlement imbalance) and for the
// flash damage and lost state of SPEC §6, each once per occurrence (not per retry of a sale, not per
// sale while the condition lasts), each naming the seq of the journal entry that holds the evidence.
// `preflight sim run --json` prints the alerts the bundle raised, inside QuickJS, as its log says them.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEntry } from '../../src/core/journal/entry';
import { ALERT_KINDS } from '../../src/core/telemetry/alerts';
import { readEntries, type ReadEntry } from '../../src/node/flash-read';
import { readOnlyFlash } from '../../src/node/flash-folder';
import { tmp } from '../helpers/device';
import { card, run } from '../helpers/scenario';

type Alert = { event: 'alert'; kind: string; seq: number; ref?: string; params: Record<string, any> };
const alertsOf = (lines: Record<string, any>[]) => lines.filter((l) => l.event === 'alert') as Alert[];
const count = (as: Alert[], kind: string) => as.filter((a) => a.kind === kind).length;
const entryAt = (es: ReadEntry[], seq: number) => { const e = es.find((x) => x.seq === seq); expect(e, `entry ${seq}`).toBeDefined(); return e!; };
const reasonsOf = (e: ReadEntry) => ((e.rec.body as any).reasons as { name: string }[]).map((r) => r.name);

beforeAll(() => {
  if (!existsSync('dist/host/preflight.mjs') || !existsSync('dist/device/agent.js')) execFileSync('make', ['build'], { stdio: 'inherit' });
});

describe('alerts (SPEC §7), from host-sim/scenarios/alerts.json through the CLI', () => {
  let as: Alert[], es: ReadEntry[], lines: Record<string, any>[];
  beforeAll(() => {
    const data = tmp('pf-alerts-');
    const r = spawnSync('node', ['bin/preflight.js', 'sim', 'run', 'host-sim/scenarios/alerts.json', '--json', '--data', data, '--broker', 'none'],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status, r.stderr).toBe(0);
    lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    as = alertsOf(lines);
    es = readEntries(readOnlyFlash(data));
  }, 60_000);

  it('every kind the terminal raises comes from the one list (ALERT_KINDS)', () => {
    expect(as.filter((a) => !(a.kind in ALERT_KINDS))).toEqual([]);
  });

  it('jump code: once, on the result entry of the sale the acquirer answered under another MCC', () => {
    expect(count(as, 'JUMP_CODE_SUSPECTED')).toBe(1);
    const a = as.find((x) => x.kind === 'JUMP_CODE_SUSPECTED')!;
    expect(a.ref).toBe('J1');
    const e = entryAt(es, a.seq);
    expect(e.rec.type).toBe('result');
    expect(reasonsOf(e)).toContain('JUMP_CODE_SUSPECTED');
  });

  it('geofence breach: once per breach (not per sale or retry outside, not again on an uncertain fix), again after back inside', () => {
    const g = as.filter((a) => a.kind === 'GEO_OUTSIDE');
    // O1, its retry, O2, O3 (uncertain), O4 are one breach; I1 is back inside; O5 is the second.
    expect(g.map((a) => a.ref)).toEqual(['O1', 'O5']);
    const denied = lines.filter((l) => l.event === 'decision' && l.reasons.includes('GEO_OUTSIDE')).length;
    expect(denied).toBe(5);
    for (const a of g) {
      const e = entryAt(es, a.seq);
      expect(e.rec.type).toBe('decision');
      expect((e.rec.body as any).txn.ref).toBe(a.ref);
      expect(reasonsOf(e)).toContain('GEO_OUTSIDE');
    }
  });

  it('clock rollback: once while the clock stays set back (two sales and a retry), on the first decision it denied', () => {
    expect(count(as, 'CLOCK_ROLLBACK')).toBe(1);
    expect(lines.filter((l) => l.event === 'decision' && l.reasons.includes('CLOCK_ROLLBACK')).length).toBe(3);
    const a = as.find((x) => x.kind === 'CLOCK_ROLLBACK')!;
    expect(a.ref).toBe('C1');
    const e = entryAt(es, a.seq);
    expect(e.rec.type).toBe('decision');
    expect(reasonsOf(e)).toContain('CLOCK_ROLLBACK');
  });

  it('tamper: a position that jumped faster than a terminal moves (jammed or spoofed), and an answer not echoing the request', () => {
    expect(count(as, 'GEO_IMPLAUSIBLE_MOVE')).toBe(1);
    const m = as.find((x) => x.kind === 'GEO_IMPLAUSIBLE_MOVE')!;
    expect(m.ref).toBe('T1');
    expect(reasonsOf(entryAt(es, m.seq))).toContain('GEO_IMPLAUSIBLE_MOVE');
    expect(count(as, 'RESP_ECHO_MISMATCH')).toBe(1);
    const x = as.find((a) => a.kind === 'RESP_ECHO_MISMATCH')!;
    expect(reasonsOf(entryAt(es, x.seq))).toContain('RESP_ECHO_MISMATCH');
  });

  it('signer failure: once for the outage however many seals fail, on the signer-failed entry', () => {
    expect(count(as, 'SIGNER_FAILED')).toBe(1);
    const e = entryAt(es, as.find((x) => x.kind === 'SIGNER_FAILED')!.seq);
    expect(e.rec.type).toBe('signer');
    expect((e.rec.body as any).state).toBe('failed');
  });

  it('settlement imbalance: once, on the compared step', () => {
    expect(count(as, 'SETTLEMENT_UNBALANCED')).toBe(1);
    const e = entryAt(es, as.find((x) => x.kind === 'SETTLEMENT_UNBALANCED')!.seq);
    expect(e.rec.type).toBe('settle');
    expect((e.rec.body as any).step).toBe('compared');
    expect(reasonsOf(e)).toContain('SETTLEMENT_UNBALANCED');
  });
});

/** Flips a bit in the stored payload of entry `seq` (bit rot). */
function rot(dir: string, seq: number): void {
  for (const n of readdirSync(join(dir, 'j')).sort()) {
    const p = join(dir, 'j', n);
    const b = readFileSync(p);
    for (let off = 0; off + 10 <= b.length;) {
      const len = b.readUInt32BE(off + 2);
      const e = b[off + 1] === 0x45 ? parseEntry(new Uint8Array(b.subarray(off + 10, off + 10 + len))) : null;
      if (e && e.ok && e.value.seq === seq) { b[off + 10 + (len >> 1)] ^= 0x10; writeFileSync(p, b); return; }
      off += 10 + len;
    }
  }
  throw new Error(`entry ${seq} not found`);
}

describe('alerts of SPEC §6 damage, on the bundle in QuickJS', () => {
  it('flash damage: once, on the flash-damage entry naming the lost seq; not again at the next boot', async () => {
    const dir = tmp('pf-alerts-rot-');
    await run([card('R1'), card('R2'), card('R3')], { dataDir: dir });
    rot(dir, 3);
    const r = await run([card('R4')], { dataDir: dir, keep: true });
    const fd = alertsOf(r.lines).filter((a) => a.kind === 'FLASH_DAMAGE');
    expect(fd).toHaveLength(1);
    const e = entryAt(readEntries(readOnlyFlash(dir)), fd[0]!.seq);
    expect(e.rec.type).toBe('flash-damage');
    expect((e.rec.body as any).lost).toEqual([[3, 3]]);
    expect(fd[0]!.params.lost).toEqual([[3, 3]]);
    const again = await run([card('R5')], { dataDir: dir, keep: true });
    expect(alertsOf(again.lines).filter((a) => a.kind === 'FLASH_DAMAGE')).toEqual([]);
  }, 60_000);

  it('state lost: raised at the boot that finds it, while every sale is refused, not once per sale', async () => {
    const dir = tmp('pf-alerts-lost-');
    const roomy = (p: any) => { p.limits.velocity = { count: 1000, windowS: 60 }; p.resources.batchMaxTxns = 1000; };
    await run(Array.from({ length: 200 }, (_, i) => card(`L${i}`)), { dataDir: dir, edit: roomy });
    const segs = readdirSync(join(dir, 'j')).sort();
    expect(segs.length).toBeGreaterThan(1);
    for (const f of ['cp/0', 'cp/1', 'floors', `j/${segs[0]}`]) rmSync(join(dir, f), { force: true });
    const r = await run([card('SL1'), card('SL2'), card('SL3')], { dataDir: dir, edit: roomy });
    expect(r.lines.filter((l) => l.event === 'decision' && (l as any).reasons.includes('STATE_LOST'))).toHaveLength(3);
    const sl = alertsOf(r.lines).filter((a) => a.kind === 'STATE_LOST');
    expect(sl).toHaveLength(1);
    // Nothing is journaled once state is lost: the seq named is the last the terminal still holds.
    expect(sl[0]!.seq).toBe(r.lines.find((l) => l.event === 'boot')!.seq);
  }, 90_000);
});
