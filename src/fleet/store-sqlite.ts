// The consumer's SQLite store (better-sqlite3, one file, WAL). Several consumers may share one file:
// every change to a device's chain runs inside BEGIN IMMEDIATE, so two of them never both extend it.
// Commits are crash-safe (WAL, synchronous=NORMAL); `syncDurable` makes them power-safe before acks.

import Database from 'better-sqlite3';
import { fail, ok, type Result } from '../core/util/result';
import { SCHEMA, SCHEMA_VERSION } from './schema';

export type Severity = 'info' | 'warn' | 'critical';

export interface DeviceState {
  dev: string; fleet: string | null; pub: string;
  online: number | null; last_seen: number | null;
  first_seq: number | null; last_seq: number; last_hash: Uint8Array | null; seq_acked: number;
  entries: number; batches: number; duplicates: number; replays: number; rejected: number;
  utc_offset_min: number | null;
}

export interface AlertInput {
  dev: string | null; fleet: string | null; kind: string; severity: Severity; source: 'consumer' | 'device';
  seq: number | null; why: string; detail?: Record<string, unknown>;
}

export interface EntryRow { seq: number; type: string; t: number; bytes: Uint8Array; sealedBy: number }
export interface DecisionRow {
  dev: string; seq: number; stage: 'preflight' | 'acquirer'; ref: string | null; verdict: string; t: number;
  localDate: string | null; verified: boolean; reasons: { name: string; severity?: string; params?: Record<string, unknown> }[];
}

export class Store {
  private s: Record<string, Database.Statement>;

