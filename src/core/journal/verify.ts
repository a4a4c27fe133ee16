// Verifies a journal export (SPEC §6): every prev matches the previous entry's stored bytes, seq
// has no gap, every seal's signature holds and its head matches its entry. A gap is accepted only
// where a later flash-damage entry, authenticated by the seal that follows it, says those seqs were
// lost (the entries before it that no seal covers are then counted as unverifiable). Shared by the
// terminal, the fleet consumer and `preflight journal verify`; names the first bad record and why.

import { equalBytes, fromHex } from '../util/bytes';
import { verifySign1 } from '../crypto/cose';
import { chainHash, isSealBytes, parseEntry, parseSeal, ZERO32 } from './entry';
import { verifyMessage, type VerifyCode } from './verify-codes';

export type { VerifyCode } from './verify-codes';

/** The first record that does not verify: where, a stable code, its figures, and the code in English. */
export interface BadRecord { index: number; code: VerifyCode; detail: Record<string, string | number>; reason: string }

export interface VerifyReport {
  valid: boolean;
  firstBad: BadRecord | null;
  records: number; entries: number; seals: number;
  dev: string | null; firstSeq: number | null; lastSeq: number | null;
  sealedThrough: number | null; unsealed: number;
  /** Seq ranges lost to flash damage, each explained by a sealed flash-damage entry. */
  lost: [number, number][];
  /** Entries whose seal could not be reached across a lost record: kept, but not verified. */
  unverifiable: number;
}

/** Carries chain state across batches (the fleet consumer verifies batch after batch). */
export interface ChainState {
  dev: string | null; lastSeq: number | null; lastHash: Uint8Array | null; sealedThrough: number; pending: Map<number, Uint8Array>;
  /** The device key now in force: starts as the registered one, follows sealed key rotations. */
  pub?: Uint8Array;
  rotation?: { seq: number; newPub: Uint8Array } | null;
  /**
   * Key rotations proven outside the records (the export header's proofs, already checked in
   * order): a seal past one of them is checked with its key even where the key-rotate entry itself
   * was lost to flash damage.
   */
  proofs?: { seq: number; newPub: Uint8Array }[];
}

export const newChain = (): ChainState => ({ dev: null, lastSeq: null, lastHash: null, sealedThrough: 0, pending: new Map(), rotation: null });

/**
 * True when the entries from record `from` on chain to a seal that verifies and whose head is the
 * last of them: those bytes are then authentic, so a mismatch just before them lies in the entry
 * before `from`, not in `from` itself. This is how verify names the tampered record exactly.
 */
function vouched(records: Uint8Array[], from: number, pub: Uint8Array): boolean {
  let lastHash: Uint8Array | null = null, lastSeq = -1;
  for (let k = from; k < records.length && k < from + 100_000; k++) {
    const b = records[k]!;
    if (isSealBytes(b)) {
      if (lastHash === null) return false;
      const s = parseSeal(b);
      return s.ok && s.value.payload.seq === lastSeq && equalBytes(s.value.payload.head, lastHash) && verifySign1(s.value.cose, pub);
    }
    const e = parseEntry(b);
    if (!e.ok) return false;
    if (lastHash !== null && (e.value.seq !== lastSeq + 1 || !equalBytes(e.value.prev, lastHash))) return false;
    lastHash = chainHash(b); lastSeq = e.value.seq;
  }
  return false;
}

/**
 * Is the gap [from, to] before record `at` explained? Looks ahead for a flash-damage entry whose
 * lost ranges cover it (and any other gap on the way), reached by an unbroken chain from `at`, and
 * authenticated by the next seal after it. Returns the lost ranges it vouches for, or null.
 */
