// `preflight fleet export` (SPEC §2, §6): the fleet's stored copy of one terminal's journal as an
// export, in the terminal's own format: the header (format, device, first key, every rotation's
// proof), then every stored entry in seq order, each followed by the seal made at it. The store
// keeps the bytes exactly as the terminal stored and sent them, so over the same range the export
// is byte for byte the terminal's own `journal export`, and `journal verify --pub DEV.pub` accepts it.

import { encodeHeader, type RotationProof } from '../core/journal/export';
import { concat, fromHex } from '../core/util/bytes';
import { fail, ok, type Result } from '../core/util/result';
import type { Store } from './store';

export interface FleetExport { bytes: Uint8Array; records: number; entries: number; seals: number; firstSeq: number; lastSeq: number }

export function fleetExport(store: Store, dev: string): Result<FleetExport> {
  const d = store.device(dev);
  if (!d) {
    const known = (store.db.prepare(`SELECT dev FROM devices ORDER BY dev LIMIT 5`).all() as { dev: string }[]).map((r) => r.dev);
    return fail(`no device ${dev} in ${store.file}${known.length ? ` (known: ${known.join(', ')}${known.length === 5 ? ', …' : ''})` : ''}`);
  }
  if (!d.last_seq) return fail(`the fleet holds no verified entry of ${dev} yet (an empty export is not a valid one)`);
  const firstKey = fromHex(d.pub);
  if (!firstKey || firstKey.length !== 32) return fail(`the store's key for ${dev} is not 64 hex characters`);
  // Only the contiguous, verified chain (first_seq..last_seq) is the fleet's copy; parked batches are not trusted yet.
  const entries = store.db.prepare(`SELECT seq, type, bytes FROM entries WHERE dev = ? AND seq BETWEEN ? AND ? ORDER BY seq`)
    .all(dev, d.first_seq ?? 1, d.last_seq) as { seq: number; type: string; bytes: Uint8Array }[];
  const seals = new Map<number, Uint8Array>();
  for (const s of store.db.prepare(`SELECT seq, bytes FROM seals WHERE dev = ? AND seq BETWEEN ? AND ?`).all(dev, d.first_seq ?? 1, d.last_seq) as { seq: number; bytes: Uint8Array }[]) {
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
