// What the consumer does with one message (SPEC §7): journal batches are checked against the
// device's registered key and its stored chain, then stored once per (dev, seq); gaps, forks,
// replays, forgeries and unknown senders become alert rows, never trusted rows. When the promise of
// `handle` resolves, everything it decided is committed, so the caller may acknowledge the message.
// Each commit that touches a device first takes that device's lock (the store's `lockDevice`), so
// consumers sharing a store, on one machine or several, never both extend one chain.

import { decode, decodeMaps } from '../core/codec/cbor';
import { chainHash, parseEntry } from '../core/journal/entry';
import { newChain, verifyRecords, type ChainState } from '../core/journal/verify';
import { REASONS, type Reason } from '../core/reasons/catalog';
import { ALERT_KINDS, isAlertKind } from '../core/telemetry/alerts';
import { parseTopic, type Kind } from '../core/telemetry/topics';
import { readHealth, readPreview } from '../core/telemetry/wire';
import { equalBytes, fromHex, toHex } from '../core/util/bytes';
import { classify, readBatch, type Batch, type BatchEntry } from './batch';
import type { Registry } from './registry';
import type { AlertInput, DecisionRow, Severity, Store } from './store';

/** The kinds the consumer subscribes to (cmd and ack flow the other way). */
export const CONSUMED_KINDS = ['journal', 'status', 'health', 'decision', 'alert'] as const;

export interface RaisedAlert { kind: string; severity: Severity; why: string; seq: number | null; repeated: boolean }

export interface Handled {
  kind: Kind | 'foreign';
  fleet: string; dev: string;
  stored: number;             // entries newly stored (including parked batches it unblocked)
  from: number | null; to: number | null;
  duplicates: number;         // entries dropped as already held
  parked: boolean;            // an authentic batch kept aside until the gap before it is filled
  alerts: RaisedAlert[];
  ack: number | null;         // highest seq held contiguously, to acknowledge (journal only)
  online?: boolean;
}

export interface IngestOptions { store: Store; registry: Registry; now?: () => number; maxParkedPerDevice?: number }

const chainOf = (dev: string): ChainState => ({ ...newChain(), dev });

export class Ingest {
  private now: () => number;
  private maxParked: number;
  private ensured = new Map<string, string>();
  /** Key rotations each device's stored chain has proven (seq of the key-rotate entry, new key), and how far the store was read. */
  private rotations = new Map<string, { upTo: number; keys: { seq: number; pub: Uint8Array }[] }>();
  constructor(private o: IngestOptions) {
    this.now = o.now ?? Date.now;
    this.maxParked = o.maxParkedPerDevice ?? 64;
  }

  private get store(): Store { return this.o.store; }

  async handle(topicName: string, payload: Uint8Array, retained = false): Promise<Handled> {
    const tp = parseTopic(topicName);
    if (!tp || !(CONSUMED_KINDS as readonly string[]).includes(tp.kind)) {
      return { kind: 'foreign', fleet: '', dev: '', stored: 0, from: null, to: null, duplicates: 0, parked: false, alerts: [], ack: null };
    }
    const h: Handled = { kind: tp.kind, fleet: tp.fleet, dev: tp.dev, stored: 0, from: null, to: null, duplicates: 0, parked: false, alerts: [], ack: null };
    const pub = this.o.registry.lookup(tp.dev);
    if (!pub.ok) {
      // Unknown senders are alerted once per device (counted after that), never stored.
      await this.store.tx(async () => { await this.store.lockDevice(h.dev); await this.alert(h, { kind: 'unknown-device', severity: 'warn', seq: null, why: pub.error }); });
      return h;
    }
    // The fleet is the registry's (REGISTRY/DEV.fleet or fleet), else the one the device's first
    // verified journal came on; a topic naming another is never trusted, stored or acknowledged
    // (SPEC §7: acks go to the fleet and device the registry names, not to a topic from a message).
    const expected = this.o.registry.fleetOf(tp.dev) ?? (await this.store.device(tp.dev))?.fleet ?? null;
    if (expected !== null && expected !== tp.fleet) {
      await this.store.tx(async () => { await this.store.lockDevice(h.dev); await this.alert(h, { kind: 'wrong-fleet', severity: 'warn', seq: null,
        why: `${tp.kind} for ${tp.dev} on fleet "${tp.fleet.slice(0, 64)}", the device belongs to "${expected}"; dropped` }); });
      return h;
    }
    if (tp.kind === 'journal') { await this.journal(h, pub.value, payload); return h; }
    // One commit per message: the device row and the small writes of the other topics share it.
    // Only a verified journal names the device's fleet in the store (null here keeps what is held).
    await this.store.tx(async () => {
      await this.store.lockDevice(h.dev);
      await this.ensure(h.dev, expected, pub.value);
      switch (tp.kind) {
        case 'status': await this.status(h, pub.value, payload, retained); break;
        case 'health': await this.health(h, payload, retained); break;
        case 'decision': await this.decisionTopic(h, payload); break;
        case 'alert': await this.deviceAlert(h, payload); break;
      }
    });
    return h;
  }

