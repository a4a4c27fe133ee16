// The statements of the fleet store (store.ts), written once in the SQL that SQLite 3.39+ and
// PostgreSQL both speak (ON CONFLICT, RETURNING, IS NOT DISTINCT FROM, window functions), with `?`
// placeholders. Each backend runs them through its three primitives: store-sqlite.ts prepares them
// on better-sqlite3; store-pg.ts numbers the placeholders ($1..) for node-postgres.

import type { AlertInput, DayRow, DecisionRow, DeviceState, EntryRow, FleetStore, OpenAlert, Snapshot, TerminalState } from './store';

/** Rows in groups small enough for one statement's parameters (SQLite allows 32,766; PostgreSQL 65,535). */
function chunks<T>(rows: T[], size = 64): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

export abstract class SqlStore implements FleetStore {
  abstract readonly file: string;
  abstract readonly kind: 'sqlite' | 'postgres';
  abstract tx<T>(fn: () => Promise<T>): Promise<T>;
  abstract lockDevice(dev: string): Promise<void>;
  abstract syncDurable(now: number): Promise<void>;
  abstract close(): Promise<void>;
  /** Rows of one statement (on the current transaction's connection, if any). */
  protected abstract all<T>(sql: string, args?: unknown[]): Promise<T[]>;
  /** Rows changed by one statement. */
  protected abstract run(sql: string, args?: unknown[]): Promise<number>;

  protected async get<T>(sql: string, args: unknown[] = []): Promise<T | null> { return (await this.all<T>(sql, args))[0] ?? null; }

  device(dev: string): Promise<DeviceState | null> { return this.get(`SELECT * FROM devices WHERE dev = ?`, [dev]); }

  async ensureDevice(dev: string, fleet: string | null, pubHex: string): Promise<void> {
    await this.run(`INSERT INTO devices (dev, fleet, pub) VALUES (?, ?, ?)
      ON CONFLICT (dev) DO UPDATE SET fleet = COALESCE(excluded.fleet, devices.fleet), pub = excluded.pub`, [dev, fleet, pubHex]);
  }

  async held(dev: string, from: number, to: number): Promise<Map<number, Uint8Array>> {
    const m = new Map<number, Uint8Array>();
    for (const r of await this.all<{ seq: number; bytes: Uint8Array }>(`SELECT seq, bytes FROM entries WHERE dev = ? AND seq BETWEEN ? AND ?`, [dev, from, to])) m.set(r.seq, r.bytes);
    return m;
  }

  /** One statement per batch (each is a round trip to a PostgreSQL server). */
  async addEntries(dev: string, rows: EntryRow[], now: number): Promise<void> {
    for (const part of chunks(rows)) {
      await this.run(`INSERT INTO entries (dev, seq, type, t, bytes, verified, sealed_by, received) VALUES ${part.map(() => '(?, ?, ?, ?, ?, 1, ?, ?)').join(', ')}`,
        part.flatMap((r) => [dev, r.seq, r.type, r.t, r.bytes, r.sealedBy, now]));
    }
  }

