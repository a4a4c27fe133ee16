// Where the journal lives on flash: segments j/00000001, j/00000002, ... of at most SEGMENT_BYTES,
// appended to in order. The journal, its recovery and its readers share these names.

import type { Hal } from '../hal/types';

export const SEGMENT_BYTES = 64 * 1024;
export const SEG_PREFIX = 'j/';
export const segName = (n: number) => SEG_PREFIX + String(n).padStart(8, '0');
/** The segment numbers on flash, in order. */
export const segNumbers = (hal: Hal): number[] =>
  hal.storage.list(SEG_PREFIX).filter((n) => /^j\/\d{8}$/.test(n)).map((n) => +n.slice(2)).sort((a, b) => a - b);
