// The tamper-evident journal (SPEC §6) on HAL storage: append-only framed segments, seals, the
// derived ledger kept in two checkpoint copies plus floors (checkpoint.ts), and compaction of what
// is settled, sealed and acknowledged. Recovery (recovery.ts) survives a flash that rots: a damaged
// record costs that record only, and lost state is rebuilt or refused, never restarted.

import { encode, decode } from '../codec/cbor';
import { assemble, protectedHeader, toBeSigned } from '../crypto/cose';
import { readWhole } from '../hal/read';
import { ST, type Hal } from '../hal/types';
import { fail, ok, type Result } from '../util/result';
import { CHECKPOINTS, encodeCheckpoint, encodeFloors, floorsOf, FLOORS, type SegInfo } from './checkpoint';
import { chainHash, encodeEntry, encodeSealPayload, parseEntry, parseSeal, ZERO32 } from './entry';
import { frame, KIND_ENTRY, KIND_SEAL, scanFrames } from './frame';
import { apply, emptyLedger, type Ledger } from './ledger';
import type { JournalRecord } from './records';
import { recover, type RecoveryReport } from './recovery';
import { presentIn, SEGMENT_BYTES, segmentGaps, segName } from './segments';

export type { RecoveryReport } from './recovery';

const ACK_FILE = 'ack';
export { SEGMENT_BYTES } from './segments';

export interface SealSigner { pub: Uint8Array; sign(msg: Uint8Array): Uint8Array | null }

/** Records whose entry raises a floor: the floors file is written right after them (checkpoint.ts). */
const RAISES_FLOOR = new Set(['boot', 'policy', 'command', 'settle', 'key-rotated', 'flash-damage']);

export class Journal {
  ledger: Ledger = emptyLedger();
  private headHash: Uint8Array = ZERO32;
  /** Stored bytes of the last entry whose chain hash is not computed yet (see `head`). */
  private headPending: Uint8Array | null = null;
  sealedSeq = 0;                    // highest seq covered by a seal
  ackSeq = 0;                       // highest seq the backend acknowledged (a verified ack)
  oldestUnsealedT = 0;              // wall ms of the first entry after the last seal
  /** A checkpoint is owed (a segment rolled); written off the decision path by checkpointIfDue(). */
  checkpointDue = false;
  /** Why the terminal cannot tell where its journal stood (SPEC §6): nothing is appended then. */
  stateLost: string | null = null;
  /** Damage found after boot (an upload read a rotten old segment), for the agent to journal. */
  foundDamage: { lost: [number, number][]; unverifiable: [number, number][]; cause: string }[] = [];
  seg = 1;                          // segment being appended to
  segSize = 0;
  segs: SegInfo[] = [];             // live segments: [number, first seq, bytes when closed]
  private cpNext = 0;               // which checkpoint copy is written next
  private scrubAt = 0;              // the closed segment the scrubber reads next

  constructor(private hal: Hal, readonly dev: string) {}

  get seq(): number { return this.ledger.seq; }

  /**
   * The chain hash of the last entry (the next entry's prev, a seal's head). SHA-512 in pure JS
   * costs ~1 ms per entry inside QuickJS, so it is computed lazily: in idle time (hashHead) or by
   * the next append, never as part of the append that produced the entry.
   */
  get head(): Uint8Array {
    if (this.headPending) { this.headHash = chainHash(this.headPending); this.headPending = null; }
    return this.headHash;
  }
  set head(h: Uint8Array) { this.headHash = h; this.headPending = null; }
  /** Replay hands the stored bytes of the last entry applied; the hash is taken when needed. */
  set headBytes(b: Uint8Array) { this.headPending = b; }

  /** Idle-time work: hash the last entry now so the next decision does not have to. */
  hashHead(): void { void this.head; }
  get unsealed(): number { return this.ledger.seq - this.sealedSeq; }
  get firstSeq(): number { return this.segs.length ? this.segs[0]![1] : this.ledger.seq + 1; }

  /** Boot recovery (recovery.ts); then the acknowledged mark. */
  open(): RecoveryReport {
    const r = recover(this.hal, this, this.dev);
    this.ackSeq = this.readAckFile();
    return r;
  }

