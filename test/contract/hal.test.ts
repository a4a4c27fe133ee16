// One HAL contract, every adapter (issue 2): the in-memory fake, host-sim's file-backed NodeHal,
// and the NodeHal as the bundle sees it through the bridge, in QuickJS and in quickjs-ng.
import { describe, expect, it } from 'vitest';
import { runHalContract } from '../../src/core/hal/contract';
import { fakeHal } from '../../src/core/hal/fake';
import { NodeHal } from '../../host-sim/hal/node-hal';
import { DeviceVM, ENGINES } from '../../host-sim/vm/vm';
import { bundle, val } from '../helpers/bundle';
import { flash, tmp, cleanup } from '../helpers/device';
import { newKeyPair } from '../../src/node/keys';

const failures = (rs: { name: string; ok: boolean; detail: string }[]) => rs.filter((r) => !r.ok).map((r) => `${r.name}: ${r.detail}`);

describe('HAL contract', () => {
  it('the fake HAL', () => {
    const rs = runHalContract(fakeHal());
    expect(rs.length).toBeGreaterThan(10);
    expect(failures(rs)).toEqual([]);
  });
  it("host-sim's NodeHal under Node", () => {
    const dir = tmp();
    const rs = runHalContract(new NodeHal({ dir, storageBytes: 1 << 20, startWallMs: Date.now() }));
    expect(failures(rs)).toEqual([]);
    cleanup(dir);
  });
  for (const engine of ENGINES) it(`NodeHal through the ${engine} bridge, as the bundle sees it`, async () => {
    const dir = tmp();
    flash(dir, newKeyPair(), newKeyPair());
    const hal = new NodeHal({ dir, storageBytes: 1 << 22, startWallMs: Date.now() });
    const vm = await DeviceVM.load({ bundle: bundle(), hal, heapLimitBytes: 1 << 20, engine });
    val(vm.start({ dev: 'T-HAL', fleet: 'c' }, 'power-on'));
    const rs = val(vm.call('halContract'));
    expect(rs.length).toBeGreaterThan(10);
    expect(failures(rs)).toEqual([]);
    vm.dispose(); cleanup(dir);
  });
  it('a broken HAL is caught: a keystore that hands out its own buffer', () => {
    const h = fakeHal();
    const store = new Map<string, Uint8Array>();
    h.keystore = { get: (s) => store.get(s) ?? null, put: (s, d) => { store.set(s, d.slice()); return 0; } };
    expect(failures(runHalContract(h))).toEqual(['keystore: absent slot is null; a stored value comes back as a copy: get must return a copy']);
  });
});
