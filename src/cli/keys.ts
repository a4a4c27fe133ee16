// `preflight keys new` (SPEC §2): an Ed25519 key pair for an operator, a backend or a release signer.

import { writeKeyPair } from '../node/keys';
import type { Command } from './command';

export const KEYS: Command[] = [{
  name: 'keys new',
  summary: 'Makes a new Ed25519 key pair: DIR/NAME.key (the secret key as 128 hex characters: seed then public key, mode 0600) and DIR/NAME.pub (64 hex characters). An existing key is never overwritten.',
  options: {
    out: { type: 'string', arg: 'DIR', help: 'folder for the two files (made if absent)', required: true },
    name: { type: 'string', arg: 'NAME', help: 'file name without extension: letters, digits, ".", "_" or "-"', required: true },
  },
  example: 'preflight keys new --out keys --name operator',
  run({ values, out }) {
    const r = writeKeyPair(values.out as string, values.name as string);
    out(`${r.key}\n${r.pub}`);
    return 0;
  },
}];
