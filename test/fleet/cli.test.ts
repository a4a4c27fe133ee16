// `preflight fleet` as people and scripts call it (SPEC §2): bad usage or input is a UsageError
// (exit 2, one line), and `fleet report` says why a terminal's transactions were denied on a day.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConsumeArgs } from '../../src/cli/fleet';
import { dispatch } from '../../src/cli/dispatch';

const fleetCommand = (argv: string[]) => dispatch(['fleet', ...argv], (s) => process.stdout.write(s + '\n'));
import { UsageError } from '../../src/node/errors';
import { Ingest } from '../../src/fleet/ingest';
import { Registry } from '../../src/fleet/registry';
import { SqliteStore } from '../../src/fleet/store-sqlite';
import { encode } from '../../src/core/codec/cbor';
import { previewBody } from '../../src/core/telemetry/wire';
import { useNativeCrypto } from '../../src/fleet/native';
import { freePort } from './helpers/brokers';
import { makeFleet, type Fleet } from './helpers/terminals';

useNativeCrypto();
let dir: string, fleet: Fleet, db: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pf-fleet-cli-'));
  fleet = makeFleet(dir, 1, { decisions: 30 });
  db = join(dir, 'fleet.sqlite');
  const st = SqliteStore.open(db);
  if (!st.ok) throw new Error(st.error);
  const ing = new Ingest({ store: st.value, registry: new Registry(fleet.registry) });
  const t = fleet.terminals[0]!;
  for (const b of t.gen.batches()) await ing.handle(`preflight/v1/demo/${t.dev}/journal`, b);
  // One more decision known only from the live topic (its journal entry not uploaded yet).
  await ing.handle(`preflight/v1/demo/${t.dev}/decision`, encode(previewBody(99, 'LIVE', 'deny', [{ name: 'HOURS_CLOSED' }], t.gen.startMs + 99 * 60_000)));
  await st.value.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(argv: string[]): Promise<{ code: number; out: string }> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out += String(s); return true; });
  try { return { code: await fleetCommand(argv), out }; } finally { spy.mockRestore(); }
}
const usage = async (argv: string[], msg: RegExp) => {
  const e = await fleetCommand(argv).then(() => null, (x) => x);
  expect(e).toBeInstanceOf(UsageError);
  expect(String(e.message)).toMatch(msg);
  expect(e.message).not.toContain('\n');
};

describe('usage', () => {
  it('help without a subcommand is bad usage (2); unknown subcommands and flags are UsageErrors', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['--help'])).out).toMatch(/fleet consume --broker URL --registry DIR/);
    await usage(['watch'], /unknown command "fleet watch"/);
    await usage(['consume'], /--broker is required/);
    await usage(['consume', '--broker', 'mqtt://127.0.0.1:1'], /--registry is required/);
    await usage(['consume', '--broker', 'mqtt://x', '--registry', fleet.registry, '--bogus'], /Unknown option '--bogus'/);
    await usage(['consume', '--broker', 'http://x:1', '--registry', fleet.registry], /--broker must be mqtt:\/\/HOST:PORT/);
    await usage(['consume', '--broker', 'mqtt://127.0.0.1:1', '--registry', join(dir, 'nope')], /registry .*no such folder/);
    await usage(['consume', '--broker', 'mqtt://127.0.0.1:1', '--registry', fleet.registry, '--backend-key', join(dir, 'none.key')], /secret key .* cannot be read/);
    await usage(['consume', '--broker', 'mqtt://127.0.0.1:1', '--registry', fleet.registry, '--once-idle-ms', 'soon'], /--once-idle-ms must be an integer/);
    await usage(['consume', '--broker', 'mqtt://127.0.0.1:1', '--registry', fleet.registry, '--share', 'a/b'], /--share must be/);
    await usage(['report', '--db', join(dir, 'missing.sqlite'), '--dev', 'T-0001'], /database .*missing\.sqlite/);
    await usage(['report', '--db', db, '--dev', 'T-0001', '--date', '2026-3-2'], /--date must be a calendar date YYYY-MM-DD/);
    await usage(['report', '--db', db, '--dev', 'T-0001', '--lang', 'fr'], /--lang must be zh or en/);
    await usage(['report', '--db', db, '--dev', 'T-9999'], /no device T-9999 .*known: T-0001/);
    const notDb = join(dir, 'not.sqlite');
    writeFileSync(notDb, 'this is not a database, just text long enough to have a header................');
    await usage(['report', '--db', notDb, '--dev', 'T-0001'], /database .*not\.sqlite/);
  });

  it('an unreachable broker is bad input, reported in one line', async () => {
    const port = await freePort();
    await usage(['consume', '--broker', `mqtt://127.0.0.1:${port}`, '--registry', fleet.registry, '--db', join(dir, 'x.sqlite')], new RegExp(`broker mqtt://127.0.0.1:${port}: .*ECONNREFUSED`));
  });

  it('parses consume flags into options (defaults: 3.1.1, preflight-fleet.sqlite in cwd)', async () => {
    expect(parseConsumeArgs(['--broker', 'mqtt://h:1', '--registry', 'r'])).toMatchObject({ db: 'preflight-fleet.sqlite', json: false, share: undefined });
    expect(parseConsumeArgs(['--broker', 'nats://a:1,nats://b:2', '--registry', 'r', '--share', 'g', '--once-idle-ms', '50', '--json']))
      .toMatchObject({ share: 'g', onceIdleMs: 50, json: true });
  });
});

