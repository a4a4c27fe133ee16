// The tamper-evident journal (SPEC §6) on HAL storage: append-only framed segments, a checkpoint
// of the derived ledger, recovery that reads only the checkpoint and the tail, seals, export and
// compaction of what is both settled and acknowledged.

import { decode, encode } from '../codec/cbor';
import { assemble, protectedHeader, toBeSigned } from '../crypto/cose';
import { ST, type Hal } from '../hal/types';
import { concat, utf8, fromUtf8 } from '../util/bytes';
import { fail, ok, type Result } from '../util/result';
import { chainHash, encodeEntry, parseEntry, parseSeal, ZERO32 } from './entry';
import { frame, KIND_ENTRY, KIND_SEAL, unframe, type Framed } from './frame';
import { apply, emptyLedger, type Ledger } from './ledger';
import type { JournalRecord } from './records';

export const SEGMENT_BYTES = 64 * 1024;
const SEG_PREFIX = 'j/';
const CHECKPOINT = 'state';
const ACK_FILE = 'ack';
const CHECKPOINT_MAX = 1 << 20;
const segName = (n: number) => SEG_PREFIX + String(n).padStart(8, '0');

export interface SealSigner { pub: Uint8Array; sign(msg: Uint8Array): Uint8Array | null }

export interface RecoveryReport { seq: number; tornBytes: number; replayed: number; bytesRead: number; fromCheckpoint: boolean; note: string | null }

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
  private seg = 1;                  // segment being appended to
  private segSize = 0;
  private segFirst: [number, number][] = []; // [segment, first seq] of live segments

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

  /** Idle-time work: hash the last entry now so the next decision does not have to. */
  hashHead(): void { void this.head; }
  get unsealed(): number { return this.ledger.seq - this.sealedSeq; }

  /** Boot recovery: the checkpoint plus the tail segments after it; a torn tail is cut off. */
  open(): RecoveryReport {
    const st = this.hal.storage;
    let bytesRead = 0, note: string | null = null, fromCheckpoint = false;
    const names = st.list(SEG_PREFIX).filter((n) => /^j\/\d{8}$/.test(n));
    const segs = names.map((n) => +n.slice(2));
    const cp = this.readCheckpoint();
    if (cp.ok) {
      const c = cp.value;
      this.ledger = c.ledger; this.head = c.head; this.sealedSeq = c.sealedSeq; this.segFirst = c.segFirst;
      this.oldestUnsealedT = c.oldestUnsealedT; fromCheckpoint = true; bytesRead += c.bytes;
    } else if (cp.error !== 'absent') note = `checkpoint unusable (${cp.error}); replaying the whole journal`;
    // Segments at or after the one holding checkpoint.seq + 1 (normally just the last one).
    let start = 0;
    if (fromCheckpoint) {
      for (let i = 0; i < this.segFirst.length; i++) if (this.segFirst[i]![1] <= this.ledger.seq + 1) start = i;
      const startSeg = this.segFirst.length ? this.segFirst[start]![0] : segs[0] ?? 1;
      start = Math.max(0, segs.indexOf(startSeg));
    } else this.segFirst = [];
    let tornBytes = 0, replayed = 0;
    for (let i = start; i < segs.length; i++) {
      const name = segName(segs[i]!);
      const size = st.size(name);
      const b = size > 0 ? st.read(name, 0, size) : new Uint8Array(0);
      if (!b) { note = `segment ${name} unreadable`; break; }
      bytesRead += b.length;
      const u = unframe(b);
      const last = i === segs.length - 1;
      if (u.error) {
        if (!last) { note = `segment ${name}: ${u.error} (not the tail: left for verify to report)`; }
        else { tornBytes = b.length - u.validEnd; st.truncate(name, u.validEnd); }
      }
      for (const r of u.records) replayed += this.replayRecord(r, segs[i]!);
      if (last) { this.seg = segs[i]!; this.segSize = u.validEnd; }
    }
    if (!segs.length) { this.seg = 1; this.segSize = 0; }
    this.ackSeq = this.readAckFile();
    return { seq: this.ledger.seq, tornBytes, replayed, bytesRead, fromCheckpoint, note };
  }

  private replayRecord(r: Framed, segNo: number): number {
    if (r.kind === KIND_SEAL) {
      const s = parseSealSeq(r.payload);
      if (s !== null && s > this.sealedSeq && s <= this.ledger.seq) { this.sealedSeq = s; this.oldestUnsealedT = 0; }
      return 0;
    }
    const e = parseEntry(r.payload);
    if (!e.ok || e.value.seq <= this.ledger.seq) return 0;
    if (e.value.seq !== this.ledger.seq + 1) return 0;
    if (!this.segFirst.length || this.segFirst[this.segFirst.length - 1]![0] !== segNo) this.segFirst.push([segNo, e.value.seq]);
    apply(this.ledger, e.value.seq, e.value.t, e.value.rec);
    this.headPending = r.payload;
    if (this.unsealed === 1) this.oldestUnsealedT = e.value.t;
    return 1;
  }

  /** The backend's word that it holds everything through `seq` (a verified ack): kept, then compaction. */
  acknowledge(seq: number): void {
    if (seq <= this.ackSeq) return;
    this.ackSeq = seq;
    // Kept beside the journal, not in it: journaling acks would feed an endless ack -> entry -> ack loop.
    this.hal.storage.replace(ACK_FILE, encode({ seq }));
    this.compact();
  }

  private readAckFile(): number {
    const n = this.hal.storage.size(ACK_FILE);
    const b = n > 0 && n < 64 ? this.hal.storage.read(ACK_FILE, 0, n) : null;
    const d = b ? decode(b, 'ack file') : null;
    const seq = d && d.ok ? (d.value as { seq?: unknown }).seq : null;
    return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? Math.min(seq, this.sealedSeq) : 0;
  }

  /** Appends one entry; on a storage failure nothing changes and the failure is returned. */
  append(r: JournalRecord, t: number): Result<{ seq: number; bytes: Uint8Array }> {
    const seq = this.ledger.seq + 1;
    const bytes = encodeEntry({ v: 1, dev: this.dev, seq, prev: this.head, t, type: r.type, body: r.body as unknown as Record<string, unknown> });
    if (this.segSize > 0 && this.segSize + bytes.length > SEGMENT_BYTES) this.roll();
    const framed = frame(KIND_ENTRY, bytes);
    const name = segName(this.seg);
    const st = this.hal.storage.append(name, framed);
    if (st !== ST.OK) {
      // A short write may have left part of a frame: cut it so the next append starts clean.
      this.hal.storage.truncate(name, this.segSize);
      return fail(`journal append failed (status ${st})`, { status: st });
    }
    if (this.segSize === 0 && (!this.segFirst.length || this.segFirst[this.segFirst.length - 1]![0] !== this.seg)) this.segFirst.push([this.seg, seq]);
    this.segSize += framed.length;
    apply(this.ledger, seq, t, r);
    this.headPending = bytes;
    if (this.unsealed === 1) this.oldestUnsealedT = t;
    return ok({ seq, bytes });
  }

  private roll(): void {
    // The checkpoint is ~100 KB of JSON: never on the decision path. Until idle time writes it,
    // recovery replays one more segment, which it can (it reads from the checkpoint's segment on).
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
    if (this.unsealed === 0) return fail('nothing to seal');
    const payload = encode({ dev: this.dev, seq: this.ledger.seq, head: this.head, t });
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

  writeCheckpoint(): void {
    this.checkpointDue = false;
    const head = encode({
      v: 1, seq: this.ledger.seq, head: this.head, sealedSeq: this.sealedSeq, oldestUnsealedT: this.oldestUnsealedT, segFirst: this.segFirst,
    });
    // The ledger goes as UTF-8 JSON in its own frame, never through cbor-x: cbor-x keeps an output
    // buffer ~4x the largest value it ever encoded, which on a 1 MiB heap is the whole budget.
    const ledger = utf8(JSON.stringify(this.ledger));
    // Best effort: a failed checkpoint only means a longer replay at the next boot.
    this.hal.storage.replace(CHECKPOINT, concat(frame(KIND_ENTRY, head), frame(KIND_ENTRY, ledger)));
  }

  private readCheckpoint(): Result<{ ledger: Ledger; head: Uint8Array; sealedSeq: number; oldestUnsealedT: number; segFirst: [number, number][]; bytes: number }> {
    const size = this.hal.storage.size(CHECKPOINT);
    if (size < 0) return fail('absent');
    const b = this.hal.storage.read(CHECKPOINT, 0, size);
    if (!b) return fail('unreadable');
    const u = unframe(b, CHECKPOINT_MAX);
    if (u.error || u.records.length !== 2) return fail(u.error ?? 'bad framing');
    const d = decode(u.records[0]!.payload, 'checkpoint');
    if (!d.ok) return d;
    const c = d.value as Record<string, any>;
    try {
      const ledger = JSON.parse(fromUtf8(u.records[1]!.payload)) as Ledger;
      if (ledger.seq !== c.seq) return fail('checkpoint halves disagree');
      return ok({ ledger, head: new Uint8Array(c.head), sealedSeq: c.sealedSeq, oldestUnsealedT: c.oldestUnsealedT ?? 0,
                  segFirst: c.segFirst, bytes: b.length });
    } catch { return fail('checkpoint ledger unreadable'); }
  }

  /**
   * One upload batch (SPEC §7): the stored entries from `fromSeq` up to the first seal that covers
   * them, then that seal. A seal stands right after the entry it covers, so a batch never splits the
   * entries under one seal (after a signer outage there can be many). Reads only the segments from
   * the one holding fromSeq; nothing sealed yet gives an empty batch.
   */
  batchFrom(fromSeq: number): Uint8Array[] {
    let i = 0;
    for (let k = 0; k < this.segFirst.length; k++) if (this.segFirst[k]![1] <= fromSeq) i = k;
    const out: Uint8Array[] = [];
    let lastSeq = 0;
    for (; i < this.segFirst.length; i++) {
      const name = segName(this.segFirst[i]![0]);
      const size = this.hal.storage.size(name);
      const b = size > 0 ? this.hal.storage.read(name, 0, size) : null;
      if (!b) break;
      lastSeq = this.segFirst[i]![1] - 1;
      for (const r of unframe(b).records) {
        if (r.kind === KIND_ENTRY) {
          lastSeq += 1;
          if (lastSeq >= fromSeq) out.push(r.payload);
        } else if (out.length > 0 && parseSealSeq(r.payload) === lastSeq) {
          out.push(r.payload);
          return out;
        }
      }
    }
    return [];
  }

  /** Deletes whole segments whose every entry is both settled and acknowledged (SPEC §5, §6). */
  compact(): number {
    const upTo = Math.min(this.ledger.settledThroughSeq, this.ackSeq, this.sealedSeq);
    let removed = 0;
    while (this.segFirst.length > 1) {
      const next = this.segFirst[1]!;
      if (next[1] - 1 > upTo) break;
      if (this.hal.storage.remove(segName(this.segFirst[0]![0])) !== ST.OK) break;
      this.segFirst.shift();
      removed++;
    }
    if (removed) this.writeCheckpoint();
    return removed;
  }
}

