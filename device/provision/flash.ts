// The image area of a terminal's flash (the --data folder): A/B slots, a staging area and an
// atomically replaced pointer, written through a few primitive operations so a test can cut the
// power after any one of them. Checking, staging and committing an update live here, with the
// policy floor an update is held to (SPEC §4); booting is loader.ts.

import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HAL_ABI } from '../../src/core/hal/types';
import { parseEntry } from '../../src/core/journal/entry';
import { KIND_ENTRY } from '../../src/core/journal/frame';
import { readRecords } from '../../src/core/journal/export';
import { decodeFloors, FLOORS } from '../../src/core/journal/checkpoint';
import { POLICY_COPY, readPolicyFile } from '../../src/core/policy/store';
import { equalBytes } from '../../src/core/util/bytes';
import { fail, ok, type Result } from '../../src/core/util/result';
import { readOnlyFlash } from '../../src/node/flash-folder';
import { IMAGE_FILES, parseKeyLines, peekManifest, verifyImage, MANIFEST, type Check, type ImageFiles, type Manifest } from './manifest';
import { signedPolicyVersion } from './policy';

export type Slot = 'a' | 'b';
export const SLOTS: readonly Slot[] = ['a', 'b'];
export const ACTIVE = 'img/active';       // "a\n" or "b\n": the switch, replaced by rename(2)
export const STAGING = 'img/staging';     // an update being written
export const COMPLETE = 'COMPLETE';       // written last into staging: "generation N\n"
export const slotDir = (s: Slot) => `img/${s}`;
export const other = (s: Slot): Slot => (s === 'a' ? 'b' : 'a');

/** Primitive flash operations on paths relative to the data folder. Every mutation is one step. */
export interface Flash {
  read(path: string): Uint8Array | null;
  /** Files under `dir`, relative to it, recursively. */
  list(dir: string): string[];
  /** Creates or truncates and writes; durable when it returns. A power cut may leave it partial. */
  write(path: string, data: Uint8Array): void;
  /** rename(2): atomic, and durable when it returns. `to` may be an existing file or empty folder. */
  rename(from: string, to: string): void;
  /** Removes a file or an empty folder. */
  remove(path: string): void;
}

/** The real thing on a POSIX file system: fsync on the file, and on the folder after a rename. */
export class NodeFlash implements Flash {
  constructor(readonly dir: string) {}
  private p(path: string): string {
    if (path.split('/').some((x) => x === '..' || x === '')) throw new Error(`flash: bad path ${path}`);
    return join(this.dir, path);
  }
  read(path: string): Uint8Array | null {
    try { return new Uint8Array(readFileSync(this.p(path))); } catch { return null; }
  }
  list(dir: string): string[] {
    const out: string[] = [];
    const walk = (rel: string) => {
      let ents;
      try { ents = readdirSync(this.p(rel), { withFileTypes: true }); } catch { return; }
      for (const e of ents) { const r = `${rel}/${e.name}`; if (e.isDirectory()) { walk(r); out.push(r.slice(dir.length + 1) + '/'); } else out.push(r.slice(dir.length + 1)); }
    };
    walk(dir);
    return out.sort();
  }
  write(path: string, data: Uint8Array): void {
    const p = this.p(path);
    mkdirSync(dirname(p), { recursive: true });
    const fd = openSync(p, 'w');
    try { writeSync(fd, data); fsyncSync(fd); } finally { closeSync(fd); }
  }
  rename(from: string, to: string): void {
    const t = this.p(to);
    mkdirSync(dirname(t), { recursive: true });
    renameSync(this.p(from), t);
    syncDir(dirname(t));
  }
  remove(path: string): void {
    const p = this.p(path);
    if (!existsSync(p)) return;
    if (statSync(p).isDirectory()) rmdirSync(p); else unlinkSync(p);
  }
}

function syncDir(d: string): void {
  try { const fd = openSync(d, 'r'); try { fsyncSync(fd); } finally { closeSync(fd); } } catch { /* not every FS syncs folders */ }
}

/** Removes a folder tree one step at a time; COMPLETE goes first so a half-removed tree never looks whole. */
export function removeTree(f: Flash, dir: string): void {
  const entries = f.list(dir);
  if (entries.includes(COMPLETE)) f.remove(`${dir}/${COMPLETE}`);
  for (const e of entries.filter((x) => !x.endsWith('/') && x !== COMPLETE)) f.remove(`${dir}/${e}`);
  for (const e of entries.filter((x) => x.endsWith('/')).sort((x, y) => y.length - x.length)) f.remove(`${dir}/${e.slice(0, -1)}`);
  f.remove(dir);
}