  /** The device row, written only when it is new or its fleet or key changed (not once per message). */
  private async ensure(dev: string, fleet: string | null, pub: Uint8Array): Promise<void> {
    const key = `${fleet}/${toHex(pub)}`;
    if (this.ensured.get(dev) === key) return;
    await this.store.ensureDevice(dev, fleet, toHex(pub));
    if (this.ensured.size > 100_000) this.ensured.clear();
    this.ensured.set(dev, key);
  }

  private async alert(h: Handled, a: Omit<AlertInput, 'dev' | 'fleet' | 'source'> & { source?: AlertInput['source'] }): Promise<void> {
    const r = await this.store.raise({ dev: h.dev || null, fleet: h.fleet || null, source: a.source ?? 'consumer', ...a }, this.now());
    h.alerts.push({ kind: a.kind, severity: a.severity, why: a.why, seq: a.seq, repeated: r.repeated });
  }

  private async reject(h: Handled, pub: Uint8Array, kind: string, severity: Severity, why: string, seq: number | null, detail?: Record<string, unknown>): Promise<void> {
    await this.store.tx(async () => {   // nested inside apply()'s transaction it is a savepoint
      await this.store.lockDevice(h.dev);
      await this.ensure(h.dev, null, pub);   // a refused batch names no fleet
      await this.store.countRejected(h.dev);
      await this.alert(h, { kind, severity, why, seq, detail });
    });
  }

  // ---- journal ------------------------------------------------------------------------------

  private async journal(h: Handled, pub: Uint8Array, payload: Uint8Array): Promise<void> {
    const b = readBatch(payload);
    if (!b.ok) {
      const unsealed = b.detail?.kind === 'unsealed';
      await this.reject(h, pub, unsealed ? 'unsealed' : 'malformed', 'warn', b.error, null);
      return;
    }
    const batch = b.value;
    if (batch.unsealedTail) {
      const last = batch.entries[batch.entries.length - 1]!.seq;
      await this.store.tx(async () => { await this.store.lockDevice(h.dev); await this.alert(h, { kind: 'unsealed', severity: 'warn', seq: last + 1, why: `${batch.unsealedTail} entries after seq ${last} are not covered by a seal; dropped` }); });
    }
    // Outside the write lock: a batch made only of entries already held byte for byte is a
    // duplicate and costs no signature; anything else is verified on its own first (signature,
    // chain inside the batch, one device). Stored entries never change, so this stays true.
    const held = (await this.store.device(h.dev))?.last_seq ?? 0;
    let verified = false;
    // Seals after a stored key rotation are the new key's (SPEC §6): the consumer follows rotations
    // the chain proved, without a registry change. The registry's key stays the device's identity.
    const key = await this.keyAt(h.dev, pub, batch.entries[0]!.seq, held);
    if (!(await this.allHeld(h.dev, batch, held))) {
      if (!(await this.verify(h, key, batch))) return;
      verified = true;
    }
    await this.store.tx(async () => {
      await this.store.lockDevice(h.dev);
      await this.ensure(h.dev, h.fleet, pub);
      await this.apply(h, key, batch, payload, verified, false);
    });
  }

