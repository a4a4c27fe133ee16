// `preflight fleet export` (SPEC §2, §6) on the built bundle: a terminal's day, with a key rotation in
// the middle, uploaded through the embedded broker into the real fleet consumer; the fleet's copy is
// byte for byte the terminal's own `journal export`, and `journal verify` accepts it with the first
// key (device.pub), following the rotation. The consumer followed the rotation too (no alerts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, usageError } from '../helpers/cli';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';


let dir: string, data: string, db: string;
beforeAll(async () => {
  if (!existsSync('dist/host/preflight.mjs') || !existsSync('dist/device/agent.js')) execFileSync('make', ['build'], { stdio: 'inherit' });
  dir = mkdtempSync(join(tmpdir(), 'pf-fexport-'));
  data = join(dir, 'T-0001'); db = join(`${data}.fleet`, 'fleet.sqlite');
  // The demo day (every problem of SPEC §5, power cuts included) with the device key rotated halfway.
  const sc = JSON.parse(readFileSync('host-sim/scenarios/day-at-a-shop.json', 'utf8'));
  if (typeof sc.policy === 'string') sc.policy = resolve('host-sim/scenarios', sc.policy);
  const mid = Math.floor(sc.events.length / 2);
  sc.events.splice(mid, 0, { at: sc.events[mid].at, cmd: { kind: 'rotate-key' } });
  writeFileSync(join(dir, 'rot.json'), JSON.stringify(sc));
  const r = cli('sim', 'run', join(dir, 'rot.json'), '--data', data, '--broker', 'embedded', '--json');
  if (r.code !== 0) throw new Error(r.err);
  const lines = r.out.trim().split('\n').map((l) => JSON.parse(l));
  expect(lines.find((l) => l.event === 'command')).toMatchObject({ kind: 'rotate-key', accepted: true });
  const j = lines.at(-1).journal;
  expect(j.acknowledgedThrough).toBe(j.entries);   // the fleet acknowledged everything, past the rotation
}, 120_000);
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

describe('fleet export', () => {
  it('is byte for byte the terminal\'s own export, and verifies with the first key across the rotation', async () => {
    expect(readFileSync(join(data, 'device.pub'), 'utf8')).not.toBe(readFileSync(join(data, 'device.current.pub'), 'utf8'));
    expect(cli('journal', 'export', '--data', data, '--out', join(dir, 'device.cbor')).code).toBe(0);
    const r = cli('fleet', 'export', '--db', db, '--dev', 'T-0001', '--out', join(dir, 'fleet.cbor'));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/exported \d+ records of T-0001 \(seq 1\.\.\d+, \d+ seals/);
    const mine = readFileSync(join(dir, 'device.cbor')), fleets = readFileSync(join(dir, 'fleet.cbor'));
    expect(fleets.length).toBeGreaterThan(10_000);
    expect(Buffer.compare(fleets, mine)).toBe(0);
    const v = cli('journal', 'verify', join(dir, 'fleet.cbor'), '--pub', join(data, 'device.pub'), '--json');
    expect(v.code, v.out).toBe(0);
    expect(JSON.parse(v.out)).toMatchObject({ valid: true, firstSeq: 1, unsealed: 0 });
    expect(JSON.parse(v.out).header.rotations).toBe(1);
    // The consumer followed the rotation without a registry change: no bad signature, no key mismatch.
    const d = new Database(db, { readonly: true });
    try {
      expect(d.prepare(`SELECT kind FROM alerts WHERE source = 'consumer' AND severity <> 'info'`).all()).toEqual([]);
    } finally { d.close(); }
    // One flipped byte in the fleet's copy is caught.
    const bad = Buffer.from(fleets); bad[bad.length - 200] ^= 1;
    writeFileSync(join(dir, 'bad.cbor'), bad);
    expect(cli('journal', 'verify', join(dir, 'bad.cbor'), '--pub', join(data, 'device.pub')).code).toBe(1);
  });

  it('a damaged store does not pass for a journal: export checks its own copy and says so, exit 1', async () => {
    const copy = join(dir, 'damaged.sqlite');
    copyFileSync(db, copy);
    const d = new Database(copy);
    try {
      const s = d.prepare(`SELECT seq, bytes FROM seals WHERE dev = 'T-0001' ORDER BY seq LIMIT 1`).get() as { seq: number; bytes: Uint8Array };
      const b = Buffer.from(s.bytes); b[b.length - 10] ^= 1;                   // one bit of a signature
      d.prepare(`UPDATE seals SET bytes = ? WHERE dev = 'T-0001' AND seq = ?`).run(b, s.seq);
    } finally { d.close(); }
    const r = cli('fleet', 'export', '--db', copy, '--dev', 'T-0001', '--out', join(dir, 'damaged.cbor'));
    expect(r.code, r.out + r.err).toBe(1);
    expect(r.err).toMatch(/does not verify .*signature.*the store is damaged/);
  });

  it('bad usage is one line and exit 2', async () => {
    expect(cli('fleet', 'export', '--help').out).toMatch(/usage: preflight fleet export --db FILE\|URL --dev DEV --out FILE/);
    usageError(cli('fleet', 'export', '--db', db, '--dev', 'T-0001'), /--out is required/);
    usageError(cli('fleet', 'export', '--db', join(dir, 'none.sqlite'), '--dev', 'T-0001', '--out', join(dir, 'x')), /database .*none\.sqlite/);
    usageError(cli('fleet', 'export', '--db', db, '--dev', 'T-9', '--out', join(dir, 'x')), /no device T-9 .*known: T-0001/);
  });
});
