// One contract for the fleet store (src/fleet/store.ts), run against every adapter (SPEC §7: "the
// same store contract tests run against both"): SQLite in a file (`fleet consume --db FILE`), in
// memory (the embedded fleet of a short demo), and PostgreSQL (`--db postgres://...`) on a server
// these tests start (test/fleet/helpers/postgres.ts), a new database for every case. Every call is
// awaited; every store is opened through openStore, as the CLI opens it.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStore, type FleetStore } from '../../src/fleet/store';
import { cleanup, tmp } from '../helpers/device';
import { startPostgres, type Postgres } from '../fleet/helpers/postgres';

interface Place { db: string; shared: boolean; notAStore(): Promise<string>; done(): void }

let pg: Postgres | null = null;
afterAll(async () => { await pg?.stop(); });

const ADAPTERS: [string, () => Promise<Place>][] = [
  ['SQLite file', async () => {
    const d = tmp('pf-store-');
    return { db: join(d, 'f.sqlite'), shared: true, done: () => cleanup(d),
      async notAStore() { const f = join(d, 'other.sqlite'); const x = new Database(f); x.exec('CREATE TABLE notes (t TEXT)'); x.close(); return f; } };
  }],
  ['SQLite in memory', async () => ({ db: ':memory:', shared: false, done: () => {}, notAStore: async () => { throw new Error('no second handle on :memory:'); } })],
  ['PostgreSQL', async () => {
    pg ??= await startPostgres();
    const server = pg;
    return { db: await server.database(), shared: true, done: () => {}, notAStore: () => server.database() };
  }],
];

const b = (...x: number[]) => new Uint8Array(x);
const bytes = (m: Map<number, Uint8Array> | Uint8Array | null) => (m instanceof Map ? [...m].map(([k, v]) => [k, [...v]]) : m ? [...m] : m);
const must = async (db: string, opts = {}) => { const r = await openStore(db, opts); if (!r.ok) throw new Error(r.error); return r.value; };

