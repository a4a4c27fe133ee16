// Before a scenario's terminal boots (SPEC §9): what its data folder must hold for the scenario's
// `policy`. Left out: whatever the folder holds. `null`: no policy. Inline JSON: signed for the run
// with the operator side's throwaway key. A .cose: used as signed, and only if the terminal trusts
// its signer. A flashed terminal trusts only its image's operator key, so a scenario cannot hand it
// a policy of its own making: that is refused here, in words, before anything boots.

import { join } from 'node:path';
import { openSign1 } from '../../src/core/crypto/cose';
import { readPolicyFile } from '../../src/core/policy/store';
import { equalBytes, fromHex } from '../../src/core/util/bytes';
import { UsageError } from '../../src/node/errors';
import { readOnlyFlash } from '../../src/node/flash-folder';
import { signPolicy } from '../../device/provision/policy';
import { isFlashed, readAnchors, writeAnchors, writePolicyIfAbsent } from '../../device/provision/terminal';
import type { OperatorSide } from './operator';

export interface Provisioned {
  /** A signed policy to install through the agent after boot (the folder held another one). */
  install: Uint8Array | null;
  flashed: boolean;
}

/** `startMs`: the scenario's start, the clock its inline policy is judged by (SPEC §4). */
export function provisionForScenario(dataDir: string, policy: Record<string, unknown> | string | null | undefined,
                                     op: OperatorSide, cose: Uint8Array | undefined, startMs: number): Provisioned {
  const flashed = isFlashed(dataDir);
  if (!flashed) writeAnchors(dataDir, { operatorPub: op.operator.pub, backendPub: op.backend.pub });
  if (policy === undefined || policy === null) return { install: null, flashed };
  let bytes: Uint8Array;
  if (typeof policy === 'string') {
    if (!cose) throw new UsageError(`scenario policy ${policy}: not read (a .cose or .json file beside the scenario)`);
    const trusted = readAnchors(dataDir).operator;
    const pub = trusted ? fromHex(trusted) : null;
    if (!pub || !openSign1(cose, [pub], 'policy').ok) {
      throw new UsageError(`scenario policy ${policy} is not signed by this terminal's operator key (${join(dataDir, 'trust/operator.pub')}: ${trusted ? trusted.slice(0, 16) + '…' : 'none'}); `
        + (flashed ? 'sign it with the key the image trusts, or leave "policy" out to use the image\'s' : `sign it with ${op.operatorKeyPath}, or give the policy inline`));
    }
    bytes = cose;
  } else {
    if (flashed) {
      throw new UsageError('this terminal was flashed with an image and trusts only its operator key: leave "policy" out to trade under the image\'s policy, '
        + 'or sign yours with that key (`preflight policy sign`) and name the .cose');
    }
    bytes = signPolicy(policy, op.operator, startMs);
  }
  if (writePolicyIfAbsent(dataDir, bytes)) return { install: null, flashed };
  const held = readPolicyFile(readOnlyFlash(dataDir));
  return { install: held && equalBytes(held, bytes) ? null : bytes, flashed };
}
