// The journal's record types (SPEC §6): every entry the terminal writes is one of these, built by
// the builder of its type and read back through `readRecord`, which checks the body's shape so
// that the ledger, the verifier, the fleet and doctor switch on `type` and never guess a shape.
// The entry types are defined here once; a new type is added here and nowhere else.

import type { Answer, Channel, Request, Txn, TxnType } from '../acquirer/types';
import type { GpsFix } from '../hal/types';
import type { Reason } from '../reasons/names';

/** Count and amount of one transaction type in a batch (SPEC §5 Settlement). */
export interface Totals { amount: number; count: number }
export type BatchTotals = Record<string, Totals>; // per transaction type
/** The limit figures a decision was checked against (SPEC §5 Limits). */
export interface Used { dayAmount: number; dayCount: number; monthAmount: number; velocity: number }

export type Verdict = 'allow' | 'review' | 'deny';
export type Outcome = 'approved' | 'declined' | 'reversed' | 'timeout';

/** What decided a verdict, kept so it can be re-checked (SPEC §6); the wall clock is the entry's t. */
export interface DecisionInputs {
  monoMs: number; fix: GpsFix | null; geo: string; distanceM: number | null;
  used: Used | null; heapFree: number; storageFree: number; batchCount: number; policyVersion: number;
  localDate: string | null; localMinute: number | null;
}

export interface Bodies {
  /** A boot; it names the device, and the merchant ids requests are built with (SPEC §5). */
  boot: {
    reason: string; abi: number; fw: string; version: string; pub?: string; dev: string;
    recovered: { seq: number; tornBytes: number; replayed: number; fromCheckpoint: boolean; note: string | null };
    policyVersion: number; policyProblem?: string; mid?: string; tid?: string;
  };
  /**
   * A preflight (SPEC §5): the transaction, the verdict and every reason, and whether it went on
   * to the acquirer. The request itself follows from the transaction, the merchant ids in force,
   * the entry's seq (field 11) and the batch (field 60), so it is not stored (issue 18).
   */
  decision: { txn: Txn; verdict: Verdict; reasons: Reason[]; inputs: DecisionInputs; sent: boolean };
  /** A request refused before any rule looked at it (malformed, or a ref already used). */
  'decision-invalid': { txn: { ref: string; invalid: string }; verdict: 'deny'; reasons: Reason[] };
  /**
   * The acquirer's answer: `answer` holds its fields except the echoes that matched the request.
   * `dateKey` is the local day the amount counts toward; its month is its first 7 characters
   * (`monthKey`, which entries before issue 18 also stored, is read but no longer written).
   */
  result: {
    ref: string; type: TxnType; channel: Channel; amountMinor: number; original?: string;
    outcome: Outcome; reasons: Reason[]; answer: Answer | null; dateKey: string; monthKey?: string;
  };
  reversal: { state: 'queued'; request: Request } | { state: 'done' | 'retry'; ref: string; f39: string | null; timeout: boolean };
  settle:
    | { step: 'begun'; batch: number; local: BatchTotals; count: number }
    | { step: 'compared'; batch: number; host: BatchTotals; balanced: boolean; reasons: Reason[] }
    | { step: 'uploaded'; batch: number }
    | { step: 'closed'; batch: number };
  policy: { version: number; digest: string; validUntil: string; mid: string; tid: string };
  'policy-rejected': { reason: string; why: string };
  clock: { event: 'sync'; previousHighWaterMs: number };
  signer: { state: 'failed'; why: string; unsealedFrom: number } | { state: 'recovered'; sealedThrough: number };
  'key-rotate': { newPub: string; oldPub: string };
  'key-rotated': { pub: string };
  command: CommandBody;
  /**
   * Flash damage found at boot (SPEC §6): the seqs lost, why, and the seqs that are intact but can no
   * longer be verified because the record their seal chained through was lost. Said once per range.
   */
  'flash-damage': { lost: [number, number][]; cause: string; unverifiable: [number, number][] };
  /** Rejected network input counted over a window instead of journaled one by one (SPEC §6). */
  noise: { fromMs: number; toMs: number; count: number; kinds: Record<string, number> };
}

export type CommandBody =
  | { accepted: false; n: number | null; kind: string | null; reason: 'COMMAND_REJECTED'; why: string }
  | ({ accepted: true; n: number } & AcceptedCommand);

export type AcceptedCommand =
  | { kind: 'lock'; why: string }
  | { kind: 'unlock' }
  | { kind: 'hours-extend'; untilMs: number }
  | { kind: 'policy'; version: number }
  | { kind: 'resend'; fromSeq: number }
  | { kind: 'rotate-key' }
  | { kind: 'image-update'; manifestSha512: string; version: number };

export type RecordType = keyof Bodies;
export type JournalRecord = { [K in RecordType]: { type: K; body: Bodies[K] } }[RecordType];

/** The type names as they are stored (the `type` text of SPEC §6). */
export const RECORD_TYPES: readonly RecordType[] = [
  'boot', 'decision', 'decision-invalid', 'result', 'reversal', 'settle', 'policy', 'policy-rejected', 'clock', 'signer',
  'key-rotate', 'key-rotated', 'command', 'flash-damage', 'noise',
];

