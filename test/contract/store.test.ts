// One contract for the fleet store (src/fleet/store.ts), run against every adapter: SQLite in a
// file (what `fleet consume --db FILE` uses) and in memory (the embedded fleet of a short demo).
// Every call is awaited, so an asynchronous adapter is held to the same suite.
import { afterEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Store } from '../../src/fleet/store';
import { cleanup, tmp } from '../helpers/device';

const ADAPTERS: [string, () => { st: Store; done(): void }][] = [
  ['SQLite file', () => { const d = tmp('pf-store-'); const r = Store.open(join(d, 'f.sqlite')); if (!r.ok) throw new Error(r.error); return { st: r.value, done: () => { r.value.close(); cleanup(d); } }; }],
  ['SQLite in memory', () => { const r = Store.open(':memory:'); if (!r.ok) throw new Error(r.error); return { st: r.value, done: () => r.value.close() }; }],
];

const b = (...x: number[]) => new Uint8Array(x);

for (const [name, make] of ADAPTERS) {
  describe(`fleet store contract: ${name}`, () => {
    let done = () => {};
    afterEach(() => done());
    const open = () => { const m = make(); done = m.done; return m.st; };

    it('a device row is made once, and its chain advances with the entries it holds', async () => {
      const st = open();
      expect(await st.device('T-1')).toBeNull();
      await st.tx(() => st.ensureDevice('T-1', 'demo', 'ab'.repeat(32)));
      await st.tx(() => {
        st.addEntries('T-1', [{ seq: 1, type: 'boot', t: 10, bytes: b(1), sealedBy: 2 }, { seq: 2, type: 'decision', t: 11, bytes: b(2), sealedBy: 2 }], 99);
        st.advance('T-1', { lastSeq: 2, lastHash: b(9, 9), firstSeq: 1, entries: 2, duplicates: 0 });
      });
      const d = (await st.device('T-1'))!;
      expect(d).toMatchObject({ fleet: 'demo', last_seq: 2, first_seq: 1, entries: 2, batches: 1 });
      expect([...(await st.held('T-1', 1, 5)).entries()].map(([k, v]) => [k, [...v]])).toEqual([[1, [1]], [2, [2]]]);
    });

    it('a write that throws inside a transaction leaves nothing behind', async () => {
      const st = open();
      await st.tx(() => st.ensureDevice('T-2', 'demo', 'cd'.repeat(32)));
      expect(() => st.tx(() => { st.addEntries('T-2', [{ seq: 1, type: 'boot', t: 1, bytes: b(1), sealedBy: 1 }], 1); throw new Error('crash'); })).toThrow('crash');
      expect((await st.held('T-2', 1, 1)).size).toBe(0);
    });

    it('an open alert with the same device, kind and seq is counted, not repeated; a filled gap resolves', async () => {
      const st = open();
      const a = { dev: 'T-3', fleet: 'demo', kind: 'gap', severity: 'warn' as const, source: 'consumer' as const, seq: 5, why: 'seq 5 missing' };
      expect((await st.raise(a, 1)).repeated).toBe(false);
      expect((await st.raise(a, 2)).repeated).toBe(true);
      expect(await st.resolveGaps('T-3', 6, 3)).toBe(1);
      expect((await st.raise(a, 4)).repeated).toBe(false);                // resolved: a new one opens
    });

    it('parked batches wait for the gap before them, up to a limit per device', async () => {
      const st = open();
      expect(await st.park('T-4', 10, 20, b(1), 1, 2)).toBe(true);
      expect(await st.park('T-4', 21, 30, b(2), 1, 2)).toBe(true);
      expect(await st.park('T-4', 31, 40, b(3), 1, 2)).toBe(false);
      expect(await st.parkedReady('T-4', 9)).toBeNull();
      expect(await st.parkedReady('T-4', 10)).toMatchObject({ first_seq: 10, last_seq: 20 });
      await st.unpark('T-4', 10, 20);
      expect(await st.parkedReady('T-4', 21)).toMatchObject({ first_seq: 21 });
    });

    it('a verified decision replaces the live preview; a preview never replaces a verified one', async () => {
      const st = open();
      const row = { dev: 'T-5', seq: 7, stage: 'preflight' as const, ref: 'A1', verdict: 'deny', t: 1, localDate: '2026-03-02', reasons: [{ name: 'GEO_OUTSIDE' }] };
      await st.decision({ ...row, verified: false });
      await st.decision({ ...row, verdict: 'allow', reasons: [], verified: true });
      await st.decision({ ...row, verified: false });
      const got = st.db.prepare('SELECT verdict, verified FROM decisions WHERE dev = ? AND seq = ?').get('T-5', 7);
      expect(got).toEqual({ verdict: 'allow', verified: 1 });
    });

    it('what was stored but never acknowledged is listed again until an ack is recorded', async () => {
      const st = open();
      await st.tx(() => { st.ensureDevice('T-6', 'demo', 'ef'.repeat(32)); st.advance('T-6', { lastSeq: 4, lastHash: b(1), firstSeq: 1, entries: 4, duplicates: 0 }); });
      expect(await st.unacked()).toEqual([{ dev: 'T-6', fleet: 'demo', last_seq: 4 }]);
      await st.setAcked('T-6', 4);
      expect(await st.unacked()).toEqual([]);
      await st.syncDurable(5);
    });
  });
}
