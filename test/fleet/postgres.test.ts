// The fleet on PostgreSQL (SPEC §7: `--db postgres://...` where consumers run on several machines):
// the same messages go into a SQLite file and a PostgreSQL database (a server started here), and
// `fleet report`, `fleet export` and `fleet serve` give the same answers from both; every way of
// getting the URL, the server or the database wrong is one line and exit 2, never a stack trace,
// and never the password.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispatch } from '../../src/cli/dispatch';
import { encode } from '../../src/core/codec/cbor';
import { rec } from '../../src/core/journal/records';
import { healthBody, previewBody } from '../../src/core/telemetry/wire';
import { Ingest } from '../../src/fleet/ingest';
import { Registry } from '../../src/fleet/registry';
import { openStore } from '../../src/fleet/store';
import { GenTerminal } from '../../src/fleet/journal-gen';
import { useNativeCrypto } from '../../src/fleet/native';
import { cli, usageError } from '../helpers/cli';
import { freePort } from './helpers/brokers';
import { startPostgres, type Postgres } from './helpers/postgres';
import pgClient from 'pg';
import { makeFleet, type Fleet } from './helpers/terminals';

useNativeCrypto();
const T0 = Date.UTC(2026, 2, 2, 9, 0);
let dir: string, fleet: Fleet, pg: Postgres, sqlite: string, postgres: string;
const servers: ChildProcess[] = [];

