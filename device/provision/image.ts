// `preflight image build` (SPEC §2): a flash image folder holding the bundle, the policy, the trust
// anchors and a manifest over all of them signed with the release key (COSE_Sign1, RFC 9052).

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { HAL_ABI } from '../../src/core/hal/types';
import { toHex } from '../../src/core/util/bytes';
import { UsageError } from '../../src/node/errors';
import { readPublicKey, type KeyPair } from '../../src/node/keys';
import { openPolicyFile, policyExpiredAt } from './policy';
import { IMAGE_FILES, MANIFEST, signManifest, type ImageFiles, type Manifest } from './manifest';
import { packReasons, REASONS_PACK } from './reasons-pack';

export interface BuildOptions {
  bundle: Uint8Array;          // dist/device/agent.js
  policy: Uint8Array;          // a signed policy (policy.cose)
  operatorPub: Uint8Array;     // trust/operator.pub
  backendPub: Uint8Array;      // trust/backend.pub
  release: KeyPair;            // signs the manifest; its public key becomes trust/release.pub
  nextRelease?: Uint8Array[];  // also trusted for later updates: how a release key is rotated
  version: number;
  build: string;
  abi?: number;                // defaults to HAL_ABI: the bundle is built from the same tree
  minFirmware?: string;
  /** The clock the policy's validUntil is judged by (SPEC §4): the build machine's. */
  nowMs: number;
}

const keyFile = (...k: Uint8Array[]) => new Uint8Array(Buffer.from(k.map((x) => toHex(x) + '\n').join('')));

/** The image's files in memory; the policy must verify against the operator key it ships with. */
export function imageFiles(o: BuildOptions): { files: ImageFiles; manifest: Manifest } {
  let shown: ReturnType<typeof openPolicyFile>;
  try { shown = openPolicyFile(o.policy, o.operatorPub); } catch (e) { throw new UsageError(`--policy: ${(e as Error).message}`); }
  if (shown.signature !== 'valid') throw new UsageError('--policy is not signed by the --trust operator key: the terminal would refuse it');
  if (shown.errors) throw new UsageError(`--policy is invalid: ${shown.errors}`);
  const expired = policyExpiredAt(o.policy, o.nowMs);
  if (expired) throw new UsageError(`--policy expired at ${expired}: a terminal would refuse every sale under it; sign a new one (preflight policy sign)`);
  const files: ImageFiles = new Map([
    ['agent.js', o.bundle], ['policy.cose', o.policy],
    ['trust/operator.pub', keyFile(o.operatorPub)], ['trust/backend.pub', keyFile(o.backendPub)], ['trust/release.pub', keyFile(o.release.pub, ...(o.nextRelease ?? []))],
    [REASONS_PACK, packReasons()],
  ]);
  const s = signManifest(files, { version: o.version, build: o.build, abi: o.abi ?? HAL_ABI, minFirmware: o.minFirmware ?? '' }, o.release.secretKey);
  files.set(MANIFEST, s.cose);
  return { files, manifest: s.manifest };
}

/** An output folder must be new, empty, or an earlier image (rebuilt in place): never a mix of files. */
export function checkOutDir(out: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new UsageError(`--out ${out}: exists and is not a folder`);
  const here = readdirSync(out);
  if (here.length && !here.includes(MANIFEST)) throw new UsageError(`--out ${out}: folder is not empty and holds no image; choose a new folder`);
}

/** Writes the image folder. */
export function writeImage(out: string, files: ImageFiles): void {
  checkOutDir(out);
  // The manifest last: a half-written folder has no manifest, or one that does not match.
  for (const n of IMAGE_FILES.filter((x) => x !== MANIFEST)) {
    mkdirSync(dirname(join(out, n)), { recursive: true });
    writeFileSync(join(out, n), files.get(n)!);
  }
  writeFileSync(join(out, MANIFEST), files.get(MANIFEST)!);
}

/** Without --key: `release.key` beside the output folder, else a UsageError that says how to make one. */
export function releaseKeyPath(out: string, key: string | undefined): string {
  if (key) return key;
  const p = join(dirname(resolve(out)), 'release.key');
  if (existsSync(p)) return p;
  throw new UsageError(`no release key: pass --key RELEASE.key, or make ${p} with \`preflight keys new --out ${dirname(resolve(out))} --name release\``);
}

export function readFileBytes(path: string, what: string): Uint8Array {
  try { return new Uint8Array(readFileSync(path)); } catch { throw new UsageError(`${what} ${path}: cannot be read`); }
}

export const readPub = (path: string, flag: string): Uint8Array => {
  try { return readPublicKey(path); } catch (e) { throw new UsageError(`${flag}: ${(e as Error).message}`); }
};
