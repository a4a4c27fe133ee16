// JSON files people write (policies, scenarios): read, parsed, and checked for what a reader must
// never be handed: more than MAX_JSON_BYTES, or nesting deeper than MAX_JSON_DEPTH (a 100,000-deep
// array would overflow every recursive reader after it). Bad input is a UsageError (exit 2).

import { readFileSync, statSync } from 'node:fs';
import { UsageError } from './errors';

export const MAX_JSON_BYTES = 16 << 20;
export const MAX_JSON_DEPTH = 64;

/** The deepest nesting of arrays and objects in JSON text, found without parsing it. */
export function jsonDepth(text: string): number {
  let depth = 0, max = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) { if (c === 92) i++; else if (c === 34) inString = false; continue; }
    if (c === 34) inString = true;
    else if (c === 91 || c === 123) { if (++depth > max) max = depth; }
    else if (c === 93 || c === 125) depth--;
  }
  return max;
}

export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    if (statSync(path).size > MAX_JSON_BYTES) throw new UsageError(`${what} ${path}: larger than ${MAX_JSON_BYTES >> 20} MB`);
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${what} ${path}: cannot be read`);
  }
  const d = jsonDepth(text);
  if (d > MAX_JSON_DEPTH) throw new UsageError(`${what} ${path}: nested ${d} deep; at most ${MAX_JSON_DEPTH} levels are accepted`);
  try { return JSON.parse(text); } catch (e) { throw new UsageError(`${what} ${path}: not valid JSON (${(e as Error).message})`); }
}
