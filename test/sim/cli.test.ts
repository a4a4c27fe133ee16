// The `preflight` command as users run it (SPEC §2): exit 0 success, 1 a failed check, 2 bad usage
// or input with one line on stderr and never a stack trace.
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, usageError } from '../helpers/cli';
import { spawnSync, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmp } from '../helpers/device';
import { demoPolicyJson } from '../helpers/policy';


let dir: string;
beforeAll(() => {
  if (!existsSync('dist/host/preflight.mjs') || !existsSync('dist/device/agent.js')) execFileSync('make', ['build'], { stdio: 'inherit' });
  dir = tmp('pf-cli-');
});

describe('keys and policies', () => {
  it('keys new writes a 0600 secret and a 64-hex public key, and never overwrites', () => {
    expect(cli('keys', 'new', '--out', dir, '--name', 'operator').code).toBe(0);
    expect(statSync(join(dir, 'operator.key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'operator.pub'), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    usageError(cli('keys', 'new', '--out', dir, '--name', 'operator'), /already exists/);
    usageError(cli('keys', 'new', '--out', dir), /--name is required/);
  });

  it('policy sign names the bad field and the rule; a good policy signs and shows', () => {
    const bad = demoPolicyJson(); bad.limits.card.singleMinor = 12.5; bad.hours.mon = [['25:00', '22:00']]; bad.merchant.mid = '123';
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad));
    const r = cli('policy', 'sign', join(dir, 'bad.json'), '--key', join(dir, 'operator.key'), '--out', join(dir, 'bad.cose'), '--lang', 'en');
    usageError(r, /limits\.card\.singleMinor: must be an integer/);
    expect(r.err).toMatch(/hours\.mon\[0\]\[0\]: must be a local time "HH:MM"/);
    expect(r.err).toMatch(/merchant\.mid: must be 15 digits/);
    // A number JSON cannot hold (1e400 parses as Infinity) is shown as what it became, not as JSON's null.
    writeFileSync(join(dir, 'huge.json'), JSON.stringify(demoPolicyJson()).replace(/"singleMinor":\d+/, '"singleMinor":1e400'));
    usageError(cli('policy', 'sign', join(dir, 'huge.json'), '--key', join(dir, 'operator.key'), '--out', join(dir, 'huge.cose'), '--lang', 'en'),
      /limits\.card\.singleMinor: must be an integer, got Infinity/);
    writeFileSync(join(dir, 'broken.json'), '{"version": 1,');
    usageError(cli('policy', 'sign', join(dir, 'broken.json'), '--key', join(dir, 'operator.key'), '--out', join(dir, 'x.cose')), /not valid JSON/);
    usageError(cli('policy', 'sign', join(dir, 'bad.json'), '--key', join(dir, 'operator.key'), '--out', join(dir, 'bad.cose')),
      /^preflight: 策略: merchant\.mid 必须是 15 位数字.*；limits\.card\.singleMinor 必须是整数，实际为 12\.5/);
    // The signer's clock judges validUntil (SPEC §4): a policy valid for years, so this test does not age.
    writeFileSync(join(dir, 'good.json'), JSON.stringify({ ...demoPolicyJson(), validUntil: '2031-01-01T00:00:00+08:00' }));
    expect(cli('policy', 'sign', join(dir, 'good.json'), '--key', join(dir, 'operator.key'), '--out', join(dir, 'good.cose')).code).toBe(0);
    const show = cli('policy', 'show', join(dir, 'good.cose'), '--pub', join(dir, 'operator.pub'), '--lang', 'en');
    expect(show.code).toBe(0);
    expect(show.out).toMatch(/signature: valid/);
    expect(show.out).toMatch(/mon: 09:00-22:00/);
    expect(show.out).toMatch(/within 1000 m of 31\.23040, 121\.47370 \(Asia\/Shanghai\)/);
    // Every section the terminal obeys is shown, sealing and telemetry too (they set what the wire costs).
    expect(show.out).toMatch(/sealing: at least every 16 entries or 60 s/);
    expect(show.out).toMatch(/telemetry: heartbeat every 900 s; sealed batches wait up to 300 s/);
    // zh by default, as everywhere --lang is offered: whole Chinese lines, weekdays as words.
    const zh = cli('policy', 'show', join(dir, 'good.cose'), '--pub', join(dir, 'operator.pub'));
    expect(zh.out).toMatch(/签名：有效/);
    expect(zh.out).toMatch(/周一：09:00-22:00/);
    expect(zh.out).toMatch(/经营地点：31\.23040, 121\.47370 周围 1000 米内/);
    expect(zh.out.replace(/[A-Z][A-Za-z0-9_/-]+|[a-z]+-license|\d{4}-\d\d-\d\dT[\d:+]+/g, '').match(/[a-z]{3,}/gi)).toBeNull();
    cli('keys', 'new', '--out', dir, '--name', 'other');
    expect(cli('policy', 'show', join(dir, 'good.cose'), '--pub', join(dir, 'other.pub')).code).toBe(1);
    writeFileSync(join(dir, 'trunc.cose'), readFileSync(join(dir, 'good.cose')).subarray(0, 40));
    usageError(cli('policy', 'show', join(dir, 'trunc.cose')), /policy/);
  });

  it('issue 17: a misspelt field, an expired policy, a public key as the signing key, a JSON file shown', () => {
    const sign = (json: object, key = 'operator.key', ...more: string[]) => {
      writeFileSync(join(dir, 'p17.json'), JSON.stringify(json));
      return cli('policy', 'sign', join(dir, 'p17.json'), '--key', join(dir, key), '--out', join(dir, 'p17.cose'), '--lang', 'en', ...more);
    };
    const p = demoPolicyJson();
    p.validUntil = '2031-01-01T00:00:00+08:00';
    p.hours.Mon = p.hours.mon; delete p.hours.mon;
    usageError(sign(p), /hours: unknown field "Mon"; did you mean "mon"\?/);
    usageError(sign({ ...demoPolicyJson(), validFrom: '2025-01-01T00:00:00+08:00', validUntil: '2025-06-01T00:00:00+08:00' }), /validUntil \(2025-06-01T00:00:00\+08:00\) has already passed/);
    usageError(sign({ ...demoPolicyJson(), site: { ...demoPolicyJson().site, timezone: 'CST' } }), /"CST" is an abbreviation/);
    usageError(sign(demoPolicyJson(), 'operator.pub'), /secret key .*operator\.pub: this is a public key/);
    writeFileSync(join(dir, 'x.json'), JSON.stringify(demoPolicyJson(), null, 1));
    usageError(cli('policy', 'show', join(dir, 'x.json')), /x\.json is JSON text, not a signed policy: sign it first with `preflight policy sign/);
    const reg = join(dir, 'registry'); mkdirSync(reg, { recursive: true });
    usageError(cli('fleet', 'consume', '--broker', 'mqtt://127.0.0.1:9', '--registry', reg, '--backend-key', join(dir, 'operator.pub'), '--once-idle-ms', '1'),
      /this is a public key/);
  });
});

describe('sim run, journal export and verify, doctor', () => {
  it('refuses malformed scenarios with the field that is wrong', () => {
    writeFileSync(join(dir, 's1.json'), '{"name": ');
    usageError(cli('sim', 'run', join(dir, 's1.json')), /not valid JSON/);
    writeFileSync(join(dir, 's2.json'), JSON.stringify({ device: { id: 'T' }, policy: demoPolicyJson(), start: { time: '2026-03-02T09:00:00+08:00' },
      events: [{ at: '+0s', txn: {} }, { at: '+1s', fix: { lat: 500, lon: 1 } }] }));
    usageError(cli('sim', 'run', join(dir, 's2.json')), /events\[1\]\.fix\.lat/);
    writeFileSync(join(dir, 's3.json'), JSON.stringify({ device: { id: 'T' }, policy: demoPolicyJson(), start: { time: 'yesterday' }, events: [] }));
    usageError(cli('sim', 'run', join(dir, 's3.json')), /start\.time/);
    // A time no terminal's clock reaches (and JavaScript's dates cannot hold) is refused, not run as NaN.
    writeFileSync(join(dir, 's4.json'), JSON.stringify({ device: { id: 'T' }, policy: demoPolicyJson(), start: { time: '2026-03-02T09:00:00+08:00' },
      events: [{ at: '+999999999d', txn: {} }] }));
    usageError(cli('sim', 'run', join(dir, 's4.json')), /events\[0\]\.at: must fall in 2000-01-01\.\.2099-12-31, got "\+999999999d"/);
    usageError(cli('sim', 'run', join(dir, 'nope.json')), /cannot be read/);
    // Another device's flash: the terminal refuses to boot on it, and the run says so with exit 1.
    const other = join(dir, 'flash-t0001');
    expect(cli('sim', 'run', 'host-sim/scenarios/deploy/day1.json', '--data', other, '--broker', 'none').code).toBe(0);
    writeFileSync(join(dir, 'other.json'), readFileSync('host-sim/scenarios/deploy/day1.json', 'utf8').replace(/T-0001/g, 'T-OTHER'));
    const refused = cli('sim', 'run', join(dir, 'other.json'), '--data', other, '--broker', 'none', '--lang', 'en');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^preflight: the terminal never booted: flash: this flash holds the journal of T-0001, not of T-OTHER/);
    usageError(cli('sim', 'frobnicate'), /unknown command/);
  });

  it('runs a scenario, exports a journal that verifies, rejects a tampered one at its record, and doctor explains', () => {
    const data = join(dir, 'flash');
    const run = cli('sim', 'run', 'host-sim/scenarios/moved-terminal.json', '--data', data, '--json');
    expect(run.code, run.err).toBe(0);
    const lines = run.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.at(-1).event).toBe('summary');
    expect(lines.some((l) => l.event === 'decision' && l.reasons.includes('GEO_OUTSIDE'))).toBe(true);
    expect(cli('journal', 'export', '--data', data, '--out', join(dir, 'j.cbor')).code).toBe(0);
    const v = cli('journal', 'verify', join(dir, 'j.cbor'), '--pub', join(data, 'device.pub'), '--json');
    expect(v.code, v.out).toBe(0);
    expect(JSON.parse(v.out)).toMatchObject({ valid: true, unsealed: 0 });
    const bytes = readFileSync(join(dir, 'j.cbor'));
    bytes[200] ^= 0x10;
    writeFileSync(join(dir, 'bad.cbor'), bytes);
    const bad = cli('journal', 'verify', join(dir, 'bad.cbor'), '--pub', join(data, 'device.pub'), '--lang', 'en');
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/INVALID at record \d+: /);
    // Issue 17: the verifier spoke English under --lang zh ("signature does not verify…").
    const zh = cli('journal', 'verify', join(dir, 'bad.cbor'), '--pub', join(data, 'device.pub'), '--lang', 'zh');
    expect(zh.code).toBe(1);
    expect(zh.out.trim()).toMatch(/^无效：第 \d+ 项记录：([^a-zA-Z]|prev)+。$/);                 // prev: the field of SPEC §6
    expect(cli('journal', 'verify', join(dir, 'j.cbor'), '--pub', join(data, 'device.pub'), '--lang', 'zh').out).toMatch(/^有效：终端 T-0102 的 \d+ 条流水/);
    writeFileSync(join(dir, 'short.cbor'), readFileSync(join(dir, 'j.cbor')).subarray(0, 301));
    const short = cli('journal', 'verify', join(dir, 'short.cbor'), '--pub', join(data, 'device.pub'), '--json');
    expect(short.code).toBe(1);
    expect(JSON.parse(short.out).firstBad.reason).toMatch(/truncated|runs past the end/);
    usageError(cli('journal', 'verify', join(dir, 'j.cbor'), '--pub', join(dir, 'j.cbor')), /public key/);
    const doc = cli('doctor', '--data', data, '--lang', 'zh');
    expect(doc.code).toBe(0);                                   // the terminal is back at its site: nothing stops it trading
    // Run without a broker, so nothing was ever acknowledged: said, with how long and why (issue 16, SPEC §7).
    expect(doc.out).toMatch(/现在的问题[\s\S]*\[UNACKNOWLEDGED\] 第 1–\d+ 条流水等待平台确认已 [^；]+；从未收到过任何确认——平台消费端是否在运行（带 --backend-key）/);
    expect(doc.out).not.toMatch(/GEO_OUTSIDE[\s\S]*现在的问题/);
    expect(doc.out).toMatch(/近期出现过[\s\S]*GEO_OUTSIDE/);
    expect(doc.out).toMatch(/终端距离登记地址 \d+(\.\d+)? 公里（允许 1\.00 公里/);
    expect(cli('doctor', '--data', data, '--lang', 'en').out).toMatch(/what to do: Take the terminal back/);
    usageError(cli('doctor', '--data', join(dir, 'missing')), /no such folder/);
  }, 60_000);

  it('reasons prints the catalog in zh and en and as JSON', () => {
    const zh = cli('reasons', '--lang', 'zh');
    expect(zh.code).toBe(0);
    expect(zh.out).toMatch(/COND_CODE_MISMATCH \(deny\)\n\s+.*服务点条件码（25 域）/);
    const json = JSON.parse(cli('reasons', '--json').out);
    expect(json.map((r: any) => r.name)).toEqual(expect.arrayContaining(['GEO_OUTSIDE', 'SETTLEMENT_UNBALANCED']));
    usageError(cli('reasons', '--lang', 'fr'), /--lang must be zh or en/);
  });
});

describe('the house rules (SPEC §1)', () => {
  const copy = () => {
    const root = tmp('pf-house-');
    for (const d of ['src', 'device', 'host-sim']) cpSync(d, join(root, d), { recursive: true });
    return root;
  };
  const check = (root: string) => spawnSync('node', ['test/check-layers.mjs', root], { encoding: 'utf8' });

  it('a deliberate use of Buffer in src/core fails the check that make test runs', () => {
    const root = copy();
    expect(check(root).status).toBe(0);
    const f = join(root, 'src/core/checks/format.ts');
    writeFileSync(f, readFileSync(f, 'utf8') + '\nexport const b = Buffer.from("x");\n');
    const r = check(root);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/src\/core\/checks\/format\.ts:\d+: the core uses Buffer/);
  });

  it('an import that points up, or a package in the core, fails it too', () => {
    const root = copy();
    const up = join(root, 'src/node/errors.ts');
    writeFileSync(up, readFileSync(up, 'utf8') + "\nimport '../../host-sim/acquirer';\n");
    const core = join(root, 'src/core/util/result.ts');
    writeFileSync(core, readFileSync(core, 'utf8') + "\nimport 'mqtt';\n");
    const peer = join(root, 'device/provision/image.ts');
    writeFileSync(peer, readFileSync(peer, 'utf8') + "\nimport '../../src/fleet/registry';\n");
    const r = check(root);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/src\/node\/errors\.ts:\d+: src\/node imports host-sim/);
    expect(r.stderr).toMatch(/src\/core\/util\/result\.ts:\d+: the core imports "mqtt"/);
    expect(r.stderr).toMatch(/device\/provision\/image\.ts:\d+: device imports src\/fleet/);
  });
});
