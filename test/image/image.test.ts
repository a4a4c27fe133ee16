// Image verification (SPEC §2, device/README.md): a tampered bundle, a foreign signature, an older
// version, a wrong HAL ABI are each refused with their reason, and the installed image keeps booting
// in QuickJS; first flash, fallback from a damaged slot, and policy/trust installation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newKeyPair } from '../../src/node/keys';
import { stageUpdate } from '../../device/provision/flash';
import { peekManifest, signManifest, verifyImage, versionNumber } from '../../device/provision/manifest';
import { installImage, loadInstalledImage } from '../../host-sim/loader';
import { toHex } from '../../src/core/util/bytes';
import { bootVm, bundleVariant, imageDir, makeImage, newKeys, rm, tmp, type Keys } from './rig';

let keys: Keys, data: string;
let rotated: ReturnType<typeof newKeyPair> | null = null;
const dirs: string[] = [];
const img = (o: Parameters<typeof imageDir>[0]) => { const d = imageDir(o); dirs.push(d); return d; };

beforeAll(async () => {
  keys = newKeys();
  data = tmp();
  const r = installImage(data, img({ version: 5, keys }));
  expect(r).toMatchObject({ ok: true, action: 'flashed' });
  expect((await bootVm(data)).version).toBe(5);
});
afterAll(() => { rm(data); dirs.forEach(rm); });

