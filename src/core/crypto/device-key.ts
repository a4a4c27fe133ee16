// The device's Ed25519 key (SPEC §6): made at first boot from the HAL's random source, kept in
// the HAL keystore, never copied anywhere else. Signing reads the seed from the keystore for each
// seal and wipes the copy, or asks the keystore's native signer when the firmware has one.

import { readWhole } from '../hal/read';
import { ST, type Hal } from '../hal/types';
import { fromHex, toHex, utf8 } from '../util/bytes';
import { fail, ok, type Result } from '../util/result';
import { ed25519 } from './ed25519-impl';

export const SEED_SLOT = 'device.seed';
/** The next key during a rotation: made first, switched to only after the old key sealed the change. */
export const NEXT_SLOT = 'device.seed.next';
/** The first public key: written at first boot and never changed (SPEC §6); the registry holds its copy. */
export const PUB_FILE = 'device.pub';
/** The key in force now: the first one until a rotation, then the newest. */
export const CURRENT_PUB_FILE = 'device.current.pub';

export interface DeviceKey { pub: Uint8Array; native: boolean; sign(msg: Uint8Array): Uint8Array | null }

export function loadOrCreateKey(hal: Hal): Result<DeviceKey & { created: boolean }> {
  let created = false;
  let seed = hal.keystore.get(SEED_SLOT);
  if (seed && seed.length !== 32) return fail(`keystore slot ${SEED_SLOT} holds ${seed.length} bytes, expected 32`);
  let pub: Uint8Array | null = readPub(hal, CURRENT_PUB_FILE) ?? readPub(hal, PUB_FILE);
  if (!seed && pub) {
    // The terminal has a key (it published device.pub) but the keystore does not answer now: never
    // make a new one, which would orphan the key the fleet registered. Seal later; sign() retries.
    return ok({ pub, native: typeof hal.keystore.sign === 'function', created: false, sign: signer(hal, pub) });
  }
  if (!seed) {
    seed = new Uint8Array(32);
    if (hal.random.fill(seed) !== ST.OK) return fail('random source failed');
    if (seed.every((b) => b === 0)) return fail('random source returned zeros');
    if (hal.keystore.put(SEED_SLOT, seed) !== ST.OK) return fail('keystore refused the new key');
    created = true;
  }
  // The public key follows from the seed (~1 ms with the BigInt signer): derive it rather than trust
  // device.pub, which a power cut in the middle of a key rotation may have left behind.
  const derived = ed25519.publicKey(seed);
  if (created || !readPub(hal, PUB_FILE)) hal.storage.replace(PUB_FILE, utf8(toHex(derived) + '\n'));
  const current = readPub(hal, CURRENT_PUB_FILE);
  if (!current || toHex(current) !== toHex(derived)) hal.storage.replace(CURRENT_PUB_FILE, utf8(toHex(derived) + '\n'));
  pub = derived;
  seed.fill(0);
  return ok({ pub, native: typeof hal.keystore.sign === 'function', created, sign: signer(hal, pub) });
}

export function readPub(hal: Hal, file: string): Uint8Array | null {
  const b = readWhole(hal, file, 65);   // 64 hex digits, and maybe a newline
  return b && b.length >= 64 ? fromHex(String.fromCharCode.apply(null, Array.from(b.subarray(0, 64)))) : null;
}

/** Step 1 of a rotation (SPEC §6): a new key in its own slot; returns its public key. */
export function prepareRotation(hal: Hal): Result<Uint8Array> {
  let seed = hal.keystore.get(NEXT_SLOT);
  if (!seed || seed.length !== 32) {
    seed = new Uint8Array(32);
    if (hal.random.fill(seed) !== ST.OK || seed.every((b) => b === 0)) return fail('random source failed');
    if (hal.keystore.put(NEXT_SLOT, seed) !== ST.OK) return fail('keystore refused the next key');
  }
  const pub = ed25519.publicKey(seed);
  seed.fill(0);
  return ok(pub);
}

/** Last step: the next key becomes the device key (after the old one sealed the key-rotate entry). */
export function commitRotation(hal: Hal, expectPub: Uint8Array): Result<DeviceKey> {
  const seed = hal.keystore.get(NEXT_SLOT);
  if (!seed || seed.length !== 32) return fail('no next key in the keystore');
  const pub = ed25519.publicKey(seed);
  if (toHex(pub) !== toHex(expectPub)) { seed.fill(0); return fail('the next key does not match the journaled one'); }
  if (hal.keystore.put(SEED_SLOT, seed) !== ST.OK) { seed.fill(0); return fail('keystore refused the switch'); }
  seed.fill(0);
  hal.keystore.put(NEXT_SLOT, new Uint8Array(0));
  hal.storage.replace(CURRENT_PUB_FILE, utf8(toHex(pub) + '\n'));
  return ok({ pub, native: typeof hal.keystore.sign === 'function', sign: signer(hal, pub) });
}

/** Reads the seed for each signature and wipes it after; null whenever the keystore fails. */
function signer(hal: Hal, pub: Uint8Array): (msg: Uint8Array) => Uint8Array | null {
  return (msg) => {
    if (typeof hal.keystore.sign === 'function') {
      const s = hal.keystore.sign(SEED_SLOT, msg);
      return s instanceof Uint8Array && s.length === 64 ? s : null;
    }
    const sd = hal.keystore.get(SEED_SLOT);
    if (!sd || sd.length !== 32) return null;
    const sk = new Uint8Array(64);
    sk.set(sd); sk.set(pub, 32);
    sd.fill(0);
    try { return ed25519.sign(msg, sk); } finally { sk.fill(0); }
  };
}
