// `preflight enrol` and `preflight enrol token` (SPEC §7 registry): a booted terminal's key into the
// fleet registry, optionally gated by a one-time token the fleet operator issued.

import { checkDev, enrol, issueToken } from '../fleet/enrol';
import type { Command } from './command';

export const ENROL: Command[] = [{
  name: 'enrol token',
  summary: 'Issues a one-time enrolment token for a device: REGISTRY/DEV.token keeps only its hash; hand the printed token to the installer.',
  options: {
    registry: { type: 'string', arg: 'DIR', help: 'the fleet registry folder', required: true },
    dev: { type: 'string', arg: 'ID', help: 'the device id', required: true },
  },
  example: 'preflight enrol token --registry fleet/registry --dev T-0001',
  run({ values, out }) {
    out(issueToken(values.registry as string, checkDev(values.dev as string)));
    return 0;
  },
}, {
  name: 'enrol',
  summary: 'Enrols the terminal whose data folder is given: its device.pub (written at first boot) goes into REGISTRY/DEV.pub under the journal\'s device id. A token, when one was issued, is required and consumed.',
  options: {
    data: { type: 'string', arg: 'DIR', help: 'the terminal\'s data folder, booted once', required: true },
    registry: { type: 'string', arg: 'DIR', help: 'the fleet registry folder', required: true },
    dev: { type: 'string', arg: 'ID', help: 'the device id (checked against the journal\'s)' },
    token: { type: 'string', arg: 'T', help: 'the one-time token from `preflight enrol token`' },
  },
  example: 'preflight enrol --data .sim-data/T-0001 --registry fleet/registry --token 3f2a…',
  run({ values, out }) {
    const r = enrol({ dataDir: values.data as string, registry: values.registry as string, dev: values.dev as string | undefined, token: values.token as string | undefined });
    out(`enrolled ${r.dev}: ${r.pub} -> ${r.path}${r.replaced ? ' (replaced the previous key)' : ''}${r.operator ? `; its image trusts operator key ${r.operator.slice(0, 16)}… (fleet send refuses another)` : ''}`);
    return 0;
  },
}];
