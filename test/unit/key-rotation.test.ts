// Key rotation (SPEC §6, issue 4): an entry naming the new key, sealed by the old one; the verifier
// follows it with only the registered key in hand, and a power cut at any step leaves a journal
// that verifies and a terminal that seals with exactly one key.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJournal } from '../../src/core/journal/export';
import { splitSequence } from '../../src/core/codec/cbor';
import { verifyRecords } from '../../src/core/journal/verify';
import { fromHex, toHex } from '../../src/core/util/bytes';
import { cleanup, reboot, rig, sell } from '../helpers/device';

const verify = (r: ReturnType<typeof rig>, registered: Uint8Array) => {
  const s = { value: exportJournal(r.hal).body };
    return verifyRecords(s.value, registered);
};

describe('key rotation', () => {
  it('the old key seals the change; later seals use the new key; the registered key verifies it all', () => {
    const r = rig();
    const registered = r.agent.sealing.key.pub;
    sell(r, 'A'); r.agent.sealing.sealNow();
    const k = r.agent.sealing.rotateKey();
    expect(k.ok).toBe(true);
    expect(toHex(r.agent.sealing.key.pub)).toBe((k as any).value.newPub);
    // SPEC §6: device.pub stays the first key (the registry's copy); device.current.pub is the one in force.
    expect(readFileSync(join(r.dir, 'device.pub'), 'utf8').trim()).toBe(toHex(registered));
    expect(readFileSync(join(r.dir, 'device.current.pub'), 'utf8').trim()).toBe((k as any).value.newPub);
    sell(r, 'B'); r.agent.sealing.sealNow();
    const v = verify(r, registered);
    expect(v).toMatchObject({ valid: true, unsealed: 0 });
    // Without the rotation entry the new key's seals do not verify against the registered key.
    expect(verify(r, fromHex((k as any).value.newPub)!).valid).toBe(false);
    cleanup(r.dir);
  });

  it('a power cut at any write of the rotation leaves a verifiable journal and one key in use', () => {
    const base = rig();
    sell(base, 'A'); base.agent.sealing.sealNow();
    const w0 = base.hal.writes; base.agent.sealing.rotateKey(); sell(base, 'B'); base.agent.sealing.sealNow();
    const writes = base.hal.writes - w0;
    cleanup(base.dir);
    for (let k = 1; k <= writes; k++) {
      for (const mid of [false, true]) {
        let r = rig();
        const registered = r.agent.sealing.key.pub;
        sell(r, 'A'); r.agent.sealing.sealNow();
        r.hal.faults.cutAtWrite = k; r.hal.faults.midWrite = mid;
        r.agent.sealing.rotateKey(); if (!r.hal.dead) { sell(r, 'B'); if (!r.hal.dead) r.agent.sealing.sealNow(); }
        r = reboot(r);
        sell(r, 'C'); r.agent.sealing.sealNow();
        const v = verify(r, registered);
        expect(v.valid, `write ${k} mid=${mid}: ${v.firstBad?.reason}`).toBe(true);
        expect(v.unsealed, `write ${k}`).toBe(0);
        cleanup(r.dir);
      }
    }
  });
});
