// The data path of one sale (SPEC §5): transaction in -> every check -> verdict -> journal entry ->
// request to the acquirer; then the answer -> echo and 跳码 checks -> result entry -> alert preview.
// Nothing is approved that the journal could not record.

import { buildRequest, checkAnswer } from '../acquirer/answer';
import { TYPE_TABLE, type Answer, type Request } from '../acquirer/types';
import { impliedSpeedKmh } from '../checks/geo';
import { decide } from '../checks/preflight';
import { parseTxn } from '../checks/txn';
import type { ClockAnchor } from '../checks/clock';
import type { GpsFix } from '../hal/types';
import { rec, type Outcome, type Verdict } from '../journal/records';
import { reason, type Reason } from '../reasons/names';
import { problemOf, whyParams } from '../reasons/why';
import { isAlertKind } from '../telemetry/alerts';
import { localTime } from '../time/local';
import { fail, ok, type Result } from '../util/result';
import type { Context } from './context';
import type { PolicyHolder } from './policy';
import type { Reversals } from './reversals';

export interface PreflightAnswer { ref: string; verdict: Verdict; reasons: Reason[]; request: Request | null }

export class Transactions {
  /** Wall and monotonic readings at the last trusted sync (or boot): the clock checks' anchor. */
  anchor: ClockAnchor = { wallMs: 0, monoMs: 0, trusted: true };
  /** Told of every verdict that was journaled (telemetry's live `decision` preview). */
  onDecision: (seq: number, a: PreflightAnswer) => void = () => {};
  private lastFix: GpsFix | null = null;
  private implausible: { distanceM: number; speedKmh: number } | null = null;
  /** The alert kinds of the last checked decision: raised already, not again until they clear. */
  private raised: string[] = [];

  constructor(private ctx: Context, private policy: PolicyHolder, private reversals: Reversals) {}

  private observeFix(): GpsFix | null {
    const f = this.ctx.hal.gps.last();
    if (f && (!this.lastFix || f.monoMs !== this.lastFix.monoMs || f.lat !== this.lastFix.lat || f.lon !== this.lastFix.lon)) {
      const p = this.policy.policy;
      if (this.lastFix && p) {
        const s = impliedSpeedKmh(this.lastFix, f);
        // SPEC §5: flagged until a fix agrees with the one before it again.
        this.implausible = s.speedKmh > p.site.maxSpeedKmh ? s : null;
      }
      this.lastFix = f;
    }
    return f;
  }

  /** One preflight (SPEC §5): all checks, a verdict, a journal entry, and the request to send. */
  preflight(input: unknown): PreflightAnswer {
    const { hal, journal } = this.ctx;
    const wallMs = this.ctx.now(), monoMs = hal.clock.monoMs();
    const p = parseTxn(input);
    const l = journal.ledger;
    if (!p.ok || l.txns.has(p.value.ref) || l.inflight?.ref === p.value.ref) {
      const pr = p.ok ? { code: 'TXN_REF_USED' as const, figures: { ref: p.value.ref } } : problemOf(p);
      const reasons = [reason('TXN_INVALID', pr ? whyParams(pr.code, pr.figures) : { why: (p as { error: string }).error })];
      const why = String(reasons[0]!.params.why);
      const ref = input && typeof input === 'object' ? String((input as { ref?: unknown }).ref ?? '').slice(0, 32) : '';
      this.ctx.record(rec.decisionInvalid(ref, why, reasons));
      return { ref, verdict: 'deny', reasons, request: null };
    }
    const txn = p.value;
    if (journal.stateLost) {
      // Nothing is journaled: a journal that cannot tell where it stood must not start a second chain (SPEC §6).
      return { ref: txn.ref, verdict: 'deny', reasons: [reason('STATE_LOST', { why: journal.stateLost })], request: null };
    }
    const policy = this.policy.policy;
    const d = decide({
      policy, policyProblem: this.policy.problem, txn, wallMs, monoMs, fix: this.observeFix(), implausible: this.implausible,
      heapFree: hal.sys.heapFreeBytes(), storageFree: hal.storage.freeBytes(), ledger: l, anchor: this.anchor,
    });
    const request = d.verdict !== 'deny' && policy ? buildRequest(txn, policy.merchant.mid, policy.merchant.tid, l.seq + 1, l.batch.no) : null;
    const seq = this.ctx.record(rec.decision({ txn, verdict: d.verdict, reasons: d.reasons, inputs: d.inputs, sent: request !== null }));
    if (seq === null) {
      // Nothing may be approved that the journal could not record (STORAGE_LOW once, even if the check already said it).
      const low = d.reasons.some((x) => x.name === 'STORAGE_LOW');
      const reasons = low ? d.reasons : [...d.reasons, reason('STORAGE_LOW', { free: hal.storage.freeBytes(), min: policy?.resources.minStorageFreeBytes ?? 0 })];
      return { ref: txn.ref, verdict: 'deny', reasons, request: null };
    }
    if (policy) {
      // SPEC §7: an alert per occurrence, not per sale or retry. A kind stays raised until a decision
      // whose checks ran finds it gone; a breach until the fix is inside again (uncertain is not back).
      const was = this.raised;
      this.raised = d.inputs.geo !== 'inside' && was.includes('GEO_OUTSIDE') ? ['GEO_OUTSIDE'] : [];
      for (const r of d.reasons) {
        if (isAlertKind(r.name) && !this.raised.includes(r.name)) {
          this.raised.push(r.name);
          if (!was.includes(r.name)) this.ctx.alert(r.name, { ref: txn.ref, ...r.params }, seq);
        }
      }
    }
    const a: PreflightAnswer = { ref: txn.ref, verdict: d.verdict, reasons: d.reasons, request };
    this.onDecision(seq, a);
    return a;
  }

