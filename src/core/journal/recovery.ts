// Boot recovery of the journal (SPEC §6 "Damage and lost state"). It loads the newest checkpoint
// copy whose chain head matches the journal, replays the segments after it, and keeps going past
// damage: a damaged record costs that record only, every intact one after it is applied, and the
// seqs lost are reported (by the agent, as one flash-damage entry). What it checks against:
//   - the checkpoint copies (cp/0, cp/1) and the floors file, for where the journal stood;
//   - the checkpoint's segment list, for segments deleted, emptied or cut short;
// When the journal, both checkpoints and the floors leave no way to know where it stood, it does
// not start a second chain: `stateLost` says why, and the terminal refuses to trade (STATE_LOST).

import { readWhole } from '../hal/read';
import type { Hal } from '../hal/types';
import { equalBytes } from '../util/bytes';
import { applyFloors, CHECKPOINTS, decodeCheckpoint, decodeFloors, FLOORS, type Checkpoint, type Floors, type SegInfo } from './checkpoint';
import { chainHash, parseEntry, parseSeal, ZERO32 } from './entry';
import { KIND_ENTRY, MAGIC, scanFrames } from './frame';
import { apply, emptyLedger, type Ledger } from './ledger';

/** What recovery sets up in the journal it recovers (journal.ts implements it). */
export interface JournalState {
  ledger: Ledger; head: Uint8Array; headBytes: Uint8Array; readonly unsealed: number;
  sealedSeq: number; oldestUnsealedT: number; segs: SegInfo[]; seg: number; segSize: number; stateLost: string | null;
  setCheckpointSlot(loaded: number | null): void;
}
import { presentIn, segmentGaps, segName, segNumbers } from './segments';

export interface RecoveryReport {
  seq: number; tornBytes: number; replayed: number; bytesRead: number; fromCheckpoint: boolean;
  /** Seq ranges lost to flash damage found now and not reported before, with the cause. */
  lost: [number, number][]; unverifiable: [number, number][]; cause: string | null;
  note: string | null;
  stateLost: string | null;
  /** Set when the flash holds another device's journal. */
  foreign?: string;
}

/** The device the first segment's first boot entry names (a folder without floors: older, or lost). */
function firstBootDev(hal: Hal, segs: number[]): string | null {
  if (!segs.length) return null;
  const b = readWhole(hal, segName(segs[0]!));
  for (const r of b ? scanFrames(b).records : []) {
    if (r.kind !== KIND_ENTRY) continue;
    const e = parseEntry(r.payload);
    if (e.ok && e.value.rec?.type === 'boot') return e.value.rec.body.dev;
  }
  return null;
}

interface Replay {
  ok: boolean;        // false: the checkpoint does not match the journal (try another)
  report: RecoveryReport;
}

export function recover(hal: Hal, j: JournalState, dev: string): RecoveryReport {
  const st = hal.storage;
  const segs = segNumbers(hal);
  const copies = CHECKPOINTS.map((n, slot) => ({ slot, c: decodeCheckpoint(readWhole(hal, n)) }))
    .filter((x) => x.c.ok).map((x) => ({ slot: x.slot, c: (x.c as { value: Checkpoint }).value }))
    .sort((a, b) => b.c.seq - a.c.seq);
  const f = decodeFloors(readWhole(hal, FLOORS));
  const floors = f.ok ? f.value : null;
  // A data folder of another terminal is not this one's journal (SPEC §6): refused, never appended to.
  const owner = floors?.dev ?? firstBootDev(hal, segs);
  if (owner !== null && owner !== dev) {
    j.stateLost = `this flash holds the journal of ${owner}, not of ${dev}`;
    return { seq: 0, tornBytes: 0, replayed: 0, bytesRead: 0, fromCheckpoint: false, lost: [], unverifiable: [], cause: null, note: null, stateLost: j.stateLost, foreign: owner };
  }
  const damagedState = CHECKPOINTS.filter((n) => st.size(n) >= 0 && !decodeCheckpoint(readWhole(hal, n)).ok).length + (st.size(FLOORS) >= 0 && !floors ? 1 : 0);
  let rep: RecoveryReport | null = null;
  for (const x of copies) {
    const r = replay(hal, j, segs, x.c, floors);
    if (r.ok) { j.setCheckpointSlot(x.slot); rep = r.report; break; }
  }
  if (!rep) { j.setCheckpointSlot(null); rep = replay(hal, j, segs, null, floors).report; }
  if (damagedState && !rep.note) rep.note = `${damagedState} state file(s) unusable; rebuilt from the other copy and the journal`;
  // A compaction cut short by the power: its checkpoint no longer lists these segments. Finish it.
  for (const n of segs) if (j.segs.length && n < j.segs[0]![0] && !rep.stateLost) st.remove(segName(n));
  j.stateLost = rep.stateLost;
  return rep;
}