  /** The key that seals entries from `seq` on: the newest stored rotation before it, else the registry's. */
  async keyAt(dev: string, registered: Uint8Array, seq: number, last?: number): Promise<Uint8Array> {
    const lastSeq = last ?? (await this.store.device(dev))?.last_seq ?? 0;
    let r = this.rotations.get(dev);
    if (!r) { r = { upTo: 0, keys: [] }; this.rotations.set(dev, r); }
    if (r.upTo < lastSeq) {
      for (const x of await this.store.rotationsAfter(dev, r.upTo)) {
        const e = parseEntry(x.bytes);
        const np = e.ok && e.value.rec?.type === 'key-rotate' ? fromHex(e.value.rec.body.newPub) : null;
        if (np && np.length === 32) r.keys.push({ seq: x.seq, pub: np });
      }
      r.upTo = lastSeq;
    }
    let key = registered;
    for (const k of r.keys) if (k.seq < seq) key = k.pub;
    return key;
  }

  /**
   * True when the batch is a re-send of what is stored: its entries in a run with no gap, each byte for
   * byte the stored one, and each of its seals the stored seal of that seq. Anything else (a seal
   * swapped or flipped, an entry left out) is verified, so a forgery over stored seqs is named as one.
   */
  private async allHeld(dev: string, b: Batch, lastSeq: number): Promise<boolean> {
    const first = b.entries[0]!.seq, last = b.entries[b.entries.length - 1]!.seq;
    if (b.entries.some((e, i) => e.seq > lastSeq || e.seq !== first + i)) return false;
    const held = await this.store.held(dev, first, last);
    if (!b.entries.every((e) => { const x = held.get(e.seq); return !!x && equalBytes(x, e.bytes); })) return false;
    const seals = new Map((await this.store.seals(dev, first, last)).map((x) => [x.seq, x.bytes]));
    return b.seals.every((x) => { const y = seals.get(x.seq); return !!y && equalBytes(y, x.bytes); });
  }

  /** The shared verifier over the batch alone (its first prev taken as given, SPEC §6). */
  private async verify(h: Handled, pub: Uint8Array, b: Batch): Promise<boolean> {
    const v = verifyRecords(b.records, pub, chainOf(h.dev));
    if (v.valid) return true;
    const c = classify(v.firstBad!.code);
    await this.reject(h, pub, c.kind, c.severity, `record ${v.firstBad!.index}: ${v.firstBad!.reason}`, b.entries[0]!.seq, { index: v.firstBad!.index });
    return false;
  }

