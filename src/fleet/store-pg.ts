// The fleet's PostgreSQL store (SPEC §7: "PostgreSQL (`--db postgres://...`) where consumers run on
// several machines"), on node-postgres. Consumers on different machines share one database:
// every transaction that changes a device's chain first takes that device's transaction-scoped
// advisory lock (`lockDevice`), so two of them never both extend it; READ COMMITTED then shows the
// one that waited everything the other committed. Nested transactions are savepoints. A failed
// transaction is rolled back and thrown: the transport then does not ack the message to its broker,
// which delivers it again.
//
// Durability before acks: our sessions run with synchronous_commit=on (set at connect, whatever
// the server's default), so a COMMIT returns only once its WAL record is flushed to disk. Every
// commit that returned is already power-safe, and `syncDurable` has nothing left to do.

import { AsyncLocalStorage } from 'node:async_hooks';
import pg from 'pg';
import { fail, ok, type Result } from '../core/util/result';
import { PG_SCHEMA, SCHEMA_VERSION } from './schema-pg';
import { SqlStore } from './store-sql';
import { shownDb, type OpenOptions } from './store';

const INT8 = 20;
// BIGINT columns (ms times, seqs, counts) as numbers, like SQLite gives them; all stay below 2^53.
const types = { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text'))) as typeof pg.types.getTypeParser };

/** One line for what went wrong reaching the server, from node-postgres' and the socket's errors. */
export function pgProblem(e: unknown, u: URL): string {
  const x = e as { code?: string; message?: string; errors?: { code?: string }[] };
  const code = x?.code ?? x?.errors?.find((y) => y.code)?.code;
  const where = `${u.hostname}:${u.port || 5432}`;
  if (code === 'ECONNREFUSED') return `no PostgreSQL server answers at ${where} (connection refused)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host ${u.hostname} not found`;
  if (code === 'ETIMEDOUT' || /timeout/i.test(x?.message ?? '')) return `no answer from ${where} in time`;
  if (code === '28P01' || code === '28000') return `the server refused the login: ${x.message}`;
  if (code === '3D000') return `${x.message} (create it first: createdb, or CREATE DATABASE)`;
  if (code === '25006') return `${x.message} (a read-only server or session)`;
  return (x?.message || code || String(e)).split('\n')[0]!;
}

export class PgStore extends SqlStore {
  readonly kind = 'postgres' as const;
  private inTx = new AsyncLocalStorage<{ client: pg.PoolClient; depth: number }>();
  private names = new Map<string, { name: string; text: string }>();

  private constructor(private pool: pg.Pool, readonly file: string) { super(); }

  static async open(url: string, opts: OpenOptions = {}): Promise<Result<PgStore>> {
    const shown = shownDb(url);
    let u: URL;
    try { u = new URL(url); } catch { return fail(`--db ${shown}: not a URL (postgres://USER@HOST:PORT/DATABASE)`); }
    if (!u.hostname || u.pathname.length < 2) return fail(`--db ${shown}: name the host and the database: postgres://USER@HOST:PORT/DATABASE`);
    const pool = new pg.Pool({
      connectionString: url, types, max: 4, connectionTimeoutMillis: 10_000, idleTimeoutMillis: 30_000,
      application_name: 'preflight-fleet',
      options: `-c synchronous_commit=on${opts.readOnly ? ' -c default_transaction_read_only=on' : ''}`,
    });
    pool.on('error', () => { /* an idle connection lost (server restart): the next query reconnects or fails in its own place */ });
    try {
      const c = await pool.connect();
      try {
        if (opts.readOnly || opts.mustExist) {
          const r = await c.query(`SELECT to_regclass('meta') IS NOT NULL AND to_regclass('devices') IS NOT NULL AS ok`);
          if (!r.rows[0].ok) { c.release(); await pool.end(); return fail(`database ${shown}: not a fleet store (no Preflight tables; \`preflight fleet consume --db ${shown}\` makes them)`); }
        } else {
          // Consumers started together on a new database would race on CREATE TABLE: one at a time.
          await c.query('BEGIN');
          await c.query(`SELECT pg_advisory_xact_lock(hashtextextended('preflight-fleet-schema', 0))`);
          await c.query(PG_SCHEMA);
          await c.query(`INSERT INTO meta (k, v) VALUES ('schema', $1) ON CONFLICT (k) DO NOTHING`, [String(SCHEMA_VERSION)]);
          await c.query('COMMIT');
        }
      } catch (e) { c.release(true); throw e; }
      c.release();
      return ok(new PgStore(pool, shown));
    } catch (e) {
      await pool.end().catch(() => {});
      return fail(`database ${shown}: ${pgProblem(e, u)}`);
    }
  }

  /** `?` placeholders numbered for PostgreSQL, as a named statement (parsed once per connection). */
  private statement(sql: string): { name: string; text: string } {
    let s = this.names.get(sql);
    if (!s) {
      let n = 0;
      s = { name: `pf${this.names.size}`, text: sql.replace(/\?/g, () => `$${++n}`) };
      this.names.set(sql, s);
    }
    return s;
  }

  private async query(sql: string, args: unknown[]): Promise<pg.QueryResult> {
    const values = args.map((a) => (a instanceof Uint8Array && !Buffer.isBuffer(a) ? Buffer.from(a.buffer, a.byteOffset, a.byteLength) : a));
    return (this.inTx.getStore()?.client ?? this.pool).query({ ...this.statement(sql), values });
  }

  protected async all<T>(sql: string, args: unknown[] = []): Promise<T[]> { return (await this.query(sql, args)).rows as T[]; }
  protected async run(sql: string, args: unknown[] = []): Promise<number> { return (await this.query(sql, args)).rowCount ?? 0; }

  async tx<T>(fn: () => Promise<T>): Promise<T> {
    const cur = this.inTx.getStore();
    if (cur) {
      const sp = `sp${++cur.depth}`;
      await cur.client.query(`SAVEPOINT ${sp}`);
      try { const r = await fn(); await cur.client.query(`RELEASE SAVEPOINT ${sp}`); return r; } catch (e) {
        await cur.client.query(`ROLLBACK TO SAVEPOINT ${sp}`);
        throw e;
      } finally { cur.depth--; }
    }
    const client = await this.pool.connect();
    let broken = false;
    try {
      await client.query('BEGIN');
      const r = await this.inTx.run({ client, depth: 0 }, fn);
      await client.query('COMMIT');
      return r;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => { broken = true; });
      throw e;
    } finally { client.release(broken); }
  }

  async lockDevice(dev: string): Promise<void> {
    if (!this.inTx.getStore()) throw new Error('lockDevice outside a transaction');
    await this.query(`SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, [`preflight-device:${dev}`]);
  }

  /** Nothing to do: with synchronous_commit=on every commit that returned is on disk already (see the top). */
  async syncDurable(_now: number): Promise<void> {}

  async close(): Promise<void> { await this.pool.end(); }
}
