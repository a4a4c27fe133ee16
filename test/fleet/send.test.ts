// `preflight fleet send` as an operator runs it (SPEC §2, §6), on the built bundle: a simulated
// terminal that went offline gets a `lock` the operator sent meanwhile when it next connects,
// journals it and denies sales with DEVICE_LOCKED; the counter lives in the registry; bad usage is
// one line and exit 2; a broker that does not acknowledge is exit 1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, usageError } from '../helpers/cli';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, startMosquitto, type Mosquitto } from './helpers/brokers';

const jsonLines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l));

let broker: Mosquitto, dir: string, data: string, reg: string, opKey: string;
const scenario = (name: string, start: string, refs: string[], policy = true) => {
  const p = join(dir, `${name}.json`);
  writeFileSync(p, JSON.stringify({
    name, device: { id: 'T-0301', fleet: 'demo' },
    ...(policy ? { policy: resolve('host-sim/scenarios/policy-shop.json') } : {}),
    start: { time: start, fix: { lat: 31.2304, lon: 121.4737, accuracyM: 15 } },
    events: refs.map((ref, i) => ({ at: `+${i}m`, txn: { ref, type: 'sale', channel: 'card', amountMinor: 3000, entryMode: '051', conditionCode: '00' } })),
  }));
  return p;
};

beforeAll(async () => {
  if (!existsSync('dist/host/preflight.mjs') || !existsSync('dist/device/agent.js')) execFileSync('make', ['build'], { stdio: 'inherit' });
  broker = await startMosquitto();
  dir = mkdtempSync(join(tmpdir(), 'pf-send-'));
  data = join(dir, 'T-0301'); reg = join(dir, 'registry');
  opKey = join(`${data}.fleet`, 'keys', 'operator.key');   // the key the scenario's policy was signed with
});
afterAll(async () => { await broker?.stop(); if (dir) rmSync(dir, { recursive: true, force: true }); });

