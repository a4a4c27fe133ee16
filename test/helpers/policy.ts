// Test policies: the demo policy with its time-zone transitions, tweakable per test.
import { readFileSync } from 'node:fs';
import { preparePolicy } from '../../device/provision/policy';
import { validatePolicy } from '../../src/core/policy/validate';
import type { Policy } from '../../src/core/policy/types';

export const demoPolicyJson = (): Record<string, any> => JSON.parse(readFileSync('host-sim/scenarios/policy-demo.json', 'utf8'));

/** A validated policy; `edit` changes the authored JSON first. */
export function policy(edit: (p: Record<string, any>) => void = () => {}): Policy {
  const j = demoPolicyJson();
  edit(j);
  const v = validatePolicy(preparePolicy(j, sh('2026-03-02T10:00')), true);
  if (!v.ok) throw new Error(v.error);
  return v.value;
}

/** Epoch ms of a local Shanghai time "YYYY-MM-DDTHH:MM". */
export const sh = (s: string): number => Date.parse(s + ':00+08:00');