  /** Inside BEGIN IMMEDIATE: the chain as stored now decides duplicate, gap, fork or append. */
  /**
   * `givenFrom`: a seq the stored chain may jump to, the first after a range the terminal's own
   * sealed flash-damage entry declares lost (SPEC §6: a damaged record costs that record and nothing
   * else); that batch's first `prev` is then taken as given, as an export's after compaction is.
   */
  private async apply(h: Handled, pub: Uint8Array, b: Batch, payload: Uint8Array, verified: boolean, fromParked: boolean, givenFrom = 0): Promise<void> {
    const now = this.now();
    const s = (await this.store.device(h.dev))!;
    const last = s.last_seq;
    const held = b.entries.filter((e) => e.seq <= last);
    const fresh = b.entries.filter((e) => e.seq > last);
    let dups = 0, conflict: { e: BatchEntry; stored: Uint8Array } | null = null;
    if (held.length) {
      const seqs = held.map((e) => e.seq);
      const stored = await this.store.held(h.dev, Math.min(...seqs), Math.max(...seqs));
      for (const e of held) {
        const x = stored.get(e.seq);
        if (!x || equalBytes(x, e.bytes)) dups++;
        else if (!conflict) conflict = { e, stored: x };
      }
    }
    if ((conflict || fresh.length) && !verified && !(await this.verify(h, pub, b))) return;
    if (conflict) {
      // Authentic (the device's own seal) yet different from what we hold under that seq: the key
      // signed two histories (a cloned terminal, or a journal restored and written again).
      const seq = conflict.e.seq;
      await this.reject(h, pub, 'fork', 'critical', `seq ${seq} differs from the entry held under that seq`, seq,
        { held: toHex(chainHash(conflict.stored)), got: toHex(chainHash(conflict.e.bytes)) });
      return;
    }
    h.duplicates += dups;
    if (!fresh.length) {
      await this.store.countDuplicates(h.dev, dups, true);
      if (!fromParked) {
        const seqs = b.entries.map((e) => e.seq), from = Math.min(...seqs), to = Math.max(...seqs);
        await this.alert(h, { kind: 'replay', severity: 'info', seq: to, why: `${from === to ? `seq ${to}` : `batch ${from}..${to}`} is already held; dropped as a duplicate` });
      }
      h.ack = last || null;
      return;
    }
    const first = fresh[0]!.seq;
    // The stretch right after what is stored that this (verified) batch's flash-damage entries
    // declare lost, or unverifiable (entries that can no longer chain to a seal, never uploaded).
    const declared = b.entries.flatMap((e) => (e.rec?.type === 'flash-damage' ? [...e.rec.body.lost, ...(e.rec.body.unverifiable ?? [])] : []))
      .sort((x, y) => x[0] - y[0]);
    let z = last;
    for (const [a, to] of declared) if (a <= z + 1 && to > z) z = to;
    const lost = z > last && z < first ? [last + 1, z] as const : null;
    const asGiven = first !== last + 1 && (first === givenFrom || (lost !== null && lost[1] + 1 === first));
    if (first !== last + 1 && !asGiven) {
      // Ahead of a gap (lost or reordered batch, e.g. split across shared consumers): keep the
      // authentic batch aside, untrusted, until the entries before it arrive.
      if (!fromParked) h.parked = await this.store.park(h.dev, first, fresh[fresh.length - 1]!.seq, payload, now, this.maxParked);
      const after = lost ? await this.store.parkedReady(h.dev, lost[1] + 1) : null;
      if (lost && after) {
        // The batch after the declared loss waited here: the chain goes on from it.
        await this.store.unpark(h.dev, after.first_seq, after.last_seq);
        const ab = readBatch(after.payload);
        if (ab.ok) await this.apply(h, pub, ab.value, after.payload, true, true, lost[1] + 1);
        return;
      }
      await this.store.countDuplicates(h.dev, dups, false);
      await this.alert(h, { kind: 'gap', severity: 'warn', seq: last + 1,
        why: `seq ${last + 1}..${first - 1} missing before ${first}${h.parked ? '; batch parked until they arrive' : ''}` });
      h.ack = last || null;
      return;
    }
    if (asGiven) {
      // Not a gap to wait for (the terminal's own FLASH_DAMAGE alert is the critical one): on record, as info.
      await this.alert(h, { kind: 'lost', severity: 'info', seq: last + 1,
        why: `seq ${last + 1}..${first - 1} lost on the terminal's flash (its sealed flash-damage entry says so); the chain goes on from ${first} as given` });
    } else if (last > 0) {
      // The join: the shared verifier, continuing from the stored chain state, checks seq and prev.
      const j = verifyRecords([fresh[0]!.bytes], pub, { dev: h.dev, lastSeq: last, lastHash: s.last_hash, sealedThrough: last, pending: new Map() });
      if (!j.valid) {
        await this.reject(h, pub, 'fork', 'critical', `seq ${first} does not continue the stored chain: ${j.firstBad!.reason}`, first);
        return;
      }
    }
    await this.append(h, b, fresh, dups, now, s.utc_offset_min);
    // Batches parked behind this one may now continue the chain. (The store is read again only
    // after one was applied: each query is a round trip to a PostgreSQL server.)
    let top = fresh[fresh.length - 1]!.seq;
    for (let guard = 0; guard < this.maxParked; guard++) {
      const p = await this.store.parkedReady(h.dev, top + 1);
      if (!p) break;
      await this.store.unpark(h.dev, p.first_seq, p.last_seq);
      const pb = readBatch(p.payload);
      if (pb.ok) await this.apply(h, pub, pb.value, p.payload, true, true);
      top = (await this.store.device(h.dev))!.last_seq;
    }
    h.ack = top;
  }

