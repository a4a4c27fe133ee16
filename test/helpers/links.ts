// What the fleet consumer of a scenario run holds for a device: the real store, read back.
import { expect } from 'vitest';
import type { Links } from '../../host-sim/scenario/links';
import type { RunResult } from '../../host-sim/scenario/run';

export const runLinks = (l: Links) => ({ network: l.network, fleet: l.fleet, operator: l.operator });

/** Seqs the fleet stored for `dev`, in order. */
export async function storedSeqs(l: Links, dev: string): Promise<number[]> {
  const st = l.fleet!.consumer!.store;
  const last = (await st.device(dev))?.last_seq ?? 0;
  return [...(await st.held(dev, 1, Math.max(1, last))).keys()].sort((a, b) => a - b);
}

/** Every entry the terminal wrote is in the fleet's store exactly once, and the terminal knows it. */
export async function allDelivered(r: RunResult, l: Links, dev: string) {
  const j = r.summary.journal as { entries: number; acknowledgedThrough: number };
  const d = (await l.fleet!.consumer!.store.device(dev))!;
  expect(d, `${dev} is in the fleet store`).toBeTruthy();
  expect(d.rejected).toBe(0);
  expect(await storedSeqs(l, dev)).toEqual(Array.from({ length: j.entries }, (_, i) => i + 1));
  expect(j.acknowledgedThrough).toBe(j.entries);
  return d;
}