describe('a refused update leaves the installed image running', () => {
  const refused = async (dir: string, check: string, msg: RegExp) => {
    const r = installImage(data, dir);
    expect(r.ok).toBe(false);
    if (!r.ok) { expect(r.check).toBe(check); expect(r.reason).toMatch(msg); }
    const b = await bootVm(data);
    expect(b).toMatchObject({ version: 5, slot: 'a', status: { policyVersion: 1, policyProblem: null } });
  };

  it('a tampered bundle', async () => {
    const d = img({ version: 6, keys });
    writeFileSync(join(d, 'agent.js'), Buffer.concat([readFileSync(join(d, 'agent.js')), Buffer.from(';globalThis.x=1')]));
    await refused(d, 'bundle-hash', /agent\.js does not match the manifest: SHA-512/);
  });

  it('a manifest signed by a key the terminal does not trust', async () => {
    const intruder = newKeyPair();
    await refused(img({ version: 6, keys: { ...keys, release: intruder } }), 'signature', /manifest signature does not verify against the installed release key/);
  });

  it('an older version (anti-rollback)', async () => {
    await refused(img({ version: 4, keys }), 'rollback', /version 4 is lower than the installed version 5 \(anti-rollback\)/);
  });

  it('a wrong HAL ABI', async () => {
    await refused(img({ version: 6, keys, abi: 2 }), 'abi', /HAL ABI 2 in the manifest does not match the terminal's HAL ABI 1/);
  });

  it('a swapped trust anchor in an otherwise signed image', async () => {
    const d = img({ version: 6, keys });
    writeFileSync(join(d, 'trust/operator.pub'), toHex(newKeyPair().pub) + '\n');
    await refused(d, 'file-hash', /trust\/operator\.pub does not match the manifest/);
  });

  it('an image damaged in staging after it was accepted is refused at the boot-time commit', async () => {
    expect(stageUpdate(data, makeImage({ version: 7, keys, bundle: bundleVariant('v7') })).ok).toBe(true);
    const p = join(data, 'img/staging/agent.js');
    const b = readFileSync(p); b[100] ^= 1; writeFileSync(p, b);
    const l = loadInstalledImage(data);
    expect(l).toMatchObject({ ok: true, slot: 'a', manifest: { version: 5 } });
    if (l.ok) expect(l.refused).toMatch(/agent\.js does not match the manifest/);
    expect((await bootVm(data)).version).toBe(5);
  });
});

describe('updates, first flash and fallback', () => {
  it('a good update switches slots, installs its trust anchors and newer policy, and boots', async () => {
    const k2 = { ...keys, operator: newKeyPair() };
    const d = img({ version: 6, keys: k2, policyVersion: 2, bundle: bundleVariant('v6') });
    const r = installImage(data, d);
    expect(r).toMatchObject({ ok: true, action: 'updated', loaded: { slot: 'b', manifest: { version: 6 } } });
    expect(readFileSync(join(data, 'trust/operator.pub'), 'utf8')).toBe(toHex(k2.operator.pub) + '\n');
    expect(await bootVm(data)).toMatchObject({ version: 6, slot: 'b', status: { policyVersion: 2, policyProblem: null } });
    expect(installImage(data, d)).toMatchObject({ ok: true, action: 'unchanged' });
  });

  it('a damaged active slot falls back to the other one', async () => {
    const p = join(data, 'img/b/agent.js');
    const good = readFileSync(p);
    writeFileSync(p, good.subarray(0, 1000));
    const l = loadInstalledImage(data);
    expect(l).toMatchObject({ ok: true, slot: 'a', manifest: { version: 5 } });
    if (l.ok) expect(l.log.join('\n')).toMatch(/slot b refused: agent\.js does not match[\s\S]*fell back to slot a/);
    expect(readFileSync(join(data, 'img/active'), 'utf8')).toBe('a\n');
  });

  it('the first flash trusts the image\'s own release key; a factory anchor, if present, must sign it', () => {
    const fresh = tmp();
    const other = newKeys();
    expect(installImage(fresh, img({ version: 1, keys: other }))).toMatchObject({ ok: true, action: 'flashed', loaded: { slot: 'a' } });
    const factory = tmp();
    mkdirSync(join(factory, 'trust'));
    writeFileSync(join(factory, 'trust/release.pub'), toHex(keys.release.pub) + '\n');
    const r = installImage(factory, img({ version: 1, keys: other }));
    expect(r).toMatchObject({ ok: false, check: 'signature' });
    expect(loadInstalledImage(factory)).toMatchObject({ ok: false, reason: /no image installed/ });
    rm(fresh); rm(factory);
  });

  it('an image that does not trust its own signer is refused (it could never be updated or booted)', () => {
    const files = makeImage({ version: 9, keys });
    const k1 = newKeyPair();
    files.set('manifest.cose', signManifest(files, { version: 9, build: 'x', abi: 1, minFirmware: '' }, k1.secretKey).cose);
    expect(verifyImage(files, { anchors: [k1.pub], installedVersion: null, halAbi: 1 })).toMatchObject({ ok: false, detail: { check: 'self-trust' } });
    const v = verifyImage(files, { anchors: null, installedVersion: null, halAbi: 1 });
    expect(v.ok ? '' : v.error).toMatch(/signature does not verify against the image's own release key/);
  });

  it('release key rotation: an image signed by the old key that also trusts the next one', async () => {
    // Policy 2 from here on: the terminal has held version 2, its floor (SPEC §4).
    const next = newKeyPair();
    rotated = next;
    const d = img({ version: 8, keys, policyVersion: 2, nextRelease: [next.pub], bundle: bundleVariant('v8') });
    expect(installImage(data, d)).toMatchObject({ ok: true, loaded: { manifest: { version: 8 } } });
    const d2 = img({ version: 9, keys: { ...keys, release: next }, policyVersion: 2, bundle: bundleVariant('v9') });
    expect(installImage(data, d2)).toMatchObject({ ok: true, loaded: { manifest: { version: 9 } } });
    expect(await bootVm(data)).toMatchObject({ version: 9 });
    expect(installImage(data, img({ version: 10, keys }))).toMatchObject({ ok: false, check: 'signature' });
  });

  it('an update staged while the active slot is damaged replaces the damaged slot, never the working one', async () => {
    const next = readFileSync(join(data, 'img/a/trust/release.pub'), 'utf8');
    expect(readFileSync(join(data, 'img/active'), 'utf8')).toBe('a\n');
    const p = join(data, 'img/a/agent.js');
    writeFileSync(p, 'globalThis.agent = null;');
    const release = rotated!;
    expect(stageUpdate(data, makeImage({ version: 10, keys: { ...keys, release }, policyVersion: 2, bundle: bundleVariant('v10') })).ok).toBe(true);
    const l = loadInstalledImage(data);
    expect(l).toMatchObject({ ok: true, slot: 'a', manifest: { version: 10 }, committed: { version: 10 } });
    if (l.ok) expect(l.log.join('\n')).toMatch(/slot a refused[\s\S]*fell back to slot b[\s\S]*committed version 10 \(test-10\) to slot a/);
    expect(peekManifest(readFileSync(join(data, 'img/b/manifest.cose')))).toMatchObject({ ok: true, value: { version: 8 } });
    expect(next).toBe(toHex(release.pub) + '\n');
    expect(await bootVm(data)).toMatchObject({ version: 10, slot: 'a' });
  });

  it('manifest fields: version from package.json, bundle hash, covered files', () => {
    expect(versionNumber('0.1.0')).toBe(1000);
    expect(versionNumber('2.13.7')).toBe(2_013_007);
    expect(versionNumber('1.2')).toBeNull();
    const m = peekManifest(makeImage({ version: 3, keys, minFirmware: 'fw-2.1' }).get('manifest.cose')!);
    expect(m.ok && m.value).toMatchObject({ v: 1, version: 3, abi: 1, minFirmware: 'fw-2.1', files: { 'policy.cose': expect.stringMatching(/^[0-9a-f]{128}$/) } });
    const files = makeImage({ version: 3, keys, minFirmware: 'fw-2.10' });
    expect(verifyImage(files, { anchors: null, installedVersion: null, halAbi: 1, firmware: 'fw-2.9' })).toMatchObject({ ok: false, detail: { check: 'firmware' } });
    expect(verifyImage(files, { anchors: null, installedVersion: null, halAbi: 1, firmware: 'fw-2.10.1' }).ok).toBe(true);
  });
});