describe('fleet send', () => {
  it('a terminal offline when the lock was sent gets it at its next connect, journals it and denies sales', async () => {
    // First day: the terminal boots, trades and connects once (its broker session is kept), then goes away.
    const r1 = cli('sim', 'run', scenario('day1', '2026-03-02T10:00:00+08:00', ['A1']), '--data', data, '--broker', broker.url, '--json');
    expect(r1.code, r1.err).toBe(0);
    expect(jsonLines(r1.out).find((l) => l.event === 'decision')).toMatchObject({ ref: 'A1', verdict: 'allow' });
    expect(jsonLines(r1.out).some((l) => l.event === 'link' && l.up === true)).toBe(true);   // its broker session exists
    expect(cli('enrol', '--data', data, '--registry', reg).code).toBe(0);
    writeFileSync(join(reg, 'fleet'), 'demo\n');

    // Meanwhile the operator locks it.
    const s = cli('fleet', 'send', 'lock', '--dev', 'T-0301', '--broker', broker.url, '--registry', reg, '--key', opKey, '--args', '{"why":"reported stolen"}', '--json');
    expect(s.code, s.err).toBe(0);
    expect(JSON.parse(s.out)).toMatchObject({ event: 'sent', dev: 'T-0301', fleet: 'demo', kind: 'lock', n: 1, topic: 'preflight/v1/demo/T-0301/cmd' });
    expect(readFileSync(join(reg, 'T-0301.cmd'), 'utf8').trim()).toBe('1');

    // Next day it connects, gets the command, journals it, and refuses to trade from then on. The
    // broker hands the command over shortly after the connect, so the first sale may come before it.
    const sales = (p: string) => Array.from({ length: 8 }, (_, i) => `${p}${i}`);
    const r2 = cli('sim', 'run', scenario('day2', '2026-03-03T10:00:00+08:00', sales('B'), false), '--data', data, '--broker', broker.url, '--json');
    expect(r2.code, r2.err).toBe(0);
    const after = (lines: any[], kind: string) => {
      const i = lines.findIndex((l) => l.event === 'command' && l.kind === kind);
      expect(lines[i], `a ${kind} command in ${JSON.stringify(lines)}`).toMatchObject({ kind, accepted: true });
      return lines.slice(i + 1).filter((l) => l.event === 'decision');
    };
    const locked = after(jsonLines(r2.out), 'lock');
    expect(locked.length).toBeGreaterThan(0);
    for (const d of locked) expect(d).toMatchObject({ verdict: 'deny', reasons: ['DEVICE_LOCKED'] });

    // The terminal's own journal holds the accepted command.
    const exp = join(dir, 'T-0301.cbor');
    expect(cli('journal', 'export', '--data', data, '--out', exp).code).toBe(0);
    expect(readFileSync(exp).includes(Buffer.from('reported stolen'))).toBe(true);

    // The counter is the registry's: the next command gets 2, and unlock lets the terminal trade again.
    const u = cli('fleet', 'send', 'unlock', '--dev', 'T-0301', '--broker', broker.url, '--registry', reg, '--key', opKey, '--json');
    expect(JSON.parse(u.out)).toMatchObject({ kind: 'unlock', n: 2 });
    const r3 = cli('sim', 'run', scenario('day3', '2026-03-04T10:00:00+08:00', sales('C'), false), '--data', data, '--broker', broker.url, '--json');
    const unlocked = after(jsonLines(r3.out), 'unlock');
    expect(unlocked.length).toBeGreaterThan(0);
    for (const d of unlocked) expect(d).toMatchObject({ verdict: 'allow' });
  }, 120_000);

  it('bad usage is one line and exit 2; a broker that does not acknowledge is exit 1', async () => {
    const base = ['--dev', 'T-0301', '--broker', broker.url, '--registry', reg, '--key', opKey];
    expect(cli('fleet', 'send', '--help').out).toMatch(/usage: preflight fleet send KIND --dev DEV --broker URL --registry DIR --key OPERATOR.key/);
    usageError(cli('fleet', 'send', 'lock', '--broker', broker.url, '--registry', reg, '--key', opKey), /--dev is required/);
    usageError(cli('fleet', 'send', '--dev', 'T-0301'), /fleet send needs KIND/);
    usageError(cli('fleet', 'send', 'explode', ...base), /unknown command kind "explode" \(one of .*lock/);
    usageError(cli('fleet', 'send', 'lock', ...base, '--args', '{why:'), /--args is not JSON/);
    usageError(cli('fleet', 'send', 'lock', ...base, '--args', '{"reason":"x"}'), /lock takes no argument "reason" \(arguments: why\)/);
    usageError(cli('fleet', 'send', 'hours-extend', ...base), /hours-extend needs untilMs or until/);
    usageError(cli('fleet', 'send', 'lock', ...base, '--valid-for', 'forever'), /--valid-for must be a duration/);
    usageError(cli('fleet', 'send', 'lock', ...base.slice(0, -1), opKey.replace(/\.key$/, '.pub')), /this is a public key/);
    usageError(cli('fleet', 'send', 'lock', '--dev', 'T-9999', ...base.slice(2)), /device T-9999 is not in the registry: enrol it first/);
    // A key the terminal does not trust (enrolment recorded its image's operator key): refused before a counter is spent.
    const counter = readFileSync(join(reg, 'T-0301.cmd'), 'utf8');
    expect(readFileSync(join(reg, 'T-0301.operator.pub'), 'utf8')).toBe(readFileSync(join(data, 'trust/operator.pub'), 'utf8'));
    usageError(cli('fleet', 'send', 'lock', ...base.slice(0, -1), join(`${data}.fleet`, 'keys', 'backend.key')), /not the operator key T-0301 trusts: its image's trust\/operator.pub/);
    expect(readFileSync(join(reg, 'T-0301.cmd'), 'utf8')).toBe(counter);
    usageError(cli('fleet', 'send', 'lock', ...base, '--fleet', 'other'), /--fleet other differs from the registry's fleet demo/);
    const before = readFileSync(join(reg, 'T-0301.cmd'), 'utf8');
    const port = await freePort();
    const down = cli('fleet', 'send', 'lock', '--dev', 'T-0301', '--broker', `mqtt://127.0.0.1:${port}`, '--registry', reg, '--key', opKey);
    expect(down.code, down.err).toBe(1);
    expect(down.err.trim().split('\n')).toHaveLength(1);
    expect(down.err).toMatch(/did not acknowledge/);
    // A counter handed out is never handed out again, even when the send failed.
    expect(Number(readFileSync(join(reg, 'T-0301.cmd'), 'utf8'))).toBe(Number(before) + 1);
  }, 60_000);
});
