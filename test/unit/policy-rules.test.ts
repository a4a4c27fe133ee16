// A policy language that refuses mistakes (issue 17, SPEC §4): misspelt fields name the field and the
// nearest known one, only canonical IANA zones, no policy already expired when signed, none larger
// than a terminal takes (which the terminal refuses too), and key files checked for their kind.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { PolicyRefused, preparePolicy, signPolicy } from '../../device/provision/policy';
import { sign1 } from '../../src/core/crypto/cose';
import { encode } from '../../src/core/codec/cbor';
import { openPolicy, POLICY_MAX_BYTES } from '../../src/core/policy/store';
import { describe as say } from '../../src/core/reasons/catalog';
import { newKeyPair, readPublicKey, readSecretKey, writeKeyPair } from '../../src/node/keys';
import { UsageError } from '../../src/node/errors';
import { demoPolicyJson, sh } from '../helpers/policy';
import { tmp } from '../helpers/device';
import { NodeHal } from '../../host-sim/hal/node-hal';
import { toHex } from '../../src/core/util/bytes';

const NOW = sh('2026-03-02T10:00');
const refusal = (edit: (p: any) => void, nowMs = NOW, lang: 'zh' | 'en' = 'en'): string => {
  const p = demoPolicyJson(); edit(p);
  try { preparePolicy(p, nowMs, lang); } catch (e) { expect(e).toBeInstanceOf(PolicyRefused); return (e as Error).message; }
  return 'accepted';
};

describe('policy fields', () => {
  it('a misspelt field is refused with the nearest known name, never defaulted', () => {
    expect(refusal((p) => { p.hours.Mon = p.hours.mon; delete p.hours.mon; })).toMatch(/hours: unknown field "Mon"; did you mean "mon"\?/);
    expect(refusal((p) => { p.hours.nightrisk = p.hours.nightRisk; delete p.hours.nightRisk; })).toMatch(/did you mean "nightRisk"/);
    expect(refusal((p) => { p.resources = { batchMaxTxn: 100 }; })).toMatch(/resources: unknown field "batchMaxTxn"; did you mean "batchMaxTxns"\?/);
    expect(refusal((p) => { p.colour = 'red'; })).toMatch(/unknown field "colour" \(known fields: version, validFrom/);
    expect(refusal((p) => { p.hours.Mon = []; }, NOW, 'zh')).toMatch(/^策略: hours 中没有字段“Mon”，您是否想写“mon”？$/);
  });

  it('only canonical IANA zone names: no abbreviation, alias or other case', () => {
    const tz = (z: string) => refusal((p) => { p.site.timezone = z; });
    expect(tz('CST')).toMatch(/"CST" is an abbreviation .* "Asia\/Shanghai"/);
    expect(tz('asia/shanghai')).toMatch(/"asia\/shanghai" has the wrong case: write "Asia\/Shanghai"/);
    expect(tz('PRC')).toMatch(/"PRC" is an alias: write the canonical IANA name "Asia\/Shanghai"/);
    expect(tz('Asia/Chongqing')).toMatch(/alias: write the canonical IANA name "Asia\/Shanghai"/);
    expect(tz('Asia/Calcutta')).toMatch(/alias: write the canonical IANA name "Asia\/Kolkata"/);
    expect(tz('Mars/Olympus')).toMatch(/not an IANA zone this machine's time-zone data knows/);
    for (const ok of ['Asia/Shanghai', 'Asia/Urumqi', 'Asia/Kolkata', 'Europe/Vienna', 'America/Argentina/Buenos_Aires']) expect(tz(ok), ok).toBe('accepted');
    expect(refusal((p) => { p.site.timezone = 'CST'; }, NOW, 'zh')).toMatch(/site\.timezone“CST”是时区缩写/);
  });

  it('validity: validUntil already passed at signing, validFrom after validUntil', () => {
    expect(refusal(() => {}, sh('2027-01-01T00:00'))).toMatch(/validUntil \(2027-01-01T00:00:00\+08:00\) has already passed \(now is 2027-01-01T00:00:00\+08:00\)/);
    expect(refusal(() => {}, sh('2026-12-31T23:59'))).toBe('accepted');
    expect(refusal((p) => { p.validFrom = '2027-06-01T00:00:00+08:00'; })).toMatch(/validUntil \(2027-01-01T00:00:00\+08:00\) must be after validFrom \(2027-06-01T00:00:00\+08:00\)/);
    expect(refusal(() => {}, sh('2027-02-01T00:00'), 'zh')).toMatch(/已经过去/);
  });
});

describe('the signed size a terminal accepts', () => {
  const big = (p: any) => { p.hours.exceptions = Array.from({ length: 366 }, (_, i) => ({ date: new Date(Date.UTC(2026, 0, 1 + i)).toISOString().slice(0, 10),
    intervals: Array.from({ length: 8 }, (_, k) => [`${String(k * 2 + 1).padStart(2, '0')}:00`, `${String(k * 2 + 2).padStart(2, '0')}:00`]) })); };

  it('the signer refuses a policy whose signed form is larger than POLICY_MAX_BYTES', () => {
    const p = demoPolicyJson(); big(p);
    expect(() => signPolicy(p, newKeyPair(), NOW)).toThrow(new RegExp(`the signed policy is \\d+ bytes; a terminal accepts at most ${POLICY_MAX_BYTES}`));
    expect(signPolicy(demoPolicyJson(), newKeyPair(), NOW).length).toBeLessThan(POLICY_MAX_BYTES);
  });

  it('the terminal refuses one signed past the signer, before decoding it, in whole sentences', () => {
    const op = newKeyPair();
    const p = demoPolicyJson(); big(p);
    const fat = sign1(encode({ ...p, site: { ...p.site, tz: [[0, 480]] } }), op.secretKey);
    expect(fat.length).toBeGreaterThan(POLICY_MAX_BYTES);
    const dir = tmp('pf-fat-');
    writeFileSync(join(dir, 'x'), '');
    const hal = new NodeHal({ dir, storageBytes: 1 << 20, startWallMs: NOW });
    hal.storage.replace('trust/operator.pub', new TextEncoder().encode(toHex(op.pub)));
    const o = openPolicy(hal, fat, 0, NOW);
    expect(o.ok).toBe(false);
    expect(o.reason?.name).toBe('POLICY_INVALID');
    expect(say(o.reason!, 'en').message).toMatch(/The service-point policy is invalid: the signed policy is \d+ bytes; a terminal accepts at most 32768\./);
    expect(say(o.reason!, 'zh').message).toMatch(/^服务点策略无效：签名后的策略有 \d+ 字节，终端最多接受 32768 字节。$/);
  });
});

describe('key files are checked for their kind', () => {
  it('a public key where a secret key belongs, and the reverse, are bad usage', () => {
    const dir = tmp('pf-keys-');
    writeKeyPair(dir, 'op');
    expect(() => readSecretKey(join(dir, 'op.pub'))).toThrow(UsageError);
    expect(() => readSecretKey(join(dir, 'op.pub'))).toThrow(/this is a public key/);
    expect(() => readPublicKey(join(dir, 'op.key'))).toThrow(/this is a secret key/);
    expect(toHex(readSecretKey(join(dir, 'op.key')).pub)).toBe(readFileSync(join(dir, 'op.pub'), 'utf8').trim());
    const k = readFileSync(join(dir, 'op.key'), 'utf8');
    writeFileSync(join(dir, 'bad.key'), k.slice(0, 64) + '0'.repeat(64) + '\n');
    expect(() => readSecretKey(join(dir, 'bad.key'))).toThrow(/damaged/);
  });
});