  /** The backend's word that it holds everything through `seq` (a verified ack): kept, then compaction. */
  acknowledge(seq: number): void {
    if (seq <= this.ackSeq) return;
    this.ackSeq = seq;
    // Kept beside the journal, not in it: journaling acks would feed an endless ack -> entry -> ack loop.
    // With the wall time it came, so doctor can say how long ago the fleet last acknowledged (SPEC §7).
    this.hal.storage.replace(ACK_FILE, encode({ seq, t: this.hal.clock.wallMs() }));
    this.compact();
  }

  /** The acknowledged mark as stored, and when it came (null: before acks carried a time, or never). */
  static ackMark(hal: Hal): { seq: number; t: number | null } {
    const b = readWhole(hal, ACK_FILE, 63);
    const d = b ? decode(b, 'ack file') : null;
    const v = d && d.ok ? (d.value as { seq?: unknown; t?: unknown }) : null;
    const seq = v?.seq;
    return { seq: Number.isSafeInteger(seq) && (seq as number) >= 0 ? (seq as number) : 0, t: typeof v?.t === 'number' ? v.t : null };
  }

  private readAckFile(): number { return Math.min(Journal.ackMark(this.hal).seq, this.sealedSeq); }

  /** Appends one entry; on a storage failure nothing changes and the failure is returned. */
  append(r: JournalRecord, t: number): Result<{ seq: number; bytes: Uint8Array }> {
    if (this.stateLost) return fail(`journal: state lost (${this.stateLost}); nothing is appended`);
    const seq = this.ledger.seq + 1;
    const bytes = encodeEntry({ seq, prev: this.head, t, type: r.type, body: r.body as unknown as Record<string, unknown> });
    if (this.segSize > 0 && this.segSize + bytes.length > SEGMENT_BYTES) this.roll();
    const framed = frame(KIND_ENTRY, bytes);
    const name = segName(this.seg);
    const st = this.hal.storage.append(name, framed);
    if (st !== ST.OK) {
      // A short write may have left part of a frame: cut it so the next append starts clean.
      this.hal.storage.truncate(name, this.segSize);
      return fail(`journal append failed (status ${st})`, { status: st });
    }
    if (this.segSize === 0 && (!this.segs.length || this.segs[this.segs.length - 1]![0] !== this.seg)) this.segs.push([this.seg, seq, 0]);
    this.segSize += framed.length;
    apply(this.ledger, seq, t, r);
    this.headPending = bytes;
    if (this.unsealed === 1) this.oldestUnsealedT = t;
    if (RAISES_FLOOR.has(r.type)) this.writeFloors();
    return ok({ seq, bytes });
  }

  private roll(): void {
    // The checkpoint is tens of KB: never on the decision path. Until idle time writes it,
    // recovery replays one more segment, which it can (it reads from the checkpoint's segment on).
    const last = this.segs[this.segs.length - 1];
    if (last && last[0] === this.seg) last[2] = this.segSize;
    this.checkpointDue = true;
    this.seg += 1;
    this.segSize = 0;
  }

  checkpointIfDue(): boolean {
    if (!this.checkpointDue) return false;
    this.writeCheckpoint();
    return true;
  }

  /** A seal over everything up to the last entry (SPEC §6). Off the decision path by design. */
  seal(signer: SealSigner, t: number): Result<{ seq: number; bytes: Uint8Array }> {
    if (this.stateLost) return fail('journal: state lost');
    if (this.unsealed === 0) return fail('nothing to seal');
    const payload = encodeSealPayload({ dev: this.dev, seq: this.ledger.seq, head: this.head, t });
    const prot = protectedHeader(signer.pub);
    const sig = signer.sign(toBeSigned(prot, payload));
    if (!sig || sig.length !== 64) return fail('signer failed');
    const bytes = assemble(prot, payload, sig);
    const framed = frame(KIND_SEAL, bytes);
    const name = segName(this.seg);
    const st = this.hal.storage.append(name, framed);
    if (st !== ST.OK) { this.hal.storage.truncate(name, this.segSize); return fail(`seal append failed (status ${st})`); }
    this.segSize += framed.length;
    this.sealedSeq = this.ledger.seq;
    this.oldestUnsealedT = 0;
    return ok({ seq: this.sealedSeq, bytes });
  }

