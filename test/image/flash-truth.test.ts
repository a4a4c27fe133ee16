// `preflight image flash` tells the truth (issue 20): it verifies the whole image before it compares
// versions, so a damaged image is never "already installed"; the same version with other bytes is
// refused; and a policy below the terminal's policy floor (SPEC §4) refuses the image. Every refusal
// leaves the data folder byte for byte as it was.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dispatch } from '../../src/cli/dispatch';
import { writePolicyIfAbsent } from '../../device/provision/terminal';
import { toHex } from '../../src/core/util/bytes';
import { newKeyPair } from '../../src/node/keys';
import { bootVm, bundleVariant, folderBytes, imageDir, newKeys, policyCose, rm, tmp, type ImgOpts, type Keys } from './rig';

let keys: Keys, w: string, data: string, v5: string;
const lines: string[] = [];
const image = (...argv: string[]) => dispatch(['image', ...argv], (s) => lines.push(s));
const flash = (dir: string, into = data) => image('flash', '--image', dir, '--data', into);
const dirs: string[] = [];
const mk = (o: Omit<ImgOpts, 'keys'> & { keys?: Keys }) => { const d = imageDir({ keys, ...o }); dirs.push(d); return d; };

/** `image flash` refuses: exit 1, the REFUSED line, and not one byte of the terminal changed. */
async function refused(dir: string, msg: RegExp, into = data): Promise<void> {
  const before = folderBytes(into);
  const code = await flash(dir, into);
  expect({ code, said: lines.at(-1) }).toEqual({ code: 1, said: "the terminal keeps its installed image" });
  expect(lines.slice(-2)).toEqual([expect.stringMatching(/^REFUSED: /), 'the terminal keeps its installed image']);
  expect(lines.at(-2)).toMatch(msg);
  expect(folderBytes(into)).toEqual(before);
}

beforeAll(async () => {
  keys = newKeys();
  w = tmp('pf-truth-');
  data = join(w, 'data');
  v5 = mk({ version: 5 });
  expect(await flash(v5)).toBe(0);
  expect(lines.at(-1)).toMatch(/^flashed: version 5 /);
  expect((await bootVm(data)).status).toMatchObject({ policyVersion: 1, policyProblem: null }); // a journal, policy 1 held
});
afterAll(() => { rm(w); dirs.forEach(rm); });

describe('image flash verifies the whole image before it compares versions', () => {
  it('a bundle changed after the image was built is refused, though its version is the installed one', async () => {
    const d = join(w, 'v5-edited');
    cpSync(v5, d, { recursive: true });
    appendFileSync(join(d, 'agent.js'), '\nglobalThis.debug = true;\n');
    await refused(d, /^REFUSED: agent\.js does not match the manifest: SHA-512/);
    // `image verify` says the same about the same folder, in the same words.
    expect(await image('verify', '--image', d)).toBe(1);
    expect(lines.at(-1)).toMatch(/^INVALID: agent\.js does not match the manifest: SHA-512/);
    // The image as built is still the one installed.
    expect(await flash(v5)).toBe(0);
    expect(lines.at(-1)).toMatch(/^already installed: version 5 \(test-5\) in slot a of /);
  });

  it('a damaged or foreign image is refused for what is wrong with it, whatever its version', async () => {
    const swapped = join(w, 'v5-swapped');
    cpSync(v5, swapped, { recursive: true });
    writeFileSync(join(swapped, 'trust/operator.pub'), toHex(newKeyPair().pub) + '\n');
    await refused(swapped, /^REFUSED: trust\/operator\.pub does not match the manifest's SHA-512/);
    await refused(mk({ version: 5, keys: { ...keys, release: newKeyPair() } }), /^REFUSED: manifest signature does not verify against the installed release key/);
    const older = mk({ version: 4, bundle: bundleVariant('v4') });
    writeFileSync(join(older, 'policy.cose'), policyCose(keys.operator, 9));
    await refused(older, /^REFUSED: policy\.cose does not match the manifest's SHA-512/);    // not "anti-rollback"
  });

  it('the same version with other contents is refused; only identical bytes are "already installed"', async () => {
    await refused(mk({ version: 5, bundle: bundleVariant('rebuilt') }), /^REFUSED: version 5 is already installed with other contents \(agent\.js, manifest\.cose differ\)/);
  });

  it('an image that needs a newer firmware than the terminal runs is refused', async () => {
    await refused(mk({ version: 6, minFirmware: 'fw-9', bundle: bundleVariant('fw') }), /^REFUSED: needs firmware fw-9 or later, the terminal has host-sim-1/);
  });
});

describe('the policy floor (SPEC §4)', () => {
  it('the provisioned policy counts, and so does the one a boot ran under once its file is lost', async () => {
    const fresh = join(w, 'provisioned');
    mkdirSync(fresh);
    expect(writePolicyIfAbsent(fresh, policyCose(keys.operator, 3))).toBe(true);
    const p2 = mk({ version: 2, policyVersion: 2, bundle: bundleVariant('p2') });
    await refused(p2, /^REFUSED: the image's policy version 2 is below this terminal's policy floor 3/, fresh);
    expect(await flash(mk({ version: 1, policyVersion: 3, bundle: bundleVariant('p3') }), fresh)).toBe(0);
    expect((await bootVm(fresh)).status).toMatchObject({ policyVersion: 3, policyProblem: null });   // journaled in its boot entry
    rmSync(join(fresh, 'policy.cose'));
    await refused(p2, /^REFUSED: the image's policy version 2 is below this terminal's policy floor 3/, fresh);
  }, 30_000);

  it('an image whose policy is below the highest one the terminal has held is refused, naming both versions', async () => {
    // The running terminal takes policy 3 the way a policy command installs it: journaled.
    expect((await bootVm(data, { installPolicy: policyCose(keys.operator, 3) })).version).toBe(5);
    const low = mk({ version: 6, policyVersion: 2, bundle: bundleVariant('v6') });
    await refused(low, /^REFUSED: the image's policy version 2 is below this terminal's policy floor 3/);
    expect(await image('verify', '--image', low, '--data', data)).toBe(1);
    expect(lines.at(-1)).toMatch(/^INVALID: the image's policy version 2 is below this terminal's policy floor 3/);
    // The journal keeps the floor when the held policy file is lost.
    rmSync(join(data, 'policy.cose'));
    await refused(low, /^REFUSED: the image's policy version 2 is below this terminal's policy floor 3/);
    // An image at the floor goes in, and the terminal trades under its policy.
    expect(await flash(mk({ version: 6, policyVersion: 3, bundle: bundleVariant('v6b') }))).toBe(0);
    expect(lines.at(-1)).toMatch(/^updated: version 6 /);
    expect(await bootVm(data)).toMatchObject({ version: 6, slot: 'b', status: { policyVersion: 3, policyProblem: null } });
  }, 30_000);
});
