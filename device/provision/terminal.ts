// What a vendor's flasher writes into a terminal's flash before its first boot when no signed image
// is used (a scenario run, a bench rig): the trust anchors (SPEC §6: operator and backend keys) and
// a signed policy. An image (image.ts, flash.ts) writes the same files, covered by its manifest.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { POLICY_FILE } from '../../src/core/policy/store';
import { toHex } from '../../src/core/util/bytes';
import { UsageError } from '../../src/node/errors';

export interface Anchors { operatorPub: Uint8Array; backendPub: Uint8Array }

/** The trust anchors a data folder holds, or null where it holds none. */
export function readAnchors(dataDir: string): { operator: string | null; backend: string | null } {
  const read = (n: string) => { try { return readFileSync(join(dataDir, 'trust', `${n}.pub`), 'utf8').trim(); } catch { return null; } };
  return { operator: read('operator'), backend: read('backend') };
}

/** Writes the trust anchors, refusing to overwrite different ones (a terminal's anchors only change with a signed image). */
export function writeAnchors(dataDir: string, a: Anchors): void {
  mkdirSync(join(dataDir, 'trust'), { recursive: true });
  const held = readAnchors(dataDir);
  for (const [name, pub] of [['operator', a.operatorPub], ['backend', a.backendPub]] as const) {
    const want = toHex(pub), have = name === 'operator' ? held.operator : held.backend;
    if (have !== null && have !== want) throw new UsageError(`${join(dataDir, 'trust', name + '.pub')} holds another ${name} key: this terminal was provisioned by someone else`);
    if (have === null) writeFileSync(join(dataDir, 'trust', `${name}.pub`), want + '\n');
  }
}

/** Writes the signed policy the terminal boots with, unless it already holds one. */
export function writePolicyIfAbsent(dataDir: string, cose: Uint8Array): boolean {
  const p = join(dataDir, POLICY_FILE);
  if (existsSync(p)) return false;
  writeFileSync(p, cose);
  return true;
}

/** True when the folder was flashed with a signed image (its anchors come from the image). */
export const isFlashed = (dataDir: string): boolean => existsSync(join(dataDir, 'img', 'active'));
