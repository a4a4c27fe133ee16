// The signed image manifest (SPEC §2 `image build`, §6 COSE_Sign1) and the one check every loader
// runs before it trusts an image: signature, hashes, HAL ABI, firmware, anti-rollback. Bytes in,
// Result out, no Node APIs, so firmware authors and the agent can follow the same steps.

import { decode, encode } from '../../src/core/codec/cbor';
import { openSign1, parseSign1, sign1 } from '../../src/core/crypto/cose';
import { kidOf, sha512 } from '../../src/core/crypto/hash';
import { equalBytes, fromHex, toHex } from '../../src/core/util/bytes';
import { fail, ok, type Result } from '../../src/core/util/result';

export const MANIFEST_FORMAT = 1;
export const BUNDLE = 'agent.js';
export const MANIFEST = 'manifest.cose';
/** Files the manifest covers by hash besides the bundle: the policy, the trust anchors, and the words
 *  of the reason catalog for the terminal's screen (reasons-pack.ts). */
export const COVERED = ['policy.cose', 'trust/operator.pub', 'trust/backend.pub', 'trust/release.pub', 'text/reasons.cbor'] as const;
export const IMAGE_FILES = [BUNDLE, MANIFEST, ...COVERED] as const;

/** The manifest payload: a CBOR map with these text keys (device/README.md documents them). */
export interface Manifest {
  v: number;              // manifest format, 1
  version: number;        // image version, an integer; anti-rollback compares it
  build: string;          // build id, for people and telemetry
  abi: number;            // the HAL ABI the bundle speaks (src/core/hal/types.ts HAL_ABI)
  minFirmware: string;    // lowest firmware version that may run it ("" = any)
  bundleSha512: string;   // SHA-512 (FIPS 180-4) of agent.js as stored, 128 lowercase hex
  bundleBytes: number;
  files: Record<string, string>; // COVERED name -> SHA-512 hex
}

/** A failed check names which one, so tests and tools need not parse the message. */
export type Check = 'missing' | 'format' | 'signature' | 'bundle-hash' | 'file-hash' | 'self-trust' | 'abi' | 'firmware' | 'rollback';
export type ImageFiles = Map<string, Uint8Array>;

const bad = (check: Check, error: string) => fail(error, { check });
const isInt = (x: unknown, min: number, max: number): x is number => typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max;
const HEX512 = /^[0-9a-f]{128}$/;

/** package.json "MAJOR.MINOR.PATCH" as one integer (each part below 1000): 0.1.0 -> 1000. */
export function versionNumber(semver: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:[-+].*)?$/.exec(semver);
  return m ? +m[1]! * 1_000_000 + +m[2]! * 1_000 + +m[3]! : null;
}

/** Trust-anchor file text: one 64-lowercase-hex Ed25519 key per line (src/core/policy/store.ts). */
export function parseKeyLines(b: Uint8Array, what: string): Result<Uint8Array[]> {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  const keys: Uint8Array[] = [];
  const lines = s.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    if (!/^[0-9a-f]{64}$/.test(line)) return fail(`${what}: line ${i + 1} is not 64 lowercase hex characters`);
    keys.push(fromHex(line)!);
  }
  if (!keys.length) return fail(`${what}: holds no key`);
  return ok(keys);
}

export function hashHex(b: Uint8Array): string { return toHex(sha512(b)); }

/** Builds the manifest for an image's files (everything but manifest.cose) and signs it. */
export function signManifest(files: ImageFiles, meta: { version: number; build: string; abi: number; minFirmware: string }, releaseSecret64: Uint8Array): { manifest: Manifest; cose: Uint8Array } {
  const bundle = files.get(BUNDLE);
  if (!bundle) throw new Error('signManifest: no agent.js');
  const covered: Record<string, string> = {};
  for (const n of COVERED) { const f = files.get(n); if (!f) throw new Error(`signManifest: no ${n}`); covered[n] = hashHex(f); }
  const manifest: Manifest = { v: MANIFEST_FORMAT, version: meta.version, build: meta.build, abi: meta.abi, minFirmware: meta.minFirmware,
    bundleSha512: hashHex(bundle), bundleBytes: bundle.length, files: covered };
  return { manifest, cose: sign1(encode(manifest), releaseSecret64) };
}

function checkFields(m: Record<string, unknown>): Result<Manifest> {
  if (!m || typeof m !== 'object' || Array.isArray(m)) return bad('format', 'manifest payload: not a map');
  if (m.v !== MANIFEST_FORMAT) return bad('format', `manifest: format v must be ${MANIFEST_FORMAT}, got ${String(m.v)}`);
  if (!isInt(m.version, 0, 2 ** 31 - 1)) return bad('format', 'manifest: version must be an integer 0..2^31-1');
  if (typeof m.build !== 'string' || m.build.length > 128) return bad('format', 'manifest: build must be a text of at most 128 chars');
  if (!isInt(m.abi, 0, 65535)) return bad('format', 'manifest: abi must be an integer');
  if (typeof m.minFirmware !== 'string' || m.minFirmware.length > 64) return bad('format', 'manifest: minFirmware must be a short text');
  if (typeof m.bundleSha512 !== 'string' || !HEX512.test(m.bundleSha512)) return bad('format', 'manifest: bundleSha512 must be 128 lowercase hex');
  if (!isInt(m.bundleBytes, 1, 64 << 20)) return bad('format', 'manifest: bundleBytes must be a positive integer');
  const f = m.files as Record<string, unknown>;
  if (!f || typeof f !== 'object') return bad('format', 'manifest: files must be a map');
  for (const n of COVERED) if (typeof f[n] !== 'string' || !HEX512.test(f[n] as string)) return bad('format', `manifest: files["${n}"] must be 128 lowercase hex`);
  return ok(m as unknown as Manifest);
}

