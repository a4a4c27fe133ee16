// The agent: builds everything from one HAL and holds the data path in plain sight:
// transaction in -> checks -> verdict -> journal entry -> (acquirer answer -> result) -> telemetry.
// Every public method answers a value; expected failures come back with a reason, never thrown.

import nacl from 'tweetnacl';
import { checkAnswer, buildRequest } from '../acquirer/answer';
import { TYPE_TABLE, type Answer, type Request } from '../acquirer/types';
import { impliedSpeedKmh } from '../checks/geo';
import { decide } from '../checks/preflight';
import { parseTxn } from '../checks/txn';
import { ROLLBACK_GRACE_MS, type ClockAnchor } from '../checks/clock';
import { commitRotation, loadOrCreateKey, prepareRotation, type DeviceKey } from '../crypto/device-key';
import { fromHex } from '../util/bytes';
import { sha512, useSha512 } from '../crypto/hash';
import { createEd25519 } from '../crypto/ed25519';
import { useEd25519 } from '../crypto/ed25519-impl';
import { HAL_ABI, type GpsFix, type Hal, type HalEvent } from '../hal/types';
import { Journal, type RecoveryReport } from '../journal/journal';
import type { BatchTotals } from '../journal/ledger';
import { openPolicy, readPolicyFile, writePolicyFile } from '../policy/store';
import type { Policy } from '../policy/types';
import { reason, type Reason } from '../reasons/catalog';
import { localTime } from '../time/local';
import { toHex } from '../util/bytes';
import { fail, ok, type Result } from '../util/result';
import { Telemetry } from '../telemetry/telemetry';
import { applyCommand } from './commands';
import type { CommandHost, TelemetryHost } from './ports';

export interface AgentConfig { dev: string; fleet: string; version?: string }

const DEFAULT_SEALING = { maxUnsealedEntries: 16, maxUnsealedS: 60 };

export class Agent implements TelemetryHost, CommandHost {
  readonly journal: Journal;
  key!: DeviceKey;
  policy: Policy | null = null;
  policyProblem: Reason | null = null;
  anchor: ClockAnchor = { wallMs: 0, monoMs: 0, trusted: true };
  recovery: RecoveryReport | null = null;
  telemetry: Telemetry;
  private lastFix: GpsFix | null = null;
  private implausible: { distanceM: number; speedKmh: number } | null = null;

  constructor(readonly hal: Hal, readonly cfg: AgentConfig) {
    this.journal = new Journal(hal, cfg.dev);
    this.telemetry = new Telemetry(this);
  }

  now(): number { return this.hal.clock.wallMs(); }

  /** Boot: key, journal recovery, policy, a boot entry; resumes what a power cut interrupted. */
  boot(bootReason: string): Result<Record<string, unknown>> {
    const hal = this.hal;
    if (hal.abi !== HAL_ABI) return fail(`HAL ABI ${hal.abi} does not match the bundle's ${HAL_ABI}`);
    nacl.setPRNG((x: Uint8Array, n: number) => { const b = new Uint8Array(n); hal.random.fill(b); x.set(b); b.fill(0); });
    useSha512(hal.sha512);
    // The BigInt signer: byte-identical to tweetnacl, ~40x faster inside QuickJS (bench/, issue 9).
    useEd25519(createEd25519(sha512));
    const k = loadOrCreateKey(hal);
    if (!k.ok) return fail(`device key: ${k.error}`);
    this.key = k.value;
    this.recovery = this.journal.open();
    this.loadPolicy();
    const wall = this.now(), mono = hal.clock.monoMs();
    const l = this.journal.ledger;
    this.anchor = { wallMs: wall, monoMs: mono, trusted: wall >= l.highWaterMs - ROLLBACK_GRACE_MS };
    const r = this.recovery;
    this.record('boot', {
      reason: bootReason, abi: HAL_ABI, fw: hal.sys.firmware(), version: this.cfg.version ?? '0',
      pub: k.value.created ? toHex(k.value.pub) : undefined,
      recovered: { seq: r.seq, tornBytes: r.tornBytes, replayed: r.replayed, fromCheckpoint: r.fromCheckpoint, note: r.note },
      policyVersion: this.policy?.version ?? 0, policyProblem: this.policyProblem?.name,
    });
    // A rotation the old key already sealed but the power stopped before the switch: finish it.
    this.finishRotation();
    // A request sent before the power went: its outcome is unknown, so reverse it (SPEC §5).
    const inflight = l.inflight;
    if (inflight) this.settleUnknown(inflight, 'power lost before the answer');
    this.telemetry.onBoot();
    return ok(this.status());
  }

