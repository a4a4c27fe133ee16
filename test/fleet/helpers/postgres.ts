// A PostgreSQL server for the fleet tests (SPEC §7: the second fleet store), started here on a free
// loopback port with its own data folder, never the system's 5432: initdb (trust, user postgres),
// pg_ctl start with fsync off, stopped and removed by the caller in afterAll. initdb refuses to run
// as root, so as root (this kind of machine) both run as the `postgres` system user on a folder
// handed to it. Each test file makes its own database (`database()`), so files run in parallel.
// One role, pf_secure (password `right`), logs in by password (SCRAM), to test a refused login.

import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './brokers';

export interface Postgres {
  port: number; dir: string; url(db?: string): string; database(): Promise<string>;
  /** pf_secure's URL with this password (the right one is `right`). */
  passwordUrl(password: string, db?: string): string;
  stop(): Promise<void>;
}

/** The newest installed server's bin folder (/usr/lib/postgresql/N/bin), or null. */
export function pgBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0]!, 'bin') : null;
}

/** As root, the server's tools run as the `postgres` user (initdb will not run as root). */
function asServerUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

function runTool(bin: string, args: string[], user: { uid: number; gid: number } | null): void {
  const r = user ? spawnSync('runuser', ['-u', 'postgres', '--', bin, ...args], { encoding: 'utf8' }) : spawnSync(bin, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${bin.split('/').pop()} ${args[0]} failed (${r.status}): ${r.stderr || r.stdout}`);
}

export async function startPostgres(): Promise<Postgres> {
  const bin = pgBin();
  if (!bin) throw new Error('no PostgreSQL server installed (make test installs it: apt-get install postgresql)');
  const user = asServerUser();
  const dir = mkdtempSync(join(tmpdir(), 'pf-pg-'));
  const data = join(dir, 'data');
  if (user) { chownSync(dir, user.uid, user.gid); chmodSync(dir, 0o700); }
  const superuser = 'postgres';
  runTool(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', superuser, '--no-sync', '-E', 'UTF8'], user);
  const hba = join(data, 'pg_hba.conf');
  writeFileSync(hba, 'host all pf_secure 127.0.0.1/32 scram-sha-256\n' + readFileSync(hba, 'utf8'));
  let last: unknown;
  for (let attempt = 0; attempt < 4; attempt++) {
    const port = await freePort();
    try {
      runTool(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '60', '-o',
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`, 'start'], user);
      const url = (db = 'postgres') => `postgres://${superuser}@127.0.0.1:${port}/${db}`;
      const c = new pg.Client({ connectionString: url() });
      await c.connect();
      try { await c.query(`CREATE ROLE pf_secure LOGIN PASSWORD 'right'`); } finally { await c.end(); }
      return {
        port, dir, url,
        passwordUrl: (password, db = 'postgres') => `postgres://pf_secure:${encodeURIComponent(password)}@127.0.0.1:${port}/${db}`,
        async database() {
          const name = `pf_${randomBytes(6).toString('hex')}`;
          const c = new pg.Client({ connectionString: url() });
          await c.connect();
          try { await c.query(`CREATE DATABASE ${name}`); } finally { await c.end(); }
          return url(name);
        },
        async stop() {
          try { runTool(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop'], user); } catch { /* already gone */ }
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (e) {
      last = e;
      try { last = new Error(`${(e as Error).message}\n${readFileSync(join(dir, 'server.log'), 'utf8').slice(-1500)}`); } catch { /* no log */ }
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`PostgreSQL did not start (${userInfo().username}): ${(last as Error)?.message}`);
}