  private constructor(readonly db: Database.Database, readonly file: string, readOnly = false) {
    // Consumers started together on a new file race to switch it to WAL; that switch can answer
    // SQLITE_BUSY without waiting on the busy timeout, so the set-up is retried for a while.
    for (let attempt = 0; !readOnly; attempt++) {
      try {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.exec(SCHEMA);
        db.prepare(`INSERT INTO meta (k, v) VALUES ('schema', ?) ON CONFLICT(k) DO NOTHING`).run(String(SCHEMA_VERSION));
        break;
      } catch (e) {
        if (!String((e as { code?: string }).code).startsWith('SQLITE_BUSY') || attempt >= 100) throw e;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20 + Math.floor(Math.random() * 30));
      }
    }
    const p = (sql: string) => db.prepare(sql);
    this.s = {
      device: p(`SELECT * FROM devices WHERE dev = ?`),
      ensure: p(`INSERT INTO devices (dev, fleet, pub) VALUES (?, ?, ?)
                 ON CONFLICT(dev) DO UPDATE SET fleet = COALESCE(excluded.fleet, fleet), pub = excluded.pub`),
      held: p(`SELECT seq, bytes FROM entries WHERE dev = ? AND seq BETWEEN ? AND ?`),
      entry: p(`INSERT INTO entries (dev, seq, type, t, bytes, verified, sealed_by, received) VALUES (?, ?, ?, ?, ?, 1, ?, ?)`),
      seal: p(`INSERT OR IGNORE INTO seals (dev, seq, t, bytes) VALUES (?, ?, ?, ?)`),
      advance: p(`UPDATE devices SET last_seq = ?, last_hash = ?, first_seq = COALESCE(first_seq, ?),
                  entries = entries + ?, batches = batches + 1, duplicates = duplicates + ? WHERE dev = ?`),
      dup: p(`UPDATE devices SET duplicates = duplicates + ?, replays = replays + ? WHERE dev = ?`),
      rejected: p(`UPDATE devices SET rejected = rejected + 1 WHERE dev = ?`),
      alertFind: p(`SELECT id FROM alerts WHERE dev IS ? AND kind = ? AND seq IS ? AND resolved IS NULL ORDER BY id DESC LIMIT 1`),
      alertBump: p(`UPDATE alerts SET count = count + 1, last_t = ?, why = ? WHERE id = ?`),
      alertAdd: p(`INSERT INTO alerts (t, last_t, dev, fleet, kind, severity, source, seq, why, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      resolveGaps: p(`UPDATE alerts SET resolved = ? WHERE dev = ? AND kind = 'gap' AND resolved IS NULL AND seq <= ?`),
      park: p(`INSERT OR IGNORE INTO parked (dev, first_seq, last_seq, t, payload) VALUES (?, ?, ?, ?, ?)`),
      parkedCount: p(`SELECT count(*) AS n FROM parked WHERE dev = ?`),
      parkedReady: p(`SELECT first_seq, last_seq, payload FROM parked WHERE dev = ? AND first_seq <= ? ORDER BY first_seq LIMIT 1`),
      unpark: p(`DELETE FROM parked WHERE dev = ? AND first_seq = ? AND last_seq = ?`),
      decVerified: p(`INSERT OR REPLACE INTO decisions (dev, seq, stage, ref, verdict, t, local_date, verified, reasons) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)`),
      decTelemetry: p(`INSERT OR IGNORE INTO decisions (dev, seq, stage, ref, verdict, t, local_date, verified, reasons) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)`),
      reasonsDel: p(`DELETE FROM decision_reasons WHERE dev = ? AND seq = ?`),
      reasonAdd: p(`INSERT OR IGNORE INTO decision_reasons (dev, seq, name, severity, stage, verdict, local_date, verified, params) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      offset: p(`UPDATE devices SET utc_offset_min = ? WHERE dev = ?`),
      online: p(`UPDATE devices SET online = ?, last_seen = COALESCE(?, last_seen), birth = COALESCE(?, birth) WHERE dev = ?`),
      health: p(`UPDATE devices SET health = ?, last_seen = ? WHERE dev = ?`),
      acked: p(`UPDATE devices SET seq_acked = MAX(seq_acked, ?) WHERE dev = ?`),
      unacked: p(`SELECT dev, fleet, last_seq FROM devices WHERE last_seq > seq_acked AND fleet IS NOT NULL`),
      rotations: p(`SELECT seq, bytes FROM entries WHERE dev = ? AND seq > ? AND type = 'key-rotate' ORDER BY seq`),
      durable: p(`INSERT INTO meta (k, v) VALUES ('durable', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v`),
    };
  }

  /** Opens (creating if needed) the database file; a file that is not SQLite is a value, not a throw. */
  static open(file: string, opts: { mustExist?: boolean; readOnly?: boolean } = {}): Result<Store> {
    let db: Database.Database | null = null;
    try {
      db = new Database(file, { timeout: 15_000, fileMustExist: !!opts.mustExist || !!opts.readOnly, readonly: !!opts.readOnly });
      // Readers (report, export, serve) never write: a file that is not a fleet store is refused, not given one.
      if (opts.readOnly && !db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).get()) {
        db.close();
        return fail(`database ${file}: not a fleet store (no Preflight tables; \`preflight fleet consume --db ${file}\` makes one)`);
      }
      return ok(new Store(db, file, !!opts.readOnly));
    } catch (e) {
      db?.close();
      return fail(`database ${file}: ${(e as Error).message}`);
    }
  }

  /** Runs `fn` in a write transaction taken up front (BEGIN IMMEDIATE): the chain check and its write are one step. */
  tx<T>(fn: () => T): T { return this.db.transaction(fn).immediate(); }

  device(dev: string): DeviceState | null { return (this.s.device!.get(dev) as DeviceState | undefined) ?? null; }

  ensureDevice(dev: string, fleet: string | null, pubHex: string): void { this.s.ensure!.run(dev, fleet, pubHex); }

  /** Stored bytes of entries from..to (inclusive), by seq. */
  held(dev: string, from: number, to: number): Map<number, Uint8Array> {
    const m = new Map<number, Uint8Array>();
    for (const r of this.s.held!.all(dev, from, to) as { seq: number; bytes: Uint8Array }[]) m.set(r.seq, r.bytes);
    return m;
  }

  addEntries(dev: string, rows: EntryRow[], now: number): void {
    for (const r of rows) this.s.entry!.run(dev, r.seq, r.type, r.t, r.bytes, r.sealedBy, now);
  }

  addSeal(dev: string, seq: number, t: number, bytes: Uint8Array): void { this.s.seal!.run(dev, seq, t, bytes); }

  advance(dev: string, a: { lastSeq: number; lastHash: Uint8Array; firstSeq: number; entries: number; duplicates: number }): void {
    this.s.advance!.run(a.lastSeq, a.lastHash, a.firstSeq, a.entries, a.duplicates, dev);
  }

  countDuplicates(dev: string, entries: number, replay: boolean): void { this.s.dup!.run(entries, replay ? 1 : 0, dev); }
  countRejected(dev: string): void { this.s.rejected!.run(dev); }

  /** Records an alert; an open one with the same (dev, kind, seq) is counted again instead of repeated. */
  raise(a: AlertInput, now: number): { id: number; repeated: boolean } {
    const found = this.s.alertFind!.get(a.dev, a.kind, a.seq) as { id: number } | undefined;
    if (found) { this.s.alertBump!.run(now, a.why, found.id); return { id: found.id, repeated: true }; }
    const r = this.s.alertAdd!.run(now, now, a.dev, a.fleet, a.kind, a.severity, a.source, a.seq, a.why, a.detail ? JSON.stringify(a.detail) : null);
    return { id: Number(r.lastInsertRowid), repeated: false };
  }

  resolveGaps(dev: string, upTo: number, now: number): number { return this.s.resolveGaps!.run(now, dev, upTo).changes; }

  park(dev: string, first: number, last: number, payload: Uint8Array, now: number, max: number): boolean {
    if ((this.s.parkedCount!.get(dev) as { n: number }).n >= max) return false;
    this.s.park!.run(dev, first, last, now, payload);
    return true;
  }
  parkedReady(dev: string, nextSeq: number): { first_seq: number; last_seq: number; payload: Uint8Array } | null {
    return (this.s.parkedReady!.get(dev, nextSeq) as { first_seq: number; last_seq: number; payload: Uint8Array } | undefined) ?? null;
  }
  unpark(dev: string, first: number, last: number): void { this.s.unpark!.run(dev, first, last); }

  /** A verified decision replaces whatever the decision topic said; a telemetry one never replaces. */
  decision(d: DecisionRow): void {
    const reasons = JSON.stringify(d.reasons);
    if (d.verified) {
      this.s.decVerified!.run(d.dev, d.seq, d.stage, d.ref, d.verdict, d.t, d.localDate, reasons);
      this.s.reasonsDel!.run(d.dev, d.seq);
    } else if (this.s.decTelemetry!.run(d.dev, d.seq, d.stage, d.ref, d.verdict, d.t, d.localDate, reasons).changes === 0) return;
    for (const r of d.reasons) {
      this.s.reasonAdd!.run(d.dev, d.seq, r.name, r.severity ?? null, d.stage, d.verdict, d.localDate, d.verified ? 1 : 0, r.params ? JSON.stringify(r.params) : null);
    }
  }

  /** Stored key-rotate entries of `dev` after seq `after` (stored means sealed, by the key before it). */
  rotationsAfter(dev: string, after: number): { seq: number; bytes: Uint8Array }[] {
    return this.s.rotations!.all(dev, after) as { seq: number; bytes: Uint8Array }[];
  }

  setOffset(dev: string, minutes: number): void { this.s.offset!.run(minutes, dev); }
  setOnline(dev: string, online: boolean, seenAt: number | null, birth: string | null): void { this.s.online!.run(online ? 1 : 0, seenAt, birth, dev); }
  setHealth(dev: string, json: string, now: number): void { this.s.health!.run(json, now, dev); }
  setAcked(dev: string, seq: number): void { this.s.acked!.run(seq, dev); }
  unacked(): { dev: string; fleet: string; last_seq: number }[] { return this.s.unacked!.all() as { dev: string; fleet: string; last_seq: number }[]; }

  /**
   * One tiny commit with synchronous=FULL: the WAL is fsynced, so every earlier (NORMAL) commit is
   * on disk too. Acks go out only after this: a terminal frees its journal on our word (SPEC §7).
   */
  syncDurable(now: number): void {
    this.db.pragma('synchronous = FULL');
    try { this.s.durable!.run(String(now)); } finally { this.db.pragma('synchronous = NORMAL'); }
  }

  close(): void { if (this.db.open) this.db.close(); }
}