  private async append(h: Handled, b: Batch, fresh: BatchEntry[], dups: number, now: number, storedOffset: number | null): Promise<void> {
    const st = this.store;
    const last = fresh[fresh.length - 1]!;
    const seals = b.seals.filter((x) => x.seq >= fresh[0]!.seq);
    const sealOf = (seq: number) => seals.find((x) => x.seq >= seq)!.seq;
    await st.addEntries(h.dev, fresh.map((e) => ({ seq: e.seq, type: e.type, t: e.t, bytes: e.bytes, sealedBy: sealOf(e.seq) })), now);
    for (const x of seals) await st.addSeal(h.dev, x.seq, x.t, x.bytes);
    let offset: number | null = storedOffset;
    const decisions: DecisionRow[] = [];
    for (const e of fresh) {
      const o = utcOffsetMin(e);
      if (o !== null) offset = o;
      const d = decisionOf(h.dev, e);
      // A refused request carries no local date of its own: the shop's offset, as its decisions show it, gives it one.
      if (d && d.localDate === null && offset !== null) d.localDate = new Date(e.t + offset * 60_000).toISOString().slice(0, 10);
      if (d) decisions.push(d);
    }
    await st.decisions(decisions);
    if (offset !== null && offset !== storedOffset) await st.setOffset(h.dev, offset);
    await st.advance(h.dev, { lastSeq: last.seq, lastHash: chainHash(last.bytes), firstSeq: fresh[0]!.seq, entries: fresh.length, duplicates: dups });
    await st.resolveGaps(h.dev, last.seq, now);
    h.stored += fresh.length;
    h.from = h.from === null ? fresh[0]!.seq : Math.min(h.from, fresh[0]!.seq);
    h.to = Math.max(h.to ?? 0, last.seq);
  }

  // ---- the other topics: best-effort extras; the journal carries the truth (SPEC §7) ----------

  private async status(h: Handled, pub: Uint8Array, payload: Uint8Array, retained: boolean): Promise<void> {
    const d = decodeMap(payload);
    if (!d || typeof d.online !== 'boolean') { await this.alert(h, { kind: 'malformed', severity: 'warn', seq: null, why: 'status: expected a map with a boolean online' }); return; }
    const current = toHex(await this.keyAt(h.dev, pub, Number.MAX_SAFE_INTEGER));
    if (d.online && typeof d.pub === 'string' && d.pub !== toHex(pub) && d.pub !== current) {
      await this.alert(h, { kind: 'key-mismatch', severity: 'critical', seq: null, why: `birth announces key ${d.pub.slice(0, 16)}…, the registry holds ${toHex(pub).slice(0, 16)}…${current !== toHex(pub) ? ` (rotated to ${current.slice(0, 16)}…)` : ''}` });
    }
    // A retained birth replayed by the broker on subscribe says nothing about when it was seen.
    await this.store.setOnline(h.dev, d.online, retained ? null : this.now(), d.online ? json(d) : null);
    h.online = d.online;
  }

  private async health(h: Handled, payload: Uint8Array, retained: boolean): Promise<void> {
    const v = decodeMaps(payload, 'health'), d = v.ok ? readHealth(v.value) : null;
    if (!d) { await this.alert(h, { kind: 'malformed', severity: 'warn', seq: null, why: 'health: expected a map with the keys of core/telemetry/wire.ts' }); return; }
    if (!retained) await this.store.setHealth(h.dev, json(d), this.now());
  }