describe('fleet report', () => {
  it('counts the day\'s deny and review reasons with the catalog message and remedy (en)', async () => {
    const { code, out } = await run(['report', '--db', db, '--dev', 'T-0001', '--date', '2026-03-02', '--lang', 'en', '--json']);
    expect(code).toBe(0);
    const r = JSON.parse(out);
    // 30 decisions cycle allow, GEO_OUTSIDE, HOURS_CLOSED, GEO_UNCERTAIN, LIMIT_SINGLE, allow; the live
    // HOURS_CLOSED is a preview only (SPEC §7): listed apart, never counted as fact.
    expect(r.preflight).toEqual({ allow: 10, deny: 15, review: 5 });
    expect(r.unverified).toBe(1);
    expect(r.reasons.map((x: any) => [x.name, x.count])).toEqual([['GEO_OUTSIDE', 5], ['GEO_UNCERTAIN', 5], ['HOURS_CLOSED', 5], ['LIMIT_SINGLE', 5]]);
    expect(r.offset).toBe('+08:00');
    expect(r.transactions).toHaveLength(20);
    expect(r.transactions.every((t: any) => t.verified && /^2026-03-02 \d\d:\d\d:\d\d \+08:00$/.test(t.time) && Number.isInteger(t.amountMinor) && t.ref)).toBe(true);
    expect(r.transactions.find((t: any) => t.reasons.includes('LIMIT_SINGLE'))).toMatchObject({ stage: 'preflight', verdict: 'deny', type: 'sale' });
    expect(r.previews).toEqual([expect.objectContaining({ ref: 'LIVE', verdict: 'deny', reasons: ['HOURS_CLOSED'], verified: false })]);
    // Everything stored, nothing acknowledged (no backend key here): that is the only gap.
    expect(r.gaps).toEqual([expect.objectContaining({ cause: 'unacknowledged', from: 1, to: 30 })]);
    const geo = r.reasons.find((x: any) => x.name === 'GEO_OUTSIDE');
    expect(geo.message).toBe('The terminal is 12.4 km from its registered address (allowed 1 km, fix accuracy 15 m): it has left its registered place of business.');
    expect(geo.remedy).toMatch(/Take the terminal back/);
  });

  it('reads for people in Chinese by default, and says so when the day had no denial', async () => {
    const zh = await run(['report', '--db', db, '--dev', 'T-0001', '--date', '2026-03-02']);
    expect(zh.out).toMatch(/终端 T-0001 在 2026-03-02 的拒绝与复核原因/);
    expect(zh.out).toMatch(/5 × HOURS_CLOSED \[拒绝\]/);
    expect(zh.out).toMatch(/预检结论（已验签）：通过 10，拒绝 15，复核 5/);
    expect(zh.out).toMatch(/另有 1 笔仅来自实时上报（未验签预览/);
    expect(zh.out).toMatch(/实时预览（未验签[^\n]*\n\s+2026-03-02 \d\d:\d\d:\d\d \+08:00\s+LIVE/);
    expect(zh.out).toMatch(/交易（门店当地时间 \+08:00）\n\s+2026-03-02 09:01:00 \+08:00/);
    expect(zh.out).toMatch(/未确认 1\.\.30: 已验签入库但尚未确认/);
    expect(zh.out).toMatch(/建议：请把终端带回登记地址/);
    expect(zh.out).not.toMatch(/\x1b\[/); // not a TTY: no colour
    const none = await run(['report', '--db', db, '--dev', 'T-0001', '--date', '2026-03-03', '--lang', 'en']);
    expect(none.out).toMatch(/No transaction was denied or flagged that day/);
  });
});