/** Atomic replace: a temp file then rename(2), so readers see the old or the new bytes. */
export function replaceFile(f: Flash, path: string, data: Uint8Array): void {
  f.write(`${path}.tmp`, data);
  f.rename(`${path}.tmp`, path);
}

export const text = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const str = (b: Uint8Array | null) => (b ? Buffer.from(b).toString('utf8') : null);

/** The image files under `base` (a slot, staging, or an image folder read through a Flash). */
export function readImageFiles(f: Flash, base: string): ImageFiles {
  const m: ImageFiles = new Map();
  for (const n of IMAGE_FILES) { const b = f.read(`${base}/${n}`); if (b) m.set(n, b); }
  return m;
}

export function activeSlot(f: Flash): Slot | null {
  const s = str(f.read(ACTIVE))?.trim();
  return s === 'a' || s === 'b' ? s : null;
}

/** A slot or staging area is whole once its COMPLETE marker is; its generation orders installs. */
export function generation(f: Flash, base: string): number | null {
  const m = /^generation (\d{1,9})\n$/.exec(str(f.read(`${base}/${COMPLETE}`)) ?? '');
  return m ? +m[1]! : null;
}

export interface Installed { slot: Slot; manifest: Manifest; anchors: Uint8Array[]; generation: number }

function readSlot(f: Flash, slot: Slot): Installed | null {
  const m = peekManifest(f.read(`${slotDir(slot)}/${MANIFEST}`) ?? new Uint8Array(0));
  const k = parseKeyLines(f.read(`${slotDir(slot)}/trust/release.pub`) ?? new Uint8Array(0), 'trust/release.pub');
  const g = generation(f, slotDir(slot));
  return m.ok && k.ok && g !== null ? { slot, manifest: m.value, anchors: k.value, generation: g } : null;
}

/**
 * What an update is checked against: the active slot's release keys and version (its signature was
 * checked when it was committed and at every boot). If the active slot is unreadable, the other one.
 */
export function installed(f: Flash): Installed | null {
  const slot = activeSlot(f);
  if (!slot) return null;
  return readSlot(f, slot) ?? readSlot(f, other(slot));
}

/** Before any image: a release key the factory put in trust/release.pub, if any; else null (trust the image's own). */
export function factoryAnchors(f: Flash): Uint8Array[] | null {
  const b = f.read('trust/release.pub');
  const k = b ? parseKeyLines(b, 'trust/release.pub') : null;
  return k && k.ok ? k.value : null;
}

export interface UpdateOptions { flash?: Flash; halAbi?: number; firmware?: string }

/**
 * SPEC §4: the policy version floor, the highest policy version this terminal has ever held, the
 * provisioned one included: the held policy.cose and its copy, every policy the journal says it took, and the
 * version every boot ran under. The one place the floor is computed (a kept floor file may replace
 * the journal scan); the data folder is only read.
 */
export function policyFloor(dataDir: string): number {
  const hal = readOnlyFlash(dataDir);
  let floor = Math.max(signedPolicyVersion(readPolicyFile(hal)) ?? 0, signedPolicyVersion(readPolicyFile(hal, POLICY_COPY)) ?? 0);
  // The floors file outlives compaction (src/core/journal/checkpoint.ts); the journal says the rest.
  const n = hal.storage.size(FLOORS);
  const fl = decodeFloors(n > 0 ? hal.storage.read(FLOORS, 0, n) : null);
  if (fl.ok) floor = Math.max(floor, fl.value.policyVersion);
  readRecords(hal, (r) => {
    if (r.kind !== KIND_ENTRY) return;
    const e = parseEntry(r.payload);
    const x = e.ok ? e.value.rec : null;
    if (x?.type === 'policy') floor = Math.max(floor, x.body.version);
    else if (x?.type === 'boot') floor = Math.max(floor, x.body.policyVersion);
  });
  return floor;
}

/** The checks an update fails beyond the manifest's own (device/README.md "Verifying an image"). */
export type UpdateCheck = Check | 'same-version' | 'policy-floor';

/** A verified update; `installedIn` is the slot already holding these very bytes, if one does. */
export type Update = Manifest & { signer: string; installedIn: Slot | null };

/** The image files in `slot` that differ from `files`, byte for byte. */
function differingFiles(f: Flash, slot: Slot, files: ImageFiles): string[] {
  return IMAGE_FILES.filter((n) => { const have = f.read(`${slotDir(slot)}/${n}`); return !have || !equalBytes(have, files.get(n)!); });
}

/**
 * The checks for an update against what is installed (SPEC §2, device/README.md "Verifying an
 * image"), in this order: the whole image (signature against the installed release keys, every
 * hash, HAL ABI, firmware) and anti-rollback; then the same version must be the same bytes; then the
 * image's policy must not be below the terminal's policy floor (SPEC §4), or the terminal would run
 * it under an older policy than it held, or not install the policy at all.
 */