  private loadPolicy(): void {
    const bytes = readPolicyFile(this.hal);
    if (!bytes) { this.policy = null; this.policyProblem = reason('POLICY_MISSING'); return; }
    const o = openPolicy(this.hal, bytes, this.journal.ledger.policyVersion, this.now());
    if (o.ok) { this.policy = o.value.policy; this.policyProblem = null; return; }
    // An expired but genuine policy still drives the checks; POLICY_EXPIRED then fires on each.
    if (o.reason?.name === 'POLICY_EXPIRED') {
      const again = openPolicy(this.hal, bytes, 0, Number.NaN);
      this.policy = again.ok ? again.value.policy : null;
    } else this.policy = null;
    this.policyProblem = o.reason ?? reason('POLICY_INVALID', { why: o.error });
  }

  /** Journals an entry; returns its seq, or null when storage refused it. */
  record(type: string, body: Record<string, unknown>): number | null {
    const r = this.journal.append(type, body, this.now());
    if (!r.ok) { this.hal.log(3, r.error); return null; }
    return r.value.seq;
  }

  /** Installs a signed policy (SPEC §4); a refused one is journaled with its reason. */
  installPolicy(bytes: Uint8Array): Result<{ version: number }> {
    const o = openPolicy(this.hal, bytes, this.journal.ledger.policyVersion, this.now());
    if (!o.ok) {
      const rs = o.reason ?? reason('POLICY_INVALID', { why: o.error });
      this.record('policy-rejected', { reason: rs.name, why: o.error });
      return fail(o.error, { reason: rs.name });
    }
    if (!writePolicyFile(this.hal, bytes)) return fail('storage refused the policy');
    this.policy = o.value.policy; this.policyProblem = null;
    this.record('policy', { version: o.value.policy.version, digest: o.value.digest, validUntil: o.value.policy.validUntil });
    return ok({ version: o.value.policy.version });
  }

  private observeFix(): GpsFix | null {
    const f = this.hal.gps.last();
    if (f && (!this.lastFix || f.monoMs !== this.lastFix.monoMs || f.lat !== this.lastFix.lat || f.lon !== this.lastFix.lon)) {
      if (this.lastFix && this.policy) {
        const s = impliedSpeedKmh(this.lastFix, f);
        // SPEC §5: flagged until a fix agrees with the one before it again.
        this.implausible = s.speedKmh > this.policy.site.maxSpeedKmh ? s : null;
      }
      this.lastFix = f;
    }
    return f;
  }

