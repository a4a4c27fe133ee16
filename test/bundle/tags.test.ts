// Issue 19.2 (SPEC §6): "A decoder of signed input accepts plain RFC 8949 data only: no library
// extension tags". On the built bundle in QuickJS: a policy, a command and an acknowledgement whose
// signature holds (signed by the key the terminal trusts) but whose payload carries a tag (cbor-x's
// 259 Map, 28/29 shared references, 57343 records, 1 epoch date, 64 typed array, and others) at the
// top or deep inside, are refused with a reason; the same message without the tag is accepted, so
// it is the tag that was refused. The envelope itself may carry tag 18 (COSE_Sign1) and nothing else.
import { describe, expect, it } from 'vitest';
import { encode, splitSequence, Tag } from '../../src/core/codec/cbor';
import { exportJournal } from '../../src/core/journal/export';
import { parseSeal } from '../../src/core/journal/entry';
import { ackBody } from '../../src/core/telemetry/wire';
import { readOnlyFlash } from '../../src/node/flash-folder';
import { sign1 } from '../../src/core/crypto/cose';
import { toHex } from '../../src/core/util/bytes';
import { newKeyPair } from '../../src/node/keys';
import { preparePolicy } from '../../device/provision/policy';
import { DeviceVM } from '../../host-sim/vm/vm';
import { NodeHal } from '../../host-sim/hal/node-hal';
import { cleanup, flash, tmp } from '../helpers/device';
import { bundle, val } from '../helpers/bundle';
import { demoPolicyJson, sh } from '../helpers/policy';

/** Extension tags a library may write (cbor-x, CBOR registry); none is plain data for a signed message. */
const TAGS: [number, string][] = [
  [259, 'cbor-x Map'], [28, 'shareable'], [29, 'shared reference'], [57343, 'cbor-x record'], [1, 'epoch date'],
  [64, 'typed array'], [0, 'date text'], [2, 'bignum'], [24, 'embedded CBOR'], [258, 'set'], [55799, 'self-described CBOR'],
  [27, 'serialised object'], [32, 'URI'], [105, 'cbor-x record definition'],
];
/** The head the seal of entry `seq` names, read off the terminal's flash by the host (as the fleet knows it). */
function ackHead(dir: string, seq: number): Uint8Array {
  const seq8742 = splitSequence(exportJournal(readOnlyFlash(dir)).bytes);
  for (const r of seq8742.ok ? seq8742.value : []) { const s = parseSeal(r); if (s.ok && s.value.payload.seq === seq) return s.value.payload.head; }
  throw new Error(`no seal of ${seq}`);
}

const sale = { ref: 'S1', type: 'sale', channel: 'card', amountMinor: 1000, entryMode: '051', conditionCode: '00' };
const ans = (req: any) => ({ mti: '0210', f3: '000000', f4: req.f4, f11: req.f11, f25: '00', f39: '00', f41: '20260001', f42: '102581054116056', f49: '156' });

async function terminal() {
  const dir = tmp('pf-tags-');
  const operator = newKeyPair(), backend = newKeyPair();
  flash(dir, operator, backend, (p) => { p.merchant.qualifications = []; });
  const hal = new NodeHal({ dir, storageBytes: 4 << 20, startWallMs: sh('2026-03-02T10:00') });
  hal.fix = { lat: 31.2304, lon: 121.4737, accuracyM: 10, monoMs: 0 };
  const vm = await DeviceVM.load({ bundle: bundle(), hal, heapLimitBytes: 1 << 20 });
  expect(vm.start({ dev: 'T-TAG', fleet: 'test' }, 'power-on').ok).toBe(true);
  return { dir, hal, vm, operator, backend };
}