function replay(hal: Hal, j: JournalState, segs: number[], c: Checkpoint | null, floors: Floors | null): Replay {
  const st = hal.storage;
  const rep: RecoveryReport = { seq: 0, tornBytes: 0, replayed: 0, bytesRead: 0, fromCheckpoint: !!c, lost: [], unverifiable: [], cause: null, note: null, stateLost: null };
  const lose = (from: number, to: number, cause: string, unsealedFrom: number) => {
    if (from > to) return;
    // Already reported by an earlier boot: not again.
    if (j.ledger.damaged.some((d) => d[0] <= from && to <= d[1])) return;
    if (rep.lost.some((d) => d[0] <= from && to <= d[1])) return;   // a missing segment already said it
    rep.lost.push([from, to]);
    if (unsealedFrom <= from - 1) rep.unverifiable.push([unsealedFrom, from - 1]);
    rep.cause ??= cause;
  };
  // Each copy is decoded afresh, so a replay that gives up on one has touched nothing it keeps.
  j.ledger = c ? c.ledger : emptyLedger();
  j.head = c ? c.head : ZERO32;
  j.sealedSeq = c ? c.sealedSeq : 0;
  j.oldestUnsealedT = c ? c.oldestUnsealedT : 0;
  j.segs = [];
  const known = new Map<number, SegInfo>((c ? c.segs : []).map((s) => [s[0], s]));
  // Segments the checkpoint knew that are gone, emptied or cut short (SPEC §6): their seqs are lost.
  if (c) {
    for (let k = 0; k < c.segs.length; k++) {
      const [n, first, bytes] = c.segs[k]!;
      const next = c.segs[k + 1]?.[1] ?? c.seq + 1;
      const size = st.size(segName(n));
      if (size < 0) { lose(first, Math.min(next - 1, c.seq), `segment ${segName(n)} is missing`, j.sealedSeq + 1); continue; }
      // Cheap checks of a closed segment the replay will not read: its size, and its first frame's header.
      const head = size >= 2 ? st.read(segName(n), 0, 2) : null;
      const suspect = (bytes > 0 && size < bytes) || !head || head[0] !== MAGIC;
      if (!suspect || n >= (startSegOf(c) ?? Infinity)) continue;
      const b = readWhole(hal, segName(n));
      rep.bytesRead += b?.length ?? 0;
      const p = b ? presentIn(b) : { present: [], damage: 'empty' };
      const g = segmentGaps(p.present, first, Math.min(next, c.seq + 1));
      const why = `segment ${segName(n)}: ${size < bytes ? `cut to ${size} of ${bytes} bytes` : p.damage ?? 'damaged'}`;
      g.lost.forEach((x, i) => { rep.lost.push(x); if (g.unverifiable[i]) rep.unverifiable.push(g.unverifiable[i]!); rep.cause ??= why; });
    }
  }
  // Replay from the segment that holds the checkpoint's last entry (it is checked against the head).
  const startSeg = c ? startSegOf(c) ?? segs[0] : segs[0];
  const firstKept = c ? (c.segs[0]?.[1] ?? c.seq + 1) : floors ? floors.firstSeq : 1;
  let checked = !c || c.seq === 0;
  let maxPresent = 0;                 // the highest seq found on flash in the segments read
  let tailRead = false;
  let expectStart = !c;  // without a checkpoint the first entry must be where the floors say the journal begins
  for (let k = 0; k < segs.length; k++) {
    const n = segs[k]!;
    if (startSeg !== undefined && n < startSeg) { const s = known.get(n); if (s) j.segs.push([n, s[1], s[2]]); continue; }
    const name = segName(n);
    const b = readWhole(hal, name) ?? new Uint8Array(0);
    rep.bytesRead += b.length;
    const s = scanFrames(b);
    const last = k === segs.length - 1;
    // A write the power cut short leaves one partial frame at the very end; anything else is damage.
    const tail = s.damaged[s.damaged.length - 1];
    const tornAt = last && tail && tail.end === b.length && tail.why.startsWith('torn') ? s.damaged.pop()!.offset : -1;
    const cause = s.damaged.length ? `${name}: ${s.damaged[0]!.why}` : b.length === 0 ? `${name} is empty` : `${name} is missing records`;
    let firstInSeg: number | null = null;
    // The part of a segment before the checkpoint is not replayed, but a record missing from it is still lost.
    let seen = (known.get(n)?.[1] ?? 1) - 1, sealedMark = seen;
    for (const r of s.records) {
      if (r.kind !== KIND_ENTRY) {
        const sl = parseSeal(r.payload);
        if (sl.ok && sl.value.payload.seq === seen) sealedMark = seen;
        if (sl.ok && sl.value.payload.seq === j.ledger.seq && sl.value.payload.seq > j.sealedSeq && equalBytes(sl.value.payload.head, j.head)) {
          j.sealedSeq = sl.value.payload.seq; j.oldestUnsealedT = 0;
        }
        continue;
      }
      const e = parseEntry(r.payload);
      if (!e.ok) { rep.cause ??= `${name}: an entry that does not parse (${e.error})`; continue; }
      const x = e.value;
      firstInSeg ??= x.seq;
      if (x.seq <= j.ledger.seq && known.has(n) && x.seq > seen + 1) lose(seen + 1, x.seq - 1, cause, sealedMark + 1);
      seen = Math.max(seen, x.seq);
      maxPresent = Math.max(maxPresent, x.seq);
      if (c && x.seq === c.seq) {
        if (!equalBytes(chainHash(r.payload), c.head)) return { ok: false, report: rep }; // a stale or foreign checkpoint
        checked = true;
        continue;
      }
      if (x.seq <= j.ledger.seq) continue;
      if (expectStart) {
        expectStart = false;
        if (x.seq > 1 && !floors) { rep.stateLost = `the journal begins at seq ${x.seq}, and neither a checkpoint nor the floors say what came before`; break; }
        // (the floors are raised into the ledger after the replay: they are its values at their own time)
        if (x.seq > firstKept) lose(firstKept, x.seq - 1, `the journal begins at seq ${x.seq}, the floors say ${firstKept}`, firstKept);
        j.ledger.seq = x.seq - 1;
      } else if (x.seq !== j.ledger.seq + 1) lose(j.ledger.seq + 1, x.seq - 1, cause, j.sealedSeq + 1);
      apply(j.ledger, x.seq, x.t, x.rec);
      j.headBytes = r.payload;
      if (j.unsealed === 1) j.oldestUnsealedT = x.t;
      rep.replayed++;
    }
    if (rep.stateLost) break;
    if (firstInSeg !== null) j.segs.push([n, firstInSeg, last ? 0 : b.length]);
    else if (known.has(n)) j.segs.push([n, known.get(n)![1], 0]);
    if (last) {
      tailRead = true;
      j.seg = n;
      j.segSize = tornAt >= 0 ? tornAt : b.length;
      if (tornAt >= 0) { rep.tornBytes = b.length - tornAt; st.truncate(name, tornAt); }
      // Never append behind damage: the next entry opens a new segment.
      if (s.damaged.length) { j.seg = n + 1; j.segSize = 0; }
    }
  }
  // The segments from the checkpoint's on are all gone: the next entry opens a segment numbered past
  // every one the flash or the checkpoint knows, so no name is used twice.
  if (!tailRead) { j.seg = Math.max(0, ...segs, ...(c ? c.segs.map((x) => x[0]) : [])) + 1; j.segSize = 0; }
  if (c && !checked && !rep.stateLost) {
    // The checkpoint's last entry is not on flash any more (the end of the journal was cut or zeroed):
    // the entries after the last one found are lost; the checkpoint still knows the head to go on from.
    const from = maxPresent > 0 ? maxPresent + 1 : (startSeg !== undefined ? known.get(startSeg)?.[1] : undefined) ?? firstKept;
    lose(from, c.seq, `entries ${from}..${c.seq} are missing at the end of the journal`, Math.min(from, c.sealedSeq + 1));
  }
  // Entries the checkpoint or the floors saw that the journal lost at its end: the chain goes on from
  // the newest head they hold, so no seq is ever written twice (no second chain, SPEC §6).
  const anchor = floors && (!c || floors.seq > c.seq) ? floors : c;
  if (anchor && !rep.stateLost && anchor.seq > j.ledger.seq) {
    lose(j.ledger.seq + 1, anchor.seq, `entries ${j.ledger.seq + 1}..${anchor.seq} are missing at the end of the journal`, j.sealedSeq + 1);
    j.ledger.seq = anchor.seq;
    j.head = anchor.head;
    if (floors) applyFloors(j.ledger, floors);
    if (j.segSize > 0) { j.seg += 1; j.segSize = 0; }   // never append after the cut under an older seq
  }
  if (floors && !rep.stateLost) applyFloors(j.ledger, floors);
  // What a flash-damage entry replayed here already reported is not reported again.
  const said = (r: [number, number]) => j.ledger.damaged.some((d) => d[0] <= r[0] && r[1] <= d[1]);
  rep.lost = rep.lost.filter((r) => !said(r));
  if (rep.cause && !rep.lost.length) { rep.note ??= rep.cause; rep.cause = null; }
  rep.seq = j.ledger.seq;
  return { ok: true, report: rep };
}

/** The segment holding the checkpoint's last entry: where replay starts. */
function startSegOf(c: Checkpoint): number | undefined {
  return [...c.segs].reverse().find((s) => s[1] <= c.seq)?.[0];
}
