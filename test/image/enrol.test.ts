// Enrolment (SPEC §7 registry): device.pub from a terminal that booted goes into REGISTRY/DEV.pub
// under the journal's device id; a one-time token must match and cannot be used twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { journalDev } from '../../src/fleet/enrol';
import { dispatch } from '../../src/cli/dispatch';
import { CheckFailed, UsageError } from '../../src/node/errors';
import { rig } from '../helpers/device';
import { rm, tmp } from './rig';

let data: string, reg: string;
const lines: string[] = [];
const run = (...argv: string[]) => dispatch(['enrol', ...argv], (s) => lines.push(s));

beforeAll(() => {
  const r = rig(); // boots the agent core on a NodeHal: device.pub and a journal whose entries say dev T-TEST
  data = r.dir;
  reg = tmp('pf-reg-');
});
afterAll(() => { rm(data); rm(reg); });

describe('preflight enrol', () => {
  it('reads the device id from the journal and writes REGISTRY/DEV.pub', async () => {
    expect(journalDev(data)).toBe('T-TEST');
    expect(await run('--data', data, '--registry', reg)).toBe(0);
    const pub = readFileSync(join(data, 'device.pub'), 'utf8');
    expect(readFileSync(join(reg, 'T-TEST.pub'), 'utf8')).toBe(pub);
    expect(pub).toMatch(/^[0-9a-f]{64}\n$/);
    expect(lines.at(-1)).toMatch(/^enrolled T-TEST: [0-9a-f]{64} -> /);
  });

  it('a one-time token: issued, required, matched, consumed, and refused when reused', async () => {
    expect(await run('token', '--registry', reg, '--dev', 'T-TEST')).toBe(0);
    const token = lines.at(-1)!;
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    const tf = join(reg, 'T-TEST.token');
    expect(readFileSync(tf, 'utf8')).not.toContain(token); // only its hash is stored
    expect(statSync(tf).mode & 0o777).toBe(0o600);
    await expect(run('--data', data, '--registry', reg)).rejects.toThrow(/an enrolment token was issued for T-TEST: pass --token T/);
    await expect(run('--data', data, '--registry', reg, '--token', 'f'.repeat(32))).rejects.toThrow(CheckFailed);
    expect(await run('--data', data, '--registry', reg, '--token', token)).toBe(0);
    expect(existsSync(tf)).toBe(false);
    await expect(run('--data', data, '--registry', reg, '--token', token)).rejects.toThrow(/already used/);
    await expect(run('--data', data, '--registry', reg, '--token', token)).rejects.toThrow(CheckFailed);
  });

  it('never replaces another key without a token', async () => {
    writeFileSync(join(reg, 'T-TEST.pub'), 'ab'.repeat(32) + '\n');
    await expect(run('--data', data, '--registry', reg)).rejects.toThrow(/already enrolled with another key/);
    expect(await run('token', '--registry', reg, '--dev', 'T-TEST')).toBe(0);
    expect(await run('--data', data, '--registry', reg, '--token', lines.at(-1)!)).toBe(0);
    expect(lines.at(-1)).toMatch(/replaced the previous key/);
  });

  it('bad input is a one-line UsageError naming what was wrong', async () => {
    const empty = tmp();
    const cases: [string[], RegExp][] = [
      [['--data', empty, '--registry', reg], /no device\.pub yet; boot the terminal once/],
      [['--data', join(empty, 'nope'), '--registry', reg], /no such folder/],
      [['--data', data, '--registry', reg, '--dev', 'OTHER'], /does not match the journal's device id T-TEST/],
      [['token', '--registry', reg, '--dev', '../etc'], /--dev must be/],
      [['token', '--registry', reg], /--dev is required/],
      [['--data', data], /--registry is required/],
      [['--data', data, '--registry', reg, '--bogus'], /Unknown option/],
    ];
    for (const [argv, re] of cases) {
      const e = await run(...argv).then(() => null, (x) => x);
      expect(e, argv.join(' ')).toBeInstanceOf(UsageError);
      expect(e.message).toMatch(re);
      expect(e.message).not.toContain('\n');
    }
    rm(empty);
  });
});
