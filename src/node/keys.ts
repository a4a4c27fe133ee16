// Key files for operators, backends, release signers and devices: NAME.key holds the 32-byte
// Ed25519 seed as hex (mode 0600), NAME.pub the 32-byte public key as 64 lowercase hex chars.

import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import nacl from 'tweetnacl';
import { fromHex, toHex } from '../core/util/bytes';
import { UsageError } from './errors';

export interface KeyPair { seed: Uint8Array; pub: Uint8Array; secretKey: Uint8Array }

export function newKeyPair(): KeyPair {
  const seed = new Uint8Array(randomBytes(32));
  const kp = nacl.sign.keyPair.fromSeed(seed);
  return { seed, pub: kp.publicKey, secretKey: kp.secretKey };
}

export function writeKeyPair(dir: string, name: string, kp: KeyPair = newKeyPair()): { key: string; pub: string } {
  if (!/^[\w.-]{1,64}$/.test(name)) throw new UsageError(`--name must be letters, digits, '.', '_' or '-', got "${name}"`);
  mkdirSync(dir, { recursive: true });
  const key = join(dir, `${name}.key`), pub = join(dir, `${name}.pub`);
  if (existsSync(key)) throw new UsageError(`${key} already exists: refusing to overwrite a secret key`);
  writeFileSync(key, toHex(kp.seed) + '\n', { mode: 0o600 });
  chmodSync(key, 0o600);
  writeFileSync(pub, toHex(kp.pub) + '\n');
  return { key, pub };
}

function readHexFile(path: string, what: string): Uint8Array {
  let s: string;
  try { s = readFileSync(path, 'utf8').trim(); } catch { throw new UsageError(`${what} ${path}: cannot be read`); }
  const b = /^[0-9a-f]{64}$/.test(s) ? fromHex(s) : null;
  if (!b) throw new UsageError(`${what} ${path}: expected 64 lowercase hex characters on one line`);
  return b;
}

export function readSecretKey(path: string): KeyPair {
  const seed = readHexFile(path, 'secret key');
  const kp = nacl.sign.keyPair.fromSeed(seed);
  return { seed, pub: kp.publicKey, secretKey: kp.secretKey };
}

export const readPublicKey = (path: string): Uint8Array => readHexFile(path, 'public key');
