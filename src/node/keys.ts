// Key files for operators, backends, release signers and devices (SPEC §2): NAME.pub holds the
// 32-byte public key as 64 lowercase hex chars; NAME.key (mode 0600) the 64-byte Ed25519 secret key
// as 128 hex chars, the seed then its public key (RFC 8032 / tweetnacl layout). The lengths tell
// the kinds apart, so a public key given where a secret key belongs is refused (exit 2), and the
// public half lets a damaged or mismatched secret file be caught before it signs anything.

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
  writeFileSync(key, toHex(kp.seed) + toHex(kp.pub) + '\n', { mode: 0o600 });
  chmodSync(key, 0o600);
  writeFileSync(pub, toHex(kp.pub) + '\n');
  return { key, pub };
}

/** A key file's kind by its content: 64 hex characters are a public key, 128 a secret key. */
function readKeyFile(path: string, what: string): { kind: 'public' | 'secret'; bytes: Uint8Array } {
  let s: string;
  try { s = readFileSync(path, 'utf8').trim(); } catch { throw new UsageError(`${what} ${path}: cannot be read`); }
  if (/^[0-9a-f]{64}$/.test(s)) return { kind: 'public', bytes: fromHex(s)! };
  if (/^[0-9a-f]{128}$/.test(s)) return { kind: 'secret', bytes: fromHex(s)! };
  throw new UsageError(`${what} ${path}: not a key file (a .pub holds 64 lowercase hex characters, a .key 128; make them with \`preflight keys new\`)`);
}

export function readSecretKey(path: string): KeyPair {
  const k = readKeyFile(path, 'secret key');
  if (k.kind === 'public') throw new UsageError(`secret key ${path}: this is a public key (64 hex characters); give the secret NAME.key that \`preflight keys new\` wrote beside it`);
  const seed = k.bytes.subarray(0, 32);
  const kp = nacl.sign.keyPair.fromSeed(seed);
  if (toHex(kp.publicKey) !== toHex(k.bytes.subarray(32))) throw new UsageError(`secret key ${path}: damaged (its public half does not belong to its seed)`);
  return { seed: new Uint8Array(seed), pub: kp.publicKey, secretKey: kp.secretKey };
}

export function readPublicKey(path: string): Uint8Array {
  const k = readKeyFile(path, 'public key');
  if (k.kind === 'secret') throw new UsageError(`public key ${path}: this is a secret key; give the NAME.pub beside it (never hand a secret key to a tool that only checks)`);
  return k.bytes;
}