  /** The ledger and chain head into the older checkpoint copy, then the floors (checkpoint.ts). */
  writeCheckpoint(segs: SegInfo[] = this.segs): void {
    if (this.stateLost) return;
    this.checkpointDue = false;
    const b = encodeCheckpoint({ seq: this.ledger.seq, head: this.head, sealedSeq: this.sealedSeq, oldestUnsealedT: this.oldestUnsealedT, segs, ledger: this.ledger });
    // Best effort: a failed copy leaves the other one, and the journal to replay.
    this.hal.storage.replace(CHECKPOINTS[this.cpNext]!, b);
    this.cpNext = 1 - this.cpNext;
    this.writeFloors(segs.length ? segs[0]![1] : this.ledger.seq + 1);
  }

  /** The floors: written where compaction never reaches, whenever one of them rises. */
  writeFloors(firstSeq = this.firstSeq): void {
    if (this.stateLost) return;
    this.hal.storage.replace(FLOORS, encodeFloors(floorsOf(this.dev, this.ledger, this.head, firstSeq)));
  }

  /** Recovery picks up the copy it did not load, so the newest copy is never the one overwritten. */
  setCheckpointSlot(loaded: number | null): void { this.cpNext = loaded === null ? 0 : 1 - loaded; }

  /**
   * One upload batch (SPEC §7): the stored entries from `fromSeq` up to the first seal that covers
   * them, then that seal. A seal stands right after the entry it covers, so a batch never splits the
   * entries under one seal. Entries are found by their seq, never by position: a lost record ends
   * the run before it (those entries can no longer chain to any seal: the damage is noted for the
   * agent to journal) and the batch starts again after it, so uploads go on. Null: nothing sealed.
   * With `maxBytes`, whole batches follow one another until the records reach it (issue 18: one
   * message for several seals); a gap ends them.
   */
  batchFrom(fromSeq: number, maxBytes = 0): { records: Uint8Array[]; lastSeq: number } | null {
    let i = 0;
    for (let k = 0; k < this.segs.length; k++) if (this.segs[k]![1] <= fromSeq) i = k;
    let run: Uint8Array[] = [], out: Uint8Array[] = [], outLast = 0, bytes = 0;
    // Before the first kept segment is what compaction removed (acknowledged), not damage.
    let lastSeq = Math.max(fromSeq, this.firstSeq) - 1, runFirst = lastSeq + 1;
    for (; i < this.segs.length; i++) {
      const b = this.readSeg(i);
      if (!b) continue;
      const s = scanFrames(b), name = segName(this.segs[i]![0]);
      const cause = s.damaged.length ? `${name}: ${s.damaged[0]!.why}` : `${name} is missing records`;
      for (const r of s.records) {
        if (r.kind === KIND_ENTRY) {
          const e = parseEntry(r.payload);
          if (!e.ok || e.value.seq <= lastSeq) continue;
          if (e.value.seq !== lastSeq + 1) {
            if (out.length) return { records: out, lastSeq: outLast };   // a message never spans a gap
            this.noteDamage([lastSeq + 1, e.value.seq - 1], run.length ? [runFirst, lastSeq] : null, cause);
            run = []; bytes = 0;
          }
          if (!run.length) runFirst = e.value.seq;
          lastSeq = e.value.seq;
          run.push(r.payload); bytes += r.payload.length;
        } else if (run.length > 0) {
          const sl = parseSeal(r.payload);
          if (sl.ok && sl.value.payload.seq === lastSeq) {
            run.push(r.payload); bytes += r.payload.length;
            out = out.concat(run); outLast = lastSeq; run = [];
            if (bytes >= maxBytes) return { records: out, lastSeq };
          }
        }
      }
    }
    return out.length ? { records: out, lastSeq: outLast } : null;
  }