for (const [name, make] of ADAPTERS) {
  describe(`fleet store contract: ${name}`, () => {
    let opened: FleetStore[] = [];
    let place: Place | null = null;
    afterEach(async () => { for (const s of opened) await s.close(); opened = []; place?.done(); place = null; });
    const open = async () => { place = await make(); const s = await must(place.db); opened.push(s); return s; };
    /** Another connection (another consumer) to the same store. */
    const another = async (opts = {}) => { const s = await must(place!.db, opts); opened.push(s); return s; };

    it('a device row is made once, and its chain advances with the entries it holds', async () => {
      const st = await open();
      expect(st.kind).toBe(name === 'PostgreSQL' ? 'postgres' : 'sqlite');
      expect(await st.device('T-1')).toBeNull();
      await st.tx(() => st.ensureDevice('T-1', 'demo', 'ab'.repeat(32)));
      await st.tx(() => st.ensureDevice('T-1', null, 'cd'.repeat(32)));           // null keeps the fleet; the key follows the registry
      await st.tx(async () => {
        await st.addEntries('T-1', [{ seq: 1, type: 'boot', t: 10, bytes: b(1), sealedBy: 2 }, { seq: 2, type: 'decision', t: 1_772_400_000_000, bytes: b(2), sealedBy: 2 }], 99);
        await st.addSeal('T-1', 2, 11, b(7));
        await st.addSeal('T-1', 2, 11, b(8));                                       // a seal held already is kept as it was
        await st.advance('T-1', { lastSeq: 2, lastHash: b(9, 9), firstSeq: 1, entries: 2, duplicates: 0 });
      });
      const d = (await st.device('T-1'))!;
      expect(d).toMatchObject({ fleet: 'demo', pub: 'cd'.repeat(32), last_seq: 2, first_seq: 1, entries: 2, batches: 1, seq_acked: 0, online: null });
      expect(bytes(d.last_hash)).toEqual([9, 9]);
      expect(bytes(await st.held('T-1', 1, 5))).toEqual([[1, [1]], [2, [2]]]);
      expect((await st.entries('T-1', 1, 2)).map((e) => [e.seq, e.type, bytes(e.bytes)])).toEqual([[1, 'boot', [1]], [2, 'decision', [2]]]);
      expect((await st.seals('T-1', 1, 2)).map((e) => [e.seq, bytes(e.bytes)])).toEqual([[2, [7]]]);
    });

    it('a write that throws inside a transaction leaves nothing behind; a nested one that throws undoes only itself', async () => {
      const st = await open();
      await st.tx(() => st.ensureDevice('T-2', 'demo', 'cd'.repeat(32)));
      await expect(st.tx(async () => { await st.addEntries('T-2', [{ seq: 1, type: 'boot', t: 1, bytes: b(1), sealedBy: 1 }], 1); throw new Error('crash'); })).rejects.toThrow('crash');
      expect((await st.held('T-2', 1, 1)).size).toBe(0);
      await st.tx(async () => {
        await st.countRejected('T-2');
        await st.tx(async () => { await st.countRejected('T-2'); throw new Error('inner'); }).catch(() => {});
        await st.countDuplicates('T-2', 3, true);
      });
      expect(await st.device('T-2')).toMatchObject({ rejected: 1, duplicates: 3, replays: 1 });
    });

    it('an open alert with the same device, kind and seq is counted, not repeated (null ones too); a filled gap resolves', async () => {
      const st = await open();
      const a = { dev: 'T-3', fleet: 'demo', kind: 'gap', severity: 'warn' as const, source: 'consumer' as const, seq: 5, why: 'seq 5 missing' };
      const first = await st.raise(a, 1);
      expect(first.repeated).toBe(false);
      expect(await st.raise({ ...a, why: 'still' }, 2)).toEqual({ id: first.id, repeated: true });
      const stranger = { ...a, dev: 'T-X', kind: 'unknown-device', seq: null, why: 'not enrolled' };
      await st.raise(stranger, 3);
      expect((await st.raise(stranger, 4)).repeated).toBe(true);
      expect(await st.lastUnknownDevice('T-X')).toEqual({ t: 3, last_t: 4, count: 2 });
      expect(await st.openAlerts(10)).toEqual([
        { id: expect.any(Number), t: 4, dev: 'T-X', kind: 'unknown-device', severity: 'warn', source: 'consumer', why: 'not enrolled', count: 2 },
        { id: first.id, t: 2, dev: 'T-3', kind: 'gap', severity: 'warn', source: 'consumer', why: 'still', count: 2 },
      ]);
      expect(await st.resolveGaps('T-3', 6, 3)).toBe(1);
      expect((await st.raise(a, 4)).repeated).toBe(false);                // resolved: a new one opens
      expect(await st.reportDevices()).toEqual(['T-X']);                   // a sender not enrolled is reported; T-3 has no row
    });

    it('parked batches wait for the gap before them, up to a limit per device', async () => {
      const st = await open();
      expect(await st.park('T-4', 10, 20, b(1), 1, 2)).toBe(true);
      expect(await st.park('T-4', 21, 30, b(2), 1, 2)).toBe(true);
      expect(await st.park('T-4', 31, 40, b(3), 1, 2)).toBe(false);
      expect(await st.parkedSpan('T-4')).toEqual({ f: 10, l: 30 });
      expect(await st.parkedReady('T-4', 9)).toBeNull();
      expect(await st.parkedReady('T-4', 10)).toMatchObject({ first_seq: 10, last_seq: 20 });
      expect(bytes((await st.parkedReady('T-4', 10))!.payload)).toEqual([1]);
      await st.unpark('T-4', 10, 20);
      expect(await st.parkedReady('T-4', 21)).toMatchObject({ first_seq: 21 });
      expect(await st.parkedSpan('T-5')).toEqual({ f: null, l: null });
    });

    it('a verified decision replaces the live preview; a preview never replaces a verified one', async () => {
      const st = await open();
      const row = { dev: 'T-5', seq: 7, stage: 'preflight' as const, ref: 'A1', verdict: 'deny', t: 1, localDate: '2026-03-02', reasons: [{ name: 'GEO_OUTSIDE', severity: 'deny' }] };
      await st.decision({ ...row, verified: false });
      expect(await st.dayVerdicts('T-5', '2026-03-02')).toEqual([{ stage: 'preflight', verdict: 'deny', verified: 0, n: 1 }]);
      expect(await st.dayReasons('T-5', '2026-03-02')).toEqual([]);       // previews are not counted
      await st.decision({ ...row, verdict: 'review', reasons: [{ name: 'AMOUNT_HIGH', severity: 'review', params: { limit: 5 } }], verified: true });
      await st.decision({ ...row, verified: false });
      expect(await st.dayVerdicts('T-5', '2026-03-02')).toEqual([{ stage: 'preflight', verdict: 'review', verified: 1, n: 1 }]);
      expect(await st.dayReasons('T-5', '2026-03-02')).toEqual([{ name: 'AMOUNT_HIGH', stage: 'preflight', severity: 'review', n: 1, last: 7 }]);
      expect(JSON.parse((await st.reasonParams('T-5', 7, 'AMOUNT_HIGH'))!)).toEqual({ limit: 5 });
      expect(await st.reasonParams('T-5', 7, 'GEO_OUTSIDE')).toBeNull();
    });

    it('answers the report, serve and view questions the same way', async () => {
      const st = await open();
      const t0 = 1_772_416_800_000; // 2026-03-02 02:00 UTC
      await st.tx(async () => {
        await st.ensureDevice('T-7', 'demo', 'ab'.repeat(32));
        await st.ensureDevice('T-6', 'demo', 'ab'.repeat(32));
        const e = (seq: number, type: string, t = t0 + seq * 60_000) => ({ seq, type, t, bytes: b(seq), sealedBy: 9 });
        await st.addEntries('T-7', [e(1, 'boot'), e(2, 'policy'), e(3, 'decision'), e(4, 'decision'), e(7, 'flash-damage'), e(9, 'decision')], t0);
        await st.advance('T-7', { lastSeq: 4, lastHash: b(4), firstSeq: 1, entries: 4, duplicates: 0 });
        await st.setOffset('T-7', 480);
        await st.setOnline('T-7', true, t0 + 5, '{"online":true}');
        await st.setHealth('T-7', '{"seq":12}', t0 + 6);
        await st.setOnline('T-6', false, null, null);
      });
      for (const [seq, verdict, verified] of [[3, 'allow', true], [4, 'deny', true], [5, 'deny', false]] as const) {
        await st.decision({ dev: 'T-7', seq, stage: 'preflight', ref: `R${seq}`, verdict, t: t0 + seq * 60_000, localDate: '2026-03-02', verified,
          reasons: verdict === 'deny' ? [{ name: 'HOURS_CLOSED', severity: 'deny' }] : [] });
      }
      await st.decision({ dev: 'T-7', seq: 9, stage: 'acquirer', ref: 'R4', verdict: 'declined', t: t0 + 9 * 60_000, localDate: '2026-03-03', verified: true, reasons: [] });
      await st.raise({ dev: 'T-7', fleet: 'demo', kind: 'fork', severity: 'critical', source: 'consumer', seq: 4, why: 'two histories' }, t0 + 7);
      await st.raise({ dev: 'T-7', fleet: 'demo', kind: 'replay', severity: 'info', source: 'consumer', seq: 4, why: 'old' }, t0 + 8);

      expect(await st.knownDevices(5)).toEqual(['T-6', 'T-7']);
      expect(await st.reportDevices()).toEqual(['T-6', 'T-7']);
      const flagged = await st.dayFlagged('T-7', '2026-03-02');
      expect(flagged.map((r) => [r.seq, r.verdict, r.verified, bytes(r.bytes)])).toEqual([[4, 'deny', 1, [4]], [5, 'deny', 0, null]]);
      expect(JSON.parse(flagged[0]!.reasons)).toEqual([{ name: 'HOURS_CLOSED', severity: 'deny' }]);
      expect((await st.dayDecisions('T-7', '2026-03-02')).map((r) => [r.seq, r.ref, r.stage, bytes(r.bytes)])).toEqual([[3, 'R3', 'preflight', [3]], [4, 'R4', 'preflight', [4]], [5, 'R5', 'preflight', null]]);
      expect((await st.entriesOfType('T-7', 'decision')).map((x) => x.seq)).toEqual([3, 4, 9]);
      expect(bytes(await st.lastEntryOfType('T-7', 'decision', t0 + 5 * 60_000))).toEqual([4]);
      expect(await st.lastEntryOfType('T-7', 'boot', t0)).toBeNull();
      expect(await st.holes('T-7')).toEqual([{ a: 5, z: 6 }, { a: 8, z: 8 }]);
      expect(await st.health('T-7')).toBe('{"seq":12}');
      expect(await st.latestDay('T-7')).toBe('2026-03-03');
      expect(await st.latestDay('T-6')).toBeNull();
      expect(await st.terminals()).toEqual([
        { dev: 'T-6', fleet: 'demo', online: 0, last_seen: null, last_seq: 0, seq_acked: 0, utc_offset_min: null, open: 0 },
        { dev: 'T-7', fleet: 'demo', online: 1, last_seen: t0 + 6, last_seq: 4, seq_acked: 0, utc_offset_min: 480, open: 1 },
      ]);
      const snap = await st.snapshot(12);
      expect(snap.devices).toMatchObject({ total: 2, online: 1 });
      expect(snap.devices.rows.map((r) => r.dev)).toEqual(['T-7', 'T-6']);
      expect(snap.verdicts).toEqual([{ stage: 'preflight', verdict: 'deny', n: 2 }, { stage: 'preflight', verdict: 'allow', n: 1 }, { stage: 'acquirer', verdict: 'declined', n: 1 }]);
      expect(snap.reasons).toEqual([{ name: 'HOURS_CLOSED', verdict: 'deny', n: 2 }]);
      expect(snap.alerts).toEqual({ open: 1, rows: [{ t: t0 + 7, dev: 'T-7', kind: 'fork', severity: 'critical', why: 'two histories', count: 1 }] });
    });

    it('key rotations are read back in seq order after a point', async () => {
      const st = await open();
      await st.tx(() => st.addEntries('T-8', [{ seq: 3, type: 'key-rotate', t: 1, bytes: b(3), sealedBy: 3 }, { seq: 5, type: 'boot', t: 2, bytes: b(5), sealedBy: 6 },
        { seq: 6, type: 'key-rotate', t: 3, bytes: b(6), sealedBy: 6 }], 1));
      expect((await st.rotationsAfter('T-8', 0)).map((r) => [r.seq, bytes(r.bytes)])).toEqual([[3, [3]], [6, [6]]]);
      expect((await st.rotationsAfter('T-8', 3)).map((r) => r.seq)).toEqual([6]);
    });

    it('what was stored but never acknowledged is listed again until an ack is recorded; an ack never goes back', async () => {
      const st = await open();
      await st.tx(async () => { await st.ensureDevice('T-6', 'demo', 'ef'.repeat(32)); await st.advance('T-6', { lastSeq: 4, lastHash: b(1), firstSeq: 1, entries: 4, duplicates: 0 }); });
      await st.tx(async () => { await st.ensureDevice('T-9', null, 'ef'.repeat(32)); await st.advance('T-9', { lastSeq: 4, lastHash: b(1), firstSeq: 1, entries: 4, duplicates: 0 }); });
      expect(await st.unacked()).toEqual([{ dev: 'T-6', fleet: 'demo', last_seq: 4 }]);   // no fleet known: nowhere to ack
      await st.setAcked('T-6', 4);
      await st.setAcked('T-6', 2);
      expect(await st.unacked()).toEqual([]);
      expect((await st.device('T-6'))!.seq_acked).toBe(4);
      await st.syncDurable(5);
    });

    if (name !== 'SQLite in memory') {
      it('a reader refuses a database that is not a fleet store, and sees what a writer committed', async () => {
        const st = await open();
        await st.tx(() => st.ensureDevice('T-R', 'demo', 'ab'.repeat(32)));
        const other = await place!.notAStore();
        const r = await openStore(other, { readOnly: true });
        expect(r.ok).toBe(false);
        expect(!r.ok && r.error).toMatch(/not a fleet store \(no Preflight tables; `preflight fleet consume --db .*` makes/);
        const reader = await another({ readOnly: true });
        expect(await reader.knownDevices(5)).toEqual(['T-R']);
        await expect(reader.tx(() => reader.ensureDevice('T-S', 'demo', 'ab'.repeat(32)))).rejects.toThrow(/read.?only/i);
      });

      it('two writers (two connections, as two consumers) on one device chain never both extend it', async () => {
        const a = await open();
        const c = await another();
        await a.tx(() => a.ensureDevice('T-C', 'demo', 'ab'.repeat(32)));
        const extend = (st: FleetStore, mark: number) => st.tx(async () => {
          await st.lockDevice('T-C');
          const d = (await st.device('T-C'))!;
          await new Promise((r) => setTimeout(r, 60));     // the other writer tries meanwhile
          const next = d.last_seq + 1;
          if (next > 1) return false;                       // someone else extended it: that is a duplicate here
          await st.addEntries('T-C', [{ seq: next, type: 'boot', t: mark, bytes: b(mark), sealedBy: next }], mark);
          await st.advance('T-C', { lastSeq: next, lastHash: b(mark), firstSeq: next, entries: 1, duplicates: 0 });
          return true;
        });
        for (let round = 0; round < 3; round++) {
          const won = await Promise.all([extend(a, 1), extend(c, 2)]);
          expect(won.filter(Boolean)).toHaveLength(round === 0 ? 1 : 0);
        }
        expect(await c.device('T-C')).toMatchObject({ last_seq: 1, entries: 1, batches: 1 });
        expect((await a.held('T-C', 1, 9)).size).toBe(1);
      });
    }
  });
}
