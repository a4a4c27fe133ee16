// `preflight fleet export` (SPEC §2, §6): the fleet's stored copy of one terminal's journal as an
// export, in the terminal's own format: the header (format, device, first key, every rotation's
// proof), then every stored entry in seq order, each followed by the seal made at it. The store
// keeps the bytes exactly as the terminal stored and sent them, so over the same range the export
// is byte for byte the terminal's own `journal export`, and `journal verify --pub DEV.pub` accepts it.

import { encodeHeader, type RotationProof } from '../core/journal/export';
import { concat, fromHex } from '../core/util/bytes';
import { fail, ok, type Result } from '../core/util/result';
import type { FleetStore } from './store';

export interface FleetExport { bytes: Uint8Array; records: number; entries: number; seals: number; firstSeq: number; lastSeq: number }

export async function fleetExport(store: FleetStore, dev: string): Promise<Result<FleetExport>> {
  const d = await store.device(dev);
  if (!d) {
    const known = await store.knownDevices(5);
    return fail(`no device ${dev} in ${store.file}${known.length ? ` (known: ${known.join(', ')}${known.length === 5 ? ', …' : ''})` : ''}`);
  }
  if (!d.last_seq) return fail(`the fleet holds no verified entry of ${dev} yet (an empty export is not a valid one)`);
  const firstKey = fromHex(d.pub);
  if (!firstKey || firstKey.length !== 32) return fail(`the store's key for ${dev} is not 64 hex characters`);
  // Only the contiguous, verified chain (first_seq..last_seq) is the fleet's copy; parked batches are not trusted yet.
  const entries = await store.entries(dev, d.first_seq ?? 1, d.last_seq);
  const seals = new Map<number, Uint8Array>();
  for (const s of await store.seals(dev, d.first_seq ?? 1, d.last_seq)) {
    seals.set(s.seq, s.bytes);
  }
  const parts: Uint8Array[] = [];
  const rotations: RotationProof[] = [];
  for (const e of entries) {
    parts.push(e.bytes);
    const s = seals.get(e.seq);
    if (s) parts.push(s);
    // A rotation is proven by its key-rotate entry and the old key's seal made right at it (as the terminal keeps it).
    if (e.type === 'key-rotate' && s) rotations.push([e.bytes, s]);
  }
  const firstSeq = entries[0]?.seq ?? 1;
  const header = encodeHeader({ dev, firstKey, rotations, firstSeq });
  return ok({ bytes: concat(header, ...parts), records: parts.length, entries: entries.length, seals: parts.length - entries.length, firstSeq, lastSeq: entries.at(-1)?.seq ?? 0 });
}
