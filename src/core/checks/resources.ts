// Resources (SPEC §5 Resources): free heap, free storage, and the batch journal's fill.

import type { Policy } from '../policy/types';
import { reason, type Reason } from '../reasons/names';

export function checkResources(p: Policy, heapFree: number, storageFree: number, batchCount: number): Reason[] {
  const r = p.resources;
  const out: Reason[] = [];
  if (heapFree < r.minHeapFreeBytes) out.push(reason('MEM_LOW', { free: heapFree, min: r.minHeapFreeBytes }));
  if (storageFree < r.minStorageFreeBytes) out.push(reason('STORAGE_LOW', { free: storageFree, min: r.minStorageFreeBytes }));
  if (batchCount >= r.batchMaxTxns) out.push(reason('BATCH_FULL', { count: batchCount, max: r.batchMaxTxns }));
  else if (batchCount >= r.batchWarnRatio * r.batchMaxTxns) out.push(reason('BATCH_NEAR_FULL', { count: batchCount, max: r.batchMaxTxns }));
  return out;
}
