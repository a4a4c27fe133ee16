// Shared set-up for the image tests: keys, signed policies, images built in memory or on disk from
// the real bundle, a QuickJS boot of whatever the loader picks from a data folder, and a snapshot of
// a data folder's bytes (a refused image must leave them as they were).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newKeyPair, type KeyPair } from '../../src/node/keys';
import { signPolicy } from '../../device/provision/policy';
import { imageFiles, writeImage } from '../../device/provision/image';
import { hashHex, type ImageFiles } from '../../device/provision/manifest';
import { toHex } from '../../src/core/util/bytes';
import { loadInstalledImage } from '../../host-sim/loader';
import { NodeHal } from '../../host-sim/hal/node-hal';
import { DeviceVM } from '../../host-sim/vm/vm';
import { demoPolicyJson, sh } from '../helpers/policy';

export const tmp = (p = 'pf-img-') => mkdtempSync(join(tmpdir(), p));
export const rm = (d: string) => rmSync(d, { recursive: true, force: true });

let cached: Uint8Array | null = null;
/** The shipped artifact, built once if missing. Read once: another build may replace the file later. */
export function bundleBytes(): Uint8Array {
  if (!cached) {
    if (!existsSync('dist/device/agent.js')) execFileSync('node', ['device/build.mjs'], { stdio: 'inherit' });
    cached = new Uint8Array(readFileSync('dist/device/agent.js'));
  }
  return cached;
}
/** A second, different but working bundle: the same script with a trailing comment. */
export const bundleVariant = (tag: string) => new Uint8Array(Buffer.concat([Buffer.from(bundleBytes()), Buffer.from(`\n// ${tag}\n`)]));

export interface Keys { operator: KeyPair; backend: KeyPair; release: KeyPair }
export const newKeys = (): Keys => ({ operator: newKeyPair(), backend: newKeyPair(), release: newKeyPair() });

export function policyCose(operator: KeyPair, version = 1, edit: (p: any) => void = () => {}): Uint8Array {
  const j = demoPolicyJson();
  j.version = version;
  edit(j);
  return signPolicy(j, operator, START);
}

export interface ImgOpts { version: number; keys: Keys; bundle?: Uint8Array; policyVersion?: number; abi?: number; minFirmware?: string; nextRelease?: Uint8Array[]; policy?: Uint8Array }

/** An image in memory, signed by keys.release. */
export function makeImage(o: ImgOpts): ImageFiles {
  const release = o.keys.release;
  const { files } = imageFiles({
    bundle: o.bundle ?? bundleBytes(), policy: o.policy ?? policyCose(o.keys.operator, o.policyVersion ?? 1),
    operatorPub: o.keys.operator.pub, backendPub: o.keys.backend.pub, release, version: o.version,
    build: `test-${o.version}`, abi: o.abi, minFirmware: o.minFirmware, nextRelease: o.nextRelease, nowMs: START,
  });
  return files;
}

export function imageDir(o: ImgOpts): string {
  const d = tmp('pf-image-');
  writeImage(d, makeImage(o));
  return d;
}

export const START = sh('2026-03-02T10:00');

/**
 * Boots whatever the loader picks in `dataDir` inside QuickJS and returns the agent's status;
 * `installPolicy` is handed to the running agent as a policy command would (journaled if taken).
 */
export async function bootVm(dataDir: string, o: { installPolicy?: Uint8Array } = {}): Promise<{ version: number; slot: string; status: Record<string, any> }> {
  const l = loadInstalledImage(dataDir);
  if (!l.ok) throw new Error(`loader: ${l.reason}`);
  const hal = new NodeHal({ dir: dataDir, storageBytes: 4 << 20, startWallMs: START });
  hal.fix = { lat: 31.2304, lon: 121.4737, accuracyM: 10, monoMs: 0 };
  const vm = await DeviceVM.load({ bundle: l.bundle, hal, heapLimitBytes: 1 << 20 });
  try {
    const r = vm.start({ dev: 'T-IMG', fleet: 'test' }, 'power-on');
    if (!r.ok) throw new Error(`agent.start: ${r.error}`);
    if (o.installPolicy) {
      const p = vm.call('installPolicy', { cose: toHex(o.installPolicy) });
      if (!p.ok) throw new Error(`installPolicy: ${p.error}`);
    }
    const d = vm.call('preflight', { ref: `B${Date.now() % 100000}`, type: 'balance', channel: 'card', amountMinor: 0, entryMode: '051', conditionCode: '00' });
    if (!d.ok) throw new Error(`preflight: ${d.error}`);
    vm.call('shutdown');
    return { version: l.manifest.version, slot: l.slot, status: r.value };
  } finally { vm.dispose(); }
}

/** Every file and folder under `dir` with a hash of its bytes: equal snapshots mean nothing was written. */
export function folderBytes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) { out[`${r}/`] = 'folder'; walk(r); } else out[r] = hashHex(new Uint8Array(readFileSync(join(dir, r))));
    }
  };
  walk('');
  return out;
}
