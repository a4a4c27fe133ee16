// `preflight image build|flash|verify` (SPEC §2): builds signed flash images, writes them into a
// terminal's --data folder through the A/B update path, and checks them. Exit codes: 0 ok, 1 an
// image was refused, 2 bad usage (UsageError).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HAL_ABI } from '../core/hal/types';
import { readSecretKey } from '../node/keys';
import { policyExpiredAt } from '../../device/provision/policy';
import { checkOutDir, imageFiles, readFileBytes, readPub, releaseKeyPath, writeImage } from '../../device/provision/image';
import { hashHex, parseKeyLines, versionNumber, verifyImage } from '../../device/provision/manifest';
import { readImageDir, verifyUpdate } from '../../device/provision/flash';
import { SIM_FIRMWARE } from '../../host-sim/hal/node-hal';
import { installImage } from '../../host-sim/loader';
import { UsageError } from '../node/errors';
import { need, type Command, type Parsed } from './command';

const here = dirname(fileURLToPath(import.meta.url));
/** Beside the built CLI, in the source tree, or in the working folder. */
function findFile(rel: string[]): string | null {
  for (const p of rel) if (existsSync(p)) return p;
  return null;
}
const defaultBundle = () => findFile([join(here, '../device/agent.js'), join(here, '../dist/device/agent.js'), resolve('dist/device/agent.js')]);
function packageVersion(): string | null {
  const p = findFile([join(here, '../package.json'), join(here, '../../package.json'), resolve('package.json')]);
  try { return p ? String(JSON.parse(readFileSync(p, 'utf8')).version) : null; } catch { return null; }
}

function build({ values: a, out }: Parsed): number {
  const dir = need(a.out, '--out');
  checkOutDir(dir);
  const policy = readFileBytes(need(a.policy, '--policy'), '--policy');
  const operatorPub = readPub(need(a.trust, '--trust'), '--trust');
  const backendPub = readPub(need(a.backend, '--backend'), '--backend');
  const keyPath = releaseKeyPath(dir, a.key as string | undefined);
  if (keyPath.endsWith('.pub')) throw new UsageError(`--key ${keyPath}: give the secret RELEASE.key, not the public .pub`);
  const release = (() => { try { return readSecretKey(keyPath); } catch (e) { throw new UsageError(`--key: ${(e as Error).message}`); } })();
  const bundlePath = (a.bundle as string | undefined) ?? defaultBundle();
  if (!bundlePath) throw new UsageError('dist/device/agent.js is missing: run `make device` first (or pass --bundle FILE)');
  const bundle = readFileBytes(bundlePath, '--bundle');
  const semver = packageVersion();
  let version: number | null;
  if (a.version !== undefined) {
    version = /^\d{1,10}$/.test(a.version as string) && +a.version! < 2 ** 31 ? +a.version! : null;
    if (version === null) throw new UsageError(`--version must be a whole number below 2^31, got "${a.version}"`);
  } else {
    version = semver ? versionNumber(semver) : null;
    if (version === null) throw new UsageError(`package.json version "${semver ?? '(not found)'}" is not MAJOR.MINOR.PATCH: pass --version N`);
  }
  const minFirmware = (a['min-firmware'] as string | undefined) ?? '';
  if (minFirmware.length > 64) throw new UsageError('--min-firmware must be at most 64 characters');
  const buildId = `${semver ?? 'dev'}+${hashHex(bundle).slice(0, 12)}`;
  const nextRelease = a['next-release'] ? [readPub(a['next-release'] as string, '--next-release')] : [];
  const { files, manifest } = imageFiles({ bundle, policy, operatorPub, backendPub, release, nextRelease, version, build: buildId, abi: HAL_ABI, minFirmware, nowMs: Date.now() });
  writeImage(dir, files);
  out(`image ${dir}: version ${manifest.version}, build ${manifest.build}, HAL ABI ${manifest.abi}, bundle ${manifest.bundleBytes} bytes, signed by ${keyPath}`);
  return 0;
}

