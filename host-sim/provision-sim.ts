// What a vendor flasher and the operator do before a simulated terminal's first boot: trust
// anchors and a signed policy written into the --data folder (the flash). Throwaway operator and
// backend keys for scenarios live in DIR/.host/, outside what the terminal can read.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newKeyPair, readSecretKey, type KeyPair } from '../src/node/keys';
import { signPolicy } from '../device/provision/policy';
import { toHex } from '../src/core/util/bytes';

export interface SimKeys { operator: KeyPair; backend: KeyPair }

function loadOrMake(dir: string, name: string): KeyPair {
  const p = join(dir, `${name}.key`);
  if (existsSync(p)) return readSecretKey(p);
  const kp = newKeyPair();
  writeFileSync(p, toHex(kp.seed) + '\n', { mode: 0o600 });
  return kp;
}

export function simKeys(dataDir: string): SimKeys {
  const host = join(dataDir, '.host');
  mkdirSync(host, { recursive: true, mode: 0o700 });
  return { operator: loadOrMake(host, 'operator'), backend: loadOrMake(host, 'backend') };
}

/** Writes trust anchors (if absent) and returns the signed policy bytes for the scenario. */
export function provision(dataDir: string, keys: SimKeys, policy: Record<string, unknown> | Uint8Array | null): Uint8Array | null {
  mkdirSync(join(dataDir, 'trust'), { recursive: true });
  const op = join(dataDir, 'trust/operator.pub'), be = join(dataDir, 'trust/backend.pub');
  if (!existsSync(op)) writeFileSync(op, toHex(keys.operator.pub) + '\n');
  if (!existsSync(be)) writeFileSync(be, toHex(keys.backend.pub) + '\n');
  if (policy === null) return null;
  const bytes = policy instanceof Uint8Array ? policy : signPolicy(policy, keys.operator);
  if (!existsSync(join(dataDir, 'policy.cose'))) writeFileSync(join(dataDir, 'policy.cose'), bytes);
  return bytes;
}

