// The device key (SPEC §6, issue 4): made once, never replaced when the keystore is down, never
// seen outside the keystore; signer failure and recovery are journaled (RKSV semantics).
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { exportJournal } from '../../src/core/journal/export';
import { splitSequence } from '../../src/core/codec/cbor';
import { verifyRecords } from '../../src/core/journal/verify';
import { parseEntry } from '../../src/core/journal/entry';
import { cleanup, reboot, rig, sell } from '../helpers/device';

const types = (r: ReturnType<typeof rig>) => {
  const s = { value: exportJournal(r.hal).body };
    return { recs: s.value, types: s.value.map(parseEntry).filter((e) => e.ok).map((e: any) => [e.value.type, e.value.body]) };
};

describe('device key', () => {
  it('a keystore that is down at boot does not get a new key; sealing resumes when it is back', () => {
    let r = rig();
    const pub = readFileSync(join(r.dir, 'device.pub'), 'utf8');
    sell(r, 'A'); r.agent.sealing.sealNow();
    r.hal.faults.signerDown = true;
    r = reboot(r, 'restart');
    expect(readFileSync(join(r.dir, 'device.pub'), 'utf8')).toBe(pub);
    expect(sell(r, 'B')).toBe('approved');                 // decisions never wait for the signer
    expect(r.agent.sealing.sealNow()).toBe(false);
    expect(r.agent.sealing.sealNow()).toBe(false);
    const down = types(r).types.filter(([t]) => t === 'signer');
    expect(down).toHaveLength(1);                           // the outage is journaled once
    expect(down[0]![1]).toMatchObject({ state: 'failed' });
    r.hal.faults.signerDown = false;
    expect(r.agent.sealing.sealNow()).toBe(true);
    const after = types(r);
    expect(after.types.filter(([t]) => t === 'signer').map(([, b]) => b.state)).toEqual(['failed', 'recovered']);
    const v = verifyRecords(after.recs, r.agent.sealing.key.pub);
    expect(v).toMatchObject({ valid: true, unsealed: 0 });
    cleanup(r.dir);
  });

  it('the secret seed appears in no file outside the keystore and in no log', () => {
    const r = rig();
    for (let i = 0; i < 5; i++) sell(r, `S${i}`);
    r.agent.sealing.sealNow();
    const seed = readFileSync(join(r.dir, 'keystore/device.seed'));
    expect(statSync(join(r.dir, 'keystore/device.seed')).mode & 0o777).toBe(0o600);
    const hex = seed.toString('hex');
    const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? (e.name === 'keystore' ? [] : walk(join(d, e.name))) : [join(d, e.name)]);
    for (const f of walk(r.dir)) {
      const b = readFileSync(f);
      expect(b.indexOf(seed), f).toBe(-1);
      expect(b.toString('latin1').indexOf(hex), f).toBe(-1);
    }
    expect(r.hal.logs.join('\n')).not.toContain(hex);
    expect(Buffer.from(exportJournal(r.hal).bytes).indexOf(seed)).toBe(-1);
    cleanup(r.dir);
  });
});