  /** One preflight (SPEC §5): all checks, a verdict, a journal entry, and the request to send. */
  preflight(input: unknown) {
    const hal = this.hal;
    const wallMs = this.now(), monoMs = hal.clock.monoMs();
    const p = parseTxn(input);
    const l = this.journal.ledger;
    if (!p.ok || l.txns[p.value.ref] || l.inflight?.ref === p.value.ref) {
      const why = p.ok ? `ref ${p.value.ref} was already used` : p.error;
      const reasons = [reason('TXN_INVALID', { why })];
      const ref = input && typeof input === 'object' ? String((input as { ref?: unknown }).ref ?? '').slice(0, 32) : '';
      this.record('decision', { txn: { ref, invalid: why }, verdict: 'deny', reasons });
      return { ref, verdict: 'deny' as const, reasons, request: null };
    }
    const txn = p.value;
    const d = decide({
      policy: this.policy, policyProblem: this.policyProblem, txn, wallMs, monoMs, fix: this.observeFix(), implausible: this.implausible,
      heapFree: hal.sys.heapFreeBytes(), storageFree: hal.storage.freeBytes(), ledger: l, anchor: this.anchor,
    });
    let request: Request | null = null;
    if (d.verdict !== 'deny' && this.policy) {
      request = buildRequest(txn, this.policy.merchant.mid, this.policy.merchant.tid, l.seq + 1, l.batch.no);
    }
    const seq = this.record('decision', { txn, verdict: d.verdict, reasons: d.reasons, inputs: d.inputs, request });
    if (seq === null) {
      // Nothing may be approved that the journal could not record.
      const reasons = [...d.reasons, reason('STORAGE_LOW', { free: hal.storage.freeBytes(), min: this.policy?.resources.minStorageFreeBytes ?? 0 })];
      return { ref: txn.ref, verdict: 'deny' as const, reasons, request: null };
    }
    this.telemetry.decision(seq, txn.ref, d.verdict, d.reasons);
    return { ref: txn.ref, verdict: d.verdict, reasons: d.reasons, request };
  }

  /** The acquirer's answer to the in-flight request (SPEC §5 After the acquirer answers). */
  answer(ref: string, a: Answer) {
    const l = this.journal.ledger;
    const req = l.inflight;
    if (!req || req.ref !== ref) return fail(`no request in flight for ref ${ref}`);
    const txn = this.findDecisionTxn(req);
    const row = TYPE_TABLE[txn.type];
    const c = checkAnswer(req, a, this.policy?.merchant.mcc ?? req.f42.slice(7, 11), row.reversible);
    this.recordResult(req, txn, c.outcome, c.reasons, a);
    if (c.reverse) this.queueReversal(req);
    for (const r of c.reasons) {
      if (r.name === 'JUMP_CODE_SUSPECTED' || r.name === 'RESP_ECHO_MISMATCH' || r.name === 'AMOUNT_MISMATCH') this.telemetry.alert(r.name, { ref, ...r.params });
    }
    return ok({ ref, outcome: c.outcome, reasons: c.reasons });
  }

  private findDecisionTxn(req: Request) {
    return { type: req.type, channel: req.channel, amountMinor: +req.f4, original: req.original };
  }

  private recordResult(req: Request, txn: ReturnType<Agent['findDecisionTxn']>, outcome: string, reasons: Reason[], a: Answer | null): void {
    const lt = this.policy ? localTime(this.policy.site.tz, this.now()) : null;
    this.record('result', {
      ref: req.ref, type: txn.type, channel: txn.channel, amountMinor: txn.amountMinor, original: txn.original,
      outcome, reasons, answer: a, dateKey: lt?.dateKey ?? '', monthKey: lt?.monthKey ?? '',
    });
  }

  private settleUnknown(req: Request, why: string): void {
    const txn = this.findDecisionTxn(req);
    this.recordResult(req, txn, 'timeout', [reason('NETWORK_TIMEOUT')], null);
    if (TYPE_TABLE[txn.type].reversible) this.queueReversal(req);
    this.hal.log(2, `${req.ref}: ${why}; reversal queued`);
  }

  private queueReversal(req: Request): void {
    this.record('reversal', { state: 'queued', request: req });
  }

  /** The oldest queued reversal as an ISO 8583 0400 message, to send before the next sale. */
  nextReversal(): (Request & { reverses: Request }) | null {
    const r = this.journal.ledger.reversals[0];
    return r ? { ...r, mti: '0400', reverses: r } : null;
  }

  /** Reversal answered: 00, 12 or 25 end it (domain notes §4); anything else keeps it queued. */
  reversalAnswer(ref: string, a: Answer): Result<{ done: boolean }> {
    const r = this.journal.ledger.reversals.find((x) => x.ref === ref);
    if (!r) return fail(`no reversal queued for ${ref}`);
    const done = !a.timeout && (a.f39 === '00' || a.f39 === '12' || a.f39 === '25');
    this.record('reversal', { state: done ? 'done' : 'retry', ref, f39: a.f39 ?? null, timeout: !!a.timeout });
    return ok({ done });
  }