  /** The acquirer's answer to the in-flight request (SPEC §5 After the acquirer answers). */
  answer(ref: string, a: Answer): Result<{ ref: string; outcome: Outcome; reasons: Reason[] }> {
    const req = this.ctx.journal.ledger.inflight;
    if (!req || req.ref !== ref) return fail(`no request in flight for ref ${ref}`);
    const c = checkAnswer(req, a, this.policy.policy?.merchant.mcc ?? req.f42.slice(7, 11), TYPE_TABLE[req.type].reversible);
    const seq = this.recordResult(req, c.outcome, c.reasons, a);
    if (c.reverse) this.reversals.queue(req);
    for (const r of c.reasons) if (isAlertKind(r.name)) this.ctx.alert(r.name, { ref, ...r.params }, seq);
    return ok({ ref, outcome: c.outcome, reasons: c.reasons });
  }

  /** A request sent before the power went: its outcome is unknown, so reverse it (SPEC §5). */
  settleUnknown(req: Request, why: string): void {
    this.recordResult(req, 'timeout', [reason('NETWORK_TIMEOUT')], null);
    if (TYPE_TABLE[req.type].reversible) this.reversals.queue(req);
    this.ctx.hal.log(2, `${req.ref}: ${why}; reversal queued`);
  }

  private recordResult(req: Request, outcome: Outcome, reasons: Reason[], a: Answer | null): number | null {
    const p = this.policy.policy;
    const lt = p ? localTime(p.site.tz, this.ctx.now()) : null;
    return this.ctx.record(rec.result({
      ref: req.ref, type: req.type, channel: req.channel, amountMinor: +req.f4, original: req.original,
      outcome, reasons, answer: a && unechoed(req, a), dateKey: lt?.dateKey ?? '',
    }));
  }

  /** Trusted time arrived (SPEC §5 Clock): re-anchor, and record the high-water mark it replaces. */
  clockSync(): void {
    this.anchor = { wallMs: this.ctx.now(), monoMs: this.ctx.hal.clock.monoMs(), trusted: true };
    this.ctx.record(rec.clockSync(this.ctx.journal.ledger.highWaterMs));
  }
}

/**
 * The answer as journaled (issue 18): every field but the echoes that matched the request. Those
 * follow from the request (itself derived from the decision entry), so an echo is stored only when
 * it differs, which is when it matters (SPEC §5 echo checks).
 */
function unechoed(req: Request, a: Answer): Answer {
  const out: Record<string, unknown> = {};
  const q = req as unknown as Record<string, unknown>;
  for (const k in a) { const v = (a as Record<string, unknown>)[k]; if (k === 'mti' || q[k] !== v) out[k] = v; }
  return out as Answer;
}
