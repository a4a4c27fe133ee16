// The agent: builds every concern from one HAL and wires them together. The data path stays in
// plain sight: transaction in -> checks -> verdict -> journal entry -> (acquirer answer -> result)
// -> telemetry preview; the journal is the outbox that telemetry uploads from. Each concern lives
// in its own file (transactions, reversals, settlement, sealing, policy, commands, acks).

import { ROLLBACK_GRACE_MS } from '../checks/clock';
import { useSha512 } from '../crypto/hash';
import { portableEd25519, useEd25519 } from '../crypto/ed25519-impl';
import { HAL_ABI, type Hal, type HalEvent } from '../hal/types';
import { Journal, type RecoveryReport } from '../journal/journal';
import { rec } from '../journal/records';
import { parseTopic } from '../telemetry/topics';
import { Telemetry, UPLOAD_EVERY_S } from '../telemetry/telemetry';
import { toHex } from '../util/bytes';
import { fail, ok, type Result } from '../util/result';
import { readAck, type AckOutcome } from './acks';
import { applyCommand, type CommandOutcome } from './commands';
import { makeContext, type AgentConfig, type Context } from './context';
import { PolicyHolder } from './policy';
import { Reversals } from './reversals';
import { DEFAULT_SEALING, Sealing } from './sealing';
import { Noise } from './noise';
import { Settlement } from './settlement';
import { Transactions } from './transactions';

export type { AgentConfig } from './context';

/** How often idle time reads one old segment back, looking for bit rot (SPEC §6 "Damage and lost state"). */
export const SCRUB_EVERY_MS = 60_000;

export class Agent {
  readonly ctx: Context;
  readonly journal: Journal;
  readonly policy: PolicyHolder;
  readonly sealing: Sealing;
  readonly reversals: Reversals;
  readonly tx: Transactions;
  readonly settlement: Settlement;
  readonly telemetry: Telemetry;
  readonly noise: Noise;
  recovery: RecoveryReport | null = null;
  private lastScrubMs: number | null = null;

  constructor(readonly hal: Hal, readonly cfg: AgentConfig) {
    this.journal = new Journal(hal, cfg.dev);
    this.ctx = makeContext(hal, cfg, this.journal, (kind, detail, seq) => {
      // Also in the firmware's log, so an alert raised offline (nothing published) is still seen.
      hal.log(2, 'alert ' + JSON.stringify({ kind, seq: seq ??= this.journal.seq, detail }));
      this.telemetry.alert(kind, detail, seq);
    });
    this.policy = new PolicyHolder(this.ctx);
    this.sealing = new Sealing(this.ctx);
    this.reversals = new Reversals(this.ctx);
    this.tx = new Transactions(this.ctx, this.policy, this.reversals);
    this.settlement = new Settlement(this.ctx, this.sealing);
    this.noise = new Noise(this.ctx, () => this.policy.policy?.resources.minStorageFreeBytes ?? 10240);
    this.telemetry = new Telemetry({
      hal, cfg, outbox: this.journal, now: this.ctx.now,
      birth: () => { const s = this.status(); return { dev: s.dev, pub: s.pub, abi: s.abi, seq: s.seq, policyVersion: s.policyVersion }; },
      health: () => this.health(),
      settings: () => { const te = this.policy.policy?.telemetry; return { heartbeatS: te?.heartbeatS ?? 300, uploadBatch: te?.uploadBatch ?? 32, uploadEveryS: te?.uploadEveryS ?? UPLOAD_EVERY_S }; },
    });
    this.tx.onDecision = (seq, a) => this.telemetry.decision(seq, a.ref, a.verdict, a.reasons);
    this.sealing.onSealed = (now) => (now ? this.telemetry.flush() : this.telemetry.pump());
  }

  now(): number { return this.ctx.now(); }

  /** Boot: key, journal recovery, policy, a boot entry; resumes what a power cut interrupted. */
  boot(bootReason: string): Result<ReturnType<Agent['status']>> {
    const hal = this.hal;
    if (hal.abi !== HAL_ABI) return fail(`HAL ABI ${hal.abi} does not match the bundle's ${HAL_ABI}`);
    useSha512(hal.sha512);
    // The BigInt signer: byte-identical to tweetnacl, over 20x faster inside QuickJS (make bench).
    useEd25519(portableEd25519);
    const k = this.sealing.loadKey();
    if (!k.ok) return fail(`device key: ${k.error}`);
    const r = this.recovery = this.journal.open();
    if (r.foreign) return fail(`flash: ${r.stateLost}`);
    this.policy.load();
    const wall = this.now(), mono = hal.clock.monoMs();
    const l = this.journal.ledger;
    this.tx.anchor = { wallMs: wall, monoMs: mono, trusted: wall >= l.highWaterMs - ROLLBACK_GRACE_MS };
    this.ctx.record(rec.boot({
      reason: bootReason, abi: HAL_ABI, fw: hal.sys.firmware(), version: this.cfg.version ?? '0', dev: this.cfg.dev,
      pub: k.value.created ? toHex(this.sealing.key.pub) : undefined,
      mid: this.policy.policy?.merchant.mid, tid: this.policy.policy?.merchant.tid,
      recovered: { seq: r.seq, tornBytes: r.tornBytes, replayed: r.replayed, fromCheckpoint: r.fromCheckpoint, note: r.note },
      policyVersion: this.policy.policy?.version ?? 0, policyProblem: this.policy.problem?.name,
    }));
    this.reportDamage(r.lost, r.unverifiable, r.cause);
    if (r.stateLost) this.ctx.alert('STATE_LOST', { why: r.stateLost }, null);
    // A rotation the old key already sealed but the power stopped before the switch: finish it.
    this.sealing.finishRotation();
    const inflight = l.inflight;
    if (inflight) this.tx.settleUnknown(inflight, 'power lost before the answer');
    this.telemetry.onBoot();
    return ok(this.status());
  }