  // Settlement (SPEC §5 Settlement; domain notes §4): begin -> compare -> [upload] -> close.
  settleBegin(): Result<{ batch: number; local: BatchTotals }> {
    const l = this.journal.ledger;
    if (l.settle) return ok({ batch: l.settle.batch, local: l.settle.local });
    this.record('settle', { step: 'begun', batch: l.batch.no, local: l.batch.totals, count: l.batch.count });
    return ok({ batch: l.batch.no, local: l.batch.totals });
  }

  settleCompare(host: BatchTotals): Result<{ balanced: boolean; reasons: Reason[] }> {
    const s = this.journal.ledger.settle;
    if (!s) return fail('no settlement in progress');
    const balanced = totalsEqual(s.local, host);
    const reasons = balanced ? [] : [reason('SETTLEMENT_UNBALANCED', { local: fmtTotals(s.local), host: fmtTotals(host) })];
    this.record('settle', { step: 'compared', batch: s.batch, host, balanced, reasons });
    if (!balanced) this.telemetry.alert('SETTLEMENT_UNBALANCED', { batch: s.batch, local: fmtTotals(s.local), host: fmtTotals(host) });
    return ok({ balanced, reasons });
  }

  settleUploaded(): Result<null> {
    const s = this.journal.ledger.settle;
    if (!s || s.step !== 'compared') return fail('settlement is not waiting for a batch upload');
    this.record('settle', { step: 'uploaded', batch: s.batch });
    return ok(null);
  }

  settleClose(): Result<{ nextBatch: number }> {
    const s = this.journal.ledger.settle;
    if (!s || (s.step === 'begun') || (s.step === 'compared' && !s.balanced)) return fail(`settlement cannot close at step ${s ? s.step : 'none'}`);
    this.record('settle', { step: 'closed', batch: s.batch });
    this.sealNow(); // SPEC §6: seal at settlement
    this.journal.writeCheckpoint();
    this.journal.compact();
    return ok({ nextBatch: this.journal.ledger.batch.no });
  }

  /** Trusted time arrived (SPEC §5 Clock): re-anchor, and record the high-water mark it replaces. */
  clockSync(): void {
    this.anchor = { wallMs: this.now(), monoMs: this.hal.clock.monoMs(), trusted: true };
    this.record('clock', { event: 'sync', previousHighWaterMs: this.journal.ledger.highWaterMs });
  }

  /** Background work between transactions: seals when due, telemetry, compaction. */
  idle(): { sealed: boolean } {
    let sealed = false;
    const s = this.policy?.sealing ?? DEFAULT_SEALING;
    const j = this.journal;
    const due = j.unsealed >= s.maxUnsealedEntries || (j.unsealed > 0 && this.now() - j.oldestUnsealedT >= s.maxUnsealedS * 1000);
    if (due) sealed = this.sealNow();
    this.journal.hashHead();
    this.journal.checkpointIfDue();
    this.telemetry.pump();
    return { sealed };
  }

  /** Seals now (before uploads, at settlement, at shutdown). Journals signer failure / recovery. */
  sealNow(): boolean {
    const j = this.journal;
    if (j.unsealed === 0) return true;
    // The old key must not seal past its own rotation: finish the switch first or count it a failure.
    if (this.rotationSealed()) this.finishRotation();
    const r = this.rotationSealed() ? fail('key rotation could not finish') : j.seal(this.key, this.now());
    if (!r.ok) {
      if (!j.ledger.signerFailed) {
        // RKSV "Sicherheitseinrichtung ausgefallen": entries go on unsealed, the outage is on record.
        this.record('signer', { state: 'failed', why: r.error, unsealedFrom: j.sealedSeq + 1 });
        this.telemetry.alert('SIGNER_FAILED', { why: r.error });
      }
      return false;
    }
    if (j.ledger.signerFailed) {
      this.record('signer', { state: 'recovered', sealedThrough: r.value.seq });
      j.seal(this.key, this.now());
    }
    // The seal just made may cover a key-rotate entry: switch, and seal the switch with the new key.
    if (this.finishRotation()) j.seal(this.key, this.now());
    this.telemetry.sealed();
    return true;
  }