  async addSeal(dev: string, seq: number, t: number, bytes: Uint8Array): Promise<void> {
    await this.run(`INSERT INTO seals (dev, seq, t, bytes) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, [dev, seq, t, bytes]);
  }

  async advance(dev: string, a: { lastSeq: number; lastHash: Uint8Array; firstSeq: number; entries: number; duplicates: number }): Promise<void> {
    await this.run(`UPDATE devices SET last_seq = ?, last_hash = ?, first_seq = COALESCE(first_seq, ?),
      entries = entries + ?, batches = batches + 1, duplicates = duplicates + ? WHERE dev = ?`, [a.lastSeq, a.lastHash, a.firstSeq, a.entries, a.duplicates, dev]);
  }

  async countDuplicates(dev: string, entries: number, replay: boolean): Promise<void> {
    await this.run(`UPDATE devices SET duplicates = duplicates + ?, replays = replays + ? WHERE dev = ?`, [entries, replay ? 1 : 0, dev]);
  }
  async countRejected(dev: string): Promise<void> { await this.run(`UPDATE devices SET rejected = rejected + 1 WHERE dev = ?`, [dev]); }

  async raise(a: AlertInput, now: number): Promise<{ id: number; repeated: boolean }> {
    const found = await this.get<{ id: number }>(`SELECT id FROM alerts WHERE dev IS NOT DISTINCT FROM ? AND kind = ? AND seq IS NOT DISTINCT FROM ? AND resolved IS NULL ORDER BY id DESC LIMIT 1`, [a.dev, a.kind, a.seq]);
    if (found) {
      await this.run(`UPDATE alerts SET count = count + 1, last_t = ?, why = ? WHERE id = ?`, [now, a.why, found.id]);
      return { id: Number(found.id), repeated: true };
    }
    const r = await this.get<{ id: number }>(`INSERT INTO alerts (t, last_t, dev, fleet, kind, severity, source, seq, why, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [now, now, a.dev, a.fleet, a.kind, a.severity, a.source, a.seq, a.why, a.detail ? JSON.stringify(a.detail) : null]);
    return { id: Number(r!.id), repeated: false };
  }

  resolveGaps(dev: string, upTo: number, now: number): Promise<number> {
    return this.run(`UPDATE alerts SET resolved = ? WHERE dev = ? AND kind = 'gap' AND resolved IS NULL AND seq <= ?`, [now, dev, upTo]);
  }

  async park(dev: string, first: number, last: number, payload: Uint8Array, now: number, max: number): Promise<boolean> {
    const n = await this.get<{ n: number }>(`SELECT count(*) AS n FROM parked WHERE dev = ?`, [dev]);
    if (n!.n >= max) return false;
    await this.run(`INSERT INTO parked (dev, first_seq, last_seq, t, payload) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, [dev, first, last, now, payload]);
    return true;
  }
  parkedReady(dev: string, nextSeq: number): Promise<{ first_seq: number; last_seq: number; payload: Uint8Array } | null> {
    return this.get(`SELECT first_seq, last_seq, payload FROM parked WHERE dev = ? AND first_seq <= ? ORDER BY first_seq LIMIT 1`, [dev, nextSeq]);
  }
  async unpark(dev: string, first: number, last: number): Promise<void> {
    await this.run(`DELETE FROM parked WHERE dev = ? AND first_seq = ? AND last_seq = ?`, [dev, first, last]);
  }

  decision(d: DecisionRow): Promise<void> { return this.decisions([d]); }

  async decisions(all: DecisionRow[]): Promise<void> {
    const row = (d: DecisionRow) => [d.dev, d.seq, d.stage, d.ref, d.verdict, d.t, d.localDate, JSON.stringify(d.reasons)];
    const written: DecisionRow[] = [];
    const verified = all.filter((d) => d.verified), previews = all.filter((d) => !d.verified);
    for (const part of chunks(verified)) {
      await this.run(`INSERT INTO decisions (dev, seq, stage, ref, verdict, t, local_date, verified, reasons) VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?, 1, ?)').join(', ')}
        ON CONFLICT (dev, seq) DO UPDATE SET stage = excluded.stage, ref = excluded.ref, verdict = excluded.verdict, t = excluded.t,
        local_date = excluded.local_date, verified = 1, reasons = excluded.reasons`, part.flatMap(row));
      if (part.some((d) => d.dev !== part[0]!.dev)) throw new Error('decisions: rows of one device at a time');
      await this.run(`DELETE FROM decision_reasons WHERE dev = ? AND seq IN (${part.map(() => '?').join(', ')})`, [part[0]!.dev, ...part.map((d) => d.seq)]);
      written.push(...part);
    }
    for (const d of previews) {
      if (await this.run(`INSERT INTO decisions (dev, seq, stage, ref, verdict, t, local_date, verified, reasons) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?) ON CONFLICT DO NOTHING`, row(d))) written.push(d);
    }
    const reasons = written.flatMap((d) => d.reasons.map((r) => [d.dev, d.seq, r.name, r.severity ?? null, d.stage, d.verdict, d.localDate, d.verified ? 1 : 0, r.params ? JSON.stringify(r.params) : null]));
    for (const part of chunks(reasons)) {
      await this.run(`INSERT INTO decision_reasons (dev, seq, name, severity, stage, verdict, local_date, verified, params) VALUES ${part.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
        ON CONFLICT DO NOTHING`, part.flat());
    }
  }

  rotationsAfter(dev: string, after: number): Promise<{ seq: number; bytes: Uint8Array }[]> {
    return this.all(`SELECT seq, bytes FROM entries WHERE dev = ? AND seq > ? AND type = 'key-rotate' ORDER BY seq`, [dev, after]);
  }

  async setOffset(dev: string, minutes: number): Promise<void> { await this.run(`UPDATE devices SET utc_offset_min = ? WHERE dev = ?`, [minutes, dev]); }
  async setOnline(dev: string, online: boolean, seenAt: number | null, birth: string | null): Promise<void> {
    await this.run(`UPDATE devices SET online = ?, last_seen = COALESCE(?, last_seen), birth = COALESCE(?, birth) WHERE dev = ?`, [online ? 1 : 0, seenAt, birth, dev]);
  }
  async setHealth(dev: string, json: string, now: number): Promise<void> { await this.run(`UPDATE devices SET health = ?, last_seen = ? WHERE dev = ?`, [json, now, dev]); }
  async setAcked(dev: string, seq: number): Promise<void> { await this.run(`UPDATE devices SET seq_acked = ? WHERE dev = ? AND seq_acked < ?`, [seq, dev, seq]); }
  unacked(): Promise<{ dev: string; fleet: string; last_seq: number }[]> {
    return this.all(`SELECT dev, fleet, last_seq FROM devices WHERE last_seq > seq_acked AND fleet IS NOT NULL ORDER BY dev`);
  }

  // ---- readers ----

  async knownDevices(limit: number): Promise<string[]> {
    return (await this.all<{ dev: string }>(`SELECT dev FROM devices ORDER BY dev LIMIT ?`, [limit])).map((r) => r.dev);
  }
  async reportDevices(): Promise<string[]> {
    return (await this.all<{ dev: string }>(`SELECT dev FROM devices UNION SELECT dev FROM alerts WHERE kind = 'unknown-device' AND dev IS NOT NULL ORDER BY dev`)).map((x) => x.dev);
  }
  lastUnknownDevice(dev: string): Promise<{ t: number; last_t: number; count: number } | null> {
    return this.get(`SELECT t, last_t, count FROM alerts WHERE dev = ? AND kind = 'unknown-device' ORDER BY id DESC LIMIT 1`, [dev]);
  }
  dayVerdicts(dev: string, date: string): Promise<{ stage: string; verdict: string; verified: number; n: number }[]> {
    return this.all(`SELECT stage, verdict, verified, count(*) AS n FROM decisions WHERE dev = ? AND local_date = ? GROUP BY stage, verdict, verified ORDER BY stage, verdict, verified`, [dev, date]);
  }
  dayReasons(dev: string, date: string): Promise<{ name: string; stage: 'preflight' | 'acquirer'; severity: string | null; n: number; last: number }[]> {
    return this.all(`SELECT name, stage, max(severity) AS severity, count(*) AS n, max(seq) AS last FROM decision_reasons
      WHERE dev = ? AND local_date = ? AND verified = 1 GROUP BY name, stage ORDER BY n DESC, name, stage`, [dev, date]);
  }
  async reasonParams(dev: string, seq: number, name: string): Promise<string | null> {
    return (await this.get<{ params: string | null }>(`SELECT params FROM decision_reasons WHERE dev = ? AND seq = ? AND name = ?`, [dev, seq, name]))?.params ?? null;
  }
  dayFlagged(dev: string, date: string): Promise<DayRow[]> {
    return this.all(`SELECT d.seq, d.stage, d.ref, d.verdict, d.t, d.verified, d.reasons, e.bytes FROM decisions d
      LEFT JOIN entries e ON e.dev = d.dev AND e.seq = d.seq AND d.verified = 1
      WHERE d.dev = ? AND d.local_date = ? AND d.verdict NOT IN ('allow', 'approved') ORDER BY d.t, d.seq`, [dev, date]);
  }
  dayDecisions(dev: string, date: string): Promise<DayRow[]> {
    return this.all(`SELECT x.seq, x.stage, x.ref, x.verdict, x.t, x.verified, x.reasons, e.bytes FROM decisions x
      LEFT JOIN entries e ON e.dev = x.dev AND e.seq = x.seq AND x.verified = 1
      WHERE x.dev = ? AND x.local_date = ? AND x.stage = 'preflight' ORDER BY x.t, x.seq`, [dev, date]);
  }
  entriesOfType(dev: string, type: string): Promise<{ seq: number; bytes: Uint8Array }[]> {
    return this.all(`SELECT seq, bytes FROM entries WHERE dev = ? AND type = ? ORDER BY seq`, [dev, type]);
  }
  async lastEntryOfType(dev: string, type: string, beforeT: number): Promise<Uint8Array | null> {
    return (await this.get<{ bytes: Uint8Array }>(`SELECT bytes FROM entries WHERE dev = ? AND type = ? AND t < ? ORDER BY seq DESC LIMIT 1`, [dev, type, beforeT]))?.bytes ?? null;
  }
  holes(dev: string): Promise<{ a: number; z: number }[]> {
    return this.all(`SELECT prev + 1 AS a, seq - 1 AS z FROM (SELECT seq, LAG(seq) OVER (ORDER BY seq) AS prev FROM entries WHERE dev = ?) AS s
      WHERE seq - prev > 1 ORDER BY seq`, [dev]);
  }
  async parkedSpan(dev: string): Promise<{ f: number | null; l: number | null }> {
    return (await this.get<{ f: number | null; l: number | null }>(`SELECT min(first_seq) AS f, max(last_seq) AS l FROM parked WHERE dev = ?`, [dev])) ?? { f: null, l: null };
  }
  async health(dev: string): Promise<string | null> {
    return (await this.get<{ health: string | null }>(`SELECT health FROM devices WHERE dev = ?`, [dev]))?.health ?? null;
  }
  terminals(): Promise<TerminalState[]> {
    return this.all(`SELECT d.dev, d.fleet, d.online, d.last_seen, d.last_seq, d.seq_acked, d.utc_offset_min,
      (SELECT count(*) FROM alerts a WHERE a.dev = d.dev AND a.resolved IS NULL AND a.severity <> 'info') AS open
      FROM devices d ORDER BY d.dev`);
  }
  openAlerts(limit: number): Promise<OpenAlert[]> {
    return this.all(`SELECT id, last_t AS t, dev, kind, severity, source, why, count FROM alerts
      WHERE resolved IS NULL AND severity <> 'info' ORDER BY last_t DESC, id DESC LIMIT ?`, [limit]);
  }
  async latestDay(dev: string): Promise<string | null> {
    return (await this.get<{ d: string | null }>(`SELECT max(local_date) AS d FROM decisions WHERE dev = ?`, [dev]))?.d ?? null;
  }
  entries(dev: string, from: number, to: number): Promise<{ seq: number; type: string; bytes: Uint8Array }[]> {
    return this.all(`SELECT seq, type, bytes FROM entries WHERE dev = ? AND seq BETWEEN ? AND ? ORDER BY seq`, [dev, from, to]);
  }
  seals(dev: string, from: number, to: number): Promise<{ seq: number; bytes: Uint8Array }[]> {
    return this.all(`SELECT seq, bytes FROM seals WHERE dev = ? AND seq BETWEEN ? AND ? ORDER BY seq`, [dev, from, to]);
  }

  async snapshot(maxRows: number): Promise<Snapshot> {
    const n = async (sql: string) => (await this.get<{ n: number }>(sql))!.n;
    return {
      devices: {
        total: await n(`SELECT count(*) AS n FROM devices`),
        online: await n(`SELECT count(*) AS n FROM devices WHERE online = 1`),
        rows: await this.all(`SELECT dev, online, last_seen, last_seq, seq_acked, duplicates, rejected FROM devices ORDER BY COALESCE(last_seen, 0) DESC, dev LIMIT ?`, [maxRows]),
      },
      reasons: await this.all(`SELECT name, verdict, count(*) AS n FROM decision_reasons WHERE stage = 'preflight' AND verdict IN ('deny', 'review')
        GROUP BY name, verdict ORDER BY n DESC, name LIMIT ?`, [maxRows]),
      verdicts: await this.all(`SELECT stage, verdict, count(*) AS n FROM decisions GROUP BY stage, verdict ORDER BY stage DESC, n DESC, verdict`),
      alerts: {
        open: await n(`SELECT count(*) AS n FROM alerts WHERE resolved IS NULL AND severity <> 'info'`),
        rows: await this.all(`SELECT last_t AS t, dev, kind, severity, why, count FROM alerts WHERE resolved IS NULL AND severity <> 'info' ORDER BY last_t DESC, id DESC LIMIT ?`, [maxRows]),
      },
    };
  }
}
