// A request the terminal refused before any rule looked at it (a `decision-invalid` entry: malformed,
// or a ref already used) is a denial like any other in `fleet report`: it carries no local date of its
// own, so the fleet dates it by the shop's offset. `sim run` and doctor count it; the fleet must too.
import { afterAll, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispatch } from '../../src/cli/dispatch';
import { rec } from '../../src/core/journal/records';
import { reason } from '../../src/core/reasons/names';
import { Ingest } from '../../src/fleet/ingest';
import { Registry } from '../../src/fleet/registry';
import { SqliteStore } from '../../src/fleet/store-sqlite';
import { useNativeCrypto } from '../../src/fleet/native';
import { makeFleet } from './helpers/terminals';

useNativeCrypto();
const dir = mkdtempSync(join(tmpdir(), 'pf-fleet-refused-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('counts a refused request as a denial on the shop\'s day, with its ref', async () => {
  const fleet = makeFleet(dir, 1, { decisions: 8 });
  const t = fleet.terminals[0]!;
  t.gen.journal.append(rec.decisionInvalid('A1', 'ref already used', [reason('TXN_INVALID', { whyCode: 'REF_USED', ref: 'A1' })]), t.gen.startMs + 9 * 60_000);
  t.gen.decisions(1);
  const db = join(dir, 'fleet.sqlite');
  const st = SqliteStore.open(db);
  if (!st.ok) throw new Error(st.error);
  const ing = new Ingest({ store: st.value, registry: new Registry(fleet.registry) });
  for (const p of t.gen.batches()) await ing.handle(`preflight/v1/demo/${t.dev}/journal`, p);
  await st.value.close();
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  try { expect(await dispatch(['fleet', 'report', '--db', db, '--dev', t.dev, '--date', '2026-03-02', '--json', '--lang', 'en'], () => {})).toBe(0); } finally { spy.mockRestore(); }
  const r = JSON.parse(out);
  const refused = r.transactions.find((x: any) => x.ref === 'A1');
  expect(refused, out).toMatchObject({ verdict: 'deny', reasons: ['TXN_INVALID'], verified: true });
  expect(refused.time).toMatch(/^2026-03-02 /);
  expect(r.counts?.TXN_INVALID ?? r.reasons?.find?.((x: any) => x.name === 'TXN_INVALID')?.count).toBe(1);
});