  private async decisionTopic(h: Handled, payload: Uint8Array): Promise<void> {
    const v = decode(payload, 'decision'), d = v.ok ? readPreview(v.value) : null;
    if (!d) { await this.alert(h, { kind: 'malformed', severity: 'warn', seq: null, why: 'decision: expected [seq, ref, verdict, reasons, t] (core/telemetry/wire.ts)' }); return; }
    const off = (await this.store.device(h.dev))?.utc_offset_min ?? 0;
    await this.store.decision({
      dev: h.dev, seq: d.seq, stage: 'preflight', ref: d.ref, verdict: d.verdict, t: d.t,
      localDate: new Date(d.t + off * 60_000).toISOString().slice(0, 10), verified: false,
      reasons: d.reasons.map((name) => ({ name, severity: (REASONS as Record<string, { severity: string }>)[name]?.severity })),
    });
  }

  private async deviceAlert(h: Handled, payload: Uint8Array): Promise<void> {
    const d = decodeMap(payload);
    if (!d || typeof d.kind !== 'string') { await this.alert(h, { kind: 'malformed', severity: 'warn', seq: null, why: 'alert: expected {kind, detail, seq, t}' }); return; }
    // The severity comes from the one list of alert kinds the terminal raises (core/telemetry/alerts.ts).
    const sev: Severity = isAlertKind(d.kind) ? ALERT_KINDS[d.kind].severity : 'warn';
    await this.alert(h, { kind: d.kind.slice(0, 64), severity: sev, source: 'device', seq: isSeq(d.seq) ? d.seq : null,
      why: `terminal reported ${d.kind}`, detail: d.detail && typeof d.detail === 'object' ? JSON.parse(json(d.detail)) : undefined });
  }
}

const isSeq = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

function decodeMap(payload: Uint8Array): Record<string, any> | null {
  const d = decode(payload, 'telemetry');
  return d.ok && d.value && typeof d.value === 'object' && !Array.isArray(d.value) && !(d.value instanceof Uint8Array) ? (d.value as Record<string, any>) : null;
}

/** JSON for telemetry maps: bytes as hex, big integers as numbers. */
function json(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? toHex(x) : typeof x === 'bigint' ? Number(x) : x));
}

/** Decision and result entries become rows of `decisions` (what `fleet report` counts). */
function decisionOf(dev: string, e: BatchEntry): DecisionRow | null {
  const r = e.rec;
  const reasons = (rs: Reason[]) => rs.map((x) => ({ name: x.name, severity: x.severity, params: x.params }));
  if (r?.type === 'decision' || r?.type === 'decision-invalid') {
    const localDate = r.type === 'decision' ? r.body.inputs.localDate : null;
    return { dev, seq: e.seq, stage: 'preflight', ref: r.body.txn.ref, verdict: r.body.verdict, t: e.t, localDate, verified: true, reasons: reasons(r.body.reasons) };
  }
  if (r?.type === 'result') {
    return { dev, seq: e.seq, stage: 'acquirer', ref: r.body.ref, verdict: r.body.outcome, t: e.t,
      localDate: r.body.dateKey || null, verified: true, reasons: reasons(r.body.reasons) };
  }
  return null;
}

/** The terminal's UTC offset from a verified decision (local date and minute against its wall clock). */
function utcOffsetMin(e: BatchEntry): number | null {
  if (e.rec?.type !== 'decision') return null;
  const i = e.rec.body.inputs;
  if (typeof i.localDate !== 'string' || typeof i.localMinute !== 'number') return null;
  const day = Date.parse(i.localDate + 'T00:00:00Z');
  if (!Number.isFinite(day)) return null;
  const m = Math.round((day + i.localMinute * 60_000 - e.t) / 60_000 / 15) * 15; // offsets are whole quarter hours
  return Math.abs(m) <= 14 * 60 ? m : null;
}