function explainedGap(records: Uint8Array[], at: number, from: number, to: number, pub: Uint8Array, proofs: { seq: number; newPub: Uint8Array }[] = []): [number, number][] | null {
  const later = [...proofs];
  const gaps: [number, number][] = [[from, to]];
  let lastHash: Uint8Array | null = null, lastSeq = -1, damage: [number, number][] | null = null;
  let next: { seq: number; pub: Uint8Array } | null = null;   // a key rotation on the way (SPEC §6)
  const covered = () => damage !== null && gaps.every((g) => damage!.some((d) => d[0] <= g[0] && g[1] <= d[1]));
  for (let k = at; k < records.length && k < at + 100_000; k++) {
    const b = records[k]!;
    if (isSealBytes(b)) {
      if (lastHash === null) continue;
      const s = parseSeal(b);
      while (s.ok && later.length && later[0]!.seq < s.value.payload.seq) pub = later.shift()!.newPub;
      const good = s.ok && s.value.payload.seq === lastSeq && equalBytes(s.value.payload.head, lastHash) && verifySign1(s.value.cose, pub);
      if (!good) return null;
      if (next && s.value.payload.seq >= next.seq) { pub = next.pub; next = null; }
      if (covered()) return damage;
      continue;
    }
    const e = parseEntry(b);
    if (!e.ok) return null;
    if (lastHash !== null && e.value.seq !== lastSeq + 1) gaps.push([lastSeq + 1, e.value.seq - 1]);
    else if (lastHash !== null && !equalBytes(e.value.prev, lastHash)) return null;
    if (e.value.rec?.type === 'flash-damage') damage = e.value.rec.body.lost;
    if (e.value.rec?.type === 'key-rotate') { const np = fromHex(e.value.rec.body.newPub); if (np) next = { seq: e.value.seq, pub: np }; }
    lastHash = chainHash(b); lastSeq = e.value.seq;
  }
  return null;
}