/** Builders: the only way the agent makes a record, so every call site is checked against its type. */
export const rec = {
  boot: (body: Bodies['boot']): JournalRecord => ({ type: 'boot', body }),
  decision: (body: Bodies['decision']): JournalRecord => ({ type: 'decision', body }),
  decisionInvalid: (ref: string, invalid: string, reasons: Reason[]): JournalRecord => ({ type: 'decision-invalid', body: { txn: { ref, invalid }, verdict: 'deny', reasons } }),
  result: (body: Bodies['result']): JournalRecord => ({ type: 'result', body }),
  reversal: (body: Bodies['reversal']): JournalRecord => ({ type: 'reversal', body }),
  settle: (body: Bodies['settle']): JournalRecord => ({ type: 'settle', body }),
  policy: (body: Bodies['policy']): JournalRecord => ({ type: 'policy', body }),
  policyRejected: (reason: string, why: string): JournalRecord => ({ type: 'policy-rejected', body: { reason, why } }),
  clockSync: (previousHighWaterMs: number): JournalRecord => ({ type: 'clock', body: { event: 'sync', previousHighWaterMs } }),
  signer: (body: Bodies['signer']): JournalRecord => ({ type: 'signer', body }),
  keyRotate: (newPub: string, oldPub: string): JournalRecord => ({ type: 'key-rotate', body: { newPub, oldPub } }),
  keyRotated: (pub: string): JournalRecord => ({ type: 'key-rotated', body: { pub } }),
  command: (body: CommandBody): JournalRecord => ({ type: 'command', body }),
  flashDamage: (body: Bodies['flash-damage']): JournalRecord => ({ type: 'flash-damage', body }),
  noise: (body: Bodies['noise']): JournalRecord => ({ type: 'noise', body }),
};

// ---- reading: a body's shape is checked once, here ------------------------------------------

type J = Record<string, unknown>;
const isObj = (v: unknown): v is J => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array);
const isU = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isS = (v: unknown): v is string => typeof v === 'string';
const isB = (v: unknown): v is boolean => typeof v === 'boolean';
const isReasons = (v: unknown): v is Reason[] => Array.isArray(v) && v.every((r) => isObj(r) && isS(r.name) && isS(r.severity) && isObj(r.params));
const isRequest = (v: unknown): v is Request => isObj(v) && isS(v.ref) && isS(v.type) && isS(v.f4) && isS(v.f11) && isS(v.mti);
const isRanges = (v: unknown): v is [number, number][] => Array.isArray(v) && v.every((r) => Array.isArray(r) && r.length === 2 && isU(r[0]) && isU(r[1]) && r[0] <= r[1]);
const isTotals = (v: unknown): v is BatchTotals => isObj(v) && Object.keys(v).every((k) => isObj(v[k]) && typeof (v[k] as J).amount === 'number' && isU((v[k] as J).count));

/** Shape checks per type: what each reader relies on. */
const SHAPES: { [K in RecordType]: (b: J) => boolean } = {
  boot: (b) => isS(b.reason) && isS(b.dev) && isObj(b.recovered) && isU(b.policyVersion),
  decision: (b) => isObj(b.txn) && isS(b.txn.ref) && isS(b.txn.type) && isS(b.verdict) && isReasons(b.reasons) && isObj(b.inputs) && isB(b.sent),
  'decision-invalid': (b) => isObj(b.txn) && isS(b.txn.ref) && isS(b.txn.invalid) && b.verdict === 'deny' && isReasons(b.reasons),
  result: (b) => isS(b.ref) && isS(b.type) && isS(b.channel) && typeof b.amountMinor === 'number' && isS(b.outcome) && isReasons(b.reasons) && isS(b.dateKey) && (b.monthKey === undefined || isS(b.monthKey)),
  reversal: (b) => (b.state === 'queued' && isRequest(b.request)) || ((b.state === 'done' || b.state === 'retry') && isS(b.ref)),
  settle: (b) => isU(b.batch) && ((b.step === 'begun' && isTotals(b.local)) || (b.step === 'compared' && isB(b.balanced) && isTotals(b.host)) || b.step === 'uploaded' || b.step === 'closed'),
  policy: (b) => isU(b.version) && isS(b.digest) && isS(b.mid) && isS(b.tid),
  'policy-rejected': (b) => isS(b.reason) && isS(b.why),
  clock: (b) => b.event === 'sync' && isU(b.previousHighWaterMs),
  signer: (b) => (b.state === 'failed' && isS(b.why)) || (b.state === 'recovered' && isU(b.sealedThrough)),
  'key-rotate': (b) => isS(b.newPub) && /^[0-9a-f]{64}$/.test(b.newPub as string) && isS(b.oldPub),
  'key-rotated': (b) => isS(b.pub),
  command: (b) => isB(b.accepted) && (b.accepted ? isU(b.n) && isS(b.kind) && commandArgsOk(b) : isS(b.why)),
  'flash-damage': (b) => isRanges(b.lost) && isS(b.cause) && isRanges(b.unverifiable),
  noise: (b) => isU(b.fromMs) && isU(b.toMs) && isU(b.count) && isObj(b.kinds),
};

function commandArgsOk(b: J): boolean {
  switch (b.kind) {
    case 'lock': return isS(b.why);
    case 'hours-extend': return isU(b.untilMs);
    case 'policy': return isU(b.version);
    case 'resend': return isU(b.fromSeq);
    case 'image-update': return isS(b.manifestSha512) && isU(b.version);
    case 'unlock': case 'rotate-key': return true;
    default: return false;
  }
}

export const isRecordType = (t: string): t is RecordType => (RECORD_TYPES as readonly string[]).indexOf(t) >= 0;

/**
 * The typed record of a stored entry's type and body; null for a type this firmware does not know
 * (a newer one wrote it: it still chains and verifies, and changes no state) or a body whose shape
 * is not its type's.
 */
export function readRecord(type: string, body: unknown): JournalRecord | null {
  if (!isRecordType(type) || !isObj(body) || !SHAPES[type](body)) return null;
  return { type, body } as JournalRecord;
}
