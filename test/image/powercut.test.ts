// An update cut by a power loss after every flash operation, and in the middle of every write
// (stage, boot-time commit, trust and policy installation): the next boot runs the old image or
// the new one, whole, with matching trust anchors and policy; never a mix, never nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NodeFlash, stageUpdate, type Flash } from '../../device/provision/flash';
import { CutFlash, PowerCut } from '../helpers/flash';
import type { ImageFiles } from '../../device/provision/manifest';
import { installImage, loadInstalledImage } from '../../host-sim/loader';
import { equalBytes } from '../../src/core/util/bytes';
import { newKeyPair } from '../../src/node/keys';
import { portableEd25519, useEd25519 } from '../../src/core/crypto/ed25519-impl';
import { nativeEd25519 } from '../../src/node/native-crypto';
import { bootVm, bundleVariant, imageDir, makeImage, newKeys, rm, tmp, type Keys } from './rig';

let keys: Keys, base: string, oldImg: ImageFiles, newImg: ImageFiles;
const dirs: string[] = [];

beforeAll(async () => {
  useEd25519(nativeEd25519); // host-side checks only; the bundle in QuickJS keeps its own
  keys = newKeys();
  base = tmp();
  // Both slots in use, so the update first has to clear the inactive one, file by file.
  const older = imageDir({ version: 1, keys, bundle: bundleVariant('older') });
  const d = imageDir({ version: 2, keys, bundle: bundleVariant('old') });
  dirs.push(older, d, base);
  oldImg = readImage(d);
  expect(installImage(base, older)).toMatchObject({ ok: true, loaded: { slot: 'a' } });
  expect(installImage(base, d)).toMatchObject({ ok: true, loaded: { slot: 'b' } });
  await bootVm(base); // the terminal has run: device key, journal, held policy version 1
  // The update changes everything the loader touches: bundle, operator key, policy version.
  newImg = makeImage({ version: 3, keys: { ...keys, operator: newKeyPair() }, policyVersion: 2, bundle: bundleVariant('new') });
});
afterAll(() => { dirs.forEach(rm); useEd25519(portableEd25519); });

function readImage(dir: string): ImageFiles {
  const m: ImageFiles = new Map();
  for (const n of ['agent.js', 'manifest.cose', 'policy.cose', 'trust/operator.pub', 'trust/backend.pub', 'trust/release.pub', 'text/reasons.cbor']) m.set(n, new Uint8Array(readFileSync(join(dir, n))));
  return m;
}

/** The whole update as the terminal does it: stage, then the next boot commits. */
function update(dir: string, f: Flash): void {
  const s = stageUpdate(dir, newImg, { flash: f });
  if (!s.ok) throw new Error(s.error);
  const l = loadInstalledImage(dir, { flash: f });
  if (!l.ok) throw new Error(l.reason);
}

/** After a reboot: exactly one of the two images, with its own trust anchors and policy in place. */
function bootedImage(dir: string): 'old' | 'new' {
  const l = loadInstalledImage(dir);
  if (!l.ok) throw new Error(`not bootable: ${l.reason}`);
  const same = (a: ImageFiles, n: string, path: string) => equalBytes(a.get(n)!, new Uint8Array(readFileSync(join(dir, path))));
  const which = l.bundle === Buffer.from(newImg.get('agent.js')!).toString() ? 'new' : l.bundle === Buffer.from(oldImg.get('agent.js')!).toString() ? 'old' : null;
  expect(which).not.toBeNull();
  const img = which === 'new' ? newImg : oldImg;
  for (const n of ['agent.js', 'manifest.cose', 'policy.cose', 'trust/operator.pub', 'trust/release.pub', 'text/reasons.cbor']) expect(same(img, n, `img/${l.slot}/${n}`)).toBe(true);
  for (const n of ['policy.cose', 'trust/operator.pub', 'trust/backend.pub', 'trust/release.pub', 'text/reasons.cbor']) expect(same(img, n, n), n).toBe(true);
  return which!;
}

describe('power cut during an image update', () => {
  let ops: string[] = [];
  let total = 0;
  beforeAll(() => {
    const d = tmp(); dirs.push(d);
    cpSync(base, d, { recursive: true });
    const f = new CutFlash(new NodeFlash(d), null);
    update(d, f);
    total = f.steps;
    ops = f.ops;
    expect(bootedImage(d)).toBe('new');
  });

  for (const torn of [false, true]) {
    it(`after every one of the update's flash operations${torn ? ', with the write in progress half done' : ''}`, async () => {
      expect(total).toBeGreaterThan(20);
      const seen: string[] = [];
      const booted = new Map<string, number>();
      for (let k = 1; k <= total; k++) {
        const d = tmp(); dirs.push(d);
        cpSync(base, d, { recursive: true });
        expect(() => update(d, new CutFlash(new NodeFlash(d), k, torn)), `cut at ${k}`).toThrow(PowerCut);
        const first = bootedImage(d);
        expect(bootedImage(d), 'a second boot agrees').toBe(first);
        seen.push(first);
        // Boot the chosen image in QuickJS: once per distinct outcome, and at the cuts around the switch.
        if (!booted.has(first) || ops[k - 1]!.includes('img/active')) {
          const b = await bootVm(d);
          expect(b.status).toMatchObject({ policyProblem: null, policyVersion: first === 'new' ? 2 : 1 });
          booted.set(first, (booted.get(first) ?? 0) + 1);
        }
        // An update the cut lost can be sent again and then succeeds.
        if (first === 'old') { update(d, new NodeFlash(d)); expect(bootedImage(d)).toBe('new'); }
        rm(d);
      }
      // Old until the staged update is whole (its COMPLETE marker), new from then on.
      const completeAt = ops.findIndex((o) => o === 'write img/staging/COMPLETE') + 1;
      expect(completeAt).toBeGreaterThan(0);
      expect(seen).toEqual(seen.map((_, i) => (i + 1 <= completeAt ? 'old' : 'new')));
      expect([...booted.keys()].sort()).toEqual(['new', 'old']);
    }, 120_000);
  }
});