describe('signed input with extension tags, on the bundle in QuickJS', () => {
  it('commands: every tag, at the top or inside a field, is refused with its reason; the plain command is accepted', async () => {
    const t = await terminal();
    const exp = t.hal.clock.wallMs() + 3600_000;
    let n = 1;
    for (const [tag, what] of TAGS) {
      for (const payload of [new Tag({ dev: 'T-TAG', n, exp, kind: 'hours-extend', untilMs: exp }, tag),
                             { dev: 'T-TAG', n, exp, kind: 'hours-extend', untilMs: new Tag(exp, tag) }]) {
        const c = val(t.vm.call('command', { cose: toHex(sign1(encode(payload), t.operator.secretKey)) }));
        expect(c.accepted, `${tag} (${what})`).toBe(false);
        expect(c.why, `${tag} (${what})`).toMatch(new RegExp(`tag ${tag} is not accepted`));
      }
    }
    const plain = val(t.vm.call('command', { cose: toHex(sign1(encode({ dev: 'T-TAG', n, exp, kind: 'hours-extend', untilMs: exp }), t.operator.secretKey)) }));
    expect(plain).toMatchObject({ accepted: true });
    t.vm.dispose(); cleanup(t.dir);
  }, 60_000);

  it('policies: every tag is refused (POLICY_INVALID naming the tag) and the policy held stays; the plain one installs', async () => {
    const t = await terminal();
    const base = () => { const j = demoPolicyJson(); j.merchant.qualifications = []; j.version = 2; return preparePolicy(j, sh('2026-03-02T10:00')) as any; };
    for (const [tag, what] of TAGS) {
      const inside = base(); inside.merchant.name = new Tag(inside.merchant.name, tag);
      for (const payload of [new Tag(base(), tag), inside]) {
        const r = t.vm.call('installPolicy', { cose: toHex(sign1(encode(payload), t.operator.secretKey)) });
        expect(r.ok, `${tag} (${what})`).toBe(false);
        expect(!r.ok && r.error, `${tag} (${what})`).toMatch(new RegExp(`tag ${tag} is not accepted`));
      }
      expect(val(t.vm.call('status')).policyVersion).toBe(1);
    }
    expect(val(t.vm.call('installPolicy', { cose: toHex(sign1(encode(base()), t.operator.secretKey)) }))).toMatchObject({ version: 2 });
    t.vm.dispose(); cleanup(t.dir);
  }, 60_000);

  it('acknowledgements: every tag is refused and the ack cursor does not move; the plain ack moves it', async () => {
    const t = await terminal();
    const d = val(t.vm.call('preflight', sale));
    val(t.vm.call('answer', { ref: 'S1', answer: ans(d.request) }));
    val(t.vm.call('seal'));
    const sealed = val(t.vm.call('status')).sealedSeq;
    expect(sealed).toBeGreaterThan(0);
    for (const [tag, what] of TAGS) {
      const head8 = ackHead(t.dir, sealed).subarray(0, 8);
      for (const payload of [new Tag(ackBody('T-TAG', sealed, head8), tag), new Map<number, unknown>([[1, 'T-TAG'], [2, new Tag(sealed, tag)], [3, head8]])]) {
        const a = val(t.vm.call('ack', { cose: toHex(sign1(encode(payload), t.backend.secretKey)) }));
        expect(a.ok, `${tag} (${what})`).toBe(false);
        expect(a.why, `${tag} (${what})`).toMatch(/\w/);
        expect(val(t.vm.call('status')).ackSeq).toBe(0);
      }
    }
    // The genuine ack names the head of the sealed entry, as the fleet's does; the same ack for another chain frees nothing.
    const head = ackHead(t.dir, sealed);
    const other = head.map((x) => x ^ 0xff);
    const ack = (m: Map<number, unknown>) => val(t.vm.call('ack', { cose: toHex(sign1(encode(m), t.backend.secretKey)) }));
    expect(ack(ackBody('T-TAG', sealed, other))).toMatchObject({ ok: false, why: expect.stringMatching(/names another journal/) });
    expect(ack(new Map<number, unknown>([[1, 'T-TAG'], [2, sealed]]))).toMatchObject({ ok: false, why: expect.stringMatching(/without the head/) });
    expect(ack(new Map<number, unknown>([[1, 'T-OTHER'], [2, sealed], [3, head.subarray(0, 8)]]))).toMatchObject({ ok: false, why: expect.stringMatching(/another device/) });
    expect(val(t.vm.call('status')).ackSeq).toBe(0);
    expect(ack(ackBody('T-TAG', sealed, head))).toEqual({ ok: true });
    expect(val(t.vm.call('status')).ackSeq).toBe(sealed);
    t.vm.dispose(); cleanup(t.dir);
  }, 60_000);

  it('the envelope: tag 18 alone; another tag around it or inside its headers is refused with the reason', async () => {
    const t = await terminal();
    const exp = t.hal.clock.wallMs() + 3600_000;
    const good = sign1(encode({ dev: 'T-TAG', n: 1, exp, kind: 'hours-extend', untilMs: exp }), t.operator.secretKey);
    for (const [tag] of TAGS) {
      const wrapped = Buffer.concat([Buffer.from(encode(new Tag(0, tag))).subarray(0, -1), good]);   // tag head, then the envelope
      const c = val(t.vm.call('command', { cose: toHex(new Uint8Array(wrapped)) }));
      expect(c.accepted).toBe(false);
      expect(c.why).toMatch(new RegExp(`tag ${tag} is not accepted`));
    }
    expect(val(t.vm.call('command', { cose: toHex(good) })).accepted).toBe(true);
    t.vm.dispose(); cleanup(t.dir);
  }, 60_000);
});
