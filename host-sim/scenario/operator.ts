// The operator's side of a scenario run (SPEC §9): the throwaway operator and backend keys a
// scenario's policy and commands are signed with, the fleet registry the terminal is enrolled in,
// and the fleet store the embedded broker's consumer writes. Kept beside the terminal's data
// folder (DIR.fleet/), never inside it, and made with the product's own key, enrolment and
// command code: the simulator owns no keys of its own.

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readSecretKey, writeKeyPair, type KeyPair } from '../../src/node/keys';

export interface OperatorSide {
  dir: string;
  operator: KeyPair; operatorKeyPath: string;
  backend: KeyPair; backendKeyPath: string;
  registry: string;
  db: string;
}

/** The folder of a data folder's operator side: `DIR.fleet` beside `DIR`. */
export const operatorDir = (dataDir: string): string => dataDir.replace(/\/+$/, '') + '.fleet';

/** Opens the operator side of `dataDir`, making its keys on first use. */
export function operatorSide(dataDir: string): OperatorSide {
  const dir = operatorDir(dataDir);
  const keys = join(dir, 'keys');
  mkdirSync(keys, { recursive: true, mode: 0o700 });
  const key = (name: string) => {
    const p = join(keys, `${name}.key`);
    if (!existsSync(p)) writeKeyPair(keys, name);
    return { kp: readSecretKey(p), path: p };
  };
  const op = key('operator'), be = key('backend');
  const registry = join(dir, 'registry');
  mkdirSync(registry, { recursive: true });
  return { dir, operator: op.kp, operatorKeyPath: op.path, backend: be.kp, backendKeyPath: be.path, registry, db: join(dir, 'fleet.sqlite') };
}
