// The fleet store contract (SPEC §7): "Its store is SQLite by default (one file, no server) and
// PostgreSQL (`--db postgres://...`) where consumers run on several machines; the same store
// contract tests run against both." Everything the consumer, acks, report, serve, view and export
// need is a named, asynchronous operation here; no SQL leaves the two implementations
// (store-sqlite.ts, store-pg.ts, sharing their statements in store-sql.ts).

import { fail, type Result } from '../core/util/result';

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

/** A decision or result row of one day with the entry's bytes when it is verified (report, serve). */
export interface DayRow { seq: number; stage: 'preflight' | 'acquirer'; ref: string | null; verdict: string; t: number; verified: number; reasons: string; bytes: Uint8Array | null }
export interface TerminalState { dev: string; fleet: string | null; online: number | null; last_seen: number | null; last_seq: number; seq_acked: number; utc_offset_min: number | null; open: number }
export interface OpenAlert { id: number; t: number; dev: string | null; kind: string; severity: string; source: string; why: string | null; count: number }
export interface Snapshot {
  devices: { total: number; online: number; rows: { dev: string; online: number | null; last_seen: number | null; last_seq: number; seq_acked: number; duplicates: number; rejected: number }[] };
  reasons: { name: string; verdict: string; n: number }[];
  verdicts: { stage: string; verdict: string; n: number }[];
  alerts: { open: number; rows: { t: number; dev: string | null; kind: string; severity: string; why: string | null; count: number }[] };
}

export interface FleetStore {
  /** What the user named (a file, or the URL without its password), for messages. */
  readonly file: string;
  readonly kind: 'sqlite' | 'postgres';

  /**
   * Runs `fn` as one transaction; a `tx` inside it is a savepoint. On SQLite the whole file is
   * write-locked up front (BEGIN IMMEDIATE); on PostgreSQL `lockDevice` serialises a device's chain.
   */
  tx<T>(fn: () => Promise<T>): Promise<T>;
  /** Inside `tx`: no other consumer (process or machine) changes `dev`'s chain until the commit. */
  lockDevice(dev: string): Promise<void>;

  // ---- the consumer (ingest.ts) ----
  device(dev: string): Promise<DeviceState | null>;
  ensureDevice(dev: string, fleet: string | null, pubHex: string): Promise<void>;
  held(dev: string, from: number, to: number): Promise<Map<number, Uint8Array>>;
  addEntries(dev: string, rows: EntryRow[], now: number): Promise<void>;
  addSeal(dev: string, seq: number, t: number, bytes: Uint8Array): Promise<void>;
  advance(dev: string, a: { lastSeq: number; lastHash: Uint8Array; firstSeq: number; entries: number; duplicates: number }): Promise<void>;
  countDuplicates(dev: string, entries: number, replay: boolean): Promise<void>;
  countRejected(dev: string): Promise<void>;
  /** Records an alert; an open one with the same (dev, kind, seq) is counted again instead of repeated. */
  raise(a: AlertInput, now: number): Promise<{ id: number; repeated: boolean }>;
  resolveGaps(dev: string, upTo: number, now: number): Promise<number>;
  park(dev: string, first: number, last: number, payload: Uint8Array, now: number, max: number): Promise<boolean>;
  parkedReady(dev: string, nextSeq: number): Promise<{ first_seq: number; last_seq: number; payload: Uint8Array } | null>;
  unpark(dev: string, first: number, last: number): Promise<void>;
  /** A verified decision replaces whatever the decision topic said; a telemetry one never replaces. */
  decision(d: DecisionRow): Promise<void>;
  /** `decision` for many rows of one device, in a few statements (one batch's decisions). */
  decisions(ds: DecisionRow[]): Promise<void>;
  /** Stored key-rotate entries of `dev` after seq `after`. */
  rotationsAfter(dev: string, after: number): Promise<{ seq: number; bytes: Uint8Array }[]>;
  setOffset(dev: string, minutes: number): Promise<void>;
  setOnline(dev: string, online: boolean, seenAt: number | null, birth: string | null): Promise<void>;
  setHealth(dev: string, json: string, now: number): Promise<void>;