export function verifyRecords(records: Uint8Array[], registered: Uint8Array, chain: ChainState = newChain(), indexBase = 0): VerifyReport {
  let pub = chain.pub ?? registered;
  let entries = 0, seals = 0, unverifiable = 0;
  const lost: [number, number][] = [];
  const explained: [number, number][] = [];
  const indexOfSeq = new Map<number, number>();
  let lastEntryIndex = -1;
  const firstSeq0 = chain.lastSeq;
  let firstSeq: number | null = null;
  const bad = (i: number, code: VerifyCode, detail: Record<string, string | number> = {}): VerifyReport => ({
    valid: false, firstBad: { index: indexBase + i, code, detail, reason: verifyMessage(code, detail, 'en') }, records: records.length, entries, seals, dev: chain.dev,
    firstSeq, lastSeq: chain.lastSeq, sealedThrough: chain.sealedThrough || null, unsealed: chain.pending.size, lost, unverifiable,
  });
  for (let i = 0; i < records.length; i++) {
    const b = records[i]!;
    if (isSealBytes(b)) {
      const s = parseSeal(b);
      if (!s.ok) return bad(i, 'MALFORMED_SEAL', { why: s.error });
      const p = s.value.payload;
      if (chain.dev !== null && p.dev !== chain.dev) return bad(i, 'WRONG_DEVICE', { got: p.dev, dev: chain.dev });
      // A rotation proven in the header that this seal lies past hands over the key (its entry may be lost).
      while (chain.proofs?.length && chain.proofs[0]!.seq < p.seq) { pub = chain.proofs.shift()!.newPub; chain.pub = pub; if (chain.rotation && chain.rotation.seq < p.seq) chain.rotation = null; }
      if (!verifySign1(s.value.cose, pub)) return bad(i, 'BAD_SIGNATURE');
      if (p.seq <= chain.sealedThrough) return bad(i, 'SEAL_NOT_ADVANCING', { seq: p.seq, sealedThrough: chain.sealedThrough });
      // A terminal seals the entry it just wrote: a seal stands right after the entry it covers.
      if (p.seq !== chain.lastSeq) return bad(i, 'SEAL_OUT_OF_ORDER', { seq: p.seq, after: chain.lastSeq ?? 0 });
      const h = chain.pending.get(p.seq);
      if (!h) return bad(i, 'SEAL_UNKNOWN_SEQ', { seq: p.seq });
      // The seal itself is authentic (its signature held), so a head mismatch means the entry changed.
      if (!equalBytes(h, p.head)) return bad(indexOfSeq.get(p.seq) ?? i, 'ALTERED', { seq: p.seq });
      chain.sealedThrough = p.seq;
      for (const k of [...chain.pending.keys()]) if (k <= p.seq) chain.pending.delete(k);
      // A key-rotate entry sealed by the old key hands the chain to the new key (SPEC §6).
      if (chain.rotation && p.seq >= chain.rotation.seq) {
        pub = chain.rotation.newPub; chain.pub = pub;
        if (chain.proofs?.length && chain.proofs[0]!.seq === chain.rotation.seq) chain.proofs.shift();
        chain.rotation = null;
      }
      seals++;
      continue;
    }
    const e = parseEntry(b);
    if (!e.ok) return bad(i, 'MALFORMED_ENTRY', { why: e.error });
    const x = e.value;
    // A break with the entry before: if a valid seal vouches for this entry onwards, the entry
    // before is the altered one; otherwise this one is.
    const broken = (code: VerifyCode, detail: Record<string, string | number>) => bad(lastEntryIndex >= 0 && vouched(records, i, pub) ? lastEntryIndex : i, code, detail);
    // Entries do not repeat the device (issue 18): boots name it, seals sign it, and the chain ties the rest.
    const named = x.rec?.type === 'boot' ? x.rec.body.dev : null;
    if (named !== null) {
      if (chain.dev === null) chain.dev = named;
      else if (named !== chain.dev) return broken('WRONG_DEVICE', { got: named, dev: chain.dev });
    }
    if (chain.lastSeq === null) {
      // An export may begin after seq 1 (compaction); its first prev is then taken as given.
      if (x.seq === 1 && !equalBytes(x.prev, ZERO32)) return bad(i, 'BAD_FIRST_PREV');
    } else {
      const gap: [number, number] = [chain.lastSeq + 1, x.seq - 1];
      const known = x.seq > chain.lastSeq + 1 && explained.some((d) => d[0] <= gap[0] && gap[1] <= d[1]);
      const why = x.seq > chain.lastSeq + 1 && !known ? explainedGap(records, i, gap[0], gap[1], pub, chain.proofs) : null;
      if (known || why) {
        // Lost to flash damage, and the terminal said so under its own seal: the entries waiting for
        // a seal before the gap can never reach one; this entry's prev is taken as given.
        if (why) for (const d of why) if (!explained.some((e) => e[0] === d[0] && e[1] === d[1])) explained.push(d);
        lost.push(gap);
        unverifiable += chain.pending.size;
        chain.pending.clear();
      } else if (x.seq !== chain.lastSeq + 1) {
        const code: VerifyCode = x.seq <= chain.lastSeq ? 'SEQ_REPEATED' : 'SEQ_GAP';
        const detail = { seq: x.seq, after: chain.lastSeq };
        // Only the export's first entry goes unchecked against a predecessor: blame it if sealed bytes vouch for this one.
        return entries === 1 && firstSeq !== 1 ? broken(code, detail) : bad(i, code, detail);
      }
      else if (!equalBytes(x.prev, chain.lastHash!)) return broken('PREV_MISMATCH', { seq: x.seq, after: chain.lastSeq });
    }
    const h = chainHash(b);
    chain.lastSeq = x.seq; chain.lastHash = h;
    chain.pending.set(x.seq, h);
    indexOfSeq.set(x.seq, i); lastEntryIndex = i;
    if (x.type === 'key-rotate') {
      const np = typeof x.body.newPub === 'string' ? fromHex(x.body.newPub) : null;
      if (!np || np.length !== 32) return bad(i, 'BAD_ROTATION', { seq: x.seq });
      chain.rotation = { seq: x.seq, newPub: np };
    }
    if (firstSeq === null) firstSeq = x.seq;
    entries++;
  }
  return {
    valid: true, firstBad: null, records: records.length, entries, seals, dev: chain.dev,
    firstSeq: firstSeq ?? (firstSeq0 !== null ? firstSeq0 + 1 : null), lastSeq: chain.lastSeq,
    sealedThrough: chain.sealedThrough || null, unsealed: chain.pending.size, lost, unverifiable,
  };
}