  /**
   * Key rotation (SPEC §6): the new public key is journaled, the old key seals that entry, and only
   * then does the terminal switch. Each step survives a power cut: boot and every seal finish it.
   */
  rotateKey(): Result<{ newPub: string }> {
    if (this.journal.ledger.keyRotation) return fail('a rotation is already under way');
    const next = prepareRotation(this.hal);
    if (!next.ok) return next;
    if (this.record('key-rotate', { newPub: toHex(next.value), oldPub: toHex(this.key.pub) }) === null) return fail('journal refused the rotation');
    this.sealNow();
    return ok({ newPub: toHex(next.value) });
  }

  /** True once the old key has sealed a key-rotate entry: from then on only the new key may seal. */
  private rotationSealed(): boolean {
    const kr = this.journal.ledger.keyRotation;
    return !!kr && this.journal.sealedSeq >= kr.seq;
  }

  /** Switches to the new key once the old one sealed the change; true when it switched now. */
  private finishRotation(): boolean {
    const kr = this.journal.ledger.keyRotation;
    if (!kr || !this.rotationSealed()) return false;               // nothing to finish, or not sealed yet
    if (toHex(this.key.pub) !== kr.newPub) {
      const pub = fromHex(kr.newPub);
      const c = pub ? commitRotation(this.hal, pub) : fail('bad newPub');
      if (!c.ok) { this.hal.log(3, `key rotation: ${c.error}`); return false; }
      this.key = c.value;
    }
    this.record('key-rotated', { pub: kr.newPub });
    this.telemetry.alert('KEY_ROTATED', { pub: kr.newPub });
    return true;
  }

  shutdown(): void { this.sealNow(); this.journal.writeCheckpoint(); }

  onEvent(ev: HalEvent): void { this.telemetry.onEvent(ev); }

  command(bytes: Uint8Array): { accepted: boolean; why: string } { return applyCommand(this, bytes); }
  alert(kind: string, detail: Record<string, unknown>): void { this.telemetry.alert(kind, detail); }
  resendFrom(seq: number): void { this.telemetry.sentThrough = Math.max(0, Math.min(this.telemetry.sentThrough, seq - 1)); }

  status() {
    const j = this.journal, l = j.ledger;
    return {
      dev: this.cfg.dev, pub: toHex(this.key.pub), abi: HAL_ABI, seq: l.seq, sealedSeq: j.sealedSeq, ackSeq: j.ackSeq,
      unsealed: j.unsealed, policyVersion: this.policy?.version ?? 0, policyProblem: this.policyProblem?.name ?? null,
      batch: { no: l.batch.no, count: l.batch.count }, settle: l.settle ? l.settle.step : null,
      reversals: l.reversals.map((r) => r.ref), locked: l.locked, signerFailed: l.signerFailed, nativeSigner: this.key.native,
      highWaterMs: l.highWaterMs,
    };
  }
}

function totalsEqual(a: BatchTotals, b: BatchTotals): boolean {
  const keys = Object.keys(a).concat(Object.keys(b));
  for (const k of keys) {
    const x = a[k] ?? { amount: 0, count: 0 }, y = b[k] ?? { amount: 0, count: 0 };
    if (x.amount !== y.amount || x.count !== y.count) return false;
  }
  return true;
}

function fmtTotals(t: BatchTotals): string {
  const parts = Object.keys(t).sort().map((k) => `${k} ${t[k]!.count}/${(t[k]!.amount / 100).toFixed(2)}`);
  return parts.length ? parts.join(', ') : 'empty';
}
