// The deadline interrupt and the stack limit (issue 11): a call cut short by either crashes the
// terminal, which reboots on the same flash with every committed entry intact.
import { describe, expect, it } from 'vitest';
import { DeviceVM, DeviceCrash, ENGINES, type Engine } from '../../host-sim/vm/vm';
import { NodeHal } from '../../host-sim/hal/node-hal';
import { exportJournal } from '../../src/core/journal/export';
import { splitSequence } from '../../src/core/codec/cbor';
import { verifyRecords } from '../../src/core/journal/verify';
import { flash, tmp, cleanup } from '../helpers/device';
import { newKeyPair } from '../../src/node/keys';
import { bundle, val } from '../helpers/bundle';
import { sh } from '../helpers/policy';

const sale = (ref: string) => ({ ref, type: 'sale', channel: 'card', amountMinor: 100, entryMode: '051', conditionCode: '00' });

async function boot(dir: string, engine: Engine) {
  const hal = new NodeHal({ dir, storageBytes: 1 << 24, startWallMs: sh('2026-03-02T10:00') });
  hal.fix = { lat: 31.2304, lon: 121.4737, accuracyM: 10, monoMs: 0 };
  const vm = await DeviceVM.load({ bundle: bundle(), hal, heapLimitBytes: 1 << 20, engine });
  return { hal, vm, status: val(vm.start({ dev: 'T-LIM', fleet: 't' }, 'power-on')) };
}

const journalOk = (hal: NodeHal, pubHex: string) => {
  const s = ({ ok: true as const, value: exportJournal(hal).body });
  return s.ok && verifyRecords(s.value, new Uint8Array(Buffer.from(pubHex, 'hex'))).valid;
};

for (const engine of ENGINES) describe(`deadline and stack limits in ${engine}`, () => {
  it('a call cut short by the deadline crashes the terminal; it reboots with its journal intact', async () => {
    const dir = tmp();
    flash(dir, newKeyPair(), newKeyPair(), (p) => { p.merchant.qualifications = []; });
    let { vm } = await boot(dir, engine);
    for (let i = 0; i < 5; i++) val(vm.call('preflight', sale(`S${i}`)));
    const before = exportJournal(new NodeHal({ dir, storageBytes: 1 << 24, startWallMs: 0 })).bytes;
    vm.setLimits({ callDeadlineMs: -1 });                          // already past: the interrupt fires at once
    let crash: unknown = null;
    try { vm.call('seal'); } catch (e) { crash = e; }
    expect(crash).toBeInstanceOf(DeviceCrash);
    expect((crash as DeviceCrash).kind).toBe('deadline');
    vm.dispose();
    const again = await boot(dir, engine);
    vm = again.vm;
    // Every entry written before the crash is still there, byte for byte, ahead of the new boot.
    expect(Buffer.from(exportJournal(again.hal).bytes).subarray(0, before.length).equals(Buffer.from(before))).toBe(true);
    val(vm.call('seal'));
    expect(journalOk(again.hal, again.status.pub)).toBe(true);
    vm.dispose(); cleanup(dir);
  }, 60_000);

  it('input nested past the stack limit is refused as a value, and the terminal carries on', async () => {
    const dir = tmp();
    flash(dir, newKeyPair(), newKeyPair(), (p) => { p.merchant.qualifications = []; });
    const { vm, hal, status } = await boot(dir, engine);
    vm.setLimits({ stackBytes: 64 * 1024 });
    const deep = '['.repeat(20_000) + '1' + ']'.repeat(20_000);
    const seq = val(vm.call('status')).seq;
    const r = vm.callJson('preflight', JSON.stringify(sale('DEEP')).replace(/}$/, `,"original":${deep}}`));
    expect(r.ok).toBe(false);
    expect((r as any).error).toMatch(/stack overflow|internal/i);
    expect(val(vm.call('status')).seq).toBe(seq);                  // nothing was journaled for it
    expect(val(vm.call('preflight', sale('NEXT'))).verdict).toBe('allow');
    val(vm.call('seal'));
    expect(journalOk(hal, status.pub)).toBe(true);
    vm.dispose(); cleanup(dir);
  }, 60_000);
});