/** Reads a manifest's payload WITHOUT checking its signature (for display and version look-ups). */
export function peekManifest(cose: Uint8Array): Result<Manifest> {
  const s = parseSign1(cose, 'manifest');
  if (!s.ok) return bad('format', s.error);
  const p = decode(s.value.payload, 'manifest payload');
  return p.ok ? checkFields(p.value as Record<string, unknown>) : bad('format', p.error);
}

/** Numeric-aware firmware comparison: "fw-2.10" >= "fw-2.9"; digit groups compared in order. */
export function firmwareAtLeast(have: string, need: string): boolean {
  if (!need) return true;
  const a = (have.match(/\d+/g) ?? []).map(Number), b = (need.match(/\d+/g) ?? []).map(Number);
  if (!b.length) return have === need;
  for (let i = 0; i < b.length; i++) { const x = a[i] ?? -1; if (x !== b[i]) return x > b[i]!; }
  return true;
}

export interface VerifyOptions {
  /** Release keys the installed image trusts; null on the very first flash: the image's own. */
  anchors: Uint8Array[] | null;
  /** The installed image's version; a lower one is refused (anti-rollback). null: nothing installed. */
  installedVersion: number | null;
  /** The HAL ABI of the platform that will run it. */
  halAbi: number;
  /** The firmware version string, if known; checked against minFirmware. */
  firmware?: string;
}

/**
 * The loader's check, in the order device/README.md gives firmware authors. The manifest payload is
 * read only after its signature verifies; every hash is over the bytes as stored (SPEC §6).
 */
export function verifyImage(files: ImageFiles, o: VerifyOptions): Result<Manifest & { signer: string }> {
  const missing = IMAGE_FILES.filter((n) => !files.has(n));
  if (missing.length) return bad('missing', `image is missing ${missing.join(', ')}`);
  const own = parseKeyLines(files.get('trust/release.pub')!, 'trust/release.pub');
  if (!own.ok) return bad('format', own.error);
  for (const n of ['trust/operator.pub', 'trust/backend.pub']) {
    const k = parseKeyLines(files.get(n)!, n);
    if (!k.ok) return bad('format', k.error);
  }
  const anchors = o.anchors ?? own.value;
  const s = openSign1(files.get(MANIFEST)!, anchors, 'manifest');
  if (!s.ok) {
    const which = o.anchors ? 'the installed release key' : "the image's own release key";
    return bad(s.error.includes('signature does not verify') ? 'signature' : 'format',
      s.error.includes('signature does not verify') ? `manifest signature does not verify against ${which} (${anchors.map((k) => toHex(kidOf(k))).join(', ')})` : s.error);
  }
  const d = decode(s.value.payload, 'manifest payload');
  if (!d.ok) return bad('format', d.error);
  const f = checkFields(d.value as Record<string, unknown>);
  if (!f.ok) return f;
  const m = f.value;
  const bundle = files.get(BUNDLE)!;
  const h = hashHex(bundle);
  if (bundle.length !== m.bundleBytes || h !== m.bundleSha512) {
    return bad('bundle-hash', `agent.js does not match the manifest: SHA-512 ${h.slice(0, 16)}… (${bundle.length} bytes), signed ${m.bundleSha512.slice(0, 16)}… (${m.bundleBytes} bytes)`);
  }
  for (const n of COVERED) if (hashHex(files.get(n)!) !== m.files[n]) return bad('file-hash', `${n} does not match the manifest's SHA-512`);
  // An image that does not trust its own signer could never accept a later update: refuse it now.
  if (!own.value.some((k) => equalBytes(k, s.value.signer))) return bad('self-trust', "trust/release.pub does not hold the key that signed the manifest: later updates could not be verified");
  if (m.abi !== o.halAbi) return bad('abi', `HAL ABI ${m.abi} in the manifest does not match the terminal's HAL ABI ${o.halAbi}`);
  if (o.firmware !== undefined && !firmwareAtLeast(o.firmware, m.minFirmware)) return bad('firmware', `needs firmware ${m.minFirmware} or later, the terminal has ${o.firmware}`);
  if (o.installedVersion !== null && m.version < o.installedVersion) return bad('rollback', `version ${m.version} is lower than the installed version ${o.installedVersion} (anti-rollback)`);
  return ok({ ...m, signer: toHex(s.value.signer) });
}
