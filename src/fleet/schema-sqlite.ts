// The consumer's SQLite tables (SPEC §7: store verified records, flag gaps, forks and replays); schema-pg.ts has the same for PostgreSQL.
// `entries` holds only records whose covering seal verified; anything else is an `alerts` row or,
// for an authentic batch that arrived ahead of a gap, a `parked` row that is not trusted yet.

export const SCHEMA_VERSION = 1;

export const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS devices (
  dev TEXT PRIMARY KEY,
  fleet TEXT,
  pub TEXT NOT NULL,                      -- registry key (hex) the stored entries verified against
  online INTEGER,                         -- 1 birth, 0 Last Will or clean offline, NULL never heard
  last_seen INTEGER,                      -- consumer's wall clock (ms) of the last live message
  first_seq INTEGER,                      -- first stored seq (1 unless the history began later)
  last_seq INTEGER NOT NULL DEFAULT 0,    -- highest seq stored contiguously (always sealed)
  last_hash BLOB,                         -- chain hash of entry last_seq: prev of the next
  seq_acked INTEGER NOT NULL DEFAULT 0,   -- highest seq a signed ack was sent for
  entries INTEGER NOT NULL DEFAULT 0,
  batches INTEGER NOT NULL DEFAULT 0,
  duplicates INTEGER NOT NULL DEFAULT 0,  -- entries dropped because (dev, seq) was already held
  replays INTEGER NOT NULL DEFAULT 0,     -- batches made only of held entries
  rejected INTEGER NOT NULL DEFAULT 0,    -- batches refused (alerted)
  utc_offset_min INTEGER,                 -- learned from verified decisions (local date of telemetry)
  birth TEXT,                             -- last status birth (JSON)
  health TEXT                             -- last heartbeat (JSON)
);
CREATE TABLE IF NOT EXISTS entries (
  dev TEXT NOT NULL, seq INTEGER NOT NULL,
  type TEXT NOT NULL, t INTEGER NOT NULL,
  bytes BLOB NOT NULL,                    -- exactly as the terminal stored and sent them (SPEC §6)
  verified INTEGER NOT NULL,              -- 1: chain and covering seal verified
  sealed_by INTEGER NOT NULL,             -- seq of the seal that covers it
  received INTEGER NOT NULL,
  PRIMARY KEY (dev, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seals (
  dev TEXT NOT NULL, seq INTEGER NOT NULL, t INTEGER NOT NULL, bytes BLOB NOT NULL,
  PRIMARY KEY (dev, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS decisions (
  dev TEXT NOT NULL, seq INTEGER NOT NULL,
  stage TEXT NOT NULL,                    -- preflight (decision entry) or acquirer (result entry)
  ref TEXT, verdict TEXT NOT NULL,        -- allow|review|deny, or the result's outcome
  t INTEGER NOT NULL, local_date TEXT,
  verified INTEGER NOT NULL,              -- 1 from a verified journal entry, 0 from the decision topic
  reasons TEXT NOT NULL,                  -- JSON [{name, severity, params}]
  PRIMARY KEY (dev, seq)
);
CREATE TABLE IF NOT EXISTS decision_reasons (
  dev TEXT NOT NULL, seq INTEGER NOT NULL, name TEXT NOT NULL,
  severity TEXT, stage TEXT NOT NULL, verdict TEXT NOT NULL, local_date TEXT, verified INTEGER NOT NULL,
  params TEXT,
  PRIMARY KEY (dev, seq, name)
);
CREATE INDEX IF NOT EXISTS decision_reasons_day ON decision_reasons (dev, local_date);
CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY,
  t INTEGER NOT NULL, last_t INTEGER NOT NULL, count INTEGER NOT NULL DEFAULT 1,
  dev TEXT, fleet TEXT,
  kind TEXT NOT NULL, severity TEXT NOT NULL,   -- info|warn|critical
  source TEXT NOT NULL,                   -- consumer (raised here) or device (the alert topic)
  seq INTEGER, why TEXT, detail TEXT,
  resolved INTEGER                        -- ms when it stopped applying (a gap filled), else NULL
);
CREATE INDEX IF NOT EXISTS alerts_key ON alerts (dev, kind, seq);
CREATE TABLE IF NOT EXISTS parked (
  dev TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
  t INTEGER NOT NULL, payload BLOB NOT NULL,  -- a device-signed batch waiting for the gap before it
  PRIMARY KEY (dev, first_seq, last_seq)
);
`;
