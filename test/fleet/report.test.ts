// `fleet report` gaps and fleet-wide rows (SPEC §2, §7): every stretch the fleet lacks is named with
// its cause (not enrolled yet, damaged = the terminal's own flash-damage entry, missing with later
// batches parked, announced by an unverified heartbeat but not received, stored but unacknowledged),
// and without --dev there is one row per terminal.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispatch } from '../../src/cli/dispatch';
import { encode } from '../../src/core/codec/cbor';
import { healthBody } from '../../src/core/telemetry/wire';
import { rec } from '../../src/core/journal/records';
import { Ingest } from '../../src/fleet/ingest';
import { Registry } from '../../src/fleet/registry';
import { SqliteStore } from '../../src/fleet/store-sqlite';
import { GenTerminal } from '../../src/fleet/journal-gen';
import { useNativeCrypto } from '../../src/fleet/native';
import { makeFleet, type Fleet } from './helpers/terminals';

useNativeCrypto();
let dir: string, fleet: Fleet, db: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-fleet-report-'));
  fleet = makeFleet(dir, 3, { decisions: 48 });   // 3 sealed batches of 16
  db = join(dir, 'fleet.sqlite');
  const st = SqliteStore.open(db);
  if (!st.ok) throw new Error(st.error);
  const ing = new Ingest({ store: st.value, registry: new Registry(fleet.registry) });
  const [a, b, c] = fleet.terminals;
  // T-0001: every batch; its heartbeat says it holds up to 50 (2 not sealed or sent yet).
  for (const p of a!.gen.batches()) await ing.handle(`preflight/v1/demo/${a!.dev}/journal`, p);
  await ing.handle(`preflight/v1/demo/${a!.dev}/health`, encode(healthBody({ seq: 50, unsealed: 2 })));
  // T-0002: its second batch was lost on the way; the third is parked behind the gap.
  const bb = b!.gen.batches();
  await ing.handle(`preflight/v1/demo/${b!.dev}/journal`, bb[0]!);
  await ing.handle(`preflight/v1/demo/${b!.dev}/journal`, bb[2]!);
  // T-0003: the terminal found flash damage and said so in a sealed entry.
  c!.gen.journal.append(rec.flashDamage({ lost: [[20, 21]], cause: 'CRC mismatch in segment 1', unverifiable: [] }), c!.gen.startMs + 49 * 60_000);
  c!.gen.decisions(1);
  for (const p of c!.gen.batches()) await ing.handle(`preflight/v1/demo/${c!.dev}/journal`, p);
  // T-0404 is not enrolled: its uploads are refused.
  const stranger = new GenTerminal('T-0404');
  stranger.decisions(3);
  for (const p of stranger.batches()) await ing.handle(`preflight/v1/demo/T-0404/journal`, p);
  await st.value.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  try { return { code: await dispatch(['fleet', ...argv], () => {}), out }; } finally { spy.mockRestore(); }
}
const gaps = async (dev: string) => JSON.parse((await run(['report', '--db', db, '--dev', dev, '--date', '2026-03-02', '--json', '--lang', 'en'])).out).gaps
  .map((g: any) => [g.cause, g.from, g.to, g.verified]);

it('names every gap with its cause', async () => {
  expect(await gaps('T-0001')).toEqual([['not-received', 49, 50, false], ['unacknowledged', 1, 48, true]]);
  expect(await gaps('T-0002')).toEqual([['missing', 17, 32, true], ['unacknowledged', 1, 16, true]]);
  expect(await gaps('T-0003')).toEqual([['damaged', 20, 21, true], ['unacknowledged', 1, 50, true]]);
  expect(await gaps('T-0404')).toEqual([['not-enrolled', null, null, false]]);
  const t = await run(['report', '--db', db, '--dev', 'T-0002', '--date', '2026-03-02', '--lang', 'en']);
  expect(t.out).toMatch(/missing 17\.\.32: not received; the later seq 33\.\.48 are parked \(not trusted\) until it arrives/);
  const z = await run(['report', '--db', db, '--dev', 'T-0003', '--date', '2026-03-02']);
  expect(z.out).toMatch(/闪存损坏 20\.\.21: 终端闪存损坏丢失（其第 49 条已封签流水记载：CRC mismatch in segment 1）/);
  const n = await run(['report', '--db', db, '--dev', 'T-0404', '--lang', 'en']);
  expect(n.out).toMatch(/This terminal is not enrolled/);
  expect(n.out).toMatch(/not enrolled: not in the registry: 1 message refused/);
});

it('without --dev: one row per terminal, verified counts only', async () => {
  const r = await run(['report', '--db', db, '--date', '2026-03-02', '--json', '--lang', 'en']);
  expect(r.code).toBe(0);
  const f = JSON.parse(r.out);
  expect(f.terminals.map((t: any) => [t.dev, t.enrolled])).toEqual([['T-0001', true], ['T-0002', true], ['T-0003', true], ['T-0404', false]]);
  expect(f.terminals[0]).toMatchObject({ fleet: 'demo', offset: '+08:00', preflight: { allow: 16, deny: 24, review: 8 }, unverified: 0 });
  expect(f.terminals[1].preflight).toEqual({ allow: 5, deny: 8, review: 3 });   // only the 16 it holds
  const text = await run(['report', '--db', db, '--date', '2026-03-02', '--lang', 'en']);
  expect(text.out).toMatch(/Fleet report for 2026-03-02: 3 terminals, and 1 id not enrolled/);
  expect(text.out).toMatch(/T-0002 +2026-03-02 .*missing 17\.\.32; unacknowledged 1\.\.16/);
  expect(text.out).toMatch(/T-0404 .*not enrolled/);
});