function flash({ values: a, out }: Parsed): number {
  const image = need(a.image, '--image'), data = need(a.data, '--data');
  if (!existsSync(image)) throw new UsageError(`--image ${image}: no such folder`);
  // SPEC §4: a policy whose validUntil has passed (by this machine's clock) is never flashed in silence.
  const pol = readImageDir(image).get('policy.cose');
  const expired = pol ? policyExpiredAt(pol, Date.now()) : null;
  if (expired) { out(`REFUSED: the image's policy expired at ${expired}; the terminal would refuse every sale. Build an image with a new policy.`); return 1; }
  const r = installImage(data, image);
  if (!r.ok) { out(`REFUSED: ${r.reason}`); out('the terminal keeps its installed image'); return 1; }
  for (const l of r.loaded.log) out(`  ${l}`);
  out(`${r.action === 'unchanged' ? 'already installed' : r.action}: version ${r.loaded.manifest.version} (${r.loaded.manifest.build}) in slot ${r.loaded.slot} of ${data}`);
  return 0;
}

function verify({ values: a, out }: Parsed): number {
  const image = need(a.image, '--image');
  if (!existsSync(image)) throw new UsageError(`--image ${image}: no such folder`);
  if (a.release && a.data) throw new UsageError('give --release or --data, not both');
  const files = readImageDir(image);
  let anchors: Uint8Array[] | null = null;
  if (a.release) {
    const k = parseKeyLines(readFileBytes(a.release as string, '--release'), '--release');
    if (!k.ok) throw new UsageError(k.error);
    anchors = k.value;
  }
  if (a.data && !existsSync(a.data as string)) throw new UsageError(`--data ${a.data}: no such folder`);
  const v = a.data ? verifyUpdate(a.data as string, files, { firmware: SIM_FIRMWARE })
    : verifyImage(files, { anchors, installedVersion: null, halAbi: HAL_ABI });
  if (!v.ok) { out(`INVALID: ${v.error}`); return 1; }
  const against = a.data ? `as an update for ${a.data}` : anchors ? `against ${a.release}` : 'against its own release key';
  out(`valid ${against}: version ${v.value.version}, build ${v.value.build}, HAL ABI ${v.value.abi}, bundle SHA-512 ${v.value.bundleSha512.slice(0, 16)}…`);
  return 0;
}

export const IMAGE: Command[] = [{
  name: 'image build',
  summary: 'Makes a flash image folder: the bundle, the signed policy, the trust anchors, and a manifest over all of them signed with the release key.',
  options: {
    policy: { type: 'string', arg: 'P.cose', help: 'the signed policy (preflight policy sign)', required: true },
    trust: { type: 'string', arg: 'OPERATOR.pub', help: 'the operator key the terminal trusts for policies and commands', required: true },
    backend: { type: 'string', arg: 'BACKEND.pub', help: 'the backend key the terminal trusts for acknowledgements', required: true },
    out: { type: 'string', arg: 'DIR', help: 'the image folder (new, empty, or an earlier image)', required: true },
    key: { type: 'string', arg: 'RELEASE.key', help: 'signs the manifest (default: release.key beside the output folder)' },
    version: { type: 'string', arg: 'N', help: 'image version (default: from package.json)' },
    'min-firmware': { type: 'string', arg: 'V', help: 'the oldest firmware that may run it' },
    'next-release': { type: 'string', arg: 'NEXT.pub', help: 'a release key also trusted for later updates (rotation)' },
    bundle: { type: 'string', arg: 'agent.js', help: 'the bundle (default: dist/device/agent.js)' },
  },
  example: 'preflight image build --policy shop.cose --trust keys/operator.pub --backend keys/backend.pub --key keys/release.key --out image',
  run: build,
}, {
  name: 'image flash',
  summary: "Verifies the whole image (signature, every hash, HAL ABI, firmware), then its version and policy against the terminal's, then writes it into the terminal's flash through the A/B update path. The installed version is 'already installed' only byte for byte. A refused image writes nothing (exit 1).",
  options: {
    image: { type: 'string', arg: 'DIR', help: 'the image folder', required: true },
    data: { type: 'string', arg: 'DIR', help: "the terminal's data folder (its flash)", required: true },
  },
  example: 'preflight image flash --image image --data .sim-data/T-0100',
  run: flash,
}, {
  name: 'image verify',
  summary: "Checks an image: manifest signature, every hash, HAL ABI; against a release key, or as an update for a terminal (also its firmware, version and the terminal's policy floor). Exit 1 when it does not verify.",
  options: {
    image: { type: 'string', arg: 'DIR', help: 'the image folder', required: true },
    release: { type: 'string', arg: 'RELEASE.pub', help: 'the release key(s) to check against' },
    data: { type: 'string', arg: 'DIR', help: 'check it as an update for this terminal' },
  },
  example: 'preflight image verify --image image --release keys/release.pub',
  run: verify,
}];