/** The seq a stored seal covers (its own bytes, CRC-checked by the framing). */
function parseSealSeq(b: Uint8Array): number | null {
  const s = parseSeal(b);
  return s.ok ? s.value.payload.seq : null;
}

/**
 * Reads every framed record of every segment in order; `seq` given to the callback is the entry's
 * seq, or for a seal the seq of the entry before it. Used by export and by the host tools.
 */
export function readRecords(hal: Hal, cb: (r: Framed, seq: number, segment: string) => void): string | null {
  const names = hal.storage.list(SEG_PREFIX).filter((n) => /^j\/\d{8}$/.test(n));
  let lastSeq = 0;
  let problem: string | null = null;
  for (const name of names) {
    const size = hal.storage.size(name);
    const b = size > 0 ? hal.storage.read(name, 0, size) : new Uint8Array(0);
    if (!b) return `segment ${name} unreadable`;
    const u = unframe(b, undefined, true);
    for (const r of u.records) {
      if (r.kind === KIND_ENTRY) {
        const e = parseEntry(r.payload);
        if (e.ok) lastSeq = e.value.seq;
      }
      cb(r, lastSeq, name);
    }
    if (u.error) problem ??= `segment ${name}: ${u.error}`;
  }
  return problem;
}

/** The export (SPEC §6): a CBOR sequence (RFC 8742) of every stored record in journal order. */
export function exportJournal(hal: Hal): { bytes: Uint8Array; records: number; warning: string | null } {
  const parts: Uint8Array[] = [];
  let sawEntry = false;
  const warning = readRecords(hal, (r) => {
    // A seal left over from a compacted segment covers nothing we can show: skip it.
    if (!sawEntry && r.kind === KIND_SEAL) return;
    if (r.kind === KIND_ENTRY) sawEntry = true;
    parts.push(r.payload);
  });
  return { bytes: concat(...parts), records: parts.length, warning };
}

