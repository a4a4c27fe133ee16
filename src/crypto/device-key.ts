// The device's Ed25519 key (SPEC §6): made at first boot from the HAL's random source, kept in
// the HAL keystore, never copied anywhere else. Signing reads the seed from the keystore for each
// seal and wipes the copy, or asks the keystore's native signer when the firmware has one.

import { ST, type Hal } from '../hal/types';
import { fromHex, toHex, utf8 } from '../util/bytes';
import { fail, ok, type Result } from '../util/result';
import { ed25519 } from './ed25519-impl';

export const SEED_SLOT = 'device.seed';
export const PUB_FILE = 'device.pub';

export interface DeviceKey { pub: Uint8Array; native: boolean; sign(msg: Uint8Array): Uint8Array | null }

export function loadOrCreateKey(hal: Hal): Result<DeviceKey & { created: boolean }> {
  let created = false;
  let seed = hal.keystore.get(SEED_SLOT);
  if (seed && seed.length !== 32) return fail(`keystore slot ${SEED_SLOT} holds ${seed.length} bytes, expected 32`);
  let pub: Uint8Array | null = readPub(hal);
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
  if (!pub || created) {
    pub = ed25519.publicKey(seed);
    hal.storage.replace(PUB_FILE, utf8(toHex(pub) + '\n'));
  }
  seed.fill(0);
  return ok({ pub, native: typeof hal.keystore.sign === 'function', created, sign: signer(hal, pub) });
}

function readPub(hal: Hal): Uint8Array | null {
  const n = hal.storage.size(PUB_FILE);
  const b = n === 65 || n === 64 ? hal.storage.read(PUB_FILE, 0, 64) : null;
  return b ? fromHex(String.fromCharCode.apply(null, Array.from(b))) : null;
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