export function verifyUpdate(dataDir: string, files: ImageFiles, o: UpdateOptions = {}): Result<Update> {
  const f = o.flash ?? new NodeFlash(dataDir);
  const inst = installed(f);
  const v = verifyImage(files, {
    anchors: inst ? inst.anchors : factoryAnchors(f), installedVersion: inst ? inst.manifest.version : null,
    halAbi: o.halAbi ?? HAL_ABI, firmware: o.firmware,
  });
  if (!v.ok) return v;
  const m = v.value;
  const bad = (check: UpdateCheck, error: string) => fail(error, { check });
  if (inst && m.version === inst.manifest.version) {
    const differ = differingFiles(f, inst.slot, files);
    // The installed image itself: nothing new goes in, and its policy was weighed when it did.
    if (!differ.length) return ok({ ...m, installedIn: inst.slot });
    return bad('same-version', `version ${m.version} is already installed with other contents (${differ.join(', ')} differ): build the change with a higher --version`);
  }
  const pv = signedPolicyVersion(files.get('policy.cose')!);
  if (pv === null) return bad('format', 'policy.cose: not a signed policy with a version');
  const floor = policyFloor(dataDir);
  if (pv < floor) return bad('policy-floor', `the image's policy version ${pv} is below this terminal's policy floor ${floor} (the highest policy version it has held): build the image with a policy of version ${floor} or higher`);
  return ok({ ...m, installedIn: null });
}

/**
 * Stages an update in img/staging: verified first (a refused image never touches flash), written
 * file by file, COMPLETE last. The switch happens at the next boot (loader.ts, commitStaged).
 */
export function stageUpdate(dataDir: string, image: ImageFiles, o: UpdateOptions = {}): Result<Update> {
  const f = o.flash ?? new NodeFlash(dataDir);
  const v = verifyUpdate(dataDir, image, { ...o, flash: f });
  if (!v.ok) return v;
  removeTree(f, STAGING);
  for (const n of IMAGE_FILES) f.write(`${STAGING}/${n}`, image.get(n)!);
  const newest = Math.max(0, ...SLOTS.map((s) => generation(f, slotDir(s)) ?? 0));
  f.write(`${STAGING}/${COMPLETE}`, text(`generation ${newest + 1}\n`));
  return v;
}

export interface CommitReport { committed: Manifest | null; refused: string | null; log: string[] }

/**
 * Boot-time commit (every step is safe to cut): a whole staging area is verified again, moved into
 * the inactive slot by one rename, then the pointer is switched by another. A slot left whole with a
 * newer generation than the active one (power lost between the two renames) is switched to here.
 */
export function commitStaged(dataDir: string, o: UpdateOptions = {}): CommitReport {
  const f = o.flash ?? new NodeFlash(dataDir);
  const opts: UpdateOptions = { ...o, flash: f };
  const log: string[] = [];
  let committed: Manifest | null = null, refused: string | null = null;
  const stagedGen = generation(f, STAGING);
  if (f.list(STAGING).length && stagedGen === null) { log.push('removed an incomplete staging area'); removeTree(f, STAGING); }
  if (stagedGen !== null) {
    const v = verifyUpdate(dataDir, readImageFiles(f, STAGING), opts);
    if (!v.ok) {
      refused = v.error;
      log.push(`refused the staged update: ${v.error}`);
      removeTree(f, STAGING);
    } else {
      const target = other(activeSlot(f) ?? 'b');
      removeTree(f, slotDir(target));
      f.rename(STAGING, slotDir(target));
      replaceFile(f, ACTIVE, text(`${target}\n`));
      committed = v.value;
      log.push(`committed version ${v.value.version} (${v.value.build}) to slot ${target}`);
      return { committed, refused, log };
    }
  }
  // Roll forward an interrupted switch: a whole slot newer than the active one.
  const act = activeSlot(f);
  const inst = installed(f);
  for (const s of SLOTS) {
    if (s === act) continue;
    const g = generation(f, slotDir(s));
    if (g === null || (inst && g <= inst.generation)) continue;
    const v = verifyUpdate(dataDir, readImageFiles(f, slotDir(s)), opts);
    if (!v.ok) { log.push(`slot ${s} is newer but refused: ${v.error}`); continue; }
    replaceFile(f, ACTIVE, text(`${s}\n`));
    committed = v.value;
    log.push(`finished switching to slot ${s} (version ${v.value.version})`);
    break;
  }
  return { committed, refused, log };
}

/** Reads an image folder on the build machine (missing files are left for verifyImage to name). */
export function readImageDir(dir: string): ImageFiles {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return new Map();
  return readImageFiles(new NodeFlash(dir), '.');
}
