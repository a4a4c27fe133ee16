// The live view and the verification figures: what people see while the consumer runs (a redraw
// on a terminal, plain lines elsewhere, colour only when allowed) and SPEC §8's two numbers.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Consumer } from '../../src/fleet/consumer';
import { Registry } from '../../src/fleet/registry';
import { SqliteStore } from '../../src/fleet/store-sqlite';
import { LiveView, renderSnapshot, snapshot } from '../../src/fleet/view';
import { measureVerify } from '../../src/fleet/measure';
import { useNativeCrypto } from '../../src/fleet/native';
import { GenTerminal } from '../../src/fleet/journal-gen';
import { encode } from '../../src/core/codec/cbor';
import { makeFleet } from './helpers/terminals';

useNativeCrypto();
let dir: string, store: SqliteStore, consumer: Consumer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-view-'));
  const fleet = makeFleet(dir, 3, { decisions: 32 });
  const s = SqliteStore.open(join(dir, 'f.sqlite'));
  if (!s.ok) throw new Error(s.error);
  store = s.value;
  consumer = new Consumer({ store, registry: new Registry(fleet.registry), backendKey: null, publishAck: async () => {} });
  for (const t of fleet.terminals) {
    await consumer.handle(`preflight/v1/demo/${t.dev}/status`, encode({ online: true, dev: t.dev }));
    for (const b of t.gen.batches()) await consumer.handle(`preflight/v1/demo/${t.dev}/journal`, b);
  }
  await consumer.handle('preflight/v1/demo/T-0003/status', encode({ online: false, dev: 'T-0003' }));
  const forger = new GenTerminal('T-0001', undefined, Date.UTC(2026, 2, 3)); // other entries, a key the registry does not hold
  forger.decisions(16);
  await consumer.handle('preflight/v1/demo/T-0001/journal', forger.batches()[0]!);
});
afterAll(async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); });

/** A stand-in for process.stdout. */
const sink = (isTTY: boolean) => { const s = { isTTY, text: '', write(x: string) { s.text += x; return true; } }; return s; };

it('shows devices, online, last seen, verdict counts by reason and open alerts', async () => {
  const text = renderSnapshot(await snapshot(store), consumer.counters, (_c, s) => s);
  expect(text).toMatch(/3 devices, 2 online/);
  expect(text).toMatch(/T-0001 +yes +\d+s ago +32/);
  expect(text).toMatch(/T-0003 +no /);
  expect(text).toMatch(/VERDICTS  deny 48  allow 33  review 15/);
  expect(text).toMatch(/deny +GEO_OUTSIDE +18\n/);
  expect(text).toMatch(/OPEN ALERTS 1\n  critical bad-signature T-0001/);
});

it('redraws a terminal in place (colour unless NO_COLOR); elsewhere prints plain lines and each new alert', async () => {
  const tty = sink(true);
  const v = new LiveView(tty as unknown as NodeJS.WriteStream, store, () => consumer.counters, 60_000);
  await v.draw(true);
  await v.stop();
  expect(tty.text.startsWith('\x1b[H\x1b[2J')).toBe(true);
  expect(tty.text).toContain(process.env.NO_COLOR ? 'preflight fleet' : '\x1b[1mpreflight fleet');
  const prev = process.env.NO_COLOR;
  process.env.NO_COLOR = '1';
  try {
    const plain = sink(true);
    const w = new LiveView(plain as unknown as NodeJS.WriteStream, store, () => consumer.counters, 60_000);
    await w.draw(true); await w.stop();
    expect(plain.text).not.toMatch(/\x1b\[[0-9;]*m/);
  } finally { if (prev === undefined) delete process.env.NO_COLOR; else process.env.NO_COLOR = prev; }
  const log = sink(false);
  const x = new LiveView(log as unknown as NodeJS.WriteStream, store, () => consumer.counters, 60_000);
  x.onEvent({ event: 'alert', dev: 'T-0002', kind: 'fork', severity: 'critical', why: 'seq 5 differs', seq: 5, repeated: false });
  x.onEvent({ event: 'alert', dev: 'T-0002', kind: 'replay', severity: 'info', why: 'old batch', seq: 16, repeated: false });
  await x.draw();
  await x.stop();
  expect(log.text).toMatch(/^alert critical fork T-0002: seq 5 differs\nmessages \d+ stored 96 /);
  expect(log.text).not.toMatch(/alert info|\x1b\[/);
});

it('measures verify_entries_per_s and node_ed25519_verify_per_s in one run', async () => {
  const m = await measureVerify({ entries: 3_000, rounds: 1 });
  console.log(`fleet verify: ${m.verify_entries_per_s} entries/s verified, ${m.ingest_entries_per_s} entries/s verified and stored, node Ed25519 ${m.node_ed25519_verify_per_s} verify/s`);
  expect(m.verify_entries_per_s).toBeGreaterThan(1_000);
  expect(m.node_ed25519_verify_per_s).toBeGreaterThan(1_000);
  expect(m.ingest_entries_per_s).toBeGreaterThan(500);
}, 30_000);