  /**
   * The scrubber: reads one closed segment, in turn, and notes the seqs a damaged record took with
   * it (bit rot in an old segment that no boot replays and no upload reads again). Idle work: the
   * agent calls it at most every SCRUB_EVERY_MS.
   */
  scrub(): void {
    const closed = this.segs.length - 1;
    if (closed <= 0) return;
    const k = this.scrubAt++ % closed;
    const [n, first] = this.segs[k]!;
    const name = segName(n);
    const size = this.hal.storage.size(name);
    const b = size > 0 ? this.hal.storage.read(name, 0, size) : null;
    if (b && !scanFrames(b).damaged.length) return;   // every checksum holds: nothing to parse, nothing to report
    const p = b ? presentIn(b) : { present: [], damage: size < 0 ? 'missing' : 'empty' };
    if (!p.damage) return;
    const g = segmentGaps(p.present, first, this.segs[k + 1]![1]);
    for (let i = 0; i < g.lost.length; i++) this.noteDamage(g.lost[i]!, g.unverifiable[i] ?? null, `${name}: ${p.damage}`);
  }

  /**
   * The chain hash of entry `seq` as the seal made right after it says (its `head`); null when no
   * such seal is on the flash. An ack must name it (SPEC §7): an ack for another chain under the
   * same id frees nothing.
   */
  sealedHead(seq: number): Uint8Array | null { return this.sealOf(seq)?.head ?? null; }

  /** The stored entry `seq` and the seal made right after it (a key rotation's proof). */
  sealedEntry(seq: number): [Uint8Array, Uint8Array] | null {
    const s = this.sealOf(seq);
    return s?.entry ? [s.entry, s.seal] : null;
  }

  /** Entry `seq` and the seal whose last entry it is, from the segment that holds `seq` and the one after (a seal may follow a roll). */
  private sealOf(seq: number): { entry: Uint8Array | null; seal: Uint8Array; head: Uint8Array } | null {
    let k = 0, entry: Uint8Array | null = null;
    for (let i = 0; i < this.segs.length; i++) if (this.segs[i]![1] <= seq) k = i;
    for (let i = k; i < Math.min(k + 2, this.segs.length); i++) {
      for (const r of scanFrames(this.readSeg(i) ?? new Uint8Array(0)).records) {
        if (r.kind === KIND_ENTRY) { const e = parseEntry(r.payload); if (e.ok && e.value.seq === seq) entry = r.payload; continue; }
        const sl = parseSeal(r.payload);
        if (sl.ok && sl.value.payload.seq === seq) return { entry, seal: r.payload, head: sl.value.payload.head };
      }
    }
    return null;
  }

  /** Segment `i` as stored, whole; null when it is missing or empty. */
  private readSeg(i: number): Uint8Array | null { return readWhole(this.hal, segName(this.segs[i]![0])); }

  /** Damage an upload ran into, unless a flash-damage entry already said it (the agent journals it in idle time). */
  private noteDamage(lost: [number, number], unverifiable: [number, number] | null, cause: string): void {
    const said = (r: [number, number]) => this.ledger.damaged.some((d) => d[0] <= r[0] && r[1] <= d[1]);
    if (said(lost) || this.foundDamage.some((d) => d.lost.some((x) => x[0] === lost[0]))) return;
    this.foundDamage.push({ lost: [lost], unverifiable: unverifiable ? [unverifiable] : [], cause });
  }

  /**
   * Deletes whole segments whose every entry is settled, sealed and acknowledged (SPEC §5, §6). The
   * checkpoint and floors that no longer list them are written first, so a power cut at any point
   * leaves either the old state or the new one, and a boot finishes what was begun (recovery.ts).
   */
  compact(): number {
    if (this.stateLost) return 0;
    const upTo = Math.min(this.ledger.settledThroughSeq, this.ackSeq, this.sealedSeq);
    let k = 0;
    while (k + 1 < this.segs.length && this.segs[k + 1]![1] - 1 <= upTo) k++;
    if (!k) return 0;
    const victims = this.segs.slice(0, k), keep = this.segs.slice(k);
    this.writeCheckpoint(keep);
    for (const v of victims) {
      const st = this.hal.storage.remove(segName(v[0]));
      if (st !== ST.OK && st !== ST.NOT_FOUND) break;
    }
    this.segs = keep;
    return k;
  }
}
