// The fleet's SQLite store (SPEC §7: the default, one file, no server; better-sqlite3, WAL). Several
// consumers may share one file: every change to a device's chain runs inside BEGIN IMMEDIATE, so two
// of them never both extend it. Commits are crash-safe (WAL, synchronous=NORMAL); `syncDurable`
// makes them power-safe before acks. better-sqlite3 is synchronous; the contract (store.ts) is not:
// a transaction spans awaits, so this process's callers take turns on the one connection.

import { AsyncLocalStorage } from 'node:async_hooks';
import Database from 'better-sqlite3';
import { fail, ok, type Result } from '../core/util/result';
import { SCHEMA, SCHEMA_VERSION } from './schema-sqlite';
import { SqlStore } from './store-sql';
import type { OpenOptions } from './store';

export class SqliteStore extends SqlStore {
  readonly kind = 'sqlite' as const;
  private statements = new Map<string, Database.Statement>();
  /** The transaction this async flow is inside (its savepoint depth). */
  private inTx = new AsyncLocalStorage<{ depth: number }>();
  private turn: Promise<void> = Promise.resolve();

  private constructor(readonly db: Database.Database, readonly file: string, readOnly = false) {
    super();
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
  }

  /** Opens (creating if needed) the database file; a file that is not SQLite is a value, not a throw. */
  static open(file: string, opts: { mustExist?: boolean; readOnly?: boolean } = {}): Result<SqliteStore> {
    let db: Database.Database | null = null;
    try {
      db = new Database(file, { timeout: 15_000, fileMustExist: !!opts.mustExist || !!opts.readOnly, readonly: !!opts.readOnly });
      // Readers (report, export, serve) never write: a file that is not a fleet store is refused, not given one.
      if (opts.readOnly && !db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'`).get()) {
        db.close();
        return fail(`database ${file}: not a fleet store (no Preflight tables; \`preflight fleet consume --db ${file}\` makes one)`);
      }
      return ok(new SqliteStore(db, file, !!opts.readOnly));
    } catch (e) {
      db?.close();
      return fail(`database ${file}: ${(e as Error).message}`);
    }
  }

  /** Outside a transaction, waits for the one in flight (another async flow's) to end first. */
  private mine<T>(fn: () => T | Promise<T>): Promise<T> {
    if (this.inTx.getStore()) return Promise.resolve().then(fn);
    const before = this.turn;
    let done!: () => void;
    this.turn = new Promise<void>((r) => { done = r; });
    return before.then(fn).finally(done);
  }

  private statement(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (!s) { s = this.db.prepare(sql); this.statements.set(sql, s); }
    return s;
  }

  protected all<T>(sql: string, args: unknown[] = []): Promise<T[]> {
    const go = () => this.statement(sql).all(...args) as T[];
    // A write that returns rows (INSERT ... RETURNING) takes the write lock like any other write.
    return this.inTx.getStore() || /^\s*SELECT/i.test(sql) ? this.mine(go) : this.tx(async () => go());
  }

  /** A write outside a transaction is one of its own: it takes the write lock the same (yielding) way. */
  protected run(sql: string, args: unknown[] = []): Promise<number> {
    const go = () => { const s = this.statement(sql); return s.reader ? s.all(...args).length : s.run(...args).changes; };
    return this.inTx.getStore() ? this.mine(go) : this.tx(async () => go());
  }

  /**
   * BEGIN IMMEDIATE without SQLite's busy wait: that wait would block this thread, and with it a
   * transaction of this same process (another connection, awaiting) that holds the lock. Retried
   * from the event loop instead, for as long as the busy timeout (15 s).
   */
  private async begin(): Promise<void> {
    const end = Date.now() + 15_000;
    for (let wait = 1; ; wait = Math.min(wait * 2, 40)) {
      this.db.pragma('busy_timeout = 0');
      try { this.db.exec('BEGIN IMMEDIATE'); return; } catch (e) {
        if (!String((e as { code?: string }).code).startsWith('SQLITE_BUSY') || Date.now() > end) throw e;
      } finally { this.db.pragma('busy_timeout = 15000'); }
      await new Promise((r) => setTimeout(r, wait + Math.random() * wait));
    }
  }

  /** BEGIN IMMEDIATE (the write lock taken up front: the chain check and its write are one step); nested: a savepoint. */
  tx<T>(fn: () => Promise<T>): Promise<T> { return this.top(fn, false); }

  private async top<T>(fn: () => Promise<T>, durable: boolean): Promise<T> {
    const cur = this.inTx.getStore();
    if (cur) {
      const sp = `sp${++cur.depth}`;
      this.db.exec(`SAVEPOINT ${sp}`);
      try { const r = await fn(); this.db.exec(`RELEASE ${sp}`); return r; } catch (e) { this.db.exec(`ROLLBACK TO ${sp}; RELEASE ${sp}`); throw e; } finally { cur.depth--; }
    }
    // The safety level changes only outside a transaction: FULL for this one commit (syncDurable).
    return this.mine(() => this.inTx.run({ depth: 0 }, async () => {
      if (durable) this.db.pragma('synchronous = FULL');
      try {
        await this.begin();
        const r = await fn();
        this.db.exec('COMMIT');
        return r;
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw e;
      } finally { if (durable) this.db.pragma('synchronous = NORMAL'); }
    }));
  }

  /** BEGIN IMMEDIATE already holds the whole file's write lock. */
  async lockDevice(_dev: string): Promise<void> {}

  /**
   * One tiny commit with synchronous=FULL: the WAL is fsynced, so every earlier (NORMAL) commit is
   * on disk too. Acks go out only after this: a terminal frees its journal on our word (SPEC §7).
   */
  async syncDurable(now: number): Promise<void> {
    await this.top(async () => { this.statement(`INSERT INTO meta (k, v) VALUES ('durable', ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v`).run(String(now)); }, true);
  }

  async close(): Promise<void> { await this.mine(() => { if (this.db.open) this.db.close(); }); }
}
