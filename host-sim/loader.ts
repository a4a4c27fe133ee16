// The simulated terminal's boot loader (SPEC §2 `--image`): commits a staged update, verifies the
// active A/B slot (signature, hashes, HAL ABI, firmware) before any of its code runs, falls back to the
// other slot if it is damaged, and puts the running image's trust anchors and policy where the agent
// reads them. Also the vendor flasher (`image flash`), which verifies an image before anything else.

import { openSign1 } from '../src/core/crypto/cose';
import { HAL_ABI } from '../src/core/hal/types';
import { equalBytes } from '../src/core/util/bytes';
import { COVERED, parseKeyLines, verifyImage, BUNDLE, type ImageFiles, type Manifest } from '../device/provision/manifest';
import {
  activeSlot, commitStaged, generation, installed, NodeFlash, other, readImageDir, readImageFiles, replaceFile, slotDir, stageUpdate, text, verifyUpdate, ACTIVE, SLOTS,
  type Flash, type Slot, type UpdateOptions,
} from '../device/provision/flash';
import { signedPolicyVersion } from '../device/provision/policy';
import { SIM_FIRMWARE } from './hal/node-hal';

export interface Loaded {
  ok: true; bundle: string; manifest: Manifest; slot: Slot;
  /** An update committed at this boot, and an update refused at this boot (the journal should say why). */
  committed: Manifest | null; refused: string | null; log: string[];
}
export interface NotLoaded { ok: false; reason: string; log: string[] }
export type LoadResult = Loaded | NotLoaded;

const policyVersion = (b: Uint8Array | null): number => signedPolicyVersion(b) ?? -1;

/** This terminal's flash and firmware: what every check here runs against unless a test says otherwise. */
const terminal = (dataDir: string, o: UpdateOptions): UpdateOptions => ({ ...o, flash: o.flash ?? new NodeFlash(dataDir), firmware: o.firmware ?? SIM_FIRMWARE });

/**
 * Trust anchors follow the running image (they are covered by its manifest). Its policy is installed
 * only where it improves on the held one: none held, the held one not signed by the image's operator
 * key, or a lower version (the agent refuses a policy older than the one it held, SPEC §4).
 * Idempotent: a power cut half way is finished at the next boot.
 */
function materialise(f: Flash, files: ImageFiles, log: string[]): void {
  for (const n of COVERED) {
    if (n === 'policy.cose') continue;
    const want = files.get(n)!;
    const have = f.read(n);
    if (!have || !equalBytes(have, want)) { replaceFile(f, n, want); log.push(`installed ${n}`); }
  }
  const img = files.get('policy.cose')!;
  const held = f.read('policy.cose');
  const ops = parseKeyLines(files.get('trust/operator.pub')!, 'trust/operator.pub');
  const heldOk = held && ops.ok && openSign1(held, ops.value, 'policy').ok;
  if (!held || !heldOk || policyVersion(img) > policyVersion(held)) {
    if (!held || !equalBytes(held, img)) { replaceFile(f, 'policy.cose', img); log.push(`installed the image's policy (version ${policyVersion(img)})`); }
  }
}

interface Pick { slot: Slot; files: ImageFiles; manifest: Manifest }

/**
 * The slot to run: the active one if it still verifies against the release key it carries, byte for
 * byte (it was checked against the installed key when it was committed), else the other one, to
 * which the pointer then moves. `why` collects what was refused.
 */
function pick(f: Flash, o: UpdateOptions, log: string[], why: string[]): Pick | null {
  const act = activeSlot(f);
  const order: Slot[] = act ? [act, other(act)]
    : [...SLOTS].sort((x, y) => (generation(f, slotDir(y)) ?? -1) - (generation(f, slotDir(x)) ?? -1));
  for (const s of order) {
    if (generation(f, slotDir(s)) === null) { if (s === act) why.push(`slot ${s} is incomplete`); continue; }
    const files = readImageFiles(f, slotDir(s));
    const v = verifyImage(files, { anchors: null, installedVersion: null, halAbi: o.halAbi ?? HAL_ABI, firmware: o.firmware });
    if (!v.ok) { why.push(`slot ${s} refused: ${v.error}`); log.push(`slot ${s} refused: ${v.error}`); continue; }
    if (s !== act) { replaceFile(f, ACTIVE, text(`${s}\n`)); log.push(`fell back to slot ${s} (version ${v.value.version})`); }
    return { slot: s, files, manifest: v.value };
  }
  return null;
}

/**
 * Boot: what a terminal's loader does before it hands agent.js to QuickJS. The running slot is
 * settled first, so a staged update always goes into the other one; then the update is committed
 * and the slot to run chosen again. Never throws for a bad image: the answer says which slot runs,
 * or why none can.
 */
export function loadInstalledImage(dataDir: string, opts: UpdateOptions = {}): LoadResult {
  const o = terminal(dataDir, opts), f = o.flash!;
  const log: string[] = [];
  let why: string[] = [];
  let p = pick(f, o, log, why);
  const c = commitStaged(dataDir, o);
  log.push(...c.log);
  if (c.committed) { why = []; p = pick(f, o, log, why); }
  if (!p) return { ok: false, reason: why.length ? why.join('; ') : 'no image installed (flash one with `preflight image flash --image DIR --data DIR`)', log };
  materialise(f, p.files, log);
  return { ok: true, bundle: Buffer.from(p.files.get(BUNDLE)!).toString('utf8'), manifest: p.manifest, slot: p.slot, committed: c.committed, refused: c.refused, log };
}

export type InstallResult = { ok: true; action: 'flashed' | 'updated' | 'unchanged'; loaded: Loaded } | { ok: false; reason: string; check?: string };

/**
 * `image flash` and `sim run --image`: writes an image as a vendor flasher would (staging, then the
 * boot-time switch) unless it is the one already running. The whole image is verified first, before
 * any version is compared (verifyUpdate: a damaged image is never "already installed"); a refused
 * image leaves the terminal's flash byte for byte as it was.
 */
export function installImage(dataDir: string, imageDir: string, opts: UpdateOptions = {}): InstallResult {
  const o = terminal(dataDir, opts);
  const files = readImageDir(imageDir);
  if (!files.size) return { ok: false, reason: `${imageDir}: not an image folder (no agent.js, manifest.cose, ...)`, check: 'missing' };
  const v = verifyUpdate(dataDir, files, o);
  if (!v.ok) return { ok: false, reason: v.error, check: v.detail?.check as string | undefined };
  if (v.value.installedIn) {
    const l = loadInstalledImage(dataDir, o);
    if (l.ok && l.slot === v.value.installedIn) return { ok: true, action: 'unchanged', loaded: l };
  }
  const wasInstalled = installed(o.flash!) !== null;
  const s = stageUpdate(dataDir, files, o);
  if (!s.ok) return { ok: false, reason: s.error, check: s.detail?.check as string | undefined };
  const l = loadInstalledImage(dataDir, o);
  if (!l.ok) return { ok: false, reason: l.reason };
  if (l.refused) return { ok: false, reason: l.refused };
  return { ok: true, action: wasInstalled ? 'updated' : 'flashed', loaded: l };
}
