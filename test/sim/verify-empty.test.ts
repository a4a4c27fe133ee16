// Issue 19.3 (SPEC §6 "An empty export is not a valid one"): `preflight journal verify` exits 1, with
// the reason, for an empty file, for an export cut down to its header, and for a header with seals
// but no entry, with or without the registry's key; the whole export it was cut from exits 0.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { itemEnd, splitSequence } from '../../src/core/codec/cbor';
import { tmp } from '../helpers/device';

const cli = (...args: string[]) => spawnSync('node', ['bin/preflight.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

describe('journal verify refuses an export without entries', () => {
  let dir: string, data: string, whole: Uint8Array;
  beforeAll(() => {
    if (!existsSync('dist/host/preflight.mjs') || !existsSync('dist/device/agent.js')) execFileSync('make', ['build'], { stdio: 'inherit' });
    dir = tmp('pf-empty-'); data = join(dir, 'flash');
    const r = cli('sim', 'run', 'host-sim/scenarios/day-at-a-shop.json', '--data', data, '--json', '--broker', 'none');
    expect(r.status, r.stderr).toBe(0);
    expect(cli('journal', 'export', '--data', data, '--out', join(dir, 'whole.cbor')).status).toBe(0);
    whole = new Uint8Array(readFileSync(join(dir, 'whole.cbor')));
  }, 60_000);

  it('the whole export verifies (exit 0)', () => {
    const v = cli('journal', 'verify', join(dir, 'whole.cbor'), '--pub', join(data, 'device.pub'), '--json');
    expect(v.status, v.stdout).toBe(0);
    expect(JSON.parse(v.stdout).entries).toBeGreaterThan(0);
  });

  it('empty, header only, and header with seals only: exit 1 with the reason, with or without --pub', () => {
    const end = itemEnd(whole, 0);
    if (!end.ok) throw new Error(end.error);
    const header = whole.subarray(0, end.value);
    const s = splitSequence(whole);
    if (!s.ok) throw new Error(s.error);
    const seals = s.value.filter((b) => b[0] === 0xd2);                 // tag 18: COSE_Sign1
    expect(seals.length).toBeGreaterThan(0);
    const cases: Record<string, Uint8Array> = { empty: new Uint8Array(0), header: header, 'header+seals': Buffer.concat([header, ...seals]) };
    for (const [name, bytes] of Object.entries(cases)) {
      const f = join(dir, `${name}.cbor`);
      writeFileSync(f, bytes);
      for (const pub of [['--pub', join(data, 'device.pub')], []]) {
        const v = cli('journal', 'verify', f, ...pub, '--json');
        expect(v.status, `${name} ${pub.join(' ')}: ${v.stdout}${v.stderr}`).toBe(1);
        expect(JSON.parse(v.stdout).valid).toBe(false);
        const en = cli('journal', 'verify', f, ...pub, '--lang', 'en');
        expect(en.status).toBe(1);
        expect(en.stdout + en.stderr).toMatch(/INVALID/);
      }
    }
  });
});
