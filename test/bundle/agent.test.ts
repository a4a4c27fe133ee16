// The artifact that ships (SPEC §1): dist/device/agent.js inside QuickJS with a terminal's heap
// budget, driven only through the HAL bridge, on both engines terminals embed (QuickJS and
// quickjs-ng); and a leak check on quickjs-emscripten's debug build.
import { describe, expect, it } from 'vitest';
import { newQuickJSWASMModule, DEBUG_SYNC, TestQuickJSWASMModule } from 'quickjs-emscripten';
import { DeviceVM, ENGINES, quickjs } from '../../host-sim/vm/vm';
import { NodeHal } from '../../host-sim/hal/node-hal';
import { flash, tmp, cleanup } from '../helpers/device';
import { newKeyPair } from '../../src/node/keys';
import { bundle, val } from '../helpers/bundle';
import { sh } from '../helpers/policy';

const sale = (ref: string, amountMinor = 1000) => ({ ref, type: 'sale', channel: 'card', amountMinor, entryMode: '051', conditionCode: '00' });

function flashed() {
  const dir = tmp();
  flash(dir, newKeyPair(), newKeyPair(), (p) => { p.resources.batchMaxTxns = 100_000; p.limits.card.dailyCount = 100_000; p.limits.velocity = { count: 100_000, windowS: 60 }; p.merchant.qualifications = []; });
  const hal = new NodeHal({ dir, storageBytes: 64 << 20, startWallMs: sh('2026-03-02T10:00') });
  hal.fix = { lat: 31.2304, lon: 121.4737, accuracyM: 10, monoMs: 0 };
  return { dir, hal };
}

for (const engine of ENGINES) describe(`the bundle in ${engine}`, () => {
    it('is one ES2020 script with no imports that defines globalThis.agent with a numeric abi', async () => {
      const src = bundle();
      expect(src).not.toMatch(/^\s*import\s|\bimport\(|\brequire\(/m);
      const mod = await quickjs(false, engine);
      const vm = mod.newContext();
      vm.unwrapResult(vm.evalCode(src, 'agent.js')).dispose();
      const t = vm.unwrapResult(vm.evalCode('[typeof agent, typeof agent.abi, agent.abi, typeof agent.start, typeof agent.call, typeof agent.onEvent].join(",")'));
      expect(vm.getString(t)).toBe('object,number,1,function,function,function');
      t.dispose(); vm.dispose();
    });

    it('boots, decides, seals and verifies its policy inside the engine under a 1 MiB heap', async () => {
      const { dir, hal } = flashed();
      const vm = await DeviceVM.load({ bundle: bundle(), hal, heapLimitBytes: 1 << 20, engine });
      const boot = vm.start({ dev: 'T-Q', fleet: 'test' }, 'power-on');
      expect(boot).toMatchObject({ ok: true, value: { policyVersion: 1, policyProblem: null, seq: 1 } });
      for (let i = 0; i < 300; i++) {
        hal.advance(1000);
        const d = val(vm.call('preflight', sale(`S${i}`)));
        expect(d.verdict, JSON.stringify(d)).toBe('allow');
        const r = val(vm.call('answer', { ref: `S${i}`, answer: { mti: '0210', f3: '000000', f4: d.request.f4, f11: d.request.f11, f25: '00', f39: '00', f41: '20260001', f42: '102581054116056', f49: '156' } }));
        expect(r.outcome).toBe('approved');
        if (i % 16 === 15) expect(vm.call('idle').ok).toBe(true);
      }
      const s = val(vm.call('status'));
      expect(s).toMatchObject({ seq: 601, batch: { count: 300 } });
      expect(s.sealedSeq).toBeGreaterThan(560);
      expect(vm.heapPeakBytes).toBeLessThan(1 << 20);
      vm.dispose(); cleanup(dir);
    }, 120_000);

    it('idle tells the firmware when to wake: a sale is sealed when maxUnsealedS says, and then nothing wakes an offline terminal', async () => {
      const { dir, hal } = flashed();
      const vm = await DeviceVM.load({ bundle: bundle(), hal, heapLimitBytes: 1 << 20, engine });
      vm.start({ dev: 'T-Q', fleet: 'test' }, 'power-on');
      expect(val(vm.call('seal')).sealed).toBe(true);
      expect(val(vm.call('idle')).wakeS).toBeNull();
      hal.advance(1000);
      const d = val(vm.call('preflight', sale('W1')));
      val(vm.call('answer', { ref: 'W1', answer: { mti: '0210', f3: '000000', f4: d.request.f4, f11: d.request.f11, f25: '00', f39: '00', f41: '20260001', f42: '102581054116056', f49: '156' } }));
      hal.advance(20_000);
      const first = val(vm.call('idle'));
      expect(first).toEqual({ sealed: false, wakeS: 40 });   // the demo policy's maxUnsealedS is 60
      hal.advance(39_000);
      expect(val(vm.call('idle')).sealed).toBe(false);
      hal.advance(1000);
      expect(val(vm.call('idle'))).toEqual({ sealed: true, wakeS: null });
      expect(val(vm.call('status')).sealedSeq).toBe(val(vm.call('status')).seq);
      vm.dispose(); cleanup(dir);
    });

    it('a HAL that throws on the host side reaches the agent as a failure value, not an exception', async () => {
      const { dir, hal } = flashed();
      const vm = await DeviceVM.load({ bundle: bundle(), hal, heapLimitBytes: 1 << 20, engine });
      vm.start({ dev: 'T-Q', fleet: 'test' }, 'power-on');
      hal.storage.append = () => { throw new Error('flash controller on fire'); };
      const d = val(vm.call('preflight', sale('X1')));
      expect(d).toMatchObject({ verdict: 'deny', request: null });
      expect(d.reasons.map((r: any) => r.name)).toContain('STORAGE_LOW');
      vm.dispose(); cleanup(dir);
    });
});

describe('the bundle, debug build', () => {
  it('leaves no handle and no memory behind (debug build)', async () => {
    const mod = new TestQuickJSWASMModule(await newQuickJSWASMModule(DEBUG_SYNC));
    const { dir, hal } = flashed();
    const vm = await DeviceVM.load({ bundle: bundle(), hal, heapLimitBytes: 1 << 20, module: mod });
    expect(vm.start({ dev: 'T-Q', fleet: 'test' }, 'power-on').ok).toBe(true);
    const d = vm.call('preflight', sale('L1'));
    expect(d.ok).toBe(true);
    vm.call('seal');
    vm.event({ t: 'net.msg', topic: 'preflight/v1/test/T-Q/ack', payload: new Uint8Array([1, 2, 3]) });
    vm.event({ t: 'net.state', up: false });
    vm.call('status');
    vm.dispose();
    mod.disposeAll();
    mod.assertNoMemoryAllocated();
    cleanup(dir);
  }, 120_000);
});
