// Reading one stored file whole through the HAL (hal-contract.md `storage`): the size first, then
// the bytes. Absent, empty or larger than the caller accepts reads as null, never as an exception.

import type { Hal } from './types';

export function readWhole(hal: Hal, name: string, maxBytes = Infinity): Uint8Array | null {
  const n = hal.storage.size(name);
  return n > 0 && n <= maxBytes ? hal.storage.read(name, 0, n) : null;
}