  // ---- acks (acks.ts) ----
  setAcked(dev: string, seq: number): Promise<void>;
  unacked(): Promise<{ dev: string; fleet: string; last_seq: number }[]>;
  /** Every commit so far survives a power cut once this resolves: acks go out only after it (SPEC §7). */
  syncDurable(now: number): Promise<void>;

  // ---- readers: report.ts, serve.ts, view.ts, export.ts ----
  knownDevices(limit: number): Promise<string[]>;
  /** Devices with a row, and senders not enrolled yet (an unknown-device alert), by name. */
  reportDevices(): Promise<string[]>;
  lastUnknownDevice(dev: string): Promise<{ t: number; last_t: number; count: number } | null>;
  dayVerdicts(dev: string, date: string): Promise<{ stage: string; verdict: string; verified: number; n: number }[]>;
  dayReasons(dev: string, date: string): Promise<{ name: string; stage: 'preflight' | 'acquirer'; severity: string | null; n: number; last: number }[]>;
  reasonParams(dev: string, seq: number, name: string): Promise<string | null>;
  /** The day's rows that were not plainly allowed or approved, by time. */
  dayFlagged(dev: string, date: string): Promise<DayRow[]>;
  /** The day's preflight decisions, by time. */
  dayDecisions(dev: string, date: string): Promise<DayRow[]>;
  entriesOfType(dev: string, type: string): Promise<{ seq: number; bytes: Uint8Array }[]>;
  lastEntryOfType(dev: string, type: string, beforeT: number): Promise<Uint8Array | null>;
  /** Holes between stored entries: [a, z] missing. */
  holes(dev: string): Promise<{ a: number; z: number }[]>;
  parkedSpan(dev: string): Promise<{ f: number | null; l: number | null }>;
  health(dev: string): Promise<string | null>;
  terminals(): Promise<TerminalState[]>;
  openAlerts(limit: number): Promise<OpenAlert[]>;
  latestDay(dev: string): Promise<string | null>;
  entries(dev: string, from: number, to: number): Promise<{ seq: number; type: string; bytes: Uint8Array }[]>;
  seals(dev: string, from: number, to: number): Promise<{ seq: number; bytes: Uint8Array }[]>;
  snapshot(maxRows: number): Promise<Snapshot>;

  close(): Promise<void>;
}

/** The contract's name where the code only needs a store. */
export type Store = FleetStore;

export interface OpenOptions { mustExist?: boolean; readOnly?: boolean }

export const isPostgresUrl = (db: string): boolean => /^postgres(ql)?:\/\//i.test(db);

/** `--db` as it may be printed: a URL without its password. */
export function shownDb(db: string): string {
  if (!/^[a-z][\w+.-]*:\/\//i.test(db)) return db;
  try { const u = new URL(db); if (u.password) u.password = '***'; return u.toString(); } catch { return db.replace(/\/\/[^@/]*@/, '//…@'); }
}

/**
 * `--db FILE` is SQLite, `--db postgres://USER@HOST:PORT/DB` (or postgresql://) is PostgreSQL.
 * Every failure (bad URL, no server, refused login, not a fleet store) is a value of one line.
 */
export async function openStore(db: string, opts: OpenOptions = {}): Promise<Result<FleetStore>> {
  if (isPostgresUrl(db)) {
    const { PgStore } = await import('./store-pg');
    return PgStore.open(db, opts);
  }
  if (/^[a-z][\w+.-]*:\/\//i.test(db)) return fail(`--db ${shownDb(db)}: not a store this knows: a SQLite file path, or postgres://USER@HOST:PORT/DB`);
  const { SqliteStore } = await import('./store-sqlite');
  return SqliteStore.open(db, opts);
}