  /** One flash-damage entry for seqs found lost (SPEC §6), and its alert; nothing for ranges already said. */
  private reportDamage(lost: [number, number][], unverifiable: [number, number][], cause: string | null): void {
    const said = (x: [number, number]) => this.journal.ledger.damaged.some((d) => d[0] <= x[0] && x[1] <= d[1]);
    const fresh = lost.filter((x) => !said(x));
    if (!fresh.length) return;
    const why = cause ?? 'records missing';
    const seq = this.ctx.record(rec.flashDamage({ lost: fresh, cause: why, unverifiable }));
    this.ctx.alert('FLASH_DAMAGE', { lost: fresh, cause: why }, seq);
  }

  /**
   * Background work between transactions: damage an upload found, seals when due, hashes the head,
   * checkpoints, uploads. `wakeS`: call again within this many seconds, for the next seal, upload,
   * heartbeat, re-send or noise summary by the clock; null when only an event can bring work. The
   * scrub rides on whatever wakes the terminal and never wakes it by itself (a terminal on battery sleeps).
   */
  idle(): { sealed: boolean; wakeS: number | null } {
    const mono = this.hal.clock.monoMs();
    if (this.lastScrubMs === null || mono - this.lastScrubMs >= SCRUB_EVERY_MS) { this.lastScrubMs = mono; this.journal.scrub(); }
    for (const d of this.journal.foundDamage.splice(0)) this.reportDamage(d.lost, d.unverifiable, d.cause);
    this.noise.tick();
    const sealing = this.policy.policy?.sealing ?? DEFAULT_SEALING;
    const sealed = this.sealing.sealIfDue(sealing);
    this.journal.hashHead();
    this.journal.checkpointIfDue();
    this.telemetry.pump();
    const due = Math.min(this.sealing.dueInMs(sealing), this.telemetry.dueInMs(), this.noise.dueInMs());
    return { sealed, wakeS: due < Infinity ? Math.max(1, Math.ceil(due / 1000)) : null };
  }

  /** Clean shutdown: everything sealed and uploaded once more, then the retained offline status (SPEC §7). */
  shutdown(): void { this.noise.flush(); this.sealing.sealNow(); this.journal.writeCheckpoint(); this.telemetry.flush(); this.telemetry.onShutdown(); }

  /** What the platform tells the agent: the link, a tick, or a message on `cmd` or `ack`; a command is answered. */
  onEvent(ev: HalEvent): { command?: CommandOutcome } | null {
    if (ev.t === 'net.state') { if (ev.up) this.telemetry.onConnect(); else this.telemetry.onDisconnect(); return null; }
    if (ev.t === 'tick') { this.telemetry.pump(); return null; }
    const tp = parseTopic(ev.topic);
    if (!tp || tp.dev !== this.cfg.dev || tp.fleet !== this.cfg.fleet) return null;
    if (tp.kind === 'ack') this.ack(ev.payload);
    else if (tp.kind === 'cmd') return { command: this.command(ev.payload) };
    return null;
  }

  ack(bytes: Uint8Array): AckOutcome {
    const a = readAck(this.ctx, bytes);
    if (!a.ok) { this.hal.log(2, a.why); this.noise.admit('ack'); }
    else if (a.advanced) this.telemetry.acked(a.seq);
    return a;
  }

  command(bytes: Uint8Array): CommandOutcome {
    return applyCommand(this.ctx, {
      installPolicy: (b) => this.policy.install(b),
      rotateKey: () => this.sealing.rotateKey(),
      resendFrom: (seq) => this.telemetry.resendFrom(seq),
      noise: this.noise,
    }, bytes);
  }

  private health(): Record<string, unknown> {
    const s = this.status(), hal = this.hal;
    return {
      heapFree: hal.sys.heapFreeBytes(), storageFree: hal.storage.freeBytes(), batch: s.batch,
      battery: hal.sys.batteryPct(), uptimeS: Math.floor(hal.clock.monoMs() / 1000), fw: hal.sys.firmware(),
      version: this.cfg.version ?? '0', policyVersion: s.policyVersion, unsealed: s.unsealed, seq: s.seq, ackSeq: s.ackSeq,
    };
  }

  status() {
    const j = this.journal, l = j.ledger, key = this.sealing.key;
    return {
      dev: this.cfg.dev, pub: toHex(key.pub), abi: HAL_ABI, seq: l.seq, sealedSeq: j.sealedSeq, ackSeq: j.ackSeq,
      unsealed: j.unsealed, policyVersion: this.policy.policy?.version ?? 0, policyProblem: this.policy.problem?.name ?? null,
      batch: { no: l.batch.no, count: l.batch.count }, settle: l.settle ? l.settle.step : null,
      reversals: l.reversals.map((r) => r.ref), locked: l.locked, signerFailed: l.signerFailed, nativeSigner: key.native,
      highWaterMs: l.highWaterMs, stateLost: j.stateLost, lostRanges: l.damaged,
    };
  }
}