/** One set of messages (gaps, parked batches, flash damage, previews, a stranger) into a store. */
async function feed(db: string): Promise<void> {
  const st = await openStore(db);
  if (!st.ok) throw new Error(st.error);
  const ing = new Ingest({ store: st.value, registry: new Registry(fleet.registry), now: () => T0 });
  const [a, b, c] = fleet.terminals;
  await ing.handle(`preflight/v1/demo/${a!.dev}/status`, encode({ online: true, dev: a!.dev }));
  await ing.handle(`preflight/v1/demo/${a!.dev}/decision`, encode(previewBody(60, 'LIVE', 'deny', [{ name: 'HOURS_CLOSED' }], a!.gen.startMs + 60 * 60_000)));
  for (const p of a!.gen.batches()) await ing.handle(`preflight/v1/demo/${a!.dev}/journal`, p);
  await ing.handle(`preflight/v1/demo/${a!.dev}/health`, encode(healthBody({ seq: 50, unsealed: 2 })));
  const bb = b!.gen.batches();
  await ing.handle(`preflight/v1/demo/${b!.dev}/journal`, bb[0]!);
  await ing.handle(`preflight/v1/demo/${b!.dev}/journal`, bb[2]!);
  await ing.handle(`preflight/v1/demo/${b!.dev}/journal`, bb[0]!);   // a replay
  for (const p of c!.gen.batches()) await ing.handle(`preflight/v1/demo/${c!.dev}/journal`, p);
  const stranger = new GenTerminal('T-0404');
  stranger.decisions(3);
  for (const p of stranger.batches()) await ing.handle(`preflight/v1/demo/T-0404/journal`, p);
  await st.value.close();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-fleet-pg-'));
  fleet = makeFleet(dir, 3, { decisions: 48 });
  const c = fleet.terminals[2]!;
  c.gen.journal.append(rec.flashDamage({ lost: [[20, 21]], cause: 'CRC mismatch in segment 1', unverifiable: [] }), c.gen.startMs + 49 * 60_000);
  c.gen.decisions(1);
  pg = await startPostgres();
  sqlite = join(dir, 'fleet.sqlite');
  postgres = await pg.database();
  await feed(sqlite);
  await feed(postgres);
}, 120_000);
afterAll(async () => {
  for (const s of servers) s.kill('SIGTERM');
  await pg?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  try { return { code: await dispatch(['fleet', ...argv], (s) => { out += s + '\n'; }), out }; } finally { spy.mockRestore(); }
}
const report = async (db: string, ...more: string[]) => {
  const r = await run(['report', '--db', db, '--date', '2026-03-02', '--json', '--lang', 'en', ...more]);
  expect(r.code).toBe(0);
  return JSON.parse(r.out);
};

describe('the same answers from SQLite and PostgreSQL', () => {
  it('fleet report, per terminal and fleet-wide', async () => {
    const fleetWide = await report(postgres);
    expect(fleetWide).toEqual(await report(sqlite));
    expect(fleetWide.terminals.map((t: any) => [t.dev, t.enrolled, t.online])).toEqual([['T-0001', true, true], ['T-0002', true, null], ['T-0003', true, null], ['T-0404', false, null]]);
    for (const dev of ['T-0001', 'T-0002', 'T-0003', 'T-0404']) expect(await report(postgres, '--dev', dev)).toEqual(await report(sqlite, '--dev', dev));
    const b = await report(postgres, '--dev', 'T-0002');
    expect(b.gaps.map((g: any) => [g.cause, g.from, g.to])).toEqual([['missing', 17, 32], ['unacknowledged', 1, 16]]);
    const a = await report(postgres, '--dev', 'T-0001');
    expect(a).toMatchObject({ offset: '+08:00', preflight: { allow: 16, deny: 24, review: 8 }, unverified: 1 });
    expect(a.previews.map((p: any) => p.ref)).toEqual(['LIVE']);
    expect((await report(postgres, '--dev', 'T-0003')).gaps[0]).toMatchObject({ cause: 'damaged', from: 20, to: 21 });
    // Text too: the same lines, in the same order (names sort bytewise on both).
    const text = async (db: string) => (await run(['report', '--db', db, '--date', '2026-03-02', '--lang', 'en'])).out;
    expect(await text(postgres)).toBe(await text(sqlite));
  });

  it('fleet export: the same bytes (postgres:// and postgresql:// alike)', async () => {
    const out = (n: string) => join(dir, n);
    expect((await run(['export', '--db', sqlite, '--dev', 'T-0003', '--out', out('s.cbor')])).code).toBe(0);
    expect((await run(['export', '--db', postgres.replace(/^postgres:/, 'postgresql:'), '--dev', 'T-0003', '--out', out('p.cbor')])).code).toBe(0);
    const s = readFileSync(out('s.cbor')), p = readFileSync(out('p.cbor'));
    expect(p.length).toBeGreaterThan(2_000);
    expect(p.equals(s)).toBe(true);
  });

  it('fleet serve: the same JSON API and pages', async () => {
    const serve = async (db: string) => {
      const s = spawn('node', ['bin/preflight.js', 'fleet', 'serve', '--db', db, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
      servers.push(s);
      return new Promise<string>((res, rej) => {
        let out = '', err = '';
        s.stdout!.on('data', (d: Buffer) => { out += d; const m = /"url":"([^"]+)"/.exec(out); if (m) res(m[1]!); });
        s.stderr!.on('data', (d: Buffer) => { err += d; });
        s.once('exit', (code) => rej(new Error(`serve exited ${code}: ${err}`)));
      });
    };
    const [su, pu] = await Promise.all([serve(sqlite), serve(postgres)]);
    for (const path of ['api/terminals', 'api/alerts', 'api/gaps?lang=en', 'api/terminals/T-0001/day?date=2026-03-02', '?lang=en', 't/T-0001?date=2026-03-02']) {
      const [x, y] = await Promise.all([fetch(su + path).then((r) => r.text()), fetch(pu + path).then((r) => r.text())]);
      expect(y, path).toBe(x);
    }
    const terminals = await fetch(pu + 'api/terminals').then((r) => r.json()) as any[];
    expect(terminals.map((t: any) => [t.dev, t.stored])).toEqual([['T-0001', 48], ['T-0002', 16], ['T-0003', 50]]);
    const day = await fetch(pu + 'api/terminals/T-0001/day?date=2026-03-02').then((r) => r.json()) as any;
    expect(day.decisions).toHaveLength(49);   // 48 verified, 1 live preview
  });
});

describe('durability before acks', () => {
  it('the store\'s sessions commit synchronously even where the database says otherwise, so syncDurable has nothing left to do', async () => {
    const url = await pg.database();
    const admin = new pgClient.Client({ connectionString: url });
    await admin.connect();
    try { await admin.query(`ALTER DATABASE ${url.split('/').pop()} SET synchronous_commit = off`); } finally { await admin.end(); }
    const other = new pgClient.Client({ connectionString: url });
    await other.connect();
    try { expect((await other.query(`SELECT current_setting('synchronous_commit') AS s`)).rows[0].s).toBe('off'); } finally { await other.end(); }
    const st = await openStore(url);
    if (!st.ok) throw new Error(st.error);
    try {
      // The store's own connection (its protected statement runner), as the consumer's commits use it.
      const mine = (st.value as unknown as { all(sql: string): Promise<{ s: string }[]> }).all(`SELECT current_setting('synchronous_commit') AS s`);
      expect((await mine)[0]!.s).toBe('on');
      await st.value.syncDurable(Date.now());
    } finally { await st.value.close(); }
  });
});

describe('a PostgreSQL --db the user got wrong', () => {
  it('is one line and exit 2 for report, export, serve and consume, and never shows the password', async () => {
    const port = await freePort();                       // nothing listens there
    const reg = fleet.registry;
    const refused = new RegExp(`no PostgreSQL server answers at 127\\.0\\.0\\.1:${port} \\(connection refused\\)`);
    const r = cli('fleet', 'report', '--db', `postgres://postgres:hunter2@127.0.0.1:${port}/fleet`);
    usageError(r, refused);
    expect(r.err).not.toContain('hunter2');
    usageError(cli('fleet', 'report', '--db', 'postgres://'), /--db postgres:\/\/: name the host and the database/);
    usageError(cli('fleet', 'report', '--db', pg.url('no_such_db')), /database "no_such_db" does not exist/);
    const login = cli('fleet', 'report', '--db', pg.passwordUrl('wrong', postgres.split('/').pop()));
    usageError(login, /the server refused the login: password authentication failed for user "pf_secure"/);
    expect(login.err).not.toContain('wrong');
    usageError(cli('fleet', 'report', '--db', `postgres://nobody@127.0.0.1:${pg.port}/postgres`), /the server refused the login: role "nobody" does not exist/);
    usageError(cli('fleet', 'report', '--db', 'mysql://root@127.0.0.1/fleet'), /--db mysql:\/\/root@127\.0\.0\.1\/fleet: not a store this knows/);
    // The readers never make a store: an empty database is refused, and stays empty.
    for (const cmd of [['report'], ['export', '--dev', 'T-0001', '--out', join(dir, 'x.cbor')], ['serve', '--port', '0']]) {
      usageError(cli('fleet', ...cmd, '--db', pg.url()), /database postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres: not a fleet store/);
    }
    // Half a store (tables dropped by hand): the server's error in one line, not a stack trace.
    const half = await pg.database();
    const c = new pgClient.Client({ connectionString: half });
    await c.connect();
    try { await c.query(`CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL); CREATE TABLE devices (dev TEXT PRIMARY KEY)`); } finally { await c.end(); }
    usageError(cli('fleet', 'report', '--db', half), /the fleet's PostgreSQL database refused it \(42P01\): relation "alerts" does not exist/);
    usageError(cli('fleet', 'export', '--dev', 'T-0001', '--out', join(dir, 'x.cbor'), '--db', `postgres://127.0.0.1:${port}/fleet`), refused);
    usageError(cli('fleet', 'serve', '--port', '0', '--db', `postgres://127.0.0.1:${port}/fleet`), refused);
    usageError(cli('fleet', 'consume', '--broker', 'mqtt://127.0.0.1:1', '--registry', reg, '--db', `postgres://postgres:hunter2@127.0.0.1:${port}/fleet`),
      /no PostgreSQL server answers/);
    usageError(cli('fleet', 'consume', '--broker', 'mqtt://127.0.0.1:1', '--registry', reg, '--db', 'postgresql://127.0.0.1'), /name the host and the database/);
    expect(cli('fleet', 'report', '--help').out).toMatch(/--db FILE\|URL +the fleet store: a SQLite file or postgres:\/\/USER@HOST:PORT\/DB/);
  }, 120_000);
});
