// Wraps a HAL so tools that only read a terminal's flash (doctor, export) can never change it.

import { ST } from '../src/hal/types';
import type { NodeHal } from './hal-node';

export function readOnly(h: NodeHal): NodeHal {
  const ro = Object.create(h) as NodeHal;
  ro.storage = { ...h.storage, append: () => ST.IO, replace: () => ST.IO, truncate: () => ST.IO, remove: () => ST.IO };
  ro.keystore = { get: () => null, put: () => ST.IO };
  return ro;
}
